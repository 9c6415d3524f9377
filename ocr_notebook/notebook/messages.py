"""One line per failure, saying what went wrong and what to do next. Pure, no I/O.

The magic raises these lines as ``UsageError`` and the widget shows them in its badge, so
a notebook user never sees a traceback for an expected failure. Lines are built from the
errors' own context fields (task id, status, the service's messages), never from request
headers or bodies, so no secret can appear in them.
"""

from __future__ import annotations

from ..display.text import inert, plural
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
    failure_reason,
    gave_up_retrying,
)

__all__ = ["RETENTION_NOTE", "gave_up_line", "one_line"]

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
    elif gave_up_retrying(exc):
        assert isinstance(exc, (TransportError, HTTPStatusError))
        line = gave_up_line(exc, again=again)
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


def gave_up_line(exc: TransportError | HTTPStatusError, *, again: str | None = None) -> str:
    """What a poll that never got a usable answer says: where, why, how often, what to check.

    Names the URL, the last failure in a few words, the attempts and seconds (and the
    deadline when it cut the retries short); says the task goes on on the service only when
    the service had answered with an unfinished status before the failures.

    Args:
        exc: A failure carrying ``attempts`` (see ``errors.after_retries``).
        again: How to try again (``run %ocr_fetch ID``), or None for the badge, which has
            no button or command of its own to name.
    """
    task_id = exc.task_id or "<task id>"
    where = exc.url or "the service"
    detail = exc.detail if isinstance(exc, TransportError) else None
    cut = f", until the {exc.deadline:g} s deadline" if exc.deadline is not None else ""
    verb = "Could not reach" if isinstance(exc, TransportError) else "No usable answer from"
    if again is None:
        # The badge shows the attempts, the seconds and the reason beside its pill.
        line = f"{verb} {where}{cut.replace(',', '', 1)}" + (f" ({detail})." if detail else ".")
    else:
        reason = failure_reason(exc) + (f" ({detail})" if detail else "")
        tries = f"{plural(exc.attempts or 1, 'attempt')} over {exc.elapsed or 0.0:.1f} s"
        line = f"{verb} {where} in {tries}{cut}: {reason}."
    if exc.status:
        # The service did answer before: the task exists and was not finished.
        line += f" It last said task {task_id} was {exc.status}; it goes on on the service"
        return line + (f": {again} to resume." if again else ".")
    if isinstance(exc, TransportError):
        line += (
            f" Nothing is known about task {task_id}: check %config OCRMagics.base_url, "
            "the network and any proxy"
        )
    else:
        wait = f"wait {exc.retry_after:.0f} s" if exc.retry_after else "wait"
        line += (
            f" Nothing is known about task {task_id}: the service is overloaded or failing; "
            f"{wait}, and check %config OCRMagics.base_url if it persists"
        )
    return line + (f", then {again} again." if again else ".")


def _single(text: str) -> str:
    flat = " ".join(inert(text).split())
    return flat if len(flat) <= _MAX else flat[: _MAX - 1] + "…"
