"""Task id validation: pure, done before any request is built."""

from __future__ import annotations

import re

from ..results.errors import InvalidTaskIdError

__all__ = ["is_valid_task_id", "parse_task_ids", "validate_task_id"]

# A GUID (8-4-4-4-12 hex), or the text-to-speech form where "TTS" replaces the
# first three hex digits (``TTS01232-9d40-4f2d-8eda-f1fc0b12bce6``).
_TASK_ID = re.compile(
    r"(?:[0-9a-fA-F]{8}|TTS[0-9a-fA-F]{5})-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_SHOWN = 60  # characters of a bad id echoed back; a pasted document is not.


def is_valid_task_id(task_id: object) -> bool:
    """Whether ``task_id`` is a GUID or a TTS task id (surrounding whitespace not allowed)."""
    return isinstance(task_id, str) and _TASK_ID.fullmatch(task_id) is not None


def validate_task_id(task_id: object) -> str:
    """Return ``task_id`` stripped of surrounding whitespace if it is valid, else raise.

    Raises:
        InvalidTaskIdError: The id is not a GUID nor a TTS id; the message says what was seen.
    """
    if not isinstance(task_id, str):
        raise InvalidTaskIdError(
            f"Task id must be a string, got {type(task_id).__name__}; "
            "pass the id returned when the task was submitted."
        )
    candidate = task_id.strip()
    if _TASK_ID.fullmatch(candidate):
        return candidate
    if not candidate:
        raise InvalidTaskIdError(
            "Task id is empty; pass the GUID returned when the task was submitted."
        )
    shown = candidate if len(candidate) <= _SHOWN else candidate[:_SHOWN] + "…"
    raise InvalidTaskIdError(
        f"Malformed task id {shown!r}: expected a GUID like "
        "'b7162f77-bf10-407d-86de-ee255e422ca7' (or a TTS id); no request was sent."
    )


_ID_SPLIT = re.compile(r"[\s,;]+")


def parse_task_ids(text: str) -> list[str]:
    """Task ids from free text (whitespace, commas or semicolons between them), validated.

    Duplicates are dropped, first occurrence kept.

    Raises:
        InvalidTaskIdError: empty text, or one of the ids is malformed.
    """
    raw = [t for t in _ID_SPLIT.split(text.strip()) if t]
    if not raw:
        raise InvalidTaskIdError(
            "No task id given; paste the id returned when the task was submitted."
        )
    ids: list[str] = []
    for token in raw:
        tid = validate_task_id(token)
        if tid not in ids:
            ids.append(tid)
    return ids
