"""OCRResult / RegionResult parsing from the wire format (reference §4), and back."""

from __future__ import annotations

import base64
import pickle
from pathlib import Path
from typing import Any

import pytest

from ocr_notebook import (
    OCRResult,
    Rect,
    RegionResult,
    ResponseFormatError,
    ResponseStatusCode,
    Submission,
    TaskFailedError,
    TaskStatus,
)

GUID = "b7162f77-bf10-407d-86de-ee255e422ca7"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


DOCS_EXAMPLE = {
    "id": GUID,
    "taskStatus": "Completed",
    "responseStatusCode": "Ok",
    "results": [{"type": "Text", "data": "QWxsIG1lbiBsaXZlIGVudmVsb3BlZCBpbiB3aGFsZS1saW5lcy4="}],
    "error": None,
}


def test_docs_example() -> None:
    result = OCRResult.from_response(DOCS_EXAMPLE)
    assert result.id == GUID
    assert result.status is TaskStatus.COMPLETED and result.is_completed
    assert result.response_status_code is ResponseStatusCode.OK
    assert result.text == "All men live enveloped in whale-lines."
    assert result.messages == () and result.warnings == ()
    assert repr(result) == f"<OCRResult id={GUID} Completed regions=1 chars=38>"


@pytest.mark.parametrize(
    ("payload", "status", "regions"),
    [
        (
            {
                "id": GUID,
                "taskStatus": "Pending",
                "responseStatusCode": "NotReady",
                "results": None,
                "error": None,
            },
            TaskStatus.PENDING,
            0,
        ),
        ({"taskStatus": "NotExist"}, TaskStatus.NOT_EXIST, 0),
        ({}, TaskStatus.UNKNOWN, 0),
        (
            {"TASKSTATUS": "completed", "Results": [{"Type": "Text", "Data": b64(b"x")}]},
            TaskStatus.COMPLETED,
            1,
        ),
        ({"taskStatus": None, "results": []}, TaskStatus.UNKNOWN, 0),
        ({"taskStatus": 3}, TaskStatus.UNKNOWN, 0),
    ],
)
def test_missing_null_and_odd_fields(
    payload: dict[str, Any], status: TaskStatus, regions: int
) -> None:
    result = OCRResult.from_response(payload)
    assert result.status is status
    assert len(result) == regions


def test_unknown_enum_values_keep_the_raw_string() -> None:
    result = OCRResult.from_response(
        {"id": GUID, "taskStatus": "Throttled", "responseStatusCode": "Busy"}
    )
    assert result.status is TaskStatus.UNKNOWN and result.status_raw == "Throttled"
    assert result.response_status_code is ResponseStatusCode.UNKNOWN
    assert result.response_status_code_raw == "Busy"
    assert not result.status.is_terminal
    assert result.to_dict()["taskStatus"] == "Throttled"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], "JSON object"),
        ({"id": 5}, "id is not a string"),
        ({"results": {}}, "results is not a list"),
        ({"results": ["x"]}, r"results\[0\] is not an object"),
        ({"results": [{"type": 1, "data": ""}]}, "type is not a string"),
        ({"results": [{"type": "Text", "data": 7}]}, "not a Base64 string"),
        ({"results": [{"type": "Text", "data": "@@@"}]}, "not valid Base64"),
        ({"error": "bad"}, "error is not an object"),
        ({"error": {"messages": "bad"}}, "error.messages"),
        ({"error": {"warnings": [1]}}, "error.warnings"),
    ],
)
def test_malformed_responses(payload: Any, message: str) -> None:
    with pytest.raises(ResponseFormatError, match=message):
        OCRResult.from_response(payload)


def test_error_fields() -> None:
    result = OCRResult.from_response(
        {
            "id": GUID,
            "taskStatus": "Error",
            "responseStatusCode": "Error",
            "error": {"messages": ["Cannot decode image"], "warnings": None},
        }
    )
    assert result.messages == ("Cannot decode image",)
    assert result.warnings == ()


@pytest.mark.parametrize(
    ("rtype", "is_text", "mime", "ext"),
    [
        ("Text", True, "text/plain", ".txt"),
        ("Hocr", True, "text/html", ".html"),
        ("Csv", True, "text/csv", ".csv"),
        ("JSON", True, "application/json", ".json"),
        ("Other", True, "application/json", ".json"),
        ("Pdf", False, "application/pdf", ".pdf"),
        ("ImagePNG", False, "image/png", ".png"),
        ("WavFile", False, "audio/wav", ".wav"),
        ("Mystery", False, "application/octet-stream", ".bin"),
    ],
)
def test_region_types(rtype: str, is_text: bool, mime: str, ext: str) -> None:
    region = RegionResult(0, rtype, "héllo".encode())
    assert region.is_text is is_text
    assert region.text == ("héllo" if is_text else None)
    assert (region.mime_type, region.extension) == (mime, ext)


def test_invalid_utf8_text_is_replaced() -> None:
    assert RegionResult(0, "Text", b"ok\xff").text == "ok\ufffd"


def test_save(tmp_path: Path) -> None:
    result = OCRResult.from_response(
        {
            "id": GUID,
            "taskStatus": "Completed",
            "results": [
                {"type": "Text", "data": b64(b"one")},
                {"type": "Pdf", "data": b64(b"%PDF-")},
            ],
        }
    )
    paths = result.save(tmp_path / "out")
    assert [Path(p).name for p in paths] == ["region-0000.txt", "region-0001.pdf"]
    assert Path(paths[1]).read_bytes() == b"%PDF-"
    target = result[0].save(tmp_path / "named.txt")
    assert Path(target).read_text() == "one"
    assert result.texts == ["one"]


def test_round_trip_with_submission() -> None:
    submission = Submission(
        b"png", (Rect(1, 2, 3, 4), Rect(0, 0, 9, 9)), (1, 0), settings={"language": "English"}
    )
    result = OCRResult.from_response(DOCS_EXAMPLE, api="RecognizeImage", submission=submission)
    again = OCRResult.from_dict(result.to_dict())
    assert again == result
    assert again.api == "RecognizeImage"
    assert again.submission == submission
    assert pickle.loads(pickle.dumps(result)) == result


def test_task_error_carries_the_result_through_pickle() -> None:
    result = OCRResult.from_response({"id": GUID, "taskStatus": "Error"})
    err = TaskFailedError("failed", task_id=GUID, status="Error", messages=["m"], result=result)
    again = pickle.loads(pickle.dumps(err))
    assert again.result == result and again.messages == ("m",) and again.task_id == GUID


def test_rect_wire_forms() -> None:
    assert Rect.from_box((1, 2, 3, 4)).to_wire() == {
        "topLeftX": 1,
        "topLeftY": 2,
        "bottomRightX": 3,
        "bottomRightY": 4,
    }
    assert Rect.from_wire({"bottomRightX": 5, "BottomRightY": 6}) == Rect(0, 0, 5, 6)
    with pytest.raises(ValueError, match="4 corner"):
        Rect.from_box((1, 2))


def test_rects_in_result_order() -> None:
    s = Submission(b"", (Rect(0, 0, 1, 1), Rect(0, 0, 2, 2), Rect(0, 0, 3, 3)), (2, 0, 1))
    assert [r.bottom_right_x for r in s.rects_in_result_order()] == [2, 3, 1]


def test_to_dataframe() -> None:
    frame = OCRResult.from_response(DOCS_EXAMPLE).to_dataframe()
    assert list(frame.columns) == [
        "task_id",
        "region",
        "order",
        "type",
        "text",
        "characters",
        "ocr_text",
        "corrected",
    ]
    assert frame.loc[0, "characters"] == 38
