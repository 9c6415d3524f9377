"""Run one job to its outcome, on a worker thread. Never raises: a failure is an Error task."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from typing import Protocol

from PIL import Image, ImageOps, UnidentifiedImageError

from . import _ocr, _results
from ._operations import Kind
from ._requests import Job, Region, Settings
from ._store import Outcome

__all__ = ["Engine", "run_job"]

_MAX_PIXELS = 60_000_000  # bigger than any page scan; refuses decompression bombs early
_FORMATS = {
    "Text": ("Text",),
    "Pdf": ("Pdf",),
    "Hocr": ("Hocr",),
    "TextAndPdf": ("Text", "Pdf"),
    "TextAndHocr": ("Text", "Hocr"),
    "PdfAndHocr": ("Pdf", "Hocr"),
    "TextAndPdfAndHocr": ("Text", "Pdf", "Hocr"),
    "ImagePNG": ("ImagePNG",),
    "JSON": ("JSON",),
}
_EMPTY_HOCR = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
    b"<head><title></title></head><body></body></html>\n"
)


class Engine(Protocol):
    """What reads text: ``_ocr`` (Tesseract) or ``_standin`` (``Emulator(ocr=False)``)."""

    def recognize(self, image: Image.Image, formats: Iterable[str]) -> dict[str, bytes]:
        """``image`` read once and rendered in each of ``formats`` (Text, Hocr, Pdf)."""
        ...

    def words(self, image: Image.Image) -> list[_ocr.Word]:
        """Every word found in ``image`` with its box."""
        ...


class _Undecodable(Exception):
    pass


def _too_large(width: int, height: int) -> _Undecodable:
    return _Undecodable(
        f"The image is {width}x{height} pixels; the emulator accepts at most "
        f"{_MAX_PIXELS:,} pixels."
    )


def _decode(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > _MAX_PIXELS:
            raise _too_large(image.width, image.height)
        image.load()
    except _Undecodable:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own bomb guard (a warning turns into an error under -W error).
        raise _Undecodable(
            f"The image is too large; the emulator accepts at most {_MAX_PIXELS:,} pixels."
        ) from None
    except UnidentifiedImageError:
        kind = "the upload is empty" if not data else "it is not BMP, JPEG, PNG, TIFF or GIF"
        raise _Undecodable(f"The image could not be decoded: {kind}.") from None
    except Exception as exc:
        raise _Undecodable(f"The image could not be decoded: {str(exc)[:200]}.") from None
    return _flatten(image)


def _flatten(image: Image.Image) -> Image.Image:
    """Upright (EXIF orientation applied), on white where transparent, in L or RGB mode."""
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        # Dark text on a transparent background would turn black-on-black in plain RGB.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode not in ("L", "RGB"):
        return image.convert("RGB")
    return image


def _prepare(image: Image.Image, settings: Settings) -> Image.Image:
    if settings.rotate % 360:
        # Positive angles turn the image clockwise, like the dashboard's rotate control.
        image = image.rotate(
            -settings.rotate, expand=True, fillcolor=255 if image.mode == "L" else (255, 255, 255)
        )
    if settings.make_upsampling:
        image = _results.upscale(image)
    return image


def _language_warnings(settings: Settings) -> list[str]:
    if settings.language.lower() in ("english", "hwt_eng"):
        return []
    return [f"The emulator reads English only; {settings.language[:40]!r} was read as English."]


def _lines_json(image: Image.Image, engine: Engine) -> bytes:
    blocks = []
    for line in _results.text_lines(engine.words(image)):
        blocks.append(
            {
                "text": " ".join(w.text for w in line),
                "topLeftX": min(w.box[0] for w in line),
                "topLeftY": min(w.box[1] for w in line),
                "bottomRightX": max(w.box[2] for w in line),
                "bottomRightY": max(w.box[3] for w in line),
            }
        )
    return json.dumps(blocks, ensure_ascii=False).encode("utf-8")


def _render(
    image: Image.Image, formats: Sequence[str], trial: bool, engine: Engine
) -> list[tuple[str, bytes]]:
    ocr_formats = [f for f in formats if f in ("Text", "Hocr", "Pdf")]
    rendered = engine.recognize(image, ocr_formats) if ocr_formats else {}
    out = []
    for kind in formats:
        if kind == "ImagePNG":
            out.append((kind, _results.png(image)))
        elif kind == "JSON":
            out.append((kind, _lines_json(image, engine)))
        else:
            data = rendered[kind]
            if trial and kind == "Text":
                data = _results.mask_trial(data.decode("utf-8")).encode("utf-8")
            out.append((kind, data))
    return out


def _crop(image: Image.Image, region: Region) -> Image.Image | None:
    x1, y1, x2, y2 = region.rect
    left, right = sorted((x1, x2))
    top, bottom = sorted((y1, y2))
    left, top = max(0, left), max(0, top)
    right, bottom = min(image.width, right), min(image.height, bottom)
    if right - left < 1 or bottom - top < 1:
        return None
    return image.crop((left, top, right, bottom))


def _recognize(job: Job, engine: Engine) -> Outcome:
    settings = job.settings
    image = _prepare(_decode(job.image), settings)
    formats = _FORMATS[settings.result_type]
    warnings_ = _language_warnings(settings)
    regions = settings.regions if job.operation.kind is Kind.REGIONS else None
    if not regions:
        return Outcome(
            "Completed",
            "Ok",
            tuple(_render(image, formats, job.operation.trial, engine)),
            warnings=tuple(warnings_),
        )
    results: list[tuple[str, bytes]] = []
    blank = Image.new("L", (1, 1), 255)
    # sorted() is stable: regions with equal `order` keep their submission order.
    for number, region in sorted(enumerate(regions, start=1), key=lambda nr: nr[1].order):
        crop = _crop(image, region)
        if crop is None:
            warnings_.append(
                f"Region {number} {list(region.rect)} lies outside the "
                f"{image.width}x{image.height} image or is empty; its result is empty."
            )
        results.extend(_render(crop if crop is not None else blank, formats, False, engine))
    return Outcome("Completed", "Ok", tuple(results), warnings=tuple(warnings_))


def _recognize_pdf(job: Job, engine: Engine) -> Outcome:
    if not job.image.startswith(b"%PDF"):
        return _recognize(job, engine)
    formats = _FORMATS[job.settings.result_type]
    empty = {"Text": b"", "Pdf": job.image, "Hocr": _EMPTY_HOCR, "JSON": b"[]"}
    results = tuple((kind, empty.get(kind, b"")) for kind in formats)
    note = "The emulator does not render PDF pages; the text layer is not read."
    return Outcome("Completed", "Ok", results, warnings=(note,))


def _table(job: Job, engine: Engine) -> Outcome:
    image = _prepare(_decode(job.image), job.settings)
    rows = _results.table_rows(engine.words(image))
    kind = job.settings.result_type_table
    results: list[tuple[str, bytes]] = []
    if kind in ("Csv", "CsvAndExcel"):
        results.append(("Csv", _results.to_csv(rows)))
    if kind == "Text":
        results.append(("Text", "\n".join(" ".join(row) for row in rows).encode("utf-8")))
    if kind in ("Excel", "CsvAndExcel"):
        results.append(("Excel", _results.to_xlsx(rows)))
    return Outcome("Completed", "Ok", tuple(results))


def _djvu(job: Job, engine: Engine) -> Outcome:
    try:
        image = _decode(job.image)
    except _Undecodable:
        if job.image.startswith(b"AT&TFORM"):
            note = "The emulator cannot render DjVu pages; the PDF has one blank page."
            return Outcome("Completed", "Ok", (("Pdf", _results.blank_pdf()),), warnings=(note,))
        raise
    pdf = engine.recognize(_prepare(image, job.settings), ["Pdf"])["Pdf"]
    return Outcome("Completed", "Ok", (("Pdf", pdf),))


def _image_processing(job: Job) -> Outcome:
    image = _decode(job.image)
    transform = {
        Kind.BINARIZE: _results.binarize,
        Kind.DESKEW: _results.deskew,
        Kind.DEWARP: _results.dewarp,
        Kind.UPSCALE: _results.upscale,
    }[job.operation.kind]
    return Outcome("Completed", "Ok", (("ImagePNG", _results.png(transform(image))),))


def _other(job: Job, engine: Engine) -> Outcome:
    kind = job.operation.kind
    if kind is Kind.SPEECH:
        return Outcome("Completed", "Ok", (("WavFile", _results.speech_wav(job.text)),))
    image = _prepare(_decode(job.image), job.settings)
    if kind is Kind.DETECT:
        data = _results.detected_boxes(engine.words(image))
        return Outcome("Completed", "Ok", (("Other", data),))
    if kind is Kind.INVOICE:
        text = engine.recognize(image, ["Text"])["Text"].decode("utf-8")
        return Outcome("Completed", "Ok", (("Text", _results.invoice_fields(text)),))
    if kind is Kind.FONT:
        return Outcome("Completed", "Ok", (("Text", _results.font_report(engine.words(image))),))
    raise AssertionError(f"no worker for {kind}")


def run_job(job: Job, engine: Engine = _ocr) -> Outcome:
    """Produce the outcome of ``job``: Completed with results, or Error with messages.

    ``engine`` reads the text: Tesseract, or the stand-in of ``Emulator(ocr=False)``.
    """
    kind = job.operation.kind
    try:
        if kind in (Kind.OCR, Kind.REGIONS):
            return _recognize(job, engine)
        if kind is Kind.PDF:
            return _recognize_pdf(job, engine)
        if kind is Kind.TABLE:
            return _table(job, engine)
        if kind is Kind.DJVU:
            return _djvu(job, engine)
        if kind in (Kind.BINARIZE, Kind.DESKEW, Kind.DEWARP, Kind.UPSCALE):
            return _image_processing(job)
        return _other(job, engine)
    except _Undecodable as exc:
        return Outcome("Error", "Error", None, messages=(str(exc),))
    except Exception as exc:  # the emulator must stay up whatever an upload does to a worker
        return Outcome(
            "Error", "Error", None, messages=(f"The emulator failed on this task: {exc!r}"[:500],)
        )
