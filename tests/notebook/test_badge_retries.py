"""The badge while requests fail and after the retries end: Retrying, then Unreachable.

Attempts, seconds, the reason and the next attempt are shown as they happen, by the widget
badge, the text badge and the compact badge of several tasks; a poll that never got a
usable answer settles Unreachable (its own colour), never the task's red Error nor Timeout.
"""

from __future__ import annotations

import io

import pytest

from ocr_notebook import (
    HTTPStatusError,
    PollingTimeoutError,
    RateLimitError,
    TaskStatus,
    TransportError,
)
from ocr_notebook.client.polling import PollEvent
from ocr_notebook.display.badges import BadgeState
from ocr_notebook.notebook.badge import StatusBadge, TextBadge
from ocr_notebook.notebook.board import outcome_state
from ocr_notebook.notebook.messages import one_line
from ocr_notebook.results.errors import after_retries
from tests.support.clock import FakeClock
from tests.support.faults import read_badge_line
from tests.support.notebook import CommRecorder, event, pills, record_comms

A = "0a7f3c2e-1111-4a5b-9c3d-2e4f6a8b0c1d"
B = "1b8e4d3f-2222-4b6c-8d4e-3f5a7b9c1d2e"
URL = "http://127.0.0.1:9"
PURPLE, DEEP_PURPLE = "#8e24aa", "#6a1b9a"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def comms(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> CommRecorder:
    recorder = record_comms(monkeypatch)
    recorder.clock = clock
    return recorder


def refused(task_id: str = A) -> TransportError:
    return TransportError(
        f"GET {URL}/v5.0/ocr/RecognizeRegions could not connect.",
        task_id=task_id,
        url=URL,
        reason="connection refused",
        detail="ConnectError: [Errno 111] Connection refused",
    )


def failed(
    attempt: int,
    elapsed: float,
    next_delay: float | None,
    *,
    error: TransportError | HTTPStatusError | None = None,
    task_id: str = A,
    last: TaskStatus = TaskStatus.UNKNOWN,
) -> PollEvent:
    """The event the client reports for a failed attempt."""
    return PollEvent(
        task_id=task_id,
        status=last,
        polls=attempt,
        elapsed=elapsed,
        result=None,
        next_delay=next_delay,
        error=error or refused(task_id),
    )


def test_widget_badge_counts_attempts_then_settles_unreachable(
    comms: CommRecorder, clock: FakeClock
) -> None:
    badge = StatusBadge([A], clock=clock)
    for attempt, (elapsed, wait) in enumerate([(0.0, 0.5), (0.5, 1.0), (1.5, 2.0)], start=1):
        clock.advance(1)
        badge.observe_event(failed(attempt, elapsed, wait))
        line = read_badge_line(badge.text)
        assert (line.status, line.seconds, line.count) == ("Retrying", elapsed, attempt)
        assert line.rest == f"connection refused, retry in {wait:.1f} s"
        assert badge.bar.style.bar_color == PURPLE and badge.bar.bar_style == "info"
    clock.advance(1)
    badge.settle(A, after_retries(refused(), attempts=3, elapsed=3.5))
    badge.drain(clock.sleep)
    final = read_badge_line(badge.text)
    assert (final.status, final.seconds, final.count) == ("Unreachable", 3.5, 3)
    assert final.rest.startswith(f"connection refused · Could not reach {URL} (ConnectError")
    assert f"Nothing is known about task {A}: check %config OCRMagics.base_url" in final.rest
    shown = pills(comms.for_model(badge.html.model_id))
    assert shown == ["Retrying", "Retrying", "Retrying", "Unreachable"]
    html = comms.for_model(badge.html.model_id)[1]["value"]
    assert "0.5 s · 2 attempts" in html and "connection refused, retry in 1.0 s" in html
    assert (badge.bar.bar_style, badge.bar.style.bar_color) == ("danger", DEEP_PURPLE)
    assert badge.states[0].done and badge.states[0].kind == "unreachable"


def test_an_answer_after_failures_goes_back_to_polls_and_the_theme_colour(
    comms: CommRecorder, clock: FakeClock
) -> None:
    badge = StatusBadge([A], clock=clock)
    badge.observe_event(failed(1, 0.0, 0.5))
    clock.advance(1)
    badge.observe_event(event(A, "Pending", 2, 0.5))
    badge.drain(clock.sleep)
    assert read_badge_line(badge.text).rest == ""
    assert badge.text.startswith(f"Pending · task {A} · 0.5 s · 2 polls")
    assert badge.bar.style.bar_color is None and badge.bar.bar_style == "info"


def test_a_failure_after_an_answer_keeps_the_last_status_seen(clock: FakeClock) -> None:
    badge = TextBadge([A], clock=clock, stream=io.StringIO())
    badge.observe_event(event(A, "Processing", 1, 0.0))
    badge.observe_event(failed(2, 0.2, 0.5, last=TaskStatus.PROCESSING))
    assert badge.text.endswith("connection refused, retry in 0.5 s · Last status seen: Processing.")
    gave_up = after_retries(refused(), attempts=7, elapsed=9.0, deadline=9.0, status="Processing")
    state = outcome_state(badge.states[0], gave_up)
    assert (state.status, state.polls, state.elapsed) == ("Unreachable", 7, 9.0)
    assert state.detail == (
        f"Could not reach {URL} until the 9 s deadline (ConnectError: [Errno 111] Connection "
        f"refused). It last said task {A} was Processing; it goes on on the service."
    )


def test_text_badge_prints_a_line_per_failed_attempt(clock: FakeClock) -> None:
    out = io.StringIO()
    badge = TextBadge([A], clock=clock, stream=out)
    badge.show()
    for attempt in (1, 2, 3):
        clock.advance(1)
        badge.observe_event(failed(attempt, attempt - 1.0, 1.0))
    clock.advance(1)
    badge.settle(A, after_retries(refused(), attempts=3, elapsed=3.0))
    badge.drain(clock.sleep)
    lines = [read_badge_line(line) for line in out.getvalue().splitlines()]
    assert [(line.status, line.count) for line in lines] == [
        ("Starting", 0),
        ("Retrying", 1),
        ("Retrying", 2),
        ("Retrying", 3),
        ("Unreachable", 3),
    ]


def test_compact_badge_lists_retrying_and_unreachable_tasks(
    comms: CommRecorder, clock: FakeClock
) -> None:
    badge = StatusBadge([A, B], clock=clock)
    badge.observe_event(failed(2, 0.5, 1.0, task_id=A))
    badge.settle(B, after_retries(refused(B), attempts=6, elapsed=12.5))
    badge.drain(clock.sleep)
    html = comms.for_model(badge.html.model_id)[-1]["value"]
    assert pills([{"value": html}]) == ["Retrying Unreachable"]
    assert "1 of 2 done (1 Retrying, 1 Unreachable)" in html
    assert "0.5 s · 2 attempts" in html and "connection refused, retry in 1.0 s" in html
    assert "12.5 s · 6 attempts" in html
    assert (badge.bar.bar_style, badge.bar.style.bar_color) == ("info", None)
    badge.settle(A, after_retries(refused(A), attempts=3, elapsed=2.0))
    badge.drain(clock.sleep)
    assert badge.bar.bar_style == "danger"  # several tasks: the bar's colour is red


def test_colour_changes_stay_within_ten_messages_a_second(
    comms: CommRecorder, clock: FakeClock
) -> None:
    """A request every 10 ms, runs of failures and answers alternating every 0.15 s."""
    badge = StatusBadge([A], clock=clock)
    for attempt in range(1, 401):
        clock.advance(0.01)
        if (attempt // 15) % 2:
            badge.observe_event(failed(attempt, attempt * 0.01, 0.01))
        else:
            badge.observe_event(event(A, "Pending", attempt, attempt * 0.01))
        badge.tick()
    badge.drain(clock.sleep)
    models = {badge.html.model_id, badge.bar.model_id, badge.bar.style.model_id}
    assert comms.max_in_window(models) <= 10
    assert len(comms.for_model(badge.bar.style.model_id)) >= 5  # the colour did change


@pytest.mark.parametrize(
    ("error", "again", "expected"),
    [
        (
            after_retries(refused(), attempts=6, elapsed=12.46),
            "run %ocr_fetch {id}",
            f"Could not reach {URL} in 6 attempts over 12.5 s: connection refused (ConnectError: "
            f"[Errno 111] Connection refused). Nothing is known about task {A}: check %config "
            f"OCRMagics.base_url, the network and any proxy, then run %ocr_fetch {A} again.",
        ),
        (
            after_retries(
                HTTPStatusError("x", http_status=503, task_id=A, url=URL),
                attempts=4,
                elapsed=5.0,
                deadline=5.0,
            ),
            "click Fetch",
            f"No usable answer from {URL} in 4 attempts over 5.0 s, until the 5 s deadline: "
            f"service unavailable (HTTP 503). Nothing is known about task {A}: the service is "
            "overloaded or failing; wait, and check %config OCRMagics.base_url if it persists, "
            "then click Fetch again.",
        ),
        (
            after_retries(
                RateLimitError("x", http_status=429, task_id=A, url=URL, retry_after=30.0),
                attempts=2,
                elapsed=1.0,
                deadline=1.0,
                status="Pending",
            ),
            "run %ocr_fetch {id}",
            f"No usable answer from {URL} in 2 attempts over 1.0 s, until the 1 s deadline: "
            f"rate limited (HTTP 429). It last said task {A} was Pending; it goes on on the "
            f"service: run %ocr_fetch {A} to resume.",
        ),
    ],
    ids=["refused", "503-deadline", "429-after-pending"],
)
def test_the_one_line_names_where_why_how_often_and_what_next(
    error: TransportError | HTTPStatusError, again: str, expected: str
) -> None:
    assert one_line(error, resume=again) == expected


def test_only_an_answered_unfinished_task_is_a_timeout() -> None:
    timeout = PollingTimeoutError("x", task_id=A, status="Pending", elapsed=5.0, polls=9)
    start = BadgeState(task_id=A, status="Pending")
    assert outcome_state(start, timeout).status == "Timeout"
    assert "goes on on the service" in one_line(timeout)
    # The same transport failure without attempts (one request, not a poll): red, as before.
    assert outcome_state(start, refused()).status == "Error"
