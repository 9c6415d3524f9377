"""Helpers for the client tests: a fake clock, and one driver API over both clients.

A scenario is written once against :class:`Driver` (plain calls) and runs against
``OCRClient`` and ``AsyncOCRClient``: the async driver runs each call to completion on
its own event loop, so both clients face the same table of scenarios.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
from collections.abc import Callable
from typing import Any

import httpx

from ocr_notebook import AsyncOCRClient, OCRClient, PollPolicy
from tests.support.clock import FakeClock

GUID = "b7162f77-bf10-407d-86de-ee255e422ca7"
# Deterministic polling: no jitter, and the plain 1.5x backoff the scenarios were written
# for (the default's latency cap is tested in test_polling.py).
NO_JITTER = PollPolicy(jitter=0.0, multiplier=1.5, latency_floor=math.inf)


class Driver:
    """Calls client methods by name, the same way for the sync and the async client."""

    kind = "sync"

    def __init__(self, client: OCRClient | AsyncOCRClient) -> None:
        self.client = client

    def __call__(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.client, method)(*args, **kwargs)

    def close(self) -> None:
        assert isinstance(self.client, OCRClient)
        self.client.close()


class AsyncDriver(Driver):
    kind = "async"

    def __init__(self, client: OCRClient | AsyncOCRClient) -> None:
        super().__init__(client)
        self.loop = asyncio.new_event_loop()

    def __call__(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.loop.run_until_complete(getattr(self.client, method)(*args, **kwargs))

    def close(self) -> None:
        assert isinstance(self.client, AsyncOCRClient)
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()


def make_driver(kind: str, clock: FakeClock | None = None, **kwargs: Any) -> Driver:
    """A driver over a new client of ``kind`` ("sync" or "async").

    With ``clock``, polling sleeps on it (no real waiting) and token expiry reads it.
    """
    kwargs.setdefault("poll_policy", NO_JITTER)
    if kind == "sync":
        if clock is not None:
            kwargs.update(sleep=clock.sleep, clock=clock)
        return Driver(OCRClient(**kwargs))
    if clock is not None:
        kwargs.update(sleep=clock.asleep, clock=clock)
    return AsyncDriver(AsyncOCRClient(**kwargs))


def ocr_response(
    task_id: str = GUID,
    status: str = "Completed",
    texts: tuple[str, ...] = (),
    messages: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """An OCRResponse JSON object as the service sends it."""
    code = {"Completed": "Ok", "Error": "Error", "NotExist": "TaskNotFound"}.get(status, "NotReady")
    return {
        "id": task_id,
        "taskStatus": status,
        "responseStatusCode": code,
        "results": [{"type": "Text", "data": base64.b64encode(t.encode()).decode()} for t in texts]
        or None,
        "error": None if messages is None else {"messages": list(messages), "warnings": []},
    }


class FakeService:
    """A scripted v5 service for ``httpx.MockTransport``: faults real servers cannot be made
    to produce on demand (429, 5xx, dropped connections, token refusals).

    ``script`` answers API requests in order (the last answer repeats): a dict is an
    OCRResponse, an int a bare status, a ``(status, headers)`` pair a status with headers,
    an exception class is raised as a transport failure.
    """

    def __init__(
        self,
        script: list[Any] | None = None,
        *,
        token: str = "tok",
        expires_in: int = 3600,
        token_status: int = 200,
    ) -> None:
        self.script = list(script or [ocr_response(texts=("hello",))])
        self.tokens_issued = 0
        self.token_prefix = token
        self.expires_in = expires_in
        self.token_status = token_status
        self.requests: list[httpx.Request] = []
        self.api_requests: list[httpx.Request] = []
        self.token_forms: list[dict[str, str]] = []
        self.reject_tokens: set[str] = set()
        # Headers as sent: a retried request is the same object with a new Authorization.
        self.authorizations: list[str | None] = []

    def current_token(self) -> str:
        return f"{self.token_prefix}-{self.tokens_issued}"

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/connect/token":
            self.token_forms.append(dict(httpx.QueryParams(request.content.decode())))
            if self.token_status != 200:
                return httpx.Response(
                    self.token_status,
                    json={"error": "invalid_client"},
                    headers={"Retry-After": "600"} if self.token_status == 429 else {},
                )
            self.tokens_issued += 1
            return httpx.Response(
                200,
                json={
                    "access_token": self.current_token(),
                    "expires_in": self.expires_in,
                    "token_type": "Bearer",
                },
            )
        self.api_requests.append(request)
        self.authorizations.append(request.headers.get("Authorization"))
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if bearer in self.reject_tokens:
            return httpx.Response(401, json={"title": "Unauthorized", "status": 401})
        step = self.script[min(len(self.api_requests) - 1, len(self.script) - 1)]
        if isinstance(step, type) and issubclass(step, Exception):
            raise step("scripted failure", request=request)  # type: ignore[call-arg]
        if isinstance(step, int):
            return httpx.Response(step, json={"title": f"status {step}"})
        if isinstance(step, tuple):
            status, headers = step
            if isinstance(status, dict):
                return httpx.Response(200, json=status, headers=headers)
            return httpx.Response(status, headers=headers, json={"title": "scripted"})
        if isinstance(step, str):
            return httpx.Response(200, text=step, headers={"Content-Type": "text/plain"})
        return httpx.Response(
            200,
            content=json.dumps(step).encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
        )


def mock_driver(
    kind: str,
    service: FakeService,
    clock: FakeClock | None = None,
    **kwargs: Any,
) -> Driver:
    """A driver whose client talks to ``service`` through ``httpx.MockTransport``."""
    kwargs.setdefault("base_url", "https://ocr.example.test")
    if "token" not in kwargs:
        kwargs.setdefault("client_id", "mock-id")
        kwargs.setdefault("client_secret", "mock-s3cret-value")
    handler: Callable[[httpx.Request], httpx.Response] = service.handler
    return make_driver(kind, clock, transport=httpx.MockTransport(handler), **kwargs)
