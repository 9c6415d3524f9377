"""When to ask again: pure polling decisions, and the Poller / AsyncPoller that act on them.

The core (:func:`decide_after_response`, :func:`decide_after_failure`) is a pure function
of a :class:`PollPolicy`, the state so far, what the last request gave, the time and a
random number: no I/O, no sleeping, so it is tested table-driven with a fake clock. The
pollers only fetch, report and sleep, with ``sleep`` and ``clock`` injected.

Policy in one paragraph: the first GET goes out at once; after each non-terminal answer
the next one waits ``first_delay * multiplier**(n-1)`` (capped at ``max_delay``), spread
by ``±jitter`` and never shorter than the service's ``Retry-After``. The wait is also
capped, jitter included, by ``max(latency_floor, latency_fraction * elapsed)``: a task
that completes is seen at most ~10 % of the time already waited later (1 s early on),
while no more GETs are made than a fixed 1 s loop plus the first quick ones. Transient failures
(connection errors, timeouts, 429, 5xx) are retried after ``retry_delay * 2**(k-1)``
(capped, jittered, ``Retry-After`` honoured), at most ``max_retries`` in a row. Past the
deadline the last poll has been made at the deadline itself and
:class:`PollingTimeoutError` carries the task id and last status, so the caller can resume;
but only when the service answered last: when the deadline falls inside a run of retries,
or the retries run out, the last failure is raised, carrying the attempts made and the
seconds spent (``errors.after_retries``), because then nothing new is known about the task.
Every failed attempt that is retried (or ends a run of retries) is reported to
``on_status`` too, as a :class:`PollEvent` with ``error`` set.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import math
import random
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Generator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass, replace

from ..results.errors import (
    AuthenticationError,
    FetchCancelledError,
    HTTPStatusError,
    OCRError,
    PollingTimeoutError,
    TaskError,
    TaskFailedError,
    TaskNotFoundError,
    TransportError,
    after_retries,
)
from ..results.models import OCRResult, TaskStatus

__all__ = [
    "DEFAULT_CONCURRENCY",
    "AsyncPoller",
    "Continue",
    "Fail",
    "Finish",
    "PollEvent",
    "PollPolicy",
    "PollResponse",
    "PollState",
    "Poller",
    "async_poll_many",
    "backoff_delay",
    "decide_after_failure",
    "decide_after_response",
    "is_transient",
    "jittered",
    "poll_delay",
    "poll_many",
    "retry_delay",
    "terminal_error",
]

# Requests in flight at most when fetching many tasks. Over a network each request mostly
# waits, so throughput grows with this number (benchmarks/: 16 overlapping GETs fetch about
# 14x faster than one at a time with 50 ms per GET); the v5 API rate-limits only failed
# logins, and 16 stays below httpx's 20 kept-alive connections, so none is reopened.
DEFAULT_CONCURRENCY = 16


@dataclass(frozen=True)
class PollPolicy:
    """How often and how long to poll a task.

    Attributes:
        first_delay: Seconds between the first and the second GET.
        multiplier: Growth of the interval after each non-terminal answer.
        max_delay: Cap of the interval (and of the retry delay).
        timeout: Overall deadline in seconds from the first GET (``math.inf``: none).
        jitter: Relative spread of every delay (0.1 = ±10 %), so many clients desynchronize.
        max_retries: Transient failures in a row tolerated before the error is raised.
        retry_delay: Delay before the first retry of a transient failure; doubles each time.
        latency_fraction: A wait never exceeds this fraction of the time since the first
            GET (jitter included), so a result is in hand at most ~10 % later than it was
            ready.
        latency_floor: ...but that cap is never below this many seconds (nor below
            ``first_delay``), so short tasks are not polled faster than about once a
            second after the first quick polls. ``math.inf`` turns the cap off.
    """

    # Defaults measured by `make bench` (benchmarks/latency.py): with this cap, tasks that
    # complete after 0.5, 10 and 60 s are in hand within max(0.25 s, 10 % of T) using no
    # more GETs than a fixed 1 s loop + 3; plain 1.5x backoff was up to 5 s late at 10 s.
    first_delay: float = 0.2
    multiplier: float = 2.0
    max_delay: float = 5.0
    timeout: float = 600.0
    jitter: float = 0.1
    max_retries: int = 5
    retry_delay: float = 0.5
    latency_fraction: float = 0.1
    latency_floor: float = 1.0

    def __post_init__(self) -> None:
        checks = (
            ("first_delay", self.first_delay >= 0),
            ("multiplier", self.multiplier >= 1),
            ("max_delay", self.max_delay >= self.first_delay),
            ("timeout", self.timeout > 0),
            ("jitter", 0 <= self.jitter < 1),
            ("max_retries", self.max_retries >= 0),
            ("retry_delay", self.retry_delay >= 0),
            ("latency_fraction", self.latency_fraction > 0),
            ("latency_floor", self.latency_floor >= 0),
        )
        for name, ok in checks:
            if not ok:
                raise ValueError(
                    f"PollPolicy.{name}={getattr(self, name)!r} is out of range: need "
                    "first_delay >= 0, multiplier >= 1, max_delay >= first_delay, timeout > 0, "
                    "0 <= jitter < 1, max_retries >= 0, retry_delay >= 0, "
                    "latency_fraction > 0, latency_floor >= 0."
                )


@dataclass(frozen=True)
class PollResponse:
    """What one poll yielded: the parsed result and the ``Retry-After`` the service sent."""

    result: OCRResult
    retry_after: float | None = None


@dataclass(frozen=True)
class PollEvent:
    """Reported to ``on_status`` after every poll response and every transient failure.

    Attributes:
        task_id: The task polled.
        status: Its status in this response; after a failed attempt, the last status the
            service gave (``Unknown`` when it has not answered yet).
        polls: Requests made so far (including failed ones): the attempts.
        elapsed: Seconds since the first request.
        result: The parsed response (None after a failed attempt).
        next_delay: Seconds until the next poll or retry; None when this status is terminal,
            the deadline has passed or the retries ran out.
        error: The failure of this attempt (connection, DNS, timeout, 429, 5xx), or None
            when the service answered.
    """

    task_id: str
    status: TaskStatus
    polls: int
    elapsed: float
    result: OCRResult | None
    next_delay: float | None
    error: OCRError | None = None


@dataclass(frozen=True)
class PollState:
    """Where a poll loop stands. ``failures`` counts transient failures in a row."""

    task_id: str
    started: float
    deadline: float
    polls: int = 0
    failures: int = 0
    last_status: TaskStatus | None = None
    last_result: OCRResult | None = None


@dataclass(frozen=True)
class Continue:
    """Poll again after ``delay`` seconds."""

    delay: float


@dataclass(frozen=True)
class Finish:
    """The task completed: here is its result."""

    result: OCRResult


@dataclass(frozen=True)
class Fail:
    """Stop and raise ``error``."""

    error: OCRError


Decision = Continue | Finish | Fail


# -- pure core ------------------------------------------------------------------------------


def backoff_delay(policy: PollPolicy, answered: int) -> float:
    """Delay after the ``answered``-th non-terminal answer (1-based), before jitter."""
    exponent = max(0, answered - 1)
    # Compare in log space: multiplier**exponent overflows for long polls.
    if policy.first_delay == 0:
        return 0.0
    if policy.multiplier > 1 and exponent * math.log(policy.multiplier) > math.log(
        policy.max_delay / policy.first_delay
    ):
        return policy.max_delay
    return min(policy.max_delay, policy.first_delay * policy.multiplier**exponent)


def poll_delay(policy: PollPolicy, answered: int, elapsed: float) -> float:
    """Delay after the ``answered``-th non-terminal answer, ``elapsed`` s after the first GET.

    The backoff, capped so that the jittered delay stays within
    ``max(latency_floor, latency_fraction * elapsed)`` (but never below ``first_delay``).
    """
    cap = max(policy.latency_floor, policy.latency_fraction * elapsed) / (1.0 + policy.jitter)
    return min(backoff_delay(policy, answered), max(cap, policy.first_delay))


def retry_delay(policy: PollPolicy, failures: int) -> float:
    """Delay before retrying after the ``failures``-th transient failure in a row, before jitter."""
    exponent = min(max(0, failures - 1), 60)
    return min(policy.max_delay, policy.retry_delay * 2.0**exponent)


def jittered(delay: float, jitter: float, u: float) -> float:
    """``delay`` spread uniformly over ``[1 - jitter, 1 + jitter]`` by ``u`` in ``[0, 1)``."""
    return delay * (1.0 + jitter * (2.0 * u - 1.0))


def is_transient(error: OCRError) -> bool:
    """Whether retrying may help: no answer (connect error, timeout), 429, or a 5xx.

    Never an authentication failure, not even the token endpoint's 429 (a login lockout).
    """
    if isinstance(error, TransportError):
        return True
    if isinstance(error, AuthenticationError):
        # Includes the token endpoint's 429 lockout: waiting out its 10 minutes inside a
        # poll would look like a hang, and the fix is the credentials.
        return False
    if isinstance(error, HTTPStatusError) and error.http_status is not None:
        return error.http_status == 429 or 500 <= error.http_status <= 599
    return False


def terminal_error(result: OCRResult, task_id: str) -> TaskError | None:
    """The error a terminal non-Completed status stands for (None otherwise)."""
    if result.status is TaskStatus.ERROR:
        reasons = "; ".join(result.messages) or "the service gave no reason"
        return TaskFailedError(
            f"Task {task_id} failed: {reasons}.",
            task_id=task_id,
            status=result.status.value,
            messages=result.messages,
            result=result,
        )
    if result.status is TaskStatus.NOT_EXIST:
        return TaskNotFoundError(
            f"Task {task_id} does not exist: unknown id, or its result is older than the "
            "24 h retention. Check the id (and the api: a task is only found under its own "
            "operation).",
            task_id=task_id,
            status=result.status.value,
            messages=result.messages,
            result=result,
        )
    return None


def _timeout_error(state: PollState, now: float, cause: str = "") -> PollingTimeoutError:
    # Only after an answer: the service said the task exists and is not finished.
    status = state.last_status.value if state.last_status is not None else None
    elapsed = now - state.started
    seen = f"still {status}" if status else "no status seen"
    return PollingTimeoutError(
        f"Task {state.task_id} {seen} after {elapsed:.1f} s and {state.polls} polls{cause}; "
        f"it goes on on the service: wait for {state.task_id!r} again to resume.",
        task_id=state.task_id,
        status=status,
        elapsed=elapsed,
        polls=state.polls,
    )


def _schedule(
    state: PollState, delay: float, retry_after: float | None, now: float
) -> tuple[PollState, Decision]:
    remaining = state.deadline - now
    if remaining <= 0:
        return state, Fail(_timeout_error(state, now))
    if retry_after is not None:
        if retry_after > remaining:
            # The service asked us not to come back before the deadline.
            return state, Fail(
                _timeout_error(state, now, f" (the service asked to wait {retry_after:.0f} s)")
            )
        delay = max(delay, retry_after)
    # The last poll happens at the deadline, not after it.
    return state, Continue(min(delay, remaining))


def decide_after_response(
    policy: PollPolicy, state: PollState, response: PollResponse, now: float, u: float
) -> tuple[PollState, Decision]:
    """Decide what follows a parsed poll response.

    Args:
        policy: The poll policy.
        state: The state before this response (``polls`` already counts its request).
        response: The parsed response and its ``Retry-After``.
        now: The clock when the response arrived.
        u: A uniform random number in ``[0, 1)`` for jitter.

    Returns:
        The new state and a decision: Finish (Completed), Fail (Error, NotExist, or the
        deadline passed), or Continue after a delay.
    """
    result = response.result
    state = replace(state, failures=0, last_status=result.status, last_result=result)
    if result.status is TaskStatus.COMPLETED:
        return state, Finish(result)
    error = terminal_error(result, state.task_id)
    if error is not None:
        return state, Fail(error)
    # Pending, Processing, or a status this version does not know: ask again later.
    delay = jittered(poll_delay(policy, state.polls, now - state.started), policy.jitter, u)
    return _schedule(state, delay, response.retry_after, now)


def _gave_up(state: PollState, error: OCRError, now: float, *, deadline: bool) -> OCRError:
    assert isinstance(error, (TransportError, HTTPStatusError))  # is_transient says so
    return after_retries(
        error,
        attempts=state.polls,
        elapsed=now - state.started,
        deadline=state.deadline - state.started if deadline else None,
        status=state.last_status.value if state.last_status is not None else None,
        task_id=state.task_id,
    )


def decide_after_failure(
    policy: PollPolicy, state: PollState, error: OCRError, now: float, u: float
) -> tuple[PollState, Decision]:
    """Decide what follows a failed poll request: retry transient failures, up to a bound.

    When the retries run out, or the deadline comes before the next one may be made, the
    decision is to raise this failure, carrying the attempts made and the seconds spent
    (never a ``PollingTimeoutError``: the service did not say the task is unfinished).
    """
    if not is_transient(error):
        return state, Fail(error)
    state = replace(state, failures=state.failures + 1)
    if state.failures > policy.max_retries:
        return state, Fail(_gave_up(state, error, now, deadline=False))
    delay = jittered(retry_delay(policy, state.failures), policy.jitter, u)
    retry_after = getattr(error, "retry_after", None)
    remaining = state.deadline - now
    if remaining <= 0 or (retry_after is not None and retry_after > remaining):
        return state, Fail(_gave_up(state, error, now, deadline=True))
    return _schedule(state, delay, retry_after, now)


# -- the loop, written once ---------------------------------------------------------------


@dataclass(frozen=True)
class _Fetch:
    """Step of the shared loop: make one request, send back PollResponse or OCRError."""


@dataclass(frozen=True)
class _Sleep:
    delay: float


def _loop(
    policy: PollPolicy,
    task_id: str,
    timeout: float | None,
    clock: Callable[[], float],
    rand: Callable[[], float],
    on_status: Callable[[PollEvent], None] | None,
    track: Callable[[PollState], None],
) -> Generator[_Fetch | _Sleep, PollResponse | OCRError | None, OCRResult]:
    started = clock()
    limit = policy.timeout if timeout is None else timeout
    if limit <= 0:
        raise ValueError(f"timeout must be positive, got {limit!r}.")
    state = PollState(task_id=task_id, started=started, deadline=started + limit)
    while True:
        state = replace(state, polls=state.polls + 1)
        track(state)
        outcome = yield _Fetch()
        now = clock()
        if isinstance(outcome, PollResponse):
            state, decision = decide_after_response(policy, state, outcome, now, rand())
            track(state)
            if on_status is not None:
                on_status(
                    PollEvent(
                        task_id=task_id,
                        status=outcome.result.status,
                        polls=state.polls,
                        elapsed=now - started,
                        result=outcome.result,
                        next_delay=decision.delay if isinstance(decision, Continue) else None,
                    )
                )
        else:
            assert isinstance(outcome, OCRError)
            state, decision = decide_after_failure(policy, state, outcome, now, rand())
            track(state)
            if on_status is not None and is_transient(outcome):
                on_status(
                    PollEvent(
                        task_id=task_id,
                        status=state.last_status or TaskStatus.UNKNOWN,
                        polls=state.polls,
                        elapsed=now - started,
                        result=None,
                        next_delay=decision.delay if isinstance(decision, Continue) else None,
                        error=outcome,
                    )
                )
        if isinstance(decision, Finish):
            return decision.result
        if isinstance(decision, Fail):
            if decision.error is outcome:
                raise decision.error
            raise decision.error from (outcome if isinstance(outcome, OCRError) else None)
        yield _Sleep(decision.delay)


class _PollerBase:
    def __init__(
        self,
        task_id: str,
        *,
        policy: PollPolicy | None,
        timeout: float | None,
        on_status: Callable[[PollEvent], None] | None,
        clock: Callable[[], float],
        rand: Callable[[], float],
    ) -> None:
        self._task_id = task_id
        self._policy = policy or PollPolicy()
        self._timeout = timeout
        self._on_status = on_status
        self._clock = clock
        self._rand = rand
        self._state: PollState | None = None
        self._result: OCRResult | None = None
        self._error: BaseException | None = None
        self._cancel_requested = False
        self._started = False

    @property
    def task_id(self) -> str:
        """The task being polled."""
        return self._task_id

    @property
    def policy(self) -> PollPolicy:
        """The poll policy in use."""
        return self._policy

    def status(self) -> TaskStatus | None:
        """The last status seen (None before the first answer)."""
        return None if self._state is None else self._state.last_status

    @property
    def polls(self) -> int:
        """Requests made so far."""
        return 0 if self._state is None else self._state.polls

    @property
    def last_result(self) -> OCRResult | None:
        """The last response parsed."""
        return None if self._state is None else self._state.last_result

    def done(self) -> bool:
        """Whether polling has ended (result, error or cancellation)."""
        return self._result is not None or self._error is not None

    def _track(self, state: PollState) -> None:
        self._state = state

    def _new_loop(self) -> Generator[_Fetch | _Sleep, PollResponse | OCRError | None, OCRResult]:
        if self._started:
            raise RuntimeError("A poller runs once; create another to poll again.")
        self._started = True
        return _loop(
            self._policy,
            self._task_id,
            self._timeout,
            self._clock,
            self._rand,
            self._on_status,
            self._track,
        )

    def _cancelled_error(self) -> FetchCancelledError:
        status = self.status()
        return FetchCancelledError(
            f"Polling of task {self._task_id} was cancelled"
            + (f" (last status {status.value})" if status else "")
            + "; the task goes on on the service.",
            task_id=self._task_id,
            status=status.value if status else None,
        )

    def _finished(self) -> OCRResult:
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def _advance(
        self,
        loop: Generator[_Fetch | _Sleep, PollResponse | OCRError | None, OCRResult],
        outcome: PollResponse | OCRError | None,
    ) -> _Fetch | _Sleep | None:
        """The loop's next step after ``outcome`` (None when it has ended with a result).

        Raises:
            OCRError: the error that ended polling (kept for later ``result()`` calls).
            FetchCancelledError: :meth:`cancel` was called.
        """
        try:
            step = next(loop) if outcome is None else loop.send(outcome)
        except StopIteration as stop:
            self._result = stop.value
            return None
        except OCRError as exc:
            self._error = exc
            raise
        if self._cancel_requested:
            raise self._cancelled_error()
        return step


class Poller(_PollerBase):
    """Polls one task until a terminal status, in the calling thread.

    Args:
        fetch: Makes one poll request; raises ``OCRError`` on failure.
        task_id: The task polled (for events and errors).
        policy: Poll policy (default ``PollPolicy()``).
        timeout: Overrides ``policy.timeout``.
        on_status: Called with a :class:`PollEvent` after every poll response and every
            transient failure (``event.error`` set).
        sleep: ``time.sleep``-like; default waits on an event that :meth:`cancel` sets.
        clock: Monotonic clock in seconds.
        rand: Uniform ``[0, 1)`` source for jitter.
    """

    def __init__(
        self,
        fetch: Callable[[], PollResponse],
        *,
        task_id: str,
        policy: PollPolicy | None = None,
        timeout: float | None = None,
        on_status: Callable[[PollEvent], None] | None = None,
        sleep: Callable[[float], object] | None = None,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        super().__init__(
            task_id, policy=policy, timeout=timeout, on_status=on_status, clock=clock, rand=rand
        )
        self._fetch = fetch
        self._cancel_event = threading.Event()
        self._sleep = sleep if sleep is not None else self._cancel_event.wait

    def cancel(self) -> None:
        """Stop polling at the next opportunity (thread-safe); ``result`` then raises."""
        self._cancel_requested = True
        self._cancel_event.set()

    def result(self) -> OCRResult:
        """Poll to the end and return the Completed result.

        Raises:
            TaskFailedError: the task ended with status Error.
            TaskNotFoundError: the service answered NotExist.
            PollingTimeoutError: the deadline passed (carries task id, last status, polls).
            FetchCancelledError: :meth:`cancel` was called.
            OCRError: a non-transient failure, or too many transient ones in a row.
        """
        if self.done():
            return self._finished()
        loop = self._new_loop()
        try:
            step = self._advance(loop, None)
            while step is not None:
                outcome: PollResponse | OCRError | None = None
                if isinstance(step, _Sleep):
                    self._sleep(step.delay)
                else:
                    try:
                        outcome = self._fetch()
                    except OCRError as exc:
                        outcome = exc
                step = self._advance(loop, outcome)
            return self._finished()
        finally:
            loop.close()


class AsyncPoller(_PollerBase):
    """Polls one task until a terminal status on the running event loop. Awaitable.

    Same arguments as :class:`Poller`, with ``fetch`` and ``sleep`` coroutine functions.
    Cancelling the awaiting task also stops it.
    """

    def __init__(
        self,
        fetch: Callable[[], Awaitable[PollResponse]],
        *,
        task_id: str,
        policy: PollPolicy | None = None,
        timeout: float | None = None,
        on_status: Callable[[PollEvent], None] | None = None,
        sleep: Callable[[float], Awaitable[object]] | None = None,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        super().__init__(
            task_id, policy=policy, timeout=timeout, on_status=on_status, clock=clock, rand=rand
        )
        self._fetch = fetch
        self._sleep = sleep
        self._wakeup: asyncio.Event | None = None

    def cancel(self) -> None:
        """Stop polling at the next opportunity (call from the poller's event loop)."""
        self._cancel_requested = True
        if self._wakeup is not None:
            self._wakeup.set()

    async def _pause(self, delay: float) -> None:
        if self._sleep is not None:
            await self._sleep(delay)
            return
        if self._wakeup is None:
            self._wakeup = asyncio.Event()
        if self._cancel_requested:
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), timeout=delay)

    async def result(self) -> OCRResult:
        """Poll to the end and return the Completed result (raises as ``Poller.result``)."""
        if self.done():
            return self._finished()
        loop = self._new_loop()
        try:
            step = self._advance(loop, None)
            while step is not None:
                outcome: PollResponse | OCRError | None = None
                if isinstance(step, _Sleep):
                    await self._pause(step.delay)
                else:
                    try:
                        outcome = await self._fetch()
                    except OCRError as exc:
                        outcome = exc
                step = self._advance(loop, outcome)
            return self._finished()
        finally:
            loop.close()

    def __await__(self) -> Generator[object, None, OCRResult]:
        return self.result().__await__()


