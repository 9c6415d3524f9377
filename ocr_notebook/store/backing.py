"""The local result store as the notebook layer uses it: answer first, fall back on NotExist.

``%ocr_fetch`` asks a :class:`StoreBacking` for its outcomes: ids whose Completed result
is stored are answered from the store (no request, no credentials needed); the others are
fetched, and every Completed result is written back by the client (``store=``). When the
service answers NotExist (past its 24-hour retention) for a task the store holds, the
stored copy is returned with a note saying so. ``%ocr_store`` shows and clears the store.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast, overload

from ..client.config import DEFAULT_BASE_URL, ENV_BASE_URL, normalize_base_url
from ..results.errors import OCRError, TaskNotFoundError
from ..results.models import OCRResult, TaskStatus
from .corrections import CorrectionsNote, apply_stored_corrections
from .result_store import ResultStore, default_store, store_enabled

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

__all__ = [
    "StoreBacking",
    "StoreNote",
    "active_store",
    "clear_store",
    "service_base_url",
]

_log = logging.getLogger("ocr_notebook")

Outcome = OCRResult | OCRError
Note = Callable[["StoreNote | CorrectionsNote"], object]
Fetch = Callable[[list[str]], Sequence[Outcome]]


@dataclass(frozen=True)
class StoreNote:
    """Why a result came from the local store rather than from the service.

    Attributes:
        task_id: The task.
        stored_at: When its result was stored (epoch seconds), if known.
        forgotten: True when the service answered NotExist for it (past its retention).
    """

    task_id: str
    stored_at: float | None
    forgotten: bool

    @property
    def line(self) -> str:
        """One line for the notebook user."""
        when = (
            time.strftime(" on %Y-%m-%d %H:%M", time.localtime(self.stored_at))
            if self.stored_at is not None
            else ""
        )
        if self.forgotten:
            return (
                f"The service no longer has task {self.task_id} (it keeps results for 24 hours); "
                f"showing the copy kept in the local result store{when}."
            )
        return (
            f"Task {self.task_id} answered from the local result store (stored{when}); "
            "add --refresh to ask the service again."
        )


def service_base_url(configured: str | None) -> str:
    """The normalized base URL a client would use (config, else environment, else default)."""
    return normalize_base_url(configured or os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL)


def active_store(enabled: bool = True) -> ResultStore | None:
    """The process-wide store, or None when ``enabled`` is False or the environment says off."""
    return default_store() if enabled else None


def clear_store() -> int:
    """Delete every result kept in the local store; returns how many there were.

    The store is at ``$OCR_NOTEBOOK_STORE_PATH`` or in the user's cache directory. In a
    notebook, ``%ocr_store clear`` does the same.
    """
    store = ResultStore()
    if not store.path.exists():
        return 0
    return store.clear()


def _lookup(store: ResultStore, base_url: str, api: str, task_id: str) -> OCRResult | None:
    try:
        result = store.get(base_url, api, task_id)
    except (OSError, sqlite3.Error, ValueError, OCRError) as exc:
        # An unreadable store is a miss, not a failure: the service still answers.
        _log.warning("Could not read the local result store %s: %s", store.path, exc)
        return None
    if result is None or result.status is not TaskStatus.COMPLETED:
        return None
    return result


def _stored_at(store: ResultStore, base_url: str, api: str, task_id: str) -> float | None:
    try:
        return store.stored_at(base_url, api, task_id)
    except (OSError, sqlite3.Error):
        return None


def _forgotten(outcome: Outcome) -> bool:
    if isinstance(outcome, TaskNotFoundError):
        return True
    return isinstance(outcome, OCRResult) and outcome.status is TaskStatus.NOT_EXIST


class StoreBacking:
    """The local store behind one fetch: it answers stored ids first and backs up NotExist.

    Args:
        store: The store, or None (then it answers nothing and amends nothing).
        base_url: The service's normalized base URL (part of the store's key).
        api: The operation.
        note: Told about each result taken from the store, and each shown with (or,
            ``original``, without) the corrections stored for it.
        original: Show the service's texts, not the stored corrections.
    """

    def __init__(
        self,
        store: ResultStore | None,
        *,
        base_url: str,
        api: str,
        note: Note | None = None,
        original: bool = False,
    ) -> None:
        self.store = store
        self.base_url = base_url
        self.api = api
        self.note = note
        self.original = original

    def answered(self, task_ids: Sequence[str], *, refresh: bool = False) -> dict[str, OCRResult]:
        """The stored Completed results among ``task_ids`` (none when ``refresh``)."""
        store = self.store
        found: dict[str, OCRResult] = {}
        if store is None or refresh:
            return found
        for tid in task_ids:
            kept = _lookup(store, self.base_url, self.api, tid)
            if kept is not None:
                self._tell(tid, forgotten=False)
                found[tid] = self._corrected(kept)
        return found

    def amend(self, task_id: str, outcome: Outcome) -> Outcome:
        """``outcome`` as fetched, or the stored copy when the service has forgotten the task.

        Either way with the corrections stored for the task (unless ``original``).
        """
        store = self.store
        if store is None:
            return outcome
        if _forgotten(outcome):
            kept = _lookup(store, self.base_url, self.api, task_id)
            if kept is not None:
                self._tell(task_id, forgotten=True)
                outcome = kept
        return self._corrected(outcome)

    @overload
    def _corrected(self, outcome: OCRResult) -> OCRResult: ...
    @overload
    def _corrected(self, outcome: Outcome) -> Outcome: ...
    def _corrected(self, outcome: Outcome) -> Outcome:
        if self.store is None or not isinstance(outcome, OCRResult):
            return outcome
        shown, note = apply_stored_corrections(
            self.store, self.base_url, outcome, original=self.original
        )
        if note is not None and self.note is not None:
            self.note(note)
        return shown

    def fetch(
        self, task_ids: Sequence[str], fetch: Fetch, *, refresh: bool = False
    ) -> list[Outcome]:
        """One outcome per id, in order: from the store when it has the result, else fetched.

        Args:
            task_ids: Valid task ids.
            fetch: Fetches a list of ids from the service, one outcome each, in order. It
                is not called when the store answers every id.
            refresh: Ask the service even for stored ids (the store still backs a NotExist).
        """
        found = self.answered(task_ids, refresh=refresh)
        missing = [tid for tid in task_ids if tid not in found]
        fetched = dict(zip(missing, fetch(missing), strict=True)) if missing else {}
        return [found[tid] if tid in found else self.amend(tid, fetched[tid]) for tid in task_ids]

    def _tell(self, task_id: str, *, forgotten: bool) -> None:
        if self.note is not None and self.store is not None:
            stored_at = _stored_at(self.store, self.base_url, self.api, task_id)
            self.note(StoreNote(task_id, stored_at, forgotten))


# -- %ocr_store ------------------------------------------------------------------------------


def _store_switch(shell: InteractiveShell | None) -> bool:
    """``%config OCRMagics.store`` (True when the extension is not loaded)."""
    if shell is None:
        return True
    from ..notebook.magics import OCRMagics

    for configurable in shell.configurables:
        if isinstance(configurable, OCRMagics):
            return bool(configurable.store)
    return True


def ocr_store_line(shell: InteractiveShell | None, line: str) -> str:
    """What ``%ocr_store [clear]`` does, as the line it prints.

    Raises:
        ValueError: an unknown sub-command.
    """
    command = line.strip().lower()
    if command not in ("", "clear", "info"):
        raise ValueError(
            f"%ocr_store {line.strip()!r}: use %ocr_store (where and how many) or "
            "%ocr_store clear (delete every stored result)."
        )
    store = ResultStore()
    if command == "clear":
        removed = clear_store()
        return f"Removed {removed} stored result{'s' if removed != 1 else ''} from {store.path}."
    if not store_enabled() or not _store_switch(shell):
        return (
            "The local result store is off (OCR_NOTEBOOK_STORE=0 or %config OCRMagics.store = "
            f"False); it lives at {store.path}."
        )
    count = len(store) if store.path.exists() else 0
    return (
        f"{count} Completed result{'s' if count != 1 else ''} kept in {store.path}; "
        "%ocr_store clear deletes them."
    )


def register_store_magic(shell: InteractiveShell) -> None:
    """Register ``%ocr_store`` (called by ``load_ipython_extension``)."""
    from IPython.core.error import UsageError

    def ocr_store(line: str) -> None:
        """Show the local result store (``%ocr_store``) or delete it (``%ocr_store clear``).

        Every Completed result ``%ocr_fetch`` gets is kept there (SQLite, file mode 0600,
        in the user's cache directory or ``$OCR_NOTEBOOK_STORE_PATH``), so it is still
        there after the service forgets it (24 hours). Turn it off with
        ``%config OCRMagics.store = False`` or ``OCR_NOTEBOOK_STORE=0``.
        ``ocr_notebook.clear_store()`` clears it from Python.
        """
        try:
            print(ocr_store_line(shell, line))
        except (ValueError, OSError, sqlite3.Error) as exc:
            raise UsageError(str(exc)) from None

    cast(Any, shell).register_magic_function(ocr_store, "line", "ocr_store")


def unregister_store_magic(shell: InteractiveShell) -> None:
    """Remove ``%ocr_store``."""
    shell.magics_manager.magics["line"].pop("ocr_store", None)
