"""Completed results leave the client through its completion hook (``store=``), nothing else.

The store layer provides the hook (``ResultStore.on_completed``); any object with that
method will do, so the client layer needs no database of its own.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from ocr_notebook import AsyncOCRClient, OCRClient, OCRResult
from ocr_notebook.emulator import Emulator


class RecordingHook:
    """A completion hook that keeps what it is given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, OCRResult]] = []

    def on_completed(self, base_url: str, api: str, result: OCRResult) -> None:
        self.calls.append((base_url, api, result))


def test_the_sync_client_hands_completed_results_to_the_hook(emulator: Emulator) -> None:
    hook = RecordingHook()
    done = emulator.inject_task(results=[("Text", "kept")])
    failed = emulator.inject_task(status="Error", messages=["bad"])
    with OCRClient(
        emulator.base_url,
        client_id=emulator.client_id,
        client_secret=emulator.client_secret,
        store=hook,
    ) as client:
        result = client.get_result(done)
        client.get_status(done)  # GetTaskStatus carries no results: never handed over
        client.get_result(failed)
    assert hook.calls == [(emulator.base_url, "RecognizeRegions", result)]
    assert result.texts == ["kept"]


def test_the_async_client_hands_them_over_the_same_way(emulator: Emulator) -> None:
    hook = RecordingHook()
    done = emulator.inject_task(results=[("Text", "async kept")], api="RecognizeImage")

    async def fetch() -> OCRResult:
        async with AsyncOCRClient(
            emulator.base_url,
            client_id=emulator.client_id,
            client_secret=emulator.client_secret,
            store=hook,
        ) as client:
            return await client.wait(done, api="recognizeimage")

    result = asyncio.run(fetch())
    assert hook.calls == [(emulator.base_url, "RecognizeImage", result)]


def test_the_client_layer_imports_no_database() -> None:
    root = Path(__file__).resolve().parents[2] / "ocr_notebook" / "client"
    assert not [p.name for p in root.glob("*.py") if "sqlite3" in p.read_text("utf-8")]