# -- many tasks at once ---------------------------------------------------------------------


def _attempt(fetch: Callable[[str], PollResponse], task_id: str) -> PollResponse | OCRError:
    try:
        return fetch(task_id)
    except OCRError as exc:
        return exc


def poll_many(
    task_ids: Sequence[str],
    fetch: Callable[[str], PollResponse],
    *,
    executor: Executor,
    concurrency: int,
    policy: PollPolicy | None = None,
    timeout: float | None = None,
    on_status: Callable[[PollEvent], None] | None = None,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rand: Callable[[], float] = random.random,
) -> list[OCRResult | OCRError]:
    """Poll many tasks to the end with at most ``concurrency`` requests in flight.

    Every task runs the same loop as :class:`Poller`; one coordinator (the calling thread)
    keeps a timer per task and hands due requests to ``executor``, so ``on_status`` is
    called on the calling thread and a task that waits does not hold a worker.

    Returns:
        One slot per task id, in input order: its Completed result, or the error that
        ended it (``TaskFailedError``, ``TaskNotFoundError``, ``PollingTimeoutError``, ...).
    """
    chosen = policy or PollPolicy()
    count = len(task_ids)
    out: list[OCRResult | OCRError | None] = [None] * count
    loops = [
        _loop(chosen, tid, timeout, clock, rand, on_status, lambda _state: None) for tid in task_ids
    ]
    ready: deque[int] = deque()
    timers: list[tuple[float, int]] = []
    inflight: dict[Future[PollResponse | OCRError], int] = {}

    def advance(index: int, outcome: PollResponse | OCRError | None) -> None:
        try:
            step = next(loops[index]) if outcome is None else loops[index].send(outcome)
        except StopIteration as stop:
            out[index] = stop.value
            return
        except OCRError as exc:
            out[index] = exc
            return
        if isinstance(step, _Sleep):
            heapq.heappush(timers, (clock() + step.delay, index))
        else:
            ready.append(index)

    for index in range(count):
        advance(index, None)  # starts each task's clock, all at once as the async version does
    try:
        while ready or timers or inflight:
            now = clock()
            while timers and timers[0][0] <= now:
                index = heapq.heappop(timers)[1]
                advance(index, None)  # wake from _Sleep: the loop asks for the next fetch
            while ready and len(inflight) < concurrency:
                index = ready.popleft()
                inflight[executor.submit(_attempt, fetch, task_ids[index])] = index
            if inflight:
                wait_for = None
                if not ready and timers:
                    wait_for = max(0.0, timers[0][0] - clock())
                done, _ = futures_wait(inflight, timeout=wait_for, return_when=FIRST_COMPLETED)
                for future in done:
                    advance(inflight.pop(future), future.result())
            elif timers and not ready:
                sleep(max(0.0, timers[0][0] - clock()))
    except BaseException:
        for future in inflight:
            future.cancel()
        raise
    finally:
        for loop in loops:
            loop.close()
    return [slot for slot in out if slot is not None]


async def async_poll_many(
    task_ids: Sequence[str],
    fetch: Callable[[str], Awaitable[PollResponse]],
    *,
    concurrency: int,
    policy: PollPolicy | None = None,
    timeout: float | None = None,
    on_status: Callable[[PollEvent], None] | None = None,
    sleep: Callable[[float], Awaitable[object]] | None = None,
    clock: Callable[[], float] = time.monotonic,
    rand: Callable[[], float] = random.random,
) -> list[OCRResult | OCRError]:
    """Async :func:`poll_many`: one :class:`AsyncPoller` per task, a semaphore per request."""
    gate = asyncio.Semaphore(concurrency)

    async def limited(task_id: str) -> PollResponse:
        async with gate:
            return await fetch(task_id)

    async def one(task_id: str) -> OCRResult | OCRError:
        poller = AsyncPoller(
            lambda: limited(task_id),
            task_id=task_id,
            policy=policy,
            timeout=timeout,
            on_status=on_status,
            sleep=sleep,
            clock=clock,
            rand=rand,
        )
        try:
            return await poller.result()
        except OCRError as exc:
            return exc

    return list(await asyncio.gather(*(one(tid) for tid in task_ids)))
