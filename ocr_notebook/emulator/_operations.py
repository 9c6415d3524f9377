"""The catalogue of v5 operations the emulator serves: names, body shape, auth, id form."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from urllib.parse import unquote

__all__ = ["OPERATIONS", "Kind", "Operation", "endpoint_name", "find_operation"]


class Kind(enum.Enum):
    """What an operation's worker does with a submission."""

    OCR = "ocr"  # recognize the whole image (or regions) into Text/Hocr/Pdf
    REGIONS = "regions"
    PDF = "pdf"
    TABLE = "table"
    DETECT = "detect"
    INVOICE = "invoice"
    FONT = "font"
    DJVU = "djvu"
    BINARIZE = "binarize"
    DESKEW = "deskew"
    DEWARP = "dewarp"
    UPSCALE = "upscale"
    SPEECH = "speech"


@dataclass(frozen=True)
class Operation:
    """One ``/v5.0/ocr/<name>`` endpoint with POST/GET/DELETE.

    Attributes:
        name: The path segment as the spec spells it.
        kind: Which worker produces its results.
        trial: Trial endpoints need no bearer token (and mask part of the output).
        needs_settings: The body has a ``settings`` object (everything but image processing).
        speech: Text-to-speech: the body has ``text`` instead of ``image``; ids start with TTS.
    """

    name: str
    kind: Kind
    trial: bool = False
    needs_settings: bool = True
    speech: bool = False


OPERATIONS: tuple[Operation, ...] = (
    Operation("RecognizeImage", Kind.OCR),
    Operation("RecognizeImageTrial", Kind.OCR, trial=True),
    Operation("RecognizePdf", Kind.PDF),
    Operation("RecognizeReceipt", Kind.OCR),
    Operation("RecognizeTable", Kind.TABLE),
    Operation("RecognizeLabel", Kind.OCR),
    Operation("RecognizeRegions", Kind.REGIONS),
    Operation("DetectRegions", Kind.DETECT),
    Operation("RecognizeAndParseInvoice", Kind.INVOICE),
    Operation("IdentifyFont", Kind.FONT),
    Operation("DjVu2PDF", Kind.DJVU),
    Operation("BinarizeImage", Kind.BINARIZE, needs_settings=False),
    Operation("DeskewImage", Kind.DESKEW, needs_settings=False),
    Operation("DewarpImage", Kind.DEWARP, needs_settings=False),
    Operation("UpscaleImage", Kind.UPSCALE, needs_settings=False),
    Operation("ConvertTextToSpeech", Kind.SPEECH, speech=True),
    Operation("ConvertTextToSpeechTrial", Kind.SPEECH, trial=True, speech=True),
)

_BY_LOWER = {op.name.lower(): op for op in OPERATIONS}


def find_operation(name: str) -> Operation | None:
    """The operation whose name matches ``name`` case-insensitively (routing is ASP.NET style)."""
    return _BY_LOWER.get(name.lower())


_PREFIX = "/v5.0/ocr/"


def endpoint_name(path: str) -> str:
    """The endpoint a request path names, for counting requests.

    An operation as the spec spells it (``RecognizeRegions``), ``GetTaskStatus``, ``token``,
    or ``other`` (unknown and deprecated paths).
    """
    lowered = unquote(path).rstrip("/").lower()
    if lowered == "/connect/token":
        return "token"
    if not lowered.startswith(_PREFIX):
        return "other"
    name = lowered[len(_PREFIX) :]
    if name == "utilities/gettaskstatus":
        return "GetTaskStatus"
    operation = _BY_LOWER.get(name)
    return operation.name if operation is not None else "other"
