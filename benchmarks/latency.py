"""Figure 2, completion latency: how soon after a task completes is its result in hand.

Tasks are injected with a latency T (Completed T seconds after injection). Three pollers
start at once on their own copy of each task, every (T, poller, repeat) in its own thread,
all concurrently (they are sleep-bound), so the 60 s case sets the wall time:

* ours: ``OCRClient.wait`` with the default ``PollPolicy``;
* the vendor CLI's schedule (``WaitTaskCompletion`` in
  https://github.com/aspose-ocr-cloud/aspose-ocr-cloud-cli, ``API/Utilities.cs``): sleep
  5 + n seconds (n = 1, 2, ...) before each ``GetTaskStatus``, then one GET of the result,
  here with the vendor's Python SDK;
* a fixed 1 s loop: GET the result, sleep 1 s, until Completed (vendor SDK).

Added latency = the time the result is in hand (``time.time()``) minus the completion time
(injection time in the emulator's process + T). The repeats of one T spread its tasks over
T +- 5 % (0.95 T, 0.975 T, ... 1.05 T): a task never completes at an exact multiple of a
poller's interval, and a fixed 1 s loop polled at 2.000 s would otherwise look perfect.
Run as ``python -m benchmarks.latency`` (it prints its measurements as JSON) so its
threads share no GIL with other figures.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import json
import math
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ocr_notebook import OCRClient, PollEvent

from .emulator_process import EmulatorProcess
from .table import Row, fmt_spread, spread

__all__ = ["Measured", "latency_rows", "run_latency"]

FIGURE = "2. Completion latency"
VARIANTS = ("ours", "cli", "fixed")
LABELS = {
    "ours": "ours: OCRClient.wait (default PollPolicy)",
    "cli": "vendor CLI schedule (sleep 5+n s, GetTaskStatus)",
    "fixed": "fixed 1 s loop (vendor SDK GET)",
}


@dataclass(frozen=True)
class Measured:
    """One poller on one task."""

    t: float
    variant: str
    added: float  # seconds from completion to result in hand
    gets: int  # GET requests made
    elapsed: float  # seconds from the poller's start to result in hand


class _Ours:
    """``OCRClient.wait`` with the default policy."""

    def __init__(self, base_url: str, token: str) -> None:
        self.client = OCRClient(base_url, token=token)

    def poll(self, task_id: str) -> int:
        polls = 0

        def count(event: PollEvent) -> None:
            nonlocal polls
            polls = event.polls

        result = self.client.wait(task_id, timeout=300, on_status=count)
        assert result.texts, "no texts"
        return polls

    def close(self) -> None:
        self.client.close()


class _Sdk:
    def __init__(self, base_url: str, token: str) -> None:
        self.sdk: Any = importlib.import_module("aspose_ocr_cloud")
        configuration = self.sdk.Configuration(host=base_url, access_token=token)
        self.api_client = self.sdk.ApiClient(configuration)
        self.regions = self.sdk.RecognizeRegionsApi(self.api_client)

    def result_texts(self, task_id: str) -> tuple[bool, list[str]]:
        """One GET: whether the task is Completed, and its texts."""
        response = self.regions.get_recognize_regions(id=task_id)
        # Decoded as the SDK's README does it.
        texts = [base64.b64decode(r.data).decode("utf-8") for r in response.results or ()]
        return response.task_status == "Completed", texts

    def close(self) -> None:
        self.api_client.__exit__(None, None, None)  # the SDK client has no close()


class _Cli(_Sdk):
    """The vendor CLI's ``WaitTaskCompletion``: sleep 5 + n s before each GetTaskStatus."""

    def poll(self, task_id: str) -> int:
        utilities = self.sdk.UtilitiesApi(self.api_client)
        retries = 0
        status = None
        while retries <= 10 and status not in ("Completed", "Error"):
            retries += 1
            time.sleep(5 + retries)
            status = utilities.get_task_status(id=task_id).task_status
        _, texts = self.result_texts(task_id)
        assert texts, "no texts"
        return retries + 1


class _Fixed(_Sdk):
    """GET the result every second until it is Completed."""

    def poll(self, task_id: str) -> int:
        gets = 0
        while True:
            completed, texts = self.result_texts(task_id)
            gets += 1
            if completed:
                break
            time.sleep(1.0)
        assert texts, "no texts"
        return gets


