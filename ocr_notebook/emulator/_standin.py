"""The stand-in engine of ``Emulator(ocr=False)``: answers like ``_ocr`` without Tesseract.

A load test must measure its client, not Tesseract sharing the machine's cores. This engine
reads each image (or region crop) as plain pixels and answers a few words chosen by a hash
of them: the same crop always reads the same, different crops read differently, and no
model is loaded. Hocr lays those words out on one line across the image; Pdf is a blank page
of the image's size (no text layer).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from html import escape

from PIL import Image

from ._ocr import Word
from ._results import blank_pdf

__all__ = ["recognize", "words"]

_VOCABULARY = (
    "invoice",
    "total",
    "amount",
    "due",
    "date",
    "order",
    "number",
    "customer",
    "account",
    "balance",
    "paid",
    "tax",
    "net",
    "item",
    "quantity",
    "price",
    "ship",
    "to",
    "from",
    "street",
    "city",
    "north",
    "south",
    "office",
    "supply",
    "parts",
    "service",
    "monthly",
    "report",
    "ref",
    "page",
    "note",
)
_POINTS_PER_PIXEL = 72 / 300  # the blank PDF page: the image as a 300 dpi scan


def _text(image: Image.Image) -> str:
    # tobytes() of a region crop is small; the hash makes the words depend on every pixel.
    digest = hashlib.blake2b(
        image.tobytes() + f"{image.mode}{image.size}".encode("ascii"), digest_size=16
    ).digest()
    count = 2 + digest[0] % 4
    picked = [_VOCABULARY[b % len(_VOCABULARY)] for b in digest[1 : 1 + count]]
    number = int.from_bytes(digest[8:11], "big") % 100_000
    return " ".join([picked[0].capitalize(), *picked[1:], str(number)])


def words(image: Image.Image) -> list[Word]:
    """The stand-in text as words on one line, spread evenly across ``image``."""
    found = _text(image).split(" ")
    step = max(1, image.width // len(found))
    height = max(1, image.height)
    return [
        Word(word, (n * step, 0, min(image.width, (n + 1) * step), height), 1, 1, 1)
        for n, word in enumerate(found)
    ]


def _hocr(image: Image.Image) -> bytes:
    found = words(image)
    spans = "".join(
        f"<span class='ocrx_word' id='word_1_{n}' title='bbox {w.box[0]} {w.box[1]} "
        f"{w.box[2]} {w.box[3]}; x_wconf 95'>{escape(w.text)}</span> "
        for n, w in enumerate(found, start=1)
    )
    box = f"0 0 {image.width} {image.height}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title></title>'
        '<meta name="ocr-system" content="ocr_notebook emulator (OCR off)"/></head><body>'
        f"<div class='ocr_page' id='page_1' title='bbox {box}'>"
        f"<span class='ocr_line' id='line_1_1' title='bbox {box}'>{spans.rstrip()}</span>"
        "</div></body></html>\n"
    ).encode()


def recognize(image: Image.Image, formats: Iterable[str]) -> dict[str, bytes]:
    """The stand-in answer for ``image`` in each of ``formats`` (Text, Hocr, Pdf)."""
    out: dict[str, bytes] = {}
    for kind in formats:
        if kind == "Text":
            out[kind] = _text(image).encode("utf-8")
        elif kind == "Hocr":
            out[kind] = _hocr(image)
        elif kind == "Pdf":
            out[kind] = blank_pdf(image.width * _POINTS_PER_PIXEL, image.height * _POINTS_PER_PIXEL)
    return out
