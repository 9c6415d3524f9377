"""``OCRFetchWidget`` and the magic's widget badge, on a recorded comm layer, against the emulator."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from ocr_notebook import (
    AsyncOCRClient,
    OCRClient,
    OCRFetchWidget,
    OCRResult,
    OCRResultCollection,
    PollPolicy,
)
from ocr_notebook.notebook.badge import StatusBadge
from ocr_notebook.wire.task_ids import parse_task_ids
from tests.support.credentials import TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.support.notebook import CommRecorder, pills, record_comms, run

if TYPE_CHECKING:
    from ocr_notebook.emulator import Emulator

FAST = PollPolicy(first_delay=0.05, max_delay=0.2, timeout=30.0)
UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def comms(monkeypatch: pytest.MonkeyPatch) -> CommRecorder:
    return record_comms(monkeypatch)


def _client(emulator: Emulator) -> AsyncOCRClient:
    return AsyncOCRClient(
        emulator.base_url,
        client_id=TEST_CLIENT_ID,
        client_secret=TEST_CLIENT_SECRET,
        poll_policy=FAST,
    )


def _badge_statuses(comms: CommRecorder, badge: StatusBadge | None) -> list[str]:
    assert badge is not None
    first = pills([comms.opened[badge.html.model_id]])
    return first + pills(comms.for_model(badge.html.model_id))


def test_fetch_shows_the_states_then_the_result(comms: CommRecorder, emulator: Emulator) -> None:
    got: list[Any] = []

    async def scenario() -> OCRFetchWidget:
        async with _client(emulator) as client:
            widget = OCRFetchWidget(client=client)
            widget.on_result(got.append)
            # Injected only now: building the widget can outlast the Pending phase on a
            # loaded machine, and this test is about seeing the states go by.
            tid = emulator.inject_task(results=[("Text", "widget text")], latency=1.5)
            widget.ids.value = f"  {tid}  "
            widget.fetch_button.click()  # what a click in the browser does
            assert widget.running
            assert widget.fetch_button.disabled and not widget.cancel_button.disabled
            await widget.wait()
            return widget

    widget = asyncio.run(scenario())
    assert isinstance(widget.result, OCRResult)
    assert widget.result.texts == ["widget text"]
    assert got == [widget.result]
    assert not widget.running
    assert not widget.fetch_button.disabled and widget.cancel_button.disabled
    statuses = _badge_statuses(comms, widget.badge)
    assert statuses[0] == "Starting" and statuses[-1] == "Completed"
    # Which intermediate states a poll lands on depends on timing; the order does not.
    assert {"Pending", "Processing"} & set(statuses)
    assert all(a == b or (a, b) in _FORWARD for a, b in itertools.pairwise(statuses))
    (shown,) = widget.output.outputs
    assert "widget text" in shown["data"]["text/html"]


def test_cancel_while_fetching_shows_cancelled(comms: CommRecorder, emulator: Emulator) -> None:
    tid = emulator.inject_task(results=[("Text", "never seen")], latency=30.0)

    async def scenario() -> OCRFetchWidget:
        async with _client(emulator) as client:
            widget = OCRFetchWidget(client=client)
            widget.ids.value = tid
            widget.fetch_button.click()
            while widget.badge is None or widget.badge.states[0].polls < 2:
                await asyncio.sleep(0.02)  # polling runs on this loop meanwhile
            widget.cancel_button.click()
            await widget.wait()
            return widget

    widget = asyncio.run(scenario())
    assert widget.result is None
    assert widget.error is not None and "cancelled" in widget.error
    assert "click Fetch to resume" in widget.error
    assert widget.badge is not None and widget.badge.states[0].status == "Cancelled"
    assert _badge_statuses(comms, widget.badge)[-1] == "Cancelled"
    assert widget.output.outputs[-1]["name"] == "stderr"


def test_several_ids_and_a_failure(comms: CommRecorder, emulator: Emulator) -> None:
    one = emulator.inject_task(results=[("Text", "a")], latency=0.2)
    two = emulator.inject_task(results=[("Text", "b")], latency=0.4)

    async def scenario() -> tuple[OCRFetchWidget, str | None]:
        async with _client(emulator) as client:
            widget = OCRFetchWidget(client=client)
            handle = widget.fetch(f"{one}, {two}")
            assert handle is not None
            collection = await handle
            assert isinstance(collection, OCRResultCollection)
            widget.fetch(UNKNOWN)
            await widget.wait()
            return widget, widget.error

    widget, error = asyncio.run(scenario())
    assert error is not None and "does not exist" in error
    assert widget.badge is not None and widget.badge.states[0].status == "NotExist"


def test_a_new_fetch_replaces_a_running_one(comms: CommRecorder, emulator: Emulator) -> None:
    slow = emulator.inject_task(status="Pending")
    fast = emulator.inject_task(results=[("Text", "second")], latency=0.1)

    async def scenario() -> tuple[OCRFetchWidget, Any]:
        async with _client(emulator) as client:
            widget = OCRFetchWidget(client=client)
            first = widget.fetch(slow)
            assert first is not None
            await asyncio.sleep(0.2)
            widget.fetch(fast)  # the first is cancelled; its ending must not leak in
            await widget.wait()
            await asyncio.sleep(0.05)  # let the cancelled fetch's callbacks run
            return widget, first

    widget, first = asyncio.run(scenario())
    assert first.done() and "cancelled" in (first.error_line() or "")
    assert isinstance(widget.result, OCRResult) and widget.result.texts == ["second"]
    assert widget.error is None
    assert [o["output_type"] for o in widget.output.outputs] == ["display_data"]
    assert not widget.fetch_button.disabled and widget.cancel_button.disabled


def test_a_malformed_id_is_one_line_in_the_output(comms: CommRecorder) -> None:
    widget = OCRFetchWidget(client=OCRClient("http://127.0.0.1:9", token="unused"))
    assert widget.fetch("not a task id") is None
    assert widget.error is not None and widget.error.startswith("Malformed task id 'not'")
    assert widget.output.outputs[-1]["text"] == widget.error + "\n"
    assert widget.badge is None


def test_a_sync_client_polls_in_a_thread(comms: CommRecorder, emulator: Emulator) -> None:
    tid = emulator.inject_task(results=[("Text", "sync")], latency=0.2)
    with OCRClient(
        emulator.base_url,
        client_id=TEST_CLIENT_ID,
        client_secret=TEST_CLIENT_SECRET,
        poll_policy=FAST,
    ) as client:
        widget = OCRFetchWidget(client=client)
        handle = widget.fetch(tid)
        assert handle is not None
        result = handle.result(timeout=30)
    assert isinstance(result, OCRResult) and result.texts == ["sync"]
    assert widget.result is result


def test_parse_task_ids() -> None:
    a, b = UNKNOWN, "11111111-2222-4333-8444-555555555555"
    assert parse_task_ids(f" {a},{b};{a}\n") == [a, b]
    with pytest.raises(ValueError, match="No task id"):
        parse_task_ids("  ")


# -- the magic's badge as a widget (forced: a plain shell has no widget frontend) ------------


@pytest.fixture
def shell(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    monkeypatch.setenv("ASPOSE_OCR_CLIENT_ID", TEST_CLIENT_ID)
    monkeypatch.setenv("ASPOSE_OCR_CLIENT_SECRET", TEST_CLIENT_SECRET)
    monkeypatch.setenv("OCR_NOTEBOOK_STORE", "0")  # fetch from the service every time
    ip = InteractiveShell.instance()
    run(ip, "%load_ext ocr_notebook")
    run(ip, f"%config OCRMagics.base_url = {emulator.base_url!r}")
    run(ip, "%config OCRMagics.poll_interval = 0.05")
    run(ip, "%config OCRMagics.badge = 'widget'")
    yield ip
    run(ip, "%config OCRMagics.badge = 'auto'")
    run(ip, "%config OCRMagics.poll_interval = 0.2")


def test_magic_widget_badge_passes_through_each_state(
    comms: CommRecorder, shell: InteractiveShell, emulator: Emulator
) -> None:
    tid = emulator.inject_task(results=[("Text", "seen live")], latency=1.5)
    result = run(shell, f"%ocr_fetch {tid}")
    assert result.texts == ["seen live"]
    (html_id,) = [cid for cid, state in comms.opened.items() if tid in str(state.get("value", ""))]
    statuses = pills([comms.opened[html_id]]) + pills(comms.for_model(html_id))
    assert statuses[0] == "Starting" and statuses[-1] == "Completed"
    assert {"Pending", "Processing"} & set(statuses)
    assert all(a == b or (a, b) in _FORWARD for a, b in itertools.pairwise(statuses))


_FORWARD = {
    ("Starting", "Pending"),
    ("Starting", "Processing"),
    ("Pending", "Processing"),
    ("Processing", "Completed"),
    ("Pending", "Completed"),
}


# -- the local result store ------------------------------------------------------------------


@pytest.fixture
def from_environment(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Credentials and base URL in the environment, as a widget built with no client reads them."""
    monkeypatch.setenv("ASPOSE_OCR_BASE_URL", emulator.base_url)
    monkeypatch.setenv("ASPOSE_OCR_CLIENT_ID", TEST_CLIENT_ID)
    monkeypatch.setenv("ASPOSE_OCR_CLIENT_SECRET", TEST_CLIENT_SECRET)
    return monkeypatch


