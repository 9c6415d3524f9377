"""DetectRegions without I/O: the submission body, and the detected boxes parsed into ``Rect``.

DetectRegions finds the text blocks of an image; its one result has ``type: "Other"`` and
its data is the text ``[[x1, y1, x2, y2], ...]`` (Base64 on the wire), one box per block:
https://docs.aspose.cloud/ocr/detect-regions/fetch/
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from typing import Any

from ..results.errors import ResponseFormatError
from ..results.models import OCRResult, Rect

__all__ = ["DETECT_API", "build_detect_body", "parse_detected_regions"]

DETECT_API = "DetectRegions"

# The settings the vendor documents for DetectRegions, with the values its SDK sends when a
# caller sets nothing (language, skew correction, binarization, contrast, upsampling; no
# resultType, no spell check): https://docs.aspose.cloud/ocr/detect-regions/send/
_DEFAULT_SETTINGS: dict[str, Any] = {
    "language": "English",
    "makeSkewCorrect": True,
    "makeBinarization": True,
    "makeContrastCorrection": False,
    "makeUpsampling": False,
}


def build_detect_body(
    image: bytes, *, language: str = "English", settings: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The JSON body of ``POST /v5.0/ocr/DetectRegions``.

    Args:
        image: The image bytes; sent as standard Base64.
        language: ``settings.language``.
        settings: Further or overriding settings by wire name (``{"dsrMode": "DsrNoFilter"}``,
            ``{"rotate": 90}``); names match case-insensitively, as the service binds them.
    """
    wire = dict(_DEFAULT_SETTINGS, language=language)
    for key, value in (settings or {}).items():
        for existing in [k for k in wire if k.lower() == str(key).lower()]:
            del wire[existing]
        wire[str(key)] = value
    return {"image": base64.b64encode(image).decode("ascii"), "settings": wire}


def parse_detected_regions(result: OCRResult) -> list[Rect]:
    """The boxes of a Completed DetectRegions result, top to bottom as the service sent them.

    Every result entry's text is read (the service sends one); an entry without data is
    no boxes.

    Raises:
        ResponseFormatError: an entry is not a JSON list of ``[x1, y1, x2, y2]`` numbers.
    """
    rects: list[Rect] = []
    for entry in result.regions:
        text = entry.data.decode("utf-8", errors="replace").strip()
        if not text:
            continue
        try:
            boxes = json.loads(text)
        except json.JSONDecodeError:
            raise _malformed(result, f"is not JSON ({_excerpt(text)})") from None
        if not isinstance(boxes, list):
            raise _malformed(result, f"is not a list of boxes ({_excerpt(text)})")
        for number, box in enumerate(boxes):
            rects.append(_box(box, number, result))
    return rects


def _box(box: object, number: int, result: OCRResult) -> Rect:
    if (
        not isinstance(box, list)
        or len(box) != 4
        or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in box
        )
    ):
        raise _malformed(result, f"box {number} is not [x1, y1, x2, y2] numbers: {box!r:.60}")
    x1, y1, x2, y2 = (round(v) for v in box)
    left, right = sorted((x1, x2))
    top, bottom = sorted((y1, y2))
    return Rect(left, top, right, bottom)


def _malformed(result: OCRResult, what: str) -> ResponseFormatError:
    task = f" of task {result.id}" if result.id else ""
    return ResponseFormatError(
        f"The DetectRegions result{task} {what}; expected [[x1, y1, x2, y2], ...].",
        task_id=result.id,
    )


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= 60 else flat[:60] + "…")
