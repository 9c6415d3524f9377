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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator in the foreground; returns the process exit code."""
    args = _parser().parse_args(argv)
    from ._server import Emulator

    try:
        emulator = Emulator(
            host=args.host,
            port=args.port,
            latency=args.latency,
            retention=args.retention,
            client_id=args.client_id,
            client_secret=args.client_secret,
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
