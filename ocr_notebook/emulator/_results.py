"""Well-formed results for the operations that are not plain recognition.

They are plausible rather than clever: the right type and shape, derived from the image where
that is cheap (Tesseract's word boxes, Pillow's filters), so every client path can be exercised.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import re
import struct
import wave
import zipfile
import zlib
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from PIL import Image, ImageFilter, ImageOps

from ._ocr import Word

__all__ = [
    "binarize",
    "blank_pdf",
    "deskew",
    "detected_boxes",
    "dewarp",
    "font_report",
    "invoice_fields",
    "mask_trial",
    "png",
    "speech_wav",
    "table_rows",
    "text_lines",
    "to_csv",
    "to_xlsx",
    "upscale",
]


def png(image: Image.Image) -> bytes:
    """``image`` as PNG bytes (every image-processing result is PNG)."""
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _otsu(gray: Image.Image) -> int:
    histogram = gray.histogram()[:256]
    total = sum(histogram)
    weighted_all = sum(i * h for i, h in enumerate(histogram))
    best, threshold = -1.0, 127
    weight_bg = 0
    sum_bg = 0
    for level, count in enumerate(histogram):
        weight_bg += count
        if weight_bg == 0:
            continue
        weight_fg = total - weight_bg
        if weight_fg == 0:
            break
        sum_bg += level * count
        mean_bg = sum_bg / weight_bg
        mean_fg = (weighted_all - sum_bg) / weight_fg
        between = weight_bg * weight_fg * (mean_bg - mean_fg) ** 2
        if between > best:
            best, threshold = between, level
    return threshold


def binarize(image: Image.Image) -> Image.Image:
    """Black and white by Otsu's threshold."""
    gray = ImageOps.grayscale(image)
    threshold = _otsu(gray)
    return gray.point(lambda v: 255 if v > threshold else 0).convert("1")


def _row_profile_score(ink: Image.Image, angle: float) -> float:
    turned = ink.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=0)
    # Averaging each row down to one pixel gives the horizontal projection profile;
    # text lines aligned with the rows make it peaky (high variance).
    profile = list(turned.resize((1, turned.height), Image.Resampling.BOX).tobytes())  # mode L
    mean = sum(profile) / len(profile)
    return sum((p - mean) ** 2 for p in profile) / len(profile)


def deskew(image: Image.Image, max_angle: float = 10.0, step: float = 0.5) -> Image.Image:
    """Rotate by the angle (within ``max_angle`` degrees) that best aligns text rows."""
    ink = ImageOps.invert(ImageOps.grayscale(image))
    scale = min(1.0, 600 / max(ink.size))
    if scale < 1.0:
        ink = ink.resize((max(1, int(ink.width * scale)), max(1, int(ink.height * scale))))
    steps = int(max_angle / step)
    best = max(
        (k * step for k in range(-steps, steps + 1)), key=lambda a: _row_profile_score(ink, a)
    )
    if best == 0:
        return image.convert("RGB")
    return image.convert("RGB").rotate(
        best, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255)
    )


def dewarp(image: Image.Image) -> Image.Image:
    """A light clean-up standing in for dewarping (the emulator has no page model)."""
    return image.convert("RGB").filter(ImageFilter.MedianFilter(3))


def upscale(image: Image.Image, factor: int = 2) -> Image.Image:
    """``factor`` times larger, Lanczos-resampled."""
    return image.convert("RGB").resize(
        (image.width * factor, image.height * factor), Image.Resampling.LANCZOS
    )


def text_lines(found: Sequence[Word]) -> list[list[Word]]:
    """Words grouped into Tesseract's lines, top to bottom, each left to right."""
    grouped: dict[tuple[int, int, int], list[Word]] = {}
    for word in found:
        grouped.setdefault((word.block, word.paragraph, word.line), []).append(word)
    lines = sorted(grouped.values(), key=lambda ws: (min(w.box[1] for w in ws), ws[0].box[0]))
    return [sorted(ws, key=lambda w: w.box[0]) for ws in lines]


def table_rows(found: Sequence[Word]) -> list[list[str]]:
    """Text lines as rows; a horizontal gap wider than ~1.5 line heights starts a new cell."""
    rows = []
    for line in text_lines(found):
        height = max(w.box[3] - w.box[1] for w in line) or 1
        cells = [line[0].text]
        for previous, word in itertools.pairwise(line):
            if word.box[0] - previous.box[2] > 1.5 * height:
                cells.append(word.text)
            else:
                cells[-1] += " " + word.text
        rows.append(cells)
    return rows


