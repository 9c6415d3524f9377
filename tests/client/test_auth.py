"""Client-credentials auth: caching, renewal, the 401 retry, refusals, and secrecy.

The emulator (real HTTP, its fake clock for token expiry) where it can produce the case;
``httpx.MockTransport`` for refusals it has no switch for (two 401s in a row, a 429 from
the token endpoint) and to force many callers into one refresh at once.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import threading
from collections.abc import Iterator

import httpx
import pytest

from ocr_notebook import (
    AsyncOCRClient,
    AuthenticationError,
    InsecureTransportError,
    MissingCredentialsError,
    OCRClient,
    OCRError,
    PollingTimeoutError,
    PollPolicy,
    RateLimitError,
    TaskStatus,
)
from ocr_notebook.client.auth import parse_retry_after, refresh_margin
from ocr_notebook.emulator import Emulator
from tests.support.client import (
    GUID,
    FakeService,
    make_driver,
    mock_driver,
    ocr_response,
)
from tests.support.clock import FakeClock
from tests.support.credentials import TEST_CLIENT_SECRET
from tests.support.emulator import running_emulator

KINDS = ["sync", "async"]


@pytest.fixture(scope="module")
def clocked() -> Iterator[tuple[Emulator, FakeClock]]:
    """An emulator whose token expiry (60 s) follows a fake clock."""
    clock = FakeClock()
    with running_emulator(clock, token_ttl=60.0) as emu:
        yield emu, clock


def _token_requests(driver: object) -> int:
    return driver.client._auth.token_requests  # type: ignore[attr-defined, no-any-return]


@pytest.mark.parametrize("kind", KINDS)
def test_token_is_cached(kind: str, emulator: Emulator) -> None:
    task_id = emulator.inject_task(results=[("Text", "x")])
    d = make_driver(
        kind,
        base_url=emulator.base_url,
        client_id=emulator.client_id,
        client_secret=emulator.client_secret,
    )
    try:
        for _ in range(4):
            assert d("get_result", task_id).text == "x"
        assert _token_requests(d) == 1
    finally:
        d.close()


@pytest.mark.parametrize("kind", KINDS)
def test_token_renewed_before_expiry(kind: str, clocked: tuple[Emulator, FakeClock]) -> None:
    emu, clock = clocked
    task_id = emu.inject_task(results=[("Text", "x")])
    d = make_driver(
        kind, clock, base_url=emu.base_url, client_id=emu.client_id, client_secret=emu.client_secret
    )
    try:
        d("get_result", task_id)
        clock.advance(60.0 - refresh_margin(60.0) - 0.5)  # not yet inside the margin
        d("get_result", task_id)
        assert _token_requests(d) == 1
        clock.advance(1.0)  # inside the margin; the old token is still valid on the server
        d("get_result", task_id)
        assert _token_requests(d) == 2
    finally:
        d.close()


@pytest.mark.parametrize("kind", KINDS)
def test_401_renews_once_and_retries(kind: str, clocked: tuple[Emulator, FakeClock]) -> None:
    emu, server_clock = clocked
    task_id = emu.inject_task(results=[("Text", "after 401")])
    # The client's own clock does not move: it believes its token is fresh.
    d = make_driver(
        kind,
        FakeClock(),
        base_url=emu.base_url,
        client_id=emu.client_id,
        client_secret=emu.client_secret,
    )
    try:
        d("get_result", task_id)
        server_clock.advance(120.0)  # the server now says 401 to that token
        assert d("get_result", task_id).text == "after 401"
        assert _token_requests(d) == 2
    finally:
        d.close()


@pytest.mark.parametrize("kind", KINDS)
def test_wrong_credentials(kind: str, emulator: Emulator) -> None:
    secret = "wr0ng-s3cret-value-xyz"
    d = make_driver(kind, base_url=emulator.base_url, client_id="someone", client_secret=secret)
    try:
        with pytest.raises(AuthenticationError) as info:
            d("get_result", GUID)
    finally:
        d.close()
    err = info.value
    assert err.http_status == 400
    assert "ASPOSE_OCR_CLIENT_ID" in str(err) and "'someone'" in str(err)
    assert secret not in str(err) and secret not in repr(err)
    assert emulator.running


@pytest.mark.parametrize("kind", KINDS)
def test_token_from_elsewhere(kind: str, emulator: Emulator) -> None:
    task_id = emulator.inject_task(results=[("Text", "bearer")])
    d = make_driver(kind, base_url=emulator.base_url, token=emulator.issue_token())
    try:
        assert d("get_result", task_id).text == "bearer"
        assert _token_requests(d) == 0
    finally:
        d.close()


@pytest.mark.parametrize("kind", KINDS)
def test_credentials_from_environment(
    kind: str, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASPOSE_OCR_BASE_URL", emulator.base_url)
    monkeypatch.setenv("ASPOSE_OCR_CLIENT_ID", emulator.client_id)
    monkeypatch.setenv("ASPOSE_OCR_CLIENT_SECRET", emulator.client_secret)
    task_id = emulator.inject_task(results=[("Text", "env")])
    d = make_driver(kind)
    try:
        assert d.client.base_url == emulator.base_url
        assert d("get_result", task_id).text == "env"
    finally:
        d.close()


# -- cases the emulator cannot produce --------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_second_401_is_an_authentication_error(kind: str) -> None:
    service = FakeService([401])
    d = mock_driver(kind, service)
    try:
        with pytest.raises(AuthenticationError) as info:
            d("get_result", GUID)
    finally:
        d.close()
    assert info.value.http_status == 401
    assert service.tokens_issued == 2  # the first token, then exactly one renewal
    assert len(service.api_requests) == 2


@pytest.mark.parametrize("kind", KINDS)
def test_token_form_is_client_credentials(kind: str) -> None:
    service = FakeService()
    d = mock_driver(kind, service)
    try:
        d("get_result", GUID)
    finally:
        d.close()
    token_request = service.requests[0]
    assert str(token_request.url) == "https://ocr.example.test/connect/token"
    assert token_request.method == "POST"
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert service.token_forms == [
        {
            "grant_type": "client_credentials",
            "client_id": "mock-id",
            "client_secret": "mock-s3cret-value",
        }
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_token_endpoint_rate_limit(kind: str) -> None:
    d = mock_driver(kind, FakeService(token_status=429))
    try:
        with pytest.raises(RateLimitError) as info:
            d("get_result", GUID)
    finally:
        d.close()
    assert info.value.retry_after == 600.0
    assert "mock-s3cret-value" not in str(info.value)


@pytest.mark.parametrize("kind", KINDS)
def test_fixed_token_refused(kind: str) -> None:
    service = FakeService([401])
    d = mock_driver(kind, service, token="fixed-t0ken-value")
    try:
        with pytest.raises(AuthenticationError, match="token") as info:
            d("get_result", GUID)
    finally:
        d.close()
    assert service.tokens_issued == 0
    assert service.authorizations == ["Bearer fixed-t0ken-value"]
    assert "fixed-t0ken-value" not in str(info.value) + repr(info.value)


@pytest.mark.parametrize("kind", KINDS)
def test_fixed_token_with_credentials_renews(kind: str) -> None:
    service = FakeService([ocr_response(texts=("ok",))])
    service.reject_tokens.add("stale-token")
    d = mock_driver(
        kind, service, token="stale-token", client_id="mock-id", client_secret="mock-s3cret-value"
    )
    try:
        assert d("get_result", GUID).text == "ok"
    finally:
        d.close()
    assert service.tokens_issued == 1
    assert service.authorizations == [
        "Bearer stale-token",
        "Bearer tok-1",
    ]


class SlowTokenService(FakeService):
    """Token endpoint that takes a while, so concurrent callers pile up on the refresh."""

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/connect/token":
            threading.Event().wait(0.05)
        return super().handler(request)

    async def ahandler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/connect/token":
            await asyncio.sleep(0.05)
        return super().handler(request)


def test_one_refresh_for_many_threads() -> None:
    service = SlowTokenService()
    client = OCRClient(
        "https://ocr.example.test",
        client_id="i",
        client_secret="s",
        transport=httpx.MockTransport(service.handler),
    )
    barrier = threading.Barrier(12)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            client.get_result(GUID)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    client.close()
    assert errors == []
    assert service.tokens_issued == 1
    assert len(service.api_requests) == 12


def test_one_refresh_for_many_tasks() -> None:
    service = SlowTokenService()

    async def main() -> list[TaskStatus]:
        async with AsyncOCRClient(
            "https://ocr.example.test",
            client_id="i",
            client_secret="s",
            transport=httpx.MockTransport(service.ahandler),
        ) as client:
            results = await asyncio.gather(*(client.get_result(GUID) for _ in range(12)))
            return [r.status for r in results]

    assert asyncio.run(main()) == [TaskStatus.COMPLETED] * 12
    assert service.tokens_issued == 1


# -- configuration checks -----------------------------------------------------------------


@pytest.mark.parametrize("client_type", [OCRClient, AsyncOCRClient])
@pytest.mark.parametrize(
    "url", ["http://ocr.example.com", "http://10.0.0.5:8080", "http://[fe80::1]"]
)
def test_plain_http_to_remote_host_refused(client_type: type[OCRClient], url: str) -> None:
    with pytest.raises(InsecureTransportError, match="allow_insecure_http"):
        client_type(url, client_id="i", client_secret="s")
    with pytest.raises(InsecureTransportError):
        client_type(url, token="t")


@pytest.mark.parametrize(
    "url", ["http://localhost:1", "http://127.0.0.2:9", "http://[::1]:8", "https://ocr.example.com"]
)
def test_loopback_and_https_allowed(url: str) -> None:
    OCRClient(url, client_id="i", client_secret="s").close()


@pytest.mark.parametrize("kind", KINDS)
def test_plain_http_when_explicitly_allowed(kind: str) -> None:
    service = FakeService()
    d = mock_driver(kind, service, base_url="http://ocr.example.com", allow_insecure_http=True)
    try:
        assert d("get_result", GUID).status is TaskStatus.COMPLETED
    finally:
        d.close()
    assert service.requests[0].url.scheme == "http"


def test_missing_credentials_name_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ASPOSE_OCR_CLIENT_ID", "ASPOSE_OCR_CLIENT_SECRET", "ASPOSE_OCR_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(MissingCredentialsError) as info:
        OCRClient()
    assert "ASPOSE_OCR_CLIENT_ID and ASPOSE_OCR_CLIENT_SECRET" in str(info.value)
    with pytest.raises(MissingCredentialsError) as info:
        AsyncOCRClient(client_id="only-the-id")
    assert "ASPOSE_OCR_CLIENT_SECRET" in str(info.value)
    assert "ASPOSE_OCR_CLIENT_ID " not in str(info.value)
    assert isinstance(info.value, ValueError)


# -- secrets never shown --------------------------------------------------------------------


def test_no_secret_in_any_repr_message_or_log(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Exercise success, refusal, 401 renewal and a timeout; grep everything for secrets."""
    caplog.set_level(logging.DEBUG)
    clock = FakeClock()
    shown: list[str] = []
    secrets = [TEST_CLIENT_SECRET, "wr0ng-s3cret-value-xyz"]

    client = OCRClient(
        emulator.base_url,
        client_id=emulator.client_id,
        client_secret=emulator.client_secret,
        poll_policy=PollPolicy(jitter=0),
        sleep=clock.sleep,
        clock=clock,
    )
    pending = emulator.inject_task(results=[("Text", "x")], status="Pending")
    try:
        client.get_result(pending)
        secrets.append(client._auth._token.value)  # type: ignore[union-attr]
        with pytest.raises(PollingTimeoutError) as timeout:
            client.wait(pending, timeout=1.0)
        shown += [
            str(timeout.value),
            repr(timeout.value),
            repr(pickle.loads(pickle.dumps(timeout.value))),
        ]
        shown += [repr(client), repr(client._auth), repr(client._config), repr(client._auth._token)]
        shown += [repr(client._http), str(client._config)]
    finally:
        client.close()

    bad = OCRClient(emulator.base_url, client_id=emulator.client_id, client_secret=secrets[1])
    try:
        with pytest.raises(AuthenticationError) as refused:
            bad.get_result(pending)
        shown += [str(refused.value), repr(refused.value), repr(bad), str(refused.value.__cause__)]
    finally:
        bad.close()

    stale = OCRClient(emulator.base_url, token="not-a-valid-t0ken-abc")
    secrets.append("not-a-valid-t0ken-abc")
    try:
        with pytest.raises(AuthenticationError) as rejected:
            stale.get_result(pending)
        shown += [str(rejected.value), repr(rejected.value), repr(stale)]
    finally:
        stale.close()

    shown += [record.getMessage() for record in caplog.records]
    shown += [str(record.args) for record in caplog.records]
    text = "\n".join(shown)
    for secret in secrets:
        assert secret not in text, f"a secret leaked into: {text!r}"
    assert emulator.client_id in text  # the id is not a secret, and it helps


