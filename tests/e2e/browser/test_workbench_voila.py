"""``notebooks/workbench.ipynb`` as a Voila app: no code shown, the workbench used with the mouse.

Voila runs the notebook (Detect, Recognize and the template batch run at load); then the user
clears the rectangles, drags new ones around the invoice's three fields, clicks Recognize and
reads each field's text beside its rectangle.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from ocr_notebook.emulator.samples.invoices import INVOICE_FIELDS, INVOICE_SIZE, invoice_texts

from ._lab import SCREENSHOTS, VoilaServer
from ._ocr_page import badge_pill
from ._workbench import draw_lines

pytestmark = pytest.mark.browser

NOTEBOOK = Path(__file__).resolve().parents[3] / "notebooks" / "workbench.ipynb"
INSET = 12
FIELD_BOXES = [(x1, y1 + INSET, x2, y2 - INSET) for _, (x1, y1, x2, y2) in INVOICE_FIELDS]


def test_the_workbench_notebook_as_a_voila_app(
    voila_app: Callable[[Path], VoilaServer], browser: Browser
) -> None:
    server = voila_app(NOTEBOOK)
    context = browser.new_context(viewport={"width": 1280, "height": 1400})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(server.url, timeout=120_000)
        # The notebook ran to the end: its batch table is there.
        expect(page.locator("table.dataframe")).to_be_visible(timeout=120_000)
        assert "from ocr_notebook import" not in page.inner_text("body"), "code is shown"
        area = page.locator(".widget-vbox", has=page.locator('[data-ocr-workbench="surface"]'))
        area = area.first
        texts = list(invoice_texts(1).values())
        # What the notebook recognized at load, beside each rectangle.
        expect(area.locator('[data-ocr-text="2"]')).to_have_text(texts[2], timeout=30_000)

        first_task = area.locator(".ocrnb-b code").inner_text()
        area.get_by_role("button", name="Clear").click()
        expect(area.locator("[data-ocr-box]")).to_have_count(0)
        draw_lines(page, area, FIELD_BOXES, INVOICE_SIZE)
        area.get_by_role("button", name="Recognize").click()
        expect(area.locator(".ocrnb-b code")).not_to_have_text(first_task, timeout=30_000)
        expect(badge_pill(area)).to_have_text("Completed", timeout=60_000)
        for index, text in enumerate(texts):
            expect(area.locator(f'[data-ocr-text="{index}"]')).to_have_text(text, timeout=30_000)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "workbench-voila.png", full_page=True)
        assert errors == []
    finally:
        context.close()
