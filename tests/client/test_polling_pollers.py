"""Poller, AsyncPoller and the many-task loops over scripted fetches and a fake clock."""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ocr_notebook import (
    AsyncPoller,
    FetchCancelledError,
    HTTPStatusError,
    OCRError,
    OCRResult,
    Poller,
    PollEvent,
    PollingTimeoutError,
    PollPolicy,
    TaskFailedError,
    TaskStatus,
    TransportError,
)
from ocr_notebook.client.polling import PollResponse, async_poll_many, poll_many
from tests.support.clock import FakeClock

TASK = "b7162f77-bf10-407d-86de-ee255e422ca7"
# The plain 1.5x backoff these schedules were written for (the latency cap is tested in
# test_polling.py).
POLICY = PollPolicy(jitter=0.0, multiplier=1.5, latency_floor=math.inf)


def response(status: str, task: str = TASK) -> PollResponse:
    return PollResponse(OCRResult.from_response({"id": task, "taskStatus": status}))


def scripted(steps: list[Any]) -> tuple[Callable[[], PollResponse], list[int]]:
    calls = [0]

    def fetch() -> PollResponse:
        step = steps[min(calls[0], len(steps) - 1)]
        calls[0] += 1
        if isinstance(step, Exception):
            raise step
        assert isinstance(step, PollResponse)
        return step

    return fetch, calls


def test_poller_reports_every_poll() -> None:
    clock = FakeClock(0.0)
    fetch, calls = scripted(
        [response("Pending"), TransportError("blip"), response("Processing"), response("Completed")]
    )
    events: list[PollEvent] = []
    poller = Poller(
        fetch, task_id=TASK, policy=POLICY, on_status=events.append, sleep=clock.sleep, clock=clock
    )
    assert poller.status() is None and not poller.done()
    final = poller.result()
    assert final.status is TaskStatus.COMPLETED
    assert calls[0] == 4
    assert clock.sleeps == pytest.approx([0.2, 0.5, 0.45])
    # The failed request is reported too, with its error and the last status seen.
    assert [(e.status.value, e.polls, e.next_delay) for e in events] == [
        ("Pending", 1, pytest.approx(0.2)),
        ("Pending", 2, pytest.approx(0.5)),
        ("Processing", 3, pytest.approx(0.45)),
        ("Completed", 4, None),
    ]
    assert [str(e.error) if e.error else None for e in events] == [None, "blip", None, None]
    assert [e.result is None for e in events] == [False, True, False, False]
    assert [e.elapsed for e in events] == pytest.approx([0.0, 0.2, 0.7, 1.15])
    assert poller.done() and poller.status() is TaskStatus.COMPLETED and poller.polls == 4
    assert poller.result() is final  # cached; no more requests
    assert calls[0] == 4


def test_poller_error_is_kept() -> None:
    clock = FakeClock(0.0)
    fetch, calls = scripted(
        [
            PollResponse(
                OCRResult.from_response(
                    {"id": TASK, "taskStatus": "Error", "error": {"messages": ["no"]}}
                )
            )
        ]
    )
    poller = Poller(fetch, task_id=TASK, policy=POLICY, sleep=clock.sleep, clock=clock)
    with pytest.raises(TaskFailedError):
        poller.result()
    with pytest.raises(TaskFailedError):
        poller.result()
    assert calls[0] == 1 and poller.done()


def test_timeout_argument_overrides_policy() -> None:
    clock = FakeClock(0.0)
    fetch, calls = scripted([response("Pending")])
    poller = Poller(fetch, task_id=TASK, policy=POLICY, timeout=1.0, sleep=clock.sleep, clock=clock)
    with pytest.raises(PollingTimeoutError) as info:
        poller.result()
    # GETs at 0, 0.2, 0.5, 0.95 and at the deadline 1.0.
    assert calls[0] == 5
    assert info.value.polls == 5 and info.value.elapsed == pytest.approx(1.0)
    assert isinstance(info.value, TimeoutError)


def test_timeout_must_be_positive() -> None:
    fetch, _ = scripted([response("Pending")])
    with pytest.raises(ValueError, match="timeout"):
        Poller(fetch, task_id=TASK, timeout=0).result()


def test_retry_exhaustion_chains_nothing_odd() -> None:
    clock = FakeClock(0.0)
    fetch, calls = scripted([HTTPStatusError("down", http_status=503)])
    poller = Poller(
        fetch,
        task_id=TASK,
        policy=PollPolicy(jitter=0, max_retries=2),
        sleep=clock.sleep,
        clock=clock,
    )
    with pytest.raises(HTTPStatusError, match="down"):
        poller.result()
    assert calls[0] == 3
    assert clock.sleeps == [0.5, 1.0]


def test_cancel_from_another_thread_wakes_the_sleep() -> None:
    fetch, calls = scripted([response("Pending")])
    polled = threading.Event()

    def fetch_and_tell() -> PollResponse:
        polled.set()
        return fetch()

    poller = Poller(
        fetch_and_tell,
        task_id=TASK,
        policy=PollPolicy(first_delay=30, max_delay=30, jitter=0),
    )
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            poller.result()
        except OCRError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    assert polled.wait(10)
    poller.cancel()
    thread.join(10)
    assert not thread.is_alive()  # woke up well before its 30 s delay
    assert isinstance(outcome[0], FetchCancelledError)
    assert outcome[0].status == "Pending" and outcome[0].task_id == TASK
    assert calls[0] == 1


def test_poller_runs_once() -> None:
    fetch, _ = scripted([response("Pending")])
    poller = Poller(fetch, task_id=TASK, on_status=lambda e: (_ for _ in ()).throw(KeyError("cb")))
    with pytest.raises(KeyError):
        poller.result()
    with pytest.raises(RuntimeError, match="runs once"):
        poller.result()


