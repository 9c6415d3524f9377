"""HTTP plumbing shared by the routes: replies, headers, query, bodies, form and multipart."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, MutableMapping
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from ._responses import problem

__all__ = [
    "JSON",
    "PROBLEM",
    "TEXT",
    "Message",
    "Receive",
    "Reply",
    "Scope",
    "Send",
    "basic_credentials",
    "form_fields",
    "header",
    "multipart_files",
    "problem_reply",
    "read_body",
    "send_reply",
    "task_id_param",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

JSON = b"application/json; charset=utf-8"
PROBLEM = b"application/problem+json; charset=utf-8"
TEXT = b"text/plain; charset=utf-8"


class Reply:
    """A whole HTTP answer: status, body, content type and extra headers."""

    __slots__ = ("body", "content_type", "headers", "status")

    def __init__(
        self,
        status: int,
        body: bytes = b"",
        content_type: bytes | None = None,
        headers: tuple[tuple[bytes, bytes], ...] = (),
    ) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers


def problem_reply(status: int, detail: str, path: str, **extra: Any) -> Reply:
    """A ProblemDetails reply."""
    return Reply(status, problem(status, detail, path, **extra), PROBLEM)


async def send_reply(send: Send, reply: Reply) -> None:
    """Send ``reply`` as one ASGI response: Content-Length first, then its type and headers."""
    headers = [(b"content-length", str(len(reply.body)).encode("ascii"))]
    if reply.content_type is not None:
        headers.append((b"content-type", reply.content_type))
    headers.extend(reply.headers)
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})


def header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of a request header (``name`` in lower case)."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def task_id_param(scope: Scope) -> str | None:
    """The ``id`` query parameter (name matched case-insensitively), or None."""
    query: bytes = scope.get("query_string", b"")
    # Fast path for the common `id=<guid>`; otherwise a full parse (names match case-insensitively).
    if query[:3] == b"id=" and b"&" not in query and b"%" not in query and b"+" not in query:
        return query[3:].decode("latin-1")
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if name.lower() == "id":
            return value
    return None


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None if it is longer than ``limit`` bytes."""
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def form_fields(content_type: bytes, body: bytes) -> dict[str, str]:
    """Fields of a form-urlencoded or multipart/form-data body, as text."""
    if content_type.lower().startswith(b"multipart/form-data"):
        parts = multipart_files(content_type, body)
        return {name: data.decode("utf-8", "replace") for name, data in parts.items()}
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def multipart_files(content_type: bytes, body: bytes) -> dict[str, bytes]:
    """The parts of a multipart/form-data body by field name, as bytes (empty if malformed)."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type + b"\r\n\r\n" + body
    )
    parts: dict[str, bytes] = {}
    if message.is_multipart():
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes):
                parts[name] = payload
    return parts


def basic_credentials(scope: Scope) -> tuple[str, str] | None:
    """Client credentials from ``Authorization: Basic``, or None without that header."""
    value = header(scope, b"authorization")
    if value is None or value[:6].lower() != b"basic ":
        return None
    try:
        decoded = base64.b64decode(value[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")
    client_id, _, secret = decoded.partition(":")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before joining.
    return unquote_plus(client_id), unquote_plus(secret)
