"""``python -m ocr_notebook.demo``: the round trip on the bundled sample, and its exit status."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ocr_notebook import demo
from ocr_notebook.emulator import samples


def test_demo_reads_every_region(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--latency", "0.3"]) == 0
    out = capsys.readouterr().out
    assert "Submitted the sample" in out
    assert "Completed" in out
    for _, text in samples.SAMPLE_REGIONS:
        assert text in out
    assert "Every region matches" in out


def test_demo_fails_when_a_region_differs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = [(box, text) for box, text in samples.SAMPLE_REGIONS]
    wrong[1] = (wrong[1][0], "Something the image does not say")
    monkeypatch.setattr(samples, "SAMPLE_REGIONS", wrong)
    assert demo.main(["--latency", "0"]) == 1
    captured = capsys.readouterr()
    assert "expected 'Something the image does not say'" in captured.out
    assert "1 region(s) differ" in captured.err


@pytest.mark.slow
def test_demo_as_a_module() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "ocr_notebook.demo", "--latency", "0.6"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("Emulator listening on http://127.0.0.1:")
    statuses = [line.split()[-1] for line in lines if " poll " in line]
    # Which intermediate statuses a poll catches depends on the machine's speed.
    assert statuses[-1] == "Completed"
    order = ["Pending", "Processing", "Completed"]
    assert statuses == sorted(set(statuses), key=order.index)


def test_demo_notebook_step_runs_quickstart_without_kernel_warnings(tmp_path: Path) -> None:
    # `make demo`'s second step: the quickstart in a fresh kernel (nbclient), exported.
    done = subprocess.run(
        [
            sys.executable,
            "scripts/run_notebook.py",
            "notebooks/quickstart.ipynb",
            "--out",
            tmp_path,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    for _, text in samples.SAMPLE_REGIONS:
        assert text in done.stdout
    assert (tmp_path / "quickstart.ipynb").exists() and (tmp_path / "quickstart.html").exists()
    # The kernel's sockets get CurveZMQ keys, so ipykernel has nothing to warn about.
    assert "without encryption" not in done.stderr
    assert "WARNING" not in done.stderr, done.stderr
