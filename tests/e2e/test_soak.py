"""Soak: ``fetch_many`` over 10,000 Completed tasks with 2 % of the answers faulted (seeded).

Every result comes back, once, in order, with the right text; the retries seen equal the
faults served (each fault cost one retry and was survived). Memory is flat: the process's
resident memory grows by no more than the results themselves (their deep size) plus a
fixed allowance that does not depend on the number of tasks. The figures (time, retries,
memory) are printed; run with ``-s`` to see them.
"""

from __future__ import annotations

import gc
import os
import resource
import sys
import time
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from typing import Any

import pytest

from ocr_notebook import OCRClient, OCRResult, PollEvent, PollPolicy
from ocr_notebook.emulator import Emulator
from tests.support.credentials import TEST_CLIENT_ID, TEST_CLIENT_SECRET

TASKS = 10_000
# 2 % of GETs in all: throttling, gateway errors, dropped connections.
FAULTS = "get:429=0@0.006,get:502@0.004,get:503=0@0.004,get:500@0.002,get:drop@0.004,seed=2024"
POLICY = PollPolicy(first_delay=0.01, max_delay=0.05, retry_delay=0.01, timeout=600.0)
ALLOWANCE_MB = 48.0  # RSS growth allowed beyond the results' own size, whatever TASKS is


@pytest.fixture(scope="module")
def soak_emulator() -> Iterator[Emulator]:
    with Emulator(client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET) as emu:
        yield emu


def _client(emu: Emulator) -> OCRClient:
    return OCRClient(
        emu.base_url,
        client_id=TEST_CLIENT_ID,
        client_secret=TEST_CLIENT_SECRET,
        timeout=10.0,
        poll_policy=POLICY,
    )


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _deep_size(obj: Any, seen: set[int] | None = None) -> int:
    """Bytes held by ``obj`` and everything it references (containers, dataclasses)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, dict):
        size += sum(_deep_size(k, seen) + _deep_size(v, seen) for k, v in obj.items())
    elif isinstance(obj, (list, tuple, set, frozenset)):
        size += sum(_deep_size(item, seen) for item in obj)
    elif is_dataclass(obj) and not isinstance(obj, type):
        size += sum(_deep_size(getattr(obj, f.name), seen) for f in fields(obj))
    return size


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_fetch_many_soak(soak_emulator: Emulator) -> None:
    emu = soak_emulator
    ids = [emu.inject_task(results=[("Text", f"text of task {i}")]) for i in range(TASKS)]
    with _client(emu) as warm:  # load every module and fill the pools before measuring
        warm.fetch_many(ids[:200])
    gc.collect()
    rss_before = _rss()
    emu.faults = FAULTS
    polls: dict[str, int] = {}

    def on_status(event: PollEvent) -> None:
        polls[event.task_id] = event.polls

    started = time.perf_counter()
    try:
        with _client(emu) as client:
            results = client.fetch_many(ids, concurrency=8, on_status=on_status)
    finally:
        plan, emu.faults = emu.faults, None
    elapsed = time.perf_counter() - started
    gc.collect()
    grown = _rss() - rss_before
    assert plan is not None
    # Correct, complete, in order, none duplicated or lost.
    assert len(results) == TASKS
    failed = [r for r in results if not isinstance(r, OCRResult)]
    assert failed == [], failed[:3]
    done = [r for r in results if isinstance(r, OCRResult)]
    assert [r.id for r in done] == ids
    assert len({r.id for r in done}) == TASKS
    assert all(r.texts == [f"text of task {i}"] for i, r in enumerate(done))
    retries = sum(n - 1 for n in polls.values())
    served = plan.total
    results_size = _deep_size(results)
    overhead = grown - results_size
    print(
        f"\nsoak: {TASKS} tasks in {elapsed:.1f} s ({TASKS / elapsed:.0f} tasks/s), "
        f"{served} faults served ({dict(plan.served)}; {served / (TASKS + served):.2%} of GETs), "
        f"{retries} retries; RSS +{grown / 1e6:.1f} MB of which results {results_size / 1e6:.1f} "
        f"MB, overhead {overhead / 1e6:.1f} MB (peak RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB)"
    )
    assert retries == served > 0
    assert 0.01 < served / TASKS < 0.03
    assert overhead < ALLOWANCE_MB * 1e6
