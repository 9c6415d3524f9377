"""The region workbench with the real mouse, in JupyterLab and in Notebook 7.

Rectangles are dragged around the sample's known lines (``SAMPLE_REGIONS``, mapped to the
screen through the surface's bounding box), Recognize is clicked, and the right texts are read
in the widget and in ``wb.result.texts`` (printed by a cell run again afterwards). The kernel
counts the comm messages the drawing sent: one per gesture, not one per mouse move.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from ._lab import LabServer, NotebookPage, code
from ._ocr_page import SETUP, badge_pill
from ._workbench import (
    LINE_BOXES,
    SURFACE,
    TEXTS,
    assert_close,
    drag,
    draw_lines,
    read_printed,
    to_screen,
)

pytestmark = pytest.mark.browser

WORKBENCH = """\
import time

from ocr_notebook import OCRWorkbench
from ocr_notebook.emulator.samples import sample_png

wb = OCRWorkbench(sample_png())
# Count every comm message the drawing surface sends to the kernel.
received = []
_handle = wb.canvas._handle_msg
wb.canvas.comm.on_msg(lambda msg: (received.append(time.monotonic()), _handle(msg)))
wb
"""
REGIONS = "print(([list(r.as_tuple()) for r in wb.regions], wb.names, len(received)))"
RESULT = "print(list(wb.result.texts) if wb.result else None)"


@pytest.fixture(params=["lab", "notebook7"])
def front_end(
    request: pytest.FixtureRequest,
) -> tuple[str, LabServer, Callable[[str], NotebookPage]]:
    """JupyterLab or Notebook 7: its name, server and notebook opener."""
    if request.param == "lab":
        return (
            "lab",
            request.getfixturevalue("lab_server"),
            request.getfixturevalue("open_notebook"),
        )
    return (
        "notebook7",
        request.getfixturevalue("notebook7_server"),
        request.getfixturevalue("open_notebook7"),
    )


def test_draw_recognize_and_edit_with_the_mouse(
    front_end: tuple[str, LabServer, Callable[[str], NotebookPage]],
) -> None:
    name, server, open_notebook = front_end
    path = server.write_notebook(
        f"workbench-{name}.ipynb", [code(SETUP), code(WORKBENCH), code(REGIONS), code(RESULT)]
    )
    notebook = open_notebook(path)
    notebook.run_all()
    notebook.wait_all_executed(timeout=90)
    area = notebook.output(1)
    page = notebook.page
    before = notebook.output(2).inner_text()
    _, _, sent_before = ast.literal_eval(before.strip())  # what REGIONS printed

    # Nothing drawn: Recognize says so in one line and sends nothing.
    area.get_by_role("button", name="Recognize").click()
    expect(area.locator('[data-ocr-workbench="note"]')).to_contain_text("nothing was sent")

    surface = draw_lines(page, area)
    regions, names, sent = read_printed(notebook, 2)
    assert_close(regions, LINE_BOXES)
    assert names == ["", "", "", ""]
    # Four drags of 10 mouse moves each: at most one message per gesture (fewer if two
    # gestures end within 100 ms: the front end then sends them as one).
    assert 1 <= sent - sent_before <= len(LINE_BOXES), (sent, sent_before)

    # Name the second rectangle; its label shows the name.
    area.locator('[data-ocr-name="1"]').fill("invoice")
    area.locator('[data-ocr-name="1"]').press("Enter")
    expect(area.locator('[data-ocr-box="1"]')).to_contain_text("1 invoice")

    area.get_by_role("button", name="Recognize").click()
    expect(badge_pill(area)).to_have_text("Completed", timeout=60_000)
    for index, text in enumerate(TEXTS):
        expect(area.locator(f'[data-ocr-text="{index}"]')).to_have_text(text, timeout=30_000)
    assert read_printed(notebook, 3) == list(TEXTS)
    notebook.screenshot(f"workbench-{name}", notebook.cell(1))

    # Pointing at a row lights its rectangle, pointing at a rectangle lights its row.
    linked = re.compile(r"\bocrwb-linked\b")
    area.locator('[data-ocr-row="2"]').hover()
    expect(area.locator('[data-ocr-box="2"]')).to_have_class(linked)
    expect(area.locator('[data-ocr-box="0"]')).not_to_have_class(linked)
    x1, y1, x2, y2 = LINE_BOXES[0]
    page.mouse.move(*to_screen(surface, (x1 + x2) / 2, (y1 + y2) / 2))
    expect(area.locator('[data-ocr-row="0"]')).to_have_class(linked)
    expect(area.locator('[data-ocr-row="2"]')).not_to_have_class(linked)
    expect(area.locator('[data-ocr-box="0"]')).to_have_attribute("data-ocr-region", "0")

    # Correct a recognized text in place: Enter keeps it, as a correction of the result.
    fixed = "Hello, Jupyter! Regions read in order!"
    edit = area.locator('[data-ocr-text="3"]')
    edit.click()
    page.keyboard.press("End")
    page.keyboard.press("Backspace")
    page.keyboard.type("!")
    page.keyboard.press("Enter")
    expect(area.locator('[data-ocr-workbench="note"]')).to_contain_text("1 text corrected")
    assert read_printed(notebook, 3) == [*TEXTS[:3], fixed]

    # Select the last rectangle (a click inside it) and press Delete: three are left.
    x1, y1, x2, y2 = LINE_BOXES[-1]
    page.mouse.click(*to_screen(surface, (x1 + x2) / 2, (y1 + y2) / 2))
    expect(area.locator('[data-ocr-box="3"]')).to_have_class(re.compile(r"\bocrwb-selected\b"))
    page.keyboard.press("Delete")
    expect(area.locator("[data-ocr-box]")).to_have_count(3)
    regions, names, _ = read_printed(notebook, 2)
    assert_close(regions, LINE_BOXES[:3])
    assert names == ["", "invoice", ""]
    # The texts stay by their rectangles.
    expect(area.locator('[data-ocr-text="1"]')).to_have_text(TEXTS[1])

    # Move the first one down 5 px (drag from inside it), resize the third by its bottom-right
    # corner, then nudge it right by one original pixel with the arrow key.
    x1, y1, x2, y2 = LINE_BOXES[0]
    drag(page, surface, ((x1 + x2) / 2, (y1 + y2) / 2), ((x1 + x2) / 2, (y1 + y2) / 2 + 5))
    x1, y1, x2, y2 = LINE_BOXES[2]
    page.mouse.click(*to_screen(surface, (x1 + x2) / 2, (y1 + y2) / 2))
    handle = area.locator('[data-ocr-box="2"] [data-corner="se"]')
    box = handle.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(*to_screen(surface, 990, y2 + 4), steps=5)
    page.mouse.up()
    page.keyboard.press("ArrowRight")
    expect(area.locator("[data-ocr-box]")).to_have_count(3)
    first, second, third = LINE_BOXES[:3]
    expected = [
        (first[0], first[1] + 5, first[2], first[3] + 5),
        second,
        (third[0] + 1, third[1], 990 + 1, third[3] + 4),
    ]
    # The kernel has the final state (it may take a moment for the last sync to arrive).
    for _attempt in range(10):
        regions, names, _ = read_printed(notebook, 2)
        if len(regions) == 3 and regions[2][0] == expected[2][0]:
            break
    assert_close(regions, expected)
    assert names == ["", "invoice", ""]
    # A moved rectangle has not been read: its text is gone; the untouched one keeps its own.
    expect(area.locator('[data-ocr-text="0"]')).to_be_hidden()
    expect(area.locator('[data-ocr-text="1"]')).to_have_text(TEXTS[1])
    assert notebook.errors() == []


def test_detect_fills_in_rectangles(
    lab_server: LabServer, open_notebook: Callable[[str], NotebookPage]
) -> None:
    path = lab_server.write_notebook(
        "workbench-detect.ipynb", [code(SETUP), code(WORKBENCH), code(REGIONS)]
    )
    notebook = open_notebook(path)
    notebook.run_all()
    notebook.wait_all_executed(timeout=90)
    area = notebook.output(1)
    expect(area.locator(SURFACE)).to_be_visible(timeout=30_000)
    expect(area.locator("[data-ocr-box]")).to_have_count(0)
    area.get_by_role("button", name="Detect").click()
    expect(area.locator('[data-ocr-box="0"]')).to_be_visible(timeout=60_000)
    regions, _, _ = read_printed(notebook, 2)
    assert regions, "Detect gave no rectangles"
    assert area.locator("[data-ocr-box]").count() == len(regions)
    notebook.screenshot("workbench-detect", notebook.cell(1))
    assert notebook.errors() == []


BIG = """\
from ocr_notebook import OCRWorkbench
from ocr_notebook.emulator.samples import render_sample

