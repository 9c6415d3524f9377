"""The fault matrix as data, and helpers shared by the fault tests of every surface.

One row per fault the emulator can inject; each row says what a caller gets when the fault
hits the first GET only ("once") and when it hits every GET ("always"): the result (after
retries) or which typed error, with a phrase its message and the one-line message (magic,
widget) contain. ``matrix_markdown()`` renders the README's table from these rows, and a
test checks the README holds exactly that table, so every cell is backed by the tests.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ocr_notebook import (
    AsyncOCRClient,
    AuthenticationError,
    HTTPStatusError,
    OCRClient,
    OCRError,
    PollingTimeoutError,
    PollPolicy,
    RateLimitError,
    ResponseFormatError,
    TransportError,
)
from ocr_notebook.emulator import Emulator, FaultPlan
from tests.support.credentials import TEST_CLIENT_ID, TEST_CLIENT_SECRET

#: Seconds one HTTP request may take when the fault is a stall (which lasts longer); for
#: every other fault a generous timeout, so a slow answer on a busy machine is no fault.
REQUEST_TIMEOUT = 0.3
RELAXED_TIMEOUT = 10.0
STALL = 1.0
TEXTS = ("fault matrix", "second region")


def policy(deadline: float) -> PollPolicy:
    """Fast polling and retries (a few tens of ms), ``deadline`` seconds overall."""
    return PollPolicy(first_delay=0.01, max_delay=0.05, retry_delay=0.01, timeout=deadline)


@dataclass(frozen=True)
class Expect:
    """What a surface gives back: the result, or an error of ``error`` whose text has ``says``."""

    error: type[OCRError] | None = None
    says: str = ""
    readme: str = "result"

    @property
    def ok(self) -> bool:
        return self.error is None


RESULT = Expect()


@dataclass(frozen=True)
class Row:
    """One fault of the matrix."""

    fault: str  # the rule, as in the --faults spec (target and WHEN are added per mode)
    name: str  # how the README names it
    once: Expect
    always: Expect
    always_deadline: float = 3.0  # seconds the "always" fetch may poll

    def spec(self, mode: str) -> str:
        return f"get:{self.fault}@1" if mode == "once" else f"get:{self.fault}"

    def expect(self, mode: str) -> Expect:
        return self.once if mode == "once" else self.always

    def deadline(self, mode: str) -> float:
        return 3.0 if mode == "once" else self.always_deadline

    @property
    def request_timeout(self) -> float:
        return REQUEST_TIMEOUT if self.kind == "stall" else RELAXED_TIMEOUT

    @property
    def kind(self) -> str:
        """The fault's name as ``FaultPlan.served`` counts it."""
        return self.fault.split("=")[0]


def _status(code: int) -> Row:
    return Row(
        str(code),
        f"HTTP {code}" + (" + `Retry-After: 0`" if code == 503 else ""),
        RESULT,
        Expect(HTTPStatusError, f"(HTTP {code})", f"`HTTPStatusError` (HTTP {code})"),
    )


FORMAT = "`ResponseFormatError`"
ROWS: tuple[Row, ...] = (
    Row(
        "429=0",
        "HTTP 429 + `Retry-After: 0`",
        RESULT,
        Expect(RateLimitError, "rate limited (HTTP 429)", "`RateLimitError`"),
    ),
    _status(500),
    _status(502),
    Row(
        "503=0",
        "HTTP 503 + `Retry-After: 0`",
        RESULT,
        Expect(HTTPStatusError, "(HTTP 503)", "`HTTPStatusError` (HTTP 503)"),
    ),
    _status(504),
    Row(
        "drop",
        "connection dropped, no response",
        RESULT,
        Expect(TransportError, "Server disconnected", "`TransportError` (disconnected)"),
    ),
    Row(
        f"stall={STALL:g}",
        "stall past the request timeout",
        RESULT,
        Expect(TransportError, "timed out", "`TransportError` (timed out)"),
        always_deadline=6.0,  # retries run out first (6 x 0.3 s); the deadline is a backstop
    ),
    Row(
        "truncate",
        "truncated body (short of `Content-Length`)",
        RESULT,
        Expect(TransportError, "complete message body", "`TransportError` (incomplete body)"),
    ),
    Row(
        "cut-json",
        "JSON cut in half",
        Expect(ResponseFormatError, "not JSON", f"{FORMAT} (not JSON)"),
        Expect(ResponseFormatError, "not JSON", f"{FORMAT} (not JSON)"),
    ),
    Row(
        "not-json",
        "HTML page instead of JSON",
        Expect(ResponseFormatError, "text/html", f"{FORMAT} (text/html, not JSON)"),
        Expect(ResponseFormatError, "text/html", f"{FORMAT} (text/html, not JSON)"),
    ),
    Row(
        "missing-fields",
        "JSON without `taskStatus`/`responseStatusCode`/`results`",
        RESULT,
        Expect(PollingTimeoutError, "still Unknown", "`PollingTimeoutError` (still Unknown)"),
        always_deadline=0.5,
    ),
    Row(
        "unknown-status",
        "unknown `taskStatus`",
        RESULT,
        Expect(PollingTimeoutError, "still Unknown", "`PollingTimeoutError` (still Unknown)"),
        always_deadline=0.5,
    ),
    Row(
        "unknown-code",
        "unknown `responseStatusCode`",
        Expect(readme="result (code `Unknown`, raw kept)"),
        Expect(readme="result (code `Unknown`, raw kept)"),
    ),
    Row(
        "bad-base64",
        "invalid Base64 in `data`",
        Expect(ResponseFormatError, "not valid Base64", f"{FORMAT} (Base64)"),
        Expect(ResponseFormatError, "not valid Base64", f"{FORMAT} (Base64)"),
    ),
    Row("wrong-type", "wrong `Content-Type` (text/html)", RESULT, RESULT),
    Row(
        "expired-token",
        "401: token expired early",
        Expect(readme="result (token renewed once)"),
        Expect(AuthenticationError, "(HTTP 401)", "`AuthenticationError` (HTTP 401)"),
    ),
)
MODES = ("once", "always")
CASES = [(row, mode) for row in ROWS for mode in MODES]
CASE_IDS = [f"{row.kind}-{mode}" for row, mode in CASES]

