"""Image sniffing and the region overlay (HTML with inline styles, no JavaScript). No I/O.

Only formats every browser shows inline are embedded (PNG, JPEG, GIF, BMP, WebP); the
MIME type comes from the bytes' signature, never from the wire, so a payload cannot
choose ``text/html`` or ``image/svg+xml``.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from ..results.models import Rect
from .labels import place_labels
from .linked import REGION_ATTRIBUTE, region_class
from .style import (
    FIGURE,
    OVERLAY_IMAGE,
    box_style,
    canvas_style,
    image_frame_style,
    label_style,
)
from .text import esc, human_size


@dataclass(frozen=True)
class ImageInfo:
    """What the signature of an image says: its MIME type and pixel size (0 when unknown)."""

    mime: str
    width: int
    height: int


def sniff_image(data: bytes) -> ImageInfo | None:
    """The MIME type and size of a browser-displayable image, or None for anything else."""
    try:
        if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
            width, height = struct.unpack(">II", data[16:24])
            return ImageInfo("image/png", width, height)
        if data[:6] in (b"GIF87a", b"GIF89a"):
            width, height = struct.unpack("<HH", data[6:10])
            return ImageInfo("image/gif", width, height)
        if data.startswith(b"\xff\xd8"):
            return ImageInfo("image/jpeg", *_jpeg_size(data))
        if data.startswith(b"BM") and len(data) >= 26:
            width, height = struct.unpack("<ii", data[18:26])
            return ImageInfo("image/bmp", abs(width), abs(height))
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return ImageInfo("image/webp", *_webp_size(data))
    except struct.error:
        return None
    return None


def _jpeg_size(data: bytes) -> tuple[int, int]:
    pos = 2
    while pos + 9 < len(data):
        if data[pos] != 0xFF:
            return 0, 0
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        # SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height
        pos += 2 + length
    return 0, 0


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return 0, 0


class EmbedBudget:
    """Bytes of binary data one output may still embed as data URIs (shared by all regions).

    One budget per rendered output keeps fifty 2 MB PDFs from becoming a 130 MB notebook.
    """

    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self, size: int) -> bool:
        """Reserve ``size`` bytes; False (and nothing reserved) when they do not fit."""
        if size > self.left:
            return False
        self.left -= size
        return True


def data_uri(mime: str, data: bytes) -> str:
    """A ``data:`` URI; the Base64 alphabet needs no HTML escaping."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


@dataclass(frozen=True)
class Box:
    """A numbered rectangle to draw: ``label`` is the region index shown on its card.

    ``linked``: the rectangle belongs to the card of region ``label`` (``linked.py``); not
    for boxes numbered otherwise (submission order, a DetectRegions table).
    """

    label: int
    x1: int
    y1: int
    x2: int
    y2: int
    linked: bool = False

    @classmethod
    def from_rect(cls, label: int, rect: Rect, *, linked: bool = False) -> Box:
        """Normalise corners so that x1 <= x2 and y1 <= y2."""
        x1, y1, x2, y2 = rect.as_tuple()
        return cls(label, min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2), linked)


def overlay_html(image: bytes, boxes: Sequence[Box], *, embed: EmbedBudget, caption: str) -> str:
    """The source image with each box drawn and numbered, as a ``<figure>``.

    Plain HTML with inline styles (an ``<img>`` and absolutely placed boxes, in percentages of
    the image), not SVG: JupyterLab's sanitizer removes SVG from an untrusted notebook's
    outputs but keeps these (see ``style.py``), so a shared notebook shows the same
    picture. When the image cannot be shown (unknown format, larger than the ``embed``
    budget) the boxes are drawn on an empty canvas sized to hold them, and the caption says
    why.
    """
    info = sniff_image(image)
    embedded = info is not None and embed.take(len(image))
    notes = [caption]
    if info is None:
        notes.append("the source image's format cannot be shown inline")
    elif not embedded:
        notes.append(f"the source image ({human_size(len(image))}) is too large to embed")
    width = info.width if info is not None and info.width else 0
    height = info.height if info is not None and info.height else 0
    if not (width and height):
        width = max([b.x2 for b in boxes] + [1])
        height = max([b.y2 for b in boxes] + [1])
    plan = place_labels([(b.label, b.x1, b.y1, b.x2, b.y2) for b in boxes], width, height)
    frame = image_frame_style(width, plan.margin)
    parts = [f'<figure class="ov" style="{FIGURE}"><div class="im" style="{frame}">']
    if embedded and info is not None:
        parts.append(
            f'<img src="{data_uri(info.mime, image)}" width="{width}" height="{height}" '
            f'alt="source image with numbered regions" style="{OVERLAY_IMAGE}">'
        )
    else:
        parts.append(f'<div class="bg" style="{canvas_style(width, height)}"></div>')
    for b, spot in zip(boxes, plan.spots, strict=True):
        link = f' {REGION_ATTRIBUTE}="{b.label}"' if b.linked else ""
        cls = f"bx {region_class(b.label)}" if b.linked else "bx"
        label = f'<span class="lb" style="{label_style(spot, b.y1, height)}">{b.label}</span>'
        # A margin label belongs to the frame (see label_style); the others ride their box.
        inside, beside = ("", label) if spot.side == "margin" else (label, "")
        title = f"region {b.label}: ({b.x1}, {b.y1}) to ({b.x2}, {b.y2})"
        parts.append(
            f'<span class="{cls}"{link} title="{title}" '
            f'style="{box_style(b.x1, b.y1, b.x2, b.y2, width, height)}">{inside}</span>{beside}'
        )
    parts.append("</div>")
    parts.append(f"<figcaption>{esc('; '.join(notes))}</figcaption></figure>")
    return "".join(parts)
