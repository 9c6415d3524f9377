"""The errors ocr_notebook raises: one base class and a small tree.

::

    OCRError
    ├── InvalidTaskIdError          (also ValueError)  malformed id, no request sent
    ├── MissingCredentialsError     (also ValueError)  no client id/secret or token
    ├── InsecureTransportError      (also ValueError)  credentials over plain HTTP to a remote host
    ├── UnknownOperationError       (also ValueError)  an ``api`` name the v5 API does not have
    ├── ImageInputError             (also ValueError)  not an image, truncated, bomb, no page
    ├── RegionError                 (also ValueError)  a rectangle of zero area, outside, too many
    ├── TemplateFileError           (also ValueError)  template file malformed or too new
    ├── TransportError                                 no HTTP answer: connect, DNS, timeout, drop
    ├── HTTPStatusError                                an unexpected HTTP status
    │   ├── AuthenticationError                        401/403, or the token endpoint said no
    │   ├── RateLimitError                             429, carries retry_after
    │   └── LoginLockoutError  (both of the above)     token endpoint 429: too many failed logins
    ├── ResponseFormatError                            the body is not an OCRResponse
    ├── TaskError                                      the task itself ended badly
    │   ├── TaskFailedError                            taskStatus Error, with the service's messages
    │   └── TaskNotFoundError                          taskStatus NotExist (unknown, or past 24 h)
    ├── PollingTimeoutError         (also TimeoutError) the deadline passed; resume with the task id
    └── FetchCancelledError                            the user cancelled or interrupted polling

Every error carries its context (task id, last status, HTTP status, the
service's messages) as attributes and never a secret: messages are built from
those fields only, never from request headers or bodies.

A ``TransportError`` or a transient ``HTTPStatusError`` (429, 5xx) that ended a poll, after
retries ran out or the deadline fell inside a run of retries, says so: ``attempts``,
``elapsed`` and ``deadline`` are set (see :func:`after_retries`), and ``status`` holds the
last task status the service gave, if it ever answered. ``PollingTimeoutError`` is only
raised when the service did answer, with a status that was not final.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from .models import OCRResult

__all__ = [
    "AuthenticationError",
    "FetchCancelledError",
    "HTTPStatusError",
    "ImageInputError",
    "InsecureTransportError",
    "InvalidTaskIdError",
    "LoginLockoutError",
    "MissingCredentialsError",
    "OCRError",
    "PollingTimeoutError",
    "RateLimitError",
    "RegionError",
    "ResponseFormatError",
    "TaskError",
    "TaskFailedError",
    "TaskNotFoundError",
    "TemplateFileError",
    "TransportError",
    "UnknownOperationError",
    "after_retries",
    "failure_reason",
    "gave_up_retrying",
]


class OCRError(Exception):
    """Base class of every error raised by ocr_notebook.

    Attributes:
        message: One line saying what went wrong and what to do next.
        task_id: The task concerned, when there is one.
        status: The last task status seen (a string such as ``"Pending"``), if any.
        http_status: The HTTP status code of the response concerned, if any.
        messages: The service's own error messages, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        task_id: str | None = None,
        status: str | None = None,
        http_status: int | None = None,
        messages: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.task_id = task_id
        self.status = status
        self.http_status = http_status
        self.messages: tuple[str, ...] = tuple(messages)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        parts = [repr(self.message)]
        for name in ("task_id", "status", "http_status"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only context must survive pickling (multiprocessing, nbclient).
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(cls: type[OCRError], message: str, state: dict[str, object]) -> OCRError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class InvalidTaskIdError(OCRError, ValueError):
    """A task id is not a GUID (nor the TTS form of one); no request was sent."""


class MissingCredentialsError(OCRError, ValueError):
    """Neither a bearer token nor a client id and secret were given or found."""


class InsecureTransportError(OCRError, ValueError):
    """Credentials would be sent over plain HTTP to a host that is not loopback."""


class UnknownOperationError(OCRError, ValueError):
    """An ``api`` name that is not a v5 operation with a GET by id; no request was sent."""


class ImageInputError(OCRError, ValueError):
    """An image cannot be used as given: not an image, truncated, too big, or no page chosen."""


class RegionError(OCRError, ValueError):
    """A rectangle cannot be submitted: zero area, outside the image, or too many of them."""


class TemplateFileError(OCRError, ValueError):
    """A region template file is malformed, has the wrong shape, or is from a newer version."""


class _AfterRetries:
    """What a poll that gave up after retrying records on the failure that ended it.

    Attributes:
        attempts: Requests made before the poll gave up (None: one request, not a poll).
        elapsed: Seconds from the first of those attempts to giving up.
        deadline: The poll's deadline in seconds, when it cut the retries short.
    """

    attempts: int | None = None
    elapsed: float | None = None
    deadline: float | None = None


class TransportError(OCRError, _AfterRetries):
    """The request did not get an HTTP answer: connection refused or dropped, DNS, timeout.

    Attributes:
        url: The service's base URL (what ``base_url`` is set to), when known.
        reason: A few words for a badge: "connection refused", "name not resolved", ...
        detail: The transport's own words (e.g. ``ConnectError: [Errno 111] Connection
            refused``), when known.
        attempts, elapsed, deadline: see :class:`_AfterRetries` (a poll that gave up).
    """

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        reason: str | None = None,
        detail: str | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.url = url
        self.reason = reason
        self.detail = detail


class HTTPStatusError(OCRError, _AfterRetries):
    """The service answered with an HTTP status this client does not expect.

    Attributes:
        retry_after: Seconds the service asked us to wait (``Retry-After``), when it said.
        url: The service's base URL, when known.
        attempts, elapsed, deadline: see :class:`_AfterRetries` (a poll that gave up on a
            429 or 5xx).
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        url: str | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after
        self.url = url


class AuthenticationError(HTTPStatusError):
    """The credentials or the token were refused."""


class RateLimitError(HTTPStatusError):
    """The service answered 429 Too Many Requests; ``retry_after`` says how long to wait."""


class LoginLockoutError(AuthenticationError, RateLimitError):
    """The token endpoint locked these credentials out after repeated failed logins (429).

    The service counts failed token requests per client id + secret pair and refuses the pair
    for ``retry_after`` seconds (10 minutes) after 5 of them. Not worth retrying sooner:
    fix the credentials, or wait.
    """


class ResponseFormatError(OCRError):
    """A response body is not what the v5 API defines (not JSON, bad Base64, wrong shape)."""


class TaskError(OCRError):
    """The task ended in a state that yields no result.

    Attributes:
        result: The response that ended the task (its status, messages and raw JSON).
    """

    def __init__(self, message: str, *, result: OCRResult | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.result = result


class TaskFailedError(TaskError):
    """The task ended with ``taskStatus: Error``; ``messages`` holds the service's reasons."""


class TaskNotFoundError(TaskError):
    """The service answered ``NotExist``: an unknown id, or a result past its 24-hour retention."""


class PollingTimeoutError(OCRError, TimeoutError):
    """The task did not reach a terminal status before the deadline.

    The task goes on on the service: call ``wait`` again with the same ``task_id``.

    Attributes:
        elapsed: Seconds spent polling.
        polls: Number of status requests made.
    """

    def __init__(
        self, message: str, *, elapsed: float = 0.0, polls: int = 0, **kwargs: object
    ) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.elapsed = elapsed
        self.polls = polls


class FetchCancelledError(OCRError):
    """Polling was stopped by the user (Cancel, or a kernel interrupt)."""


_HTTP_REASONS = {
    429: "rate limited",
    500: "server error",
    502: "bad gateway",
    503: "service unavailable",
    504: "gateway timeout",
}


def failure_reason(error: OCRError) -> str:
    """Why a request failed, in a few words a badge shows beside the attempts.

    For example ``connection refused`` or ``service unavailable (HTTP 503)``.
    """
    if isinstance(error, TransportError):
        return error.reason or "no answer"
    if error.http_status is not None:
        words = _HTTP_REASONS.get(error.http_status, "answered")
        return f"{words} (HTTP {error.http_status})"
    return type(error).__name__


_Retried = TypeVar("_Retried", bound="TransportError | HTTPStatusError")


def gave_up_retrying(error: BaseException) -> bool:
    """Whether ``error`` ended a poll after retries: no usable answer from the service."""
    return isinstance(error, _AfterRetries) and error.attempts is not None


def after_retries(
    error: _Retried,
    *,
    attempts: int,
    elapsed: float,
    deadline: float | None = None,
    status: str | None = None,
    task_id: str | None = None,
) -> _Retried:
    """A copy of ``error`` saying how many attempts were made, over how long, and why they stopped.

    Args:
        error: The last transient failure (connection, DNS, timeout, 429, 5xx).
        attempts: Requests made since the first.
        elapsed: Seconds since the first.
        deadline: The deadline in seconds, when it stopped the retries (None: the retries
            ran out).
        status: The last task status the service answered, if it ever did.
        task_id: The task polled (kept when the error already names one: a token
            request's failure does not).
    """
    out = copy.copy(error)  # __reduce__ keeps every context field
    out.attempts = attempts
    out.elapsed = elapsed
    out.deadline = deadline
    if status is not None and out.status is None:
        out.status = status
    if task_id is not None and out.task_id is None:
        out.task_id = task_id
    tries = f"{attempts} attempt{'s' if attempts != 1 else ''} over {elapsed:.1f} s"
    if deadline is not None:
        why = f"Stopped at the {deadline:g} s deadline after {tries}"
    else:
        why = f"Gave up after {tries}"
    out.message = f"{error.message.rstrip()} {why}."
    out.args = (out.message,)
    return out
