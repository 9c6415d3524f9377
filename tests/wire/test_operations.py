"""The one table of v5 operations, and the case-insensitive name resolution."""

from __future__ import annotations

import pytest

from ocr_notebook import UnknownOperationError
from ocr_notebook.wire.operations import FETCH_OPERATIONS, resolve_api


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("RecognizeRegions", "RecognizeRegions"),
        ("recognizeregions", "RecognizeRegions"),
        ("djvu2pdf", "DjVu2PDF"),
        (" ConvertTextToSpeech ", "ConvertTextToSpeech"),
        ("RECOGNIZEANDPARSEINVOICE", "RecognizeAndParseInvoice"),
    ],
)
def test_resolve_api(given: str, canonical: str) -> None:
    assert resolve_api(given) == canonical


@pytest.mark.parametrize(
    "bad", ["RecognizeFast", "", None, 3, "Utilities/GetTaskStatus", "x" * 500]
)
def test_unknown_api_lists_the_valid_ones(bad: object) -> None:
    with pytest.raises(UnknownOperationError) as info:
        resolve_api(bad)
    message = str(info.value)
    assert all(op in message for op in FETCH_OPERATIONS)
    assert len(message) < 600
    assert isinstance(info.value, ValueError)


def test_fifteen_operations() -> None:
    assert len(FETCH_OPERATIONS) == len(set(FETCH_OPERATIONS)) == 15