SURFACES = ("OCRClient", "AsyncOCRClient", "%ocr_fetch", "OCRFetchWidget")


def cell(expect: Expect, surface: str) -> str:
    """The README's words for one cell."""
    if expect.ok:
        return expect.readme
    if surface in ("OCRClient", "AsyncOCRClient"):
        return expect.readme
    what = "`UsageError` line" if surface == "%ocr_fetch" else "`.error` line, red badge"
    if expect.error is PollingTimeoutError:
        what = what.replace("red", "amber")
    return f"{what}: “{expect.says}”"


def matrix_markdown() -> str:
    """The README's fault matrix table."""
    head = "| Fault | Hits | " + " | ".join(f"`{s}`" for s in SURFACES) + " |"
    rule = "|" + "---|" * (2 + len(SURFACES))
    lines = [head, rule]
    for row, mode in CASES:
        expect = row.expect(mode)
        hits = "first GET" if mode == "once" else "every GET"
        cells = " | ".join(cell(expect, s) for s in SURFACES)
        lines.append(f"| {row.name} | {hits} | {cells} |")
    return "\n".join(lines)


# -- helpers ---------------------------------------------------------------------------------


def task(emu: Emulator) -> str:
    """A Completed task with two known text regions."""
    return emu.inject_task(results=[("Text", t) for t in TEXTS])


@contextmanager
def faults(emu: Emulator, plan: FaultPlan | str) -> Iterator[FaultPlan]:
    """Serve ``plan`` for the duration of the block (then every request is answered properly)."""
    emu.faults = plan
    try:
        current = emu.faults
        assert current is not None
        yield current
    finally:
        emu.faults = None


def sync_client(emu: Emulator, deadline: float, **kwargs: object) -> OCRClient:
    options: dict[str, object] = {"timeout": REQUEST_TIMEOUT, "poll_policy": policy(deadline)}
    options.update(kwargs)
    return OCRClient(
        emu.base_url,
        client_id=TEST_CLIENT_ID,
        client_secret=TEST_CLIENT_SECRET,
        **options,  # type: ignore[arg-type]
    )


def async_client(emu: Emulator, deadline: float, **kwargs: object) -> AsyncOCRClient:
    options: dict[str, object] = {"timeout": REQUEST_TIMEOUT, "poll_policy": policy(deadline)}
    options.update(kwargs)
    return AsyncOCRClient(
        emu.base_url,
        client_id=TEST_CLIENT_ID,
        client_secret=TEST_CLIENT_SECRET,
        **options,  # type: ignore[arg-type]
    )


def when(condition: Callable[[], bool], then: Callable[[], object]) -> threading.Thread:
    """Run ``then`` in a helper thread as soon as ``condition()`` holds (checked every 5 ms)."""

    def watch() -> None:
        for _ in range(6000):  # 30 s at most: a helper thread never outlives its test by much
            if condition():
                then()
                return
            threading.Event().wait(0.005)

    thread = threading.Thread(target=watch, name="fault-test-watcher", daemon=True)
    thread.start()
    return thread


def interrupt_main_thread() -> None:
    """Deliver a real SIGINT to the main thread: it wakes a blocking socket read (EINTR)."""
    main = threading.main_thread().ident
    assert main is not None
    signal.pthread_kill(main, signal.SIGINT)


def check_line(line: str, *secrets: str) -> None:
    """A one-line message: one line, short, no traceback, no secret."""
    assert "\n" not in line.strip(), line
    assert len(line) <= 400, line
    assert "Traceback" not in line
    for secret in (TEST_CLIENT_SECRET, *secrets):
        assert secret not in line
