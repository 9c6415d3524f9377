"""Correcting a result in place in ``OCRFetchWidget``, against the emulator and the local store.

The widget is driven as the browser would (text area values set, the Save button clicked)
on a recorded comm layer; the store is the per-test temporary one (tests/conftest.py); a real
IPython shell then fetches the same task with ``%ocr_fetch`` and sees the corrections.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from IPython.core.interactiveshell import InteractiveShell

from ocr_notebook import OCRFetchWidget, OCRResult
from ocr_notebook.widgets.corrections import CorrectionEditor
from tests.support.credentials import TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.support.notebook import CommRecorder, record_comms, run

if TYPE_CHECKING:
    from ocr_notebook.emulator import Emulator

TEXTS = ("Invoice 2024-0042", "tota1 $1,234.56")


@pytest.fixture
def comms(monkeypatch: pytest.MonkeyPatch) -> CommRecorder:
    return record_comms(monkeypatch)


@pytest.fixture
def environment(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("ASPOSE_OCR_BASE_URL", emulator.base_url)
    monkeypatch.setenv("ASPOSE_OCR_CLIENT_ID", TEST_CLIENT_ID)
    monkeypatch.setenv("ASPOSE_OCR_CLIENT_SECRET", TEST_CLIENT_SECRET)
    return monkeypatch


@pytest.fixture
def shell(emulator: Emulator, environment: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    ip = InteractiveShell.instance()
    run(ip, "%load_ext ocr_notebook")
    run(ip, f"%config OCRMagics.base_url = {emulator.base_url!r}")
    run(ip, "%config OCRMagics.poll_interval = 0.05")
    # The shell is shared by the whole run: another test may have turned the store off.
    run(ip, "%config OCRMagics.store = True")
    yield ip
    run(ip, "%config OCRMagics.poll_interval = 0.2")


def _fetched(task_ids: str, *, store: bool = True) -> OCRFetchWidget:
    async def scenario() -> OCRFetchWidget:
        widget = OCRFetchWidget(store=store)
        widget.fetch(task_ids)
        await widget.wait()
        return widget

    return asyncio.run(scenario())


def _editor(widget: OCRFetchWidget) -> CorrectionEditor:
    (editor,) = widget.editor_box.children
    assert isinstance(editor, CorrectionEditor)
    return editor


def _shown_html(widget: OCRFetchWidget) -> str:
    shown = [o for o in widget.output.outputs if o.get("output_type") == "display_data"]
    assert len(shown) == 1, widget.output.outputs
    return str(shown[0]["data"]["text/html"])


def test_a_region_edited_in_place_is_saved_and_shown_corrected(
    comms: CommRecorder,
    emulator: Emulator,
    environment: pytest.MonkeyPatch,
    shell: InteractiveShell,
) -> None:
    tid = emulator.inject_task(results=[("Text", t) for t in TEXTS])
    widget = _fetched(tid)
    editor = _editor(widget)
    assert {o: a.value for o, a in editor.areas.items()} == dict(enumerate(TEXTS))
    assert editor.selected_index is None  # folded until opened

    editor.areas[1].value = "total $1,234.56"  # what the browser sends when the area blurs
    editor.save_button.click()

    result = widget.result
    assert isinstance(result, OCRResult)
    assert result.texts == [TEXTS[0], "total $1,234.56"]
    assert result.ocr_texts == list(TEXTS)  # the service's texts are kept
    assert dict(result.corrections) == {1: "total $1,234.56"}
    assert "Saved 1 correction" in editor.status.value
    html = _shown_html(widget)
    assert "total $1,234.56" in html and "corrected" in html

    # Kept in the store: a later %ocr_fetch in a real shell shows the corrected text with a
    # note, and --original the service's.
    again = run(shell, f"%ocr_fetch {tid}")
    assert again.texts == [TEXTS[0], "total $1,234.56"]
    original = run(shell, f"%ocr_fetch {tid} --original")
    assert original.texts == list(TEXTS)

    # Editing on top of a saved correction keeps both.
    editor.areas[0].value = "Invoice 2024-0043"
    editor.save_button.click()
    assert isinstance(widget.result, OCRResult)
    assert widget.result.texts == ["Invoice 2024-0043", "total $1,234.56"]
    assert run(shell, f"%ocr_fetch {tid}").texts == widget.result.texts


def test_a_new_fetch_of_a_corrected_task_offers_the_corrected_texts(
    comms: CommRecorder, emulator: Emulator, environment: pytest.MonkeyPatch
) -> None:
    tid = emulator.inject_task(results=[("Text", t) for t in TEXTS])
    first = _fetched(tid)
    _editor(first).areas[1].value = "total $1,234.56"
    _editor(first).save_button.click()
    second = _fetched(tid)
    assert isinstance(second.result, OCRResult)
    assert second.result.texts == [TEXTS[0], "total $1,234.56"]
    assert _editor(second).areas[1].value == "total $1,234.56"
    notes = "".join(o.get("text", "") for o in second.output.outputs)
    assert "1 region corrected" in notes


def test_saving_nothing_changed_says_so(
    comms: CommRecorder, emulator: Emulator, environment: pytest.MonkeyPatch
) -> None:
    tid = emulator.inject_task(results=[("Text", t) for t in TEXTS])
    widget = _fetched(tid)
    before = widget.result
    editor = _editor(widget)
    editor.save_button.click()
    assert editor.status.value == "Nothing changed."
    assert widget.result is before


def test_without_the_store_the_edit_is_kept_and_one_line_says_why(
    comms: CommRecorder, emulator: Emulator, environment: pytest.MonkeyPatch
) -> None:
    tid = emulator.inject_task(results=[("Text", t) for t in TEXTS])
    widget = _fetched(tid, store=False)
    before = widget.result
    editor = _editor(widget)
    editor.areas[1].value = "total $1,234.56"
    editor.save_button.click()
    assert "store is off" in editor.status.value and "result.corrected" in editor.status.value
    assert widget.result is before
    assert editor.areas[1].value == "total $1,234.56"  # nothing typed is lost


def test_typed_text_is_escaped_in_the_status_and_the_result(
    comms: CommRecorder, emulator: Emulator, environment: pytest.MonkeyPatch
) -> None:
    tid = emulator.inject_task(results=[("Text", "plain")])
    widget = _fetched(tid)
    editor = _editor(widget)
    editor.areas[0].value = "<img src=x onerror=alert(1)>"
    editor.save_button.click()
    html = _shown_html(widget)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_binary_regions_and_collections_get_no_editor(
    comms: CommRecorder, emulator: Emulator, environment: pytest.MonkeyPatch
) -> None:
    png = emulator.inject_task(results=[("ImagePng", b"\x89PNG\r\n\x1a\n")])
    assert _fetched(png).editor_box.children == ()
    one = emulator.inject_task(results=[("Text", "a")])
    two = emulator.inject_task(results=[("Text", "b")])
    assert _fetched(f"{one} {two}").editor_box.children == ()
