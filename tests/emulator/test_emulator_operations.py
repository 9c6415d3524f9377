"""Every v5 operation of the emulator: POST -> id, GET -> results of the right type, DELETE."""

from __future__ import annotations

import ast
import io
import json
import wave
import zipfile
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from PIL import Image

from ocr_notebook import is_valid_task_id
from tests.support.emulator import GUID_UNKNOWN, b64, check_response, decoded, text_image

LINES = ["Invoice 2024-0042", "Total $1,234.56"]
IMAGE, RECTS = text_image(LINES)
SPEECH = {
    "text": "Hello from the emulator",
    "settings": {"language": "English", "resultType": "Wav"},
}


def _recognized(http: httpx.Client, path: str, body: dict[str, Any]) -> Any:
    """POST ``body`` to ``path``, then GET that task's result; both answers checked against the spec."""
    task_id = check_response(http.post(path, json=body))
    return check_response(http.get(path, params={"id": task_id}))


def _png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image


def _text(results: list[tuple[str, bytes]]) -> None:
    assert [kind for kind, _ in results] == ["Text"]
    assert results[0][1].decode() == "\n".join(LINES)


def _trial_text(results: list[tuple[str, bytes]]) -> None:
    assert [kind for kind, _ in results] == ["Text"]
    words = results[0][1].decode().split()
    assert len(words) == len(" ".join(LINES).split())


def _csv(results: list[tuple[str, bytes]]) -> None:
    assert [kind for kind, _ in results] == ["Csv"]
    assert results[0][1].decode().splitlines() == ["Invoice 2024-0042", '"Total $1,234.56"']


def _regions(results: list[tuple[str, bytes]]) -> None:
    assert results == [("Text", line.encode()) for line in LINES]


def _boxes(results: list[tuple[str, bytes]]) -> None:
    assert [kind for kind, _ in results] == ["Other"]
    boxes = json.loads(results[0][1])
    assert boxes
    for box in boxes:
        assert len(box) == 4
        assert all(isinstance(v, int) for v in box)
        assert box[0] < box[2]
        assert box[1] < box[3]


INVOICE_FIELDS = {
    "issue_date", "due_date", "supplier_name", "supplier_address", "supplier_email",
    "supplier_phone", "supplier_tax_id", "receiver_name", "receiver_address",
    "receiver_tax_id", "currency", "total_amount", "vat", "net_amount", "bank_name", "bic",
    "account",
}  # fmt: skip


def _invoice(results: list[tuple[str, bytes]]) -> None:
    assert [kind for kind, _ in results] == ["Text"]
    fields = json.loads(results[0][1])
    assert set(fields) == INVOICE_FIELDS
    assert fields["total_amount"] == 1234.56
    assert fields["currency"] == "USD"
    assert fields["vat"] == -1
    for name in ("total_amount", "vat", "net_amount"):
        assert isinstance(fields[name], int | float)


def _font(results: list[tuple[str, bytes]]) -> None:
    assert [kind for kind, _ in results] == ["Text"]
    text = results[0][1].decode()
    assert text.startswith("{'style': ")  # Python repr, single quotes, as the docs show
    report = ast.literal_eval(text)
    assert isinstance(report["style"], str)
    assert all(isinstance(f, str) for f in report["font"])


def _pdf(results: list[tuple[str, bytes]]) -> None:
    assert [kind for kind, _ in results] == ["Pdf"]
    assert results[0][1].startswith(b"%PDF-")
    assert results[0][1].rstrip().endswith(b"%%EOF")


def _image_png(same_size: bool) -> Callable[[list[tuple[str, bytes]]], None]:
    def check(results: list[tuple[str, bytes]]) -> None:
        assert [kind for kind, _ in results] == ["ImagePNG"]
        image = _png(results[0][1])
        source = _png(IMAGE)
        if same_size:
            assert image.size == source.size
        else:
            assert image.size == (source.width * 2, source.height * 2)

    return check


def _deskewed(results: list[tuple[str, bytes]]) -> None:
    assert [kind for kind, _ in results] == ["ImagePNG"]
    _png(results[0][1])


def _wav(results: list[tuple[str, bytes]]) -> None:
    assert [kind for kind, _ in results] == ["WavFile"]
    data = results[0][1]
    assert data[:4] == b"RIFF"
    assert data[8:12] == b"WAVE"
    with wave.open(io.BytesIO(data)) as wav:
        assert wav.getnchannels() == 1
        assert wav.getnframes() > 0


