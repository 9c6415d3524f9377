"""The pure polling logic, table-driven, with a fake clock: nothing here sleeps."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import pytest

from ocr_notebook import (
    AuthenticationError,
    HTTPStatusError,
    OCRResult,
    PollingTimeoutError,
    PollPolicy,
    RateLimitError,
    ResponseFormatError,
    TaskFailedError,
    TaskNotFoundError,
    TaskStatus,
    TransportError,
)
from ocr_notebook.client.polling import (
    Continue,
    Fail,
    Finish,
    PollResponse,
    PollState,
    backoff_delay,
    decide_after_failure,
    decide_after_response,
    is_transient,
    jittered,
    poll_delay,
    retry_delay,
)

TASK = "b7162f77-bf10-407d-86de-ee255e422ca7"
# The plain 1.5x backoff these tables were written for (no latency cap: it has its own tests).
POLICY = PollPolicy(jitter=0.0, multiplier=1.5, latency_floor=math.inf)


def result(status: str, messages: tuple[str, ...] = ()) -> OCRResult:
    return OCRResult.from_response(
        {
            "id": TASK,
            "taskStatus": status,
            "responseStatusCode": "Ok",
            "results": None,
            "error": {"messages": list(messages), "warnings": []} if messages else None,
        }
    )


def state(
    polls: int = 1, failures: int = 0, started: float = 0.0, timeout: float = 600.0
) -> PollState:
    return PollState(
        task_id=TASK, started=started, deadline=started + timeout, polls=polls, failures=failures
    )


# -- backoff ----------------------------------------------------------------------------


def test_default_policy() -> None:
    assert PollPolicy() == PollPolicy(
        first_delay=0.2,
        multiplier=2.0,
        max_delay=5.0,
        timeout=600.0,
        jitter=0.1,
        max_retries=5,
        retry_delay=0.5,
        latency_fraction=0.1,
        latency_floor=1.0,
    )


@pytest.mark.parametrize(
    ("answered", "elapsed", "delay"),
    [
        (1, 0.0, 0.2),  # the backoff while it is short
        (3, 0.6, 0.8),
        (4, 1.4, 1.0),  # capped at latency_floor: 1.6 would make a 1.4 s task 1.6 s late
        (6, 9.0, 1.0),
        (8, 30.0, 3.0),  # 10 % of the time waited
        (9, 80.0, 5.0),  # max_delay still caps
    ],
)
def test_latency_cap(answered: int, elapsed: float, delay: float) -> None:
    policy = PollPolicy(jitter=0.0)
    assert poll_delay(policy, answered, elapsed) == pytest.approx(delay)


def test_latency_cap_includes_jitter_and_respects_first_delay() -> None:
    # The cap holds for the jittered delay: 1.0 / 1.1 before the spread of ±10 %.
    assert poll_delay(PollPolicy(), 10, 5.0) * 1.1 == pytest.approx(1.0)
    # A user's slower first interval is kept, not overridden by the cap.
    slow = PollPolicy(first_delay=4.0, max_delay=8.0, jitter=0.0)
    assert poll_delay(slow, 1, 0.0) == 4.0
    assert poll_delay(slow, 2, 4.0) == 4.0
    assert poll_delay(slow, 2, 70.0) == 7.0


def test_latency_cap_off_is_the_plain_backoff() -> None:
    assert [poll_delay(POLICY, n, 1000.0) for n in range(1, 11)] == [
        backoff_delay(POLICY, n) for n in range(1, 11)
    ]


@pytest.mark.parametrize(
    ("policy", "delays"),
    [
        (POLICY, [0.2, 0.3, 0.45, 0.675, 1.0125, 1.51875, 2.278125, 3.4171875, 5.0, 5.0]),
        (PollPolicy(first_delay=1, multiplier=2, max_delay=4), [1, 2, 4, 4, 4, 4, 4, 4, 4, 4]),
        (PollPolicy(first_delay=0.5, multiplier=1, max_delay=0.5), [0.5] * 10),
        (PollPolicy(first_delay=0, max_delay=1), [0.0] * 10),
    ],
)
def test_backoff_sequence(policy: PollPolicy, delays: list[float]) -> None:
    assert [backoff_delay(policy, n) for n in range(1, 11)] == pytest.approx(delays)


def test_backoff_does_not_overflow_on_long_polls() -> None:
    assert backoff_delay(POLICY, 10_000) == 5.0


@pytest.mark.parametrize(
    ("failures", "delay"), [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 5.0), (500, 5.0)]
)
def test_retry_delay_doubles_to_the_cap(failures: int, delay: float) -> None:
    assert retry_delay(POLICY, failures) == delay


@pytest.mark.parametrize(("u", "factor"), [(0.0, 0.9), (0.5, 1.0), (0.999999, 1.1)])
def test_jitter_bounds(u: float, factor: float) -> None:
    assert jittered(2.0, 0.1, u) == pytest.approx(2.0 * factor, rel=1e-5)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"first_delay": -1},
        {"multiplier": 0.5},
        {"max_delay": 0.1},
        {"timeout": 0},
        {"jitter": 1.0},
        {"max_retries": -1},
        {"retry_delay": -0.1},
        {"latency_fraction": 0},
        {"latency_floor": -1},
    ],
)
def test_policy_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="out of range"):
        PollPolicy(**kwargs)  # type: ignore[arg-type]


# -- decisions after a response -----------------------------------------------------------


@dataclass(frozen=True)
class AfterResponse:
    name: str
    status: str
    polls: int = 1
    now: float = 0.0
    retry_after: float | None = None
    timeout: float = 600.0
    expect: type = Continue
    delay: float | None = None
    error: type[Exception] | None = None

    def __str__(self) -> str:
        return self.name


AFTER_RESPONSE = [
    AfterResponse("completed finishes", "Completed", expect=Finish),
    AfterResponse("error fails", "Error", expect=Fail, error=TaskFailedError),
    AfterResponse("not exist fails", "NotExist", expect=Fail, error=TaskNotFoundError),
    AfterResponse("pending, first delay", "Pending", polls=1, delay=0.2),
    AfterResponse("processing, 3rd delay", "Processing", polls=3, delay=0.45),
    AfterResponse("unknown status keeps polling", "Paused", polls=2, delay=0.3),
    AfterResponse("retry-after longer wins", "Pending", retry_after=4.0, delay=4.0),
    AfterResponse("retry-after shorter ignored", "Pending", polls=9, retry_after=1.0, delay=5.0),
    AfterResponse("clamped to the deadline", "Pending", polls=9, now=598.0, delay=2.0),
    AfterResponse(
        "at the deadline: timeout", "Pending", now=600.0, expect=Fail, error=PollingTimeoutError
    ),
    AfterResponse(
        "past the deadline: timeout",
        "Processing",
        now=700.0,
        expect=Fail,
        error=PollingTimeoutError,
    ),
    AfterResponse(
        "retry-after past deadline",
        "Pending",
        now=590.0,
        retry_after=30.0,
        expect=Fail,
        error=PollingTimeoutError,
    ),
    AfterResponse("completed even past deadline", "Completed", now=900.0, expect=Finish),
]


@pytest.mark.parametrize("case", AFTER_RESPONSE, ids=str)
def test_after_response(case: AfterResponse) -> None:
    before = state(polls=case.polls, failures=2, timeout=case.timeout)
    response = PollResponse(result(case.status, ("why",)), case.retry_after)
    after, decision = decide_after_response(POLICY, before, response, case.now, 0.5)
    assert isinstance(decision, case.expect)
    assert after.failures == 0
    assert after.last_result is response.result
    if case.delay is not None:
        assert isinstance(decision, Continue)
        assert decision.delay == pytest.approx(case.delay)
    if case.error is not None:
        assert isinstance(decision, Fail)
        assert isinstance(decision.error, case.error)
        assert decision.error.task_id == TASK
    if isinstance(decision, Fail) and isinstance(decision.error, PollingTimeoutError):
        err = decision.error
        assert err.status == case.status
        assert err.elapsed == case.now
        assert err.polls == case.polls
    if isinstance(decision, Fail) and isinstance(decision.error, TaskFailedError):
        assert decision.error.messages == ("why",)
        assert decision.error.result is response.result


# -- decisions after a failure -------------------------------------------------------------


@dataclass(frozen=True)
class AfterFailure:
    name: str
    error: Exception
    failures: int = 0
    now: float = 0.0
    expect: type = Continue
    delay: float | None = None
    raised: type[Exception] | None = None

    def __str__(self) -> str:
        return self.name


AFTER_FAILURE = [
    AfterFailure("transport error retried", TransportError("x"), delay=0.5),
    AfterFailure("second retry doubles", TransportError("x"), failures=1, delay=1.0),
    AfterFailure("5xx retried", HTTPStatusError("x", http_status=502), delay=0.5),
    AfterFailure("429 retried", RateLimitError("x", http_status=429), delay=0.5),
    AfterFailure(
        "429 honours Retry-After", RateLimitError("x", http_status=429, retry_after=7.0), delay=7.0
    ),
    AfterFailure(
        "503 honours Retry-After", HTTPStatusError("x", http_status=503, retry_after=2.0), delay=2.0
    ),
    AfterFailure(
        "bound reached: raised", TransportError("x"), failures=5, expect=Fail, raised=TransportError
    ),
    AfterFailure(
        "400 not retried",
        HTTPStatusError("x", http_status=400),
        expect=Fail,
        raised=HTTPStatusError,
    ),
    AfterFailure(
        "401 not retried",
        AuthenticationError("x", http_status=401),
        expect=Fail,
        raised=AuthenticationError,
    ),
    AfterFailure(
        "bad body not retried", ResponseFormatError("x"), expect=Fail, raised=ResponseFormatError
    ),
    AfterFailure(
        "retry clamped to deadline", TransportError("x"), failures=3, now=599.0, delay=1.0
    ),
    AfterFailure(
        # No answer said the task is unfinished: the failure itself, never a timeout.
        "no time left: the failure, at the deadline",
        TransportError("x"),
        now=600.0,
        expect=Fail,
        raised=TransportError,
    ),
    AfterFailure(
        "retry-after past the deadline: the failure",
        HTTPStatusError("x", http_status=503, retry_after=30.0),
        now=590.0,
        expect=Fail,
        raised=HTTPStatusError,
    ),
]


@pytest.mark.parametrize("case", AFTER_FAILURE, ids=str)
def test_after_failure(case: AfterFailure) -> None:
    assert isinstance(case.error, Exception)
    before = state(failures=case.failures)
    after, decision = decide_after_failure(POLICY, before, case.error, case.now, 0.5)  # type: ignore[arg-type]
    assert isinstance(decision, case.expect)
    if case.delay is not None:
        assert isinstance(decision, Continue)
        assert decision.delay == pytest.approx(case.delay)
    if case.raised is not None:
        assert isinstance(decision, Fail)
        assert isinstance(decision.error, case.raised)
    if is_transient(case.error):  # type: ignore[arg-type]
        assert after.failures == case.failures + 1
    if isinstance(decision, Fail) and isinstance(decision.error, (TransportError, HTTPStatusError)):
        gave_up = is_transient(case.error)  # type: ignore[arg-type]
        assert (decision.error.attempts is not None) is gave_up
        assert decision.error is not case.error or not gave_up  # a copy, the input untouched
        assert not isinstance(decision.error, PollingTimeoutError)


def test_giving_up_says_attempts_seconds_deadline_and_the_last_status() -> None:
    failure = HTTPStatusError("GET x failed (HTTP 503).", http_status=503, task_id=TASK)
    # The retries ran out, 12.5 s after the first attempt; the service had said Pending.
    before = replace(state(polls=6, failures=5, started=10.0), last_status=TaskStatus.PENDING)
    _, decision = decide_after_failure(POLICY, before, failure, 22.5, 0.5)
    assert isinstance(decision, Fail)
    gave_up = decision.error
    assert isinstance(gave_up, HTTPStatusError)
    assert (gave_up.attempts, gave_up.elapsed, gave_up.deadline) == (6, 12.5, None)
    assert (gave_up.status, gave_up.http_status, gave_up.task_id) == ("Pending", 503, TASK)
    assert str(gave_up) == "GET x failed (HTTP 503). Gave up after 6 attempts over 12.5 s."
    assert failure.attempts is None and failure.status is None  # the input is left as it was
    # The deadline (5 s) before the next retry: no status was ever seen.
    _, decision = decide_after_failure(POLICY, state(polls=3, timeout=5.0), failure, 5.0, 0.5)
    assert isinstance(decision, Fail)
    cut = decision.error
    assert isinstance(cut, HTTPStatusError)
    assert (cut.attempts, cut.elapsed, cut.deadline, cut.status) == (3, 5.0, 5.0, None)
    assert str(cut).endswith("Stopped at the 5 s deadline after 3 attempts over 5.0 s.")


def test_jitter_applies_to_decisions() -> None:
    policy = PollPolicy(jitter=0.2)
    _, low = decide_after_response(policy, state(), PollResponse(result("Pending")), 0.0, 0.0)
    _, high = decide_after_response(policy, state(), PollResponse(result("Pending")), 0.0, 0.99999)
    assert isinstance(low, Continue) and isinstance(high, Continue)
    assert low.delay == pytest.approx(0.16)
    assert high.delay == pytest.approx(0.24, rel=1e-4)


def test_infinite_timeout_never_expires() -> None:
    policy = PollPolicy(jitter=0, timeout=math.inf)
    s = PollState(task_id=TASK, started=0.0, deadline=math.inf, polls=10**6)
    _, decision = decide_after_response(policy, s, PollResponse(result("Pending")), 1e12, 0.5)
    assert decision == Continue(5.0)


def test_status_enum_terminal_set() -> None:
    assert {s for s in TaskStatus if s.is_terminal} == {
        TaskStatus.COMPLETED,
        TaskStatus.ERROR,
        TaskStatus.NOT_EXIST,
    }
