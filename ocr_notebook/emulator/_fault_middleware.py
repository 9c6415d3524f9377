"""The ASGI middleware that applies a :class:`FaultPlan` to the emulator's answers.

``_fault_plan`` decides which request goes wrong and how; this module makes it happen on
the wire: an injected status, a dropped or truncated connection, a stall, a damaged body.
"""

from __future__ import annotations

import asyncio
import http
import json
import threading
from collections.abc import Awaitable, Callable

from ._fault_plan import OCR_BODY_FAULTS, FaultPlan, FaultRule
from ._http import PROBLEM, Message, Receive, Reply, Scope, Send, header, send_reply

__all__ = ["FaultInjector"]

ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_MAX_STALL = 120.0  # seconds; a stall never outlives this, whatever the plan says
_STALL_STEP = 0.02  # how often a stall checks whether the server is stopping
_HTML = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1><p>upstream hiccup</p></body></html>"


def _bearer(scope: Scope) -> str | None:
    value = header(scope, b"authorization")
    if value is None or value[:7].lower() != b"bearer ":
        return None
    return value[7:].strip().decode("latin-1")


def _problem(status: int, detail: str, path: str) -> bytes:
    # A generic body, as a proxy in front of the service would send: not the app's own.
    try:
        title = http.HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": path,
    }
    return json.dumps(body).encode("utf-8")


def _seconds_header(seconds: float) -> bytes:
    # Whole seconds as HTTP says, unless a test asked for less than one.
    text = str(int(seconds)) if seconds == int(seconds) else f"{seconds:.3f}".rstrip("0")
    return text.encode("ascii")


class _Captured:
    """The inner app's answer, held back so a fault can rewrite it."""

    def __init__(self) -> None:
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = b""

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            self.headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", ())]
        elif message["type"] == "http.response.body":
            self.body += bytes(message.get("body", b""))

    def content_type(self) -> bytes:
        for key, value in self.headers:
            if key.lower() == b"content-type":
                return value
        return b""


def _rewrite_ocr_body(fault: str, body: bytes) -> bytes | None:
    """The OCRResponse ``body`` damaged by ``fault``, or None if it is not an OCRResponse."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict) or "taskStatus" not in payload:
        return None
    if fault == "missing-fields":
        for name in ("taskStatus", "responseStatusCode", "results"):
            payload.pop(name, None)
    elif fault == "unknown-status":
        payload["taskStatus"] = "Hibernating"
    elif fault == "unknown-code":
        payload["responseStatusCode"] = "QuotaWobble"
    elif fault == "bad-base64":
        results = payload.get("results")
        if not results:
            return None
        for item in results:
            item["data"] = "!!not*base64%%"
    return json.dumps(payload).encode("utf-8")


async def _close_connection(send: Send) -> bool:
    """Close the client's connection under the ASGI app (uvicorn's h11/httptools cycles).

    ASGI has no message for "hang up", so this reaches the transport that uvicorn's
    request cycle keeps; returns False when the server is not one that has it.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(transport, "close"):
        return False
    transport.close()
    # connection_lost runs on a later loop turn and marks the cycle disconnected, so the
    # server neither sends its own 500 nor logs an incomplete response.
    for _ in range(5):
        if getattr(cycle, "disconnected", True):
            break
        await asyncio.sleep(0)
    return True


class _HangUp(Exception):
    """Raised when the connection cannot be closed directly: the server drops it instead."""


