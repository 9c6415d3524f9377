"""The local result store: round trip, privacy, switches, and concurrent writers."""

from __future__ import annotations

import base64
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ocr_notebook.results.models import OCRResult, Rect, Submission
from ocr_notebook.store.result_store import ResultStore, default_store, store_enabled

BASE = "http://127.0.0.1:9999"
TASK = "b7162f77-bf10-407d-86de-ee255e422ca7"


def _completed(
    task_id: str = TASK, text: str = "hello", api: str = "RecognizeRegions"
) -> OCRResult:
    return OCRResult.from_response(
        {
            "id": task_id,
            "taskStatus": "Completed",
            "responseStatusCode": "Ok",
            "results": [{"type": "Text", "data": base64.b64encode(text.encode()).decode()}],
            "error": None,
        },
        api=api,
    )


def test_round_trip_keeps_regions_and_submission(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "s.sqlite3")
    sub = Submission(image=b"\x89PNG fake", regions=(Rect(1, 2, 3, 4),), orders=(0,))
    result = _completed().with_submission(sub)
    assert store.put(BASE, result)
    got = store.get(BASE + "/", "recognizeregions", TASK.upper())
    assert got == result
    assert got is not None and got.submission == sub
    assert got.texts == ["hello"]
    assert store.stored_at(BASE, "RecognizeRegions", TASK) is not None


def test_keys_separate_services_and_operations(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "s.sqlite3")
    store.put(BASE, _completed(text="regions"))
    store.put(BASE, _completed(text="image", api="RecognizeImage"))
    store.put("https://api.aspose.cloud", _completed(text="real"))
    assert len(store) == 3
    assert store.get(BASE, "RecognizeImage", TASK).text == "image"  # type: ignore[union-attr]
    assert store.get("https://api.aspose.cloud", "RecognizeRegions", TASK).text == "real"  # type: ignore[union-attr]
    assert store.get("http://other", "RecognizeRegions", TASK) is None


def test_only_completed_results_are_stored(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "s.sqlite3")
    pending = OCRResult.from_response({"id": TASK, "taskStatus": "Pending"})
    assert not store.put(BASE, pending)
    assert store.get(BASE, "RecognizeRegions", TASK) is None


def test_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "s.sqlite3"
    store = ResultStore(path)
    store.put(BASE, _completed())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_delete_and_clear(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "s.sqlite3")
    store.put(BASE, _completed())
    store.put(BASE, _completed(task_id=TASK.replace("b", "c")))
    assert store.delete(BASE, "RecognizeRegions", TASK)
    assert not store.delete(BASE, "RecognizeRegions", TASK)
    assert store.clear() == 1
    assert len(store) == 0


def test_environment_switches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCR_NOTEBOOK_STORE_PATH", str(tmp_path / "env.sqlite3"))
    monkeypatch.setenv("OCR_NOTEBOOK_STORE", "1")
    assert store_enabled()
    store = default_store()
    assert store is not None and store.path == tmp_path / "env.sqlite3"
    monkeypatch.setenv("OCR_NOTEBOOK_STORE", "off")
    assert not store_enabled()
    assert default_store() is None


_WRITER = textwrap.dedent(
    """
    import base64, sys
    from ocr_notebook.results.models import OCRResult
    from ocr_notebook.store.result_store import ResultStore
    store = ResultStore(sys.argv[1])
    worker = int(sys.argv[2])
    for i in range(int(sys.argv[3])):
        tid = f"{worker:08x}-0000-4000-8000-{i:012x}"
        r = OCRResult.from_response({"id": tid, "taskStatus": "Completed",
            "results": [{"type": "Text", "data": base64.b64encode(tid.encode()).decode()}]})
        store.put("http://127.0.0.1:1", r)
    """
)


def test_concurrent_kernels_do_not_corrupt_it(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    writers, per_writer = 4, 150
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(w), str(per_writer)])
        for w in range(writers)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0] * writers
    store = ResultStore(path)
    assert len(store) == writers * per_writer
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()
    sample = store.get(
        "http://127.0.0.1:1", "RecognizeRegions", "00000003-0000-4000-8000-000000000007"
    )
    assert sample is not None and sample.text == "00000003-0000-4000-8000-000000000007"
    assert os.path.exists(path)


def test_keys_use_the_one_base_url_normaliser(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "s.sqlite3")
    assert store.put("https://API.Aspose.Cloud/v5.0/ocr/", _completed())
    assert store.get("https://api.aspose.cloud", "RecognizeRegions", TASK) == _completed()
