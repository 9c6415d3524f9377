"""Secrets never leak: a distinctive client secret and every bearer token issued are grepped
for in every surface a user or a log can see.

Surfaces: reprs and ``str`` of clients, auth and config objects; every error type the fault
matrix raises (message, repr, one-line advice, formatted traceback); log records at DEBUG
(httpx's and httpcore's loggers included); ``%config OCRMagics``; the magic's outputs and
error lines; the widget's state as sent over the comm layer; and a notebook executed by
nbclient in a real kernel, as saved on disk. Then transport safety: no credentials over
plain HTTP to a non-loopback host (an ``httpx.MockTransport`` proves nothing was sent), TLS
verification on by default, and the emulator's warning when it would bind beyond loopback.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
import subprocess
import sys
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from ocr_notebook import (
    AsyncOCRClient,
    InsecureTransportError,
    OCRClient,
    OCRError,
    OCRFetchWidget,
)
from ocr_notebook.emulator import Emulator, EmulatorWarning
from ocr_notebook.emulator._server import _is_loopback
from ocr_notebook.notebook.magics import OCRMagics
from ocr_notebook.notebook.messages import one_line
from tests.support.faults import ROWS, faults, policy
from tests.support.notebook import configured_magics, record_comms, run, run_error

CLIENT_ID = "secrets-test-client"
SECRET = "zz-S3CRET-7f3a9c-do-not-leak"
WRONG_SECRET = "zz-WRONG-S3CRET-4b1e"
GUID = "b7162f77-bf10-407d-86de-ee255e422ca7"


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(client_id=CLIENT_ID, client_secret=SECRET) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def issued(emu: Emulator) -> Iterator[list[str]]:
    """Every bearer token the emulator issues while this module runs."""
    tokens = emu._service.tokens
    original = tokens.issue
    seen: list[str] = []

    def recording() -> str:
        token = original()
        seen.append(token)
        return token

    tokens.issue = recording  # type: ignore[method-assign]
    yield seen
    tokens.issue = original  # type: ignore[method-assign]


def assert_clean(text: str, tokens: list[str], *, what: str) -> None:
    assert tokens, "no token was issued: the test saw nothing to grep for"
    for secret in (SECRET, WRONG_SECRET, *tokens):
        assert secret not in text, f"a secret leaked into {what}"
        # Also the token's signature alone (a truncated token is still a leak).
        assert secret[-20:] not in text, f"part of a secret leaked into {what}"


def _client(emu: Emulator, **kwargs: Any) -> OCRClient:
    return OCRClient(
        emu.base_url,
        client_id=CLIENT_ID,
        client_secret=kwargs.pop("client_secret", SECRET),
        timeout=0.5,  # the matrix's stall lasts 1 s
        poll_policy=policy(2.0),
        **kwargs,
    )


def _error_texts(exc: BaseException) -> str:
    return "\n".join(
        [
            str(exc),
            repr(exc),
            one_line(exc),
            one_line(exc, resume="click Fetch"),
            "".join(traceback.format_exception(exc)),
            repr(vars(exc)),
        ]
    )


def test_reprs_errors_and_logs_hold_no_secret(
    emu: Emulator, issued: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []
    errors: list[BaseException] = []
    with caplog.at_level(logging.DEBUG):  # root: httpx, httpcore, ours, the emulator's
        tid = emu.inject_task(results=[("Text", "x")])
        with _client(emu) as client:
            assert client.wait(tid).texts == ["x"]
            seen += [repr(client), str(client), repr(client._auth), repr(client._config)]
            seen.append(repr(vars(client)))
            for row in ROWS:
                if row.always.ok:
                    continue
                with faults(emu, row.spec("always")):
                    try:
                        client.wait(emu.inject_task(results=[("Text", "y")]))
                    except OCRError as exc:
                        errors.append(exc)
            for spec in ("token:500", "token:429=3", "token:drop"):
                with faults(emu, spec), _client(emu) as fresh:
                    try:
                        fresh.get_result(tid)
                    except OCRError as exc:
                        errors.append(exc)
        with _client(emu, client_secret=WRONG_SECRET) as wrong:
            try:
                wrong.get_result(tid)
            except OCRError as exc:
                errors.append(exc)
        with OCRClient(emu.base_url, token=issued[0]) as fixed:
            seen += [repr(fixed), repr(fixed._auth)]
            with faults(emu, "get:expired-token"):
                try:
                    fixed.get_result(tid)
                except OCRError as exc:
                    errors.append(exc)

        async def use_async() -> None:
            async with AsyncOCRClient(
                emu.base_url, client_id=CLIENT_ID, client_secret=SECRET
            ) as aclient:
                await aclient.wait(tid)
                seen.extend([repr(aclient), str(aclient), repr(aclient._auth)])

        asyncio.run(use_async())
    kinds = {type(e).__name__ for e in errors}
    assert {
        "RateLimitError",
        "HTTPStatusError",
        "TransportError",
        "ResponseFormatError",
        "PollingTimeoutError",
        "AuthenticationError",
    } <= kinds
    seen += [_error_texts(e) for e in errors]
    records = caplog.records
    assert any(r.name.startswith("httpx") for r in records)
    assert any(r.name.startswith("httpcore") for r in records)
    seen += [r.getMessage() for r in records] + [caplog.text]
    assert_clean("\n".join(seen), issued, what="reprs, errors or logs")


@pytest.fixture
def magics(
    shell: InteractiveShell, emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[OCRMagics]:
    attributes = {
        "base_url": emu.base_url,
        "badge": "text",
        "poll_interval": 0.02,
        "max_poll_interval": 0.05,
        "request_timeout": 0.3,
    }
    with configured_magics(
        shell, monkeypatch, attributes=attributes, client_id=CLIENT_ID, client_secret=SECRET
    ) as instance:
        yield instance


def test_magic_outputs_and_config_hold_no_secret(
    shell: InteractiveShell,
    magics: OCRMagics,
    emu: Emulator,
    issued: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    lines: list[str] = []
    with caplog.at_level(logging.DEBUG):
        tid = emu.inject_task(results=[("Text", "magic")])
        result = run(shell, f"%ocr_fetch {tid} --refresh")
        lines.append(repr(result))
        for spec in ("get:502", "get:expired-token", "get:bad-base64", "get:stall=1"):
            with faults(emu, spec):
                fresh = emu.inject_task(results=[("Text", "y")])
                error = run_error(shell, f"%ocr_fetch {fresh} --timeout 2")
                assert isinstance(error, UsageError)
                lines.append(str(error))
        run(shell, "%config OCRMagics")
        run(shell, "%config")
        lines.append(repr(magics.trait_values()))
        monkeypatch.setenv("ASPOSE_OCR_CLIENT_SECRET", WRONG_SECRET)
        lines.append(str(run_error(shell, f"%ocr_fetch {tid} --refresh")))
    captured = capsys.readouterr()
    lines += [captured.out, captured.err, caplog.text]
    text = "\n".join(lines)
    assert "OCRMagics.base_url" in captured.out  # %config really listed the settings
    assert_clean(text, issued, what="the magic's output")


def test_widget_state_holds_no_secret(
    emu: Emulator, issued: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    comms = record_comms(monkeypatch)
    tid = emu.inject_task(results=[("Text", "widget")])

    async def scenario() -> OCRFetchWidget:
        async with AsyncOCRClient(
            emu.base_url, client_id=CLIENT_ID, client_secret=SECRET, poll_policy=policy(2.0)
        ) as client:
            widget = OCRFetchWidget(client=client)
            widget.fetch(tid)
            await widget.wait()
            with faults(emu, "get:401"):
                widget.fetch(emu.inject_task())
                await widget.wait()
            return widget

    widget = asyncio.run(scenario())
    assert widget.error is not None
    states = [json.dumps(s, default=str) for s in comms.opened.values()]
    states += [json.dumps(m.state, default=str) for m in comms.sent]
    states += [json.dumps(widget.get_state(), default=str), repr(widget.output.outputs)]
    assert_clean("\n".join(states), issued, what="the widget's state")


@pytest.mark.slow
def test_a_saved_notebook_holds_no_secret(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real kernel (nbclient) runs the magic, the widget and the clients; grep the .ipynb."""
    import nbformat
    from nbclient import NotebookClient

    from tests.support.credentials import TEST_CLIENT_ID, TEST_CLIENT_SECRET

    tokens: list[str] = []
    original = emulator._service.tokens.issue

    def recording() -> str:
        token = original()
        tokens.append(token)
        return token

    monkeypatch.setattr(emulator._service.tokens, "issue", recording)
    # The kernel inherits these: no secret is ever written into a cell.
    monkeypatch.setenv("ASPOSE_OCR_BASE_URL", emulator.base_url)
    monkeypatch.setenv("ASPOSE_OCR_CLIENT_ID", TEST_CLIENT_ID)
    monkeypatch.setenv("ASPOSE_OCR_CLIENT_SECRET", TEST_CLIENT_SECRET)
    monkeypatch.setenv("OCR_NOTEBOOK_STORE_PATH", str(tmp_path / "store.sqlite3"))
    tid = emulator.inject_task(results=[("Text", "from the kernel")])
    cells = [
        "%load_ext ocr_notebook\n%config OCRMagics.poll_interval = 0.05",
        f"%ocr_fetch {tid}",
        "%config OCRMagics",
        "%ocr_fetch 00000000-0000-0000-0000-000000000000",
        "from ocr_notebook import OCRClient, OCRFetchWidget\nclient = OCRClient()\n"
        f"client.wait({tid!r})\nprint(repr(client), vars(client), client._auth)",
        f"w = OCRFetchWidget()\nw.fetch({tid!r})\nw",
        "await w.wait()",
        "import os\nos.environ['ASPOSE_OCR_CLIENT_SECRET'] = 'x' + os.environ['ASPOSE_OCR_CLIENT_SECRET'][1:]\n"
        f"%ocr_fetch {tid} --refresh",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    path = tmp_path / "executed.ipynb"
    nbformat.write(nb, path)
    saved = path.read_text("utf-8")
    assert "from the kernel" in saved  # the fetches really ran
    assert "application/vnd.jupyter.widget-state+json" in saved
    assert "OCRMagics.base_url" in saved
    assert "refused" in saved or "token endpoint" in saved  # the wrong secret's one line
    assert_clean(saved, tokens, what="the saved notebook")
    assert TEST_CLIENT_SECRET not in saved and TEST_CLIENT_SECRET[1:] not in saved


# -- transport safety ------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/connect/token":
            return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})
        return httpx.Response(
            200, json={"id": GUID, "taskStatus": "Completed", "responseStatusCode": "Ok"}
        )


