"""The four services of issue 12, as ``%ocr_fetch`` meets them, and what it must then say.

A dead port, a host name that never resolves, an emulator answering 503 to every GET and an
emulator answering Pending forever; each fetched without ``--timeout`` (the configured
timeout applies) and with one. The same table and checks serve the real IPython shell
(``tests/notebook/test_unreachable.py``, text badge) and the real kernel
(``tests/e2e/test_unreachable_kernel.py``, widget badge saved by nbclient).

Retries are quick but not instant (0.5 s apart, five of them): without ``--timeout`` they
run out well before the configured timeout, with ``--timeout 1`` the deadline always comes
first. Nothing asserts on wall-clock time beyond what the logic guarantees (an attempt is
made at the deadline itself, so the seconds shown are at least the deadline).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tests.support.faults import DNS_FAILURE_URL, line_attempts, read_badge_line

__all__ = [
    "CONFIG",
    "DEADLINE",
    "DNS_FAILURE_URL",
    "NO_ANSWER_TASK",
    "SCENARIOS",
    "TIMEOUT_MODES",
    "Scenario",
    "check_outcome",
    "fetch_line",
]

#: ``%config OCRMagics`` for every scenario: retries every 0.5 s (``max_poll_interval`` caps
#: them), five in a row at most, so a run of failures ends after 6 attempts and >= 2.25 s.
CONFIG = {"poll_interval": 0.05, "max_poll_interval": 0.5, "request_timeout": 10.0}
#: ``--timeout`` given on the command line: shorter than the retries (the deadline cuts them).
DEADLINE = 1.0
MAX_ATTEMPTS = 6  # PollPolicy.max_retries (5) + 1
SHORTEST_RETRY_RUN = 5 * 0.5 * 0.9  # five retries, jitter -10 %
NO_ANSWER_TASK = "3f1c2a3b-0000-4000-8000-000000000001"


@dataclass(frozen=True)
class Scenario:
    """One service and how the fetch of a task from it must end."""

    name: str
    configured_timeout: float  # %config OCRMagics.timeout, used without --timeout
    reason: str | None  # the badge's few words; None: the service answers (Pending)

    @property
    def unreachable(self) -> bool:
        return self.reason is not None


SCENARIOS = (
    Scenario("dead-port", 6.0, "connection refused"),
    Scenario("dns", 6.0, "name not resolved"),
    Scenario("http-503", 6.0, "service unavailable (HTTP 503)"),
    Scenario("pending-forever", 2.0, None),
)
TIMEOUT_MODES = (False, True)


def fetch_line(task_id: str, with_timeout: bool) -> str:
    """The magic's command line."""
    return f"%ocr_fetch {task_id}" + (f" --timeout {DEADLINE:g}" if with_timeout else "")


_TIMEOUT_LINE = re.compile(
    r"^Task (?P<task>\S+) still Pending after (?P<seconds>\d+) s \((?P<polls>\d+) polls\); "
    r"it goes on on the service: run %ocr_fetch (?P=task) to resume "
    r"\(or allow a longer timeout\)\.$"
)


def check_outcome(
    scenario: Scenario, with_timeout: bool, task_id: str, url: str, badge_text: str, line: str
) -> None:
    """The final badge (label, seconds, attempts) and the ``UsageError`` line are the truth.

    Args:
        scenario: The service.
        with_timeout: Whether ``--timeout`` was given.
        task_id: The task fetched.
        url: The base URL the magic was configured with.
        badge_text: The badge's final text line (``render_badge_text``).
        line: The ``UsageError`` line.
    """
    deadline = DEADLINE if with_timeout else scenario.configured_timeout
    badge = read_badge_line(badge_text)
    assert badge.task_id == task_id, badge_text
    assert "\n" not in line and "Traceback" not in line
    if not scenario.unreachable:
        # The service said Pending every time: the only case where the task goes on there.
        assert badge.status == "Timeout", badge_text
        assert badge.seconds >= deadline and badge.count >= 2
        assert "Last status seen: Pending." in badge.rest
        assert "the task keeps running on the service" in badge.rest
        found = _TIMEOUT_LINE.match(line)
        assert found is not None, line
        assert (found["task"], int(found["polls"])) == (task_id, badge.count)
        return
    assert scenario.reason is not None
    assert badge.status == "Unreachable", badge_text
    assert badge.rest.startswith(f"{scenario.reason} · "), badge_text
    attempts, seconds = line_attempts(line)
    assert (attempts, seconds) == (badge.count, badge.seconds), (line, badge_text)
    if with_timeout:
        # The deadline fell inside the run of retries; the line names the last failure.
        assert 2 <= badge.count < MAX_ATTEMPTS and badge.seconds >= DEADLINE, badge_text
        assert f"until the {DEADLINE:g} s deadline" in line
        assert f"until the {DEADLINE:g} s deadline" in badge.rest
    else:
        assert badge.count == MAX_ATTEMPTS and badge.seconds >= SHORTEST_RETRY_RUN, badge_text
        assert "deadline" not in line
    assert url in line and url in badge.rest
    assert scenario.reason in line
    assert f"Nothing is known about task {task_id}" in line
    if scenario.name == "http-503":
        assert line.startswith(f"No usable answer from {url} in ")
        assert "the service is overloaded or failing" in line
    else:
        assert line.startswith(f"Could not reach {url} in ")
        assert "check %config OCRMagics.base_url, the network and any proxy" in line
    assert line.endswith(f"then run %ocr_fetch {task_id} again.")
    for said in (line, badge_text):
        assert "goes on on the service" not in said
        assert "running on the service" not in said
        assert "still" not in said
