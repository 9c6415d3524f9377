"""DetectRegions: the body, the parsing of its boxes, and detect_regions on both clients."""

from __future__ import annotations

import base64
import json

import pytest

from ocr_notebook import (
    OCRResult,
    Rect,
    RegionError,
    RegionTemplate,
    ResponseFormatError,
    ScanImage,
    TaskStatus,
)
from ocr_notebook.client.detection import build_detect_body, parse_detected_regions
from ocr_notebook.emulator import Emulator
from ocr_notebook.emulator.samples import SAMPLE_REGIONS, SAMPLE_SIZE, SAMPLE_TEXTS, sample_png
from ocr_notebook.regions.template import MAX_REGIONS
from ocr_notebook.results.models import RegionResult
from tests.support.client import make_driver
from tests.support.credentials import TEST_CLIENT_ID, TEST_CLIENT_SECRET


def _result(*datas: bytes) -> OCRResult:
    return OCRResult(
        id="b7162f77-bf10-407d-86de-ee255e422ca7",
        status=TaskStatus.COMPLETED,
        regions=tuple(RegionResult(i, "Other", d) for i, d in enumerate(datas)),
        api="DetectRegions",
    )


def test_body_has_the_documented_settings_and_no_result_type() -> None:
    body = build_detect_body(b"img", settings={"Language": "German", "dsrMode": "DsrNoFilter"})
    assert body["image"] == base64.b64encode(b"img").decode()
    settings = body["settings"]
    assert settings == {
        "makeSkewCorrect": True,
        "makeBinarization": True,
        "makeContrastCorrection": False,
        "makeUpsampling": False,
        "Language": "German",
        "dsrMode": "DsrNoFilter",
    }
    assert "resultType" not in settings and "makeSpellCheck" not in settings


def test_parse_boxes() -> None:
    result = _result(b"[[0, 8, 697, 441], [10.4, 500, 20, 490]]")
    assert parse_detected_regions(result) == [Rect(0, 8, 697, 441), Rect(10, 490, 20, 500)]
    assert parse_detected_regions(_result()) == []
    assert parse_detected_regions(_result(b"", b"[]")) == []


