"""The store keeps a submission's region names and image source; older payloads still load."""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from pathlib import Path

from ocr_notebook.results.models import OCRResult, Rect, Submission
from ocr_notebook.store.result_store import ResultStore

BASE = "http://127.0.0.1:9999"
TASK = "b7162f77-bf10-407d-86de-ee255e422ca7"
WIRE = {
    "id": TASK,
    "taskStatus": "Completed",
    "responseStatusCode": "Ok",
    "results": [{"type": "Text", "data": base64.b64encode(b"INV-1").decode()}],
    "error": None,
}


def test_names_and_source_survive_the_store(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "s.sqlite3")
    sub = Submission(
        image=b"png",
        regions=(Rect(1, 2, 3, 4),),
        orders=(0,),
        names=("invoice_no",),
        source="a.png",
    )
    store.put(BASE, OCRResult.from_response(WIRE, submission=sub))
    back = store.get(BASE, "RecognizeRegions", TASK)
    assert back is not None and back.submission is not None
    assert back.submission.names == ("invoice_no",) and back.submission.source == "a.png"


def test_a_store_written_before_names_loads(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old_payload = {
        **WIRE,
        "api": "RecognizeRegions",
        "submission": {
            "image": base64.b64encode(b"png").decode(),
            "regions": [{"topLeftX": 1, "topLeftY": 2, "bottomRightX": 3, "bottomRightY": 4}],
            "orders": [0],
            "api": "RecognizeRegions",
            "settings": {},
        },
    }
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE results (base_url TEXT NOT NULL, api TEXT NOT NULL, task_id TEXT NOT NULL,"
        " stored_at REAL NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (base_url, api, task_id))"
    )
    conn.execute(
        "INSERT INTO results VALUES (?, ?, ?, ?, ?)",
        (BASE, "recognizeregions", TASK, time.time(), json.dumps(old_payload)),
    )
    conn.commit()
    conn.close()
    back = ResultStore(path).get(BASE, "RecognizeRegions", TASK)
    assert back is not None and back.texts == ["INV-1"] and back.submission is not None
    assert back.submission.names == () and back.submission.source is None
    assert back.submission.regions == (Rect(1, 2, 3, 4),)
    # And an unnamed submission is stored exactly as before (no new keys).
    assert "names" not in back.to_dict()["submission"]
