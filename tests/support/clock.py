"""The one fake clock of the test suite: time moves only when a test sleeps or advances it."""

from __future__ import annotations

import asyncio


class FakeClock:
    """A clock that moves only when slept on or advanced; records every sleep.

    Serves as ``time.time`` for the emulator and ``time.monotonic`` for the client, the
    pollers and the badge's throttle. A negative sleep is a bug in the caller and fails.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, seconds
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.now += seconds