# The sample at 3x: its preview is downscaled (2048 px wide) and shown at about 850 px.
wb = OCRWorkbench(render_sample().resize((3000, 960)))
wb
"""
BIG_STATE = (
    "print(([list(r.as_tuple()) for r in wb.regions], list(wb.result.texts) "
    "if wb.result else None, len(wb.canvas.image)))"
)


def test_a_downscaled_scan_maps_back_to_original_pixels(
    lab_server: LabServer, open_notebook: Callable[[str], NotebookPage]
) -> None:
    path = lab_server.write_notebook(
        "workbench-big.ipynb", [code(SETUP), code(BIG), code(BIG_STATE)]
    )
    notebook = open_notebook(path)
    notebook.run_all()
    notebook.wait_all_executed(timeout=90)
    area = notebook.output(1)
    size = (3000, 960)
    boxes = [tuple(3 * v for v in box) for box in LINE_BOXES]
    surface = draw_lines(notebook.page, area, boxes, size)  # type: ignore[arg-type]
    width = surface.bounding_box()["width"]  # type: ignore[index]
    area.get_by_role("button", name="Recognize").click()
    for index, text in enumerate(TEXTS):
        expect(area.locator(f'[data-ocr-text="{index}"]')).to_have_text(text, timeout=60_000)
    regions, texts, preview_bytes = read_printed(notebook, 2)
    assert texts == list(TEXTS)
    assert preview_bytes <= 1_000_000
    # One screen pixel is 3000 / width original pixels: the mouse cannot do better, and the
    # mapping adds no error of its own (no detour through the preview's pixels).
    tolerance = 3000 / width
    assert len(regions) == len(boxes)
    for got, want in zip(regions, boxes, strict=True):
        assert all(abs(g - w) <= tolerance for g, w in zip(got, want, strict=True)), (got, want)
    notebook.screenshot("workbench-downscaled", notebook.cell(1))
    assert notebook.errors() == []
