"""The architecture holds: import-linter's contracts, no module-level import cycle, and
deferred imports only of the allowed kinds (each with its reason)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.imports import deferred_imports, import_cycles, module_level_graph

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ocr_notebook"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with the repository's contracts, run on the package copy in ``root``."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """The package and its contracts, copied where a forbidden import can be added."""
    shutil.copytree(PACKAGE, tmp_path / "ocr_notebook", ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_contracts_hold(package_copy: Path) -> None:
    run = _lint_imports(package_copy)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("results/models.py", "import IPython", "nothing imports IPython"),
        ("display/text.py", "import ipywidgets", "nothing imports IPython"),
        ("client/base.py", "from ..notebook import messages", "Layers"),
        ("store/result_store.py", "from ..widgets import fetch", "Layers"),
        ("display/style.py", "from ..client import config", "never imports the client"),
        ("client/pool.py", "from ..emulator import _http", "know nothing of each other"),
    ],
)
def test_a_forbidden_import_breaks_the_lint(
    package_copy: Path, module: str, line: str, contract: str
) -> None:
    path = package_copy / "ocr_notebook" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # noqa\n", encoding="utf-8")
    run = _lint_imports(package_copy)
    assert run.returncode == 1, run.stdout + run.stderr
    broken = [line for line in run.stdout.splitlines() if " BROKEN" in line]
    assert any(contract in line for line in broken), run.stdout


def test_no_module_level_import_cycle() -> None:
    # Imports inside functions run at call time and cannot make an import-time cycle.
    assert import_cycles(module_level_graph(PACKAGE)) == []


def _reason(lines: list[str], line: int) -> str:
    """The comment on an import's line, or above the block of imports it belongs to."""
    index = line - 1
    if "#" in lines[index]:
        return lines[index].split("#", 1)[1]
    while index > 0 and lines[index - 1].strip().startswith(("from ", "import ")):
        index -= 1
    above = lines[index - 1].strip()
    return above[1:] if above.startswith("#") else ""


def test_every_deferred_import_says_why() -> None:
    # Allowed: the display protocol, keeping an import light, an optional dependency.
    missing = []
    for item in deferred_imports(PACKAGE):
        lines = item.path.read_text(encoding="utf-8").splitlines()
        if "deferred" not in _reason(lines, item.line).lower():
            missing.append(f"{item.path.relative_to(ROOT)}:{item.line}: {item.text}")
    assert missing == []
