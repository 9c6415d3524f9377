"""The fault matrix as data, and helpers shared by the fault tests of every surface.

One row per fault the emulator can inject; each row says what a caller gets when the fault
hits the first GET only ("once") and when it hits every GET ("always"): the result (after
retries) or which typed error, with a phrase its message and the one-line message (magic,
widget) contain. Then ``DEADLINE_ROWS``: a service that never gives a usable answer (a
dead port, a host name that does not resolve, 503 or 429 to every GET) with retries that
would go on, so the deadline falls inside the run of retries. ``matrix_markdown()``
renders the README's table from these rows, and a test checks the README holds exactly
that table, so every cell is backed by the tests.
"""

from __future__ import annotations

import re
import signal
import socket
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


def policy(deadline: float, *, max_retries: int = 5) -> PollPolicy:
    """Fast polling and retries (a few tens of ms), ``deadline`` seconds overall."""
    return PollPolicy(
        first_delay=0.01,
        max_delay=0.05,
        retry_delay=0.01,
        timeout=deadline,
        max_retries=max_retries,
    )


@dataclass(frozen=True)
class Expect:
    """What a surface gives back: the result, or an error of ``error`` whose text has ``says``.

    ``unreachable``: the error ends a run of retries (transient: connection, timeout, 429,
    5xx), so the badge settles Unreachable rather than red Error.
    """

    error: type[OCRError] | None = None
    says: str = ""
    readme: str = "result"
    unreachable: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def badge(self) -> str:
        """The badge's final status."""
        if self.ok:
            return "Completed"
        if self.error is PollingTimeoutError:
            return "Timeout"
        return "Unreachable" if self.unreachable else "Error"


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
        Expect(HTTPStatusError, f"(HTTP {code})", f"`HTTPStatusError` (HTTP {code})", True),
    )


