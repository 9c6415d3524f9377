"""How a fetch ended, as the one status word shown for it (badge, collection summaries)."""

from __future__ import annotations

import asyncio

from .errors import FetchCancelledError, PollingTimeoutError, TaskNotFoundError
from .models import OCRResult

__all__ = ["outcome_status"]


def outcome_status(outcome: OCRResult | BaseException) -> str:
    """The status word for a task's outcome: its result's status, or what its error means.

    ``Error`` (the task failed, or a failure on this side of the wire: network, credentials,
    a malformed answer), ``NotExist``, ``Timeout`` or ``Cancelled``.
    """
    if isinstance(outcome, OCRResult):
        return outcome.status_raw or outcome.status.value
    if isinstance(outcome, TaskNotFoundError):
        return "NotExist"
    if isinstance(outcome, PollingTimeoutError):
        return "Timeout"
    if isinstance(outcome, (FetchCancelledError, KeyboardInterrupt, asyncio.CancelledError)):
        return "Cancelled"
    return "Error"
