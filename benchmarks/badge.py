"""Figure 5, badge traffic: comm messages a status badge sends per second while polling.

The comm layer is recorded as ipywidgets' own tests do it: ``comm.create_comm`` returns
a comm that keeps every message a widget sends, stamped with the real clock. The badge
is driven by a real fetch against the emulator (in its own process), through the same
runners the magic and the widget use:

* one task, polled at the fastest interval there is (``first_delay = max_delay = 0``:
  the next GET as soon as the last answer is in), by the blocking fetch (``%ocr_fetch``);
* 1,000 tasks at once (``%ocr_fetch id1 id2 ...``), same fastest policy, blocking fetch;
* the same 1,000 tasks on an event loop (``--background`` and ``OCRFetchWidget``).

The figure is the most messages in any 1-second window (a sliding window, stricter than
per calendar second).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ocr_notebook import AsyncOCRClient, OCRClient, PollEvent, PollPolicy

from .emulator_process import EmulatorProcess
from .table import Row, fmt_spread, spread

__all__ = ["run_badge"]

FIGURE = "5. Badge traffic"
FASTEST = PollPolicy(first_delay=0.0, max_delay=0.0, timeout=120.0)


@dataclass
class Recorder:
    """Every comm message sent (time, comm id, method), and the comms opened."""

    opened: int = 0
    sent: list[tuple[float, str, str]] = field(default_factory=list)


class RecordingComm:
    """Stands in for a kernel comm: keeps what a widget sends."""

    kernel = "recorded"  # truthy: ipywidgets only sends when its comm has a kernel

    def __init__(self, recorder: Recorder, **kwargs: Any) -> None:
        self.recorder = recorder
        self.comm_id = kwargs.get("comm_id") or uuid.uuid4().hex
        recorder.opened += 1

    def open(self, *args: Any, **kwargs: Any) -> None:
        pass

    def on_msg(self, callback: Any) -> None:
        pass

    def on_close(self, callback: Any) -> None:
        pass

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send(self, data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
        method = data.get("method", "?") if isinstance(data, dict) else "?"
        self.recorder.sent.append((time.monotonic(), self.comm_id, str(method)))


@contextmanager
def recording() -> Iterator[Recorder]:
    """Widgets created inside talk to a :class:`RecordingComm`."""
    import comm

    recorder = Recorder()
    original = comm.create_comm
    # A stand-in, not a BaseComm subclass: ipywidgets only calls the methods it defines.
    comm.create_comm = lambda **kwargs: RecordingComm(recorder, **kwargs)  # type: ignore[assignment]
    try:
        yield recorder
    finally:
        comm.create_comm = original


def max_per_window(times: Sequence[float], window: float = 1.0) -> int:
    """The most timestamps that fall in any half-open interval of ``window`` seconds."""
    ordered = sorted(times)
    best = start = 0
    for end, t in enumerate(ordered):
        while t - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


@dataclass(frozen=True)
class Traffic:
    polls: int
    messages: int
    seconds: float
    peak: int  # most messages in any 1 s window


def _blocking(emu: EmulatorProcess, ids: list[str]) -> Traffic:
    from ocr_notebook.notebook.badge import StatusBadge
    from ocr_notebook.notebook.runner import fetch_blocking

    polls = 0

    def count(_event: PollEvent) -> None:
        nonlocal polls
        polls += 1

    with recording() as recorder:
        badge = StatusBadge(ids)
        created = len(recorder.sent)
        started = time.monotonic()
        with OCRClient(emu.base_url, token=emu.token, poll_policy=FASTEST) as client:
            fetch_blocking(
                client, ids, api="RecognizeRegions", timeout=120, badge=badge, on_event=count
            )
        seconds = time.monotonic() - started
    sent = [t for t, _, _ in recorder.sent[created:]]
    return Traffic(polls, len(sent), seconds, max_per_window(sent))


def _on_loop(emu: EmulatorProcess, ids: list[str]) -> Traffic:
    from ocr_notebook.notebook.badge import StatusBadge
    from ocr_notebook.notebook.runner import fetch_async

    polls = 0

    async def go(badge: Any) -> None:
        nonlocal polls
        observe: Callable[[PollEvent], None] = badge.observe_event

        def count(event: PollEvent) -> None:
            nonlocal polls
            polls += 1
            observe(event)

        badge.observe_event = count  # the runner reports every poll to the badge
        async with AsyncOCRClient(emu.base_url, token=emu.token, poll_policy=FASTEST) as client:
            await fetch_async(client, ids, api="RecognizeRegions", timeout=120, badge=badge)
        await asyncio.sleep(0.3)  # let a trailing redraw scheduled on the loop happen

    with recording() as recorder:
        badge = StatusBadge(ids)
        created = len(recorder.sent)
        started = time.monotonic()
        asyncio.run(go(badge))
        seconds = time.monotonic() - started
    sent = [t for t, _, _ in recorder.sent[created:]]
    return Traffic(polls, len(sent), seconds, max_per_window(sent))


def run_badge(tasks: int, repeats: int, *, latency: float = 3.0) -> list[Row]:
    """Figure 5: one fastest-polled task, then ``tasks`` tasks, blocking and on a loop."""
    cases: list[tuple[str, str, Callable[[EmulatorProcess, list[str]], Traffic], int]] = [
        ("1 task, fastest interval", "%ocr_fetch (blocking)", _blocking, 1),
        (
            f"{tasks:,} tasks, fastest interval",
            "%ocr_fetch id1 id2 ... (blocking)",
            _blocking,
            tasks,
        ),
        (
            f"{tasks:,} tasks, fastest interval",
            "--background / OCRFetchWidget (loop)",
            _on_loop,
            tasks,
        ),
    ]
    rows: list[Row] = []
    with EmulatorProcess() as emu:
        for case, variant, run, count in cases:
            measured: list[Traffic] = []
            for _ in range(repeats):
                # Several tasks: ten groups completing at 0.2, 0.3, ... 1.0 x latency, so
                # statuses change all along; one task: completing after ``latency``.
                ids: list[str] = []
                groups = 1 if count == 1 else 10
                for g in range(groups):
                    size = count // groups + (1 if g < count % groups else 0)
                    after = latency if count == 1 else latency * (g + 2) / 11
                    ids += emu.inject(size, regions=2, chars=40, latency=after)[0]
                measured.append(run(emu, ids))
            peak = spread([float(m.peak) for m in measured])
            rate = spread([m.messages / m.seconds for m in measured])
            polls = spread([float(m.polls) for m in measured])
            messages = spread([float(m.messages) for m in measured])
            rows.append(
                Row(
                    FIGURE,
                    case,
                    variant,
                    f"peak {peak.median:.0f} msg/s (mean {rate.median:.1f}/s, "
                    f"{polls.median:,.0f} polls)",
                    fmt_spread(peak, "msg/s", 0),
                    f"{peak.median / 10:.1f}x budget; {messages.median:.0f} messages for "
                    f"{polls.median:,.0f} polls",
                    "<= 10 msg/s in any 1 s",
                    peak.high <= 10,
                )
            )
    return rows
