"""The fault matrix for ``OCRFetchWidget`` on a recorded comm layer, against the faulty emulator.

Every fault, on the first GET and on every GET: ``.result`` holds the result, or ``.error``
holds one line and the badge settles red (amber for a timeout), within the deadline. Then
the Cancel button during a stalled request, a ``Retry-After`` wait and a run of dropped
connections: the badge shows Cancelled and the fetch ends without waiting for the server.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from ocr_notebook import OCRFetchWidget, OCRResult, PollingTimeoutError
from tests.support.faults import CASE_IDS, CASES, TEXTS, Row, async_client, check_line, faults, task
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
    if expect.error is PollingTimeoutError:
        assert (final, badge.bar.bar_style) == ("Timeout", "warning")
    else:
        assert (final, badge.bar.bar_style) == ("Error", "danger")
    assert widget.output.outputs[-1]["name"] == "stderr"


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
