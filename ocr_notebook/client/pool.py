"""Connection pools split into a few shards, so many requests in flight stay cheap.

httpcore's pool (under httpx 0.28) re-examines every connection it holds, and for each one
counts the idle ones again, whenever a request starts or ends: its work per request grows
with the square of the open connections. With the 16 requests ``fetch_many`` keeps in flight,
an ``httpx.AsyncClient`` on loopback fetched about half as fast as with 8 (raw httpx the
same; ``make bench``). These transports hand each request to the least busy of a few small
pools instead, so every pool keeps a few connections while the client as a whole keeps as
many as before. One request at a time always goes to the first pool, so a poll loop reuses
one connection, as with a single pool.
"""

from __future__ import annotations

import math
import ssl
import threading
from collections.abc import AsyncIterator, Callable, Iterator

import httpx

__all__ = ["SHARDS", "ShardedAsyncTransport", "ShardedTransport"]

#: Pools per client: 16 requests in flight then make four pools of four connections.
SHARDS = 4

# httpx's own defaults for one pool, shared out between the shards.
_MAX_CONNECTIONS = 100
_MAX_KEEPALIVE = 20


def _limits(shards: int) -> httpx.Limits:
    return httpx.Limits(
        max_connections=math.ceil(_MAX_CONNECTIONS / shards),
        max_keepalive_connections=math.ceil(_MAX_KEEPALIVE / shards),
    )


def _ssl_context(verify: bool | ssl.SSLContext) -> ssl.SSLContext:
    # One context for every shard: building one costs about as much as a whole client.
    if isinstance(verify, ssl.SSLContext):
        return verify
    return httpx.create_ssl_context(verify=verify)


class _Busy:
    """Requests in flight per shard; a request counts until its response is closed.

    Also closes the shards for :meth:`ShardedTransport.close` once nothing is in flight.
    """

    def __init__(self, shards: int) -> None:
        self.counts = [0] * shards
        self._lock = threading.Lock()  # the sync client's fetch_many sends from threads
        self._on_idle: Callable[[], None] | None = None

    def take(self) -> tuple[int, Callable[[], None]]:
        """The least busy shard (ties go to the first), counted busy until ``release()``."""
        with self._lock:
            counts = self.counts
            index = counts.index(min(counts))
            counts[index] += 1
        return index, self._release(index)

    def when_idle(self, action: Callable[[], None]) -> None:
        """Run ``action`` now if nothing is in flight, else when the last request ends."""
        with self._lock:
            busy = any(self.counts)
            if busy:
                self._on_idle = action
        if not busy:
            action()

    def _release(self, index: int) -> Callable[[], None]:
        done = False

        def release_once() -> None:
            nonlocal done
            action = None
            with self._lock:
                if not done:
                    done = True
                    self.counts[index] -= 1
                    if self._on_idle is not None and not any(self.counts):
                        action, self._on_idle = self._on_idle, None
            if action is not None:
                action()

        return release_once


def _with_stream(
    response: httpx.Response, stream: httpx.SyncByteStream | httpx.AsyncByteStream
) -> httpx.Response:
    """``response`` with its body read through ``stream`` (which frees the shard on close)."""
    return httpx.Response(
        response.status_code,
        headers=response.headers,
        stream=stream,
        extensions=response.extensions,
    )


class _ReleasingStream(httpx.SyncByteStream):
    def __init__(self, stream: httpx.SyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release = release

    def __iter__(self) -> Iterator[bytes]:
        yield from self._stream

    def close(self) -> None:
        try:
            self._stream.close()
        finally:
            self._release()


class _AsyncReleasingStream(httpx.AsyncByteStream):
    def __init__(self, stream: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            self._release()


class ShardedTransport(httpx.BaseTransport):
    """An ``httpx.HTTPTransport`` split into ``shards`` pools (see the module's docstring).

    Args:
        verify: TLS verification (on by default), or an ``ssl.SSLContext``.
        shards: How many pools.
    """

    def __init__(self, *, verify: bool | ssl.SSLContext = True, shards: int = SHARDS) -> None:
        context = _ssl_context(verify)
        limits = _limits(shards)
        self.shards = [httpx.HTTPTransport(verify=context, limits=limits) for _ in range(shards)]
        self._busy = _Busy(shards)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the least busy shard; its slot is freed when the body closes."""
        index, release = self._busy.take()
        try:
            response = self.shards[index].handle_request(request)
        except BaseException:
            release()
            raise
        assert isinstance(response.stream, httpx.SyncByteStream)
        return _with_stream(response, _ReleasingStream(response.stream, release))

    def close(self) -> None:
        """Close every pool once the requests in flight have ended.

        An interrupted fetch closes its client from another thread while a worker may be
        opening a connection: httpcore would close its pool under it and the socket opened
        just after would be left to the garbage collector. Requests still running end by
        themselves (a poll, or ``request_timeout``); the client refuses new ones at once.
        """
        self._busy.when_idle(self._close_shards)

    def _close_shards(self) -> None:
        for shard in self.shards:
            shard.close()


class ShardedAsyncTransport(httpx.AsyncBaseTransport):
    """An ``httpx.AsyncHTTPTransport`` split into ``shards`` pools (see the module's docstring).

    Args:
        verify: TLS verification (on by default), or an ``ssl.SSLContext``.
        shards: How many pools.
    """

    def __init__(self, *, verify: bool | ssl.SSLContext = True, shards: int = SHARDS) -> None:
        context = _ssl_context(verify)
        limits = _limits(shards)
        self.shards = [
            httpx.AsyncHTTPTransport(verify=context, limits=limits) for _ in range(shards)
        ]
        self._busy = _Busy(shards)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the least busy shard; its slot is freed when the body closes."""
        index, release = self._busy.take()
        try:
            response = await self.shards[index].handle_async_request(request)
        except BaseException:
            release()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return _with_stream(response, _AsyncReleasingStream(response.stream, release))

    async def aclose(self) -> None:
        """Close every shard's connections."""
        for shard in self.shards:
            await shard.aclose()