FORMAT = "`ResponseFormatError`"
ROWS: tuple[Row, ...] = (
    Row(
        "429=0",
        "HTTP 429 + `Retry-After: 0`",
        RESULT,
        Expect(RateLimitError, "rate limited (HTTP 429)", "`RateLimitError`", True),
    ),
    _status(500),
    _status(502),
    Row(
        "503=0",
        "HTTP 503 + `Retry-After: 0`",
        RESULT,
        Expect(HTTPStatusError, "(HTTP 503)", "`HTTPStatusError` (HTTP 503)", True),
    ),
    _status(504),
    Row(
        "drop",
        "connection dropped, no response",
        RESULT,
        Expect(TransportError, "Server disconnected", "`TransportError` (disconnected)", True),
    ),
    Row(
        f"stall={STALL:g}",
        "stall past the request timeout",
        RESULT,
        Expect(TransportError, "timed out", "`TransportError` (timed out)", True),
        always_deadline=6.0,  # retries run out first (6 x 0.3 s); the deadline is a backstop
    ),
    Row(
        "truncate",
        "truncated body (short of `Content-Length`)",
        RESULT,
        Expect(TransportError, "complete message body", "`TransportError` (incomplete body)", True),
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

_BADGE_WORDS = {"Error": "red badge", "Timeout": "amber badge", "Unreachable": "purple badge"}


def cell(expect: Expect, surface: str) -> str:
    """The README's words for one cell."""
    if expect.ok:
        return expect.readme
    if surface in ("OCRClient", "AsyncOCRClient"):
        return expect.readme
    if surface == "%ocr_fetch":
        what = "`UsageError` line"
    else:
        what = f"`.error` line, {_BADGE_WORDS[expect.badge]}"
        if expect.badge == "Unreachable":
            what = "`.error` line, purple Unreachable badge"
    return f"{what}: “{expect.says}”"


# -- the deadline falls inside a run of retries -------------------------------------------------

#: The deadline of the rows below (seconds); their retries never run out before it.
DEADLINE = 0.5
ENDLESS_RETRIES = 1000
DNS_FAILURE_URL = "https://ocr.invalid"  # RFC 2606: .invalid never resolves


@dataclass(frozen=True)
class DeadlineRow:
    """A service that never answers usably, until the deadline stops the retries."""

    target: str  # "refused", "dns", or the emulator fault served on every GET
    name: str  # how the README names it
    error: type[OCRError]
    reason: str  # the badge's few words, also in the one line
    readme: str

    @property
    def kind(self) -> str:
        return self.target.split(":")[-1].split("=")[0]

    @property
    def needs_emulator(self) -> bool:
        return self.target.startswith("get:")

    def base_url(self, emu: Emulator) -> str:
        """Where the client is pointed: a dead port, a name that never resolves, or ``emu``."""
        if self.target == "refused":
            return dead_port_url()
        if self.target == "dns":
            return DNS_FAILURE_URL
        return emu.base_url

    def final_badge(self) -> str:
        """The README's words for the badge's final text."""
        return f"Unreachable · … · N attempts · {self.reason}"


DEADLINE_ROWS: tuple[DeadlineRow, ...] = (
    DeadlineRow(
        "refused",
        "connection refused (nothing listens on the port)",
        TransportError,
        "connection refused",
        "`TransportError` (connection refused)",
    ),
    DeadlineRow(
        "dns",
        "DNS failure (a host name under `.invalid`)",
        TransportError,
        "name not resolved",
        "`TransportError` (name not resolved)",
    ),
    DeadlineRow(
        "get:503=0",
        "HTTP 503 + `Retry-After: 0`",
        HTTPStatusError,
        "service unavailable (HTTP 503)",
        "`HTTPStatusError` (HTTP 503)",
    ),
    DeadlineRow(
        "get:429=0",
        "HTTP 429 + `Retry-After: 0`",
        RateLimitError,
        "rate limited (HTTP 429)",
        "`RateLimitError`",
    ),
)
DEADLINE_IDS = [row.kind for row in DEADLINE_ROWS]


def deadline_cell(row: DeadlineRow, surface: str) -> str:
    """The README's words for one cell of a deadline row."""
    if surface in ("OCRClient", "AsyncOCRClient"):
        return f"{row.readme}, `.deadline` and `.attempts` set"
    said = f"“{row.reason}”, “until the {DEADLINE:g} s deadline”; badge “{row.final_badge()}”"
    what = "`UsageError` line" if surface == "%ocr_fetch" else "`.error` line"
    return f"{what}: {said}"


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
    for deadline_row in DEADLINE_ROWS:
        hits = "every attempt; deadline reached during retries"
        cells = " | ".join(deadline_cell(deadline_row, s) for s in SURFACES)
        lines.append(f"| {deadline_row.name} | {hits} | {cells} |")
    return "\n".join(lines)


def dead_port_url() -> str:
    """``http://127.0.0.1:PORT`` where nothing listens: a port bound, then closed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


_BADGE_LINE = re.compile(
    r"^(?P<status>\w+) · task (?P<task>\S+) · (?P<seconds>[\d.]+) s · "
    r"(?P<count>[\d,]+) (?:attempt|poll)s?(?: · (?P<rest>.*))?$"
)


@dataclass(frozen=True)
class BadgeLine:
    """A badge's text line, read back: ``Unreachable · task … · 0.5 s · 7 attempts · …``."""

    status: str
    task_id: str
    seconds: float
    count: int
    rest: str


def read_badge_line(text: str) -> BadgeLine:
    """Parse ``render_badge_text``'s line (the text badge, a widget's ``text/plain``)."""
    found = _BADGE_LINE.match(text.strip())
    assert found is not None, text
    return BadgeLine(
        found["status"],
        found["task"],
        float(found["seconds"]),
        int(found["count"].replace(",", "")),
        found["rest"] or "",
    )


_TRIES = re.compile(r" in (?P<count>\d+) attempts? over (?P<seconds>[\d.]+) s")


def line_attempts(line: str) -> tuple[int, float]:
    """``(attempts, seconds)`` a one-line message names (``… in 7 attempts over 0.5 s …``)."""
    found = _TRIES.search(line)
    assert found is not None, line
    return int(found["count"]), float(found["seconds"])


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
