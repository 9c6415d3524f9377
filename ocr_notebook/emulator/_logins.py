"""The token endpoint's lockout after repeated failed logins, as the real service has it.

Aspose Cloud rate-limits only ``/connect/token``, and only failed requests count: after 5
failed requests with one client id + secret pair, that pair gets HTTP 429 with
``Retry-After: 600`` for 10 minutes; changing either half escapes it
(https://docs.aspose.cloud/total/rate-limits).
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["LoginLimiter", "pair_key"]

_MAX_TRACKED = 10_000  # pairs remembered at most: a stream of random pairs cannot grow memory


def pair_key(client_id: str, client_secret: str) -> str:
    """A digest naming a credential pair, so the limiter never holds a secret itself."""
    raw = (
        client_id.encode("utf-8", "surrogatepass")
        + b"\0"
        + client_secret.encode("utf-8", "surrogatepass")
    )
    return hashlib.sha256(raw).hexdigest()


@dataclass
class _Record:
    failures: int
    locked_until: float | None


class LoginLimiter:
    """Counts failed logins per credential pair and locks a pair out once it has too many.

    Args:
        max_failures: Failed logins a pair may make; the next request with that pair is
            refused with 429 until the lockout ends. None turns the limiter off.
        lockout: Seconds a pair stays locked out (the service: 600).
        clock: A ``time.time``-like function (the emulator's clock, so tests can move it).
    """

    def __init__(
        self, max_failures: int | None, lockout: float, clock: Callable[[], float]
    ) -> None:
        if max_failures is not None and max_failures < 1:
            raise ValueError(f"max_failures must be at least 1 (or None), got {max_failures}.")
        if not lockout > 0:
            raise ValueError(f"lockout must be a positive number of seconds, got {lockout}.")
        self.max_failures = max_failures
        self.lockout = lockout
        self.clock = clock
        self._records: dict[str, _Record] = {}
        # Token requests are handled on the server's loop, but tests call in from others.
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> int | None:
        """Whole seconds ``key``'s pair must still wait, or None when it may try now."""
        with self._lock:
            record = self._records.get(key)
            if record is None or record.locked_until is None:
                return None
            remaining = record.locked_until - self.clock()
            if remaining <= 0:
                del self._records[key]  # served its time: a fresh start
                return None
            return max(1, math.ceil(remaining))

    def failed(self, key: str) -> None:
        """Count one failed login for ``key``; the last one allowed starts the lockout."""
        if self.max_failures is None:
            return
        with self._lock:
            record = self._records.get(key)
            if record is None:
                if len(self._records) >= _MAX_TRACKED:
                    self._forget_oldest()
                record = self._records[key] = _Record(0, None)
            record.failures += 1
            if record.failures >= self.max_failures:
                record.locked_until = self.clock() + self.lockout

    def _forget_oldest(self) -> None:
        # dicts keep insertion order: the first key is the pair seen longest ago.
        del self._records[next(iter(self._records))]
