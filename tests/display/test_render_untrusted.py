"""What keeps a result readable where JupyterLab sanitizes it (an untrusted notebook's outputs).

The sanitizer drops ``<style>`` and SVG and keeps allowed inline styles (``display/style.py``);
``tests/browser/test_untrusted.py`` checks the real thing in JupyterLab. Here: the HTML carries
what it needs without the stylesheet, and no inline style depends on data from the wire.
"""

from __future__ import annotations

import re

from ocr_notebook import Rect, Submission
from ocr_notebook.display.results import render_result_html
from ocr_notebook.display.style import CSS
from tests.support.render import PDF_BYTES, audit, make_result, png_bytes

HOSTILE = [
    "<style>*{display:none}</style>",
    '" style="position:fixed;inset:0',
    "red;position:fixed",
    "<svg onload=alert(1)>",
]


def _submission(count: int) -> Submission:
    boxes = tuple(Rect(10, 10 + 30 * i, 290, 35 + 30 * i) for i in range(count))
    return Submission(image=png_bytes((300, 30 * count + 20)), regions=boxes)


def _styles(html: str) -> list[str]:
    return [e.attrs["style"] for e in audit(html).elements if "style" in e.attrs]


def test_no_svg_and_the_overlay_is_an_image_with_boxes() -> None:
    result = make_result([("Text", "a"), ("Text", "b")], submission=_submission(2))
    html = render_result_html(result)
    parsed = audit(html)
    assert "<svg" not in html
    (image,) = parsed.find("img")
    assert image.attrs["src"].startswith("data:image/png;base64,")
    assert "width:100%" in image.attrs["style"]
    frames = [e for e in parsed.elements if e.attrs.get("class") == "im"]
    assert "position:relative" in frames[0].attrs["style"]
    boxes = [e for e in parsed.elements if "bx" in e.attrs.get("class", "").split()]
    assert len(boxes) == 2
    assert all("position:absolute" in box.attrs["style"] for box in boxes)


def test_layout_survives_without_the_stylesheet() -> None:
    result = make_result([("Text", "a"), ("Text", "b")], submission=_submission(2))
    parsed = audit(render_result_html(result))
    by_class = {e.attrs.get("class"): e.attrs.get("style", "") for e in parsed.elements}
    assert "list-style:none" in by_class["rg"]  # the cards' numbers, not 1. 2. markers
    assert "display:flex" in by_class["sp"]  # the overlay beside the cards
    assert "background-color:#2e7d32" in by_class["st k-ok"]  # a coloured chip
    # The header is a line of text with separators, not words run together.
    assert re.search(
        r"Completed · task \S+ · Ok · 2 regions · 2 characters · Recog", parsed.visible_text
    )


def test_the_stylesheet_still_themes_what_inline_styles_colour() -> None:
    for kind in ("ok", "error", "running", "unknown"):
        assert re.search(
            rf"\.ocrnb \.k-{kind}\{{background-color:var\(--jp-[a-z0-9-]+,#[0-9a-f]+\)!important\}}",
            CSS,
        )


def test_a_download_link_says_what_to_do_where_links_are_stripped() -> None:
    html = render_result_html(make_result([("Pdf", PDF_BYTES)]))
    parsed = audit(html)
    (hint,) = [e for e in parsed.elements if e.attrs.get("class") == "ut"]
    assert "untrusted notebook" in hint.text
    assert "result.regions[0].save(folder)" in parsed.visible_text
    assert ".ocrnb .ut{display:none}" in CSS  # hidden wherever the link works


def test_inline_styles_do_not_depend_on_wire_data() -> None:
    benign = make_result([("Text", f"text {i}") for i in range(4)], submission=_submission(4))
    hostile = make_result(
        [("Text", text) for text in HOSTILE],
        warnings=HOSTILE,
        messages=HOSTILE,
        task_id='x" style="position:fixed',
        submission=_submission(4),
    )
    assert _styles(render_result_html(hostile)) == _styles(render_result_html(benign))
