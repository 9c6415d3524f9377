"""The one status word for how a fetch ended (badges and collection summaries share it)."""

from __future__ import annotations

import asyncio

import pytest

from ocr_notebook.results.errors import (
    FetchCancelledError,
    PollingTimeoutError,
    TaskFailedError,
    TaskNotFoundError,
    TransportError,
)
from ocr_notebook.results.models import OCRResult
from ocr_notebook.results.outcomes import outcome_status


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (TaskFailedError("failed"), "Error"),
        (TaskNotFoundError("gone"), "NotExist"),
        (PollingTimeoutError("slow", status="Processing"), "Timeout"),
        (FetchCancelledError("stopped"), "Cancelled"),
        (KeyboardInterrupt(), "Cancelled"),
        (asyncio.CancelledError(), "Cancelled"),
        (TransportError("no network"), "Error"),
    ],
)
def test_errors_map_to_one_status_word(outcome: BaseException, status: str) -> None:
    assert outcome_status(outcome) == status


def test_a_result_keeps_the_status_the_service_sent() -> None:
    result = OCRResult.from_response(
        {"id": "b7162f77-bf10-407d-86de-ee255e422ca7", "taskStatus": "Processing", "results": []},
        api="RecognizeRegions",
    )
    assert outcome_status(result) == "Processing"
