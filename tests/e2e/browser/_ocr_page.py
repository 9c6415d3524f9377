"""What the browser tests know about this package's output: the kernel set-up cell, the badge.

The badge is ``render_badge_html``'s pill (``.ocrnb-b .p``) inside a widget; the rich result is
``render_result_html``'s ``.ocrnb`` block with a card per region (``ol.rg > li``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from playwright.sync_api import Locator, expect

from ._lab import NotebookPage, code

# The first cell of every scratch notebook: an emulator inside the kernel (loopback only), its
# generated credentials in the environment as a user would set them, and the extension loaded.
SETUP = """\
import os

from ocr_notebook.emulator import Emulator

emu = Emulator(port=0, latency=0.0).start()
os.environ["ASPOSE_OCR_BASE_URL"] = emu.base_url
os.environ["ASPOSE_OCR_CLIENT_ID"] = emu.client_id
os.environ["ASPOSE_OCR_CLIENT_SECRET"] = emu.client_secret
%load_ext ocr_notebook
%config OCRMagics.base_url = emu.base_url
print("emulator ready")
"""

RUNNING = ("Starting", "Pending", "Processing")


def execute_headless(cells: Sequence[str], tmp: Path) -> nbformat.NotebookNode:
    """Run ``cells`` in a real kernel with nbclient and return the notebook with its outputs.

    The kernel gets no credentials from this process and its own IPython and runtime folders
    under ``tmp``. nbclient runs on a loop of its own in a thread: this thread's event loop
    belongs to the sync Playwright.
    """
    patch = pytest.MonkeyPatch()
    for name in ("ASPOSE_OCR_CLIENT_ID", "ASPOSE_OCR_CLIENT_SECRET", "ASPOSE_OCR_BASE_URL"):
        patch.delenv(name, raising=False)
    patch.setenv("IPYTHONDIR", str(tmp / "ipython"))
    patch.setenv("JUPYTER_RUNTIME_DIR", str(tmp / "runtime"))
    try:
        nb: nbformat.NotebookNode = nbformat.v4.new_notebook(cells=[code(s) for s in cells])
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        }
        client = NotebookClient(nb, timeout=60, kernel_name="python3")
        failure: list[BaseException] = []

        def execute() -> None:
            try:
                asyncio.run(client.async_execute())
            except BaseException as exc:  # handed to the caller below
                failure.append(exc)

        worker = threading.Thread(target=execute)
        worker.start()
        worker.join(90)
        assert not worker.is_alive(), "nbclient did not finish in 90 s"
        if failure:
            raise failure[0]
    finally:
        patch.undo()
    return nb


# Badge colour family -> the JupyterLab theme variable its pill is painted with.
THEME = {
    "Completed": "--jp-success-color1",
    "Error": "--jp-error-color1",
    "Timeout": "--jp-warn-color1",
    "NotExist": "--jp-layout-color4",
    "Cancelled": "--jp-layout-color4",
    "Pending": "--jp-brand-color1",
    "Processing": "--jp-brand-color1",
}


def badge_pill(area: Locator) -> Locator:
    """The status pill of the (first) badge inside ``area``."""
    return area.locator(".ocrnb-b .p").first


def badge_statuses(notebook: NotebookPage, area: Locator, final: str, timeout: float) -> list[str]:
    """Poll the badge in ``area`` until it shows ``final``; return every status seen, in order."""
    pill = badge_pill(area)
    seen = list(notebook.poll_text(pill, lambda text: text.strip() == final, timeout=timeout))
    return [s.strip() for s in seen if s.strip()]


def assert_badge_colour(notebook: NotebookPage, area: Locator, status: str) -> None:
    """The pill shows ``status`` painted in the theme colour of its family.

    Uses Playwright's retrying assertions: the badge's widget may resend its state (``await
    handle`` does) and the frontend then replaces the pill, so a one-shot read could land on
    a detached element, whose computed style is empty.
    """
    pill = badge_pill(area)
    expected = notebook.theme_colour(THEME[status])
    expect(pill).to_have_text(status, timeout=10_000)
    expect(pill, f"{status} badge, expected {THEME[status]} = {expected}").to_have_css(
        "background-color", expected, timeout=10_000
    )


def region_texts(area: Locator) -> list[str]:
    """The text of each region card in ``area``, in order."""
    return [t.strip() for t in area.locator(".ocrnb ol.rg > li").all_inner_texts()]


_ACTIVE_ATTRIBUTES = """root => Array.from(root.querySelectorAll('*')).flatMap(
    el => Array.from(el.attributes)
        .filter(a => a.name.startsWith('on') || /^\\s*javascript:/i.test(a.value))
        .map(a => `${el.tagName.toLowerCase()}[${a.name}]`))"""


def active_attributes(area: Locator) -> list[str]:
    """Event handler and ``javascript:`` attributes of the elements in ``area`` (``tag[name]``)."""
    found: list[str] = area.evaluate(_ACTIVE_ATTRIBUTES)
    return found
