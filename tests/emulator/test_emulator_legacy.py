"""The spec's deprecated endpoints: multipart uploads, result tasks and raw result files."""

from __future__ import annotations

import io
import wave

import httpx
import pytest
from PIL import Image

from ocr_notebook.emulator import Emulator
from tests.support.emulator import GUID_UNKNOWN, check_response, decoded, text_image

IMAGE, _ = text_image(["legacy upload"])


@pytest.mark.parametrize(
    ("endpoint", "scale"),
    [
        ("PostUpsamplingImageFile", 2),
        ("PostBinarizationFile", 1),
        ("PostDewarpingFile", 1),
        ("PostSkewCorrectionFile", None),
    ],
)
def test_image_processing_upload_and_results(
    emulator_http: httpx.Client, endpoint: str, scale: int | None
) -> None:
    posted = emulator_http.post(
        f"/v5.0/ocr/ImageProcessing/{endpoint}", files={"file": ("page.png", IMAGE, "image/png")}
    )
    task_id = check_response(posted)
    task = check_response(
        emulator_http.get("/v5.0/ocr/ImageProcessing/GetResultTask", params={"id": task_id})
    )
    assert task["taskStatus"] == "Completed"
    assert [kind for kind, _ in decoded(task)] == ["ImagePNG"]
    got = emulator_http.get("/v5.0/ocr/ImageProcessing/GetResultFile", params={"id": task_id})
    assert got.status_code == 200
    assert got.headers["content-type"] == "image/png"
    png = Image.open(io.BytesIO(check_response(got)))
    source = Image.open(io.BytesIO(IMAGE))
    if scale is not None:
        assert png.size == (source.width * scale, source.height * scale)


def test_result_file_of_an_unknown_or_failed_task_is_204(emulator_http: httpx.Client) -> None:
    unknown = emulator_http.get(
        "/v5.0/ocr/ImageProcessing/GetResultFile", params={"id": GUID_UNKNOWN}
    )
    assert unknown.status_code == 204
    check_response(unknown)
    task_id = check_response(
        emulator_http.post(
            "/v5.0/ocr/ImageProcessing/PostBinarizationFile",
            files={"file": ("x.png", b"not an image", "image/png")},
        )
    )
    failed = emulator_http.get("/v5.0/ocr/ImageProcessing/GetResultFile", params={"id": task_id})
    assert failed.status_code == 204


def test_upload_without_a_file_part_is_400(emulator_http: httpx.Client) -> None:
    for kwargs in ({"files": {"image": ("x.png", IMAGE)}}, {"json": {"file": "abc"}}):
        response = emulator_http.post("/v5.0/ocr/ImageProcessing/PostBinarizationFile", **kwargs)
        assert response.status_code == 400
        assert "file" in check_response(response)["errors"]


def test_legacy_text_to_speech(emulator_http: httpx.Client) -> None:
    posted = emulator_http.post(
        "/v5.0/ocr/TextToSpeech/PostTextToSpeech",
        json={"text": "old style", "language": "English", "resultType": "Wav"},
    )
    task_id = check_response(posted)
    assert task_id.startswith("TTS")
    task = check_response(
        emulator_http.get("/v5.0/ocr/TextToSpeech/GetTextToSpeechResult", params={"id": task_id})
    )
    assert [kind for kind, _ in decoded(task)] == ["WavFile"]
    got = emulator_http.get(
        "/v5.0/ocr/TextToSpeech/GetTextToSpeechResultFile", params={"id": task_id}
    )
    assert got.headers["content-type"] == "application/octet-stream"
    with wave.open(io.BytesIO(check_response(got))) as wav:
        assert wav.getnframes() > 0
    bad = emulator_http.post("/v5.0/ocr/TextToSpeech/PostTextToSpeech", json={"text": "x"})
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v5.0/ocr/ImageProcessing/PostBinarizationFile"),
        ("GET", "/v5.0/ocr/ImageProcessing/GetResultFile"),
        ("POST", "/v5.0/ocr/TextToSpeech/PostTextToSpeech"),
    ],
)
def test_legacy_endpoints_need_a_token(emulator: Emulator, method: str, path: str) -> None:
    response = httpx.request(method, f"{emulator.base_url}{path}", params={"id": GUID_UNKNOWN})
    assert response.status_code == 401
    check_response(response)


def test_legacy_endpoints_refuse_other_methods(emulator_http: httpx.Client) -> None:
    response = emulator_http.get("/v5.0/ocr/ImageProcessing/PostBinarizationFile")
    assert response.status_code == 405
    check_response(response)