def test_async_poller_is_awaitable() -> None:
    clock = FakeClock(0.0)
    steps = [response("Pending"), response("Pending"), response("Completed")]
    index = [0]

    async def fetch() -> PollResponse:
        index[0] += 1
        return steps[index[0] - 1]

    events: list[PollEvent] = []

    async def main() -> OCRResult:
        return await AsyncPoller(
            fetch,
            task_id=TASK,
            policy=POLICY,
            on_status=events.append,
            sleep=clock.asleep,
            clock=clock,
        )

    assert asyncio.run(main()).status is TaskStatus.COMPLETED
    assert clock.sleeps == pytest.approx([0.2, 0.3])
    assert [e.status.value for e in events] == ["Pending", "Pending", "Completed"]


def test_async_poller_cancel_wakes_the_sleep() -> None:
    async def fetch() -> PollResponse:
        return response("Processing")

    async def main() -> BaseException:
        poller = AsyncPoller(fetch, task_id=TASK, policy=PollPolicy(first_delay=30, max_delay=30))
        task = asyncio.ensure_future(poller.result())
        while poller.polls == 0 or poller.status() is None:
            await asyncio.sleep(0)
        poller.cancel()
        try:
            await asyncio.wait_for(task, 10)
        except FetchCancelledError as exc:
            return exc
        raise AssertionError("not cancelled")

    err = asyncio.run(main())
    assert isinstance(err, FetchCancelledError) and err.status == "Processing"


def test_async_task_cancellation_propagates() -> None:
    async def fetch() -> PollResponse:
        return response("Pending")

    async def main() -> None:
        task = asyncio.ensure_future(AsyncPoller(fetch, task_id=TASK).result())
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


# -- many tasks ------------------------------------------------------------------------------


def ids(n: int) -> list[str]:
    return [f"{i:08x}-0000-4000-8000-000000000000" for i in range(n)]


def many_script(task_id: str) -> list[Any]:
    """Task i: i Pending answers, then Completed; task 3 fails; task 4 is flaky once."""
    n = int(task_id[:8], 16)
    if n == 3:
        return [response("Error", task_id)]
    if n == 4:
        return [TransportError("flaky"), response("Completed", task_id)]
    return [response("Pending", task_id)] * n + [response("Completed", task_id)]


class ManyService:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: dict[str, int] = {}
        self.inflight = 0
        self.max_inflight = 0

    def step(self, task_id: str) -> PollResponse:
        with self.lock:
            n = self.calls.get(task_id, 0)
            self.calls[task_id] = n + 1
        script = many_script(task_id)
        item = script[min(n, len(script) - 1)]
        if isinstance(item, Exception):
            raise item
        assert isinstance(item, PollResponse)
        return item

    def fetch(self, task_id: str) -> PollResponse:
        with self.lock:
            self.inflight += 1
            self.max_inflight = max(self.max_inflight, self.inflight)
        try:
            threading.Event().wait(0.002)  # let requests overlap
            return self.step(task_id)
        finally:
            with self.lock:
                self.inflight -= 1


def check_many(
    slots: list[OCRResult | OCRError], service: ManyService, events: list[PollEvent]
) -> None:
    assert len(slots) == 8
    for i, slot in enumerate(slots):
        if i == 3:
            assert isinstance(slot, TaskFailedError)
        else:
            assert isinstance(slot, OCRResult) and slot.id == ids(8)[i], slot
    assert service.max_inflight <= 3
    assert service.calls[ids(8)[7]] == 8
    assert sum(1 for e in events if e.status is TaskStatus.COMPLETED) == 7


def test_poll_many_threads() -> None:
    clock = FakeClock(0.0)
    service = ManyService()
    events: list[PollEvent] = []
    caller = threading.get_ident()
    threads: set[int] = set()

    def on_status(event: PollEvent) -> None:
        threads.add(threading.get_ident())
        events.append(event)

    with ThreadPoolExecutor(3) as pool:
        slots = poll_many(
            ids(8),
            service.fetch,
            executor=pool,
            concurrency=3,
            policy=POLICY,
            on_status=on_status,
            sleep=clock.sleep,
            clock=clock,
        )
    check_many(slots, service, events)
    assert threads == {caller}  # callbacks on the calling thread
    # The tasks wait side by side: total fake time is one task's schedule, not the sum.
    assert 6.4 < sum(clock.sleeps) < 7.0


def test_async_poll_many() -> None:
    clock = FakeClock(0.0)
    service = ManyService()
    events: list[PollEvent] = []

    async def fetch(task_id: str) -> PollResponse:
        with service.lock:
            service.inflight += 1
            service.max_inflight = max(service.max_inflight, service.inflight)
        try:
            await asyncio.sleep(0.002)
            return service.step(task_id)
        finally:
            with service.lock:
                service.inflight -= 1

    slots = asyncio.run(
        async_poll_many(
            ids(8),
            fetch,
            concurrency=3,
            policy=POLICY,
            on_status=events.append,
            sleep=clock.asleep,
            clock=clock,
        )
    )
    check_many(slots, service, events)


def test_poll_many_timeout_in_its_slot() -> None:
    clock = FakeClock(0.0)

    def fetch(task_id: str) -> PollResponse:
        return response("Pending" if task_id.startswith("00000000") else "Completed", task_id)

    with ThreadPoolExecutor(2) as pool:
        slots = poll_many(
            ids(2),
            fetch,
            executor=pool,
            concurrency=2,
            policy=POLICY,
            timeout=2.0,
            sleep=clock.sleep,
            clock=clock,
        )
    assert isinstance(slots[0], PollingTimeoutError) and slots[0].task_id == ids(2)[0]
    assert isinstance(slots[1], OCRResult)