IMAGE_BODY = {"image": b64(IMAGE), "settings": {"language": "English"}}
REGIONS_BODY = {
    "image": b64(IMAGE),
    "settings": {
        "regions": [
            {
                "rect": dict(
                    zip(("topLeftX", "topLeftY", "bottomRightX", "bottomRightY"), r, strict=True)
                ),
                "order": i,
            }
            for i, r in enumerate(RECTS)
        ]
    },
}
PLAIN_IMAGE = {"image": b64(IMAGE)}

OPERATIONS: list[tuple[str, dict[str, Any], Callable[[list[tuple[str, bytes]]], None]]] = [
    ("RecognizeImage", IMAGE_BODY, _text),
    ("RecognizeImageTrial", IMAGE_BODY, _trial_text),
    ("RecognizePdf", IMAGE_BODY, _text),
    ("RecognizeReceipt", IMAGE_BODY, _text),
    ("RecognizeTable", {"image": b64(IMAGE), "settings": {"resultTypeTable": "Csv"}}, _csv),
    ("RecognizeLabel", IMAGE_BODY, _text),
    ("RecognizeRegions", REGIONS_BODY, _regions),
    ("DetectRegions", IMAGE_BODY, _boxes),
    ("RecognizeAndParseInvoice", IMAGE_BODY, _invoice),
    ("IdentifyFont", IMAGE_BODY, _font),
    ("DjVu2PDF", IMAGE_BODY, _pdf),
    ("BinarizeImage", PLAIN_IMAGE, _image_png(same_size=True)),
    ("DeskewImage", PLAIN_IMAGE, _deskewed),
    ("DewarpImage", PLAIN_IMAGE, _image_png(same_size=True)),
    ("UpscaleImage", PLAIN_IMAGE, _image_png(same_size=False)),
    ("ConvertTextToSpeech", SPEECH, _wav),
    ("ConvertTextToSpeechTrial", SPEECH, _wav),
]


@pytest.mark.parametrize(
    ("operation", "body", "check"), OPERATIONS, ids=[op for op, _, _ in OPERATIONS]
)
def test_post_get_delete(
    emulator_http: httpx.Client,
    operation: str,
    body: dict[str, Any],
    check: Callable[[list[tuple[str, bytes]]], None],
) -> None:
    path = f"/v5.0/ocr/{operation}"
    posted = emulator_http.post(path, json=body)
    assert posted.status_code == 200, posted.text
    assert posted.headers["content-type"] == "text/plain; charset=utf-8"
    task_id = check_response(posted)
    assert is_valid_task_id(task_id)
    assert task_id.startswith("TTS") == ("TextToSpeech" in operation)

    got = emulator_http.get(path, params={"id": task_id})
    body_out = check_response(got)
    assert body_out["id"] == task_id
    assert body_out["taskStatus"] == "Completed", body_out
    assert body_out["responseStatusCode"] == "Ok"
    assert body_out["error"] is None
    check(decoded(body_out))

    status = emulator_http.get("/v5.0/ocr/Utilities/GetTaskStatus", params={"id": task_id})
    status_body = check_response(status)
    assert status_body["taskStatus"] == "Completed"
    assert status_body["results"] is None

    deleted = emulator_http.delete(path, params={"id": task_id})
    assert deleted.status_code == 200
    check_response(deleted)
    gone = check_response(emulator_http.get(path, params={"id": task_id}))
    assert (gone["taskStatus"], gone["responseStatusCode"]) == ("NotExist", "TaskNotFound")
    assert gone["results"] is None


@pytest.mark.parametrize(
    "path",
    [
        "/v5.0/ocr/RecognizeRegions",
        "/v5.0/ocr/BinarizeImage",
        "/v5.0/ocr/ConvertTextToSpeech",
        "/v5.0/ocr/Utilities/GetTaskStatus",
    ],
)
def test_unknown_id_is_not_exist(emulator_http: httpx.Client, path: str) -> None:
    body = check_response(emulator_http.get(path, params={"id": GUID_UNKNOWN}))
    assert body == {
        "id": GUID_UNKNOWN,
        "responseStatusCode": "TaskNotFound",
        "taskStatus": "NotExist",
        "results": None,
        "error": None,
    }


