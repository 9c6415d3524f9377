"""Helpers for the rendering tests: real result payloads and an HTML audit with html.parser."""

from __future__ import annotations

import base64
import io
import json
import re
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from ocr_notebook import OCRResult, Submission

# Elements that run code, load documents or change the page outside our fragment.
FORBIDDEN_TAGS = frozenset(
    {"script", "iframe", "frame", "object", "embed", "form", "base", "meta", "link", "applet"}
    | {"input", "button", "textarea", "select", "template", "noscript", "math", "portal"}
    | {"foreignobject", "animate", "set", "use", "video"}
)
URL_ATTRIBUTES = frozenset(
    {"href", "src", "xlink:href", "action", "formaction", "poster", "background", "srcset"}
    | {"data", "codebase", "cite", "longdesc", "ping", "manifest"}
)
# The only data: MIME types we embed; none of them is a document a browser would run.
SAFE_DATA_MIMES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/bmp", "image/webp", "audio/wav"}
    | {"application/pdf", "application/octet-stream", "text/plain", "text/csv"}
    | {"application/json", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
)

# Inline styles are ours only (built from constants and numbers in display/style.py): plain
# declarations of lengths, percentages, hex colours and keywords; no url(), var(), quotes or
# escapes, through which a wire string could have got in; nothing that leaves the output's box.
_DECLARATION = re.compile(r"([a-z-]+):([-#.%/0-9a-z ]+)")
_STYLE_PROPERTIES = frozenset(
    {"margin", "margin-right", "margin-left", "margin-bottom", "padding", "padding-top", "border"}
    | {"border-radius", "outline"}
    | {"color", "background-color", "font", "font-weight", "display", "list-style"}
    | {"flex", "flex-wrap", "gap", "align-items", "min-width", "max-width", "box-sizing"}
    | {"position", "left", "top", "right", "bottom", "width", "height"}
)


def assert_own_style(style: str, tag: str) -> None:
    for declaration in style.split(";"):
        match = _DECLARATION.fullmatch(declaration)
        assert match, f"inline style {style!r} on <{tag}>"
        prop, value = match.groups()
        assert prop in _STYLE_PROPERTIES, f"inline {prop} on <{tag}>"
        assert prop != "position" or value in {"relative", "absolute"}, f"position:{value}"


VOID_TAGS = frozenset({"br", "img", "hr", "wbr", "meta", "link", "input", "source", "col"})


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""  # text directly inside (not inside its children)


class Audit(HTMLParser):
    """Parses a fragment the way a browser's tokenizer would and records what matters."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.chunks: list[str] = []
        self.styles: list[str] = []
        self._open: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag not in VOID_TAGS:
            self._open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._open) - 1, -1, -1):
            if self._open[depth].tag == tag:
                del self._open[depth:]
                return

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1].tag == "style":
            self.styles.append(data)
            return
        self.chunks.append(data)
        if self._open:
            self._open[-1].text += data

    @property
    def visible_text(self) -> str:
        return "".join(self.chunks)

    def find(self, tag: str, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.elements
            if e.tag == tag and all(e.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]


def audit(markup: str) -> Audit:
    """Parse ``markup`` and assert it is inert; return the audit for further checks."""
    parsed = Audit()
    parsed.feed(markup)
    parsed.close()
    assert_inert(parsed)
    markup.encode("utf-8")  # no lone surrogates: the notebook must be able to save it
    return parsed


def assert_inert(parsed: Audit) -> None:
    for element in parsed.elements:
        assert element.tag not in FORBIDDEN_TAGS, f"<{element.tag}> in output"
        for name, value in element.attrs.items():
            assert not name.startswith("on"), f"event handler {name}= on <{element.tag}>"
            if name == "style":
                assert_own_style(value, element.tag)
            if name in URL_ATTRIBUTES:
                assert value.startswith("data:"), f"{name}={value[:60]!r} on <{element.tag}>"
                mime = value[5:].split(";", 1)[0].lower()
                assert mime in SAFE_DATA_MIMES, f"data: URI of type {mime!r}"
            assert "javascript:" not in value.lower().replace(" ", ""), (name, value[:80])
    # Our own stylesheet (plus, in a collection, one block of linking rules per result, each
    # scoped to its result's class), scoped under our root class.
    assert len(parsed.styles) <= 1 or all(
        re.match(r"\.ocrnb-[0-9a-f]{8}[ {]", css) for css in parsed.styles[1:]
    )
    for css in parsed.styles:
        for selector in _top_level_selectors(css):
            for part in _split_outside_parentheses(selector):
                assert re.match(r"\.ocrnb(-b)?\b", part.strip()), f"unscoped CSS {part!r}"


def _top_level_selectors(css: str) -> list[str]:
    """The selectors of ``css``'s outermost rules (nested ones are relative to them)."""
    selectors, depth, start = [], 0, 0
    for i, char in enumerate(css):
        if char == "{":
            if depth == 0:
                selectors.append(css[start:i])
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                start = i + 1
    return selectors


def _split_outside_parentheses(selector: str) -> list[str]:
    """A selector list split at its own commas, not those inside ``:is(...)`` and the like."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(selector):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(selector[start:i])
            start = i + 1
    return [*parts, selector[start:]]


def b64(data: bytes | str) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return base64.b64encode(raw).decode("ascii")


def make_result(
    results: Sequence[tuple[str, bytes | str]],
    *,
    status: str = "Completed",
    code: str = "Ok",
    task_id: str = "0a7f3c2e-1111-4a5b-9c3d-2e4f6a8b0c1d",
    messages: Sequence[str] = (),
    warnings: Sequence[str] = (),
    api: str = "RecognizeRegions",
    submission: Submission | None = None,
) -> OCRResult:
    """An OCRResult parsed from a wire payload, exactly as the client would get it."""
    payload: dict[str, Any] = {
        "id": task_id,
        "taskStatus": status,
        "responseStatusCode": code,
        "results": [{"type": t, "data": b64(d)} for t, d in results],
        "error": {"messages": list(messages), "warnings": list(warnings)}
        if messages or warnings
        else None,
    }
    # Round-trip through JSON like the wire does.
    return OCRResult.from_response(json.loads(json.dumps(payload)), api=api, submission=submission)


def png_bytes(size: tuple[int, int] = (120, 40), fmt: str = "PNG") -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).rectangle((1, 1, size[0] // 2, size[1] // 2), outline="black")
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def wav_bytes(seconds: float = 0.1, rate: int = 8000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"\x00\x00" * int(seconds * rate))
    return out.getvalue()


PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)

HOCR = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
 "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
 <head><title>hOCR</title><meta name="ocr-system" content="tesseract 5.5.4" /></head>
 <body>
  <div class='ocr_page' id='page_1' title='image "x.png"; bbox 0 0 120 40; ppageno 0'>
   <div class='ocr_carea' id='block_1_1' title="bbox 2 2 100 30">
    <p class='ocr_par' id='par_1_1' lang='eng' title="bbox 2 2 100 30">
     <span class='ocr_line' id='line_1_1' title="bbox 2 2 100 30; baseline 0 -5">
      <span class='ocrx_word' id='word_1_1' title='bbox 2 2 50 30; x_wconf 96'>Hello</span>
      <span class='ocrx_word' id='word_1_2' title='bbox 55 2 100 30; x_wconf 95'>world</span>
     </span>
    </p>
   </div>
  </div>
 </body>
</html>
"""
