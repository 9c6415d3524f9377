"""The benchmark script (``make bench``) still runs: its ``--quick`` mode produces the table.

No assertion on any timing: only that every figure made it into the table and the file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIGURES = [
    "1. Fetch throughput",
    "2. Completion latency",
    "3. Rendering",
    "4. Load",
    "5. Badge traffic",
    "6. Emulator",
    "7. Workbench and templates",
    "8. Workbench sync",
    "9. Explore",
]


@pytest.mark.timeout(240)
def test_quick_benchmark_writes_the_table(tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=230,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = out.read_text("utf-8")
    assert "| Figure | Case | Variant | Median | Spread | Ratio | Target | Met |" in table
    for figure in FIGURES:
        assert f"| {figure} |" in table, figure
        assert f"| {figure} |" in done.stdout, figure
    assert "Targets met:" in table
    for variant in ("vendor SDK", "raw httpx", "vendor CLI schedule", "fixed 1 s loop"):
        assert variant in table, variant
