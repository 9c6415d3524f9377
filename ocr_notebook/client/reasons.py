"""Why a request got no HTTP answer, in a few words a badge can show. Pure, no I/O.

httpx says it with an exception class and the operating system's text ("[Errno 111]
Connection refused", "[Errno -2] Name or service not known"); a person watching a badge
needs "connection refused" or "name not resolved", which point at the fix (the port, the
host name, the network) without reading a traceback.
"""

from __future__ import annotations

import socket

import httpx

__all__ = ["transport_reason"]

# Substrings of the resolver's messages on Linux (glibc), macOS and Windows: every
# getaddrinfo failure means the host name in base_url did not resolve (typo, no network).
_DNS = (
    "name or service not known",
    "temporary failure in name resolution",
    "nodename nor servname",
    "getaddrinfo failed",
    "no address associated with hostname",
    "name resolution",
    "[errno -2]",
    "[errno -3]",
    "[errno -5]",
    "[errno 11001]",
)
_CONNECT = (
    (("connection refused", "[errno 111]", "[errno 61]", "[winerror 10061]"), "connection refused"),
    (("network is unreachable", "[errno 101]"), "network unreachable"),
    (("no route to host", "[errno 113]"), "no route to host"),
    (("certificate", "ssl", "tls"), "TLS handshake failed"),
)


def transport_reason(exc: httpx.HTTPError) -> str:
    """A few words for ``exc``: "connection refused", "name not resolved", "timed out", ...

    Args:
        exc: What httpx raised instead of giving a response.
    """
    chain = _chain(exc)
    text = " | ".join(str(link) for link in chain).lower()
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect timed out"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ProxyError):
        return "proxy failed"
    if isinstance(exc, httpx.ConnectError):
        if any(isinstance(link, socket.gaierror) for link in chain):
            return "name not resolved"
        if any(isinstance(link, ConnectionRefusedError) for link in chain):
            return "connection refused"
        if any(marker in text for marker in _DNS):
            return "name not resolved"
        for markers, words in _CONNECT:
            if any(marker in text for marker in markers):
                return words
        return "could not connect"
    if isinstance(exc, httpx.RemoteProtocolError):
        if "complete message body" in text or "incomplete" in text:
            return "answer cut short"
        return "connection dropped"
    if isinstance(exc, (httpx.ReadError, httpx.WriteError)):
        return "connection reset" if "reset" in text else "connection dropped"
    return "no answer"


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and its causes, outermost first.

    Under asyncio, anyio says only "All connection attempts failed" and keeps the operating
    system's error (refused, unresolved) as a cause.
    """
    links: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(links) < 8 and current not in links:
        links.append(current)
        current = current.__cause__ or current.__context__
    return links
