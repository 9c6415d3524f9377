"""The vendor's own Python SDK (aspose-ocr-cloud 24.11.0), unchanged, as a client of the emulator."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from ocr_notebook.emulator import Emulator
from tests.support.credentials import TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.support.emulator import GUID_UNKNOWN, text_image

sdk = pytest.importorskip("aspose_ocr_cloud")

TEXTS = ["Vendor SDK region one", "Second region 2024"]


@pytest.fixture
def api_client(emulator: Emulator) -> Iterator[Any]:
    # SDK 24.11.0 no longer fetches tokens: get one from our /connect/token, as its README says.
    reply = httpx.post(
        f"{emulator.base_url}/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": TEST_CLIENT_ID,
            "client_secret": TEST_CLIENT_SECRET,
        },
    )
    reply.raise_for_status()
    configuration = sdk.Configuration(
        host=emulator.base_url, access_token=reply.json()["access_token"]
    )
    with sdk.ApiClient(configuration) as client:
        yield client


def test_recognize_regions_round_trip(api_client: Any) -> None:
    image, rects = text_image(TEXTS)
    regions = [
        sdk.OCRRegion(
            rect=sdk.OCRRect(
                top_left_x=r[0], top_left_y=r[1], bottom_right_x=r[2], bottom_right_y=r[3]
            ),
            order=i,
        )
        for i, r in enumerate(rects)
    ]
    body = sdk.OCRRecognizeRegionsBody(
        image=base64.b64encode(image).decode("ascii"),
        settings=sdk.OCRSettingsRecognizeRegions(language="English", regions=regions),
    )
    api = sdk.RecognizeRegionsApi(api_client)
    task_id = api.post_recognize_regions(body)
    assert isinstance(task_id, str)
    for _ in range(50):
        response = api.get_recognize_regions(id=task_id)
        if response.task_status == "Completed":
            break
    assert response.task_status == "Completed"
    assert response.response_status_code == "Ok"
    assert [base64.b64decode(r.data).decode("utf-8") for r in response.results] == TEXTS


def test_readme_style_post_then_immediate_get(api_client: Any) -> None:
    # The SDK's README and examples GET right after POST and assert Completed.
    image, _ = text_image(["All men live enveloped in whale-lines."], width=1000)
    body = sdk.OCRRecognizeImageBody(
        image=base64.b64encode(image).decode("ascii"),
        settings=sdk.OCRSettingsRecognizeImage(language="English", result_type="Text"),
    )
    api = sdk.RecognizeImageApi(api_client)
    task_id = api.post_recognize_image(body)
    response = api.get_recognize_image(id=task_id)
    assert response.response_status_code == "Ok"
    assert response.task_status == "Completed"
    assert base64.b64decode(response.results[0].data) == b"All men live enveloped in whale-lines."


def test_unknown_id_is_not_exist(api_client: Any) -> None:
    response = sdk.RecognizeRegionsApi(api_client).get_recognize_regions(id=GUID_UNKNOWN)
    assert response.task_status == "NotExist"
    status = sdk.UtilitiesApi(api_client).get_task_status(id=GUID_UNKNOWN)
    assert status.task_status == "NotExist"


def test_cancel_and_binarize(api_client: Any) -> None:
    image, _ = text_image(["binarize me"])
    api = sdk.BinarizeImageApi(api_client)
    task_id = api.post_binarize_image(
        sdk.OCRBinarizeImageBody(image=base64.b64encode(image).decode("ascii"))
    )
    response = api.get_binarize_image(id=task_id)
    assert response.results[0].type == "ImagePNG"
    assert Image.open(io.BytesIO(base64.b64decode(response.results[0].data))).format == "PNG"
    assert api.cancel_binarize_image(id=task_id) is None
    assert api.get_binarize_image(id=task_id).task_status == "NotExist"


def test_text_to_speech(api_client: Any) -> None:
    api = sdk.ConvertTextToSpeechApi(api_client)
    body = sdk.TTSBody(
        text="Hello", settings=sdk.TTSSettings(language="English", result_type="Wav")
    )
    task_id = api.post_convert_text_to_speech(body)
    assert task_id.startswith("TTS")
    # Each GET of a due task waits server-side for its work, so a few GETs ride out a busy
    # worker pool on a loaded machine without sleeping here.
    for _ in range(4):
        response = api.get_convert_text_to_speech(id=task_id)
        if response.task_status == "Completed":
            break
    assert response.task_status == "Completed"
    assert base64.b64decode(response.results[0].data)[:4] == b"RIFF"


def test_missing_token_raises_the_sdks_unauthorized(emulator: Emulator) -> None:
    configuration = sdk.Configuration(host=emulator.base_url, access_token="bogus")
    with sdk.ApiClient(configuration) as client:
        api = sdk.RecognizeImageApi(client)
        with pytest.raises(sdk.exceptions.UnauthorizedException):
            api.post_recognize_image(
                sdk.OCRRecognizeImageBody(image="aGk=", settings=sdk.OCRSettingsRecognizeImage())
            )


def test_sdk_against_the_emulator_with_ocr_off(api_client: Any, emulator: Emulator) -> None:
    # A load target with OCR off still speaks the wire format the SDK expects.
    image, rects = text_image(TEXTS)
    regions = [
        sdk.OCRRegion(
            rect=sdk.OCRRect(
                top_left_x=r[0], top_left_y=r[1], bottom_right_x=r[2], bottom_right_y=r[3]
            ),
            order=i,
        )
        for i, r in enumerate(rects)
    ]
    body = sdk.OCRRecognizeRegionsBody(
        image=base64.b64encode(image).decode("ascii"),
        settings=sdk.OCRSettingsRecognizeRegions(language="English", regions=regions),
    )
    api = sdk.RecognizeRegionsApi(api_client)
    emulator.ocr = False
    try:
        response = api.get_recognize_regions(id=api.post_recognize_regions(body))
    finally:
        emulator.ocr = True
    texts = [base64.b64decode(r.data).decode("utf-8") for r in response.results]
    assert response.task_status == "Completed"
    assert len(texts) == 2 and all(texts) and texts != TEXTS
