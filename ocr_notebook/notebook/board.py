"""What a status badge knows: one ``BadgeState`` per task, fed by poll events. Pure, no I/O.

The board is written to from wherever polling runs (a worker thread, the event loop) and
read by whoever draws it, so every method takes one lock. ``version`` grows on each
change, letting a drawer skip redraws when nothing moved.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace

from ..client.polling import PollEvent
from ..display.badges import UNREACHABLE, BadgeState
from ..results.errors import (
    HTTPStatusError,
    PollingTimeoutError,
    TaskFailedError,
    TaskNotFoundError,
    TransportError,
    failure_reason,
    gave_up_retrying,
)
from ..results.models import OCRResult
from ..results.outcomes import outcome_status
from .messages import gave_up_line, one_line

__all__ = ["STAGES", "STARTING", "TaskBoard", "outcome_state", "stage"]

#: Status shown before the first answer arrives.
STARTING = "Starting"

# Stages for a one-task progress bar: Starting -> Pending -> Processing -> settled.
_STAGE = {STARTING: 0, "Pending": 1, "Processing": 2}
STAGES = 3


def stage(state: BadgeState) -> int:
    """How far along a task is, from 0 (no answer yet) to ``STAGES`` (settled)."""
    if state.done:
        return STAGES
    return _STAGE.get(str(state.status), 1)


def outcome_state(previous: BadgeState, outcome: OCRResult | BaseException) -> BadgeState:
    """The settled state of a task, from its result or the error that ended it."""
    status = outcome_status(outcome)
    if isinstance(outcome, (OCRResult, TaskFailedError, TaskNotFoundError)):
        return replace(previous, status=status, messages=outcome.messages)
    if isinstance(outcome, PollingTimeoutError):
        last = f"Last status seen: {outcome.status}." if outcome.status else None
        return replace(
            previous,
            status=status,
            elapsed=max(previous.elapsed, outcome.elapsed),
            polls=max(previous.polls, outcome.polls),
            detail=last,
        )
    if gave_up_retrying(outcome):
        # No usable answer (connection, DNS, 429, 5xx): not the task's Error, not a Timeout.
        assert isinstance(outcome, (TransportError, HTTPStatusError))
        return replace(
            previous,
            status=UNREACHABLE,
            elapsed=max(previous.elapsed, outcome.elapsed or 0.0),
            polls=max(previous.polls, outcome.attempts or 0),
            messages=(),
            detail=gave_up_line(outcome),
            reason=failure_reason(outcome),
            next_attempt=None,
        )
    if status == "Cancelled":
        return replace(previous, status=status, next_attempt=None)
    # A failure on our side of the wire (network, credentials, a malformed answer): red,
    # with the one line that says what to do.
    return replace(previous, status=status, messages=(one_line(outcome),))


class TaskBoard:
    """Thread-safe per-task badge states, in the order the ids were given."""

    def __init__(self, task_ids: Sequence[str]) -> None:
        self._lock = threading.Lock()
        self._states = [BadgeState(task_id=t, status=STARTING) for t in task_ids]
        self._index = {t: i for i, t in enumerate(task_ids)}
        self.version = 0

    @property
    def task_ids(self) -> list[str]:
        """The task ids, in order."""
        return [s.task_id for s in self._states]

    def states(self) -> list[BadgeState]:
        """A snapshot of every task's state."""
        with self._lock:
            return list(self._states)

    def snapshot(self) -> tuple[int, list[BadgeState]]:
        """``(version, states)`` read together."""
        with self._lock:
            return self.version, list(self._states)

    def observe(self, event: PollEvent) -> bool:
        """Record a poll response; returns whether the task is known (and so changed)."""
        with self._lock:
            i = self._index.get(event.task_id)
            if i is None or self._states[i].done:
                return False
            self._states[i] = BadgeState.from_event(event)
            self.version += 1
            return True

    def settle(self, task_id: str, outcome: OCRResult | BaseException) -> None:
        """Record how a task ended (its result, or the error that ended it)."""
        with self._lock:
            i = self._index.get(task_id)
            if i is None:
                return
            self._states[i] = outcome_state(self._states[i], outcome)
            self.version += 1

    def settle_all(self, outcomes: Iterable[tuple[str, OCRResult | BaseException]]) -> None:
        """``settle`` for several tasks at once."""
        for task_id, outcome in outcomes:
            self.settle(task_id, outcome)

    def cancel_running(self) -> None:
        """Mark every task still running as Cancelled (a Cancel click, a kernel interrupt)."""
        with self._lock:
            for i, state in enumerate(self._states):
                if not state.done:
                    self._states[i] = replace(state, status="Cancelled")
                    self.version += 1

    def fail_running(self, error: BaseException) -> None:
        """Settle every task still running with ``error`` (e.g. the network went down)."""
        with self._lock:
            for i, state in enumerate(self._states):
                if not state.done:
                    self._states[i] = outcome_state(state, error)
                    self.version += 1
