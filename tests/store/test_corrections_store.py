"""Corrections kept in the local result store beside the service's result; ``--original``.

A real IPython shell fetches from the session emulator over loopback HTTP; every test has
its own store file (conftest's autouse fixture sets ``OCR_NOTEBOOK_STORE_PATH``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from ocr_notebook import OCRResult, OCRResultCollection, ResultStore
from ocr_notebook.emulator import Emulator
from ocr_notebook.notebook.magics import OCRMagics
from ocr_notebook.store.corrections import save_corrections
from tests.support.notebook import configured_magics, run

API = "RecognizeRegions"


@pytest.fixture
def magics(
    shell: InteractiveShell, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[OCRMagics]:
    config = {"base_url": emulator.base_url, "poll_interval": 0.02, "badge": "text"}
    with configured_magics(shell, monkeypatch, config=config, also_reset=["store"]) as instance:
        yield instance


def _task(emulator: Emulator, *texts: str) -> str:
    return emulator.inject_task(results=[("Text", t) for t in texts])


def test_round_trip_and_original(
    shell: InteractiveShell,
    magics: OCRMagics,
    emulator: Emulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tid = _task(emulator, "Tota1 due", "Invoice 42", "Paid")
    fetched: OCRResult = run(shell, f"%ocr_fetch {tid}")
    store = ResultStore()
    payload_before = _payload(store, tid)

    saved = save_corrections(fetched, {0: "Total due"}, base_url=emulator.base_url)
    assert saved.texts == ["Total due", "Invoice 42", "Paid"]
    # A second save merges with the first (and a fresh, uncorrected result works too).
    saved = save_corrections(fetched, {2: "PAID"}, base_url=emulator.base_url)
    assert dict(saved.corrections) == {0: "Total due", 2: "PAID"}
    assert store.corrections(emulator.base_url, API, tid) == {0: "Total due", 2: "PAID"}
    assert _payload(store, tid) == payload_before  # the service's result is never rewritten

    capsys.readouterr()
    again: OCRResult = run(shell, f"%ocr_fetch {tid}")
    out = capsys.readouterr().out
    assert again.texts == ["Total due", "Invoice 42", "PAID"]
    assert again.ocr_texts == ["Tota1 due", "Invoice 42", "Paid"]
    assert f"Task {tid}: 2 regions corrected; --original shows the service's text." in out

    original: OCRResult = run(shell, f"%ocr_fetch {tid} --original")
    out = capsys.readouterr().out
    assert original.texts == ["Tota1 due", "Invoice 42", "Paid"]
    assert original.corrections == {}
    assert "showing the service's text; 2 regions corrected" in out

    # Asking the service again (--refresh, --no-wait) still shows the corrections.
    refreshed: OCRResult = run(shell, f"%ocr_fetch {tid} --refresh --no-wait")
    assert refreshed.texts[0] == "Total due"

    # Correcting a region back to the service's text removes its correction.
    back = save_corrections(again, {0: "Tota1 due"}, base_url=emulator.base_url)
    assert dict(back.corrections) == {2: "PAID"}
    assert store.corrections(emulator.base_url, API, tid) == {2: "PAID"}


def test_several_ids_and_background_show_corrections(
    shell: InteractiveShell,
    magics: OCRMagics,
    emulator: Emulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, second = _task(emulator, "one", "tw0"), _task(emulator, "three")
    results: OCRResultCollection = run(shell, f"%ocr_fetch {first} {second}")
    save_corrections(results[0], {1: "two"}, base_url=emulator.base_url)
    capsys.readouterr()
    again: OCRResultCollection = run(shell, f"%ocr_fetch {first} {second}")
    assert again.texts == ["one", "two", "three"]
    assert "1 region corrected" in capsys.readouterr().out
    handle = run(shell, f"%ocr_fetch {first} --background -o bg")
    assert handle.result().texts == ["one", "two"]
    assert shell.user_ns["bg"].texts == ["one", "two"]
    original = run(shell, f"%ocr_fetch {first} --background --original")
    assert original.result().texts == ["one", "tw0"]


def test_a_task_fetched_fresh_gets_its_stored_corrections(
    shell: InteractiveShell, magics: OCRMagics, emulator: Emulator
) -> None:
    # --refresh asks the service: its answer still gets the stored corrections.
    tid = _task(emulator, "helo")
    result = run(shell, f"%ocr_fetch {tid}")
    save_corrections(result, {0: "hello"}, base_url=emulator.base_url)
    assert run(shell, f"%ocr_fetch {tid} --refresh").texts == ["hello"]


def test_clearing_the_store_removes_corrections_too(
    shell: InteractiveShell, magics: OCRMagics, emulator: Emulator
) -> None:
    tid = _task(emulator, "helo")
    result = run(shell, f"%ocr_fetch {tid}")
    save_corrections(result, {0: "hello"}, base_url=emulator.base_url)
    store = ResultStore()
    assert store.delete(emulator.base_url, API, tid)
    assert store.corrections(emulator.base_url, API, tid) == {}
    save_corrections(result, {0: "hello"}, base_url=emulator.base_url)
    run(shell, "%ocr_store clear")
    assert store.corrections(emulator.base_url, API, tid) == {}
    assert run(shell, f"%ocr_fetch {tid}").texts == ["helo"]


def test_save_corrections_stores_the_result_when_it_was_not(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "s.sqlite3")
    result = OCRResult.from_dict(
        {
            "id": "3c1a2b4d-0000-4000-8000-00000000000a",
            "taskStatus": "Completed",
            "results": [{"type": "Text", "data": "YWJj"}],
        }
    )
    fixed = save_corrections(result, {0: "ABC"}, store=store, base_url="http://127.0.0.1:1")
    assert fixed.texts == ["ABC"]
    kept = store.get("http://127.0.0.1:1", API, result.id or "")
    assert kept is not None and kept.texts == ["abc"] and kept.corrections == {}


def test_save_corrections_refuses_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ResultStore(tmp_path / "s.sqlite3")
    pending = OCRResult.from_dict(
        {"id": "3c1a2b4d-0000-4000-8000-00000000000b", "taskStatus": "Pending"}
    )
    with pytest.raises(ValueError, match="Only a Completed result with a task id"):
        save_corrections(pending, {}, store=store)
    done = OCRResult.from_dict(
        {
            "id": "3c1a2b4d-0000-4000-8000-00000000000c",
            "taskStatus": "Completed",
            "results": [{"type": "Text", "data": "YWJj"}],
        }
    )
    with pytest.raises(ValueError, match="No text region has order 4"):
        save_corrections(done, {4: "x"}, store=store)
    assert store.corrections("https://api.aspose.cloud", API, done.id or "") == {}
    monkeypatch.setenv("OCR_NOTEBOOK_STORE", "0")
    with pytest.raises(ValueError, match="local result store is off"):
        save_corrections(done, {0: "x"})


def test_an_old_store_file_opens_and_gains_the_table(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    # The schema of the store before corrections existed, with one result in it.
    result = OCRResult.from_dict(
        {
            "id": "3c1a2b4d-0000-4000-8000-00000000000d",
            "taskStatus": "Completed",
            "results": [{"type": "Text", "data": "YWJj"}],
        }
    )
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE results (base_url TEXT NOT NULL, api TEXT NOT NULL, task_id TEXT NOT "
            "NULL, stored_at REAL NOT NULL, payload TEXT NOT NULL, "
            "PRIMARY KEY (base_url, api, task_id))"
        )
        conn.execute(
            "INSERT INTO results VALUES (?, ?, ?, ?, ?)",
            ("http://h", "recognizeregions", result.id, 1.0, json.dumps(result.to_dict())),
        )
    conn.close()
    store = ResultStore(path)
    assert store.get("http://h", API, result.id or "") == result
    assert store.corrections("http://h", API, result.id or "") == {}
    saved = save_corrections(result, {0: "abd"}, store=store, base_url="http://h")
    assert saved.texts == ["abd"]
    assert ResultStore(path).corrections("http://h", API, result.id or "") == {0: "abd"}


def test_two_writers_never_lose_each_others_regions(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    texts = [f"r{i}" for i in range(20)]
    result = OCRResult.from_dict(
        {
            "id": "3c1a2b4d-0000-4000-8000-00000000000e",
            "taskStatus": "Completed",
            "results": [{"type": "Text", "data": _b64(t)} for t in texts],
        }
    )

    def writer(orders: range) -> None:
        store = ResultStore(path)  # its own connection, as another kernel would have
        for order in orders:
            save_corrections(result, {order: f"R{order}"}, store=store, base_url="http://h")

    threads = [threading.Thread(target=writer, args=(range(i, 20, 2),)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ResultStore(path).corrections("http://h", API, result.id or "") == {
        i: f"R{i}" for i in range(20)
    }


def test_putting_a_corrected_result_stores_the_services_payload(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "s.sqlite3")
    result = OCRResult.from_dict(
        {
            "id": "3c1a2b4d-0000-4000-8000-00000000000f",
            "taskStatus": "Completed",
            "results": [{"type": "Text", "data": "YWJj"}],
        }
    )
    store.put("http://h", result.corrected({0: "ABC"}))
    kept = store.get("http://h", API, result.id or "")
    assert kept is not None and kept.texts == ["abc"] and kept.corrections == {}


def _payload(store: ResultStore, task_id: str) -> str:
    with sqlite3.connect(store.path) as conn:
        (payload,) = conn.execute(
            "SELECT payload FROM results WHERE task_id = ?", (task_id.lower(),)
        ).fetchone()
    conn.close()
    return str(payload)


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()
