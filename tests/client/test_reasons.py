"""``transport_reason``: httpx's exceptions (and the OS errors under them) in a few words."""

from __future__ import annotations

import socket

import httpx
import pytest

from ocr_notebook.client.reasons import transport_reason


def _caused(outer: httpx.HTTPError, cause: BaseException) -> httpx.HTTPError:
    outer.__cause__ = cause
    return outer


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), "connection refused"),
        # anyio (async) hides the errno behind a generic line; the cause keeps it.
        (
            _caused(
                httpx.ConnectError("All connection attempts failed"),
                OSError("All connection attempts failed").with_traceback(None),
            ),
            "could not connect",
        ),
        (
            _caused(
                httpx.ConnectError("All connection attempts failed"),
                ConnectionRefusedError(111, "Connect call failed"),
            ),
            "connection refused",
        ),
        (
            _caused(
                httpx.ConnectError("[Errno -2] Name or service not known"),
                socket.gaierror(-2, "Name or service not known"),
            ),
            "name not resolved",
        ),
        (
            httpx.ConnectError("[Errno -3] Temporary failure in name resolution"),
            "name not resolved",
        ),
        (httpx.ConnectError("[Errno 101] Network is unreachable"), "network unreachable"),
        (httpx.ConnectError("[Errno 113] No route to host"), "no route to host"),
        (
            httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
            "TLS handshake failed",
        ),
        (httpx.ConnectTimeout("timed out"), "connect timed out"),
        (httpx.ReadTimeout("timed out"), "timed out"),
        (httpx.ProxyError("407 Proxy Authentication Required"), "proxy failed"),
        (
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            "connection dropped",
        ),
        (
            httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body"
            ),
            "answer cut short",
        ),
        (httpx.ReadError("[Errno 104] Connection reset by peer"), "connection reset"),
        (httpx.WriteError("broken pipe"), "connection dropped"),
        (httpx.UnsupportedProtocol("Request URL has an unsupported protocol"), "no answer"),
    ],
    ids=lambda value: value if isinstance(value, str) else type(value).__name__,
)
def test_transport_reason(exc: httpx.HTTPError, words: str) -> None:
    assert transport_reason(exc) == words
