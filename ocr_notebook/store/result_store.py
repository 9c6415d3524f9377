"""A local store of Completed results, so nothing is lost when the service forgets a task.

The service keeps results for 24 hours. Every Completed result this package fetches can be
written here (SQLite from the standard library, in the user's cache directory, file mode
0600), keyed by service base URL, operation and task id, together with the submitted image
and regions when this package submitted the task. Several kernels may write at once: SQLite's
WAL journal and a busy timeout serialise them without corruption.

Turn it off with ``OCR_NOTEBOOK_STORE=0`` (or ``%config OCRMagics.store = False``); move it
with ``OCR_NOTEBOOK_STORE_PATH``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from ..results.models import OCRResult, TaskStatus

__all__ = ["ResultStore", "default_store", "store_enabled"]

_ENV_ENABLED = "OCR_NOTEBOOK_STORE"
_ENV_PATH = "OCR_NOTEBOOK_STORE_PATH"
_FALSE = frozenset({"0", "false", "no", "off"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    base_url   TEXT NOT NULL,
    api        TEXT NOT NULL,
    task_id    TEXT NOT NULL,
    stored_at  REAL NOT NULL,
    payload    TEXT NOT NULL,
    PRIMARY KEY (base_url, api, task_id)
)
"""

# A person's corrections live beside the service's result, never in its payload. Created on
# first use by this version, so a store file written by an older one opens unchanged.
_CORRECTIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS corrections (
    base_url      TEXT NOT NULL,
    api           TEXT NOT NULL,
    task_id       TEXT NOT NULL,
    region_order  INTEGER NOT NULL,
    text          TEXT NOT NULL,
    corrected_at  REAL NOT NULL,
    PRIMARY KEY (base_url, api, task_id, region_order)
)
"""


def store_enabled() -> bool:
    """Whether the environment allows the local store (``OCR_NOTEBOOK_STORE`` not false)."""
    return os.environ.get(_ENV_ENABLED, "1").strip().lower() not in _FALSE


def _normalise_url(base_url: str) -> str:
    return base_url.strip().rstrip("/").lower()


def _normalise_api(api: str) -> str:
    # Operation names are case-insensitive on the service.
    return api.strip().lower()


class ResultStore:
    """Completed results on disk, keyed by (service base URL, operation, task id).

    Args:
        path: The SQLite file. Default: ``$OCR_NOTEBOOK_STORE_PATH`` or
            ``<user cache dir>/ocr_notebook/results.sqlite3``.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else self.default_path()
        self._init_lock = threading.Lock()
        self._initialised = False

    @staticmethod
    def default_path() -> Path:
        """Where the store lives when no path is given."""
        env = os.environ.get(_ENV_PATH)
        if env:
            return Path(env)
        import platformdirs

        return Path(platformdirs.user_cache_dir("ocr_notebook")) / "results.sqlite3"

    def __repr__(self) -> str:
        return f"<ResultStore {str(self.path)!r}>"

    # -- connection handling ----------------------------------------------------------------

    def _create_file(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Create the file ourselves so it is 0600 from its first byte (results may be private
        # documents); SQLite gives its -wal/-shm companions the same mode.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        os.chmod(self.path, 0o600)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # One short-lived connection per operation: sqlite3 connections must not cross
        # threads, and background fetches write from worker threads.
        with self._init_lock:
            if not self._initialised:
                self._create_file()
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            with self._init_lock:
                if not self._initialised:
                    conn.execute("PRAGMA journal_mode = WAL")
                    conn.execute(_SCHEMA)
                    conn.execute(_CORRECTIONS_SCHEMA)
                    self._initialised = True
            yield conn
        finally:
            conn.close()

    # -- operations ---------------------------------------------------------------------------

    def put(self, base_url: str, result: OCRResult) -> bool:
        """Store ``result`` if it is Completed and has an id; returns whether it was stored."""
        if result.status is not TaskStatus.COMPLETED or not result.id:
            return False
        service_result = replace(result, corrections={})  # corrections have their own table
        payload = json.dumps(service_result.to_dict(), separators=(",", ":"))
        with self._connect() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?)",
                (
                    _normalise_url(base_url),
                    _normalise_api(result.api),
                    result.id.lower(),
                    time.time(),
                    payload,
                ),
            )
        return True

    def get(self, base_url: str, api: str, task_id: str) -> OCRResult | None:
        """The stored result of a task, or None."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT payload FROM results WHERE base_url = ? AND api = ? AND task_id = ?",
                (_normalise_url(base_url), _normalise_api(api), task_id.lower()),
            ).fetchone()
        if row is None:
            return None
        return OCRResult.from_dict(json.loads(row[0]))

    def stored_at(self, base_url: str, api: str, task_id: str) -> float | None:
        """When the task's result was stored (epoch seconds), or None."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT stored_at FROM results WHERE base_url = ? AND api = ? AND task_id = ?",
                (_normalise_url(base_url), _normalise_api(api), task_id.lower()),
            ).fetchone()
        return None if row is None else float(row[0])

    def delete(self, base_url: str, api: str, task_id: str) -> bool:
        """Forget one task (and its corrections); returns whether its result was there."""
        key = (_normalise_url(base_url), _normalise_api(api), task_id.lower())
        with self._connect() as conn:
            cur = conn.execute(
                "DELETE FROM results WHERE base_url = ? AND api = ? AND task_id = ?", key
            )
            conn.execute(
                "DELETE FROM corrections WHERE base_url = ? AND api = ? AND task_id = ?", key
            )
        return cur.rowcount > 0

    def corrections(self, base_url: str, api: str, task_id: str) -> dict[int, str]:
        """The corrections stored for a task, ``{region order: text}`` (empty when none)."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT region_order, text FROM corrections "
                "WHERE base_url = ? AND api = ? AND task_id = ? ORDER BY region_order",
                (_normalise_url(base_url), _normalise_api(api), task_id.lower()),
            ).fetchall()
        return {int(order): str(text) for order, text in rows}

    def update_corrections(
        self,
        base_url: str,
        api: str,
        task_id: str,
        corrections: Mapping[int, str | None],
    ) -> dict[int, str]:
        """Store ``corrections`` for a task (``None`` removes one); returns all it now has.

        One transaction, so two kernels correcting the same task never lose each other's
        regions.
        """
        key = (_normalise_url(base_url), _normalise_api(api), task_id.lower())
        now = time.time()
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for order, text in corrections.items():
                    if text is None:
                        conn.execute(
                            "DELETE FROM corrections WHERE base_url = ? AND api = ? "
                            "AND task_id = ? AND region_order = ?",
                            (*key, int(order)),
                        )
                    else:
                        conn.execute(
                            "INSERT OR REPLACE INTO corrections VALUES (?, ?, ?, ?, ?, ?)",
                            (*key, int(order), text, now),
                        )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return self.corrections(base_url, api, task_id)

    def clear(self) -> int:
        """Forget every stored result and correction; returns how many results there were."""
        with self._connect() as conn:
            cur = conn.execute("DELETE FROM results")
            conn.execute("DELETE FROM corrections")  # they hold the documents' text too
        return cur.rowcount

    def __len__(self) -> int:
        with self._connect() as conn:
            (count,) = conn.execute("SELECT COUNT(*) FROM results").fetchone()
        return int(count)


_default: ResultStore | None = None
_default_lock = threading.Lock()


def default_store() -> ResultStore | None:
    """The process-wide store at the default path, or None when the environment disables it."""
    global _default
    if not store_enabled():
        return None
    with _default_lock:
        path = ResultStore.default_path()
        if _default is None or _default.path != path:
            _default = ResultStore(path)
        return _default