class FaultInjector:
    """ASGI middleware applying a :class:`FaultPlan` (swappable at run time) to ``app``.

    Args:
        app: The ASGI app to wrap.
        plan: The plan, or None to pass every request through untouched.
    """

    def __init__(self, app: ASGIApp, plan: FaultPlan | None = None) -> None:
        self.app = app
        self.plan = plan
        self._closing = threading.Event()

    def arm(self) -> None:
        """Let stalls run their full length (the server is starting)."""
        self._closing.clear()

    def release(self) -> None:
        """End every stall now and any later one at once (the server is stopping)."""
        self._closing.set()

    async def pause(self, seconds: float) -> None:
        """Sleep ``seconds`` (capped at 120), returning early once :meth:`release` is called."""
        remaining = min(seconds, _MAX_STALL)
        while remaining > 0 and not self._closing.is_set():
            step = min(_STALL_STEP, remaining)
            await asyncio.sleep(step)
            remaining -= step

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        plan = self.plan
        if plan is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        path: str = scope["path"]
        token = _bearer(scope)
        if token is not None and plan.is_revoked(token):
            await self._answer(send, 401, _problem(401, "The token has expired.", path), True)
            return
        rule = plan.choose(method, path, scope.get("query_string", b""))
        if rule is None:
            await self.app(scope, receive, send)
            return
        await self._apply(plan, rule, scope, receive, send, token)

    async def _answer(
        self,
        send: Send,
        status: int,
        body: bytes,
        invalid_token: bool = False,
        extra: tuple[tuple[bytes, bytes], ...] = (),
    ) -> None:
        if invalid_token:
            extra = (*extra, (b"www-authenticate", b'Bearer error="invalid_token"'))
        await send_reply(send, Reply(status, body, PROBLEM, extra))

    async def _apply(
        self,
        plan: FaultPlan,
        rule: FaultRule,
        scope: Scope,
        receive: Receive,
        send: Send,
        token: str | None,
    ) -> None:
        fault, method, path = rule.fault, scope["method"], scope["path"]
        status = rule.status
        if status is not None:
            plan.record(rule, method, path)
            extra: tuple[tuple[bytes, bytes], ...] = ()
            if status in (429, 503):
                extra = ((b"retry-after", _seconds_header(rule.retry_after)),)
            detail = "Injected fault"
            await self._answer(send, status, _problem(status, detail, path), extra=extra)
            return
        if fault == "expired-token":
            if token is None:  # nothing to expire (token endpoint, trial operations)
                await self.app(scope, receive, send)
                return
            plan.revoke(token)
            plan.record(rule, method, path)
            body = _problem(401, "The bearer token is invalid or expired; get a new one.", path)
            await self._answer(send, 401, body, invalid_token=True)
            return
        if fault == "drop":
            plan.record(rule, method, path)
            if not await _close_connection(send):
                raise _HangUp("injected fault: drop")
            return
        if fault == "stall":
            # Stalling before it is served: whoever sees the fault counted sees it stalling.
            plan.stall_begins(1)
            plan.record(rule, method, path)
            try:
                await self.pause(rule.stall)
            finally:
                plan.stall_begins(-1)
            await self.app(scope, receive, send)
            return
        captured = _Captured()
        await self.app(scope, receive, captured.send)
        body, ctype = captured.body, captured.content_type()
        if fault in OCR_BODY_FAULTS:
            damaged = _rewrite_ocr_body(fault, body) if captured.status == 200 else None
            if damaged is None:  # not an OCRResponse: pass it through, uncounted
                await self._replay(send, captured.status, captured.headers, body)
                return
            body = damaged
        elif fault == "cut-json":
            body = body[: len(body) // 2]
        elif fault == "not-json":
            body, ctype = _HTML, b"text/html; charset=utf-8"
        elif fault == "wrong-type":
            ctype = b"text/html; charset=utf-8"
        plan.record(rule, method, path)
        headers = [(k, v) for k, v in captured.headers if k.lower() != b"content-type"]
        headers.append((b"content-type", ctype))
        if fault == "truncate":
            await self._truncated(send, captured.status, headers, body)
            return
        await self._replay(send, captured.status, headers, body)

    async def _replay(
        self, send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        kept = tuple((k, v) for k, v in headers if k.lower() != b"content-length")
        await send_reply(send, Reply(status, body, None, kept))

    async def _truncated(
        self, send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        # Promise the whole body, send half of it, hang up.
        fixed = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        fixed.insert(0, (b"content-length", str(len(body) + 1).encode("ascii")))
        await send({"type": "http.response.start", "status": status, "headers": fixed})
        await send(
            {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
        )
        if not await _close_connection(send):
            raise _HangUp("injected fault: truncate")
