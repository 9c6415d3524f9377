"""``OCRFetchWidget`` used with the mouse and keyboard: type an id, Fetch, Cancel."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from ._lab import LabServer, NotebookPage, code
from ._ocr_page import SETUP, assert_badge_colour, badge_pill, badge_statuses, region_texts

pytestmark = pytest.mark.browser

TEXTS = ("Typed into the widget", "Fetched by a click")


def test_widget_fetch_then_cancel_a_slow_task(
    lab_server: LabServer, open_notebook: Callable[[str], NotebookPage]
) -> None:
    done_id, slow_id = str(uuid.uuid4()), str(uuid.uuid4())
    path = lab_server.write_notebook(
        "widget-clicks.ipynb",
        [
            code(SETUP),
            code(
                f"emu.inject_task(results=[('Text', {TEXTS[0]!r}), ('Text', {TEXTS[1]!r})], "
                f"task_id={done_id!r})\n"
                # 30 s before this task completes: long enough to be cancelled mid-way.
                f"emu.inject_task(results=[('Text', 'never shown')], latency=30.0, "
                f"task_id={slow_id!r})"
            ),
            # No client passed: the widget builds one from the ASPOSE_OCR_* environment.
            code("from ocr_notebook import OCRFetchWidget\n\nw = OCRFetchWidget()\nw"),
        ],
    )
    notebook = open_notebook(path)
    notebook.run_all()
    notebook.wait_all_executed(timeout=60)
    widget = notebook.output(2)
    task_box = widget.locator(".widget-text input")
    fetch = widget.get_by_role("button", name="Fetch")
    cancel = widget.get_by_role("button", name="Cancel")
    expect(fetch).to_be_enabled()
    expect(cancel).to_be_disabled()

    # Type an id, click Fetch: the badge settles on Completed and the texts appear below.
    task_box.fill(done_id)
    fetch.click()
    seen = badge_statuses(notebook, widget, "Completed", timeout=30)
    assert seen[-1] == "Completed"
    assert_badge_colour(notebook, widget, "Completed")
    widget.locator(".ocrnb").first.wait_for(timeout=10_000)
    cards = region_texts(widget)
    assert len(cards) == 2
    assert TEXTS[0] in cards[0]
    assert TEXTS[1] in cards[1]
    expect(fetch).to_be_enabled()
    notebook.screenshot("widget-completed", notebook.cell(2))

    # A slow task: Fetch, see it running, Cancel: Cancelled shows within 2 s.
    task_box.fill(slow_id)
    fetch.click()
    pill = badge_pill(widget)
    expect(pill).to_have_text("Pending", timeout=10_000)
    expect(cancel).to_be_enabled()
    cancel.click()
    expect(pill).to_have_text("Cancelled", timeout=2_000)
    assert_badge_colour(notebook, widget, "Cancelled")
    expect(fetch).to_be_enabled()
    expect(cancel).to_be_disabled()
    assert slow_id in widget.inner_text()
    assert "never shown" not in widget.inner_text()
    assert widget.locator(".ocrnb").count() == 0, "a cancelled fetch shows no result"
    notebook.screenshot("widget-cancelled", notebook.cell(2))
    assert notebook.errors() == []
