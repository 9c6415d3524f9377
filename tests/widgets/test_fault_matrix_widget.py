"""The fault matrix for ``OCRFetchWidget`` on a recorded comm layer, against the faulty emulator.

Every fault, on the first GET and on every GET: ``.result`` holds the result, or ``.error``
holds one line and the badge settles red (amber for a timeout, purple Unreachable when
retries ran out), within the deadline. Then the deadline reached during retries (a dead
port, a host name that never resolves, 503 and 429 to every GET): the badge counted the
attempts while they happened and settles Unreachable with its seconds and attempts. Then
the Cancel button during a stalled request, a ``Retry-After`` wait and a run of dropped
connections: the badge shows Cancelled and the fetch ends without waiting for the server.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import pytest

from ocr_notebook import AsyncOCRClient, OCRFetchWidget, OCRResult
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
    Row,
    async_client,
    check_line,
    faults,
    line_attempts,
    policy,
    read_badge_line,
    task,
)
from tests.support.notebook import CommRecorder, pills, record_comms

if TYPE_CHECKING:
    from ocr_notebook.emulator import Emulator, FaultPlan
    from ocr_notebook.notebook.badge import StatusBadge


@pytest.fixture
def comms(monkeypatch: pytest.MonkeyPatch) -> CommRecorder:
    return record_comms(monkeypatch)


def _pills(comms: CommRecorder, badge: StatusBadge | None) -> list[str]:
    assert badge is not None
    return pills([comms.opened[badge.html.model_id]]) + pills(comms.for_model(badge.html.model_id))


@pytest.mark.parametrize(("row", "mode"), CASES, ids=CASE_IDS)
def test_widget(comms: CommRecorder, emulator: Emulator, row: Row, mode: str) -> None:
    tid = task(emulator)
    expect = row.expect(mode)
    deadline = row.deadline(mode)

    async def scenario() -> OCRFetchWidget:
        async with async_client(emulator, deadline, timeout=row.request_timeout) as client:
            widget = OCRFetchWidget(client=client, timeout=deadline)
            widget.ids.value = tid
            widget.fetch_button.click()
            await widget.wait()
            return widget

    with faults(emulator, row.spec(mode)) as plan:
        widget = asyncio.run(scenario())
    assert plan.served[row.kind] >= 1
    assert not widget.running and not widget.fetch_button.disabled
    badge = widget.badge
    assert badge is not None
    final = _pills(comms, badge)[-1]
    if expect.ok:
        assert isinstance(widget.result, OCRResult)
        assert tuple(widget.result.texts) == TEXTS
        assert widget.error is None
        assert final == "Completed"
        return
    assert widget.result is None
    assert widget.error is not None
    assert expect.says in widget.error, widget.error
    check_line(widget.error)
    assert "click Fetch" in widget.error or "Check ASPOSE_OCR_CLIENT_ID" in widget.error
    bar: dict[str, tuple[str, str | None]] = {
        "Timeout": ("warning", None),
        "Error": ("danger", None),
        "Unreachable": ("danger", "#6a1b9a"),
    }
    assert final == expect.badge
    assert (badge.bar.bar_style, badge.bar.style.bar_color) == bar[expect.badge]
    assert widget.output.outputs[-1]["name"] == "stderr"


@pytest.mark.parametrize("row", DEADLINE_ROWS, ids=DEADLINE_IDS)
def test_widget_deadline_reached_during_retries(
    comms: CommRecorder, emulator: Emulator, row: DeadlineRow
) -> None:
    tid = task(emulator)
    url = row.base_url(emulator)

    async def scenario() -> OCRFetchWidget:
        async with AsyncOCRClient(
            url,
            client_id=TEST_CLIENT_ID,
            client_secret=TEST_CLIENT_SECRET,
            timeout=RELAXED_TIMEOUT,
            poll_policy=policy(DEADLINE, max_retries=ENDLESS_RETRIES),
        ) as client:
            widget = OCRFetchWidget(client=client, timeout=DEADLINE)
            widget.fetch(tid)
            await widget.wait()
            return widget

    served = faults(emulator, row.target) if row.needs_emulator else contextlib.nullcontext()
    with served:
        widget = asyncio.run(scenario())
    badge = widget.badge
    assert badge is not None and widget.result is None and widget.error is not None
    check_line(widget.error)
    assert url in widget.error and row.reason in widget.error
    assert f"until the {DEADLINE:g} s deadline" in widget.error
    assert widget.error.endswith("then click Fetch again.")
    assert "goes on on the service" not in widget.error
    # The final badge: Unreachable, its seconds and attempts, the reason; purple bar.
    final = read_badge_line(badge.text)
    assert (final.status, final.task_id) == ("Unreachable", tid)
    assert final.seconds >= DEADLINE and final.count == line_attempts(widget.error)[0] >= 2
    assert final.rest.startswith(f"{row.reason} · Could not reach") or final.rest.startswith(
        f"{row.reason} · No usable answer from"
    )
    assert (badge.bar.bar_style, badge.bar.style.bar_color) == ("danger", "#6a1b9a")
    seen = _pills(comms, badge)
    assert seen[-1] == "Unreachable" and "Retrying" in seen  # attempts shown while retrying


@pytest.mark.parametrize(
    "spec", ["get:stall=5@1", "get:429=20@1", "get:drop"], ids=["stall", "retry-after", "drops"]
)
def test_cancel_during_a_fault(comms: CommRecorder, emulator: Emulator, spec: str) -> None:
    tid = task(emulator)

    async def scenario(plan: FaultPlan) -> tuple[OCRFetchWidget, int]:
        async with async_client(emulator, 60.0, timeout=30.0) as client:
            widget = OCRFetchWidget(client=client, timeout=60.0)
            widget.fetch(tid)
            while plan.total == 0:
                await asyncio.sleep(0.005)
            stalling = plan.stalling
            widget.cancel_button.click()
            await widget.wait()
            return widget, stalling

    with faults(emulator, spec) as plan:
        widget, stalling = asyncio.run(scenario(plan))
        still_stalling = plan.stalling
    assert widget.result is None
    assert widget.error is not None and "cancelled" in widget.error
    assert "click Fetch to resume" in widget.error
    assert _pills(comms, widget.badge)[-1] == "Cancelled"
    assert not widget.running and widget.cancel_button.disabled
    if "stall" in spec:
        assert stalling == 1 and still_stalling == 1  # did not wait the stall out
