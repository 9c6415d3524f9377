"""Arbitrary JSON fed to the response parser: our typed error or a result, never a crash."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocr_notebook import OCRResult, ResponseFormatError, ResponseStatusCode, TaskStatus

_json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
_json = st.recursive(
    _json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
_keys = st.sampled_from(
    ["id", "taskStatus", "responseStatusCode", "results", "error", "TASKSTATUS", "extra"]
)
_responses = st.dictionaries(_keys, _json, max_size=6)


def _parse(payload: Any) -> OCRResult | None:
    try:
        return OCRResult.from_response(payload)
    except ResponseFormatError as err:
        message = str(err)
    assert message  # a message, on one line
    assert "\n" not in message
    return None


@settings(max_examples=300, deadline=None)
@given(_json)
def test_any_json_value(payload: Any) -> None:
    _parse(payload)


@settings(max_examples=300, deadline=None)
@given(_responses)
def test_response_shaped_objects(payload: dict[str, Any]) -> None:
    result = _parse(payload)
    if result is not None:
        assert isinstance(result.status, TaskStatus)
        assert isinstance(result.response_status_code, ResponseStatusCode)
        # Everything parsed can be serialised and parsed back to an equal value.
        assert OCRResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result
        repr(result)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=10), st.binary(max_size=64)), max_size=5))
def test_results_decode_exactly(regions: list[tuple[str, bytes]]) -> None:
    payload = {
        "id": "b7162f77-bf10-407d-86de-ee255e422ca7",
        "taskStatus": "Completed",
        "responseStatusCode": "Ok",
        "results": [{"type": t, "data": base64.b64encode(d).decode()} for t, d in regions],
        "error": None,
    }
    result = OCRResult.from_response(payload)
    assert [r.data for r in result] == [d for _, d in regions]
    for region in result:
        if region.text is not None:
            region.text.encode("utf-8")  # invalid UTF-8 became replacement characters


def test_invalid_base64_is_a_typed_error() -> None:
    payload = {"taskStatus": "Completed", "results": [{"type": "Text", "data": "@@not base64@@"}]}
    with pytest.raises(ResponseFormatError, match=r"results\[0\]\.data"):
        OCRResult.from_response(payload)


def test_unknown_enum_values_keep_the_raw_string() -> None:
    result = OCRResult.from_response({"taskStatus": "Frozen", "responseStatusCode": "Teapot"})
    assert result.status is TaskStatus.UNKNOWN
    assert result.status_raw == "Frozen"
    assert result.response_status_code is ResponseStatusCode.UNKNOWN
    assert result.response_status_code_raw == "Teapot"
    assert "Frozen" in repr(result)
