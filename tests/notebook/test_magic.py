"""``%ocr_fetch`` in a real IPython shell against the emulator over loopback HTTP."""

from __future__ import annotations

import _thread
import asyncio
import logging
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from ocr_notebook import FetchHandle, OCRResult, OCRResultCollection, TaskStatus
from ocr_notebook.client.polling import DEFAULT_CONCURRENCY, PollEvent
from ocr_notebook.display.results import DEFAULTS
from ocr_notebook.notebook.magics import OCRMagics
from tests.support.credentials import TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.support.notebook import configured_magics, record_clients, run, run_error

if TYPE_CHECKING:
    from ocr_notebook.emulator import Emulator

UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def magics(
    shell: InteractiveShell, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[OCRMagics]:
    """The loaded OCRMagics, pointed at the emulator, credentials in the environment."""
    monkeypatch.setenv("OCR_NOTEBOOK_STORE", "0")  # fetch from the service every time
    config = {
        "base_url": emulator.base_url,
        "poll_interval": 0.05,
        "max_poll_interval": 0.2,
        "badge": "text",
    }
    also_reset = ["timeout", "display_limit"]
    with configured_magics(shell, monkeypatch, config=config, also_reset=also_reset) as instance:
        yield instance
        instance.on_event = None
        instance.forget_credentials()


def _statuses(out: str) -> list[str]:
    """The status of each printed badge line, in order."""
    return [line.split(" · ")[0] for line in out.splitlines() if " · task " in line]


# -- blocking ------------------------------------------------------------------------------


def test_blocking_fetch_shows_each_status_and_returns_the_result(
    shell: InteractiveShell,
    magics: OCRMagics,
    emulator: Emulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Pending for the first third of the latency, Processing until it ends.
    tid = emulator.inject_task(results=[("Text", b"hello world"), ("Text", "zwei")], latency=1.5)
    result = run(shell, f"%ocr_fetch {tid}")
    assert isinstance(result, OCRResult)
    assert result.status is TaskStatus.COMPLETED
    assert result.texts == ["hello world", "zwei"]
    assert shell.user_ns["_"] is result  # the value of the cell, so Out[n] holds it too
    statuses = _statuses(capsys.readouterr().out)
    assert statuses[0] == "Starting"
    assert statuses[-1] == "Completed"
    # Which intermediate states a poll lands on depends on timing; their order does not.
    assert {"Pending", "Processing"} & set(statuses)
    assert statuses == sorted(
        statuses, key=["Starting", "Pending", "Processing", "Completed"].index
    )


def test_dash_o_binds_the_result(
    shell: InteractiveShell, magics: OCRMagics, emulator: Emulator
) -> None:
    tid = emulator.inject_task(results=[("Text", "bound")], latency=0.0)
    run(shell, f"%ocr_fetch {tid} -o bound_result")
    assert shell.user_ns["bound_result"].texts == ["bound"]
    run(shell, f"%ocr_fetch --output other {tid}")
    assert shell.user_ns["other"].text == "bound"


def test_several_ids_give_one_collection(
    shell: InteractiveShell,
    magics: OCRMagics,
    emulator: Emulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = emulator.inject_task(results=[("Text", "one"), ("Text", "two")], latency=0.3)
    second = emulator.inject_task(results=[("Text", "three")], latency=0.5)
    failed = emulator.inject_task(status="Error", messages=["Unreadable image"], latency=0.2)
    got = run(shell, f"%ocr_fetch {first} {second},{failed} {first} -o many")
    assert isinstance(got, OCRResultCollection)
    assert shell.user_ns["many"] is got
    assert got.task_ids == [first, second, failed]  # the duplicate id is fetched once
    assert got.texts == ["one", "two", "three"]
    assert got.text == "one\ntwo\nthree"
    assert [r.id for r in got] == [first, second]
    assert list(got.errors) == [failed]
    frame = got.to_dataframe()
    assert list(frame["task_id"]) == [first, first, second]
    assert list(frame["text"]) == ["one", "two", "three"]
    bundle = got._repr_mimebundle_()
    assert "three" in bundle["text/html"] and "Unreadable image" in bundle["text/html"]
    captured = capsys.readouterr()
    assert "3 of 3 done" in captured.out
    assert "1 of 3 tasks gave no result" in captured.err


def test_several_ids_all_failing_is_one_line(
    shell: InteractiveShell, magics: OCRMagics, emulator: Emulator
) -> None:
    bad = emulator.inject_task(status="Error", messages=["nope"])
    error = run_error(shell, f"%ocr_fetch {bad} {UNKNOWN}")
    assert isinstance(error, UsageError)
    assert str(error).startswith("All 2 tasks failed; first: Task ")


# -- each terminal status -----------------------------------------------------------------


def test_task_error_is_one_line_with_the_service_messages(
    shell: InteractiveShell,
    magics: OCRMagics,
    emulator: Emulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tid = emulator.inject_task(status="Error", messages=["Image is corrupted"], latency=0.2)
    error = run_error(shell, f"%ocr_fetch {tid}")
    assert isinstance(error, UsageError)
    assert f"Task {tid} ended with Error: Image is corrupted" in str(error)
    captured = capsys.readouterr()
    assert _statuses(captured.out)[-1] == "Error"
    assert "Traceback" not in captured.err + captured.out
    assert captured.err.strip().startswith("UsageError: Task")
    assert len(captured.err.strip().splitlines()) == 1


def test_not_exist_explains_the_retention(
    shell: InteractiveShell,
    magics: OCRMagics,
    capsys: pytest.CaptureFixture[str],
) -> None:
    error = run_error(shell, f"%ocr_fetch {UNKNOWN}")
    assert isinstance(error, UsageError)
    assert "24 hours" in str(error) and UNKNOWN in str(error)
    assert _statuses(capsys.readouterr().out)[-1] == "NotExist"


def test_timeout_says_how_to_resume(
    shell: InteractiveShell,
    magics: OCRMagics,
    emulator: Emulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tid = emulator.inject_task(status="Processing")  # never finishes
    error = run_error(shell, f"%ocr_fetch {tid} --timeout 0.4")
    assert isinstance(error, UsageError)
    assert f"run %ocr_fetch {tid} to resume" in str(error)
    assert "Processing" in str(error)
    out = capsys.readouterr().out
    assert _statuses(out)[-1] == "Timeout"
    assert "Last status seen: Processing" in out


# -- --no-wait ------------------------------------------------------------------------------


def test_no_wait_makes_one_request_and_shows_what_is_there(
    shell: InteractiveShell, magics: OCRMagics, emulator: Emulator
) -> None:
    seen: list[PollEvent] = []
    magics.on_event = seen.append
    tid = emulator.inject_task(results=[("Text", "later")], latency=30.0)
    result = run(shell, f"%ocr_fetch {tid} --no-wait -o now")
    assert isinstance(result, OCRResult)
    assert result.status is TaskStatus.PENDING
    assert shell.user_ns["now"] is result
    assert seen == []  # no polling happened
    done = emulator.inject_task(results=[("Text", "ready")], latency=0.0)
    both = run(shell, f"%ocr_fetch {tid} {done} --no-wait")
    assert isinstance(both, OCRResultCollection)
    assert [r.status for r in both] == [TaskStatus.PENDING, TaskStatus.COMPLETED]


# -- --background ---------------------------------------------------------------------------


def test_background_on_a_running_loop_returns_at_once_and_binds_when_done(
    shell: InteractiveShell,
    magics: OCRMagics,
    emulator: Emulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tid = emulator.inject_task(results=[("Text", "in the background")], latency=0.5)
    shell.user_ns.pop("bg", None)

    async def scenario() -> tuple[Any, bool, bool]:
        handle = run(shell, f"%ocr_fetch {tid} --background -o bg")
        assert isinstance(handle, FetchHandle)
        returned_before_done = not handle.done()
        with pytest.raises(RuntimeError, match="await"):
            handle.result()  # blocking would stall the loop the fetch runs on
        run(shell, "other_cell = 40 + 2")  # the user keeps working meanwhile
        bound_early = "bg" in shell.user_ns
        return await handle, returned_before_done, bound_early

    value, returned_before_done, bound_early = asyncio.run(scenario())
    assert returned_before_done and not bound_early
    assert isinstance(value, OCRResult) and value.texts == ["in the background"]
    assert shell.user_ns["bg"] is value
    assert shell.user_ns["other_cell"] == 42
    out = capsys.readouterr().out
    assert _statuses(out)[-1] == "Completed"
    assert "in the background" in out  # the result was displayed when the task ended


def test_background_failure_is_reported_not_silent(
    shell: InteractiveShell,
    magics: OCRMagics,
    emulator: Emulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tid = emulator.inject_task(status="Error", messages=["bad scan"], latency=0.2)

    async def scenario() -> BaseException | None:
        handle = run(shell, f"%ocr_fetch {tid} --background")
        try:
            await handle
        except Exception as exc:
            return exc
        return None

    error = asyncio.run(scenario())
    assert error is not None and "bad scan" in str(error)
    err = capsys.readouterr().err
    assert f"%ocr_fetch: Task {tid} ended with Error: bad scan" in err


def test_background_without_a_loop_uses_a_thread(
    shell: InteractiveShell, magics: OCRMagics, emulator: Emulator
) -> None:
    tid = emulator.inject_task(results=[("Text", "threaded")], latency=0.3)
    handle = run(shell, f"%ocr_fetch {tid} --background -o threaded")
    assert isinstance(handle, FetchHandle)
    value = handle.result(timeout=30)
    assert isinstance(value, OCRResult) and value.texts == ["threaded"]
    assert handle.done() and handle.exception() is None
    for _ in range(100):  # the done-callback runs right after the result is set
        if "threaded" in shell.user_ns:
            break
        threading.Event().wait(0.01)
    assert shell.user_ns["threaded"] is value


def test_background_thread_can_be_cancelled(
    shell: InteractiveShell,
    magics: OCRMagics,
    emulator: Emulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tid = emulator.inject_task(status="Pending")
    handle = run(shell, f"%ocr_fetch {tid} --background")
    assert handle.cancel()
    assert handle.done()
    assert "cancelled" in (handle.error_line() or "")
    assert "Cancelled" in _statuses(capsys.readouterr().out)


# -- interruption ----------------------------------------------------------------------------


def test_interrupt_from_the_kernel_cancels_cleanly(
    shell: InteractiveShell,
    magics: OCRMagics,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A real SIGINT-style interrupt of the main thread (what "Interrupt kernel" does)."""
    clients = record_clients(monkeypatch)
    tid = emulator.inject_task(status="Pending")  # would poll until the timeout
    fired = threading.Event()

    def interrupt_once_polling(event: PollEvent) -> None:
        if event.polls == 2 and not fired.is_set():
            fired.set()
            _thread.interrupt_main()

    magics.on_event = interrupt_once_polling
    error = run_error(shell, f"%ocr_fetch {tid}")
    assert isinstance(error, UsageError)
    assert str(error) == (
        f"Fetch interrupted; the task goes on on the service: run %ocr_fetch {tid} to resume."
    )
    captured = capsys.readouterr()
    assert _statuses(captured.out)[-1] == "Cancelled"
    assert "Traceback" not in captured.err and "KeyboardInterrupt" not in captured.err
    assert len(clients) == 1 and clients[0]._http.is_closed  # no connection left open


def test_keyboard_interrupt_inside_polling_cancels_too(
    shell: InteractiveShell,
    magics: OCRMagics,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clients = record_clients(monkeypatch)
    first = emulator.inject_task(status="Pending")
    second = emulator.inject_task(status="Pending")

    def interrupt(event: PollEvent) -> None:
        raise KeyboardInterrupt

    magics.on_event = interrupt
    error = run_error(shell, f"%ocr_fetch {first} {second}")
    assert isinstance(error, UsageError) and "Fetch interrupted" in str(error)
    out = capsys.readouterr().out
    assert "2 of 2 done (2 Cancelled)" in out
    assert clients[0]._http.is_closed


# -- task ids: the one parser (wire/task_ids.py), as the widget uses it ---------------------

OTHER = "11111111-2222-4333-8444-555555555555"


@pytest.mark.parametrize(
    "given",
    [
        [UNKNOWN, OTHER],
        [f"{UNKNOWN},{OTHER}"],
        [f"{UNKNOWN},", OTHER],
        [f"{UNKNOWN};{OTHER}"],
        [UNKNOWN, OTHER, UNKNOWN.upper().lower()],
    ],
)
def test_the_magic_splits_ids_like_the_widget(given: list[str]) -> None:
    assert OCRMagics._task_ids(given) == [UNKNOWN, OTHER]


# -- bad input and missing credentials ---------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("", "No task id given"),
        ("not-a-guid", "Malformed task id 'not-a-guid'"),
        (f"{UNKNOWN} ../../etc", "Malformed task id '../../etc'"),
        (f"{UNKNOWN} --api Nonsense", "Unknown operation 'Nonsense'"),
        (f"{UNKNOWN} -o 1abc", "NAME must be a Python identifier"),
        (f"{UNKNOWN} -o class", "NAME must be a Python identifier"),
        (f"{UNKNOWN} --timeout -1", "--timeout must be a number of seconds > 0"),
        (f"{UNKNOWN} --timeout soon", "invalid float value"),
        (f"{UNKNOWN} --background --no-wait", "exclude each other"),
        (f"{UNKNOWN} --frobnicate", "unrecognized arguments"),
    ],
)
def test_bad_input_is_one_clear_line(
    shell: InteractiveShell, magics: OCRMagics, line: str, says: str
) -> None:
    seen: list[PollEvent] = []
    magics.on_event = seen.append
    error = run_error(shell, f"%ocr_fetch {line}")
    assert isinstance(error, UsageError)
    assert says in str(error)
    assert "\n" not in str(error).strip()
    assert seen == []  # rejected before any request


def test_missing_credentials_without_a_prompt_say_what_to_set(
    shell: InteractiveShell, magics: OCRMagics, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ASPOSE_OCR_CLIENT_ID")
    monkeypatch.delenv("ASPOSE_OCR_CLIENT_SECRET")
    # pytest captures stdin: the default prompt cannot ask, as under nbclient.
    error = run_error(shell, f"%ocr_fetch {UNKNOWN}")
    assert isinstance(error, UsageError)
    assert "ASPOSE_OCR_CLIENT_ID and ASPOSE_OCR_CLIENT_SECRET" in str(error)


def test_prompted_credentials_work_and_are_never_shown(
    shell: InteractiveShell,
    magics: OCRMagics,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("ASPOSE_OCR_CLIENT_ID")
    monkeypatch.delenv("ASPOSE_OCR_CLIENT_SECRET")
    asked: list[str | None] = []

    def prompt(known_id: str | None) -> tuple[str, str]:
        asked.append(known_id)
        return TEST_CLIENT_ID, TEST_CLIENT_SECRET

    monkeypatch.setattr(magics, "_prompt", prompt)
    tid = emulator.inject_task(results=[("Text", "secret-free")])
    assert run(shell, f"%ocr_fetch {tid}").texts == ["secret-free"]
    assert run(shell, f"%ocr_fetch {tid} --no-wait").texts == ["secret-free"]
    assert asked == [None]  # asked once per session
    run(shell, "%config OCRMagics")
    shown = capsys.readouterr()
    for text in (shown.out, shown.err, repr(magics), str(magics.trait_values())):
        assert TEST_CLIENT_SECRET not in text
    assert "client_secret" not in magics.trait_names()


def test_wrong_credentials_are_one_line(
    shell: InteractiveShell, magics: OCRMagics, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASPOSE_OCR_CLIENT_SECRET", "wrong-secret-value")
    error = run_error(shell, f"%ocr_fetch {UNKNOWN}")
    assert isinstance(error, UsageError)
    assert "ASPOSE_OCR_CLIENT_ID / ASPOSE_OCR_CLIENT_SECRET" in str(error)
    assert "wrong-secret-value" not in str(error)


def test_network_down_is_one_line(shell: InteractiveShell, magics: OCRMagics) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run(shell, f"%config OCRMagics.base_url = 'http://127.0.0.1:{port}'")
    run(shell, "%config OCRMagics.timeout = 2.0")
    error = run_error(shell, f"%ocr_fetch {UNKNOWN}")
    assert isinstance(error, UsageError)
    line = str(error)
    assert line.startswith(f"Could not reach http://127.0.0.1:{port} in ")
    assert "connection refused" in line
    assert "check %config OCRMagics.base_url, the network and any proxy" in line
    assert "goes on on the service" not in line  # the service never said anything


# -- configuration, help, load/unload ---------------------------------------------------------


def test_config_traits(
    shell: InteractiveShell, magics: OCRMagics, caplog: pytest.LogCaptureFixture
) -> None:
    run(shell, "%config OCRMagics.display_limit = 3")
    assert DEFAULTS.display_limit == 3
    run(shell, "%config OCRMagics.display_limit = None")
    assert DEFAULTS.display_limit is None
    run(shell, "%config OCRMagics.timeout = 12.5")
    assert magics.timeout == 12.5
    with caplog.at_level(logging.ERROR):
        run(shell, "%config OCRMagics.poll_interval = 0")  # IPython logs the rejection
    assert "poll_interval must be a number of seconds > 0" in caplog.text
    assert magics.poll_interval == 0.05
    run(shell, "%config OCRMagics.display_limit = 50")


def test_a_rejected_config_value_does_not_stop_a_reload(
    shell: InteractiveShell, magics: OCRMagics, capsys: pytest.CaptureFixture[str]
) -> None:
    run(shell, "%config OCRMagics.concurrency = 0")
    run(shell, "%reload_ext ocr_notebook")
    assert "ignoring invalid %config OCRMagics settings" in capsys.readouterr().err
    (reloaded,) = [c for c in shell.configurables if isinstance(c, OCRMagics)]
    assert reloaded.concurrency == DEFAULT_CONCURRENCY


def test_help_is_complete() -> None:
    doc = OCRMagics.ocr_fetch.__doc__ or ""
    usage = " ".join(doc.split())
    for needle in (
        "%ocr_fetch [--api API] [--timeout SECONDS] [-o NAME] [--background] [--no-wait]",
        "[TASK_ID ...]",
        "--no-wait",
        "thread",
        "await handle",
        "ASPOSE_OCR_CLIENT_ID",
        "%config OCRMagics",
        "Cancelled",
    ):
        assert needle in usage, needle


def test_unload_removes_the_magic_and_the_configurable(shell: InteractiveShell) -> None:
    run(shell, "%unload_ext ocr_notebook")
    try:
        assert "ocr_fetch" not in shell.magics_manager.magics["line"]
        assert "ocr_store" not in shell.magics_manager.magics["line"]
        assert not any(isinstance(c, OCRMagics) for c in shell.configurables)
        error = run_error(shell, f"%ocr_fetch {UNKNOWN}")
        assert isinstance(error, UsageError)
    finally:
        run(shell, "%load_ext ocr_notebook")
    assert "ocr_fetch" in shell.magics_manager.magics["line"]
    # Both magics are methods of the one OCRMagics instance.
    ocr_store = shell.magics_manager.magics["line"]["ocr_store"]
    assert isinstance(getattr(ocr_store, "__self__", None), OCRMagics)


def test_loading_the_extension_stays_light() -> None:
    """`%load_ext` imports neither ipywidgets nor the renderer: they come with the first fetch."""
    code = (
        "import sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "InteractiveShell.instance().run_cell('%load_ext ocr_notebook').raise_error()\n"
        "print(sorted(m for m in ('ipywidgets', 'ocr_notebook.display.results', 'ocr_notebook.notebook.badge',"
        " 'pandas', 'PIL') if m in sys.modules))\n"
    )
    out = subprocess.run(  # a fresh interpreter: this one has imported everything already
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
