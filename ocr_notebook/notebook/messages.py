"""One line per failure, saying what went wrong and what to do next. Pure, no I/O.

The magic raises these lines as ``UsageError`` and the widget shows them in its badge, so
a notebook user never sees a traceback for an expected failure. Lines are built from the
errors' own context fields (task id, status, the service's messages), never from request
headers or bodies, so no secret can appear in them.
"""

from __future__ import annotations

from ..display.text import inert
from ..results.errors import (
    AuthenticationError,
    FetchCancelledError,
    HTTPStatusError,
    LoginLockoutError,
    OCRError,
    PollingTimeoutError,
    RateLimitError,
    ResponseFormatError,
    TaskFailedError,
    TaskNotFoundError,
    TransportError,
)

__all__ = ["RETENTION_NOTE", "one_line"]

RETENTION_NOTE = (
    "the id is unknown, or its result was deleted: the service keeps results for 24 hours"
)
_MAX = 400  # characters; a pasted document in a server message is cut, not echoed


def one_line(exc: BaseException, *, resume: str = "run %ocr_fetch {id}") -> str:
    """A single line for ``exc`` with what to do next.

    Args:
        exc: The failure (an ``OCRError`` subclass, ``KeyboardInterrupt`` or anything else).
        resume: How to try again, a verb phrase with ``{id}`` standing for the task id (the
            widget says "click Fetch" instead of running the magic).
    """
    task_id = getattr(exc, "task_id", None) or "<task id>"
    again = resume.format(id=task_id)
    if isinstance(exc, KeyboardInterrupt):
        line = f"Fetch interrupted; the task goes on on the service: {again} to resume."
    elif isinstance(exc, FetchCancelledError):
        line = f"Fetch of {task_id} cancelled; the task goes on on the service: {again} to resume."
    elif isinstance(exc, TaskFailedError):
        reasons = "; ".join(exc.messages) or "the service gave no reason"
        line = (
            f"Task {task_id} ended with Error: {reasons}. "
            "Fix the input (image, regions, settings) and submit it again."
        )
    elif isinstance(exc, TaskNotFoundError):
        line = (
            f"Task {task_id} does not exist: {RETENTION_NOTE}. "
            "Check the id, or submit the image again."
        )
    elif isinstance(exc, PollingTimeoutError):
        status = exc.status or "unfinished"
        line = (
            f"Task {task_id} still {status} after {exc.elapsed:.0f} s ({exc.polls} polls); "
            f"it goes on on the service: {again} to resume (or allow a longer timeout)."
        )
    elif isinstance(exc, LoginLockoutError):
        line = f"{exc.message.rstrip('.')}, and {again} again."
    elif isinstance(exc, RateLimitError):
        wait = f" Wait {exc.retry_after:.0f} s, then" if exc.retry_after else " Wait, then"
        line = f"{exc.message}{wait} {again} again."
    elif isinstance(exc, AuthenticationError):
        line = (
            f"{exc.message} Check ASPOSE_OCR_CLIENT_ID / ASPOSE_OCR_CLIENT_SECRET "
            "and %config OCRMagics.base_url."
        )
    elif isinstance(exc, TransportError):
        line = (
            f"{exc.message} Check the network and %config OCRMagics.base_url, then {again} again."
        )
    elif isinstance(exc, ResponseFormatError):
        line = f"{exc.message} If it persists, check the base URL; {again} to retry."
    elif isinstance(exc, HTTPStatusError):
        line = f"{exc.message.rstrip('.')}: {again} to retry."
    elif isinstance(exc, OCRError):
        line = exc.message
    else:
        line = f"{type(exc).__name__}: {exc}"
    return _single(line)


def _single(text: str) -> str:
    flat = " ".join(inert(text).split())
    return flat if len(flat) <= _MAX else flat[: _MAX - 1] + "…"
