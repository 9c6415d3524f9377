"""``OCRWorkbench`` against the emulator over loopback, on a recorded comm layer.

The front end's part is played by the messages it sends: an ``update`` of the canvas's
``regions`` through the widget's own message handler, as a finished drag does. What the browser
does with the mouse is tested in ``tests/e2e/browser/test_workbench.py``.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import ipywidgets
import pytest
from PIL import Image

from ocr_notebook import (
    AsyncOCRClient,
    ImageInputError,
    OCRClient,
    OCRResult,
    OCRWorkbench,
    Rect,
    RegionTemplate,
)
from ocr_notebook.emulator.samples import SAMPLE_REGIONS, SAMPLE_SIZE, SAMPLE_TEXTS, sample_png
from tests.support.credentials import TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.support.faults import faults
from tests.support.notebook import CommRecorder, pills, record_comms

if TYPE_CHECKING:
    from ocr_notebook.emulator import Emulator

BOXES = [box for box, _ in SAMPLE_REGIONS]


@pytest.fixture
def comms(monkeypatch: pytest.MonkeyPatch) -> Iterator[CommRecorder]:
    yield record_comms(monkeypatch)
    # Closed here, not by the garbage collector at interpreter exit, where ipywidgets'
    # __del__ finds its module half torn down and prints "Exception ignored" tracebacks.
    ipywidgets.Widget.close_all()


def _client(emu: Emulator, **kwargs: Any) -> AsyncOCRClient:
    return AsyncOCRClient(
        emu.base_url, client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET, **kwargs
    )


def _from_front_end(wb: OCRWorkbench, regions: list[dict[str, Any]]) -> None:
    """What the view sends when a gesture ends: one ``update`` of ``regions``."""
    data = {"method": "update", "state": {"regions": regions}, "buffer_paths": []}
    wb.canvas._handle_msg({"content": {"data": data}, "buffers": []})


def _recognize(wb: OCRWorkbench) -> OCRResult | None:
    async def run() -> OCRResult | None:
        wb.recognize_button.click()
        return await wb.wait()

    return asyncio.run(run())


# -- opening --------------------------------------------------------------------------------


def test_the_preview_is_sent_and_the_original_size_known(comms: CommRecorder) -> None:
    wb = OCRWorkbench(sample_png())
    state = comms.opened[wb.canvas.model_id]
    assert state["image_size"] == list(SAMPLE_SIZE)
    assert wb.scan.size == SAMPLE_SIZE
    assert wb.regions == [] and wb.names == [] and wb.result is None


def test_a_large_scan_sends_at_most_one_megabyte(comms: CommRecorder) -> None:
    big = Image.effect_noise((6000, 4000), 64).convert("RGB")
    wb = OCRWorkbench(big)
    assert len(wb.canvas.image) <= 1_000_000
    assert wb.canvas.image_size == [6000, 4000]


@pytest.mark.parametrize(
    ("image", "says"),
    [
        (b"this is not an image", "image"),
        (sample_png()[:200], "truncated"),
        ("/no/such/scan.png", "not found"),
    ],
    ids=["not-an-image", "truncated", "missing"],
)
def test_bad_images_are_one_line(comms: CommRecorder, image: object, says: str) -> None:
    with pytest.raises(ImageInputError) as caught:
        OCRWorkbench(image)  # type: ignore[arg-type]
    line = str(caught.value)
    assert says in line.lower() and "\n" not in line.strip()


# -- rectangles from Python and from the view ----------------------------------------------------


def test_regions_set_from_python_are_clipped_or_refused_with_a_note(comms: CommRecorder) -> None:
    wb = OCRWorkbench(sample_png())
    wb.regions = [*BOXES, (900, 300, 1200, 400), (5, 5, 5, 50), (2000, 2000, 2100, 2100)]
    assert wb.regions == [Rect(*b) for b in BOXES] + [Rect(900, 300, 1000, 320)]
    assert "rectangle 4 clipped" in wb.note
    assert "rectangle 5 refused" in wb.note and "zero area" in wb.note
    assert "rectangle 6 refused" in wb.note and "outside" in wb.note
    assert "\n" not in wb.note
    # The view follows: the last state sent holds the clipped rectangles.
    sent = [m["regions"] for m in comms.for_model(wb.canvas.model_id) if "regions" in m]
    assert [(r["x1"], r["y1"], r["x2"], r["y2"]) for r in sent[-1]][-1] == (900, 300, 1000, 320)


def test_a_gesture_from_the_view_is_one_update_kept_inside_the_image(comms: CommRecorder) -> None:
    wb = OCRWorkbench(sample_png())
    seen: list[list[Rect]] = []
    wb.canvas.observe(lambda _c: seen.append(wb.regions), names="regions")
    _from_front_end(wb, [{"x1": 20, "y1": 20, "x2": 980, "y2": 90, "name": "title"}])
    assert wb.regions == [Rect(20, 20, 980, 90)] and wb.names == ["title"]
    assert wb.note == ""
    before = len(comms.for_model(wb.canvas.model_id))
    # A rectangle past the edge (a front end that does not clamp): clipped, and said.
    _from_front_end(wb, [{"x1": 900, "y1": 300, "x2": 1100, "y2": 330, "name": ""}])
    assert wb.regions == [Rect(900, 300, 1000, 320)]
    assert "clipped" in wb.note
    assert len(comms.for_model(wb.canvas.model_id)) > before  # the view was corrected


def test_names_template_and_a_template_from_another_size(comms: CommRecorder) -> None:
    wb = OCRWorkbench(sample_png())
    wb.regions = BOXES[:2]
    wb.names = ["title", "invoice"]
    template = wb.template
    assert template.names == ("title", "invoice")
    assert template.image_size == SAMPLE_SIZE
    with pytest.raises(ValueError, match="one name per rectangle"):
        wb.names = ["only one"]
    # Drawn on a scan twice as large: scaled to this image.
    double = RegionTemplate.from_boxes(
        [(40, 40, 1960, 180)], (2000, 640), names=["title"], name="double"
    )
    wb.template = double
    assert wb.regions == [Rect(20, 20, 980, 90)] and wb.names == ["title"]
    wb.undo()  # the template replaced two rectangles: Undo brings them back
    assert wb.names == ["title", "invoice"]


def test_clear_keeps_an_undo(comms: CommRecorder) -> None:
    wb = OCRWorkbench(sample_png())
    wb.regions = BOXES
    wb.clear_button.click()
    assert wb.regions == []
    assert "Undo" in wb.note and not wb.undo_button.disabled
    wb.undo_button.click()
    assert wb.regions == [Rect(*b) for b in BOXES]


# -- Recognize and Detect against the emulator ------------------------------------------------


def test_recognize_shows_each_text_by_its_rectangle(
    comms: CommRecorder, emulator: Emulator
) -> None:
    async def scenario() -> tuple[OCRWorkbench, list[OCRResult]]:
        async with _client(emulator) as client:
            wb = OCRWorkbench(sample_png(), client=client)
            wb.regions = BOXES
            wb.names = ["title", "invoice", "fox", "hello"]
            called: list[OCRResult] = []
            wb.on_result(called.append)
            wb.recognize_button.click()
            await wb.wait()
            return wb, called

    wb, called = asyncio.run(scenario())
    assert wb.result is not None and wb.error is None
    assert tuple(wb.result.texts) == SAMPLE_TEXTS
    assert called == [wb.result]
    assert wb.canvas.texts == list(SAMPLE_TEXTS)
    submission = wb.result.submission
    assert submission is not None and submission.names == ("title", "invoice", "fox", "hello")
    assert wb.badge is not None
    assert pills(comms.for_model(wb.badge.html.model_id))[-1] == "Completed"
    # The texts follow their rectangles when reordered; a moved rectangle loses its text.
    wb.regions = [BOXES[1], BOXES[0], (20, 170, 980, 230), BOXES[3]]
    assert wb.canvas.texts == [SAMPLE_TEXTS[1], SAMPLE_TEXTS[0], "", SAMPLE_TEXTS[3]]


def test_recognize_without_rectangles_sends_nothing(
    comms: CommRecorder, emulator: Emulator
) -> None:
    wb = OCRWorkbench(sample_png(), client=_client(emulator))
    with faults(emulator, "post:500@999") as plan:
        assert wb.recognize() is None
        wb.recognize_button.click()
    assert plan.requests == 0
    assert wb.note.startswith("Draw at least one rectangle") and "nothing was sent" in wb.note
    assert wb.badge is None


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("post:drop", "disconnected"),
        ("post:401", "HTTP 401"),
        ("token:401", "HTTP 401"),
        ("get:cut-json", "not JSON"),
    ],
    ids=["network", "401-submit", "401-token", "bad-poll-answer"],
)
def test_recognize_failing_keeps_the_rectangles_and_clicking_again_works(
    comms: CommRecorder, emulator: Emulator, spec: str, says: str
) -> None:
    async def scenario() -> tuple[OCRWorkbench, str | None, OCRResult | None]:
        async with _client(emulator, timeout=2.0) as client:
            wb = OCRWorkbench(sample_png(), client=client, timeout=5.0)
            wb.regions = BOXES
            with faults(emulator, spec):
                wb.recognize_button.click()
                await wb.wait()
            error = wb.error
            wb.recognize_button.click()  # the service is back
            return wb, error, await wb.wait()

    wb, error, result = asyncio.run(scenario())
    assert error is not None and says in error and "\n" not in error, error
    assert wb.regions == [Rect(*b) for b in BOXES]
    assert result is not None and tuple(result.texts) == SAMPLE_TEXTS
    assert not wb.recognize_button.disabled


def test_a_task_error_is_one_line_and_the_badge_says_it(
    comms: CommRecorder, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    wb = OCRWorkbench(sample_png(), client=None)
    wb.regions = BOXES
    # A corrupted upload: the service (here the emulator) cannot decode it: status Error.
    monkeypatch.setattr(wb.scan, "submission_bytes", lambda: b"corrupted upload")
    monkeypatch.setenv("ASPOSE_OCR_BASE_URL", emulator.base_url)
    monkeypatch.setenv("ASPOSE_OCR_CLIENT_ID", TEST_CLIENT_ID)
    monkeypatch.setenv("ASPOSE_OCR_CLIENT_SECRET", TEST_CLIENT_SECRET)
    assert _recognize(wb) is None
    assert wb.error is not None and "Error" in wb.error and "\n" not in wb.error
    assert wb.badge is not None
    assert pills(comms.for_model(wb.badge.html.model_id))[-1] == "Error"
    assert wb.badge.bar.bar_style == "danger"
    assert len(wb.regions) == len(BOXES)


def test_recognize_with_a_sync_client_runs_in_a_thread(
    comms: CommRecorder, emulator: Emulator
) -> None:
    with OCRClient(
        emulator.base_url, client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET
    ) as client:
        wb = OCRWorkbench(sample_png(), client=client)
        wb.regions = BOXES[:2]
        future = wb.recognize()  # no event loop runs here: a thread
        assert future is not None
        result = future.result(timeout=30)
    assert tuple(result.texts) == SAMPLE_TEXTS[:2]
    assert wb.result is result


def test_detect_fills_in_rectangles_and_undo_brings_the_drawn_back(
    comms: CommRecorder, emulator: Emulator
) -> None:
    async def scenario() -> OCRWorkbench:
        async with _client(emulator) as client:
            wb = OCRWorkbench(sample_png(), client=client)
            wb.regions = [(10, 10, 100, 100)]
            wb.detect_button.click()
            await wb.wait()
            return wb

    wb = asyncio.run(scenario())
    assert wb.error is None, wb.error
    assert len(wb.regions) >= 1
    assert all(0 <= r.top_left_x < r.bottom_right_x <= SAMPLE_SIZE[0] for r in wb.regions)
    assert "detected" in wb.note and "Undo" in wb.note
    wb.undo()
    assert wb.regions == [Rect(10, 10, 100, 100)]


def test_detect_failing_keeps_the_rectangles(comms: CommRecorder, emulator: Emulator) -> None:
    async def scenario() -> OCRWorkbench:
        async with _client(emulator, timeout=2.0) as client:
            wb = OCRWorkbench(sample_png(), client=client)
            wb.regions = BOXES
            with faults(emulator, "post:drop"):
                wb.detect()
                await wb.wait()
            return wb

    wb = asyncio.run(scenario())
    assert wb.error is not None and "click Detect" in wb.error
    assert wb.regions == [Rect(*b) for b in BOXES]


def test_a_png_with_exif_rotation_maps_to_upright_pixels(comms: CommRecorder) -> None:
    picture = Image.new("RGB", (200, 100), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees: shown (and submitted) 100 x 200
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", exif=exif.tobytes())
    wb = OCRWorkbench(buffer.getvalue())
    assert wb.canvas.image_size == [100, 200]
    wb.regions = [(0, 150, 100, 250)]
    assert wb.regions == [Rect(0, 150, 100, 200)]


def test_more_rectangles_than_the_service_takes_is_one_line(
    comms: CommRecorder, emulator: Emulator
) -> None:
    from ocr_notebook.regions.template import MAX_REGIONS

    wb = OCRWorkbench(sample_png(), client=_client(emulator))
    wb.regions = [(i % 100 * 10, 0, i % 100 * 10 + 5, 5 + i // 100) for i in range(MAX_REGIONS + 1)]
    assert len(wb.regions) == MAX_REGIONS + 1  # drawn ones are never dropped
    with faults(emulator, "post:500@999") as plan:
        assert wb.recognize() is None
    assert plan.requests == 0
    assert str(MAX_REGIONS) in wb.note and "\n" not in wb.note
    assert len(wb.regions) == MAX_REGIONS + 1


def test_an_edited_text_is_kept_as_a_correction(comms: CommRecorder, emulator: Emulator) -> None:
    from ocr_notebook import ResultStore

    async def scenario() -> OCRWorkbench:
        async with _client(emulator) as client:
            wb = OCRWorkbench(sample_png(), client=client)
            wb.regions = BOXES[:2]
            await asyncio.wrap_future(wb.recognize())  # type: ignore[arg-type]
            return wb

    wb = asyncio.run(scenario())
    assert wb.result is not None
    # Reordered after Recognize: the edit of row 0 is the correction of region order 1.
    wb.regions = [BOXES[1], BOXES[0]]
    content = {"kind": "correct", "index": 0, "text": "Invoice 2024-0042: total $1,234.57"}
    data = {"method": "custom", "content": content}
    wb.canvas._handle_msg({"content": {"data": data}, "buffers": []})
    result = wb.result
    assert result.texts == [SAMPLE_TEXTS[0], "Invoice 2024-0042: total $1,234.57"]
    assert result.ocr_texts == list(SAMPLE_TEXTS[:2])
    assert wb.canvas.texts == ["Invoice 2024-0042: total $1,234.57", SAMPLE_TEXTS[0]]
    assert "saved in the local result store" in wb.note
    assert result.id is not None
    stored = ResultStore().corrections(emulator.base_url, "RecognizeRegions", result.id)
    assert stored == {1: "Invoice 2024-0042: total $1,234.57"}
    # A moved rectangle has no recognized text: an edit there is ignored.
    wb.regions = [(20, 30, 980, 100), BOXES[0]]
    data = {"method": "custom", "content": {**content, "text": "ignored"}}
    wb.canvas._handle_msg({"content": {"data": data}, "buffers": []})
    assert "ignored" not in wb.result.texts


def test_correcting_before_recognize_is_one_line(comms: CommRecorder) -> None:
    wb = OCRWorkbench(sample_png(), store=False)
    with pytest.raises(ValueError, match="Nothing recognized yet"):
        wb.correct({0: "x"})
