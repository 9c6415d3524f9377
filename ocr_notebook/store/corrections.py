"""Saving a person's corrections of a result in the local result store, beside the result.

The service's result is never rewritten: corrections go to their own table, keyed like the
result (service base URL, operation, task id) plus the region's ``order``. A later
``%ocr_fetch`` of the task shows the corrected texts with a note; ``--original`` shows the
service's. The fetch widget and the region workbench save edits through
:func:`save_corrections`.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, replace

from ..analysis.corrections import check_corrections
from ..client.config import DEFAULT_BASE_URL, ENV_BASE_URL, normalize_base_url
from ..results.models import OCRResult, TaskStatus
from .result_store import ResultStore, default_store

__all__ = ["CorrectionsNote", "apply_stored_corrections", "save_corrections"]

_log = logging.getLogger("ocr_notebook")


def save_corrections(
    result: OCRResult,
    corrections: Mapping[int, str],
    *,
    store: ResultStore | None = None,
    base_url: str | None = None,
) -> OCRResult:
    """Keep ``corrections`` of ``result`` in the local store; return the corrected result.

    They are merged with the corrections already stored for the task (and those ``result``
    already carries); a region corrected back to the service's text loses its correction.
    The service's result is stored too if it was not, and is never overwritten.

    Args:
        result: A Completed result with a task id.
        corrections: ``{region order: text}``.
        store: The store (default: the process-wide one, ``$OCR_NOTEBOOK_STORE_PATH``).
        base_url: The service the task belongs to (default: ``$ASPOSE_OCR_BASE_URL``, else
            https://api.aspose.cloud), part of the store's key; pass the one you fetched from.

    Returns:
        ``result.corrected(...)`` with every correction stored for the task.

    Raises:
        ValueError: The result is not a Completed task with an id, a key is not a text
            region's order, or the store is off.
        TypeError: A key is not an int or a text not a str.
    """
    if result.status is not TaskStatus.COMPLETED or not result.id:
        raise ValueError(
            "Only a Completed result with a task id can keep corrections; "
            "use result.corrected({...}) to correct it in memory."
        )
    target = store if store is not None else default_store()
    if target is None:
        raise ValueError(
            "The local result store is off (OCR_NOTEBOOK_STORE=0), so corrections cannot be "
            "kept; result.corrected({...}) corrects in memory only."
        )
    # As store.backing.service_base_url resolves it (that module builds on this one).
    url = normalize_base_url(base_url or os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL)
    originals = result.ocr_texts_by_order()
    wanted = {**result.corrections, **check_corrections(corrections, originals)}
    changes: dict[int, str | None] = {
        order: None if text == originals[order] else text for order, text in wanted.items()
    }
    if target.get(url, result.api, result.id) is None:
        target.put(url, result)
    stored = target.update_corrections(url, result.api, result.id, changes)
    return _with(result, stored)


@dataclass(frozen=True)
class CorrectionsNote:
    """A result shown with (or, with ``--original``, without) the corrections stored for it.

    Attributes:
        task_id: The task.
        count: How many regions have a stored correction.
        original: True when the service's texts are shown instead.
    """

    task_id: str
    count: int
    original: bool = False

    @property
    def line(self) -> str:
        """One line for the notebook user."""
        regions = f"{self.count} region{'s' if self.count != 1 else ''}"
        if self.original:
            return (
                f"Task {self.task_id}: showing the service's text; {regions} corrected in "
                "the local result store (drop --original to see the corrections)."
            )
        return f"Task {self.task_id}: {regions} corrected; --original shows the service's text."


def apply_stored_corrections(
    store: ResultStore, base_url: str, result: OCRResult, *, original: bool = False
) -> tuple[OCRResult, CorrectionsNote | None]:
    """``result`` with the corrections stored for its task (none with ``original``), and a note.

    An unreadable store, or stored corrections that no longer fit the result (another
    number of regions), leave the result as the service sent it: a log line, no failure.
    """
    if result.status is not TaskStatus.COMPLETED or not result.id:
        return result, None
    try:
        stored = store.corrections(base_url, result.api, result.id)
    except (OSError, sqlite3.Error) as exc:
        _log.warning("Could not read corrections from the local store %s: %s", store.path, exc)
        return result, None
    if not stored:
        return result, None
    if original:
        return result, CorrectionsNote(result.id, len(stored), original=True)
    corrected = _with(result, stored)
    return corrected, CorrectionsNote(result.id, len(corrected.corrections))


def _with(result: OCRResult, stored: Mapping[int, str]) -> OCRResult:
    originals = result.ocr_texts_by_order()
    fitting = {order: text for order, text in stored.items() if order in originals}
    if len(fitting) < len(stored):
        _log.warning(
            "Task %s: %d stored corrections name regions this result does not have; ignored.",
            result.id,
            len(stored) - len(fitting),
        )
    # From the service's texts: a correction removed from the store is gone here too.
    return replace(result, corrections={}).corrected(fitting)
