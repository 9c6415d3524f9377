"""What the emulator served, counted, and its rate limit: the outermost ASGI middleware.

Load tests and benchmarks ask the server, not the client, how many tasks were submitted,
polled or refused: ``Emulator.counts``. ``Emulator(rate_limit=R)`` answers 429 with
``Retry-After`` to a client sending more than R requests a second (a token bucket holding
one second of requests), as a throttling service would.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ._http import PROBLEM, Message, Receive, Reply, Scope, Send, header, read_body, send_reply
from ._operations import endpoint_name
from ._responses import problem
from ._store import Clock
from ._tokens import TokenIssuer

__all__ = ["RateLimiter", "RequestCounts", "Traffic"]

ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_DRAIN_LIMIT = 128 * 1024 * 1024  # a refused upload is read (and dropped) up to this size
_NAMES_CACHED = 256  # distinct request paths whose endpoint name is remembered


@dataclass(frozen=True)
class RequestCounts:
    """What the emulator answered, by method, endpoint and HTTP status (a snapshot).

    Endpoints are named as the spec spells operations (``RecognizeRegions``), plus
    ``GetTaskStatus``, ``token`` (``/connect/token``) and ``other``. Status 0 counts
    requests that got no answer (a dropped connection, from a fault plan).

    Attributes:
        answered: ``(method, endpoint, status) -> requests``.

    Example:
        >>> counts = emulator.counts  # doctest: +SKIP
        >>> counts.submissions("RecognizeRegions"), counts.gets, counts.throttled  # doctest: +SKIP
        (1000, 2000, 0)
    """

    answered: Mapping[tuple[str, str, int], int] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def count(
        self, method: str | None = None, endpoint: str | None = None, status: int | None = None
    ) -> int:
        """Requests matching every criterion given (None matches anything)."""
        return sum(
            number
            for (m, e, s), number in self.answered.items()
            if (method is None or m == method)
            and (endpoint is None or e == endpoint)
            and (status is None or s == status)
        )

    def submissions(self, operation: str | None = None) -> int:
        """POSTs answered with a task id, of ``operation`` or of every operation.

        Each one made a task, which the service bills.
        """
        return sum(
            number
            for (m, e, s), number in self.answered.items()
            if m == "POST"
            and s == 200
            and e not in ("token", "other")
            and (operation is None or e == operation)
        )

    @property
    def posts(self) -> int:
        """POSTs to the operations, whatever they were answered (token requests aside)."""
        return sum(n for (m, e, _), n in self.answered.items() if m == "POST" and e != "token")

    @property
    def gets(self) -> int:
        """GETs: polls of results and ``GetTaskStatus``, whatever they were answered."""
        return self.count(method="GET")

    @property
    def throttled(self) -> int:
        """Requests answered 429 (the rate limit, the login lockout or a fault plan)."""
        return self.count(status=429)

    @property
    def total(self) -> int:
        """Every request answered (or dropped)."""
        return sum(self.answered.values())


class RateLimiter:
    """At most ``limit`` requests a second per key: a token bucket holding one second's worth.

    Args:
        limit: Requests a second per key; None lets everything through.
        clock: The emulator's clock (a fake one makes the limit deterministic in tests).
    """

    def __init__(self, limit: float | None, clock: Clock) -> None:
        self._limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)

    @property
    def limit(self) -> float | None:
        """Requests a second per key, or None (no limit)."""
        return self._limit

    @limit.setter
    def limit(self, value: float | None) -> None:
        with self._lock:
            self._limit = value
            if value is None:
                self._buckets.clear()

    def admit(self, key: str) -> float | None:
        """None if a request of ``key`` may pass now (and count it), else seconds to wait."""
        with self._lock:
            limit = self._limit
            if limit is None:
                return None
            now = self._clock()
            capacity = max(1.0, limit)
            tokens, last = self._buckets.get(key, (capacity, now))
            # A lowered limit takes effect at once: a bucket never holds more than it allows.
            tokens = min(capacity, tokens + max(0.0, now - last) * limit)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return None
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / limit


def _retry_after(seconds: float) -> bytes:
    # Whole seconds when the wait is that long; otherwise milliseconds, rounded up, so a
    # client that waits as told finds a request's worth in the bucket.
    if seconds >= 1.0:
        return str(math.ceil(seconds)).encode("ascii")
    return f"{max(0.001, math.ceil(seconds * 1000) / 1000):.3f}".encode("ascii")


class _StatusSpy:
    """Wraps ``send`` to note the response status.

    The fault middleware reaches uvicorn's request cycle through ``send.__self__`` (to hang
    up); attributes this wrapper does not have are read from that cycle, so the wrapped
    ``send`` still leads there.
    """

    __slots__ = ("_send", "status")

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status = 0

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
        await self._send(message)

    def __getattr__(self, name: str) -> Any:
        return getattr(getattr(self._send, "__self__", None), name)


class Traffic:
    """ASGI middleware: counts every answer and applies the rate limit before ``app``.

    The limit applies per client: per client id for requests with a valid bearer token,
    per remote address for the others (trial operations). ``/connect/token`` has its own
    limit (failed logins) and is not rate-limited here.

    Args:
        app: The ASGI app to wrap (the fault injector around the emulator's app).
        tokens: The token issuer, to tell valid bearer tokens.
        limiter: The rate limit.
    """

    def __init__(self, app: ASGIApp, tokens: TokenIssuer, limiter: RateLimiter) -> None:
        self.app = app
        self.tokens = tokens
        self.limiter = limiter
        self._lock = threading.Lock()
        self._answered: Counter[tuple[str, str, int]] = Counter()
        self._names: dict[str, str] = {}

    def counts(self) -> RequestCounts:
        """A snapshot of what was answered so far."""
        with self._lock:
            return RequestCounts(MappingProxyType(dict(self._answered)))

    def reset(self) -> None:
        """Forget the counts."""
        with self._lock:
            self._answered.clear()

    def _endpoint(self, path: str) -> str:
        name = self._names.get(path)
        if name is None:
            name = endpoint_name(path)
            if len(self._names) < _NAMES_CACHED:
                self._names[path] = name
        return name

    def _client_key(self, scope: Scope) -> str:
        value = header(scope, b"authorization")
        if value is not None and value[:7].lower() == b"bearer ":
            token = value[7:].strip().decode("latin-1")
            if self.tokens.is_valid(token):
                return "client:" + self.tokens.client_id
        client = scope.get("client")
        return "address:" + (str(client[0]) if client else "unknown")

    def _count(self, method: str, endpoint: str, status: int) -> None:
        with self._lock:
            self._answered[(method, endpoint, status)] += 1

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        endpoint = self._endpoint(scope["path"])
        limit = self.limiter.limit
        if limit is not None and endpoint != "token":
            wait = self.limiter.admit(self._client_key(scope))
            if wait is not None:
                await self._refuse(scope, receive, send, wait, limit)
                self._count(method, endpoint, 429)
                return
        spy = _StatusSpy(send)
        try:
            await self.app(scope, receive, spy.send)
        finally:
            self._count(method, endpoint, spy.status)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, wait: float, limit: float
    ) -> None:
        if scope["method"] in ("POST", "PUT"):
            # Read the upload, so the connection stays usable for the client's retry.
            await read_body(receive, _DRAIN_LIMIT)
        detail = (
            f"Too many requests: this client may send {limit:g} requests a second; "
            f"retry after {_retry_after(wait).decode('ascii')} s."
        )
        headers = ((b"retry-after", _retry_after(wait)),)
        await send_reply(send, Reply(429, problem(429, detail, scope["path"]), PROBLEM, headers))
