"""The emulator's own table of operations agrees with the client's (wire/operations.py).

The emulator keeps a separate copy on purpose, so a mistake in one is caught by the other.
"""

from __future__ import annotations

from ocr_notebook.emulator._operations import OPERATIONS
from ocr_notebook.wire.operations import FETCH_OPERATIONS, IMAGE_ONLY_OPERATIONS


def test_every_client_operation_is_served_with_the_same_spelling() -> None:
    served = {op.name for op in OPERATIONS if not op.trial}
    assert served == set(FETCH_OPERATIONS)


def test_image_only_operations_take_no_settings_in_both() -> None:
    no_settings = {op.name for op in OPERATIONS if not op.needs_settings}
    assert no_settings == set(IMAGE_ONLY_OPERATIONS)


def test_text_to_speech_is_the_one_operation_without_an_image() -> None:
    speech = {op.name for op in OPERATIONS if op.speech and not op.trial}
    assert speech == set(FETCH_OPERATIONS) - {
        op for op in FETCH_OPERATIONS if op != "ConvertTextToSpeech"
    }
