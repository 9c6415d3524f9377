"""Generated look-alike invoices: the same three fields in the same places, different values.

For templates and batches (tests, benchmarks, the workbench notebook): every invoice has
an invoice number, a date and a total at :data:`INVOICE_FIELDS` (pixels of an
:data:`INVOICE_SIZE` page, scaled with the page when ``scale`` is not 1), in Pillow's
built-in font, which Tesseract reads exactly.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["INVOICE_FIELDS", "INVOICE_SIZE", "invoice_png", "invoice_texts", "render_invoice"]

INVOICE_SIZE = (800, 300)  # width, height in pixels at scale 1
_FONT_SIZE = 30
#: ``(name, (x1, y1, x2, y2))`` of each field at scale 1, top to bottom.
INVOICE_FIELDS: tuple[tuple[str, tuple[int, int, int, int]], ...] = (
    ("invoice_no", (20, 20, 780, 90)),
    ("date", (20, 115, 780, 185)),
    ("total", (20, 210, 780, 280)),
)


def invoice_texts(number: int) -> dict[str, str]:
    """The text of each field of invoice ``number``, by field name."""
    return {
        "invoice_no": f"Invoice INV-{number:05d}",
        "date": f"Date 2026-{1 + number % 12:02d}-{1 + number % 28:02d}",
        "total": f"Total ${number * 37 % 10000}.{number % 100:02d}",
    }


def render_invoice(number: int, *, scale: float = 1.0) -> Image.Image:
    """Draw invoice ``number`` (grey scale), ``scale`` times :data:`INVOICE_SIZE`."""
    from PIL import Image, ImageDraw, ImageFont

    size = (round(INVOICE_SIZE[0] * scale), round(INVOICE_SIZE[1] * scale))
    font = ImageFont.load_default(size=round(_FONT_SIZE * scale))
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    texts = invoice_texts(number)
    for name, (x1, y1, _, y2) in INVOICE_FIELDS:
        top = (y1 + y2 - _FONT_SIZE) / 2
        draw.text((round((x1 + 20) * scale), round(top * scale)), texts[name], fill=0, font=font)
    return image


def invoice_png(number: int, *, scale: float = 1.0) -> bytes:
    """:func:`render_invoice` as PNG bytes."""
    out = io.BytesIO()
    render_invoice(number, scale=scale).save(out, format="PNG")
    return out.getvalue()
