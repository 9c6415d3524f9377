"""The live status badge: states it passes through on a recorded comm layer, throttling, text."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from ocr_notebook import (
    FetchCancelledError,
    OCRResult,
    PollingTimeoutError,
    TaskFailedError,
    TaskNotFoundError,
    TaskStatus,
    TransportError,
)
from ocr_notebook.notebook.badge import StatusBadge, TextBadge, make_badge
from ocr_notebook.notebook.throttle import Throttle
from tests.support.clock import FakeClock
from tests.support.notebook import (
    CommRecorder,
    FakeScheduler,
    event,
    pills,
    record_comms,
)

A = "0a7f3c2e-1111-4a5b-9c3d-2e4f6a8b0c1d"
B = "1b8e4d3f-2222-4b6c-8d4e-3f5a7b9c1d2e"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=1000.0)


@pytest.fixture
def comms(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> CommRecorder:
    recorder = record_comms(monkeypatch)
    recorder.clock = clock
    return recorder


def _ids(badge: StatusBadge) -> set[str]:
    return {badge.html.model_id, badge.bar.model_id}


# -- Throttle (pure) ---------------------------------------------------------------------


def _recorder(clock: FakeClock, drawn: list[float]) -> Callable[[], int]:
    def redraw() -> int:
        drawn.append(clock())
        return 1  # one message sent

    return redraw


def test_throttle_draws_at_once_then_trails_the_last_change(clock: FakeClock) -> None:
    drawn: list[float] = []
    schedule = FakeScheduler(clock)
    throttle = Throttle(_recorder(clock, drawn), rate=10, clock=clock, schedule=schedule)
    throttle.request()  # t=0: drawn now
    clock.advance(0.03)
    throttle.request()  # inside the budget: scheduled for t=0.1
    clock.advance(0.03)
    throttle.request()  # same trailing redraw
    assert drawn == [1000.0]
    assert len(schedule.pending) == 1
    clock.advance(0.05)  # past t=0.1 (float sums of 0.03 + 0.03 + 0.04 fall just short)
    assert schedule.run_due() == 1
    assert drawn == [1000.0, pytest.approx(1000.11)]
    assert not throttle.dirty


def test_throttle_without_scheduler_is_driven_by_ticks(clock: FakeClock) -> None:
    drawn: list[float] = []
    throttle = Throttle(_recorder(clock, drawn), rate=10, clock=clock)
    throttle.request()
    clock.advance(0.05)
    throttle.request()
    throttle.tick()  # still inside the budget
    assert len(drawn) == 1
    clock.advance(0.05)
    throttle.tick()
    assert len(drawn) == 2


def test_throttle_charges_per_message_and_drain_waits_for_the_budget(clock: FakeClock) -> None:
    throttle = Throttle(lambda: 2, rate=10, clock=clock)  # each redraw sends two messages
    throttle.request()
    clock.advance(0.15)
    throttle.request()  # two messages cost 0.2 s
    assert throttle.redraws == 1
    throttle.drain(clock.sleep)
    assert throttle.redraws == 2
    assert clock() == pytest.approx(1000.2)


def test_a_redraw_that_sent_nothing_costs_nothing(clock: FakeClock) -> None:
    throttle = Throttle(lambda: 0, rate=10, clock=clock)
    throttle.request()
    throttle.request()
    assert throttle.redraws == 2


def test_throttle_rejects_a_non_positive_rate() -> None:
    with pytest.raises(ValueError, match="rate"):
        Throttle(lambda: 1, rate=0)


# -- the widget badge on a recorded comm layer ---------------------------------------------


def test_one_task_goes_pending_processing_completed(comms: CommRecorder, clock: FakeClock) -> None:
    badge = StatusBadge([A], clock=clock)
    assert "Starting" in comms.opened[badge.html.model_id]["value"]
    for polls, status in enumerate(["Pending", "Pending", "Processing", "Completed"], start=1):
        clock.advance(0.3)
        badge.observe_event(event(A, status, polls, 0.3 * polls, terminal=status == "Completed"))
    badge.drain(clock.sleep)

    html = comms.for_model(badge.html.model_id)
    # Every poll redraws (elapsed and polls change) and the statuses come in order.
    assert pills(html) == ["Pending", "Pending", "Processing", "Completed"]
    assert "4 polls" in html[-1]["value"]
    bar = comms.for_model(badge.bar.model_id)
    assert [m.get("value") for m in bar] == [1, 2, 3]
    assert bar[-1]["bar_style"] == "success"
    assert badge.states[0].status == "Completed"


@pytest.mark.parametrize(
    ("outcome", "pill", "bar_style", "says"),
    [
        (
            TaskFailedError("failed", task_id=A, messages=["Image is corrupted"]),
            "Error",
            "danger",
            "Image is corrupted",
        ),
        (TaskNotFoundError("gone", task_id=A), "NotExist", "", "24 hours"),
        (
            PollingTimeoutError("slow", task_id=A, status="Processing", elapsed=30.0, polls=9),
            "Timeout",
            "warning",
            f"%ocr_fetch {A}",
        ),
        (FetchCancelledError("stop", task_id=A), "Cancelled", "", "Polling stopped"),
        (TransportError("Connection refused", task_id=A), "Error", "danger", "Check the network"),
        (
            OCRResult(id=A, status=TaskStatus.COMPLETED),
            "Completed",
            "success",
            "1 poll",
        ),
    ],
)
def test_each_ending_settles_the_badge(
    comms: CommRecorder,
    clock: FakeClock,
    outcome: BaseException | OCRResult,
    pill: str,
    bar_style: str,
    says: str,
) -> None:
    badge = StatusBadge([A], clock=clock)
    clock.advance(1)
    badge.observe_event(event(A, "Processing", 1, 0.2))
    clock.advance(1)
    badge.settle(A, outcome)
    badge.drain(clock.sleep)
    last_html = comms.for_model(badge.html.model_id)[-1]["value"]
    assert pills([{"value": last_html}]) == [pill]
    assert says in last_html
    assert comms.for_model(badge.bar.model_id)[-1]["bar_style"] == bar_style
    assert badge.states[0].done


def test_cancel_running_marks_only_unfinished_tasks(comms: CommRecorder, clock: FakeClock) -> None:
    badge = StatusBadge([A, B], clock=clock)
    badge.observe_event(event(A, "Completed", 1, 0.1, terminal=True))
    badge.observe_event(event(B, "Processing", 1, 0.1))
    badge.cancel_running()
    badge.drain(clock.sleep)
    assert [s.status for s in badge.states] == ["Completed", "Cancelled"]
    last = comms.for_model(badge.bar.model_id)[-1]
    assert (last["value"], last["description"], last["bar_style"]) == (2, "2/2", "warning")


def test_many_tasks_one_compact_badge_with_n_of_m(comms: CommRecorder, clock: FakeClock) -> None:
    badge = StatusBadge([A, B], clock=clock)
    assert comms.opened[badge.bar.model_id]["description"] == "0/2"
    clock.advance(1)
    badge.observe_event(event(A, "Completed", 1, 0.1, terminal=True))
    clock.advance(1)
    badge.observe_event(event(B, "Error", 2, 0.3, terminal=True))
    badge.drain(clock.sleep)
    bar = comms.for_model(badge.bar.model_id)
    assert [m["description"] for m in bar if "description" in m] == ["1/2", "2/2"]
    assert bar[-1]["bar_style"] == "danger"
    assert pills(comms.for_model(badge.html.model_id))[-1] == "Completed Error"


def test_throttled_to_ten_messages_a_second_whatever_the_poll_rate(
    comms: CommRecorder, clock: FakeClock
) -> None:
    """1,000 tasks reporting every 0.75 ms for 3 simulated seconds: <= 10 messages/s."""
    ids = [f"{i:08x}-0000-4000-8000-000000000000" for i in range(1000)]
    badge = StatusBadge(ids, clock=clock)
    for step in range(4000):
        clock.advance(0.00075)
        task = ids[step % len(ids)]
        status = ("Pending", "Processing", "Processing", "Completed")[step // 1000]
        badge.observe_event(event(task, status, step // 1000 + 1, step / 1000))
        if step % 50 == 0:
            badge.tick()  # the blocking runner's redraw loop, every 50 ms in real use
    badge.drain(clock.sleep)
    per_second = comms.per_second(_ids(badge))
    print("messages per simulated second:", per_second)
    assert max(per_second.values()) <= 10, per_second
    assert comms.max_in_window(_ids(badge)) <= 10  # any 1-second window, not just whole ones
    assert sum(per_second.values()) >= 20  # it did keep redrawing, not just at the end
    # The final state is never lost: the last update shows every task settled.
    last_bar = comms.for_model(badge.bar.model_id)[-1]
    assert last_bar["description"] == "1000/1000"
    assert last_bar["bar_style"] == "success"
    assert "1,000 of 1,000 done" in comms.for_model(badge.html.model_id)[-1]["value"]


def test_trailing_redraw_is_scheduled_on_the_loop(comms: CommRecorder, clock: FakeClock) -> None:
    schedule = FakeScheduler(clock)
    badge = StatusBadge([A], clock=clock)
    badge.use_schedule(schedule)
    badge.observe_event(event(A, "Pending", 1, 0.0))
    clock.advance(0.01)
    badge.observe_event(event(A, "Processing", 2, 0.01))  # too soon: trails
    assert pills(comms.for_model(badge.html.model_id)) == ["Pending"]
    clock.advance(0.2)
    schedule.run_due()
    assert pills(comms.for_model(badge.html.model_id)) == ["Pending", "Processing"]


def test_send_state_resends_the_whole_badge(comms: CommRecorder, clock: FakeClock) -> None:
    badge = StatusBadge([A], clock=clock)
    badge.observe_event(event(A, "Completed", 1, 0.1, terminal=True))
    before = len(comms.sent)
    badge.send_state()
    resent = {m.comm_id for m in comms.sent[before:]}
    assert _ids(badge) <= resent
    assert "Completed" in comms.for_model(badge.html.model_id)[-1]["value"]


def test_text_plain_of_the_widget_output_is_the_status_line(
    comms: CommRecorder, clock: FakeClock
) -> None:
    badge = StatusBadge([A], clock=clock)
    badge.observe_event(event(A, "Processing", 2, 0.5))
    bundle = badge._repr_mimebundle_()
    assert bundle is not None
    assert bundle["text/plain"].startswith(f"Processing · task {A}")
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_hostile_task_id_and_messages_are_escaped(comms: CommRecorder, clock: FakeClock) -> None:
    badge = StatusBadge(["<img src=x onerror=alert(1)>"], clock=clock)
    badge.settle(
        "<img src=x onerror=alert(1)>",
        TaskFailedError("x", messages=["<script>alert(2)</script>"]),
    )
    badge.drain(clock.sleep)
    html = comms.for_model(badge.html.model_id)[-1]["value"]
    assert "<img" not in html and "<script>" not in html
    assert "&lt;script&gt;" in html


# -- the text badge -----------------------------------------------------------------------


def test_text_badge_prints_a_line_per_status_change_not_per_poll(clock: FakeClock) -> None:
    out = io.StringIO()
    badge = TextBadge([A], clock=clock, stream=out)
    badge.show()
    for polls, status in enumerate(["Pending", "Pending", "Processing", "Completed"], start=1):
        clock.advance(0.3)
        badge.observe_event(event(A, status, polls, 0.3 * polls))
    badge.drain(clock.sleep)
    lines = out.getvalue().splitlines()
    assert [line.split(" · ")[0] for line in lines] == [
        "Starting",
        "Pending",
        "Processing",
        "Completed",
    ]
    assert all(f"task {A}" in line for line in lines)


def test_text_badge_for_several_tasks_prints_the_summary_and_failures(clock: FakeClock) -> None:
    out = io.StringIO()
    badge = TextBadge([A, B], clock=clock, stream=out)
    badge.show()
    clock.advance(1)
    badge.observe_event(event(A, "Completed", 1, 0.1))
    clock.advance(1)
    badge.settle(B, TaskNotFoundError("gone", task_id=B))
    badge.drain(clock.sleep)
    text = out.getvalue()
    assert "2 of 2 done" in text
    assert f"NotExist · task {B}" in text


def test_make_badge_picks_text_outside_a_kernel() -> None:
    assert isinstance(make_badge([A]), TextBadge)
    assert isinstance(make_badge([A], mode="text"), TextBadge)
