"""``%ocr_fetch --background``: later cells run while the badge keeps following the task."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from ._lab import LabServer, NotebookPage, code
from ._ocr_page import SETUP, assert_badge_colour, badge_pill, badge_statuses, region_texts

pytestmark = pytest.mark.browser

TEXT = "Arrived in the background"


def test_background_fetch_keeps_updating_while_other_cells_run(
    lab_server: LabServer, open_notebook: Callable[[str], NotebookPage]
) -> None:
    task_id = str(uuid.uuid4())
    path = lab_server.write_notebook(
        "background.ipynb",
        [
            code(SETUP),
            # Pending for ~3 s, Processing until 8 s: the next cell ends long before that.
            code(
                f"emu.inject_task(results=[('Text', {TEXT!r})], latency=8.0, task_id={task_id!r})\n"
                f"handle = %ocr_fetch {task_id} --background -o later"
            ),
            code("print('meanwhile: the fetch is done?', handle.done())"),
            code("await handle\nprint('bound:', later.texts)"),
        ],
    )
    notebook = open_notebook(path)
    notebook.run_all()
    fetch_area, other_area = notebook.output(1), notebook.output(2)

    # The other cell finishes while the badge still shows the task running.
    list(notebook.poll_text(other_area, lambda t: "meanwhile" in t, timeout=60))
    badge_then = badge_pill(fetch_area).inner_text().strip()
    assert badge_then in ("Starting", "Pending", "Processing"), badge_then
    assert "meanwhile: the fetch is done? False" in other_area.inner_text()
    prompts = notebook.prompts()
    assert prompts[1] != "[*]:", f"the --background cell still runs: {prompts}"
    assert prompts[2] not in ("[*]:", "[ ]:"), f"the other cell has not run: {prompts}"
    notebook.screenshot("background-running", notebook.page.locator(".jp-NotebookPanel"))

    # Afterwards the badge, still live, reaches Completed and the result is shown and bound.
    seen = badge_statuses(notebook, fetch_area, "Completed", timeout=60)
    assert "Processing" in seen, f"the badge did not follow the task: {seen}"
    assert_badge_colour(notebook, fetch_area, "Completed")
    fetch_area.locator(".ocrnb").first.wait_for(timeout=10_000)
    assert any(TEXT in card for card in region_texts(fetch_area))
    notebook.wait_all_executed(timeout=60)
    assert f"bound: [{TEXT!r}]" in notebook.output(3).inner_text()
    notebook.screenshot("background-completed", notebook.page.locator(".jp-NotebookPanel"))
    assert notebook.errors() == []
