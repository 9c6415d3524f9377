"""``notebooks/quickstart.ipynb`` run top to bottom in JupyterLab with Run All, as a user would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from ._lab import LabServer, NotebookPage
from ._ocr_page import RUNNING, assert_badge_colour, badge_statuses, region_texts

pytestmark = pytest.mark.browser

QUICKSTART = Path(__file__).resolve().parents[3] / "notebooks" / "quickstart.ipynb"


def _cell_index(nb: nbformat.NotebookNode, prefix: str) -> int:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.source.lstrip().startswith(prefix):
            return i
    raise AssertionError(f"quickstart has no code cell starting with {prefix!r}")


def test_quickstart_run_all(
    lab_server: LabServer, open_notebook: Callable[[str], NotebookPage]
) -> None:
    from ocr_notebook.emulator.samples import SAMPLE_REGIONS

    nb = nbformat.read(QUICKSTART, as_version=4)
    fetch = _cell_index(nb, "%ocr_fetch $task_id")
    notebook = open_notebook(lab_server.copy_notebook(QUICKSTART))
    notebook.run_all()

    # The badge is seen live while the task runs, then settles on Completed.
    area = notebook.output(fetch)
    seen = badge_statuses(notebook, area, "Completed", timeout=90)
    assert seen[-1] == "Completed"
    assert set(seen[:-1]) & {"Pending", "Processing"}, f"badge never seen running: {seen}"
    assert set(seen[:-1]) <= set(RUNNING), seen
    assert_badge_colour(notebook, area, "Completed")

    # A card per region with the sample's known texts, in order.
    result = area.locator(".ocrnb").first
    result.wait_for(timeout=30_000)
    cards = region_texts(area)
    assert len(cards) == len(SAMPLE_REGIONS)
    for card, (_box, text) in zip(cards, SAMPLE_REGIONS, strict=True):
        assert text in card

    # The source image with each region's rectangle numbered, visible on the page.
    overlay = area.locator("figure.ov .im").first
    assert overlay.is_visible()
    box = overlay.bounding_box()
    assert box is not None
    assert box["width"] > 200
    assert box["height"] > 50
    image = overlay.locator("img")
    assert image.count() == 1, "the source image is not embedded"
    assert image.evaluate("img => img.complete && img.naturalWidth") > 0, "image not decoded"
    rects = overlay.locator(".bx")
    assert rects.count() == len(SAMPLE_REGIONS)
    labels = overlay.locator(".lb").all_inner_texts()
    # Each rectangle's number is the number on its region's card.
    card_numbers = area.locator(".ocrnb ol.rg > li > p:first-child > b").all_inner_texts()
    assert [t.strip() for t in labels] == [n.strip() for n in card_numbers]
    assert len(set(labels)) == len(SAMPLE_REGIONS)
    notebook.screenshot("quickstart-fetch", notebook.cell(fetch))

    # The rest of the notebook ran too (pandas, --background, several ids) without an error.
    prompts = notebook.wait_all_executed(timeout=120)
    assert len(prompts) == sum(c.cell_type == "code" for c in nb.cells)
    errors = notebook.page.locator(
        ".jp-NotebookPanel .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
    )
    assert errors.count() == 0, errors.all_inner_texts()
    notebook.screenshot("quickstart-end")
    assert notebook.errors() == []