def test_delete_of_an_unknown_id_is_fine(emulator_http: httpx.Client) -> None:
    response = emulator_http.delete("/v5.0/ocr/RecognizeImage", params={"id": GUID_UNKNOWN})
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize(
    ("result_type", "kinds"),
    [
        ("Hocr", ["Hocr"]),
        ("Pdf", ["Pdf"]),
        ("TextAndPdf", ["Text", "Pdf"]),
        ("TextAndHocr", ["Text", "Hocr"]),
        ("PdfAndHocr", ["Pdf", "Hocr"]),
        ("TextAndPdfAndHocr", ["Text", "Pdf", "Hocr"]),
        ("ImagePNG", ["ImagePNG"]),
        ("JSON", ["JSON"]),
    ],
)
def test_result_types_come_from_tesseracts_renderers(
    emulator_http: httpx.Client, result_type: str, kinds: list[str]
) -> None:
    body = {"image": b64(IMAGE), "settings": {"resultType": result_type}}
    results = decoded(_recognized(emulator_http, "/v5.0/ocr/RecognizeImage", body))
    assert [kind for kind, _ in results] == kinds
    for kind, data in results:
        if kind == "Text":
            assert data.decode() == "\n".join(LINES)
        elif kind == "Pdf":
            assert data.startswith(b"%PDF-")
        elif kind == "Hocr":
            hocr = data.decode()
            assert "ocr_page" in hocr
            assert "ocrx_word" in hocr
            assert "Invoice" in hocr
            assert "/tmp" not in hocr  # the renderer's temp file path is not leaked
        elif kind == "ImagePNG":
            _png(data)
        elif kind == "JSON":
            blocks = json.loads(data)
            assert [b["text"] for b in blocks] == LINES
            assert {"topLeftX", "topLeftY", "bottomRightX", "bottomRightY"} <= set(blocks[0])


def test_regions_with_combined_types_group_formats_per_region(emulator_http: httpx.Client) -> None:
    body = json.loads(json.dumps(REGIONS_BODY))
    body["settings"]["resultType"] = "TextAndHocr"
    results = decoded(_recognized(emulator_http, "/v5.0/ocr/RecognizeRegions", body))
    assert [kind for kind, _ in results] == ["Text", "Hocr", "Text", "Hocr"]
    assert [data.decode() for kind, data in results if kind == "Text"] == LINES


@pytest.mark.parametrize(
    ("table_type", "kinds"),
    [("Text", ["Text"]), ("Excel", ["Excel"]), ("CsvAndExcel", ["Csv", "Excel"])],
)
def test_table_result_types(emulator_http: httpx.Client, table_type: str, kinds: list[str]) -> None:
    body = {"image": b64(IMAGE), "settings": {"resultTypeTable": table_type}}
    results = decoded(_recognized(emulator_http, "/v5.0/ocr/RecognizeTable", body))
    assert [kind for kind, _ in results] == kinds
    for kind, data in results:
        if kind == "Excel":
            with zipfile.ZipFile(io.BytesIO(data)) as workbook:
                sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
            assert "Invoice 2024-0042" in sheet


def test_recognize_pdf_with_a_pdf_upload_completes_with_a_warning(
    emulator_http: httpx.Client,
) -> None:
    pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    body = {"image": b64(pdf), "settings": {"resultType": "TextAndPdf"}}
    got = _recognized(emulator_http, "/v5.0/ocr/RecognizePdf", body)
    assert got["taskStatus"] == "Completed"
    assert decoded(got) == [("Text", b""), ("Pdf", pdf)]
    assert got["error"]["warnings"]


def test_djvu_upload_gives_a_blank_pdf_with_a_warning(emulator_http: httpx.Client) -> None:
    djvu = b"AT&TFORM\x00\x00\x00\x10DJVUINFO" + bytes(16)
    got = _recognized(emulator_http, "/v5.0/ocr/DjVu2PDF", {"image": b64(djvu), "settings": {}})
    assert got["taskStatus"] == "Completed"
    _pdf(decoded(got))
    assert got["error"]["warnings"]


def test_trial_masks_the_same_words_every_time(emulator_http: httpx.Client) -> None:
    lines = ["one two three four five six seven eight nine ten", "alpha beta gamma delta"]
    image, _ = text_image(lines, width=1000)
    texts = []
    for _ in range(2):
        body = {"image": b64(image), "settings": {}}
        got = _recognized(emulator_http, "/v5.0/ocr/RecognizeImageTrial", body)
        texts.append(decoded(got)[0][1].decode())
    assert texts[0] == texts[1]
    words = texts[0].split()
    assert len(words) == 14
    assert any(set(w) == {"*"} for w in words)
    assert sum(set(w) == {"*"} for w in words) <= 4


def test_other_languages_are_read_as_english_with_a_warning(emulator_http: httpx.Client) -> None:
    body = {"image": b64(IMAGE), "settings": {"language": "German"}}
    got = _recognized(emulator_http, "/v5.0/ocr/RecognizeImage", body)
    assert got["taskStatus"] == "Completed"
    assert got["error"]["messages"] == []
    assert "German" in got["error"]["warnings"][0]
