"""The Binder set-up, checked as repo2docker would build it, without Docker.

repo2docker copies the repository, installs ``binder/requirements.txt`` with pip, runs
``binder/postBuild`` with bash from the repository root, then serves JupyterLab from that
environment. Here: a copy of the working tree, a fresh virtual environment (no system site
packages), the same two steps in the same order, then every notebook of ``notebooks/`` executed
by that environment's own ``jupyter execute`` (nbclient) with its own kernel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"
# What repo2docker would not see in a clean clone, or what is ours and large.
_NOT_COPIED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    "*.egg-info",
    ".ipynb_checkpoints",
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def _run(cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> str:
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr)[-6000:]
        pytest.fail(f"{' '.join(cmd)} exited {proc.returncode} in {cwd}:\n{output}", pytrace=False)
    return proc.stdout


def _binder_env(base: Path, venv: Path) -> dict[str, str]:
    """An environment like the image's: the venv first on PATH, nothing of ours leaking in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JUPYTER", "ASPOSE_OCR_", "IPYTHON", "PYTHON", "VIRTUAL_ENV"))
    }
    for name in ("home", "config", "data", "runtime", "ipython"):
        (base / name).mkdir()
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        HOME=str(base / "home"),
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_DATA_DIR=str(base / "data"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        IPYTHONDIR=str(base / "ipython"),
    )
    return env


def _outputs_text(nb: nbformat.NotebookNode) -> str:
    """Every text-like output of the notebook, joined (streams, text/plain, text/html)."""
    parts: list[str] = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                parts.append(str(out["text"]))
            for mime in ("text/plain", "text/html"):
                value = out.get("data", {}).get(mime)
                if value is not None:
                    parts.append(value if isinstance(value, str) else "".join(value))
    return "\n".join(parts)


def test_binder_environment_runs_every_notebook(tmp_path: Path) -> None:
    assert (BINDER / "requirements.txt").is_file(), "binder/requirements.txt is missing"
    assert (BINDER / "postBuild").is_file(), "binder/postBuild is missing"
    repo = tmp_path / "repo"
    shutil.copytree(ROOT, repo, ignore=_NOT_COPIED)
    notebooks = sorted((repo / "notebooks").glob("*.ipynb"))
    names = [nb.name for nb in notebooks]
    assert "quickstart.ipynb" in names, f"Binder opens notebooks/quickstart.ipynb; found {names}"

    # A fresh environment from the base interpreter, never the system's site packages.
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path, env=dict(os.environ), timeout=120)
    env = _binder_env(tmp_path, venv)
    python = str(venv / "bin" / "python")
    cfg = _run(
        [python, "-c", "import sys, json; print(json.dumps([sys.prefix, sys.base_prefix]))"],
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    prefix, base_prefix = json.loads(cfg)
    assert Path(prefix) == venv
    assert prefix != base_prefix
    assert "include-system-site-packages = false" in (venv / "pyvenv.cfg").read_text()

    # repo2docker's order: requirements.txt, then postBuild with bash from the repository root.
    _run(
        [python, "-m", "pip", "install", "-q", "-r", "binder/requirements.txt"],
        cwd=repo,
        env=env,
        timeout=900,
    )
    _run(["bash", "binder/postBuild"], cwd=repo, env=env, timeout=900)

    # The installed package is the copy's wheel, not this checkout's editable install.
    where = _run(
        [python, "-c", "import ocr_notebook; print(ocr_notebook.__file__)"],
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert Path(where.strip()).is_relative_to(venv), where

    for notebook in notebooks:
        _run(
            [
                str(venv / "bin" / "jupyter"),
                "execute",
                "--timeout=300",
                "--output=executed-{notebook_name}",
                str(notebook),
            ],
            cwd=notebook.parent,
            env=env,
            timeout=600,
        )
        executed = nbformat.read(notebook.parent / f"executed-{notebook.name}", as_version=4)
        code = [c for c in executed.cells if c.cell_type == "code" and c.source.strip()]
        assert code, f"{notebook.name} has no code cell"
        unrun = [i for i, c in enumerate(code) if c.get("execution_count") is None]
        assert not unrun, f"{notebook.name}: code cells {unrun} did not run"
        errors = [o for c in code for o in c.outputs if o.get("output_type") == "error"]
        assert not errors, f"{notebook.name}: {errors}"
        if notebook.name == "quickstart.ipynb":
            _assert_quickstart_outputs(executed)


def _assert_quickstart_outputs(nb: nbformat.NotebookNode) -> None:
    """The quickstart shows the recognized texts of the sample image and a live badge widget."""
    from ocr_notebook.emulator.samples import SAMPLE_REGIONS

    text = _outputs_text(nb)
    for _box, expected in SAMPLE_REGIONS:
        assert expected in text, f"quickstart output lacks {expected!r}"
    views = [
        o
        for c in nb.cells
        for o in c.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert views, "quickstart shows no widget (the status badge)"
