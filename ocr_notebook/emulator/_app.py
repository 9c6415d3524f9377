"""The ASGI application: a small hand-written router over :class:`Service`.

Paths match case-insensitively, as the ASP.NET service routes them. Every failure is an HTTP
answer (400/401/404/405/413/500); nothing a client sends stops the server.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import unquote

from ._http import (
    JSON,
    PROBLEM,
    TEXT,
    Receive,
    Reply,
    Scope,
    Send,
    basic_credentials,
    form_fields,
    header,
    problem_reply,
    read_body,
    send_reply,
    task_id_param,
)
from ._legacy import LegacyRoute, legacy_route
from ._logins import pair_key
from ._operations import Operation, find_operation
from ._requests import BadRequest, parse_job
from ._responses import problem, token_error, token_reply
from ._service import Service

__all__ = ["EmulatorApp"]

_log = logging.getLogger("ocr_notebook.emulator")

_PREFIX = "/v5.0/ocr/"
# Read at call time, so a test can lower it.
_MAX_BODY = 128 * 1024 * 1024  # a generous page scan in Base64; refuses unbounded uploads
_OFFLOAD_BODY = 256 * 1024  # JSON bigger than this is parsed off the event loop


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
            reply = problem_reply(
                500, "The emulator failed on this request.", scope.get("path", "")
            )
        await send_reply(send, reply)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _route(self, scope: Scope, receive: Receive) -> Reply:
        raw_path: str = scope["path"]
        path = unquote(raw_path).rstrip("/").lower()
        method: str = scope["method"]
        if path == "/connect/token":
            if method != "POST":
                return problem_reply(405, "Use POST for /connect/token.", raw_path)
            return await self._token(scope, receive)
        if not path.startswith(_PREFIX):
            return problem_reply(404, f"No such endpoint: {raw_path[:100]}", raw_path)
        name = path[len(_PREFIX) :]
        if name == "utilities/gettaskstatus":
            if method != "GET":
                return problem_reply(405, "Use GET for Utilities/GetTaskStatus.", raw_path)
            return await self._get(scope, None, with_results=False)
        operation = find_operation(name)
        if operation is None:
            legacy = legacy_route(name)
            if legacy is not None:
                return await self._legacy(scope, receive, legacy)
            return problem_reply(404, f"No such endpoint: {raw_path[:100]}", raw_path)
        if method == "POST":
            return await self._post(scope, receive, operation)
        if method in ("GET", "DELETE"):
            return await (
                self._get(scope, operation) if method == "GET" else self._delete(scope, operation)
            )
        return problem_reply(405, f"{operation.name} accepts POST, GET and DELETE.", raw_path)

    async def _legacy(self, scope: Scope, receive: Receive, route: LegacyRoute) -> Reply:
        if scope["method"] != route.method:
            return problem_reply(
                405, f"This deprecated endpoint takes {route.method}.", scope["path"]
            )
        body = await read_body(receive, _MAX_BODY) if route.method == "POST" else b""
        denied = self._unauthorized(scope, None)
        if denied is not None:
            return denied
        if body is None:
            return problem_reply(
                413, "The upload is larger than the emulator accepts.", scope["path"]
            )
        return await route.handler(self.service, scope, body)

    def _unauthorized(self, scope: Scope, operation: Operation | None) -> Reply | None:
        """A 401 reply if the request needs a bearer token and lacks a valid one."""
        if operation is not None and operation.trial:
            return None
        value = header(scope, b"authorization")
        path = scope["path"]
        if value is None or value[:7].lower() != b"bearer ":
            return Reply(
                401,
                problem(401, "Send 'Authorization: Bearer <token>' from /connect/token.", path),
                PROBLEM,
                ((b"www-authenticate", b"Bearer"),),
            )
        if not self.service.tokens.is_valid(value[7:].strip().decode("latin-1")):
            return Reply(
                401,
                problem(401, "The bearer token is invalid or expired; get a new one.", path),
                PROBLEM,
                ((b"www-authenticate", b'Bearer error="invalid_token"'),),
            )
        return None

    async def _token(self, scope: Scope, receive: Receive) -> Reply:
        body = await read_body(receive, _MAX_BODY)
        if body is None:
            return problem_reply(413, "The token request is too large.", scope["path"])
        fields = form_fields(header(scope, b"content-type") or b"", body)
        credentials = basic_credentials(scope) or (
            fields.get("client_id", ""),
            fields.get("client_secret", ""),
        )
        no_store = ((b"cache-control", b"no-store"), (b"pragma", b"no-cache"))
        if fields.get("grant_type") != "client_credentials":
            return Reply(
                400,
                token_error("unsupported_grant_type", "Send grant_type=client_credentials."),
                JSON,
                no_store,
            )
        # Only failed logins count, per credential pair: a locked-out pair is refused even
        # if it were right, and any other pair (the right one included) is not affected.
        logins = self.service.logins
        pair = pair_key(*credentials)
        wait = logins.retry_after(pair)
        if wait is not None:
            return Reply(
                429,
                token_error(
                    "invalid_client",
                    f"Too many failed requests with these credentials; retry after {wait} s.",
                ),
                JSON,
                (*no_store, (b"retry-after", str(wait).encode("ascii"))),
            )
        if not self.service.tokens.check_credentials(*credentials):
            logins.failed(pair)
            return Reply(
                400,
                token_error("invalid_client", "Unknown client id or wrong client secret."),
                JSON,
                no_store,
            )
        tokens = self.service.tokens
        return Reply(200, token_reply(tokens.issue(), tokens.ttl), JSON, no_store)

    async def _post(self, scope: Scope, receive: Receive, operation: Operation) -> Reply:
        # Read the body even when refusing, so the connection stays usable for the next request.
        body = await read_body(receive, _MAX_BODY)
        denied = self._unauthorized(scope, operation)
        if denied is not None:
            return denied
        if body is None:
            return problem_reply(
                413, "The upload is larger than the emulator accepts.", scope["path"]
            )
        try:
            if len(body) > _OFFLOAD_BODY:
                loop = asyncio.get_running_loop()
                job = await loop.run_in_executor(None, parse_job, operation, body)
            else:
                job = parse_job(operation, body)
        except BadRequest as exc:
            return problem_reply(400, exc.message, scope["path"], errors={exc.field: [exc.message]})
        return Reply(200, self.service.submit(job).encode("utf-8"), TEXT)

    async def _get(
        self, scope: Scope, operation: Operation | None, *, with_results: bool = True
    ) -> Reply:
        denied = self._unauthorized(scope, operation)
        if denied is not None:
            return denied
        task_id = task_id_param(scope)
        if task_id is None:
            message = "The id query parameter is required: ?id=<task id>."
            return problem_reply(400, message, scope["path"], errors={"id": [message]})
        return Reply(200, await self.service.answer(task_id, with_results=with_results), JSON)

    async def _delete(self, scope: Scope, operation: Operation) -> Reply:
        denied = self._unauthorized(scope, operation)
        if denied is not None:
            return denied
        task_id = task_id_param(scope)
        if task_id is None:
            message = "The id query parameter is required: ?id=<task id>."
            return problem_reply(400, message, scope["path"], errors={"id": [message]})
        self.service.cancel(task_id)
        return Reply(200)
