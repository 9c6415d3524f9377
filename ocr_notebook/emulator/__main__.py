"""``python -m ocr_notebook.emulator``: serve the emulator until interrupted.

The first line printed is the base URL, so scripts can read it with ``head -n1``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from ._fault_plan import FaultPlan
from ._server import Emulator


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if value != value or value < 0:
        raise argparse.ArgumentTypeError(f"expected seconds >= 0, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ocr_notebook.emulator",
        description="A local Aspose.OCR Cloud v5 API that does real OCR with Tesseract.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one")
    parser.add_argument("--client-id", help="accepted client id (generated if omitted)")
    parser.add_argument("--client-secret", help="accepted client secret (generated if omitted)")
    parser.add_argument(
        "--latency", type=_seconds, default=0.0, help="seconds each task takes (default 0)"
    )
    parser.add_argument(
        "--retention",
        type=_seconds,
        default=86400.0,
        help="seconds results are kept before answering NotExist (default 86400)",
    )
    parser.add_argument(
        "--max-failed-logins",
        type=_failed_logins,
        default=5,
        metavar="N",
        help=(
            "failed token requests a client id + secret pair may make before it is locked out "
            "with 429, as the service does (default 5; 0 turns the lockout off)"
        ),
    )
    parser.add_argument(
        "--login-lockout",
        type=_seconds,
        default=600.0,
        metavar="SECONDS",
        help="seconds a locked-out pair must wait (default 600)",
    )
    parser.add_argument(
        "--no-ocr",
        dest="ocr",
        action="store_false",
        help=(
            "answer every recognition with a stand-in text (a few words, the same for the "
            "same region of the same image) instead of running Tesseract: a load target"
        ),
    )
    parser.add_argument(
        "--rate-limit",
        type=_rate,
        default=None,
        metavar="R",
        help="answer 429 with Retry-After beyond R requests a second per client (default: none)",
    )
    parser.add_argument(
        "--faults",
        metavar="SPEC",
        type=_fault_spec,
        default=None,
        help=(
            "answer chosen requests badly, e.g. 'get:429=1@0.05,get:502@0.02,get:drop@0.01,"
            "seed=7': [TARGET:]FAULT[=ARG][@WHEN] items; TARGET get|post|delete[/OPERATION]|"
            "token; FAULT an HTTP status 400-599, drop, stall=SECONDS, truncate, cut-json, "
            "not-json, missing-fields, unknown-status, unknown-code, bad-base64, wrong-type, "
            "expired-token; WHEN a fraction (0.05), a request number (3), a range (2-4) or * "
            "(see ocr_notebook.emulator.FaultPlan)"
        ),
    )
    return parser


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected requests per second > 0, got {text!r}")
    return value


def _failed_logins(text: str) -> int | None:
    try:
        number = int(text)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return number or None


def _fault_spec(text: str) -> FaultPlan:
    try:
        return FaultPlan.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator in the foreground; returns the process exit code."""
    args = _parser().parse_args(argv)

    try:
        emulator = Emulator(
            host=args.host,
            port=args.port,
            latency=args.latency,
            retention=args.retention,
            client_id=args.client_id,
            client_secret=args.client_secret,
            faults=args.faults,
            max_failed_logins=args.max_failed_logins,
            login_lockout=args.login_lockout,
            ocr=args.ocr,
            rate_limit=args.rate_limit,
        )
        emulator.start()
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"ocr_notebook.emulator: cannot start: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    print(emulator.base_url, flush=True)
    print(f"client_id:     {emulator.client_id}")
    if args.client_secret is None:
        # Generated here, so the user has no other way to learn it.
        print(f"client_secret: {emulator.client_secret}  (generated)")
    else:
        print("client_secret: the one given with --client-secret")
    if args.faults is not None:
        print(f"faults: {args.faults!r}")
    if not args.ocr:
        print("OCR off: stand-in texts, no Tesseract.")
    if args.rate_limit is not None:
        print(f"rate limit: {args.rate_limit:g} requests/s per client, then 429.")
    print(f"latency {emulator.latency:g} s, retention {emulator.retention:g} s. Stop with Ctrl+C.")
    sys.stdout.flush()
    try:
        while not stop.wait(0.5):
            if not emulator.running:
                print("ocr_notebook.emulator: the server stopped unexpectedly.", file=sys.stderr)
                return 1
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
