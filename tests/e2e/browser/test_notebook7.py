"""The same user-facing checks in Jupyter Notebook 7 as in JupyterLab (``LabServer`` with ``app="notebook"``).

``%ocr_fetch`` with its live badge going Pending/Processing to a green Completed, the result
drawn on its image with linked rectangles and cards whose labels cover no rectangle, and
``OCRFetchWidget``'s Fetch and Cancel buttons, each after Run → Run All Cells.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from ocr_notebook.emulator.samples import SAMPLE_REGIONS

from ._lab import LabServer, NotebookPage, code
from ._linked_page import check_links
from ._ocr_page import (
    RUNNING,
    SETUP,
    assert_badge_colour,
    badge_pill,
    badge_statuses,
    region_texts,
)

pytestmark = pytest.mark.browser

SUBMIT = """\
from ocr_notebook import Rect, Submission
from ocr_notebook.client.submissions import remember
from ocr_notebook.emulator.samples import SAMPLE_REGIONS, sample_png

# Completes 4 s after the fetch starts: long enough to see the badge running.
task_id = emu.inject_task(results=[("Text", t) for _b, t in SAMPLE_REGIONS], latency=4.0)
remember(emu.base_url, task_id, Submission(
    image=sample_png(), regions=tuple(Rect.from_box(box) for box, _text in SAMPLE_REGIONS)))
"""


def test_ocr_fetch_badge_and_linked_result_in_notebook7(
    notebook7_server: LabServer, open_notebook7: Callable[[str], NotebookPage]
) -> None:
    path = notebook7_server.write_notebook(
        "nb7-fetch.ipynb", [code(SETUP), code(SUBMIT), code("%ocr_fetch $task_id")]
    )
    notebook = open_notebook7(path)
    notebook.run_all()

    area = notebook.output(2)
    seen = badge_statuses(notebook, area, "Completed", timeout=60)
    assert set(seen[:-1]) & {"Pending", "Processing"}, f"badge never seen running: {seen}"
    assert set(seen[:-1]) <= set(RUNNING), seen
    assert_badge_colour(notebook, area, "Completed")

    result = area.locator(".ocrnb").first
    result.wait_for(timeout=30_000)
    cards = region_texts(area)
    assert len(cards) == len(SAMPLE_REGIONS)
    for card, (_box, text) in zip(cards, SAMPLE_REGIONS, strict=True):
        assert text in card
    check_links(notebook.page, result)
    notebook.wait_all_executed(timeout=30)
    notebook.screenshot("notebook7-fetch", notebook.cell(2))
    assert notebook.errors() == []


def test_widget_fetch_then_cancel_in_notebook7(
    notebook7_server: LabServer, open_notebook7: Callable[[str], NotebookPage]
) -> None:
    done_id, slow_id = str(uuid.uuid4()), str(uuid.uuid4())
    path = notebook7_server.write_notebook(
        "nb7-widget.ipynb",
        [
            code(SETUP),
            code(
                f"emu.inject_task(results=[('Text', 'Fetched in Notebook 7')], "
                f"task_id={done_id!r})\n"
                f"emu.inject_task(results=[('Text', 'never shown')], latency=30.0, "
                f"task_id={slow_id!r})"
            ),
            code("from ocr_notebook import OCRFetchWidget\n\nw = OCRFetchWidget()\nw"),
        ],
    )
    notebook = open_notebook7(path)
    notebook.run_all()
    notebook.wait_all_executed(timeout=60)
    widget = notebook.output(2)
    task_box = widget.locator(".widget-text input")
    fetch = widget.get_by_role("button", name="Fetch")
    cancel = widget.get_by_role("button", name="Cancel")
    expect(fetch).to_be_enabled(timeout=30_000)
    expect(cancel).to_be_disabled()

    task_box.fill(done_id)
    fetch.click()
    seen = badge_statuses(notebook, widget, "Completed", timeout=30)
    assert seen[-1] == "Completed"
    assert_badge_colour(notebook, widget, "Completed")
    widget.locator(".ocrnb").first.wait_for(timeout=10_000)
    assert "Fetched in Notebook 7" in region_texts(widget)[0]
    notebook.screenshot("notebook7-widget-completed", notebook.cell(2))

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
    assert "never shown" not in widget.inner_text()
    assert widget.locator(".ocrnb").count() == 0, "a cancelled fetch shows no result"
    notebook.screenshot("notebook7-widget-cancelled", notebook.cell(2))
    assert notebook.errors() == []
