"""What this process submitted, so results fetched later can show their image and regions.

A process-wide, thread-safe, bounded LRU keyed by ``(base_url, task_id)``: any client of
the same service (sync, async, the magic's) finds a submission another one recorded. It
is bounded by entry count and by total image bytes, so a long notebook session that
submits many large images does not grow without limit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from ..results.models import Submission
from ..wire.urls import normalize_base_url

__all__ = ["MAX_BYTES", "MAX_ENTRIES", "clear", "lookup", "remember"]

MAX_ENTRIES = 256
MAX_BYTES = 256 * 1024 * 1024

_lock = threading.Lock()
_entries: OrderedDict[tuple[str, str], Submission] = OrderedDict()
_total_bytes = 0


def _key(base_url: str, task_id: str) -> tuple[str, str]:
    try:
        url = normalize_base_url(base_url)
    except ValueError:
        url = base_url
    # GUIDs are case-insensitive; users paste them in either case.
    return (url, task_id.strip().lower())


def remember(base_url: str, task_id: str, submission: Submission) -> None:
    """Record what was submitted for ``task_id`` on the service at ``base_url``."""
    global _total_bytes
    key = _key(base_url, task_id)
    with _lock:
        old = _entries.pop(key, None)
        if old is not None:
            _total_bytes -= len(old.image)
        _entries[key] = submission
        _total_bytes += len(submission.image)
        # Evict least recently used entries, but always keep the newest one.
        while len(_entries) > 1 and (len(_entries) > MAX_ENTRIES or _total_bytes > MAX_BYTES):
            _, evicted = _entries.popitem(last=False)
            _total_bytes -= len(evicted.image)


def lookup(base_url: str, task_id: str) -> Submission | None:
    """The submission recorded for ``task_id`` at ``base_url``, or None."""
    key = _key(base_url, task_id)
    with _lock:
        submission = _entries.get(key)
        if submission is not None:
            _entries.move_to_end(key)
        return submission


def clear() -> None:
    """Forget every submission (tests; or to free memory)."""
    global _total_bytes
    with _lock:
        _entries.clear()
        _total_bytes = 0
