"""Faults a real server cannot be made to produce on demand, through ``httpx.MockTransport``.

429 with ``Retry-After``, 5xx, dropped connections, timeouts, non-JSON bodies, refused
tokens. One table of scenarios, run against both clients; a fake clock records every
delay, so nothing sleeps.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from ocr_notebook import (
    AuthenticationError,
    HTTPStatusError,
    InvalidTaskIdError,
    PollingTimeoutError,
    PollPolicy,
    RateLimitError,
    ResponseFormatError,
    TaskStatus,
    TransportError,
    UnknownOperationError,
)
from tests.support.client import GUID, Driver, FakeService, mock_driver, ocr_response
from tests.support.clock import FakeClock

PENDING = ocr_response(status="Pending")
DONE = ocr_response(texts=("done",))


@dataclass
class Case:
    name: str
    script: list[Any]
    act: Callable[[Driver], Any]
    check: Callable[[Any, FakeService, FakeClock], None]
    client: dict[str, Any] | None = None

    def __str__(self) -> str:
        return self.name


def wait(d: Driver) -> Any:
    return d("wait", GUID)


def outcome(d: Driver, act: Callable[[Driver], Any]) -> Any:
    try:
        return act(d)
    except Exception as exc:
        return exc


def expect_done(
    sleeps: list[float], api_requests: int
) -> Callable[[Any, FakeService, FakeClock], None]:
    def check(out: Any, svc: FakeService, clock: FakeClock) -> None:
        assert not isinstance(out, Exception), repr(out)
        assert out.text == "done"
        assert clock.sleeps == pytest.approx(sleeps)
        assert len(svc.api_requests) == api_requests

    return check


def expect_error(
    kind: type[Exception], api_requests: int, *, http_status: int | None = None, match: str = ""
) -> Callable[[Any, FakeService, FakeClock], None]:
    def check(out: Any, svc: FakeService, clock: FakeClock) -> None:
        assert isinstance(out, kind), repr(out)
        assert len(svc.api_requests) == api_requests
        if http_status is not None:
            assert getattr(out, "http_status", None) == http_status
        assert match in str(out)

    return check


def expect_ok(sent_id: str) -> Callable[[Any, FakeService, FakeClock], None]:
    def check(out: Any, svc: FakeService, clock: FakeClock) -> None:
        assert not isinstance(out, Exception), repr(out)
        assert [r.url.params["id"] for r in svc.api_requests] == [sent_id]

    return check


CASES = [
    Case(
        "429 Retry-After honoured", [(429, {"Retry-After": "3"}), DONE], wait, expect_done([3.0], 2)
    ),
    Case("503 retried with backoff", [503, 503, DONE], wait, expect_done([0.5, 1.0], 3)),
    Case(
        "503 Retry-After date past",
        [(503, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), DONE],
        wait,
        expect_done([0.5], 2),
    ),
    Case(
        "connect error retried",
        [httpx.ConnectError, httpx.ConnectError, DONE],
        wait,
        expect_done([0.5, 1.0], 3),
    ),
    Case("read timeout retried", [httpx.ReadTimeout, DONE], wait, expect_done([0.5], 2)),
    Case(
        "dropped connection retried",
        [httpx.RemoteProtocolError, PENDING, DONE],
        wait,
        expect_done([0.5, 0.3], 3),
    ),
    Case(
        "failures reset after an answer",
        [503, PENDING, 503, DONE],
        wait,
        expect_done([0.5, 0.3, 0.5], 4),
    ),
    Case(
        "Retry-After on a Pending answer",
        [(PENDING, {"Retry-After": "2"}), DONE],
        wait,
        expect_done([2.0], 2),
    ),
    Case(
        "5xx beyond max_retries raised",
        [500],
        wait,
        expect_error(HTTPStatusError, 6, http_status=500, match="HTTP 500"),
    ),
    Case(
        "transport failures beyond max_retries",
        [httpx.ConnectError],
        wait,
        expect_error(TransportError, 6, match="could not connect"),
    ),
    Case(
        "429 raised by get_result",
        [(429, {"Retry-After": "7"})],
        lambda d: d("get_result", GUID),
        expect_error(RateLimitError, 1, http_status=429, match="wait 7 s"),
    ),
    Case("400 is not retried", [400], wait, expect_error(HTTPStatusError, 1, http_status=400)),
    Case(
        "404 says to check base_url",
        [404],
        wait,
        expect_error(HTTPStatusError, 1, http_status=404, match="base_url"),
    ),
    Case(
        "403 is an authentication error",
        [403],
        wait,
        expect_error(AuthenticationError, 1, http_status=403),
    ),
    Case(
        "non-JSON 200 is a format error",
        ["<html>proxy login</html>"],
        wait,
        expect_error(ResponseFormatError, 1, match="not JSON"),
    ),
    Case(
        "bad Base64 is a format error",
        [{**DONE, "results": [{"type": "Text", "data": "%%%"}]}],
        wait,
        expect_error(ResponseFormatError, 1, match="Base64"),
    ),
    Case(
        "Retry-After beyond the deadline",
        [(PENDING, {"Retry-After": "60"})],
        lambda d: d("wait", GUID, timeout=10),
        expect_error(PollingTimeoutError, 1, match="asked to wait 60 s"),
    ),
    Case(
        # The service never said the task is unfinished: the last failure, not a timeout.
        "deadline inside a run of retries raises the last failure",
        [503],
        lambda d: d("wait", GUID, timeout=1.2),
        expect_error(
            HTTPStatusError,
            3,
            http_status=503,
            match="Stopped at the 1.2 s deadline after 3 attempts over 1.2 s.",
        ),
    ),
    Case(
        "malformed id sends nothing",
        [DONE],
        lambda d: d("wait", "1234"),
        expect_error(InvalidTaskIdError, 0),
    ),
    Case(
        "TTS-shaped id accepted",
        [DONE],
        lambda d: d("get_result", "TTS01232-9d40-4f2d-8eda-f1fc0b12bce6", "ConvertTextToSpeech"),
        expect_ok("TTS01232-9d40-4f2d-8eda-f1fc0b12bce6"),
    ),
    Case(
        "unknown api sends nothing",
        [DONE],
        lambda d: d("cancel", GUID, api="Recognise"),
        expect_error(UnknownOperationError, 0, match="RecognizeRegions, RecognizeImage"),
    ),
    Case(
        "whitespace around id is trimmed",
        [DONE],
        lambda d: d("get_result", f"  {GUID}\n"),
        expect_ok(GUID),
    ),
]


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_fault(case: Case, kind: str) -> None:
    service = FakeService(case.script)
    clock = FakeClock()
    driver = mock_driver(kind, service, clock, **(case.client or {}))
    try:
        result = outcome(driver, case.act)
    finally:
        driver.close()
    case.check(result, service, clock)
    if len(service.requests) == 0:
        assert service.tokens_issued == 0  # not even a token request


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_requests_on_the_wire(kind: str) -> None:
    """URL, case of the operation name, headers of GET / status / DELETE."""
    service = FakeService([DONE])
    driver = mock_driver(kind, service)
    try:
        driver("get_result", GUID, "djvu2pdf")
        driver("get_status", GUID)
        driver("cancel", GUID, "ConvertTextToSpeech")
    finally:
        driver.close()
    get, status, delete = service.api_requests
    assert str(get.url) == f"https://ocr.example.test/v5.0/ocr/DjVu2PDF?id={GUID}"
    assert get.method == "GET" and get.headers["Accept"] == "application/json"
    assert str(status.url) == f"https://ocr.example.test/v5.0/ocr/Utilities/GetTaskStatus?id={GUID}"
    assert delete.method == "DELETE"
    assert delete.url.path == "/v5.0/ocr/ConvertTextToSpeech"
    assert all(r.headers["Authorization"] == "Bearer tok-1" for r in service.api_requests)
    assert all(r.headers["User-Agent"].startswith("ocr_notebook/") for r in service.api_requests)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_jitter_spreads_delays_within_bounds(kind: str) -> None:
    service = FakeService([PENDING] * 8 + [DONE])
    clock = FakeClock()
    policy = PollPolicy(jitter=0.25, multiplier=1.5, latency_floor=math.inf)
    driver = mock_driver(kind, service, clock, poll_policy=policy)
    try:
        driver("wait", GUID)
    finally:
        driver.close()
    plain = [min(5.0, 0.2 * 1.5**i) for i in range(8)]
    assert len(clock.sleeps) == 8
    for got, base in zip(clock.sleeps, plain, strict=True):
        assert base * 0.75 <= got <= base * 1.25


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_fetch_many_keeps_other_results_when_one_fails(kind: str) -> None:
    other = "0f0f0f0f-0000-4000-8000-000000000000"

    class Split(FakeService):
        def handler(self, request: httpx.Request) -> httpx.Response:
            if request.url.params.get("id") == other:
                self.requests.append(request)
                return httpx.Response(500, json={"title": "boom"})
            return super().handler(request)

    service = Split([DONE])
    driver = mock_driver(
        kind, service, FakeClock(), poll_policy=PollPolicy(jitter=0, max_retries=1)
    )
    try:
        slots = driver("fetch_many", [GUID, other, GUID], concurrency=2)
    finally:
        driver.close()
    assert [type(s).__name__ for s in slots] == ["OCRResult", "HTTPStatusError", "OCRResult"]
    assert slots[0].status is TaskStatus.COMPLETED


def test_fetch_many_rejects_bad_arguments() -> None:
    driver = mock_driver("sync", FakeService())
    try:
        with pytest.raises(ValueError, match="concurrency"):
            driver("fetch_many", [GUID], concurrency=0)
        with pytest.raises(UnknownOperationError):
            driver("fetch_many", [GUID], api="Nope")
        assert driver("fetch_many", []) == []
    finally:
        driver.close()


class Interrupt(BaseException):
    """Stands in for KeyboardInterrupt (which pytest would treat as a real interrupt)."""


def test_interrupt_during_fetch_many_propagates() -> None:
    service = FakeService([PENDING])
    clock = FakeClock()
    d = mock_driver("sync", service, clock)
    ids = [f"{i:08x}-0000-4000-8000-000000000000" for i in range(6)]

    def on_status(event: object) -> None:
        if len(service.api_requests) >= 4:
            raise Interrupt

    try:
        with pytest.raises(Interrupt):
            d("fetch_many", ids, concurrency=2, on_status=on_status)
    finally:
        d.close()
    assert len(service.api_requests) < 8  # stopped promptly, nothing kept polling
