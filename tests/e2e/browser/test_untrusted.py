"""A notebook shared with its saved outputs, opened by someone else: untrusted, yet readable.

JupyterLab shows an untrusted notebook's saved ``text/html`` only after its sanitizer has run
(it strips ``<style>``, SVG and ``data:`` links, and keeps only the inline style declarations
its patterns allow; see ``ocr_notebook/display/style.py``) and shows a widget view as its
``text/plain``. The notebook here holds the real outputs of ``%ocr_fetch`` (executed with
nbclient, never signed). It is opened as is, then signed into the server's notary database
and opened again: the trusted view has the full stylesheet, so the checks that tell the two
apart can fail.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.sign import NotebookNotary
from playwright.sync_api import Locator

from ocr_notebook.emulator.samples import SAMPLE_REGIONS

from ._lab import LabServer, NotebookPage
from ._ocr_page import SETUP, active_attributes, execute_headless, region_texts

pytestmark = pytest.mark.browser

TASK_ID = str(uuid.uuid4())
# Each payload would set window.__ocrnb_pwned if it ever ran.
IMG = "<img src=x onerror=\"window.__ocrnb_pwned = 'img'\">"
SCRIPT = "<script>window.__ocrnb_pwned = 'script'</script>"
HOCR = (
    "<div class='ocr_page'><span class='ocr_line'>"
    "<span class='ocrx_word' onmouseover=\"window.__ocrnb_pwned = 'hover'\">inert words</span>"
    "</span><img src=x onerror=\"window.__ocrnb_pwned = 'hocr-img'\"></div>"
)
WARNING = "<b onclick=\"window.__ocrnb_pwned = 'warning'\">bold?</b> check the scan"
WARNINGS = [WARNING, SCRIPT]
# One result per region of the bundled sample image (1000 x 320 px, four line regions).
TEXT_0 = "Aspose OCR Cloud emulator sample"
TEXT_2 = "The quick brown fox jumps over the lazy dog."
RESULTS = [("Text", TEXT_0), ("Text", IMG), ("Text", TEXT_2), ("hOCR", HOCR)]
SAMPLE_SIZE = (1000, 320)

FETCH = f"""\
from ocr_notebook import Rect, Submission
from ocr_notebook.client.submissions import remember
from ocr_notebook.emulator.samples import SAMPLE_REGIONS, sample_png

task_id = emu.inject_task(results={RESULTS!r}, warnings={WARNINGS!r}, task_id={TASK_ID!r})
# As if this kernel had submitted the sample image: the result then draws its regions on it.
boxes = tuple(Rect.from_box(box) for box, _text in SAMPLE_REGIONS)
remember(emu.base_url, task_id, Submission(image=sample_png(), regions=boxes))
"""
RESULT_CELL = 2
NAME = "shared-with-outputs.ipynb"


class _Styles(HTMLParser):
    """The ``style`` attributes of a fragment, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value or "" for name, value in attrs if name == "style"]


def _executed_notebook(root: Path, tmp_path: Path) -> str:
    """Run the notebook in a real kernel with nbclient and save it with its outputs, unsigned."""
    nb = execute_headless([SETUP, FETCH, "%ocr_fetch $task_id", "emu.stop()"], tmp_path)
    nbformat.write(nb, root / NAME)
    return NAME


