"""Hostile input: bad task ids stop before any request (client, magic, widget), and the
emulator survives malformed requests with 4xx answers.

Requests are counted on the emulator with an empty ``FaultPlan`` (it sees every request and
faults none): "rejected before any request" means that count stays 0, token request included.
``tests/test_emulator_requests.py`` covers bad JSON bodies, unknown paths and methods, and a
GET without an id; this file adds raw garbage on the socket, oversized bodies and headers.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import httpx
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from ocr_notebook import (
    AsyncOCRClient,
    InvalidTaskIdError,
    OCRClient,
    OCRFetchWidget,
)
from ocr_notebook.emulator import Emulator, FaultPlan
from ocr_notebook.notebook.magics import OCRMagics
from tests.support.credentials import TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.support.emulator import GUID_UNKNOWN
from tests.support.faults import check_line, task
from tests.support.notebook import configured_magics, record_comms, run_error

GUID = "b7162f77-bf10-407d-86de-ee255e422ca7"
BAD_IDS = {
    "empty": "",
    "whitespace": " \t ",
    "not-a-guid": "not-a-guid",
    "short-guid": GUID[:-1],
    "path-traversal": "../../etc/passwd",
    "guid-then-traversal": f"{GUID}/../../connect/token",
    "query-injection": f"{GUID}&id=00000000-0000-0000-0000-000000000000",
    "fragment": f"{GUID}#frag",
    "question-mark": f"{GUID}?x=1",
    "header-injection": f"{GUID}\r\nX-Injected: 1",
    "newline-between": f"{GUID}\n{GUID}",
    "percent-encoded": "b7162f77%2Dbf10-407d-86de-ee255e422ca7",
    "unicode-digits": GUID.replace("7", "\u0667"),  # Arabic-Indic seven: \d would take it
    "nul": f"{GUID}\x00",
    "very-long": "a" * 100_000,
    "markup": "<script>alert(1)</script>",
}


@pytest.fixture
def counted(emulator: Emulator) -> Iterator[FaultPlan]:
    plan = FaultPlan()
    emulator.faults = plan
    yield plan
    emulator.faults = None


def _client(emulator: Emulator) -> OCRClient:
    return OCRClient(emulator.base_url, client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET)


def _check_message(message: str) -> None:
    check_line(message)
    assert "\x00" not in message and "\r" not in message
    assert "a" * 100 not in message  # a pasted document is not echoed back


@pytest.mark.parametrize("bad", BAD_IDS.values(), ids=BAD_IDS.keys())
def test_sync_client_rejects_before_any_request(
    emulator: Emulator, counted: FaultPlan, bad: str
) -> None:
    with _client(emulator) as client:
        for call in (
            lambda: client.get_result(bad),
            lambda: client.wait(bad),
            lambda: client.get_status(bad),
            lambda: client.cancel(bad),
            lambda: client.poller(bad),
        ):
            with pytest.raises(InvalidTaskIdError) as info:
                call()
            _check_message(str(info.value))
        (slot,) = client.fetch_many([bad])
        assert isinstance(slot, InvalidTaskIdError)
    assert counted.requests == 0


@pytest.mark.parametrize("bad", BAD_IDS.values(), ids=BAD_IDS.keys())
def test_async_client_rejects_before_any_request(
    emulator: Emulator, counted: FaultPlan, bad: str
) -> None:
    async def scenario() -> None:
        async with AsyncOCRClient(
            emulator.base_url, client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET
        ) as client:
            for make in (
                lambda: client.get_result(bad),
                lambda: client.wait(bad),
                lambda: client.get_status(bad),
                lambda: client.cancel(bad),
            ):
                with pytest.raises(InvalidTaskIdError):
                    await make()
            (slot,) = await client.fetch_many([bad])
            assert isinstance(slot, InvalidTaskIdError)

    asyncio.run(scenario())
    assert counted.requests == 0


def test_a_valid_id_among_bad_ones_is_still_fetched(emulator: Emulator, counted: FaultPlan) -> None:
    tid = task(emulator)
    with _client(emulator) as client:
        slots = client.fetch_many(["../x", tid, ""])
    assert isinstance(slots[0], InvalidTaskIdError) and isinstance(slots[2], InvalidTaskIdError)
    assert getattr(slots[1], "id", None) == tid
    assert counted.requests == 2  # the token and one GET


# -- the magic ---------------------------------------------------------------------------------


@pytest.fixture
def magics(
    shell: InteractiveShell, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[OCRMagics]:
    attributes = {"base_url": emulator.base_url, "badge": "text"}
    with configured_magics(shell, monkeypatch, attributes=attributes) as instance:
        yield instance


# For the magic and the widget, whitespace (newlines too) separates ids: two valid ids on
# two lines are two tasks, not an attack. An empty line is "no task id" (tested below).
SEPARATED = {k: v for k, v in BAD_IDS.items() if k != "newline-between"}
MAGIC_IDS = {k: v for k, v in SEPARATED.items() if v.strip()}
# IPython expands $variables in every magic line with a regex that is quadratic in the
# line's length (1.2 s for 10,000 characters, minutes for 100,000) before any magic runs;
# a shorter "very long" id keeps this about our code.
MAGIC_IDS["very-long"] = "a" * 3_000


@pytest.mark.parametrize("bad", MAGIC_IDS.values(), ids=MAGIC_IDS.keys())
@pytest.mark.parametrize("flags", ["", "--no-wait", "--background"])
def test_magic_rejects_before_any_request(
    shell: InteractiveShell, magics: OCRMagics, counted: FaultPlan, bad: str, flags: str
) -> None:
    # run_line_magic, as a cell could not hold a newline or NUL inside a line magic.
    with pytest.raises(UsageError) as info:
        shell.run_line_magic("ocr_fetch", f"{GUID_UNKNOWN} {bad} {flags}")
    _check_message(str(info.value))
    assert "task id" in str(info.value).lower() or "No task id" in str(info.value)
    assert counted.requests == 0


def test_magic_without_an_id_is_one_line(
    shell: InteractiveShell, magics: OCRMagics, counted: FaultPlan
) -> None:
    error = run_error(shell, "%ocr_fetch   ")
    assert isinstance(error, UsageError) and "No task id given" in str(error)
    assert counted.requests == 0


# -- the widget ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", SEPARATED.values(), ids=SEPARATED.keys())
def test_widget_rejects_before_any_request(
    emulator: Emulator, counted: FaultPlan, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    record_comms(monkeypatch)

    async def scenario() -> OCRFetchWidget:
        async with AsyncOCRClient(
            emulator.base_url, client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET
        ) as client:
            widget = OCRFetchWidget(client=client)
            widget.ids.value = f"{GUID} {bad}" if bad.strip() else bad
            widget.fetch_button.click()
            assert not widget.running
            return widget

    widget = asyncio.run(scenario())
    assert widget.error is not None
    _check_message(widget.error)
    assert widget.result is None and widget.badge is None
    assert widget.output.outputs[-1]["name"] == "stderr"
    assert counted.requests == 0


# -- the emulator under malformed requests --------------------------------------------------------


RAW_REQUESTS = {
    "binary-garbage": b"\x00\x01\x02\xff garbage\r\n\r\n",
    "header-without-colon": b"GET /v5.0/ocr/RecognizeRegions?id=x HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n",
    "space-in-header-name": b"GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n",
    "negative-content-length": b"POST /connect/token HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n",
    "text-content-length": b"POST /connect/token HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n",
    "smuggling-cl-and-te": (
        b"POST /connect/token HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    ),
    "bad-http-version": b"GET / HTTP/9.9\r\nHost: a\r\n\r\n",
    "control-bytes-in-auth": (
        b"GET /v5.0/ocr/RecognizeRegions?id=x HTTP/1.1\r\nHost: a\r\n"
        b"Authorization: Bearer \xff\xfe\x00\r\n\r\n"
    ),
    "garbage-basic-auth": (
        b"POST /connect/token HTTP/1.1\r\nHost: a\r\nAuthorization: Basic !!!\r\n"
        b"Content-Length: 0\r\n\r\n"
    ),
    "bytes-in-path": b"GET /v5.0/ocr/\xff\xfe?id=\xff HTTP/1.1\r\nHost: a\r\n\r\n",
    "multipart-without-boundary": (
        b"POST /connect/token HTTP/1.1\r\nHost: a\r\nContent-Type: multipart/form-data\r\n"
        b"Content-Length: 5\r\n\r\nhello"
    ),
    "oversized-header": b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n",
    "oversized-url": b"GET /v5.0/ocr/RecognizeRegions?id="
    + b"a" * 60_000
    + b" HTTP/1.1\r\nHost: a\r\n\r\n",
}


def _raw(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(payload)
        return sock.recv(200)


def _still_serving(emulator: Emulator, http: httpx.Client) -> None:
    answer = http.get("/v5.0/ocr/RecognizeRegions", params={"id": GUID_UNKNOWN})
    assert answer.json()["taskStatus"] == "NotExist"
    assert emulator.running


@pytest.mark.parametrize("payload", RAW_REQUESTS.values(), ids=RAW_REQUESTS.keys())
def test_garbage_on_the_socket_is_4xx_and_the_emulator_stays_up(
    emulator: Emulator, emulator_http: httpx.Client, payload: bytes
) -> None:
    status_line = _raw(emulator.port, payload).split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 4"), status_line
    _still_serving(emulator, emulator_http)


def test_bodies_over_the_limit_are_413(
    emulator: Emulator, emulator_http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ocr_notebook.emulator import _app

    monkeypatch.setattr(_app, "_MAX_BODY", 64 * 1024)  # the stated limit, made small to test
    big = b'{"image": "' + b"A" * (200 * 1024) + b'"}'
    for path in ("/v5.0/ocr/RecognizeRegions", "/connect/token"):
        answer = emulator_http.post(path, content=big, headers={"Content-Type": "application/json"})
        assert answer.status_code == 413
        assert answer.json()["status"] == 413
    _still_serving(emulator, emulator_http)
    assert _app._MAX_BODY == 64 * 1024 and len(big) > _app._MAX_BODY


def test_a_body_on_get_and_a_wrong_content_type_are_harmless(
    emulator: Emulator, emulator_http: httpx.Client
) -> None:
    got = emulator_http.request(
        "GET",
        "/v5.0/ocr/RecognizeRegions",
        params={"id": GUID_UNKNOWN},
        content=b"\x00" * 1000,
        headers={"Content-Type": "image/png"},
    )
    assert got.status_code == 200
    posted = emulator_http.post(
        "/v5.0/ocr/RecognizeRegions", content=b"\x89PNG", headers={"Content-Type": "image/png"}
    )
    assert posted.status_code == 400
    _still_serving(emulator, emulator_http)