@pytest.mark.parametrize(
    "base_url",
    [
        "http://ocr.example.com",
        "http://10.0.0.5:8080",
        "http://127.0.0.1.nip.example",
        "http://localhost.example.com",
        "http://[2001:db8::1]",
    ],
)
@pytest.mark.parametrize("credentials", ["client", "token"])
def test_no_credentials_over_plain_http_to_a_remote_host(base_url: str, credentials: str) -> None:
    recorder = Recorder()
    auth: dict[str, Any] = (
        {"client_id": CLIENT_ID, "client_secret": SECRET}
        if credentials == "client"
        else {"token": "a-fixed-bearer-token"}
    )
    with pytest.raises(InsecureTransportError) as info:
        OCRClient(base_url, transport=httpx.MockTransport(recorder), **auth)
    assert "https://" in str(info.value) and SECRET not in str(info.value)
    with pytest.raises(InsecureTransportError):
        AsyncOCRClient(base_url, transport=httpx.MockTransport(recorder), **auth)
    assert recorder.requests == []
    # Opting in is explicit, and then it works.
    with OCRClient(
        base_url, transport=httpx.MockTransport(recorder), allow_insecure_http=True, **auth
    ) as client:
        client.get_result(GUID)
    assert recorder.requests and all(r.url.scheme == "http" for r in recorder.requests)


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9"])
def test_plain_http_to_loopback_is_fine(base_url: str) -> None:
    recorder = Recorder()
    with OCRClient(
        base_url,
        client_id=CLIENT_ID,
        client_secret=SECRET,
        transport=httpx.MockTransport(recorder),
    ) as client:
        client.get_result(GUID)
    assert [r.url.path for r in recorder.requests] == [
        "/connect/token",
        "/v5.0/ocr/RecognizeRegions",
    ]