def test_error_messages_scrub_secrets_echoed_by_a_server() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/connect/token":
            return httpx.Response(200, json={"access_token": "T0KEN-echo", "expires_in": 60})
        return httpx.Response(400, json={"title": "bad", "detail": "got T0KEN-echo and s3cret-x"})

    client = OCRClient(
        "https://x.test",
        client_id="i",
        client_secret="s3cret-x",
        transport=httpx.MockTransport(echo),
    )
    try:
        with pytest.raises(OCRError) as info:
            client.get_result(GUID)
    finally:
        client.close()
    assert "T0KEN-echo" not in str(info.value) and "s3cret-x" not in str(info.value)
    assert "got *** and ***" in str(info.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("3", 3.0),
        (" 2.5 ", 2.5),
        ("-4", 0.0),
        ("soon", None),
        ("Thu, 01 Jan 1970 00:00:10 GMT", 0.0),  # already past
        ("Thu, 01 Jan 1970 00:01:40 GMT", 60.0),  # with now = 40
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=40.0) == expected


@pytest.mark.parametrize(("lifetime", "margin"), [(3600, 60), (60, 6), (1, 0.1), (0, 0)])
def test_refresh_margin(lifetime: float, margin: float) -> None:
    assert refresh_margin(lifetime) == pytest.approx(margin)