def _stdout(widget: OCRFetchWidget) -> str:
    return "".join(o.get("text", "") for o in widget.output.outputs if o.get("name") == "stdout")


def test_widget_stores_results_and_answers_from_the_store(
    comms: CommRecorder, emulator: Emulator, from_environment: pytest.MonkeyPatch
) -> None:
    tid = emulator.inject_task(results=[("Text", "kept by the widget")])

    async def scenario() -> tuple[OCRFetchWidget, OCRFetchWidget, bool]:
        first = OCRFetchWidget()
        handle = first.fetch(tid)
        assert handle is not None and not handle.done()  # polled: nothing stored yet
        await first.wait()
        # The store answers now: no request, so no credentials needed, done at once.
        from_environment.delenv("ASPOSE_OCR_CLIENT_SECRET")
        second = OCRFetchWidget()
        again = second.fetch(tid)
        done_at_once = again is not None and again.done()
        await second.wait()
        return first, second, done_at_once

    first, second, done_at_once = asyncio.run(scenario())
    assert isinstance(first.result, OCRResult) and first.result.texts == ["kept by the widget"]
    assert "local result store" not in _stdout(first)
    assert done_at_once and second.error is None
    assert isinstance(second.result, OCRResult) and second.result.texts == ["kept by the widget"]
    assert f"Task {tid} answered from the local result store" in _stdout(second)
    assert _badge_statuses(comms, second.badge)[-1] == "Completed"


def test_widget_without_the_store_asks_the_service(
    comms: CommRecorder, emulator: Emulator, from_environment: pytest.MonkeyPatch
) -> None:
    tid = emulator.inject_task(results=[("Text", "not kept")])

    async def scenario() -> OCRFetchWidget:
        widget = OCRFetchWidget(store=False)
        widget.fetch(tid)
        await widget.wait()
        from_environment.delenv("ASPOSE_OCR_CLIENT_SECRET")
        widget.fetch(tid)  # nothing stored: it needs the service, hence credentials
        await widget.wait()
        return widget

    widget = asyncio.run(scenario())
    assert widget.result is not None and widget.result.texts == ["not kept"]  # the first fetch
    assert widget.error is not None and "ASPOSE_OCR_CLIENT_SECRET" in widget.error
