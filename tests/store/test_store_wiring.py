"""Nothing lost: the local result store wired into the client and ``%ocr_fetch``.

A real IPython shell against an emulator whose clock the test moves, with a short
retention, so a task really expires (the service then answers NotExist). Requests are
counted on the emulator (an empty ``FaultPlan`` counts every request it sees). Every test
has its own store file (conftest's autouse fixture sets ``OCR_NOTEBOOK_STORE_PATH``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import ocr_notebook
from ocr_notebook import OCRClient, OCRResult, OCRResultCollection, TaskStatus
from ocr_notebook.emulator import Emulator, FaultPlan
from ocr_notebook.notebook.magics import OCRMagics
from ocr_notebook.store.result_store import ResultStore
from tests.support.clock import FakeClock
from tests.support.credentials import TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.support.emulator import running_emulator, text_image
from tests.support.notebook import configured_magics, run, run_error

RETENTION = 100.0
LINES = ["Stored line one", "Stored line two"]


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def emu(clock: FakeClock) -> Iterator[Emulator]:
    with running_emulator(clock, retention=RETENTION) as emulator:
        yield emulator


@pytest.fixture
def magics(
    shell: InteractiveShell, emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[OCRMagics]:
    config = {"base_url": emu.base_url, "poll_interval": 0.02, "badge": "text"}
    with configured_magics(shell, monkeypatch, config=config, also_reset=["store"]) as instance:
        yield instance


@pytest.fixture
def requests(emu: Emulator) -> Iterator[FaultPlan]:
    """Counts the requests the emulator receives (a plan with no rules faults nothing)."""
    plan = FaultPlan()
    emu.faults = plan
    yield plan
    emu.faults = None


def _store() -> ResultStore:
    return ResultStore()  # $OCR_NOTEBOOK_STORE_PATH: this test's own file


def _submitted(emu: Emulator) -> str:
    image, rects = text_image(LINES)
    with OCRClient(emu.base_url, client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET) as c:
        return c.submit_regions(image, rects)


def test_fetched_results_are_stored_with_their_submission(
    shell: InteractiveShell, magics: OCRMagics, emu: Emulator
) -> None:
    tid = _submitted(emu)
    result = run(shell, f"%ocr_fetch {tid}")
    assert result.texts == LINES
    stored = _store().get(emu.base_url, "RecognizeRegions", tid)
    assert stored is not None
    assert stored.texts == LINES
    assert stored.submission is not None
    assert len(stored.submission.regions) == 2 and stored.submission.image.startswith(b"\x89PNG")


def test_the_store_answers_first_and_refresh_asks_again(
    shell: InteractiveShell,
    magics: OCRMagics,
    emu: Emulator,
    requests: FaultPlan,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tid = emu.inject_task(results=[("Text", "kept")])
    run(shell, f"%ocr_fetch {tid}")
    asked = requests.requests
    assert asked >= 1
    capsys.readouterr()
    again = run(shell, f"%ocr_fetch {tid}")
    assert again.texts == ["kept"]
    assert requests.requests == asked  # no request at all
    out = capsys.readouterr().out
    assert f"Task {tid} answered from the local result store" in out
    assert "--refresh" in out
    now = run(shell, f"%ocr_fetch {tid} --no-wait")
    assert now.texts == ["kept"] and requests.requests == asked
    assert "answered from the local result store" in capsys.readouterr().out
    run(shell, f"%ocr_fetch {tid} --refresh")
    assert requests.requests > asked
    assert "answered from the local result store" not in capsys.readouterr().out


def test_a_task_the_service_forgot_is_shown_from_the_store_with_a_note(
    shell: InteractiveShell,
    magics: OCRMagics,
    emu: Emulator,
    clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    kept = emu.inject_task(results=[("Text", "still here")])
    lost = emu.inject_task(results=[("Text", "gone for good")])
    run(shell, f"%ocr_fetch {kept}")
    _store().delete(emu.base_url, "RecognizeRegions", lost)  # as if never fetched here
    clock.advance(RETENTION + 1)  # the service forgets both
    capsys.readouterr()
    result = run(shell, f"%ocr_fetch {kept} --refresh")
    assert isinstance(result, OCRResult) and result.texts == ["still here"]
    out = capsys.readouterr().out
    assert f"The service no longer has task {kept}" in out
    assert "copy kept in the local result store" in out
    assert "NotExist" in out  # the badge says what the service said
    error = run_error(shell, f"%ocr_fetch {lost}")
    assert isinstance(error, UsageError) and "does not exist" in str(error)
    both = run(shell, f"%ocr_fetch {kept} {lost} --refresh")
    assert isinstance(both, OCRResultCollection)
    assert both.texts == ["still here"] and list(both.errors) == [lost]


def test_several_ids_only_the_missing_ones_are_fetched(
    shell: InteractiveShell, magics: OCRMagics, emu: Emulator, requests: FaultPlan
) -> None:
    first = emu.inject_task(results=[("Text", "one")])
    second = emu.inject_task(results=[("Text", "two")])
    run(shell, f"%ocr_fetch {first}")
    before = requests.requests
    got = run(shell, f"%ocr_fetch {first} {second}")
    assert got.texts == ["one", "two"]
    gets = [s for s in requests.log]  # nothing faulted: the log stays empty
    assert gets == []
    assert requests.requests - before == 2  # a token and the one GET of `second`


@pytest.mark.parametrize("switch", ["config", "environment"])
def test_the_store_can_be_turned_off(
    shell: InteractiveShell,
    magics: OCRMagics,
    emu: Emulator,
    requests: FaultPlan,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    switch: str,
) -> None:
    if switch == "config":
        run(shell, "%config OCRMagics.store = False")
    else:
        monkeypatch.setenv("OCR_NOTEBOOK_STORE", "0")
    tid = emu.inject_task(results=[("Text", "not kept")])
    run(shell, f"%ocr_fetch {tid}")
    asked = requests.requests
    run(shell, f"%ocr_fetch {tid}")
    assert requests.requests > asked  # asked the service again
    assert not _store().path.exists() or len(_store()) == 0
    run(shell, "%ocr_store")
    assert "The local result store is off" in capsys.readouterr().out


def test_ocr_store_magic_and_clear_store(
    shell: InteractiveShell, magics: OCRMagics, emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    for text in ("a", "b"):
        run(shell, f"%ocr_fetch {emu.inject_task(results=[('Text', text)])}")
    capsys.readouterr()
    run(shell, "%ocr_store")
    out = capsys.readouterr().out
    assert f"2 Completed results kept in {_store().path}" in out
    run(shell, "%ocr_store clear")
    assert "Removed 2 stored results" in capsys.readouterr().out
    assert len(_store()) == 0
    run(shell, f"%ocr_fetch {emu.inject_task(results=[('Text', 'c')])}")
    assert ocr_notebook.clear_store() == 1
    assert ocr_notebook.clear_store() == 0
    error = run_error(shell, "%ocr_store drop-everything")
    assert isinstance(error, UsageError) and "%ocr_store clear" in str(error)


def test_a_broken_store_never_costs_the_result(
    shell: InteractiveShell,
    magics: OCRMagics,
    emu: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("OCR_NOTEBOOK_STORE_PATH", str(tmp_path))  # a directory: unopenable
    tid = emu.inject_task(results=[("Text", "safe")])
    with caplog.at_level(logging.WARNING, logger="ocr_notebook"):
        assert run(shell, f"%ocr_fetch {tid}").texts == ["safe"]
    assert any(
        "result store" in r.getMessage() or "Could not" in r.getMessage() for r in caplog.records
    )


# -- the client's store= ------------------------------------------------------------------------


def test_client_writes_only_completed_results(emu: Emulator, tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "client.sqlite3")
    done = emu.inject_task(results=[("Text", "done")])
    failed = emu.inject_task(status="Error", messages=["bad"])
    pending = emu.inject_task(status="Pending")
    with OCRClient(
        emu.base_url, client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET, store=store
    ) as client:
        assert client.get_status(done).status is TaskStatus.COMPLETED
        assert len(store) == 0  # GetTaskStatus has no results: nothing to keep
        assert client.get_result(pending).status is TaskStatus.PENDING
        got = client.fetch_many([done, failed])
        assert isinstance(got[0], OCRResult)
    assert len(store) == 1
    kept = store.get(emu.base_url, "RecognizeRegions", done)
    assert kept is not None and kept.texts == ["done"]
    # The client never reads the store back: an expired task is NotExist for it.
    with OCRClient(emu.base_url, client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET) as c:
        assert c.store is None


def test_background_fetches_are_stored_too(
    shell: InteractiveShell, magics: OCRMagics, emu: Emulator
) -> None:
    tid = emu.inject_task(results=[("Text", "in a thread")])
    handle = run(shell, f"%ocr_fetch {tid} --background")  # no running loop here: a thread
    assert handle.result(timeout=30).texts == ["in a thread"]
    kept = _store().get(emu.base_url, "RecognizeRegions", tid)
    assert kept is not None and kept.texts == ["in a thread"]


def test_background_answers_from_the_store_without_a_request(
    shell: InteractiveShell,
    magics: OCRMagics,
    emu: Emulator,
    requests: FaultPlan,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tid = emu.inject_task(results=[("Text", "kept for later")])
    run(shell, f"%ocr_fetch {tid}")
    asked = requests.requests
    capsys.readouterr()
    # Stored results need no credentials either: the handle is done on return.
    monkeypatch.delenv("ASPOSE_OCR_CLIENT_SECRET")
    handle = run(shell, f"%ocr_fetch {tid} --background -o later")
    assert handle.done()
    assert handle.result().texts == ["kept for later"]
    assert shell.user_ns["later"].texts == ["kept for later"]
    assert requests.requests == asked
    out = capsys.readouterr().out
    assert f"Task {tid} answered from the local result store" in out
    assert "Completed" in out  # the badge


def test_background_fetches_only_what_the_store_lacks_and_backs_up_notexist(
    shell: InteractiveShell,
    magics: OCRMagics,
    emu: Emulator,
    clock: FakeClock,
    requests: FaultPlan,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stored = emu.inject_task(results=[("Text", "from the store")])
    fresh = emu.inject_task(results=[("Text", "from the service")])
    run(shell, f"%ocr_fetch {stored}")
    before = requests.requests
    handle = run(shell, f"%ocr_fetch {stored} {fresh} --background")
    both = handle.result(timeout=30)
    assert isinstance(both, OCRResultCollection)
    assert both.texts == ["from the store", "from the service"]
    assert requests.requests - before == 2  # a token and the one GET of `fresh`

    clock.advance(RETENTION + 1)  # the service forgets both; the store has both now
    capsys.readouterr()
    again = run(shell, f"%ocr_fetch {stored} {fresh} --background --refresh")
    refreshed = again.result(timeout=30)
    assert refreshed.texts == ["from the store", "from the service"]
    out = capsys.readouterr().out
    assert f"The service no longer has task {stored}" in out
    assert f"The service no longer has task {fresh}" in out


def test_background_on_a_running_loop_also_backs_up_notexist(
    shell: InteractiveShell,
    magics: OCRMagics,
    emu: Emulator,
    clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    kept = emu.inject_task(results=[("Text", "kept on the loop")])
    run(shell, f"%ocr_fetch {kept}")
    clock.advance(RETENTION + 1)
    capsys.readouterr()

    async def scenario() -> object:
        handle = run(shell, f"%ocr_fetch {kept} --background --refresh")
        assert handle._task is not None  # polled by a task on this loop, not a thread
        return await handle

    result = asyncio.run(scenario())
    assert isinstance(result, OCRResult) and result.texts == ["kept on the loop"]
    assert f"The service no longer has task {kept}" in capsys.readouterr().out
