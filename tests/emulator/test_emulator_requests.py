"""How the emulator reads requests: case, defaults, region order, and bad input."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image

from ocr_notebook.emulator import Emulator
from tests.support.emulator import (
    GUID_UNKNOWN,
    b64,
    check_response,
    decoded,
    regions_body,
    text_image,
)

LINES = ["Alpha line 1", "Bravo line 2", "Charlie line 3"]
IMAGE, RECTS = text_image(LINES)


def _run(client: httpx.Client, operation: str, body: Any) -> dict[str, Any]:
    posted = client.post(f"/v5.0/ocr/{operation}", json=body)
    assert posted.status_code == 200, posted.text
    got: dict[str, Any] = check_response(
        client.get(f"/v5.0/ocr/{operation}", params={"id": check_response(posted)})
    )
    return got


def _texts(body: dict[str, Any]) -> list[str]:
    return [data.decode() for _, data in decoded(body)]


@pytest.mark.parametrize(
    "path",
    ["/v5.0/ocr/recognizeregions", "/V5.0/OCR/RECOGNIZEREGIONS", "/v5.0/ocr/RecognizeRegions/"],
)
def test_paths_match_case_insensitively(emulator_http: httpx.Client, path: str) -> None:
    posted = emulator_http.post(path, json=regions_body(IMAGE, RECTS[:1]))
    assert posted.status_code == 200
    task_id = posted.text
    got = emulator_http.get(path, params={"id": task_id})
    assert got.json()["taskStatus"] == "Completed"
    status = emulator_http.get("/v5.0/ocr/utilities/gettaskstatus", params={"ID": task_id})
    assert check_response(status)["taskStatus"] == "Completed"


def test_property_names_match_case_insensitively(emulator_http: httpx.Client) -> None:
    body = {
        "Image": b64(IMAGE),
        "SETTINGS": {
            "Regions": [
                {"RECT": {"TopLeftX": 10, "topleftY": 10, "BottomRightX": 890, "bottomrighty": 80}}
            ],
            "ResultType": "text",
        },
    }
    result = _run(emulator_http, "RecognizeRegions", body)
    assert _texts(result) == [LINES[0]]


@pytest.mark.parametrize("name", ["Rotate", "rotate", "ROTATE"])
def test_rotate_in_any_case_turns_the_image_clockwise(
    emulator_http: httpx.Client, name: str
) -> None:
    # The text is drawn turned 90 degrees anticlockwise; rotating 90 clockwise makes it upright.
    upright = Image.open(io.BytesIO(text_image(["Rotated text"], width=500)[0]))
    turned = upright.rotate(90, expand=True)
    out = io.BytesIO()
    turned.save(out, format="PNG")
    body = {"image": b64(out.getvalue()), "settings": {name: 90}}
    assert _texts(_run(emulator_http, "RecognizeImage", body)) == ["Rotated text"]


def test_missing_rect_coordinates_and_order_read_as_zero(emulator_http: httpx.Client) -> None:
    # As .NET sends them: zero values are omitted (EmitDefaultValue=false).
    body = {
        "image": b64(IMAGE),
        "settings": {
            "regions": [
                {"rect": {"bottomRightX": 890, "bottomRightY": 80}, "order": 1},
                {"rect": {"topLeftY": 150, "bottomRightX": 890, "bottomRightY": 220}},
            ]
        },
    }
    assert _texts(_run(emulator_http, "RecognizeRegions", body)) == [LINES[2], LINES[0]]


@pytest.mark.parametrize("regions", [None, []], ids=["null", "empty-list"])
def test_no_regions_means_the_whole_image_as_one_region(
    emulator_http: httpx.Client, regions: list[Any] | None
) -> None:
    body = {"image": b64(IMAGE), "settings": {"regions": regions}}
    assert _texts(_run(emulator_http, "RecognizeRegions", body)) == ["\n".join(LINES)]


def test_no_settings_at_all_uses_the_defaults(emulator_http: httpx.Client) -> None:
    assert _texts(_run(emulator_http, "RecognizeRegions", {"image": b64(IMAGE)})) == [
        "\n".join(LINES)
    ]


def test_results_follow_order_and_ties_keep_submission_order(emulator_http: httpx.Client) -> None:
    rects = [RECTS[0], RECTS[1], RECTS[2], RECTS[0]]
    body = regions_body(IMAGE, rects, orders=[5, -1, 5, 0])
    assert _texts(_run(emulator_http, "RecognizeRegions", body)) == [
        LINES[1],
        LINES[0],
        LINES[0],
        LINES[2],
    ]


def test_a_region_outside_the_image_gives_an_empty_result_and_a_warning(
    emulator_http: httpx.Client,
) -> None:
    body = regions_body(IMAGE, [RECTS[0], (5000, 5000, 6000, 6000), (50, 50, 50, 90)])
    result = _run(emulator_http, "RecognizeRegions", body)
    assert result["taskStatus"] == "Completed"
    assert _texts(result) == [LINES[0], "", ""]
    assert len(result["error"]["warnings"]) == 2


def test_reversed_corners_are_normalised(emulator_http: httpx.Client) -> None:
    x1, y1, x2, y2 = RECTS[1]
    body = regions_body(IMAGE, [(x2, y2, x1, y1)])
    assert _texts(_run(emulator_http, "RecognizeRegions", body)) == [LINES[1]]


@pytest.mark.parametrize(
    "upload",
    [b"this is not an image", b"", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40],
    ids=["text", "empty", "truncated-png"],
)
@pytest.mark.parametrize("operation", ["RecognizeRegions", "RecognizeImage", "BinarizeImage"])
def test_an_upload_that_is_not_an_image_is_an_error_task(
    emulator: Emulator, emulator_http: httpx.Client, upload: bytes, operation: str
) -> None:
    result = _run(emulator_http, operation, {"image": b64(upload), "settings": {}})
    assert (result["taskStatus"], result["responseStatusCode"]) == ("Error", "Error")
    assert result["results"] is None
    assert "could not be decoded" in result["error"]["messages"][0]
    # ... and the emulator is still serving.
    assert _texts(_run(emulator_http, "RecognizeRegions", regions_body(IMAGE, RECTS[:1]))) == [
        LINES[0]
    ]


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b"{not json", "$"),
        (b"[1, 2]", "$"),
        (b'"just a string"', "$"),
        (b"\xff\xfe garbage", "$"),
        (b"{}", "$.image"),
        (b'{"image": 42}', "$.image"),
        (b'{"image": "not base64!!"}', "$.image"),
        (b'{"image": "aGVsbG8=", "settings": []}', "$.settings"),
        (b'{"image": "aGVsbG8=", "settings": {"rotate": "ninety"}}', "$.settings.rotate"),
        (b'{"image": "aGVsbG8=", "settings": {"rotate": 1e12}}', "$.settings.rotate"),
        (b'{"image": "aGVsbG8=", "settings": {"resultType": "Docx"}}', "$.settings.resultType"),
        (b'{"image": "aGVsbG8=", "settings": {"regions": {"a": 1}}}', "$.settings.regions"),
        (b'{"image": "aGVsbG8=", "settings": {"regions": [5]}}', "$.settings.regions[0]"),
        (
            b'{"image": "aGVsbG8=", "settings": {"regions": [{"rect": {"topLeftX": "a"}}]}}',
            "$.settings.regions[0].rect.topLeftX",
        ),
        (
            b'{"image": "aGVsbG8=", "settings": {"makeUpsampling": "yes"}}',
            "$.settings.makeUpsampling",
        ),
        (
            b'{"image": "aGVsbG8=", "settings": {"makeSkewCorrect": 1}}',
            "$.settings.makeSkewCorrect",
        ),
        (b'{"image": "aGVsbG8=", "settings": {"language": "Klingon"}}', "$.settings.language"),
        (b'{"image": "aGVsbG8=", "settings": {"language": 7}}', "$.settings.language"),
        (b'{"image": "aGVsbG8=", "settings": {"dsrMode": "Fast"}}', "$.settings.dsrMode"),
        (b'{"image": "aGVsbG8=", "settings": {"dsrConfidence": 3}}', "$.settings.dsrConfidence"),
    ],
)
def test_malformed_bodies_are_400_and_the_emulator_stays_up(
    emulator_http: httpx.Client, content: bytes, field: str
) -> None:
    response = emulator_http.post(
        "/v5.0/ocr/RecognizeRegions",
        content=content,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    problem = check_response(response)
    assert list(problem["errors"]) == [field]
    assert problem["detail"]
    assert "\n" not in problem["detail"]
    follow = emulator_http.get("/v5.0/ocr/RecognizeRegions", params={"id": GUID_UNKNOWN})
    assert check_response(follow)["taskStatus"] == "NotExist"


@pytest.mark.parametrize(
    "body",
    [
        {"settings": {"language": "English", "resultType": "Wav"}},
        {"text": "", "settings": {"language": "English", "resultType": "Wav"}},
        {"text": "hi"},
        {"text": "hi", "settings": {"language": "German", "resultType": "Wav"}},
        {"text": "hi", "settings": {"language": "English", "resultType": "Mp3"}},
    ],
)
def test_bad_speech_bodies_are_400(emulator_http: httpx.Client, body: dict[str, Any]) -> None:
    response = emulator_http.post("/v5.0/ocr/ConvertTextToSpeech", json=body)
    assert response.status_code == 400
    check_response(response)


def test_get_without_id_is_400(emulator_http: httpx.Client) -> None:
    for path in ("/v5.0/ocr/RecognizeRegions", "/v5.0/ocr/Utilities/GetTaskStatus"):
        response = emulator_http.get(path)
        assert response.status_code == 400
        assert "id" in check_response(response)["errors"]
    assert emulator_http.delete("/v5.0/ocr/RecognizeRegions").status_code == 400


def test_any_id_string_is_answered_not_exist(emulator_http: httpx.Client) -> None:
    for odd in [
        "not-a-guid",
        "",
        "<script>alert(1)</script>",
        "TTS00000-0000-0000-0000-000000000000",
    ]:
        body = check_response(emulator_http.get("/v5.0/ocr/RecognizeRegions", params={"id": odd}))
        assert body["taskStatus"] == "NotExist"
        assert body["id"] == odd


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v5.0/ocr/RecognizeFast", 404),
        ("GET", "/v4.0/ocr/RecognizeRegions", 404),
        ("GET", "/", 404),
        ("PUT", "/v5.0/ocr/RecognizeRegions", 405),
        ("POST", "/v5.0/ocr/Utilities/GetTaskStatus", 405),
        ("GET", "/connect/token", 405),
    ],
)
def test_unknown_paths_and_methods(
    emulator_http: httpx.Client, method: str, path: str, status: int
) -> None:
    response = emulator_http.request(method, path, params={"id": GUID_UNKNOWN})
    assert response.status_code == status
    check_response(response)


def test_big_upload_is_parsed_off_the_loop_and_recognised(emulator_http: httpx.Client) -> None:
    # A large, noisy PNG (over the off-loop threshold) still round-trips.
    image = Image.effect_noise((700, 700), 40).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PNG")
    assert len(out.getvalue()) > 256 * 1024
    result = _run(emulator_http, "BinarizeImage", {"image": b64(out.getvalue())})
    assert result["taskStatus"] == "Completed"


def _transparent_png() -> bytes:
    # Black text on a fully transparent background: the alpha channel carries the page.
    gray = Image.open(io.BytesIO(IMAGE)).convert("L")
    rgba = Image.new("RGBA", gray.size, (0, 0, 0, 0))
    rgba.putalpha(Image.eval(gray, lambda v: 255 - v))
    out = io.BytesIO()
    rgba.save(out, format="PNG")
    return out.getvalue()


def _as(fmt: str, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(IMAGE)).convert(mode).save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize(
    "upload",
    [
        pytest.param(_as("JPEG"), id="jpeg"),
        pytest.param(_as("GIF", "P"), id="gif"),
        pytest.param(_as("BMP"), id="bmp"),
        pytest.param(_as("TIFF"), id="tiff"),
        pytest.param(_as("PNG", "1"), id="png-1bit"),
        pytest.param(_transparent_png(), id="png-transparent"),
    ],
)
def test_supported_image_formats_are_read(emulator_http: httpx.Client, upload: bytes) -> None:
    result = _run(emulator_http, "RecognizeImage", {"image": b64(upload), "settings": {}})
    assert _texts(result) == ["\n".join(LINES)]