POLLERS: dict[str, type[_Ours] | type[_Cli] | type[_Fixed]] = {
    "ours": _Ours,
    "cli": _Cli,
    "fixed": _Fixed,
}


def run_latency(ts: Sequence[float], repeats: int) -> list[Measured]:
    """Every (T, poller, repeat) at once, each on its own task; returns one Measured each.

    Each thread builds its client first (an httpx client loads the CA bundle: tens of ms
    of CPU, which 60 threads would otherwise spend after the clock started); then the
    tasks are injected and every poller starts at once.
    """
    out: list[Measured] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    spread_t = [
        1.0 + 0.1 * (k / (repeats - 1) - 0.5) if repeats > 1 else 1.0 for k in range(repeats)
    ]
    jobs = [(t, f, variant) for t in ts for f in spread_t for variant in VARIANTS]
    ready = threading.Barrier(len(jobs) + 1, timeout=120)
    go = threading.Event()
    tasks: dict[int, tuple[str, float]] = {}  # job -> (task id, completion time)
    with EmulatorProcess() as emu:

        def work(index: int, t: float, factor: float, variant: str) -> None:
            poller = POLLERS[variant](emu.base_url, emu.token)
            try:
                ready.wait()
                go.wait()
                task_id, completes = tasks[index]
                started = time.time()
                gets = poller.poll(task_id)
                now = time.time()
                with lock:
                    out.append(Measured(t, variant, now - completes, gets, now - started))
            except BaseException as exc:
                with lock:
                    errors.append(exc)
            finally:
                poller.close()

        threads = [
            threading.Thread(target=work, args=(i, *job), daemon=True) for i, job in enumerate(jobs)
        ]
        for thread in threads:
            thread.start()
        ready.wait()
        # One round trip for every task, so each poller starts right after its task exists.
        after = [t * f for t, f, _ in jobs]
        ids, created = emu.inject(len(jobs), regions=3, chars=50, latencies=after)
        for index, (task_id, born) in enumerate(zip(ids, created, strict=True)):
            tasks[index] = (task_id, born + after[index])
        go.set()
        for thread in threads:
            thread.join(400)
    if errors:
        raise RuntimeError(f"{len(errors)} pollers failed; first: {errors[0]!r}")
    return out


def latency_rows(measured: Sequence[Measured]) -> list[Row]:
    """Table rows: per T and poller, added latency and GETs; ours judged by the target."""
    rows: list[Row] = []
    for t in sorted({m.t for m in measured}):
        budget = max(0.25, 0.1 * t)
        fixed_gets = [m.gets for m in measured if m.t == t and m.variant == "fixed"]
        for variant in VARIANTS:
            ms = [m for m in measured if m.t == t and m.variant == variant]
            if not ms:
                continue
            added = spread([m.added for m in ms])
            gets = spread([float(m.gets) for m in ms])
            ratio = target = ""
            met: bool | None = None
            if variant == "ours":
                # What a fixed 1 s loop makes in the time ours took: one GET at 0, 1, 2, ...
                allowed = [math.floor(m.elapsed) + 1 + 3 for m in ms]
                worst = max(m.gets - a for m, a in zip(ms, allowed, strict=True))
                ok_latency = added.median <= budget
                ok_gets = worst <= 0
                met = ok_latency and ok_gets
                target = f"<= {budget:.2f} s; GETs <= 1 s loop + 3 ({min(allowed)}-{max(allowed)})"
                ratio = f"{added.median / budget:.2f}x budget; GETs {worst:+d} vs allowed" + (
                    f"; fixed loop made {spread(fixed_gets).median:.0f}" if fixed_gets else ""
                )
            rows.append(
                Row(
                    FIGURE,
                    f"T = {t:g} s (+-5 %)" if len(ms) > 1 else f"T = {t:g} s",
                    LABELS[variant],
                    f"+{added.median:.2f} s, {gets.median:.0f} GETs",
                    fmt_spread(added, "s") + (f"; GETs {gets.low:.0f}-{gets.high:.0f}"),
                    ratio,
                    target,
                    met,
                )
            )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.latency")
    parser.add_argument("--t", type=float, nargs="+", default=[0.5, 2.0, 10.0, 60.0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    measured = run_latency(args.t, args.repeats)
    json.dump([asdict(m) for m in measured], sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
