"""The submit side: request bodies equal what the vendor's SDK sends, image inputs, regions."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from aspose_ocr_cloud import models as _sdk_models
from PIL import Image

from ocr_notebook import OCRClient, Rect, ResponseFormatError, Submission, UnknownOperationError
from ocr_notebook.client import submissions
from ocr_notebook.client.clients import build_submit_body
from tests.support.client import GUID, FakeService, mock_driver

# The SDK's pydantic models take field names mypy does not see (aliases): treat them as Any.
sdk: Any = _sdk_models

IMAGE = b"\x89PNG\r\n\x1a\nnot-really"
B64 = base64.b64encode(IMAGE).decode()

# (operation, SDK body class, SDK settings class, settings kwargs besides language)
SDK_BODIES: list[tuple[str, Any, Any, dict[str, Any]]] = [
    (
        "RecognizeImage",
        sdk.OCRRecognizeImageBody,
        sdk.OCRSettingsRecognizeImage,
        {"result_type": "Text"},
    ),
    ("RecognizePdf", sdk.OCRRecognizePdfBody, sdk.OCRSettingsRecognizePdf, {"result_type": "Text"}),
    (
        "RecognizeReceipt",
        sdk.OCRRecognizeReceiptBody,
        sdk.OCRSettingsRecognizeReceipt,
        {"result_type": "Text"},
    ),
    (
        "RecognizeTable",
        sdk.OCRRecognizeTableBody,
        sdk.OCRSettingsRecognizeTable,
        {"result_type_table": "Text"},
    ),
    (
        "RecognizeLabel",
        sdk.OCRRecognizeLabelBody,
        sdk.OCRSettingsRecognizeLabel,
        {"result_type": "Text"},
    ),
    ("DetectRegions", sdk.OCRDetectRegionsBody, sdk.OCRSettingsDetectRegions, {}),
    (
        "RecognizeAndParseInvoice",
        sdk.OCRRecognizeAndParseInvoiceBody,
        sdk.OCRSettingsRecognizeAndParseInvoice,
        {"result_type": "Text"},
    ),
    (
        "IdentifyFont",
        sdk.OCRRecognizeFontBody,
        sdk.OCRSettingsRecognizeFont,
        {"result_type": "Text"},
    ),
    ("DjVu2PDF", sdk.OCRDjVu2PDFBody, sdk.OCRSettingsDjVu2PDF, {}),
]


@pytest.mark.parametrize(
    ("api", "body", "settings", "extra"), SDK_BODIES, ids=[b[0] for b in SDK_BODIES]
)
def test_body_equals_vendor_sdk(api: str, body: Any, settings: Any, extra: dict[str, Any]) -> None:
    theirs = json.loads(body(image=B64, settings=settings(language="English", **extra)).to_json())
    assert build_submit_body(api, IMAGE) == theirs


@pytest.mark.parametrize("api", ["BinarizeImage", "DeskewImage", "DewarpImage", "UpscaleImage"])
def test_image_only_bodies(api: str) -> None:
    theirs = json.loads(getattr(sdk, f"OCR{api}Body")(image=B64).to_json())
    assert build_submit_body(api, IMAGE) == theirs == {"image": B64}
    with pytest.raises(ValueError, match="no settings"):
        build_submit_body(api, IMAGE, settings={"rotate": 90})


def test_regions_body_equals_vendor_sdk() -> None:
    rects = (Rect(0, 0, 700, 90), Rect(5, 90, 700, 180))
    regions = [
        sdk.OCRRegion(
            rect=sdk.OCRRect(
                top_left_x=r.top_left_x,
                top_left_y=r.top_left_y,
                bottom_right_x=r.bottom_right_x,
                bottom_right_y=r.bottom_right_y,
            ),
            order=o,
        )
        for r, o in zip(rects, (1, 0), strict=True)
    ]
    theirs = json.loads(
        sdk.OCRRecognizeRegionsBody(
            image=B64,
            settings=sdk.OCRSettingsRecognizeRegions(
                language="German", result_type="Hocr", regions=regions
            ),
        ).to_json()
    )
    ours = build_submit_body(
        "RecognizeRegions",
        IMAGE,
        language="German",
        result_type="Hocr",
        regions=rects,
        orders=(1, 0),
    )
    assert ours == theirs
    assert theirs["settings"]["makeBinarization"] is True  # the SDK default, sent explicitly


def test_settings_override_case_insensitively() -> None:
    body = build_submit_body(
        "RecognizeImage",
        IMAGE,
        settings={"rotate": 90, "MakeSkewCorrect": False, "dsrMode": "Regions"},
    )
    settings = body["settings"]
    assert settings["rotate"] == 90 and settings["dsrMode"] == "Regions"
    assert "makeSkewCorrect" not in settings and settings["MakeSkewCorrect"] is False


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_submit_regions_on_the_wire(kind: str, tmp_path: Path) -> None:
    submissions.clear()
    path = tmp_path / "page.png"
    path.write_bytes(IMAGE)
    service = FakeService([f"{GUID}"])
    d = mock_driver(kind, service)
    try:
        task_id = d("submit_regions", path, [(1, 2, 30, 40), Rect(0, 50, 30, 90)], orders=[5, 2])
    finally:
        d.close()
    assert task_id == GUID
    post = service.api_requests[0]
    assert post.method == "POST" and post.url.path == "/v5.0/ocr/RecognizeRegions"
    assert post.headers["Content-Type"] == "application/json"
    assert post.headers["Accept"] == "text/plain"
    sent = json.loads(post.content)
    assert base64.b64decode(sent["image"]) == IMAGE
    assert sent["settings"]["regions"] == [
        {
            "rect": {"topLeftX": 1, "topLeftY": 2, "bottomRightX": 30, "bottomRightY": 40},
            "order": 5,
        },
        {
            "rect": {"topLeftX": 0, "topLeftY": 50, "bottomRightX": 30, "bottomRightY": 90},
            "order": 2,
        },
    ]
    recorded = submissions.lookup("https://ocr.example.test/", GUID.upper())
    assert recorded == Submission(
        IMAGE, (Rect(1, 2, 30, 40), Rect(0, 50, 30, 90)), (5, 2), source=str(path)
    )


@pytest.mark.parametrize("answer", [GUID, f'"{GUID}"', f"{GUID}\r\n"])
def test_submit_reads_the_bare_id(answer: str) -> None:
    d = mock_driver("sync", FakeService([answer]))
    try:
        assert d("submit_image", IMAGE, api="recognizepdf") == GUID
    finally:
        d.close()


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_submit_answer_that_is_not_an_id(kind: str) -> None:
    d = mock_driver(kind, FakeService(["<html>hello</html>"]))
    try:
        with pytest.raises(ResponseFormatError, match="not a task id"):
            d("submit_image", IMAGE)
    finally:
        d.close()


def test_submission_is_attached_to_results_of_any_client() -> None:
    submissions.clear()
    service = FakeService(
        [
            GUID,
            {
                "id": GUID,
                "taskStatus": "Completed",
                "responseStatusCode": "Ok",
                "results": [{"type": "Text", "data": "aGk="}],
                "error": None,
            },
        ]
    )
    with OCRClient(
        "https://ocr.example.test",
        client_id="i",
        client_secret="s",
        transport=httpx.MockTransport(service.handler),
    ) as first:
        task_id = first.submit_regions(IMAGE, [(0, 0, 10, 10)])
    other = FakeService([service.script[1]])
    with OCRClient(
        "https://OCR.example.test/",
        client_id="i",
        client_secret="s",
        transport=httpx.MockTransport(other.handler),
    ) as second:
        result = second.get_result(task_id)
    assert result.submission is not None and result.submission.image == IMAGE
    with OCRClient(
        "https://elsewhere.test",
        client_id="i",
        client_secret="s",
        transport=httpx.MockTransport(FakeService([service.script[1]]).handler),
    ) as third:
        assert third.get_result(task_id).submission is None


def test_image_inputs(tmp_path: Path) -> None:
    service = FakeService([GUID])
    picture = Image.new("CMYK", (4, 3), (0, 0, 0, 0))
    path = tmp_path / "img.bin"
    path.write_bytes(IMAGE)
    with OCRClient(
        "https://ocr.example.test",
        client_id="i",
        client_secret="s",
        transport=httpx.MockTransport(service.handler),
    ) as client:
        client.submit_image(IMAGE)
        client.submit_image(bytearray(IMAGE))
        client.submit_image(str(path))
        client.submit_image(picture)
        with pytest.raises(FileNotFoundError, match="not found"):
            client.submit_image(tmp_path / "missing.png")
        with pytest.raises(TypeError, match="path, bytes or a PIL image"):
            client.submit_image(42)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="empty"):
            client.submit_image(b"")
    sent = [base64.b64decode(json.loads(r.content)["image"]) for r in service.api_requests]
    assert sent[:3] == [IMAGE, IMAGE, IMAGE]
    decoded = Image.open(io.BytesIO(sent[3]))
    assert (decoded.format, decoded.size, decoded.mode) == ("PNG", (4, 3), "RGB")


@pytest.mark.parametrize(
    ("regions", "orders", "message"),
    [
        ([], None, "No regions"),
        ([(0, 0, 10)], None, "4 corner"),
        ([(10, 0, 5, 10)], None, "pixel corners"),
        ([(0, 10, 5, 10)], None, "pixel corners"),
        ([(-1, 0, 5, 10)], None, "pixel corners"),
        ([(0, 0, 5, 10)], [1, 2], "orders has 2 entries"),
    ],
)
def test_bad_regions_send_nothing(
    regions: list[Any], orders: list[int] | None, message: str
) -> None:
    service = FakeService([GUID])
    with (
        OCRClient(
            "https://ocr.example.test",
            client_id="i",
            client_secret="s",
            transport=httpx.MockTransport(service.handler),
        ) as client,
        pytest.raises(ValueError, match=message),
    ):
        client.submit_regions(IMAGE, regions, orders=orders)
    assert service.requests == []


def test_submit_image_refuses_non_image_operations() -> None:
    with OCRClient(
        "https://ocr.example.test",
        client_id="i",
        client_secret="s",
        transport=httpx.MockTransport(FakeService().handler),
    ) as client:
        with pytest.raises(UnknownOperationError, match="RecognizeImage"):
            client.submit_image(IMAGE, api="ConvertTextToSpeech")
        with pytest.raises(ValueError, match="submit_regions"):
            client.submit_image(IMAGE, api="RecognizeRegions")
