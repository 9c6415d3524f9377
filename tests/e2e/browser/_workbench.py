"""Driving the region workbench with the real mouse: sample lines mapped to screen pixels.

The surface (``[data-ocr-workbench="surface"]``) shows the picture scaled to its width; a point
``(x, y)`` of the original image is at ``box.x + x * box.width / W`` on screen, where ``box`` is
the surface's bounding box and ``W`` the original width.
"""

from __future__ import annotations

import ast
from typing import Any

from playwright.sync_api import Locator, Page, expect

from ocr_notebook.emulator.samples import SAMPLE_REGIONS, SAMPLE_SIZE, SAMPLE_TEXTS

from ._lab import NotebookPage

SURFACE = '[data-ocr-workbench="surface"]'
# Drawn a little inside each sample line, so consecutive rectangles do not touch (a press on
# a rectangle's edge or corner would move or resize it instead of drawing a new one).
INSET = 8
LINE_BOXES: list[tuple[int, int, int, int]] = [
    (x1, y1 + INSET, x2, y2 - INSET) for (x1, y1, x2, y2), _ in SAMPLE_REGIONS
]
TEXTS = SAMPLE_TEXTS


def to_screen(
    surface: Locator, x: float, y: float, size: tuple[int, int] = SAMPLE_SIZE
) -> tuple[float, float]:
    """Where the original pixel ``(x, y)`` of an image of ``size`` is on screen."""
    box = surface.bounding_box()
    assert box is not None, "the workbench surface is not visible"
    width, height = size
    return box["x"] + x * box["width"] / width, box["y"] + y * box["height"] / height


def drag(
    page: Page,
    surface: Locator,
    start: tuple[float, float],
    end: tuple[float, float],
    size: tuple[int, int] = SAMPLE_SIZE,
) -> None:
    """Press at ``start``, move in steps, release at ``end`` (original pixels)."""
    page.mouse.move(*to_screen(surface, *start, size))
    page.mouse.down()
    page.mouse.move(*to_screen(surface, *end, size), steps=10)
    page.mouse.up()


def draw_lines(
    page: Page,
    area: Locator,
    boxes: list[tuple[int, int, int, int]] = LINE_BOXES,
    size: tuple[int, int] = SAMPLE_SIZE,
) -> Locator:
    """Draw each of ``boxes`` (the sample's lines by default); return the surface."""
    surface = area.locator(SURFACE)
    expect(surface).to_be_visible(timeout=30_000)
    surface.scroll_into_view_if_needed()
    for number, (x1, y1, x2, y2) in enumerate(boxes):
        drag(page, surface, (x1, y1), (x2, y2), size)
        expect(area.locator("[data-ocr-box]")).to_have_count(number + 1)
    return surface


def read_printed(notebook: NotebookPage, index: int) -> Any:
    """Run code cell ``index`` again (Ctrl+Enter) and parse the literal it prints."""
    cell = notebook.cell(index)
    before = cell.locator(".jp-InputPrompt").inner_text()
    cell.locator(".jp-InputArea-editor").click()
    notebook.page.keyboard.press("Control+Enter")
    expect(cell.locator(".jp-InputPrompt")).not_to_have_text(before, timeout=30_000)
    expect(cell.locator(".jp-InputPrompt")).not_to_have_text("[*]:", timeout=30_000)
    text = cell.locator(".jp-OutputArea-output").last.inner_text()
    return ast.literal_eval(text.strip())


def assert_close(drawn: list[list[int]], expected: list[tuple[int, int, int, int]]) -> None:
    """Each drawn rectangle is the expected one to within 1 original pixel per corner."""
    assert len(drawn) == len(expected), drawn
    for got, want in zip(drawn, expected, strict=True):
        assert all(abs(g - w) <= 1 for g, w in zip(got, want, strict=True)), (got, want)
