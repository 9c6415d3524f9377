"""``python -m benchmarks``: every figure of issue 6 in one run, as a table and a Markdown file.

Order: the completion-latency figure (sleep-bound, about 70 s for T = 60 s) starts first in
its own process; the light figures (rendering, load, badge) run meanwhile; the CPU-heavy
ones (fetch throughput, emulator throughput) run once it has finished, so its polls do
not share the CPU with them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .emulator_process import ROOT
from .latency import Measured, latency_rows
from .table import Row, markdown_table

__all__ = ["Settings", "main"]

RESULTS = Path(__file__).resolve().parent / "results.md"


@dataclass(frozen=True)
class Settings:
    """How big and how often: the full run (``make bench``) or ``--quick`` (smoke test)."""

    tasks: int
    fetch_repeats: int
    delay_tasks: int
    delay_repeats: int
    latency_ts: tuple[float, ...]
    latency_repeats: int
    render_repeats: int
    huge_mb: float
    load_repeats: int
    badge_tasks: int
    badge_repeats: int
    badge_latency: float
    server_repeats: int
    server_seconds: float
    analysis_repeats: int = 7
    workbench_images: int = 1000
    workbench_ocr_images: int = 300
    workbench_sdk_images: int = 40
    workbench_pages: int = 24
    preview_repeats: int = 5


FULL = Settings(
    tasks=1000,
    fetch_repeats=5,
    delay_tasks=300,
    delay_repeats=5,
    latency_ts=(0.5, 2.0, 10.0, 60.0),
    latency_repeats=5,
    render_repeats=9,
    huge_mb=5.0,
    load_repeats=7,
    badge_tasks=1000,
    badge_repeats=2,
    badge_latency=3.0,
    server_repeats=3,
    server_seconds=3.0,
)
QUICK = Settings(
    tasks=20,
    fetch_repeats=1,
    delay_tasks=20,
    delay_repeats=1,
    latency_ts=(0.5,),
    latency_repeats=1,
    render_repeats=1,
    huge_mb=5.0,
    load_repeats=1,
    badge_tasks=20,
    badge_repeats=1,
    badge_latency=1.0,
    server_repeats=1,
    server_seconds=0.5,
    analysis_repeats=1,
    workbench_images=40,
    workbench_ocr_images=16,
    workbench_sdk_images=8,
    workbench_pages=3,
    preview_repeats=1,
)

NOTES = """\
- Medians over the repeats; "Spread" is min-max. Everything runs on loopback against the
  package's emulator, which runs in its own process (so no client shares a GIL with it).
- 1. The vendor SDK is synchronous: one request at a time. On loopback there is no
  network latency to overlap, so every contender is CPU-bound in Python and no client
  can be 10x cheaper per request than the SDK's urllib3 (pydantic) loop: the >= 10x
  target is out of reach there by construction. The "+50 ms per GET" rows add service
  latency in the emulator (its `stall` fault: an `asyncio.sleep` before each GET's
  answer, requests still overlap), which is what a real service across a network looks
  like: there the SDK loop pays the latency once per task, in a row, while `fetch_many`
  overlaps `concurrency` requests, so the ratio approaches the concurrency: at most 16x
  with the default of 16 (c=32 shown too), until the client's CPU becomes the limit.
  Raw httpx loses throughput as connections grow: httpcore's pool scans every connection
  it holds (and counts the idle ones again for each) whenever a request starts or ends.
  Our clients split the pool into 4 shards (`ocr_notebook/client/pool.py`), which is why they
  beat raw httpx at the same concurrency on loopback.
- 2. Added latency = result in hand minus completion (T after injection); each T's
  repeats complete at T +- 5 %, so no poller profits from a lucky phase. A poller that
  does not know T must keep its gaps <= max(0.25 s, 10 % of t) for the latency target and
  make <= t + 4 GETs over t seconds for the GET target; below t = 2.5 s the first needs
  gaps of 0.25 s (>= 9 GETs by t = 2) and the second allows 6, so no schedule meets both
  at T = 2 s except by luck. The default trades the 0.25 s at T = 2 s for the GET bound.