def test_a_redirect_to_plain_http_is_not_followed() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.url.path == "/connect/token":
            return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})
        return httpx.Response(307, headers={"Location": "http://evil.example/steal"})

    with (
        OCRClient(
            "https://api.example.com",
            client_id=CLIENT_ID,
            client_secret=SECRET,
            transport=httpx.MockTransport(handler),
        ) as client,
        pytest.raises(OCRError),
    ):
        client.get_result(GUID)
    assert all(r.url.host == "api.example.com" for r in sent)


def test_tls_verification_is_on_by_default() -> None:
    def check(transport: object) -> None:
        # Every pool of the sharded transport (ocr_notebook.client.pool) keeps the context httpx
        # built from verify= on its httpcore pool.
        for shard in cast(Any, transport).shards:
            context: ssl.SSLContext = shard._pool._ssl_context
            assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname

    with OCRClient("https://api.example.com", client_id=CLIENT_ID, client_secret=SECRET) as c:
        check(c._http._transport)

    async def check_async() -> None:
        async with AsyncOCRClient(
            "https://api.example.com", client_id=CLIENT_ID, client_secret=SECRET
        ) as ac:
            check(ac._http._transport)

    asyncio.run(check_async())


# -- the emulator's bind address ---------------------------------------------------------------


def test_loopback_detection() -> None:
    for host in ("127.0.0.1", "127.8.9.10", "::1", "localhost"):
        assert _is_loopback(host), host
    for host in ("0.0.0.0", "::", "192.0.2.1", "10.1.2.3", "example.com", "127.0.0.1.example"):
        assert not _is_loopback(host), host


def test_the_emulator_warns_before_binding_beyond_loopback() -> None:
    with pytest.warns(EmulatorWarning, match="not loopback"):
        emulator = Emulator(host="192.0.2.1")  # constructed only: nothing is bound
    assert not emulator.running
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Emulator()  # loopback by default: no warning


def test_the_cli_warns_and_fails_fast_on_an_address_it_cannot_bind() -> None:
    # 192.0.2.1 (TEST-NET-1) is not an address of this machine: bind() fails at once.
    process = subprocess.run(
        [sys.executable, "-m", "ocr_notebook.emulator", "--host", "192.0.2.1", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "default"},
    )
    assert process.returncode == 1
    assert "not loopback" in process.stderr
    assert "cannot start" in process.stderr
    assert process.stdout == ""