def to_csv(rows: Sequence[Sequence[str]]) -> bytes:
    r"""Rows as CSV text (comma-separated, ``\n`` line ends)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


def to_xlsx(rows: Sequence[Sequence[str]]) -> bytes:
    """Rows as a minimal one-sheet Office Open XML workbook (inline strings)."""
    sheet_rows = []
    for r, row in enumerate(rows, start=1):
        cells = "".join(
            f'<c r="{_column(c)}{r}" t="inlineStr"><is><t xml:space="preserve">'
            f"{escape(value)}</t></is></c>"
            for c, value in enumerate(row)
        )
        sheet_rows.append(f'<row r="{r}">{cells}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    ct = "http://schemas.openxmlformats.org/package/2006/content-types"
    parts = {
        "[Content_Types].xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{ct}">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rel}">'
            '<sheets><sheet name="Table" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}"><sheetData>'
            f"{''.join(sheet_rows)}</sheetData></worksheet>"
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


def detected_boxes(found: Sequence[Word]) -> bytes:
    """DetectRegions' data: ``[[x1, y1, x2, y2], ...]``, one box per text block, top to bottom."""
    blocks: dict[int, list[int]] = {}
    for word in found:
        box = blocks.get(word.block)
        if box is None:
            blocks[word.block] = list(word.box)
        else:
            box[0], box[1] = min(box[0], word.box[0]), min(box[1], word.box[1])
            box[2], box[3] = max(box[2], word.box[2]), max(box[3], word.box[3])
    ordered = sorted(blocks.values(), key=lambda b: (b[1], b[0]))
    return json.dumps(ordered, separators=(", ", ": ")).encode("ascii")


_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b|\b(\d{1,2})[./](\d{1,2})[./](\d{4})\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d ()-]{6,}\d")
_AMOUNT = re.compile(r"(\d{1,3}(?:[ ,]\d{3})*(?:\.\d{1,2})|\d+(?:\.\d{1,2})?)")
_CURRENCIES = {"$": "USD", "€": "EUR", "£": "GBP", "USD": "USD", "EUR": "EUR", "GBP": "GBP"}


def _dates(text: str) -> list[str]:
    found = []
    for m in _DATE.finditer(text):
        if m.group(1):
            found.append(f"{m.group(1)}-{m.group(2)}-{m.group(3)}")
        else:
            found.append(f"{m.group(6)}-{int(m.group(5)):02d}-{int(m.group(4)):02d}")
    return found


def _amount_after(text: str, label: str) -> float | None:
    for line in text.splitlines():
        if label in line.lower():
            numbers = _AMOUNT.findall(line)
            if numbers:
                return float(numbers[-1].replace(",", "").replace(" ", ""))
    return None


def invoice_fields(text: str) -> bytes:
    """RecognizeAndParseInvoice's JSON object, fields filled from the recognized text.

    Every documented field is present: unknown strings are empty, ``vat`` is -1 when missing.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    dates = _dates(text)
    email = _EMAIL.search(text)
    phone = _PHONE.search(_EMAIL.sub("", text))
    currency = next((code for sign, code in _CURRENCIES.items() if sign in text), "")
    total = _amount_after(text, "total")
    vat = _amount_after(text, "vat")
    net = _amount_after(text, "net")
    fields: dict[str, Any] = {
        "issue_date": dates[0] if dates else "",
        "due_date": dates[1] if len(dates) > 1 else "",
        "supplier_name": lines[0] if lines else "",
        "supplier_address": lines[1] if len(lines) > 1 else "",
        "supplier_email": email.group(0) if email else "",
        "supplier_phone": phone.group(0).strip() if phone else "",
        "supplier_tax_id": "",
        "receiver_name": "",
        "receiver_address": "",
        "receiver_tax_id": "",
        "currency": currency,
        "total_amount": total if total is not None else 0.0,
        "vat": vat if vat is not None else -1,
        "net_amount": net if net is not None else (total if total is not None else 0.0),
        "bank_name": "",
        "bic": "",
        "account": "",
    }
    return json.dumps(fields, ensure_ascii=False, indent=2).encode("utf-8")


def font_report(found: Sequence[Word]) -> bytes:
    """IdentifyFont's Python-repr text (the emulator cannot tell fonts apart: a fixed guess).

    With no text found, the font list is empty.
    """
    fonts = ["arial", "helvetica", "verdana"] if found else []
    return repr({"style": "regular", "font": fonts}).encode("utf-8")


def speech_wav(text: str, rate: int = 22_050) -> bytes:
    """A mono 16-bit PCM WAV: one short tone per word, pitch from the word, ~60 ms a letter."""
    samples = bytearray()
    gap = b"\x00\x00" * (rate // 20)
    for word in text.split()[:400]:
        pitch = 220.0 + (zlib.crc32(word.lower().encode("utf-8")) % 440)
        length = int(rate * min(0.06 * len(word), 0.6))
        for n in range(length):
            fade = min(1.0, n / 200, (length - n) / 200)
            value = int(9000 * fade * math.sin(2 * math.pi * pitch * n / rate))
            samples += struct.pack("<h", value)
        samples += gap
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(bytes(samples) or gap)
    return out.getvalue()


def blank_pdf(width: float = 612.0, height: float = 792.0) -> bytes:
    """A valid one-page, empty PDF (for inputs the emulator cannot render, like DjVu)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width:.0f} {height:.0f}] >>".encode(),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


_WORD = re.compile(r"\w+")


def mask_trial(text: str) -> str:
    """Trial output: about one word in ten replaced by ``*`` of equal length.

    The same words every time (chosen by a hash of the word, as resubmission masks the same
    words).
    """

    def hide(match: re.Match[str]) -> str:
        word = match.group(0)
        return "*" * len(word) if zlib.crc32(word.encode("utf-8")) % 10 == 0 else word

    return _WORD.sub(hide, text)
