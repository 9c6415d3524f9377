"""Hostile results from the wire are shown as readable text and stay inert in the page."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from ._lab import LabServer, NotebookPage, code
from ._ocr_page import SETUP, badge_statuses, region_texts

pytestmark = pytest.mark.browser

# Each payload would set window.__ocrnb_pwned if it ever ran.
SCRIPT = "<script>window.__ocrnb_pwned = 'script'</script>"
IMG = "<img src=x onerror=\"window.__ocrnb_pwned = 'img'\">"
HOCR = (
    "<div class='ocr_page' onmouseover=\"window.__ocrnb_pwned = 'hover'\">"
    "<span class='ocrx_word' title='bbox 0 0 40 10' "
    "onclick=\"window.__ocrnb_pwned = 'click'\">inert words</span>"
    "<img src=x onerror=\"window.__ocrnb_pwned = 'hocr-img'\">"
    "<svg onload=\"window.__ocrnb_pwned = 'svg'\"></svg>"
    "<a href=\"javascript:window.__ocrnb_pwned = 'link'\">a link</a>"
    "<script>window.__ocrnb_pwned = 'hocr-script'</script>"
    '<style>body{display:none}</style><p title="x" onfocus="1">end of hOCR</p></div>'
)
MESSAGE = "<img src=x onerror=\"window.__ocrnb_pwned = 'message'\"> read the manual"
WARNING = "</ul><script>window.__ocrnb_pwned = 'warning'</script>"

_EVENT_ATTRIBUTES = """root => Array.from(root.querySelectorAll('*')).flatMap(
    el => Array.from(el.attributes)
        .filter(a => a.name.startsWith('on') || /^\\s*javascript:/i.test(a.value))
        .map(a => `${el.tagName.toLowerCase()}[${a.name}]`))"""


def test_hostile_results_render_as_inert_text(
    lab_server: LabServer, open_notebook: Callable[[str], NotebookPage]
) -> None:
    task_id = str(uuid.uuid4())
    results = [("Text", SCRIPT), ("Text", IMG), ("hOCR", HOCR)]
    path = lab_server.write_notebook(
        "hostile.ipynb",
        [
            code(SETUP),
            code(
                f"emu.inject_task(results={results!r}, messages=[{MESSAGE!r}], "
                f"warnings=[{WARNING!r}], task_id={task_id!r})"
            ),
            code(f"%ocr_fetch {task_id}"),
        ],
    )
    notebook = open_notebook(path)
    notebook.run_all()
    area = notebook.output(2)
    badge_statuses(notebook, area, "Completed", timeout=60)
    area.locator(".ocrnb").first.wait_for(timeout=10_000)
    notebook.wait_all_executed(timeout=60)

    # Readable: the text payloads appear verbatim, as characters, and the hOCR as its words.
    cards = region_texts(area)
    assert len(cards) == 3
    assert SCRIPT in cards[0]
    assert IMG in cards[1]
    assert "inert words" in cards[2]
    assert "end of hOCR" in cards[2]
    hocr_card = area.locator(".ocrnb ol.rg > li").nth(2)
    hocr_card.locator("summary", has_text="hOCR source").click()
    assert HOCR in hocr_card.locator("details pre").inner_text()  # the markup, as text
    shown = area.inner_text()
    assert MESSAGE in shown
    assert WARNING in shown
    styles = area.locator("style").all_text_contents()
    assert not [css for css in styles if "body{display:none}" in css], (
        "a style from the wire got in"
    )
    assert notebook.page.locator(".jp-NotebookPanel").is_visible()

    # Inert: no element our output made can run code, and no payload's request went out.
    assert area.locator("script").count() == 0
    assert area.locator("img[src='x'], svg[onload], a").count() == 0
    assert area.evaluate(_EVENT_ATTRIBUTES) == []
    words = area.locator(".hocr .ocrx_word").first
    words.hover()
    words.click()
    notebook.page.wait_for_timeout(500)  # room for an image error or a handler to fire
    assert notebook.page.evaluate("() => window.__ocrnb_pwned") is None
    assert not [url for url in notebook.requests if url.rstrip("/").endswith("/x")]
    assert notebook.errors() == []
    notebook.screenshot("hostile-inert", notebook.cell(2))