def _saved_html(root: Path) -> str:
    nb = nbformat.read(root / NAME, as_version=4)
    outputs = nb.cells[RESULT_CELL].outputs
    html = [o.data["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert len(html) == 1, "the fetch cell saved no single text/html output"
    return str(html[0])


def _notary(server: LabServer) -> NotebookNotary:
    # The server's JUPYTER_DATA_DIR (LabServer.start), which holds its notebook_secret and
    # nbsignatures.db: what this notary signs, the server trusts.
    return NotebookNotary(data_dir=str(server.root.parent / "data"))


def _colour(locator: Locator, prop: str) -> str:
    return str(locator.evaluate("(el, p) => getComputedStyle(el)[p]", prop))


# Rectangles of the parts whose layout matters, all read in the same frame.
_GEOMETRY = """root => {
    const r = el => el.getBoundingClientRect().toJSON();
    const card = root.querySelector('ol.rg > li');
    return {
        cards: Array.from(root.querySelectorAll('ol.rg > li'), r),
        title: r(card.querySelector('p')),
        body: r(card.querySelector('pre')),
        image: r(root.querySelector('figure.ov img')),
        column: r(root.querySelector('.cs')),
        boxes: Array.from(root.querySelectorAll('figure.ov .bx'), r),
    };
}"""


def _check_readable(notebook: NotebookPage, saved_html: str) -> Locator:
    """What both views must show: the texts in order, inert payloads, cards, the overlay."""
    area = notebook.output(RESULT_CELL)
    result = area.locator(".ocrnb").first
    result.wait_for(timeout=30_000)

    # The header reads as one line of text, not words run together.
    header = result.locator(".oh").inner_text().strip()
    assert re.fullmatch(
        rf"Completed · task {TASK_ID} · Ok · 4 regions · [\d,]+ characters · RecognizeRegions",
        header,
    ), header
    shown_text = result.inner_text()
    assert WARNING in shown_text and SCRIPT in shown_text  # as text

    # A card per region, in order, each opening with its number; payloads shown as text.
    cards = region_texts(area)
    assert len(cards) == 4, cards
    for i, card in enumerate(cards):
        assert card.startswith(f"{i} "), card
    assert TEXT_0 in cards[0] and IMG in cards[1] and TEXT_2 in cards[2]
    assert "inert words" in cards[3]
    card_list = result.locator("ol.rg")
    assert _colour(card_list, "listStyleType") == "none", "list markers double the numbers"
    # Legible layout, measured in one go (a widget rendering above may still move it all):
    # cards are separate blocks stacked downwards, title above the text...
    figure = result.locator("figure.ov")
    image = figure.locator("img")
    assert image.count() == 1, "the source image is missing"
    natural = image.evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]")
    assert natural == [True, *SAMPLE_SIZE], natural
    at = result.evaluate(_GEOMETRY)
    for upper, lower in itertools.pairwise(at["cards"]):
        assert lower["top"] >= upper["bottom"] - 1, (upper, lower)
    assert at["body"]["top"] >= at["title"]["bottom"] - 1, at
    # ...beside the overlay: the source image with four numbered boxes on it.
    picture = at["image"]
    assert at["column"]["left"] >= picture["right"] - 1, at
    assert len(at["boxes"]) == len(SAMPLE_REGIONS)
    scale = picture["width"] / SAMPLE_SIZE[0]
    for i, ((x1, y1, x2, y2), _text) in enumerate(SAMPLE_REGIONS):
        # Where the region is, in the image's displayed scale (a pixel of rounding).
        box = at["boxes"][i]
        assert abs(box["left"] - (picture["left"] + x1 * scale)) <= 1.5, (i, box, picture)
        assert abs(box["top"] - (picture["top"] + y1 * scale)) <= 1.5, (i, box, picture)
        assert abs(box["width"] - (x2 - x1) * scale) <= 1.5, (i, box, picture)
        assert abs(box["height"] - (y2 - y1) * scale) <= 1.5, (i, box, picture)
        assert figure.locator(".bx").nth(i).is_visible()
    labels = [t.strip() for t in figure.locator(".lb").all_inner_texts()]
    assert labels == ["0", "1", "2", "3"]
    assert "numbered like its region's card" in figure.locator("figcaption").inner_text()

    # Every inline style we wrote is applied as written: none was dropped by a sanitizer.
    parser = _Styles()
    parser.feed(saved_html)
    shown = result.evaluate(
        "root => [root, ...root.querySelectorAll('[style]')]"
        ".filter(e => e.hasAttribute('style')).map(e => e.getAttribute('style'))"
    )
    assert shown == parser.found

    # Inert: nothing from the wire became an element, a handler, or a request.
    assert area.locator("script").count() == 0
    assert area.locator("img[src='x'], b[onclick]").count() == 0
    assert active_attributes(area) == []
    area.locator(".hocr .ocrx_word").first.hover()
    notebook.page.wait_for_timeout(300)  # room for an image error or a handler to fire
    assert notebook.page.evaluate("() => window.__ocrnb_pwned") is None
    assert not [url for url in notebook.requests if url.rstrip("/").endswith("/x")]
    assert notebook.errors() == []
    return result


def test_saved_outputs_read_well_untrusted_and_styled_trusted(
    lab_server: LabServer,
    open_notebook: Callable[[str], NotebookPage],
    tmp_path: Path,
) -> None:
    path = _executed_notebook(lab_server.root, tmp_path)
    saved_html = _saved_html(lab_server.root)
    assert "<style>" in saved_html and "<svg" not in saved_html
    with _notary(lab_server) as notary:
        assert not notary.check_signature(nbformat.read(lab_server.root / path, as_version=4))

    # Untrusted: the sanitizer ran (our <style> is gone), the badge shows its text/plain...
    untrusted = open_notebook(path)
    result = _check_readable(untrusted, saved_html)
    area = untrusted.output(RESULT_CELL)
    assert result.locator("style").count() == 0, "the notebook was rendered trusted"
    badge = area.locator(".jp-OutputArea-output[data-mime-type='text/plain']").first
    assert badge.inner_text().startswith(f"Completed · task {TASK_ID}")
    # ...and the chip keeps its inline colour, the cards lose their themed border.
    chip = result.locator(".oh .st")
    assert _colour(chip, "backgroundColor") == "rgb(46, 125, 50)"
    assert _colour(chip, "color") == "rgb(255, 255, 255)"
    assert _colour(result.locator("ol.rg > li").first, "borderTopWidth") == "0px"
    untrusted.screenshot("untrusted-result", untrusted.cell(RESULT_CELL))

    # Trusted (signed where this server looks): the same output with the whole stylesheet.
    with _notary(lab_server) as notary:
        nb: Any = nbformat.read(lab_server.root / path, as_version=4)
        notary.sign(nb)
        assert notary.check_signature(nb)
    trusted = open_notebook(path)
    result = _check_readable(trusted, saved_html)
    assert result.locator("style").count() == 1
    chip = result.locator(".oh .st")
    assert _colour(chip, "backgroundColor") == trusted.theme_colour("--jp-success-color1")
    assert _colour(result.locator("ol.rg > li").first, "borderTopWidth") == "1px"
    assert _colour(result.locator("figure.ov"), "position") == "sticky"
    trusted.screenshot("trusted-result", trusted.cell(RESULT_CELL))
