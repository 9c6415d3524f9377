"""Response bodies exactly as the wire has them: OCRResponse, token replies, ProblemDetails."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from ._store import Outcome

__all__ = [
    "not_exist",
    "ocr_response",
    "outcome_response",
    "problem",
    "token_error",
    "token_reply",
]

_PROBLEM_TYPES = {
    400: "https://tools.ietf.org/html/rfc9110#section-15.5.1",
    401: "https://tools.ietf.org/html/rfc9110#section-15.5.2",
    404: "https://tools.ietf.org/html/rfc9110#section-15.5.5",
    405: "https://tools.ietf.org/html/rfc9110#section-15.5.6",
    413: "https://tools.ietf.org/html/rfc9110#section-15.5.14",
    429: "https://tools.ietf.org/html/rfc6585#section-4",
    500: "https://tools.ietf.org/html/rfc9110#section-15.6.1",
}
_TITLES = {
    400: "One or more validation errors occurred.",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "An error occurred while processing your request.",
}


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def ocr_response(
    task_id: str | None,
    status: str,
    code: str,
    results: Sequence[tuple[str, bytes]] | None,
    messages: Sequence[str] = (),
    warnings: Sequence[str] = (),
) -> bytes:
    """An OCRResponse (or TTSResponse: same shape) with exactly its five keys.

    ``error`` is null when there is nothing to say, else both lists are present.
    """
    error = (
        {"messages": list(messages), "warnings": list(warnings)} if messages or warnings else None
    )
    return _dump(
        {
            "id": task_id,
            "responseStatusCode": code,
            "taskStatus": status,
            "results": None
            if results is None
            else [
                {"type": kind, "data": base64.b64encode(data).decode("ascii")}
                for kind, data in results
            ],
            "error": error,
        }
    )


def outcome_response(task_id: str, outcome: Outcome, *, with_results: bool = True) -> bytes:
    """The response for a finished task; GetTaskStatus passes ``with_results=False``."""
    return ocr_response(
        task_id,
        outcome.status,
        outcome.code,
        outcome.results if with_results else None,
        outcome.messages,
        outcome.warnings,
    )


def not_exist(task_id: str) -> bytes:
    """The answer for an unknown, cancelled or expired id."""
    return ocr_response(task_id, "NotExist", "TaskNotFound", None)


def problem(status: int, detail: str, instance: str, **extra: Any) -> bytes:
    """An RFC 9457 ProblemDetails body as ASP.NET Core writes it."""
    body: dict[str, Any] = {
        "type": _PROBLEM_TYPES.get(status, "about:blank"),
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    body.update(extra)
    return _dump(body)


def token_reply(access_token: str, expires_in: float) -> bytes:
    """The OAuth2 client-credentials success body."""
    return _dump(
        {"access_token": access_token, "expires_in": int(expires_in), "token_type": "Bearer"}
    )


def token_error(error: str, description: str) -> bytes:
    """An RFC 6749 error body (``invalid_client``, ``unsupported_grant_type``, ...)."""
    return _dump({"error": error, "error_description": description})
