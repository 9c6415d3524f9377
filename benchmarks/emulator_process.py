"""An ``Emulator`` in a separate process, seeded with tasks on request (benchmarks only).

The CLI cannot inject tasks, so this helper starts ``Emulator`` itself and reads JSON
commands on stdin, one a line, answering each with one JSON line on stdout:

* at start it prints ``{"base_url", "token"}``;
* ``{"op": "inject", "count": N, "regions": R, "chars": C, "latency": L}`` injects N
  Completed RecognizeRegions tasks of R Text regions of C characters, Completed after L
  seconds, and answers ``{"ids": [...], "created": [...]}`` (``time.time()`` of each);
* ``{"op": "quit"}`` (or end of input) stops it.

:class:`EmulatorProcess` is the parent's side.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from types import TracebackType
from typing import Any

_WORDS = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor".split()


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


def _serve() -> int:
    from ocr_notebook.emulator import Emulator

    with Emulator(port=0) as emu:
        print(json.dumps({"base_url": emu.base_url, "token": emu.issue_token()}), flush=True)
        for line in sys.stdin:
            command: dict[str, Any] = json.loads(line)
            if command.get("op") != "inject":
                break
            regions = int(command.get("regions", 10))
            chars = int(command.get("chars", 100))
            results = [("Text", region_text(i, chars)) for i in range(regions)]
            latency = float(command.get("latency", 0.0))
            ids: list[str] = []
            created: list[float] = []
            for _ in range(int(command["count"])):
                created.append(time.time())
                ids.append(emu.inject_task(results=results, latency=latency))
            print(json.dumps({"ids": ids, "created": created}), flush=True)
    return 0


class EmulatorProcess:
    """Start the helper above in a subprocess; ``inject`` tasks; stop it on exit.

    Attributes:
        base_url: The emulator's ``http://127.0.0.1:PORT``.
        token: A valid bearer token.
    """

    def __init__(self) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.emulator_process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        hello = self._read()
        self.base_url: str = hello["base_url"]
        self.token: str = hello["token"]
        self.pid = self._proc.pid

    def _read(self) -> dict[str, Any]:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("The emulator helper process ended before answering.")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def inject(
        self, count: int, *, regions: int = 10, chars: int = 100, latency: float = 0.0
    ) -> tuple[list[str], list[float]]:
        """Inject ``count`` tasks; returns their ids and creation times (``time.time()``)."""
        assert self._proc.stdin is not None
        command = {
            "op": "inject",
            "count": count,
            "regions": regions,
            "chars": chars,
            "latency": latency,
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
    sys.exit(_serve())
