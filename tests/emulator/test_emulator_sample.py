"""The bundled sample image: packaged, the advertised size, and read exactly through the API."""

from __future__ import annotations

import difflib
import io

import httpx
from PIL import Image

from ocr_notebook.emulator.samples import SAMPLE_REGIONS, SAMPLE_SIZE, render_sample, sample_png
from tests.support.emulator import check_response, decoded, regions_body


def test_sample_is_a_png_of_the_advertised_size() -> None:
    image = Image.open(io.BytesIO(sample_png()))
    assert image.format == "PNG"
    assert image.size == SAMPLE_SIZE
    assert render_sample().size == SAMPLE_SIZE
    assert len(SAMPLE_REGIONS) >= 3
    for (x1, y1, x2, y2), text in SAMPLE_REGIONS:
        assert 0 <= x1 < x2 <= SAMPLE_SIZE[0]
        assert 0 <= y1 < y2 <= SAMPLE_SIZE[1]
        assert text.strip() == text


def test_every_character_of_the_sample_is_read_right(emulator_http: httpx.Client) -> None:
    rects = [rect for rect, _ in SAMPLE_REGIONS]
    expected = [text for _, text in SAMPLE_REGIONS]
    body = regions_body(sample_png(), rects)
    task_id = check_response(emulator_http.post("/v5.0/ocr/RecognizeRegions", json=body))
    got = check_response(emulator_http.get("/v5.0/ocr/RecognizeRegions", params={"id": task_id}))
    texts = [data.decode() for _, data in decoded(got)]
    total = sum(len(t) for t in expected)
    right = sum(
        block.size
        for want, have in zip(expected, texts, strict=True)
        for block in difflib.SequenceMatcher(None, want, have).get_matching_blocks()
    )
    assert (right, total) == (total, total)
    assert texts == expected
