"""Exports: every format written and read back (Parquet with pandas/pyarrow, CSV, JSONL)."""

from __future__ import annotations

import base64
import csv
import json
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from ocr_notebook import OCRResult, OCRResultCollection, Rect, Submission
from ocr_notebook.analysis.export import EXPORT_COLUMNS

A = "7f0c1e2f-0000-4000-8000-00000000000a"
B = "7f0c1e2f-0000-4000-8000-00000000000b"
TEXTS = ["Invoice 4O2", 'Total: 1,234.50 | "net"', "Ünïcode ✓\nsecond line"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _collection() -> OCRResultCollection:
    # Task A was submitted with named regions in orders 2, 0, 1 (results come back sorted by
    # order); task B has no submission, so neither names nor rectangles are known.
    rects = (Rect(0, 40, 300, 60), Rect(0, 0, 300, 20), Rect(0, 20, 300, 40))
    submission = Submission(
        b"", rects, (2, 0, 1), names=("note", "invoice_no", "total"), source="scan.png"
    )
    first = OCRResult.from_response(
        {
            "id": A,
            "taskStatus": "Completed",
            "results": [{"type": "Text", "data": _b64(t.encode())} for t in TEXTS],
        },
        submission=submission,
    ).corrected({0: "Invoice 402"})
    second = OCRResult.from_response(
        {
            "id": B,
            "taskStatus": "Completed",
            "results": [
                {"type": "Text", "data": _b64(b"plain")},
                {"type": "ImagePng", "data": _b64(b"\x89PNG")},
            ],
        }
    )
    return OCRResultCollection([first, second])


EXPECTED = [
    {
        "task_id": A,
        "order": 0,
        "name": "invoice_no",
        "type": "Text",
        "x1": 0,
        "y1": 0,
        "x2": 300,
        "y2": 20,
        "text": "Invoice 402",
        "ocr_text": "Invoice 4O2",
        "corrected": True,
    },
    {
        "task_id": A,
        "order": 1,
        "name": "total",
        "type": "Text",
        "x1": 0,
        "y1": 20,
        "x2": 300,
        "y2": 40,
        "text": TEXTS[1],
        "ocr_text": TEXTS[1],
        "corrected": False,
    },
    {
        "task_id": A,
        "order": 2,
        "name": "note",
        "type": "Text",
        "x1": 0,
        "y1": 40,
        "x2": 300,
        "y2": 60,
        "text": TEXTS[2],
        "ocr_text": TEXTS[2],
        "corrected": False,
    },
    {
        "task_id": B,
        "order": 0,
        "name": None,
        "type": "Text",
        "x1": None,
        "y1": None,
        "x2": None,
        "y2": None,
        "text": "plain",
        "ocr_text": "plain",
        "corrected": False,
    },
    {
        "task_id": B,
        "order": 1,
        "name": None,
        "type": "ImagePng",
        "x1": None,
        "y1": None,
        "x2": None,
        "y2": None,
        "text": None,
        "ocr_text": None,
        "corrected": False,
    },
]


def test_rows() -> None:
    assert _collection().export_rows() == EXPECTED
    assert list(EXPECTED[0]) == list(EXPORT_COLUMNS)


def test_jsonl_reads_back(tmp_path: Path) -> None:
    path = _collection().to_jsonl(tmp_path / "regions.jsonl")
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5  # a text's line break stays inside its JSON string
    assert [json.loads(line) for line in lines] == EXPECTED


def test_csv_reads_back(tmp_path: Path) -> None:
    path = _collection().to_csv(tmp_path / "regions.csv")
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    assert [r["text"] for r in rows] == ["Invoice 402", TEXTS[1], TEXTS[2], "plain", ""]
    assert [r["corrected"] for r in rows] == ["True", "False", "False", "False", "False"]
    assert rows[0]["x2"] == "300" and rows[3]["x2"] == ""
    frame = pd.read_csv(path)
    assert list(frame.columns) == list(EXPORT_COLUMNS) and len(frame) == 5
    assert frame.loc[2, "text"] == TEXTS[2]


def test_parquet_reads_back_with_pandas_and_pyarrow(tmp_path: Path) -> None:
    path = _collection().to_parquet(tmp_path / "regions.parquet")
    frame = pd.read_parquet(path)
    assert list(frame.columns) == list(EXPORT_COLUMNS)
    assert frame["text"].tolist()[:4] == ["Invoice 402", TEXTS[1], TEXTS[2], "plain"]
    assert frame["corrected"].tolist() == [True, False, False, False, False]
    assert frame["x1"].isna().tolist() == [False, False, False, True, True]
    table = pq.read_table(path)
    assert str(table.schema.field("order").type) == "int64"
    assert str(table.schema.field("corrected").type) == "bool"
    assert table.to_pylist() == EXPECTED


def test_parquet_without_pyarrow_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now fails
    with pytest.raises(ImportError) as caught:
        _collection().to_parquet(tmp_path / "x.parquet")
    assert str(caught.value) == "Writing Parquet needs pyarrow: pip install 'ocr_notebook[parquet]'"
    assert not (tmp_path / "x.parquet").exists()


def test_empty_collection_writes_headers_only(tmp_path: Path) -> None:
    empty = OCRResultCollection([])
    assert Path(empty.to_jsonl(tmp_path / "e.jsonl")).read_text() == ""
    assert Path(empty.to_csv(tmp_path / "e.csv")).read_text().strip() == ",".join(EXPORT_COLUMNS)
    assert list(pd.read_parquet(empty.to_parquet(tmp_path / "e.parquet")).columns) == list(
        EXPORT_COLUMNS
    )


def test_markdown_escapes_pipes_newlines_and_markup() -> None:
    first = _collection()[0]
    table = first.to_markdown()
    lines = table.splitlines()
    assert lines[0] == "| order | name | text | corrected |"
    assert lines[1] == "|---:|---|---|---|"
    assert lines[2] == "| 0 | invoice\\_no | Invoice 402 | yes |"
    assert lines[3] == '| 1 | total | Total: 1,234\\.50 \\| "net" |  |'
    assert lines[4] == "| 2 | note | Ünïcode ✓<br>second line |  |"
    assert len(lines) == 5


def test_markdown_of_hostile_text_stays_one_row_and_inert() -> None:
    result = OCRResult.from_response(
        {
            "id": A,
            "taskStatus": "Completed",
            "results": [{"type": "Text", "data": _b64(b"<script>x</script>|a\r\nb `c` [l](u)")}],
        }
    )
    row = result.to_markdown().splitlines()[2]
    assert row == "| 0 | \\<script\\>x\\</script\\>\\|a<br>b \\`c\\` \\[l\\]\\(u\\) |  |"


def test_names_and_source_survive_the_store(tmp_path: Path) -> None:
    from ocr_notebook import ResultStore

    first = _collection()[0]
    store = ResultStore(tmp_path / "s.sqlite3")
    store.put("http://h", first)
    kept = store.get("http://h", "RecognizeRegions", A)
    assert kept is not None and kept.submission is not None
    assert kept.submission.names == ("note", "invoice_no", "total")
    assert kept.submission.source == "scan.png"
    assert OCRResultCollection([kept.corrected({0: "Invoice 402"})]).export_rows() == EXPECTED[:3]
