"""The fault matrix for ``OCRClient`` and ``AsyncOCRClient``, against the fault-injecting emulator.

Every fault of ``tests.support.faults.ROWS``, on the first GET only and on every GET: the result
after retries, or the typed error, reached within the poll deadline (plus one request
timeout). Then ``DEADLINE_ROWS``: a dead port, a host name that never resolves, 503 and 429
to every GET, with retries that would go on: the deadline stops them and the last failure
is raised with its attempts, never a ``PollingTimeoutError``. Then interruption: a real SIGINT during a stalled request (sync), and
``task.cancel()`` during a stall and during a ``Retry-After`` wait (async).
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ocr_notebook import (
    AsyncOCRClient,
    HTTPStatusError,
    OCRClient,
    OCRError,
    OCRResult,
    PollingTimeoutError,
    ResponseStatusCode,
    TransportError,
)
from ocr_notebook.client.polling import PollEvent
from ocr_notebook.results.errors import failure_reason
from tests.support.credentials import TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.support.faults import (
    CASE_IDS,
    CASES,
    DEADLINE,
    DEADLINE_IDS,
    DEADLINE_ROWS,
    ENDLESS_RETRIES,
    RELAXED_TIMEOUT,
    TEXTS,
    DeadlineRow,
    Expect,
    Row,
    async_client,
    faults,
    interrupt_main_thread,
    matrix_markdown,
    policy,
    sync_client,
    task,
    when,
)

if TYPE_CHECKING:
    from ocr_notebook.emulator import Emulator, FaultPlan


def _check(outcome: OCRResult | OCRError, row: Row, mode: str, plan: FaultPlan) -> None:
    expect: Expect = row.expect(mode)
    assert plan.served[row.kind] >= 1, plan  # the fault was really served
    if mode == "once":
        assert plan.served[row.kind] == 1
    if expect.ok:
        assert isinstance(outcome, OCRResult), repr(outcome)
        assert tuple(outcome.texts) == TEXTS
        if row.kind == "unknown-code":
            assert outcome.response_status_code is ResponseStatusCode.UNKNOWN
            assert outcome.response_status_code_raw == "QuotaWobble"
        return
    assert expect.error is not None
    assert isinstance(outcome, expect.error), repr(outcome)
    assert expect.says in str(outcome)
    assert outcome.task_id is not None or expect.error.__name__ == "TransportError"
    assert "\n" not in str(outcome)


@pytest.mark.parametrize(("row", "mode"), CASES, ids=CASE_IDS)
def test_sync_client(emulator: Emulator, row: Row, mode: str) -> None:
    tid = task(emulator)
    with (
        faults(emulator, row.spec(mode)) as plan,
        sync_client(emulator, row.deadline(mode), timeout=row.request_timeout) as c,
    ):
        try:
            outcome: OCRResult | OCRError = c.wait(tid)
        except OCRError as exc:
            outcome = exc
    _check(outcome, row, mode, plan)


@pytest.mark.parametrize(("row", "mode"), CASES, ids=CASE_IDS)
def test_async_client(emulator: Emulator, row: Row, mode: str) -> None:
    tid = task(emulator)

    async def fetch() -> OCRResult | OCRError:
        async with async_client(emulator, row.deadline(mode), timeout=row.request_timeout) as c:
            try:
                return await c.wait(tid)
            except OCRError as exc:
                return exc

    with faults(emulator, row.spec(mode)) as plan:
        outcome = asyncio.run(fetch())
    _check(outcome, row, mode, plan)


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize("row", DEADLINE_ROWS, ids=DEADLINE_IDS)
def test_deadline_reached_during_retries(
    emulator: Emulator, row: DeadlineRow, flavour: str
) -> None:
    tid = task(emulator)
    url = row.base_url(emulator)
    options = {
        "client_id": TEST_CLIENT_ID,
        "client_secret": TEST_CLIENT_SECRET,
        "timeout": RELAXED_TIMEOUT,
        "poll_policy": policy(DEADLINE, max_retries=ENDLESS_RETRIES),
    }
    events: list[PollEvent] = []

    async def wait_async() -> OCRResult:
        async with AsyncOCRClient(url, **options) as c:  # type: ignore[arg-type]
            return await c.wait(tid, on_status=events.append)

    served = faults(emulator, row.target) if row.needs_emulator else contextlib.nullcontext()
    with served as plan:
        try:
            if flavour == "sync":
                with OCRClient(url, **options) as c:  # type: ignore[arg-type]
                    c.wait(tid, on_status=events.append)
            else:
                asyncio.run(wait_async())
        except OCRError as exc:
            error: OCRError = exc
        else:
            pytest.fail("no error")
    assert isinstance(error, row.error) and not isinstance(error, PollingTimeoutError)
    assert isinstance(error, (TransportError, HTTPStatusError))
    assert failure_reason(error) == row.reason
    assert error.url == url and error.task_id == tid
    assert error.status is None  # the service never said anything about the task
    assert error.deadline == DEADLINE
    assert error.attempts is not None and error.attempts >= 2
    assert error.elapsed is not None and error.elapsed >= DEADLINE  # the last try at the deadline
    assert f"Stopped at the {DEADLINE:g} s deadline after {error.attempts} attempts" in str(error)
    # Every attempt was reported as it failed, the last with no next attempt.
    assert [e.polls for e in events] == list(range(1, error.attempts + 1))
    assert all(e.error is not None and failure_reason(e.error) == row.reason for e in events)
    assert all(e.next_delay is not None for e in events[:-1]) and events[-1].next_delay is None
    if plan is not None:
        assert plan.served[row.kind] == error.attempts


def test_a_token_endpoint_that_never_answers_names_its_url_and_the_task(emulator: Emulator) -> None:
    # The notebook layer's line, from a client test: the error alone must carry what it says.
    from ocr_notebook.notebook.messages import one_line

    tid = task(emulator)
    with (
        faults(emulator, "token:503=0") as plan,
        sync_client(emulator, 30.0) as c,
        pytest.raises(HTTPStatusError) as info,
    ):
        c.wait(tid)
    error = info.value
    assert plan.served["503"] == error.attempts == 6  # every attempt asked for a token
    assert (error.url, error.task_id) == (f"{emulator.base_url}/connect/token", tid)
    assert one_line(error).startswith(
        f"No usable answer from {emulator.base_url}/connect/token in 6 attempts over "
    )


def test_fetch_many_keeps_every_result_through_mixed_faults(emulator: Emulator) -> None:
    ids = [task(emulator) for _ in range(40)]
    # One token expires early mid-run (every request in flight then gets a 401 and renews);
    # throttling, gateway errors, drops and truncations hit a seeded 20 % of the GETs (six
    # in a row for one task, which would exhaust its retries: 0.2**6, about 1 in 15,000).
    spec = "get:expired-token@7,get:429=0@0.06,get:502@0.06,get:drop@0.04,get:truncate@0.04,seed=3"
    # A generous request timeout: a slow answer on a busy machine is not one of the faults.
    with faults(emulator, spec) as plan, sync_client(emulator, 30.0, timeout=10.0) as c:
        got = c.fetch_many(ids, concurrency=4)
    assert plan.served["expired-token"] == 1 and plan.total > 1
    assert [r for r in got if not isinstance(r, OCRResult)] == []
    assert [r.id for r in got if isinstance(r, OCRResult)] == ids
    assert all(tuple(r.texts) == TEXTS for r in got if isinstance(r, OCRResult))


# -- interruption and cancellation -------------------------------------------------------------


def test_keyboard_interrupt_during_a_stalled_request_sync(emulator: Emulator) -> None:
    """A real SIGINT while the sync client is blocked reading a stalled response."""
    tid = task(emulator)
    with faults(emulator, "get:stall=5@1") as plan, sync_client(emulator, 30.0, timeout=30.0) as c:
        when(lambda: plan.stalling == 1, interrupt_main_thread)
        with pytest.raises(KeyboardInterrupt):
            c.wait(tid)
        # The interrupt ended the wait while the server was still stalling: nobody waited it out.
        assert plan.stalling == 1
        assert plan.served["stall"] == 1
    # The client is still usable afterwards (a fresh connection).
    with sync_client(emulator, 5.0) as again:
        assert tuple(again.wait(tid).texts) == TEXTS


def test_keyboard_interrupt_during_a_retry_after_wait_sync(emulator: Emulator) -> None:
    tid = task(emulator)
    with faults(emulator, "get:429=20@1") as plan, sync_client(emulator, 60.0) as c:
        polls: list[int] = []
        # The failed attempt is reported just before the 20 s wait: interrupt it then.
        when(lambda: len(polls) == 1, interrupt_main_thread)
        with pytest.raises(KeyboardInterrupt):
            c.wait(tid, on_status=lambda e: polls.append(e.polls))
        assert plan.requests == 2  # the token and one GET: interrupted in the 20 s wait
        assert polls == [1]


@pytest.mark.parametrize("spec", ["get:stall=5@1", "get:429=20@1", "get:drop"])
def test_task_cancel_during_a_fault_async(emulator: Emulator, spec: str) -> None:
    tid = task(emulator)

    async def scenario(plan: FaultPlan) -> tuple[bool, int, int]:
        async with async_client(emulator, 60.0, timeout=30.0) as c:
            fetch = asyncio.create_task(c.wait(tid))
            while plan.total == 0:
                await asyncio.sleep(0.005)
            stalling = plan.stalling
            fetch.cancel()
            with pytest.raises(asyncio.CancelledError):
                await fetch
            return fetch.cancelled(), stalling, plan.stalling

    with faults(emulator, spec) as plan:
        cancelled, stalling_at_cancel, stalling_after = asyncio.run(scenario(plan))
    assert cancelled
    if "stall" in spec:
        assert stalling_at_cancel == 1 and stalling_after == 1  # did not wait the stall out


def test_the_readme_table_is_the_tested_matrix() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    start, end = "<!-- fault-matrix:start -->\n", "\n<!-- fault-matrix:end -->"
    assert start in readme and end in readme
    table = readme.split(start, 1)[1].split(end, 1)[0]
    assert table == matrix_markdown()