@pytest.mark.parametrize(
    "data",
    [b"not json", b'{"a": 1}', b"[[1, 2, 3]]", b'[[1, 2, 3, "4"]]', b"[[1, 2, 3, true]]", b"[5]"],
)
def test_malformed_boxes_are_one_line(data: bytes) -> None:
    with pytest.raises(ResponseFormatError) as info:
        parse_detected_regions(_result(data))
    line = str(info.value)
    assert "DetectRegions result of task b7162f77" in line and "[[x1, y1, x2, y2], ...]" in line
    assert "\n" not in line


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_detect_regions_finds_the_sample_text_blocks(emulator: Emulator, kind: str) -> None:
    driver = make_driver(
        kind, base_url=emulator.base_url, client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET
    )
    try:
        rects = driver("detect_regions", sample_png())
        assert rects, "the emulator found no text block"
        for rect in rects:
            x1, y1, x2, y2 = rect.as_tuple()
            assert 0 <= x1 < x2 <= SAMPLE_SIZE[0] and 0 <= y1 < y2 <= SAMPLE_SIZE[1]
        # Every sample line lies inside one detected block.
        for (_, ly1, _, ly2), _text in SAMPLE_REGIONS:
            middle = (ly1 + ly2) // 2
            assert any(r.top_left_y <= middle <= r.bottom_right_y for r in rects)
        # A ScanImage is sent as its upright pixels: the same boxes.
        assert driver("detect_regions", ScanImage.open(sample_png())) == rects
    finally:
        driver.close()


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_submit_regions_takes_a_template_scaled_to_the_image(emulator: Emulator, kind: str) -> None:
    driver = make_driver(
        kind, base_url=emulator.base_url, client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET
    )
    names = ["title", "invoice", "", "hello"]
    # Drawn on a half-size copy of the sample: scaled back up to the sample's 1000 x 320.
    half = RegionTemplate.from_boxes(
        [tuple(v // 2 for v in box) for box, _ in SAMPLE_REGIONS], (500, 160), names=names
    )
    try:
        task_id = driver("submit_regions", sample_png(), half)
        result = driver("wait", task_id)
        assert result.texts == list(SAMPLE_TEXTS)
        assert result.submission.names == tuple(names)
        assert result.submission.regions == tuple(Rect(*box) for box, _ in SAMPLE_REGIONS)
    finally:
        driver.close()


def test_submit_regions_records_the_source_path(emulator: Emulator, tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "page.png"
    path.write_bytes(sample_png())
    driver = make_driver(
        "sync",
        base_url=emulator.base_url,
        client_id=TEST_CLIENT_ID,
        client_secret=TEST_CLIENT_SECRET,
    )
    try:
        result = driver("wait", driver("submit_regions", path, [SAMPLE_REGIONS[0][0]]))
        assert result.submission.source == str(path) and result.submission.names == ()
        assert result.texts == [SAMPLE_TEXTS[0]]
    finally:
        driver.close()


def test_too_many_regions_are_refused_before_sending(emulator: Emulator) -> None:
    driver = make_driver(
        "sync",
        base_url=emulator.base_url,
        client_id=TEST_CLIENT_ID,
        client_secret=TEST_CLIENT_SECRET,
    )
    try:
        with pytest.raises(RegionError, match=f"more than {MAX_REGIONS} regions.*split them"):
            driver("submit_regions", sample_png(), [(0, 0, 5, 5)] * (MAX_REGIONS + 1))
    finally:
        driver.close()


def test_emulator_takes_more_regions_than_our_limit(emulator: Emulator) -> None:
    """Why the limit is ours: the emulator (like the documented API) sets none."""
    import httpx

    from ocr_notebook.client.clients import build_submit_body

    rects = [Rect(10 * (i % 90), 0, 10 * (i % 90) + 10, 20) for i in range(MAX_REGIONS + 50)]
    body = build_submit_body(
        "RecognizeRegions", sample_png(), regions=rects, orders=range(len(rects))
    )
    headers = {"Authorization": f"Bearer {emulator.issue_token()}"}
    response = httpx.post(
        f"{emulator.base_url}/v5.0/ocr/RecognizeRegions", json=body, headers=headers
    )
    assert response.status_code == 200
    assert json.loads(json.dumps(response.text))  # a task id


def _tiff_of_sample_pages() -> bytes:
    import io

    from PIL import Image

    from ocr_notebook.emulator.samples import render_sample

    blank = Image.new("RGB", SAMPLE_SIZE, "white")
    out = io.BytesIO()
    blank.save(out, format="TIFF", save_all=True, append_images=[render_sample()])
    return out.getvalue()


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_multipage_tiff_is_refused_and_its_chosen_page_sent(
    emulator: Emulator, kind: str
) -> None:
    from ocr_notebook import ImageInputError

    tiff = _tiff_of_sample_pages()
    driver = make_driver(
        kind, base_url=emulator.base_url, client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET
    )
    try:
        with pytest.raises(ImageInputError, match=r"2 pages .* single-page TIFF only.*page=0\.\.1"):
            driver("submit_regions", tiff, [SAMPLE_REGIONS[0][0]])
        with pytest.raises(ImageInputError, match="2 pages"):
            driver("detect_regions", tiff)
        page = ScanImage.open(tiff, page=1)
        result = driver("wait", driver("submit_regions", page, [box for box, _ in SAMPLE_REGIONS]))
        assert result.texts == list(SAMPLE_TEXTS)
    finally:
        driver.close()


def test_a_template_on_an_exif_rotated_jpeg_uses_its_upright_size(emulator: Emulator) -> None:
    """The header says 320x1000 turned a quarter: the template (drawn upright) is not scaled."""
    import io

    from PIL import Image

    from ocr_notebook.emulator.samples import render_sample

    stored = render_sample().transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    stored.save(out, format="JPEG", quality=95, exif=exif.tobytes())
    template = RegionTemplate.from_boxes([box for box, _ in SAMPLE_REGIONS], SAMPLE_SIZE)
    driver = make_driver(
        "sync",
        base_url=emulator.base_url,
        client_id=TEST_CLIENT_ID,
        client_secret=TEST_CLIENT_SECRET,
    )
    try:
        result = driver("wait", driver("submit_regions", out.getvalue(), template))
        assert result.submission.regions == template.rects
        assert result.texts == list(SAMPLE_TEXTS)
    finally:
        driver.close()
