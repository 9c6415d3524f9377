"""The v5 operations a client may name: the one table (client, ``%ocr_fetch --api``, config).

Spelled as the API's OpenAPI file spells its paths
(https://github.com/aspose-ocr-cloud/aspose-ocr-cloud-java/blob/master/api/openapi.yaml); the
service routes case-insensitively, but this package always sends this case. The emulator
keeps its own copy (``emulator/_operations.py``) on purpose, as an independent check;
``tests/emulator/test_operations_agree.py`` asserts the two agree.
"""

from __future__ import annotations

from ..results.errors import UnknownOperationError

__all__ = [
    "API_PREFIX",
    "BINARIZE_BY_DEFAULT",
    "FETCH_OPERATIONS",
    "IMAGE_ONLY_OPERATIONS",
    "IMAGE_OPERATIONS",
    "NO_RESULT_TYPE_OPERATIONS",
    "NO_SKEW_CORRECTION_OPERATIONS",
    "STATUS_OPERATION",
    "TOKEN_PATH",
    "resolve_api",
]

API_PREFIX = "/v5.0/ocr"
TOKEN_PATH = "/connect/token"  # noqa: S105 - a path
STATUS_OPERATION = "Utilities/GetTaskStatus"

# Every v5.0 operation with POST / GET ?id= / DELETE ?id=.
FETCH_OPERATIONS: tuple[str, ...] = (
    "RecognizeRegions",
    "RecognizeImage",
    "RecognizePdf",
    "RecognizeReceipt",
    "RecognizeTable",
    "RecognizeLabel",
    "DetectRegions",
    "RecognizeAndParseInvoice",
    "IdentifyFont",
    "DjVu2PDF",
    "BinarizeImage",
    "DeskewImage",
    "DewarpImage",
    "UpscaleImage",
    "ConvertTextToSpeech",
)
# Operations whose POST body carries an image (all but text-to-speech).
IMAGE_OPERATIONS: tuple[str, ...] = tuple(
    op for op in FETCH_OPERATIONS if op != "ConvertTextToSpeech"
)
# Image processing: the body is just the image, no settings.
IMAGE_ONLY_OPERATIONS = frozenset({"BinarizeImage", "DeskewImage", "DewarpImage", "UpscaleImage"})
# Operations whose results are not selected by resultType.
NO_RESULT_TYPE_OPERATIONS = frozenset({"DetectRegions", "DjVu2PDF"})
# The booleans the vendor's Python SDK 24.11.0 sends when a caller sets nothing (its
# pydantic defaults, https://github.com/aspose-ocr-cloud/aspose-ocr-cloud-python):
# makeSkewCorrect and makeBinarization differ by operation.
NO_SKEW_CORRECTION_OPERATIONS = frozenset({"RecognizeLabel", "RecognizeAndParseInvoice"})
BINARIZE_BY_DEFAULT = frozenset(
    {
        "RecognizeRegions",
        "RecognizePdf",
        "RecognizeReceipt",
        "RecognizeTable",
        "IdentifyFont",
        "DetectRegions",
        "DjVu2PDF",
    }
)

_BY_LOWER = {op.lower(): op for op in FETCH_OPERATIONS}


def resolve_api(api: object, *, allowed: tuple[str, ...] = FETCH_OPERATIONS) -> str:
    """Return the canonical spelling of an operation name (case-insensitive match).

    Raises:
        UnknownOperationError: ``api`` is not one of ``allowed``; the message lists them.
    """
    if isinstance(api, str):
        canonical = _BY_LOWER.get(api.strip().lower())
        if canonical is not None and canonical in allowed:
            return canonical
    shown = repr(api) if len(repr(api)) <= 60 else repr(api)[:60] + "…"
    raise UnknownOperationError(f"Unknown operation {shown}; use one of: {', '.join(allowed)}.")
