"""Issue 12 in a real IPython shell: what ``%ocr_fetch`` says when the service is not reached.

A dead port, a host name that never resolves, 503 to every GET, and Pending forever; each
without and with ``--timeout``. The text badge's final line (label, seconds, attempts) and
the ``UsageError`` line tell what really happened; only Pending forever says the task is
still running on the service. The same scenarios run in a real kernel in
``tests/e2e/test_unreachable_kernel.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from ocr_notebook.notebook.magics import OCRMagics
from tests.support.faults import dead_port_url, faults
from tests.support.notebook import configured_magics, run, run_error
from tests.support.unreachable import (
    CONFIG,
    DNS_FAILURE_URL,
    NO_ANSWER_TASK,
    SCENARIOS,
    TIMEOUT_MODES,
    Scenario,
    check_outcome,
    fetch_line,
)

if TYPE_CHECKING:
    from ocr_notebook.emulator import Emulator


@pytest.fixture
def magics(shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch) -> Iterator[OCRMagics]:
    config = {**CONFIG, "badge": "text"}
    with configured_magics(
        shell, monkeypatch, config=config, also_reset=["base_url", "timeout"]
    ) as instance:
        yield instance


@pytest.mark.parametrize("with_timeout", TIMEOUT_MODES, ids=["configured-timeout", "--timeout"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_the_badge_and_the_line_say_what_happened(
    shell: InteractiveShell,
    magics: OCRMagics,
    emulator: Emulator,
    capsys: pytest.CaptureFixture[str],
    scenario: Scenario,
    with_timeout: bool,
) -> None:
    task_id = NO_ANSWER_TASK
    served: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
    if scenario.name == "dead-port":
        url = dead_port_url()
    elif scenario.name == "dns":
        url = DNS_FAILURE_URL
    else:
        url = emulator.base_url
        task_id = emulator.inject_task(status="Pending")
        if scenario.name == "http-503":
            served = faults(emulator, "get:503=0")
    run(shell, f"%config OCRMagics.base_url = {url!r}")
    run(shell, f"%config OCRMagics.timeout = {scenario.configured_timeout!r}")
    with served:
        error = run_error(shell, fetch_line(task_id, with_timeout))
    assert isinstance(error, UsageError)
    out = capsys.readouterr().out
    statuses = [line for line in out.splitlines() if " · task " in line]
    check_outcome(scenario, with_timeout, task_id, url, statuses[-1], str(error))
    if scenario.unreachable:
        # The attempts were printed as they failed: 1, 2, 3, ... before the final line.
        retrying = [line for line in statuses if line.startswith("Retrying · ")]
        counts = [int(line.split(" · ")[3].split()[0]) for line in retrying]
        assert counts[:2] == [1, 2] and counts == sorted(counts), statuses
