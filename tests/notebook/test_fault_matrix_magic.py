"""The fault matrix for ``%ocr_fetch`` in a real IPython shell against the fault-injecting emulator.

Every fault, on the first GET and on every GET: the result, or one ``UsageError`` line
(no traceback, no secret) saying what went wrong, within the deadline, and the badge's final
status. Then the deadline reached during retries (a dead port, a host name that never
resolves, 503 and 429 to every GET): an Unreachable badge with its seconds and attempts, and
a line naming the URL, the reason and the deadline. Then a real SIGINT
during a stalled request and during a ``Retry-After`` wait: one "interrupted" line, the
badge shows Cancelled, the client is closed, and nobody waited for the server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from ocr_notebook import OCRResult, PollPolicy, ResponseStatusCode
from ocr_notebook.notebook.magics import OCRMagics
from tests.support.faults import (
    CASE_IDS,
    CASES,
    DEADLINE,
    DEADLINE_IDS,
    DEADLINE_ROWS,
    ENDLESS_RETRIES,
    REQUEST_TIMEOUT,
    TEXTS,
    DeadlineRow,
    Row,
    check_line,
    faults,
    interrupt_main_thread,
    line_attempts,
    policy,
    read_badge_line,
    task,
    when,
)
from tests.support.notebook import configured_magics, record_clients, run, run_error

if TYPE_CHECKING:
    from ocr_notebook.emulator import Emulator


@pytest.fixture
def magics(
    shell: InteractiveShell, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[OCRMagics]:
    config = {
        "base_url": emulator.base_url,
        "poll_interval": 0.01,
        "max_poll_interval": 0.05,
        "request_timeout": REQUEST_TIMEOUT,
        "badge": "text",
    }
    with configured_magics(shell, monkeypatch, config=config, also_reset=["timeout"]) as instance:
        yield instance


def _statuses(out: str) -> list[str]:
    return [line.split(" · ")[0] for line in out.splitlines() if " · task " in line]


@pytest.mark.parametrize(("row", "mode"), CASES, ids=CASE_IDS)
def test_magic(
    shell: InteractiveShell,
    magics: OCRMagics,
    emulator: Emulator,
    capsys: pytest.CaptureFixture[str],
    row: Row,
    mode: str,
) -> None:
    tid = task(emulator)
    expect = row.expect(mode)
    run(shell, f"%config OCRMagics.request_timeout = {row.request_timeout}")
    line = f"%ocr_fetch {tid} --timeout {row.deadline(mode)}"
    with faults(emulator, row.spec(mode)) as plan:
        if expect.ok:
            result = run(shell, line)
        else:
            error = run_error(shell, line)
    assert plan.served[row.kind] >= 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    if expect.ok:
        assert isinstance(result, OCRResult)
        assert tuple(result.texts) == TEXTS
        if row.kind == "unknown-code":
            assert result.response_status_code is ResponseStatusCode.UNKNOWN
        assert _statuses(captured.out)[-1] == "Completed"
        return
    assert isinstance(error, UsageError)
    message = str(error)
    assert expect.says in message, message
    check_line(message)
    assert f"run %ocr_fetch {tid}" in message or "Check ASPOSE_OCR_CLIENT_ID" in message
    assert _statuses(captured.out)[-1] == expect.badge, captured.out


@pytest.mark.parametrize("row", DEADLINE_ROWS, ids=DEADLINE_IDS)
def test_magic_deadline_reached_during_retries(
    shell: InteractiveShell,
    magics: OCRMagics,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    row: DeadlineRow,
) -> None:
    # Retries that would go on: only the deadline stops them.
    def endless(_self: OCRMagics, timeout: float) -> PollPolicy:
        return policy(timeout, max_retries=ENDLESS_RETRIES)

    monkeypatch.setattr(OCRMagics, "_policy", endless)
    tid = task(emulator)
    url = row.base_url(emulator)
    run(shell, f"%config OCRMagics.base_url = {url!r}")
    run(shell, "%config OCRMagics.request_timeout = 10.0")
    if row.needs_emulator:
        with faults(emulator, row.target) as plan:
            error = run_error(shell, f"%ocr_fetch {tid} --timeout {DEADLINE}")
    else:
        plan = None
        error = run_error(shell, f"%ocr_fetch {tid} --timeout {DEADLINE}")
    assert isinstance(error, UsageError)
    line = str(error)
    check_line(line)
    assert url in line and row.reason in line
    assert f"until the {DEADLINE:g} s deadline" in line
    assert f"Nothing is known about task {tid}" in line and f"run %ocr_fetch {tid} again" in line
    assert "goes on on the service" not in line and "still" not in line
    out = capsys.readouterr().out
    assert "Traceback" not in out
    final = read_badge_line([s for s in out.splitlines() if " · task " in s][-1])
    assert (final.status, final.task_id) == ("Unreachable", tid)
    assert final.seconds >= DEADLINE and final.count >= 2
    assert final.rest.startswith(f"{row.reason} · ")
    assert line_attempts(line)[0] == final.count  # the line and the badge agree
    if plan is not None:
        assert plan.served[row.kind] == final.count


# -- interruption ------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["get:stall=5@1", "get:429=20@1"], ids=["stall", "retry-after"])
def test_interrupt_during_a_fault(
    shell: InteractiveShell,
    magics: OCRMagics,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    spec: str,
) -> None:
    clients = record_clients(monkeypatch)
    run(shell, "%config OCRMagics.request_timeout = 30.0")
    tid = task(emulator)
    with faults(emulator, spec) as plan:
        when(lambda: plan.total == 1, interrupt_main_thread)
        error = run_error(shell, f"%ocr_fetch {tid} --timeout 60")
        stalling = plan.stalling
        requests = plan.requests
    assert isinstance(error, UsageError)
    assert str(error) == (
        f"Fetch interrupted; the task goes on on the service: run %ocr_fetch {tid} to resume."
    )
    captured = capsys.readouterr()
    assert _statuses(captured.out)[-1] == "Cancelled"
    assert "Traceback" not in captured.err and "KeyboardInterrupt" not in captured.err
    assert len(clients) == 1 and clients[0]._http.is_closed
    if "stall" in spec:
        assert stalling == 1  # returned while the server was still stalling
    else:
        assert requests == 2  # the token and one GET: interrupted during the 20 s wait
