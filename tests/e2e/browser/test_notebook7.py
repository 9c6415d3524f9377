"""``%ocr_fetch``'s live badge and ``OCRFetchWidget`` in Notebook 7 (``jupyter notebook``).

The same checks as in JupyterLab (``test_quickstart.py``, ``test_widget.py``), on the
Notebook 7 front end: the badge follows a task Pending -> Processing -> Completed in its theme
colours and the result renders; the widget fetches on a click.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from ._lab import LabServer, NotebookPage, code
from ._ocr_page import SETUP, assert_badge_colour, badge_statuses, region_texts

pytestmark = pytest.mark.browser

TEXTS = ("Seen in Notebook 7", "Fetched by a click there")


def test_badge_and_fetch_widget_in_notebook7(
    notebook7_server: LabServer, open_notebook7: Callable[[str], NotebookPage]
) -> None:
    slow_id, done_id = str(uuid.uuid4()), str(uuid.uuid4())
    path = notebook7_server.write_notebook(
        "notebook7-fetch.ipynb",
        [
            code(SETUP),
            code(
                f"emu.inject_task(results=[('Text', {TEXTS[0]!r})], latency=3.0, "
                f"task_id={slow_id!r})\n"
                f"emu.inject_task(results=[('Text', {TEXTS[1]!r})], task_id={done_id!r})"
            ),
            code(f"%ocr_fetch {slow_id}"),
            code("from ocr_notebook import OCRFetchWidget\n\nw = OCRFetchWidget()\nw"),
        ],
    )
    notebook = open_notebook7(path)
    notebook.run_all()
    fetched = notebook.output(2)
    seen = badge_statuses(notebook, fetched, "Completed", timeout=60)
    assert "Processing" in seen or "Pending" in seen, seen
    assert_badge_colour(notebook, fetched, "Completed")
    fetched.locator(".ocrnb").first.wait_for(timeout=10_000)
    assert any(TEXTS[0] in card for card in region_texts(fetched))
    notebook.wait_all_executed(timeout=60)

    widget = notebook.output(3)
    widget.locator(".widget-text input").fill(done_id)
    widget.get_by_role("button", name="Fetch").click()
    badge_statuses(notebook, widget, "Completed", timeout=30)
    assert_badge_colour(notebook, widget, "Completed")
    widget.locator(".ocrnb").first.wait_for(timeout=10_000)
    expect(widget.locator(".ocrnb ol.rg > li").first).to_contain_text(TEXTS[1])
    notebook.screenshot("notebook7-fetch")
    assert notebook.errors() == []
