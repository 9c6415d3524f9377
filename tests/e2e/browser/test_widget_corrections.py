"""Correcting a region's text in ``OCRFetchWidget`` with the keyboard, in JupyterLab and Notebook 7.

Fetch with a click, unfold "Correct the texts", type into a region's text area, click
"Save corrections": the shown result becomes the corrected one and the status line says it
was saved. The text area sends its value when it loses focus (the click), so this also
checks that the value arrives before the click does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from ._lab import LabServer, NotebookPage, code
from ._ocr_page import SETUP, badge_statuses, region_texts

pytestmark = pytest.mark.browser

TEXTS = ("Invoice 2024-0042", "tota1 $1,234.56")
FIXED = "total $1,234.56"


@pytest.mark.parametrize(
    ("server_fixture", "opener_fixture"),
    [("lab_server", "open_notebook"), ("notebook7_server", "open_notebook7")],
    ids=["jupyterlab", "notebook7"],
)
def test_correct_a_region_in_the_fetch_widget(
    request: pytest.FixtureRequest, server_fixture: str, opener_fixture: str
) -> None:
    server: LabServer = request.getfixturevalue(server_fixture)
    open_notebook: Callable[[str], NotebookPage] = request.getfixturevalue(opener_fixture)
    task_id = str(uuid.uuid4())
    path = server.write_notebook(
        f"widget-corrections-{opener_fixture}.ipynb",
        [
            code(SETUP),
            code(f"emu.inject_task(results={[('Text', t) for t in TEXTS]!r}, task_id={task_id!r})"),
            code("from ocr_notebook import OCRFetchWidget\n\nw = OCRFetchWidget()\nw"),
        ],
    )
    notebook = open_notebook(path)
    notebook.run_all()
    notebook.wait_all_executed(timeout=60)
    widget = notebook.output(2)
    widget.locator(".widget-text input").fill(task_id)
    widget.get_by_role("button", name="Fetch").click()
    assert badge_statuses(notebook, widget, "Completed", timeout=30)[-1] == "Completed"
    widget.locator(".ocrnb").first.wait_for(timeout=10_000)
    assert TEXTS[1] in region_texts(widget)[1]

    widget.get_by_text("Correct the texts").click()
    area = widget.locator(".widget-textarea textarea").nth(1)
    expect(area).to_have_value(TEXTS[1])
    area.fill(FIXED)
    widget.get_by_role("button", name="Save corrections").click()
    expect(widget.get_by_text("Saved 1 correction")).to_be_visible(timeout=10_000)
    expect(widget.locator(".ocrnb ol.rg > li").nth(1)).to_contain_text(FIXED, timeout=10_000)
    expect(widget.locator(".ocrnb ol.rg > li").nth(1)).to_contain_text("corrected")
    notebook.screenshot(f"widget-corrected-{request.node.callspec.id}", notebook.cell(2))
    assert notebook.errors() == []
