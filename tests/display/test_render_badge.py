"""The status badge's look: one task, several tasks, plain text; hostile strings stay inert."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocr_notebook import TaskStatus
from ocr_notebook.client.polling import PollEvent
from ocr_notebook.display.badges import (
    BadgeState,
    render_badge_html,
    render_badge_text,
    render_multi_badge_html,
    render_multi_badge_text,
)
from ocr_notebook.display.text import inert
from tests.support.render import Audit, audit, make_result

TID = "0a7f3c2e-1111-4a5b-9c3d-2e4f6a8b0c1d"


def _pill(parsed: Audit) -> tuple[str, list[str]]:
    (pill,) = [e for e in parsed.elements if "p" in e.attrs.get("class", "").split()]
    return pill.text, pill.attrs["class"].split()


@pytest.mark.parametrize(
    ("status", "kind", "done"),
    [
        ("Starting", "k-running", False),
        ("Pending", "k-running", False),
        ("Processing", "k-running", False),
        ("Completed", "k-ok", True),
        ("Error", "k-error", True),
        ("NotExist", "k-gone", True),
        ("Timeout", "k-timeout", True),
        ("Cancelled", "k-cancelled", True),
        ("Queued", "k-unknown", False),
    ],
)
def test_each_status_has_its_colour(status: str, kind: str, done: bool) -> None:
    state = BadgeState(task_id=TID, status=status, elapsed=1.25, polls=3)
    parsed = audit(render_badge_html(state))
    text, classes = _pill(parsed)
    assert text == status
    assert kind in classes
    assert state.done is done
    assert TID in parsed.visible_text
    assert "1.2 s · 3 polls" in parsed.visible_text


def test_task_status_enum_members_work_as_status() -> None:
    state = BadgeState(task_id=TID, status=TaskStatus.COMPLETED)
    assert _pill(audit(render_badge_html(state))) == ("Completed", ["p", "k-ok"])
    assert render_badge_text(state).startswith("Completed · task ")


def test_error_shows_the_service_messages_in_red() -> None:
    state = BadgeState(TID, "Error", 2.0, 4, messages=("Image is broken", "Unsupported format"))
    parsed = audit(render_badge_html(state))
    (ul,) = parsed.find("ul")
    assert ul.attrs.get("class") == "e"
    assert [e.text for e in parsed.find("li")] == ["Image is broken", "Unsupported format"]
    quiet = audit(render_badge_html(BadgeState(TID, "Error")))
    assert "without a message" in quiet.visible_text


def test_not_exist_explains_retention_and_what_to_do() -> None:
    text = audit(render_badge_html(BadgeState(TID, "NotExist", 0.3, 1))).visible_text
    assert "24 hours" in text and "submit the image again" in text


def test_timeout_says_how_to_resume() -> None:
    state = BadgeState(TID, "Timeout", 600.0, 40, detail="Last status seen: Processing.")
    text = audit(render_badge_html(state)).visible_text
    assert f"%ocr_fetch {TID}" in text
    assert f"client.wait('{TID}')" in text
    assert "Last status seen: Processing." in text
    assert "600.0 s · 40 polls" in text


def test_cancelled_says_the_task_goes_on() -> None:
    text = audit(render_badge_html(BadgeState(TID, "Cancelled", 3.0, 2))).visible_text
    assert "may still finish" in text and f"%ocr_fetch {TID}" in text


def test_singular_poll_and_negative_numbers() -> None:
    assert "0.0 s · 1 poll" in render_badge_text(BadgeState(TID, "Pending", -1.0, 1))
    assert "0 polls" in render_badge_text(BadgeState(TID, "Pending", 0.0, -3))


def test_text_badge_is_one_inert_line() -> None:
    state = BadgeState(
        "id\x1b[2J", "Error", 1.0, 2, messages=("line1\nline2", "\x07bell"), detail="d\r"
    )
    line = render_badge_text(state)
    assert "\n" not in line and "\r" not in line
    assert "\x1b" not in line and "\x07" not in line
    assert line.startswith("Error · task id\u241b[2J · 1.0 s · 2 polls · messages: line1 line2")


def test_from_poll_event_takes_messages_from_its_result() -> None:
    result = make_result([], status="Error", messages=["boom"], task_id=TID)
    event = PollEvent(TID, TaskStatus.ERROR, 5, 2.5, result, None)
    assert BadgeState.from_event(event) == BadgeState(TID, "Error", 2.5, 5, ("boom",), None)
    pending = PollEvent(TID, TaskStatus.PENDING, 1, 0.1, None, 0.2)
    assert BadgeState.from_event(pending, detail="x").status == "Pending"


def test_multi_badge_summary_and_rows() -> None:
    states = [
        BadgeState("a", "Completed", 1.0, 2),
        BadgeState("b", "Processing", 1.0, 2),
        BadgeState("c", "Error", 1.0, 2, messages=("bad image",)),
    ]
    parsed = audit(render_multi_badge_html(states))
    text = parsed.visible_text
    assert "2 of 3 done" in text
    assert [e.text for e in parsed.find("code")] == ["a", "b", "c"]  # input order
    assert "bad image" in text
    assert render_multi_badge_text(states) == "2 of 3 done (1 Completed, 1 Processing, 1 Error)"


def test_multi_badge_of_1000_tasks_stays_small_and_lists_problems_first() -> None:
    states = [BadgeState(f"t{i}", "Completed", 1.0, 1) for i in range(1000)]
    states[500] = BadgeState("t500", "Error", 1.0, 1, messages=("failed",))
    states[900] = BadgeState("t900", "Processing", 1.0, 1)
    html = render_multi_badge_html(states)
    parsed = audit(html)
    ids = [e.text for e in parsed.find("code")]
    assert len(ids) == 20
    assert "t500" in ids and "t900" in ids
    assert ids == sorted(ids, key=lambda s: int(s[1:]))  # still in input order
    assert "980 more tasks not listed" in parsed.visible_text
    assert "999 of 1,000 done" in parsed.visible_text
    assert len(html.encode()) < 6_000


def test_multi_badge_of_nothing() -> None:
    parsed = audit(render_multi_badge_html([]))
    assert "0 of 0 done" in parsed.visible_text and not parsed.find("tr")


HOSTILE = st.text(max_size=60) | st.sampled_from(
    ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "\"'><b onclick=x>", "\x1b[2J"]
)


@settings(max_examples=150, deadline=None)
@given(
    task_id=HOSTILE,
    status=HOSTILE | st.sampled_from(["Completed", "Error", "NotExist", "Timeout", "Cancelled"]),
    elapsed=st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9),
    polls=st.integers(min_value=-10, max_value=10**9),
    messages=st.lists(HOSTILE, max_size=3),
    detail=st.none() | HOSTILE,
)
def test_badges_never_contain_active_markup(
    task_id: str,
    status: str,
    elapsed: float,
    polls: int,
    messages: list[str],
    detail: str | None,
) -> None:
    state = BadgeState(task_id, status, elapsed, polls, tuple(messages), detail)
    parsed = audit(render_badge_html(state))
    assert _pill(parsed)[0] == inert(status)  # shown literally, whatever it holds
    audit(render_multi_badge_html([state, state], row_limit=1))
    line = render_badge_text(state)
    assert not any(ord(c) < 0x20 for c in line)
    render_multi_badge_text([state]).encode("utf-8")
