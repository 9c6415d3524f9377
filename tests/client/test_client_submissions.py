"""The process-wide registry of what was submitted: LRU, bounded, thread-safe."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from ocr_notebook import Rect, Submission
from ocr_notebook.client import submissions as registry

GUID = "b7162f77-bf10-407d-86de-ee255e422ca7"


@pytest.fixture(autouse=True)
def empty() -> Iterator[None]:
    registry.clear()
    yield
    registry.clear()


def sub(size: int = 3) -> Submission:
    return Submission(image=b"x" * size, regions=(Rect(0, 0, 1, 1),), orders=(0,))


def test_lookup_normalizes_url_and_id_case() -> None:
    s = sub()
    registry.remember("http://127.0.0.1:8000/", GUID, s)
    assert registry.lookup("http://127.0.0.1:8000", GUID.upper()) is s
    assert registry.lookup("http://127.0.0.1:8001", GUID) is None


def test_least_recently_used_is_evicted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "MAX_ENTRIES", 3)
    ids = [f"{i:08x}-0000-4000-8000-000000000000" for i in range(4)]
    for task_id in ids[:3]:
        registry.remember("https://a.test", task_id, sub())
    assert registry.lookup("https://a.test", ids[0]) is not None  # now most recent
    registry.remember("https://a.test", ids[3], sub())
    assert registry.lookup("https://a.test", ids[1]) is None
    assert all(registry.lookup("https://a.test", t) for t in (ids[0], ids[2], ids[3]))


def test_total_bytes_bounded_but_newest_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "MAX_BYTES", 10)
    first = f"{1:08x}-0000-4000-8000-000000000000"
    second = f"{2:08x}-0000-4000-8000-000000000000"
    registry.remember("https://a.test", first, sub(6))
    registry.remember("https://a.test", second, sub(20))
    assert registry.lookup("https://a.test", first) is None
    assert registry.lookup("https://a.test", second) is not None


def test_concurrent_use() -> None:
    def work(n: int) -> None:
        for i in range(200):
            task_id = f"{n:04x}{i:04x}-0000-4000-8000-000000000000"
            registry.remember("https://a.test", task_id, sub())
            registry.lookup("https://a.test", task_id)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(registry._entries) == registry.MAX_ENTRIES
    assert registry._total_bytes == 3 * registry.MAX_ENTRIES
