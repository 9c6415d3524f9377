"""How a fetch ended, as the one status word shown for it (badge, collection summaries)."""

from __future__ import annotations

import asyncio

from .errors import (
    FetchCancelledError,
    PollingTimeoutError,
    TaskNotFoundError,
    gave_up_retrying,
)
from .models import OCRResult

__all__ = ["outcome_status"]


def outcome_status(outcome: OCRResult | BaseException) -> str:
    """The status word for a task's outcome: its result's status, or what its error means.

    ``Error`` (the task failed, or a failure on this side of the wire: credentials, a
    malformed answer), ``Unreachable`` (retries of connection failures, 429 or 5xx ran out
    or were cut short by the deadline), ``NotExist``, ``Timeout`` or ``Cancelled``.
    """
    if isinstance(outcome, OCRResult):
        return outcome.status_raw or outcome.status.value
    if isinstance(outcome, TaskNotFoundError):
        return "NotExist"
    if isinstance(outcome, PollingTimeoutError):
        return "Timeout"
    if isinstance(outcome, (FetchCancelledError, KeyboardInterrupt, asyncio.CancelledError)):
        return "Cancelled"
    if gave_up_retrying(outcome):
        return "Unreachable"
    return "Error"
