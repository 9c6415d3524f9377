"""Rate limiting for live displays: redraw at most N times a second, never lose the last state.

A poller may report many times a second (a thousand tasks fetched at once report a
thousand times); a browser needs far fewer redraws. ``Throttle`` sits between the two:
``request()`` says "the state changed", and the redraw callback runs at once when the
budget allows, or later (a trailing redraw) when it does not, so the final state is always
drawn. Time and scheduling are injected so tests can count redraws per simulated second.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

__all__ = ["Schedule", "Throttle"]

#: ``schedule(delay, callback)`` runs ``callback`` once, ``delay`` seconds from now.
Schedule = Callable[[float, Callable[[], None]], object]

# Clock readings this close to the next allowed time count as reaching it (float sums of
# delays land a hair short: 0.03 + 0.03 + 0.04 < 0.1).
_EPSILON = 1e-6


class Throttle:
    """Call ``redraw`` at most ``rate`` times per second of ``clock``, keeping the last state.

    ``redraw`` returns how many messages it sent (0 when nothing changed); each message
    spends one slot of the budget, so a redraw of two widgets waits twice as long before
    the next one. ``burst`` is the most messages one redraw can send: a redraw also waits
    until the last second holds room for that many, so no 1-second window (sliding, as
    ``make bench`` counts) ever holds more than ``rate`` messages; spacing alone lets a
    one-message redraw and a two-message one 0.1 s later make 11. Without a ``schedule``,
    a trailing redraw happens on the next ``tick()``, ``request()`` or ``drain()``; with
    one, it is scheduled for when the budget allows.
    """

    def __init__(
        self,
        redraw: Callable[[], int],
        *,
        rate: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        schedule: Schedule | None = None,
        burst: int = 1,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate!r}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst!r}")
        self._redraw = redraw
        self._interval = 1.0 / rate
        self._burst = burst
        # Room for a whole redraw must fit in the window, whatever the rate.
        self._window_limit = max(int(rate), burst)
        self._sent_at: deque[float] = deque()  # when each message of the last second went
        self._clock = clock
        self._schedule = schedule
        # A re-entrant lock: a redraw may itself request another (a settled badge does).
        self._lock = threading.RLock()
        self._dirty = False
        self._timer_pending = False
        self._next_allowed = float("-inf")
        self.redraws = 0  # how many redraws ran (for tests and benchmarks)

    @property
    def schedule(self) -> Schedule | None:
        """How trailing redraws are scheduled (None: by the next ``tick()``)."""
        return self._schedule

    @schedule.setter
    def schedule(self, schedule: Schedule | None) -> None:
        self._schedule = schedule

    @property
    def dirty(self) -> bool:
        """Whether a state change is waiting to be drawn."""
        return self._dirty

    def request(self) -> None:
        """Note that the state changed; redraw now if the budget allows, else later."""
        with self._lock:
            self._dirty = True
            wait = self.delay()
            if wait == 0.0:
                self._run()
            elif self._schedule is not None and not self._timer_pending:
                self._timer_pending = True
                self._schedule(wait, self._on_timer)

    def mark(self) -> None:
        """Note that the state changed without drawing (a later ``tick()`` draws it)."""
        with self._lock:
            self._dirty = True

    def tick(self) -> None:
        """Redraw if a change is waiting and the budget allows (for a periodic driver)."""
        with self._lock:
            if self._dirty and self.delay() == 0.0:
                self._run()

    def delay(self) -> float:
        """Seconds until the budget allows the next redraw (0 when it does now)."""
        with self._lock:
            now = self._clock()
            sent_at = self._sent_at
            while sent_at and sent_at[0] <= now - 1.0 + _EPSILON:
                sent_at.popleft()
            wait = self._next_allowed - now
            excess = len(sent_at) + self._burst - self._window_limit
            if excess > 0:  # wait until enough of the last second's messages age out
                wait = max(wait, sent_at[excess - 1] + 1.0 - now)
            return wait if wait > _EPSILON else 0.0

    def drain(self, sleep: Callable[[float], None] = time.sleep) -> None:
        """Draw a waiting change, sleeping first if the budget says so (the final redraw)."""
        with self._lock:
            if not self._dirty:
                return
            wait = self.delay()
        if wait > 0:
            sleep(wait)
        with self._lock:
            if self._dirty:
                self._run()

    def _on_timer(self) -> None:
        with self._lock:
            self._timer_pending = False
            if not self._dirty:
                return
            if self.delay() == 0.0 or self._schedule is None:
                self._run()
            else:  # a clock coarser than the timer: try again when allowed
                self._timer_pending = True
                self._schedule(self.delay(), self._on_timer)

    def _run(self) -> None:
        self._dirty = False
        sent = self._redraw()
        self.redraws += 1
        if sent > 0:  # a redraw that changed nothing costs nothing
            now = self._clock()
            self._next_allowed = now + self._interval * sent
            self._sent_at.extend([now] * sent)
