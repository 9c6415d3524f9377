"""The token endpoint's lockout after repeated failed logins: emulator, clients, magic.

The service answers 400 to a wrong client id/secret pair, and after 5 failed requests
with one pair, 429 with ``Retry-After: 600`` for 10 minutes; any other pair is unaffected
(https://docs.aspose.cloud/total/rate-limits).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from ocr_notebook import (
    AsyncOCRClient,
    AuthenticationError,
    LoginLockoutError,
    OCRClient,
    RateLimitError,
)
from ocr_notebook.client.polling import is_transient
from ocr_notebook.emulator import Emulator
from ocr_notebook.emulator._logins import LoginLimiter, pair_key
from tests.support.clock import FakeClock
from tests.support.credentials import TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.support.emulator import running_emulator
from tests.support.notebook import configured_magics, run_error

WRONG = "not-the-secret-0123456789"
TASK = "6f0e1c1e-8e3a-4c8e-9d5e-0b8f2b9b7a11"  # well-formed, never submitted


def _login(client: httpx.Client, client_id: str, secret: str) -> httpx.Response:
    return client.post(
        "/connect/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emu(clock: FakeClock) -> Iterator[Emulator]:
    with running_emulator(clock) as emulator:
        yield emulator


@pytest.fixture
def http(emu: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.base_url, timeout=30.0) as client:
        yield client


# -- the emulator, over HTTP -----------------------------------------------------------------


def test_five_failures_then_429_for_ten_minutes_for_that_pair_only(
    http: httpx.Client, clock: FakeClock
) -> None:
    statuses = [_login(http, TEST_CLIENT_ID, WRONG).status_code for _ in range(5)]
    assert statuses == [400] * 5
    locked = _login(http, TEST_CLIENT_ID, WRONG)
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == "600"
    assert locked.headers["content-type"].startswith("application/json")
    assert locked.json()["error"] == "invalid_client"
    assert WRONG not in locked.text

    # The right pair, and any other wrong one, are not locked out.
    assert _login(http, TEST_CLIENT_ID, TEST_CLIENT_SECRET).status_code == 200
    assert _login(http, TEST_CLIENT_ID, WRONG + "x").status_code == 400

    # Retry-After counts down on the emulator's clock; after it, a fresh start.
    clock.advance(599.2)
    assert _login(http, TEST_CLIENT_ID, WRONG).headers["retry-after"] == "1"
    clock.advance(1.0)
    assert [_login(http, TEST_CLIENT_ID, WRONG).status_code for _ in range(6)] == [400] * 5 + [429]


def test_a_locked_pair_stays_locked_even_if_it_becomes_right(clock: FakeClock) -> None:
    # A pair is named by both halves: the lockout is per pair, whatever the reason for it.
    limiter = LoginLimiter(5, 600.0, clock)
    key = pair_key("id", "secret")
    for _ in range(4):
        limiter.failed(key)
    assert limiter.retry_after(key) is None
    limiter.failed(key)
    assert limiter.retry_after(key) == 600
    assert limiter.retry_after(pair_key("id", "secret2")) is None
    assert limiter.retry_after(pair_key("id2", "secret")) is None


def test_the_limiter_can_be_turned_off_and_is_bounded(clock: FakeClock) -> None:
    off = LoginLimiter(None, 600.0, clock)
    for _ in range(50):
        off.failed("k")
    assert off.retry_after("k") is None
    bounded = LoginLimiter(1, 600.0, clock)
    for n in range(10_050):
        bounded.failed(str(n))
    assert len(bounded._records) == 10_000
    assert bounded.retry_after("0") is None  # forgotten: the oldest went first
    assert bounded.retry_after("10049") == 600
    with pytest.raises(ValueError, match="max_failures"):
        LoginLimiter(0, 600.0, clock)


def test_emulator_without_lockout_answers_400_forever() -> None:
    with (
        Emulator(port=0, max_failed_logins=None) as emu,
        httpx.Client(base_url=emu.base_url) as http,
    ):
        assert {_login(http, emu.client_id, WRONG).status_code for _ in range(8)} == {400}


def test_cli_flags_set_and_check_the_lockout() -> None:
    from ocr_notebook.emulator.__main__ import _parser

    args = _parser().parse_args(["--max-failed-logins", "3", "--login-lockout", "30"])
    assert (args.max_failed_logins, args.login_lockout) == (3, 30.0)
    assert _parser().parse_args(["--max-failed-logins", "0"]).max_failed_logins is None
    bad = subprocess.run(
        [sys.executable, "-m", "ocr_notebook.emulator", "--max-failed-logins", "-2"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert "expected a whole number >= 0, got '-2'" in bad.stderr


# -- the clients ----------------------------------------------------------------------------


class TokenRequests(httpx.HTTPTransport):
    """A real transport that counts the requests sent to the token endpoint."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/connect/token":
            self.count += 1
        return super().handle_request(request)


def test_sync_client_reports_the_lockout_once_and_does_not_retry(emu: Emulator) -> None:
    transport = TokenRequests()
    with OCRClient(
        emu.base_url, client_id=TEST_CLIENT_ID, client_secret=WRONG, transport=transport
    ) as client:
        for _ in range(5):
            with pytest.raises(AuthenticationError) as refused:
                client.get_result(TASK)
            assert not isinstance(refused.value, LoginLockoutError)
        assert transport.count == 5
        with pytest.raises(LoginLockoutError) as locked:
            client.wait(TASK)
    # wait() gave up at the first answer: retrying would only meet 429 for 10 minutes.
    assert transport.count == 6
    error = locked.value
    assert isinstance(error, RateLimitError) and isinstance(error, AuthenticationError)
    assert not is_transient(error)
    assert (error.http_status, error.retry_after) == (429, 600.0)
    message = str(error)
    assert "\n" not in message
    assert TEST_CLIENT_ID in message and "600 s" in message
    assert "ASPOSE_OCR_CLIENT_SECRET" in message
    assert WRONG not in message and WRONG not in repr(error)


def test_async_client_and_fetch_many_report_the_lockout(emu: Emulator) -> None:
    async def scenario() -> list[object]:
        async with AsyncOCRClient(
            emu.base_url, client_id=TEST_CLIENT_ID, client_secret=WRONG
        ) as client:
            for _ in range(5):
                with pytest.raises(AuthenticationError):
                    await client.get_result(TASK)
            return list(await client.fetch_many([TASK, TASK]))

    outcomes = asyncio.run(scenario())
    assert [type(o) for o in outcomes] == [LoginLockoutError, LoginLockoutError]
    # The right credentials still work meanwhile.
    with OCRClient(
        emu.base_url, client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET
    ) as client:
        assert client.get_status(TASK).status.value == "NotExist"


# -- the magic ------------------------------------------------------------------------------


def test_magic_shows_the_lockout_as_one_line_with_what_to_do(
    shell: InteractiveShell, emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    with configured_magics(
        shell, monkeypatch, config={"base_url": emu.base_url}, client_secret=WRONG
    ):
        first = [run_error(shell, f"%ocr_fetch {TASK}") for _ in range(5)]
        locked = run_error(shell, f"%ocr_fetch {TASK}")
    assert all("refused the client credentials" in str(e) for e in first)
    assert isinstance(locked, UsageError)
    line = str(locked)
    assert "\n" not in line
    assert "locked out" in line and "600 s" in line and "%ocr_fetch" in line
    assert "ASPOSE_OCR_CLIENT_ID / ASPOSE_OCR_CLIENT_SECRET" in line
    assert WRONG not in line
