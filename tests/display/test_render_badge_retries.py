"""Retrying and Unreachable in the badge renderers: colours, attempts, reason, escaping."""

from __future__ import annotations

import pytest

from ocr_notebook import TaskStatus, TransportError
from ocr_notebook.client.polling import PollEvent
from ocr_notebook.display.badges import (
    BadgeState,
    render_badge_html,
    render_badge_text,
    render_multi_badge_html,
    render_multi_badge_text,
)
from ocr_notebook.results.errors import HTTPStatusError
from tests.support.render import audit

TID = "0a7f3c2e-1111-4a5b-9c3d-2e4f6a8b0c1d"


@pytest.mark.parametrize(
    ("status", "kind", "done"),
    [("Retrying", "k-retrying", False), ("Unreachable", "k-unreachable", True)],
)
def test_retrying_and_unreachable_have_their_own_colour(status: str, kind: str, done: bool) -> None:
    state = BadgeState(TID, status, 2.5, 3, reason="connection refused", next_attempt=2.0)
    parsed = audit(render_badge_html(state))
    (pill,) = [e for e in parsed.elements if "p" in e.attrs.get("class", "").split()]
    assert pill.text == status and kind in pill.attrs["class"].split()
    assert state.done is done
    # Counted in attempts, not polls; the next attempt only while one is to come.
    why = "connection refused, retry in 2.0 s" if not done else "connection refused"
    assert f"2.5 s · 3 attempts · {why}" in parsed.visible_text
    assert render_badge_text(state) == f"{status} · task {TID} · 2.5 s · 3 attempts · {why}"
    # The purple is this state's own: no other colour family uses it.
    css = render_badge_html(state).split("</style>")[0]
    assert css.count("#6a1b9a") == 1 and css.count("#8e24aa") == 1


def test_from_a_failed_attempt_event() -> None:
    error = HTTPStatusError("x", http_status=503, task_id=TID)
    event = PollEvent(TID, TaskStatus.PENDING, 4, 1.5, None, 0.8, error=error)
    assert BadgeState.from_event(event) == BadgeState(
        TID,
        "Retrying",
        1.5,
        4,
        detail="Last status seen: Pending.",
        reason="service unavailable (HTTP 503)",
        next_attempt=0.8,
    )
    # Before any answer the client reports Unknown: no "last status" then.
    first = PollEvent(TID, TaskStatus.UNKNOWN, 1, 0.0, None, 0.5, error=TransportError("x"))
    assert BadgeState.from_event(first).detail is None
    assert BadgeState.from_event(first).reason == "no answer"


def test_hostile_detail_is_escaped_and_the_line_stays_one_line() -> None:
    state = BadgeState(
        TID,
        "Unreachable",
        1.0,
        6,
        detail='Could not reach http://<img src=x onerror=alert(1)>"\n',
        reason="name not resolved",
    )
    parsed = audit(render_badge_html(state))
    assert "<img" in parsed.visible_text  # shown as text, not markup
    assert "\n" not in render_badge_text(state)


def test_compact_badge_shows_the_reason_and_ranks_unreachable_first() -> None:
    states = [
        BadgeState("a", "Completed", 1.0, 2),
        BadgeState("b", "Retrying", 1.0, 2, reason="timed out", next_attempt=1.0),
        BadgeState("c", "Unreachable", 9.0, 6, detail="long line", reason="connection refused"),
    ]
    parsed = audit(render_multi_badge_html(states, row_limit=2))
    text = parsed.visible_text
    assert [e.text for e in parsed.find("code")] == ["b", "c"]  # needing attention first
    assert "timed out, retry in 1.0 s" in text and "9.0 s · 6 attempts" in text
    assert "connection refused" in text and "long line" not in text
    assert render_multi_badge_text(states) == "2 of 3 done (1 Completed, 1 Retrying, 1 Unreachable)"
