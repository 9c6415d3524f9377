"""An ``Emulator`` in a separate process, seeded with tasks on request (benchmarks only).

The CLI cannot inject tasks, so this helper starts ``Emulator`` itself and reads JSON
commands on stdin, one a line, answering each with one JSON line on stdout:

* at start it prints ``{"base_url", "token"}``;
* with ``--delay SECONDS`` every GET of a RecognizeRegions task waits that long before it
  is answered, as a service across a network would (the emulator's own ``stall`` fault:
  an ``asyncio.sleep``, so requests still overlap);
* ``{"op": "inject", "count": N, "regions": R, "chars": C, "latency": L}`` injects N
  Completed RecognizeRegions tasks of R Text regions of C characters, Completed after L
  seconds, and answers ``{"ids": [...], "created": [...]}`` (``time.time()`` of each);
  ``"latencies": [L1, L2, ...]`` instead of count and latency injects one task each;
* ``{"op": "quit"}`` (or end of input) stops it.

:class:`EmulatorProcess` is the parent's side.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

_WORDS = [
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
]


def region_text(index: int, chars: int) -> str:
    """A line of readable text of exactly ``chars`` characters, different per region."""
    words: list[str] = []
    size = 0
    i = index
    while size < chars:
        word = _WORDS[i % len(_WORDS)]
        words.append(word)
        size += len(word) + 1
        i += 1
    return (f"{index}: " + " ".join(words))[:chars].ljust(chars, ".")


def _serve(argv: list[str]) -> int:
    from ocr_notebook.emulator import Emulator

    parser = argparse.ArgumentParser(prog="python -m benchmarks.emulator_process")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds added to each GET")
    args = parser.parse_args(argv)
    faults = f"get/RecognizeRegions:stall={args.delay!r}" if args.delay > 0 else None
    with Emulator(port=0, faults=faults) as emu:
        print(json.dumps({"base_url": emu.base_url, "token": emu.issue_token()}), flush=True)
        for line in sys.stdin:
            command: dict[str, Any] = json.loads(line)
            if command.get("op") != "inject":
                break
            regions = int(command.get("regions", 10))
            chars = int(command.get("chars", 100))
            results = [("Text", region_text(i, chars)) for i in range(regions)]
            latencies = command.get("latencies") or [command.get("latency", 0.0)] * int(
                command["count"]
            )
            ids: list[str] = []
            created: list[float] = []
            for latency in latencies:
                created.append(time.time())
                ids.append(emu.inject_task(results=results, latency=float(latency)))
            print(json.dumps({"ids": ids, "created": created}), flush=True)
    return 0


class EmulatorProcess:
    """Start the helper above in a subprocess; ``inject`` tasks; stop it on exit.

    Attributes:
        base_url: The emulator's ``http://127.0.0.1:PORT``.
        token: A valid bearer token.
    """

    def __init__(self, *, delay: float = 0.0) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.delay = delay
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.emulator_process", "--delay", str(delay)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        hello = self._read()
        self.base_url: str = hello["base_url"]
        self.token: str = hello["token"]
        self.pid = self._proc.pid
        self._settle()

    def _settle(self, timeout: float = 15.0) -> None:
        """Wait until GETs are answered promptly: the emulator loads Tesseract in each OCR
        worker at start, which slows its first answers for a second or so."""
        import httpx

        url = f"{self.base_url}/v5.0/ocr/RecognizeRegions"
        params = {"id": "00000000-0000-0000-0000-000000000000"}
        headers = {"Authorization": f"Bearer {self.token}"}
        deadline = time.monotonic() + timeout
        fast = 0
        with httpx.Client(headers=headers) as client:
            while fast < 10 and time.monotonic() < deadline:
                started = time.perf_counter()
                client.get(url, params=params).raise_for_status()
                prompt = time.perf_counter() - started < self.delay * 1.5 + 0.01
                fast = fast + 1 if prompt else 0

    def _read(self) -> dict[str, Any]:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("The emulator helper process ended before answering.")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def inject(
        self,
        count: int,
        *,
        regions: int = 10,
        chars: int = 100,
        latency: float = 0.0,
        latencies: list[float] | None = None,
    ) -> tuple[list[str], list[float]]:
        """Inject ``count`` tasks (or one per entry of ``latencies``, in one round trip);
        returns their ids and creation times (``time.time()``)."""
        assert self._proc.stdin is not None
        command = {
            "op": "inject",
            "count": count,
            "regions": regions,
            "chars": chars,
            "latency": latency,
            "latencies": latencies,
        }
        self._proc.stdin.write(json.dumps(command) + "\n")
        self._proc.stdin.flush()
        reply = self._read()
        return list(reply["ids"]), [float(t) for t in reply["created"]]

    def close(self) -> None:
        """Ask the helper to stop; kill it if it does not within a few seconds."""
        if self._proc.poll() is None:
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self._proc.stdin.close()
                self._proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
                self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


if __name__ == "__main__":
    sys.exit(_serve(sys.argv[1:]))
