"""The ASGI application: a small hand-written router over :class:`Service`.

Paths match case-insensitively, as the ASP.NET service routes them. Every failure is an HTTP
answer (400/401/404/405/413/500); nothing a client sends stops the server.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl, unquote, unquote_plus

from ._operations import Operation, find_operation
from ._requests import BadRequest, parse_job
from ._responses import problem, token_error, token_reply
from ._service import Service

__all__ = ["EmulatorApp"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_log = logging.getLogger("ocr_notebook.emulator")

_PREFIX = "/v5.0/ocr/"
_JSON = b"application/json; charset=utf-8"
_PROBLEM = b"application/problem+json; charset=utf-8"
_TEXT = b"text/plain; charset=utf-8"
_MAX_BODY = 128 * 1024 * 1024  # a generous page scan in Base64; refuses unbounded uploads
_OFFLOAD_BODY = 256 * 1024  # JSON bigger than this is parsed off the event loop


class _Reply:
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


def _problem(status: int, detail: str, path: str, **extra: Any) -> _Reply:
    return _Reply(status, problem(status, detail, path, **extra), _PROBLEM)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _task_id(scope: Scope) -> str | None:
    query: bytes = scope.get("query_string", b"")
    # Fast path for the common `id=<guid>`; otherwise a full parse (names match case-insensitively).
    if query[:3] == b"id=" and b"&" not in query and b"%" not in query and b"+" not in query:
        return query[3:].decode("latin-1")
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if name.lower() == "id":
            return value
    return None


async def _read_body(receive: Receive) -> bytes | None:
    """The request body, or None if it is larger than the emulator accepts."""
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > _MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _form_fields(content_type: bytes, body: bytes) -> dict[str, str]:
    ctype = content_type.decode("latin-1")
    if ctype.lower().startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type + b"\r\n\r\n" + body
        )
        fields: dict[str, str] = {}
        if message.is_multipart():
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if isinstance(name, str) and isinstance(payload, bytes):
                    fields[name] = payload.decode("utf-8", "replace")
        return fields
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _basic_credentials(scope: Scope) -> tuple[str, str] | None:
    header = _header(scope, b"authorization")
    if header is None or header[:6].lower() != b"basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")
    client_id, _, secret = decoded.partition(":")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before joining.
    return unquote_plus(client_id), unquote_plus(secret)


class EmulatorApp:
    """ASGI 3 application serving the Aspose.OCR Cloud v5 API from a :class:`Service`."""

    def __init__(self, service: Service) -> None:
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            reply = await self._route(scope, receive)
        except Exception:  # a bug must cost one request, not the server
            _log.exception("emulator failed on %s %s", scope.get("method"), scope.get("path"))
            reply = _problem(500, "The emulator failed on this request.", scope.get("path", ""))
        headers = [(b"content-length", str(len(reply.body)).encode("ascii"))]
        if reply.content_type is not None:
            headers.append((b"content-type", reply.content_type))
        headers.extend(reply.headers)
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send({"type": "http.response.body", "body": reply.body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _route(self, scope: Scope, receive: Receive) -> _Reply:
        raw_path: str = scope["path"]
        path = unquote(raw_path).rstrip("/").lower()
        method: str = scope["method"]
        if path == "/connect/token":
            if method != "POST":
                return _problem(405, "Use POST for /connect/token.", raw_path)
            return await self._token(scope, receive)
        if not path.startswith(_PREFIX):
            return _problem(404, f"No such endpoint: {raw_path[:100]}", raw_path)
        name = path[len(_PREFIX) :]
        if name == "utilities/gettaskstatus":
            if method != "GET":
                return _problem(405, "Use GET for Utilities/GetTaskStatus.", raw_path)
            return await self._get(scope, None, with_results=False)
        operation = find_operation(name)
        if operation is None:
            return _problem(404, f"No such endpoint: {raw_path[:100]}", raw_path)
        if method == "POST":
            return await self._post(scope, receive, operation)
        if method in ("GET", "DELETE"):
            return await (
                self._get(scope, operation) if method == "GET" else self._delete(scope, operation)
            )
        return _problem(405, f"{operation.name} accepts POST, GET and DELETE.", raw_path)

    def _unauthorized(self, scope: Scope, operation: Operation | None) -> _Reply | None:
        """A 401 reply if the request needs a bearer token and lacks a valid one."""
        if operation is not None and operation.trial:
            return None
        header = _header(scope, b"authorization")
        path = scope["path"]
        if header is None or header[:7].lower() != b"bearer ":
            return _Reply(
                401,
                problem(401, "Send 'Authorization: Bearer <token>' from /connect/token.", path),
                _PROBLEM,
                ((b"www-authenticate", b"Bearer"),),
            )
        if not self.service.tokens.is_valid(header[7:].strip().decode("latin-1")):
            return _Reply(
                401,
                problem(401, "The bearer token is invalid or expired; get a new one.", path),
                _PROBLEM,
                ((b"www-authenticate", b'Bearer error="invalid_token"'),),
            )
        return None

    async def _token(self, scope: Scope, receive: Receive) -> _Reply:
        body = await _read_body(receive)
        if body is None:
            return _problem(413, "The token request is too large.", scope["path"])
        fields = _form_fields(_header(scope, b"content-type") or b"", body)
        credentials = _basic_credentials(scope) or (
            fields.get("client_id", ""),
            fields.get("client_secret", ""),
        )
        no_store = ((b"cache-control", b"no-store"), (b"pragma", b"no-cache"))
        if fields.get("grant_type") != "client_credentials":
            return _Reply(
                400,
                token_error("unsupported_grant_type", "Send grant_type=client_credentials."),
                _JSON,
                no_store,
            )
        if not self.service.tokens.check_credentials(*credentials):
            return _Reply(
                400,
                token_error("invalid_client", "Unknown client id or wrong client secret."),
                _JSON,
                no_store,
            )
        tokens = self.service.tokens
        return _Reply(200, token_reply(tokens.issue(), tokens.ttl), _JSON, no_store)

    async def _post(self, scope: Scope, receive: Receive, operation: Operation) -> _Reply:
        # Read the body even when refusing, so the connection stays usable for the next request.
        body = await _read_body(receive)
        denied = self._unauthorized(scope, operation)
        if denied is not None:
            return denied
        if body is None:
            return _problem(413, "The upload is larger than the emulator accepts.", scope["path"])
        try:
            if len(body) > _OFFLOAD_BODY:
                loop = asyncio.get_running_loop()
                job = await loop.run_in_executor(None, parse_job, operation, body)
            else:
                job = parse_job(operation, body)
        except BadRequest as exc:
            return _problem(400, exc.message, scope["path"], errors={exc.field: [exc.message]})
        return _Reply(200, self.service.submit(job).encode("utf-8"), _TEXT)

    async def _get(
        self, scope: Scope, operation: Operation | None, *, with_results: bool = True
    ) -> _Reply:
        denied = self._unauthorized(scope, operation)
        if denied is not None:
            return denied
        task_id = _task_id(scope)
        if task_id is None:
            message = "The id query parameter is required: ?id=<task id>."
            return _problem(400, message, scope["path"], errors={"id": [message]})
        return _Reply(200, await self.service.answer(task_id, with_results=with_results), _JSON)

    async def _delete(self, scope: Scope, operation: Operation) -> _Reply:
        denied = self._unauthorized(scope, operation)
        if denied is not None:
            return denied
        task_id = _task_id(scope)
        if task_id is None:
            message = "The id query parameter is required: ?id=<task id>."
            return _problem(400, message, scope["path"], errors={"id": [message]})
        self.service.cancel(task_id)
        return _Reply(200)
