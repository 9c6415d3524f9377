"""``Emulator``: the ASGI app served by uvicorn in a background thread."""

from __future__ import annotations

import ipaddress
import math
import socket
import threading
import time
import warnings
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING

from ._app import EmulatorApp
from ._fault_middleware import FaultInjector
from ._fault_plan import FaultPlan
from ._service import Service
from ._store import Clock
from ._tokens import generate_client_id, generate_client_secret
from ._traffic import RateLimiter, RequestCounts, Traffic

if TYPE_CHECKING:
    import uvicorn

__all__ = ["Emulator", "EmulatorWarning"]

_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 10.0


class EmulatorWarning(UserWarning):
    """The emulator was asked for something unsafe (like listening beyond loopback)."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _fault_plan(faults: FaultPlan | str | None) -> FaultPlan | None:
    if faults is None or isinstance(faults, FaultPlan):
        return faults
    if isinstance(faults, str):
        return FaultPlan.parse(faults)
    raise TypeError(f"faults must be a FaultPlan, a spec string or None, got {type(faults)!r}.")


def _rate_limit(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    if not 0 < number < math.inf:
        raise ValueError(
            f"rate_limit must be requests per second > 0 (or None for no limit), got {value!r}."
        )
    return number


def _positive(name: str, value: float, *, allow_zero: bool) -> float:
    number = float(value)
    if number != number or number < 0 or (number == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a number of seconds {bound}, got {value!r}.")
    return number


class Emulator:
    """A local Aspose.OCR Cloud v5 server doing real OCR, for tests, demos and notebooks.

    Use it as a context manager: the server starts on ``__enter__`` (on a free port when
    ``port=0``) and stops on ``__exit__``.

    Args:
        host: Interface to bind. Loopback by default; anything else warns, since the
            emulator has no TLS and accepts one fixed credential pair.
        port: TCP port; 0 picks a free one (read it back from ``base_url``).
        latency: Seconds each submitted task takes: Pending for the first third, then
            Processing, then its final status. 0 means Completed at the first GET.
        retention: Seconds a task is kept; afterwards its id answers NotExist.
        client_id: Accepted client id; generated when None.
        client_secret: Accepted client secret; generated when None.
        token_ttl: Lifetime of issued bearer tokens in seconds (``expires_in``).
        clock: A ``time.time``-like function used for task lifecycle, retention and token
            expiry, so tests can move time without sleeping.
        faults: A :class:`FaultPlan` (or its spec string, ``"get:502@0.02,seed=7"``) making
            chosen requests fail on purpose; change it while running with ``faults = ...``.
        max_failed_logins: Failed token requests one client id + secret pair may make before
            the token endpoint answers that pair 429 with ``Retry-After``, as the service
            does after 5; None turns the lockout off.
        login_lockout: Seconds such a pair stays locked out (the service: 600).
        ocr: False answers every recognition with a stand-in text instead of running
            Tesseract (a few words chosen by a hash of the region's pixels: the same
            region of the same image always reads the same), so a load test measures its
            client rather than OCR on the same cores. Hocr holds those words; Pdf is a
            blank page. Settable while running.
        rate_limit: Requests a second each client may send (per client id; per address
            without a bearer token); beyond it the emulator answers 429 with
            ``Retry-After``. None: no limit. Settable while running.

    Example:
        >>> with Emulator() as emu:  # doctest: +SKIP
        ...     print(emu.base_url)
        http://127.0.0.1:53817
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        retention: float = 86400.0,
        client_id: str | None = None,
        client_secret: str | None = None,
        token_ttl: float = 3600.0,
        clock: Clock | None = None,
        faults: FaultPlan | str | None = None,
        max_failed_logins: int | None = 5,
        login_lockout: float = 600.0,
        ocr: bool = True,
        rate_limit: float | None = None,
    ) -> None:
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an integer 0-65535 (0 picks a free one), got {port!r}.")
        if not _is_loopback(host):
            warnings.warn(
                f"The emulator is binding {host!r}, not loopback: anyone who can reach it can "
                "use it. Bind 127.0.0.1 unless you mean to share it.",
                EmulatorWarning,
                stacklevel=2,
            )
        self.host = host
        self._requested_port = port
        self.client_id = client_id if client_id is not None else generate_client_id()
        self.client_secret = (
            client_secret if client_secret is not None else generate_client_secret()
        )
        if not self.client_id or not self.client_secret:
            raise ValueError("client_id and client_secret must be non-empty (or None to generate).")
        self._service = Service(
            client_id=self.client_id,
            client_secret=self.client_secret,
            latency=_positive("latency", latency, allow_zero=True),
            retention=_positive("retention", retention, allow_zero=False),
            token_ttl=_positive("token_ttl", token_ttl, allow_zero=False),
            clock=clock or time.time,
            max_failed_logins=max_failed_logins,
            login_lockout=_positive("login_lockout", login_lockout, allow_zero=False),
            ocr=bool(ocr),
        )
        self.app = EmulatorApp(self._service)
        self._injector = FaultInjector(self.app, _fault_plan(faults))
        self._traffic = Traffic(
            self._injector,
            self._service.tokens,
            RateLimiter(_rate_limit(rate_limit), self._service.clock),
        )
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._port: int | None = None

    # -- settings readable (and some adjustable) while running ---------------------------

    @property
    def latency(self) -> float:
        """Default processing latency in seconds for newly submitted tasks."""
        return self._service.latency

    @latency.setter
    def latency(self, value: float) -> None:
        self._service.latency = _positive("latency", value, allow_zero=True)

    @property
    def retention(self) -> float:
        """Seconds a task is kept before its id answers NotExist."""
        return self._service.store.retention

    @retention.setter
    def retention(self, value: float) -> None:
        self._service.store.retention = _positive("retention", value, allow_zero=False)

    @property
    def clock(self) -> Clock:
        """The time source for lifecycle, retention and token expiry."""
        return self._service.clock

    @property
    def faults(self) -> FaultPlan | None:
        """The fault plan in force (None: every request answered properly)."""
        return self._injector.plan

    @faults.setter
    def faults(self, plan: FaultPlan | str | None) -> None:
        self._injector.plan = _fault_plan(plan)

    def set_faults(self, plan: FaultPlan | str | None) -> FaultPlan | None:
        """Replace the fault plan (a spec string is parsed); returns the plan now in force."""
        self.faults = plan
        return self.faults

    @property
    def ocr(self) -> bool:
        """Whether recognition runs Tesseract (False: stand-in texts, see the class doc)."""
        return self._service.ocr

    @ocr.setter
    def ocr(self, value: bool) -> None:
        self._service.ocr = bool(value)

    @property
    def rate_limit(self) -> float | None:
        """Requests a second each client may send before 429s; None: no limit."""
        return self._traffic.limiter.limit

    @rate_limit.setter
    def rate_limit(self, value: float | None) -> None:
        self._traffic.limiter.limit = _rate_limit(value)

    @property
    def counts(self) -> RequestCounts:
        """What the server answered so far: submissions per operation, GETs, 429s, ...

        A snapshot (:class:`RequestCounts`); read it again for newer numbers.
        """
        return self._traffic.counts()

    def reset_counts(self) -> None:
        """Start counting answered requests afresh."""
        self._traffic.reset()

    @property
    def token_ttl(self) -> float:
        """Lifetime of issued tokens in seconds."""
        return self._service.tokens.ttl

    @property
    def port(self) -> int:
        """The TCP port the server listens on (known once started)."""
        if self._port is None:
            raise RuntimeError(
                "The emulator is not running: use it in a `with` block or call start()."
            )
        return self._port

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT``, the value to give a client as its base URL."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the server thread is serving."""
        return self._thread is not None and self._thread.is_alive()

    # -- shortcuts for tests and benchmarks ----------------------------------------------

    def issue_token(self) -> str:
        """A valid bearer token, without an HTTP round trip."""
        return self._service.tokens.issue()

    def inject_task(
        self,
        api: str = "RecognizeRegions",
        results: Iterable[tuple[str, bytes | str]] | None = (),
        status: str = "Completed",
        messages: Iterable[str] = (),
        warnings: Iterable[str] = (),
        latency: float | None = None,
        response_status_code: str | None = None,
        task_id: str | None = None,
    ) -> str:
        """Put a task straight into the store, bypassing OCR; returns its id.

        Args:
            api: The operation name (a TTS operation gets a ``TTS…`` id).
            results: ``(type, data)`` pairs; ``str`` data is UTF-8 encoded. None sends
                ``results: null``.
            status: Final ``taskStatus``: Completed, Error, NotExist, or Pending/Processing
                for a task that never finishes.
            messages: ``error.messages``.
            warnings: ``error.warnings``.
            latency: Seconds until the final status (Pending, then Processing, before it);
                None uses the emulator's latency.
            response_status_code: Overrides the code implied by ``status`` (Ok, Error, ...).
            task_id: Use this id instead of a fresh GUID.
        """
        if latency is not None:
            latency = _positive("latency", latency, allow_zero=True)
        return self._service.inject(
            api,
            results,
            status,
            messages,
            warnings,
            latency,
            response_status_code,
            task_id,
        )

    def task_count(self) -> int:
        """How many tasks the store holds (expired ones may linger until next touched)."""
        return len(self._service.store)

    # -- lifecycle -----------------------------------------------------------------------

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # IPPROTO_TCP, not the default 0: asyncio sets TCP_NODELAY only on accepted sockets
        # whose proto says TCP. Without it, uvicorn's separate header and body writes meet
        # Nagle + delayed ACK and every response takes ~44 ms instead of ~1 ms (make bench).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self._requested_port))
            sock.listen(512)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        return sock

    def start(self) -> Emulator:
        """Bind and serve in a background thread; returns self once requests are accepted."""
        if self.running:
            return self
        # Deferred: uvicorn (the emulator extra) loads only when a server starts.
        import uvicorn

        sock = self._bind()
        self._injector.arm()
        config = uvicorn.Config(
            self._traffic,
            log_level="warning",
            access_log=False,
            lifespan="off",
            loop="asyncio",
            timeout_keep_alive=30,
            server_header=False,
            date_header=False,
            timeout_graceful_shutdown=3,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="ocr-emulator-server", daemon=True
        )
        self._socket, self._server, self._thread = sock, server, thread
        self._port = sock.getsockname()[1]
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("The emulator's server did not start; see the log above.")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the server thread to finish. Safe to call twice."""
        server, thread, sock = self._server, self._thread, self._socket
        self._server = self._thread = self._socket = None
        if server is not None:
            server.should_exit = True
            self._injector.release()  # a stalled request must not hold the shutdown
        if thread is not None and thread is not threading.current_thread():
            thread.join(_STOP_TIMEOUT)
        if sock is not None:
            sock.close()
        self._port = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self._port is not None else "stopped"
        extra = "" if self.ocr else " ocr=off"
        if self.rate_limit is not None:
            extra += f" rate_limit={self.rate_limit:g}/s"
        return f"<Emulator {where} latency={self.latency:g}s{extra} client_id={self.client_id!r}>"
