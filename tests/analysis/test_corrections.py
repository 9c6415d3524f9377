"""Corrections in memory: ``OCRResult.corrected``, ``.ocr_texts``, ``.corrections``, frames."""

from __future__ import annotations

import base64
import pickle

import pytest

from ocr_notebook import OCRResult, Rect, Submission, TaskStatus


def _result(*texts: str, orders: tuple[int, ...] | None = None) -> OCRResult:
    payload = {
        "id": "7a1c0b6e-0000-4000-8000-000000000001",
        "taskStatus": "Completed",
        "responseStatusCode": "Ok",
        "results": [{"type": "Text", "data": base64.b64encode(t.encode()).decode()} for t in texts],
    }
    submission = None
    if orders is not None:
        rects = tuple(Rect(0, 10 * i, 100, 10 * i + 9) for i in range(len(texts)))
        submission = Submission(b"", rects, orders)
    return OCRResult.from_response(payload, submission=submission)


def test_corrected_keeps_the_services_texts() -> None:
    result = _result("Tota1 due", "Invoice 42")
    fixed = result.corrected({0: "Total due"})
    assert fixed.texts == ["Total due", "Invoice 42"]
    assert fixed.text == "Total due\nInvoice 42"
    assert fixed.ocr_texts == ["Tota1 due", "Invoice 42"]
    assert dict(fixed.corrections) == {0: "Total due"}
    assert fixed.regions == result.regions  # the service's data, untouched
    assert fixed.regions[0].text == "Tota1 due"
    assert result.corrections == {} and result.texts == ["Tota1 due", "Invoice 42"]
    assert fixed != result
    assert hash(fixed) == hash(result)  # corrections are outside the hash, equality sees them
    assert "corrected=1" in repr(fixed)


def test_corrections_layer_and_a_region_corrected_back_is_no_longer_corrected() -> None:
    result = _result("a", "b", "c")
    twice = result.corrected({0: "A"}).corrected({2: "C"})
    assert twice.texts == ["A", "b", "C"]
    assert dict(twice.corrections) == {0: "A", 2: "C"}
    back = twice.corrected({0: "a"})
    assert dict(back.corrections) == {2: "C"}
    assert back.corrected({2: "c"}).corrections == {}


def test_keys_are_orders_from_the_submission() -> None:
    # Submitted orders 10, 20, 30: results come back sorted by order; keys are those orders.
    result = _result("first", "second", "third", orders=(30, 10, 20))
    fixed = result.corrected({20: "SECOND"})
    assert fixed.texts == ["first", "SECOND", "third"]
    frame = fixed.to_dataframe()
    assert list(frame["order"]) == [10, 20, 30]
    assert list(frame["corrected"]) == [False, True, False]
    with pytest.raises(ValueError, match=r"No text region has order 1; the orders are 10, 20, 30"):
        result.corrected({1: "x"})


@pytest.mark.parametrize(
    ("corrections", "error", "message"),
    [
        ({5: "x"}, ValueError, r"No text region has order 5; the orders are 0\.\.1\."),
        ({"0": "x"}, TypeError, "region order"),
        ({True: "x"}, TypeError, "region order"),
        ({0: 3}, TypeError, "not a str"),
        ([(0, "x")], TypeError, "mapping"),
    ],
)
def test_bad_corrections_are_one_clear_line(
    corrections: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        _result("a", "b").corrected(corrections)  # type: ignore[arg-type]


def test_binary_regions_cannot_be_corrected_and_stay_out_of_texts() -> None:
    payload = {
        "id": None,
        "taskStatus": "Completed",
        "results": [
            {"type": "Text", "data": base64.b64encode(b"words").decode()},
            {"type": "ImagePng", "data": base64.b64encode(b"\x89PNG").decode()},
        ],
    }
    result = OCRResult.from_response(payload)
    with pytest.raises(ValueError, match="No text region has order 1"):
        result.corrected({1: "x"})
    fixed = result.corrected({0: "WORDS"})
    assert fixed.texts == ["WORDS"] and fixed.region_texts() == ["WORDS", None]


def test_dataframe_keeps_its_columns_and_appends_the_originals() -> None:
    frame = _result("Tota1", "ok").corrected({0: "Total"}).to_dataframe()
    assert list(frame.columns) == [
        "task_id",
        "region",
        "order",
        "type",
        "text",
        "characters",
        "ocr_text",
        "corrected",
    ]
    assert list(frame["text"]) == ["Total", "ok"]
    assert list(frame["ocr_text"]) == ["Tota1", "ok"]
    assert list(frame["corrected"]) == [True, False]
    assert list(frame["characters"]) == [5, 2]


def test_round_trips_keep_corrections() -> None:
    fixed = _result("Tota1", "ok").corrected({0: "Total"})
    again = OCRResult.from_dict(fixed.to_dict())
    assert again == fixed and dict(again.corrections) == {0: "Total"}
    assert pickle.loads(pickle.dumps(fixed)) == fixed
    assert "corrections" not in _result("x").to_dict()


def test_corrections_are_read_only() -> None:
    fixed = _result("a").corrected({0: "b"})
    with pytest.raises(TypeError):
        fixed.corrections[0] = "c"  # type: ignore[index]


def test_rich_display_shows_corrected_texts_escaped_with_a_note() -> None:
    fixed = _result("Tota1", "ok").corrected({0: "<b>Total</b>"})
    bundle = fixed._repr_mimebundle_()
    html, plain = bundle["text/html"], bundle["text/plain"]
    assert "&lt;b&gt;Total&lt;/b&gt;" in html and "<b>Total</b>" not in html
    assert "Tota1" not in html
    assert "1 region corrected (order 0); result.ocr_texts has the service&#x27;s texts." in html
    assert "<i>corrected</i>" in html
    assert "<b>Total</b>" in plain and "1 region corrected" in plain


def test_a_result_that_is_not_completed_can_still_be_corrected_in_memory() -> None:
    result = OCRResult(id=None, status=TaskStatus.COMPLETED)
    assert result.corrected({}).corrections == {}