- 4. Timed inside a fresh kernel, with a bytecode cache as after any `pip install`. The
  target is judged on CPU time: importing cached modules is CPU-bound, so CPU time is
  the wall time of an idle machine, while wall time on a shared one (see the load
  average above) also counts the time spent waiting for a core.
- 5. Peak = the most comm messages in any sliding 1-second window.
"""


def _start_latency(settings: Settings) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "benchmarks.latency", "--repeats", str(settings.latency_repeats)]
    args += ["--t", *(f"{t:g}" for t in settings.latency_ts)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=ROOT)


def _finish_latency(proc: subprocess.Popen[str]) -> list[Row]:
    out, _ = proc.communicate(timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmarks.latency failed with exit code {proc.returncode}")
    measured = [Measured(**m) for m in json.loads(out.strip().splitlines()[-1])]
    return latency_rows(measured)


def _load_average() -> str:
    try:
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not on this platform
        return "n/a"


def render_results(rows: Sequence[Row], *, seconds: float, quick: bool, loads: str) -> str:
    """The Markdown of ``benchmarks/results.md``."""
    met = [r for r in rows if r.met is True]
    missed = [r for r in rows if r.met is False]
    lines = [
        "# Benchmark results (`make bench`)",
        "",
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {'QUICK smoke run, ' if quick else ''}"
        f"{seconds:.0f} s total; Python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {loads}.",
        "",
        markdown_table(rows),
        "",
        f"Targets met: {len(met)} of {len(met) + len(missed)}."
        + (
            " Not met: " + "; ".join(f"{r.figure} {r.case} ({r.variant})" for r in missed) + "."
            if missed
            else ""
        ),
        "",
        "## Notes",
        "",
        NOTES.rstrip("\n"),
    ]
    extra = [note for row in rows for note in row.notes]
    lines += [f"- {note}" for note in extra]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (the smoke test)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the table")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL

    from .analysis import run_analysis
    from .badge import run_badge
    from .fetch import run_fetch
    from .load import run_load
    from .render import run_render
    from .server import run_server
    from .workbench import run_workbench
    from .workbench_sync import run_workbench_sync

    started = time.monotonic()
    loads = [_load_average()]

    def step(name: str) -> None:
        print(f"[{time.monotonic() - started:5.0f} s] {name}", file=sys.stderr, flush=True)

    step("completion latency (background process)")
    latency = _start_latency(settings)
    try:
        step("rendering")
        render = run_render(settings.render_repeats, huge_mb=settings.huge_mb)
        step("load")
        load = run_load(settings.load_repeats)
        step("badge traffic")
        badge = run_badge(
            settings.badge_tasks, settings.badge_repeats, latency=settings.badge_latency
        )
        step("exploring: search and comparison")
        analysis = run_analysis(settings.analysis_repeats)
        step("waiting for completion latency")
        latency_table = _finish_latency(latency)
    except BaseException:
        latency.kill()
        latency.wait()
        raise
    step("fetch throughput")
    fetch = run_fetch(
        settings.tasks,
        settings.fetch_repeats,
        delay_tasks=settings.delay_tasks,
        delay_repeats=settings.delay_repeats,
    )
    step("emulator")
    server = run_server(settings.server_repeats, seconds=settings.server_seconds)
    step("workbench and templates")
    workbench = run_workbench(
        preview_repeats=settings.preview_repeats,
        count=settings.workbench_images,
        ocr_count=settings.workbench_ocr_images,
        sdk_count=settings.workbench_sdk_images,
        pages=settings.workbench_pages,
    )
    step("workbench sync (headless Chromium)")
    sync = run_workbench_sync(1, rectangles=5 if args.quick else 50)
    loads.append(_load_average())
    rows = fetch + latency_table + render + load + badge + server + workbench + sync + analysis
    seconds = time.monotonic() - started
    text = render_results(rows, seconds=seconds, quick=args.quick, loads=" -> ".join(loads))
    args.out.write_text(text, encoding="utf-8")
    print(text)
    step(f"done; written to {args.out}")
    return 0
