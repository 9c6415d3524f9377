"""OAuth2 client credentials for the v5 API as one ``httpx.Auth`` flow.

The decisions (attach the cached token, ask for a new one when it is about to expire,
renew once and retry after a 401) live in one generator, :meth:`TokenAuth._flow`, shared
by the sync and async clients. The generator yields either a request for httpx to send
or :class:`_NeedToken`; the two thin drivers (:meth:`TokenAuth.sync_auth_flow`,
:meth:`TokenAuth.async_auth_flow`) answer the latter under their own kind of lock, so
that only one refresh runs at a time, whether callers are threads or asyncio tasks.

Secrets (client secret, tokens) never reach a ``repr``, an exception message or a log
line: httpx masks ``Authorization`` in header reprs, and every message here is built from
fields that hold no secret.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

from ..results.errors import (
    AuthenticationError,
    HTTPStatusError,
    InsecureTransportError,
    LoginLockoutError,
    ResponseFormatError,
)
from ..wire.urls import is_loopback_host

__all__ = ["TokenAuth", "parse_retry_after", "refresh_margin"]

# Renew this long before expiry: a tenth of the lifetime, at most a minute. A request
# that starts just before expiry must not arrive just after it.
_MAX_MARGIN = 60.0


def refresh_margin(expires_in: float) -> float:
    """Seconds before expiry at which a token of lifetime ``expires_in`` is renewed."""
    return max(0.0, min(_MAX_MARGIN, expires_in / 10.0))


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date).

    Args:
        value: The header value, or None.
        now: The current wall-clock time (``time.time()``) for HTTP dates.

    Returns:
        A non-negative number of seconds, or None when absent or unreadable.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


@dataclass(frozen=True)
class _Token:
    value: str
    renew_at: float  # monotonic time after which we ask for a new one (inf: until a 401)

    def __repr__(self) -> str:  # the value is a secret
        return f"_Token(renew_at={self.renew_at!r})"


@dataclass(frozen=True)
class _NeedToken:
    """Step of the shared flow: obtain a token that is not ``stale`` (under the driver's lock)."""

    stale: str | None


_Step = httpx.Request | _NeedToken


class TokenAuth(httpx.Auth):
    """Bearer-token auth for the Aspose Cloud token endpoint (``POST /connect/token``).

    Args:
        token_url: ``{base_url}/connect/token``.
        client_id: OAuth client id (None when only a fixed ``token`` is used).
        client_secret: OAuth client secret.
        token: A bearer token obtained elsewhere; used until the service refuses it.
        allow_insecure_http: Permit credentials over plain HTTP to a non-loopback host.
        clock: Monotonic clock in seconds (injected by tests).
    """

    def __init__(
        self,
        token_url: str,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        token: str | None = None,
        allow_insecure_http: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._allow_insecure_http = allow_insecure_http
        self._clock = clock
        # One immutable object swapped atomically, so readers never see a half update.
        self._token: _Token | None = _Token(token, float("inf")) if token else None
        self._thread_lock = threading.Lock()
        self._async_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self.token_requests = 0  # how many times we asked the token endpoint (tests, benchmarks)

    def __repr__(self) -> str:
        kind = "client credentials" if self.can_refresh else "fixed token"
        return f"<TokenAuth {kind} client_id={self._client_id!r}>"

    @property
    def can_refresh(self) -> bool:
        """Whether a new token can be requested (client id and secret known)."""
        return bool(self._client_id and self._client_secret)

    def secret_values(self) -> tuple[str, ...]:
        """The secrets this auth holds, so callers can scrub them from server text."""
        current = self._token
        values = (self._client_secret, current.value if current else None)
        return tuple(v for v in values if v)

    # -- the shared flow ------------------------------------------------------------------

    def _flow(self, request: httpx.Request) -> Generator[_Step, httpx.Response | None, None]:
        self._check_transport(request.url)
        token = self._usable_token()
        if token is None:
            yield _NeedToken(stale=None)
            token = self._current_value()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response is not None and response.status_code == 401 and self.can_refresh:
            # The token may have been revoked or the server restarted: renew once, retry once.
            yield _NeedToken(stale=token)
            request.headers["Authorization"] = f"Bearer {self._current_value()}"
            yield request

    def _refresh(
        self, stale: str | None, template: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        # Runs under the driver's lock. Another caller may have renewed while we waited.
        current = self._token
        if current is not None and current.value != stale and self._clock() < current.renew_at:
            return
        if not self.can_refresh:
            raise AuthenticationError(
                "The bearer token was refused and no client credentials are set to renew it; "
                "pass a fresh token= or client_id=/client_secret=."
            )
        self._check_transport(httpx.URL(self._token_url))
        started = self._clock()
        self.token_requests += 1
        response = yield httpx.Request(
            "POST",
            self._token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self._client_id or "",
                "client_secret": self._client_secret or "",
            },
            headers={"Accept": "application/json"},
            # Same timeout as the request that needed the token.
            extensions={k: v for k, v in template.extensions.items() if k == "timeout"},
        )
        self._token = self._parse_token_response(response, started)

    def _parse_token_response(self, response: httpx.Response, started: float) -> _Token:
        status = response.status_code
        if status != 200:
            detail = _oauth_error(response)
            hint = f" ({detail})" if detail else ""
            if status == 429:
                # Only failed logins are rate-limited there: this is a lockout, not load.
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                wait = f"{retry_after:.0f} s" if retry_after is not None else "a while"
                raise LoginLockoutError(
                    f"The token endpoint locked out client id {self._client_id!r} after "
                    f"repeated failed logins (HTTP 429){hint}; fix ASPOSE_OCR_CLIENT_ID / "
                    f"ASPOSE_OCR_CLIENT_SECRET, then try again in {wait}.",
                    http_status=status,
                    retry_after=retry_after,
                )
            if status in (400, 401, 403):
                raise AuthenticationError(
                    f"The token endpoint refused the client credentials (HTTP {status}){hint}; "
                    f"check client id {self._client_id!r} and its secret "
                    "(ASPOSE_OCR_CLIENT_ID / ASPOSE_OCR_CLIENT_SECRET); 5 failed logins "
                    "lock them out for 10 minutes.",
                    http_status=status,
                )
            raise HTTPStatusError(
                f"The token endpoint answered HTTP {status}{hint}; try again later.",
                http_status=status,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                url=self._token_url,
            )
        try:
            payload = response.json()
        except ValueError:
            payload = None
        value = payload.get("access_token") if isinstance(payload, dict) else None
        if not isinstance(value, str) or not value:
            raise ResponseFormatError(
                "The token endpoint's answer has no access_token; is base_url an Aspose Cloud API?",
                http_status=status,
            )
        expires_in = _number(payload.get("expires_in")) if isinstance(payload, dict) else None
        if expires_in is None:
            renew_at = float("inf")  # unknown lifetime: keep it until a 401
        else:
            renew_at = started + expires_in - refresh_margin(expires_in)
        return _Token(value, renew_at)

    # -- state helpers ----------------------------------------------------------------------

    def _usable_token(self) -> str | None:
        current = self._token
        if current is None or self._clock() >= current.renew_at:
            return None
        return current.value

    def _current_value(self) -> str:
        current = self._token
        if current is None:  # pragma: no cover - _refresh either sets it or raises
            raise AuthenticationError("No bearer token was obtained.")
        return current.value

    def _check_transport(self, url: httpx.URL) -> None:
        if (
            url.scheme == "http"
            and not self._allow_insecure_http
            and not is_loopback_host(url.host)
        ):
            raise InsecureTransportError(
                f"Refusing to send credentials over plain HTTP to {url.host}; use https:// "
                "(or allow_insecure_http=True if you really mean it)."
            )

    def _async_lock(self) -> asyncio.Lock:
        # asyncio locks belong to one event loop; keep one per (live) loop.
        loop = asyncio.get_running_loop()
        lock = self._async_locks.get(loop)
        if lock is None:
            with self._thread_lock:
                lock = self._async_locks.setdefault(loop, asyncio.Lock())
        return lock

    # -- drivers ----------------------------------------------------------------------------

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """Drive the shared flow for ``httpx.Client`` (a thread lock around refreshes)."""
        flow = self._flow(request)
        reply: httpx.Response | None = None
        while True:
            try:
                step = flow.send(reply)
            except StopIteration:
                return
            if isinstance(step, _NeedToken):
                # Holding a thread lock across `yield` is safe here: httpx drives this
                # generator to completion (or closes it) on the calling thread.
                with self._thread_lock:
                    refresh = self._refresh(step.stale, request)
                    answer: httpx.Response | None = None
                    while True:
                        try:
                            token_request = refresh.send(answer)  # type: ignore[arg-type]
                        except StopIteration:
                            break
                        answer = yield token_request
                        answer.read()
                reply = None
            else:
                reply = yield step

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Drive the shared flow for ``httpx.AsyncClient`` (an asyncio lock around refreshes)."""
        flow = self._flow(request)
        reply: httpx.Response | None = None
        while True:
            try:
                step = flow.send(reply)
            except StopIteration:
                return
            if isinstance(step, _NeedToken):
                async with self._async_lock():
                    refresh = self._refresh(step.stale, request)
                    answer: httpx.Response | None = None
                    while True:
                        try:
                            token_request = refresh.send(answer)  # type: ignore[arg-type]
                        except StopIteration:
                            break
                        answer = yield token_request
                        await answer.aread()
                reply = None
            else:
                reply = yield step


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _oauth_error(response: httpx.Response) -> str:
    """The RFC 6749 ``error`` code of a refusal, if the body has one (never echoes the body)."""
    try:
        payload = response.json()
    except ValueError:
        return ""
    if isinstance(payload, dict):
        code = payload.get("error")
        if isinstance(code, str) and code.replace("_", "").isalnum() and len(code) <= 40:
            return code
    return ""
