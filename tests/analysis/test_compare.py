"""Comparison with a reference: hand-computed distances, empty references, unequal counts."""

from __future__ import annotations

import base64
import math

import pytest

from ocr_notebook import Comparison, OCRResult, OCRResultCollection, Rect, Submission
from ocr_notebook.display.comparison import diff_html, render_comparison_html

TID = "6e0c1e2f-0000-4000-8000-000000000001"


def _result(
    *texts: str,
    task_id: str = TID,
    names: tuple[str, ...] = (),
    source: str | None = None,
) -> OCRResult:
    payload = {
        "id": task_id,
        "taskStatus": "Completed",
        "results": [{"type": "Text", "data": base64.b64encode(t.encode()).decode()} for t in texts],
    }
    rects = tuple(Rect(0, 10 * i, 100, 10 * i + 9) for i in range(len(texts)))
    submission = Submission(b"", rects, tuple(range(len(texts))), names=names, source=source)
    return OCRResult.from_response(payload, submission=submission)


def test_figures_match_hand_computed_distances() -> None:
    # kitten -> sitting: k->s, e->i, +g = 3 edits over 6 characters; 1 word of 1 wrong.
    # "the cat sat" -> "the bat sat down": c->b and +" down" = 6 edits over 11 characters;
    # words: cat->bat and +down = 2 over 3 words.
    result = _result("sitting", "the bat sat down")
    comparison = result.compare(["kitten", "the cat sat"])
    assert isinstance(comparison, Comparison) and len(comparison) == 2
    first, second = comparison
    assert (first.distance, first.cer, first.word_distance, first.wer) == (3, 0.5, 1, 1.0)
    assert (second.distance, second.word_distance) == (6, 2)
    assert second.cer == pytest.approx(6 / 11) and second.wer == pytest.approx(2 / 3)
    assert comparison.distance == 9 and comparison.reference_chars == 17
    assert comparison.cer == pytest.approx(9 / 17)
    assert comparison.word_distance == 3 and comparison.reference_words == 4
    assert comparison.wer == pytest.approx(3 / 4)
    assert "CER 52.94 % (9 edits / 17 characters)" in repr(comparison)


def test_a_perfect_match() -> None:
    comparison = _result("same text").compare(["same text"])
    assert comparison.cer == 0.0 and comparison.wer == 0.0


def test_dataframe_columns_exactly() -> None:
    frame = _result("sitting", "abc").compare(["kitten", "abc"]).to_dataframe()
    assert list(frame.columns) == ["order", "reference", "hypothesis", "distance", "cer", "wer"]
    assert frame.to_dict("records")[0] == {
        "order": 0,
        "reference": "kitten",
        "hypothesis": "sitting",
        "distance": 3,
        "cer": 0.5,
        "wer": 1.0,
    }


def test_reference_as_mapping_by_order_or_name_may_cover_some_regions() -> None:
    result = _result("Inv0ice 12", "Total 4O", "Paid", names=("invoice_no", "total", ""))
    by_name = result.compare({"total": "Total 40"})
    assert [(r.order, r.distance) for r in by_name] == [(1, 1)]
    assert by_name.notes == (f"2 regions without a reference text were left out (task {TID}).",)
    by_order = result.compare({0: "Invoice 12", 2: "Paid"})
    assert [(r.order, r.distance) for r in by_order] == [(0, 1), (2, 0)]
    with pytest.raises(ValueError, match=r"No region is named 'date' \(names: invoice_no, total\)"):
        result.compare({"date": "x"})
    with pytest.raises(ValueError, match="No text region has order 7"):
        result.compare({7: "x"})


def test_reference_as_another_result() -> None:
    truth = _result("kitten", "the cat sat", task_id="6e0c1e2f-0000-4000-8000-0000000000ff")
    assert _result("sitting", "the bat sat down").compare(truth).distance == 9


def test_corrected_texts_are_compared() -> None:
    result = _result("sitting").corrected({0: "kitten"})
    assert result.compare(["kitten"]).cer == 0.0


def test_empty_references_are_said_clearly() -> None:
    result = _result("a", "b")
    with pytest.raises(ValueError, match="The reference is empty"):
        result.compare([])
    with pytest.raises(ValueError, match="The reference is empty"):
        result.compare({})
    with pytest.raises(TypeError, match="got one string"):
        result.compare("a b")
    with pytest.raises(TypeError, match="not a str"):
        result.compare(["a", 2])  # type: ignore[list-item]


def test_an_empty_reference_text_for_one_region() -> None:
    comparison = _result("", "noise").compare(["", ""])
    first, second = comparison
    assert first.cer == 0.0 and first.wer == 0.0
    assert math.isinf(second.cer) and second.distance == 5
    assert math.isinf(comparison.cer)
    assert "CER ∞" in comparison.summary


def test_unequal_region_counts_are_said_clearly() -> None:
    with pytest.raises(ValueError, match=r"The reference has 3 texts for 2 text regions"):
        _result("a", "b").compare(["a", "b", "c"])
    other = _result("a", task_id="6e0c1e2f-0000-4000-8000-0000000000fe")
    with pytest.raises(ValueError, match=r"The reference has 1 texts for 2 text regions"):
        _result("a", "b").compare(other)


def test_diff_marks_insertions_and_deletions_escaped() -> None:
    html = diff_html("a<b>c", "a<x>cd")
    assert html == (
        "a&lt;"
        '<del style="background-color:#f8c9c4;color:#222">b</del>'
        '<ins style="background-color:#c8eac4;color:#222">x</ins>'
        "&gt;c"
        '<ins style="background-color:#c8eac4;color:#222">d</ins>'
    )


def test_display_lists_worst_regions_first() -> None:
    comparison = _result("good", "b4d", "fine").compare(["good", "bad", "fine!"])
    html = comparison._repr_mimebundle_()["text/html"]
    # b4d vs bad: CER 1/3; fine vs fine!: 1/5; good: 0.
    assert html.index(">a</del>") < html.index(">!</del>") < html.index(">good<")
    assert [r.order for r in comparison.worst()] == [1, 2, 0]
    plain = comparison._repr_mimebundle_(include={"text/plain"})["text/plain"]
    assert plain.splitlines()[1].startswith("  order 1: 1 edits")


def test_display_of_a_thousand_regions_stays_small() -> None:
    refs = [("The quick brown fox jumps over the lazy dog. " * 5)[:200] for _ in range(1000)]
    hyps = [r.replace("o", "0", i % 7) for i, r in enumerate(refs)]
    comparison = _result(*hyps).compare(refs)
    html = render_comparison_html(comparison)
    assert len(html.encode()) < 300_000
    assert "900 more regions not shown" in html
    assert html.count("<tr>") == 101  # the header and 100 regions


def test_collection_pairs_tasks_by_id_and_reports_per_task() -> None:
    a, b = "6e0c1e2f-0000-4000-8000-00000000000a", "6e0c1e2f-0000-4000-8000-00000000000b"
    mine = OCRResultCollection([_result("sitting", task_id=a), _result("abc", task_id=b)])
    truth = OCRResultCollection([_result("abd", task_id=b), _result("kitten", task_id=a)])
    comparison = mine.compare(truth)
    assert comparison.distance == 4 and comparison.reference_chars == 9
    per_task = comparison.by_task()
    assert per_task[a].cer == 0.5 and per_task[b].cer == pytest.approx(1 / 3)
    frame = comparison.to_dataframe()
    assert list(frame.columns) == [
        "task_id",
        "order",
        "reference",
        "hypothesis",
        "distance",
        "cer",
        "wer",
    ]
    assert "of 2 tasks" in comparison.summary


def test_collection_pairs_template_batches_by_source() -> None:
    mine = OCRResultCollection(
        [
            _result("Tota1", task_id="6e0c1e2f-0000-4000-8000-000000000001", source="p1.png"),
            _result("Total", task_id="6e0c1e2f-0000-4000-8000-000000000002", source="p2.png"),
        ]
    )
    other_run = OCRResultCollection(
        [
            _result("Total", task_id="6e0c1e2f-0000-4000-8000-000000000003", source="p2.png"),
            _result("Total", task_id="6e0c1e2f-0000-4000-8000-000000000004", source="p1.png"),
        ]
    )
    comparison = mine.compare(other_run)
    assert comparison.distance == 1
    assert comparison.worst()[0].task_id == "6e0c1e2f-0000-4000-8000-000000000001"


def test_collection_with_a_mapping_and_what_cannot_be_paired() -> None:
    a, b = "6e0c1e2f-0000-4000-8000-00000000000a", "6e0c1e2f-0000-4000-8000-00000000000b"
    c = "6e0c1e2f-0000-4000-8000-00000000000c"
    mine = OCRResultCollection(
        [_result("x", task_id=a), _result("y", "z", task_id=b), _result("w", task_id=c)]
    )
    comparison = mine.compare({a: ["x"], b: ["y"]})
    assert len(comparison) == 1
    assert comparison.notes == (
        f"Task {b}: The reference has 1 texts for 2 text regions; give one per region in "
        "order, or a mapping {order: text} for some of them. Left out.",
        f"Task {c}: no reference paired with it; left out.",
    )
    html = comparison._repr_mimebundle_()["text/html"]
    assert "no reference paired with it" in html
    with pytest.raises(ValueError, match="No task could be compared"):
        mine.compare({"6e0c1e2f-0000-4000-8000-0000000000ee": ["x"]})


def test_display_of_long_wholly_different_regions_stays_under_budget() -> None:
    refs = ["a" * 3000] * 100
    hyps = ["<" * 3000] * 100  # escaped: 4 characters each
    html = render_comparison_html(_result(*hyps).compare(refs))
    assert len(html.encode()) < 300_000
    assert "more regions not shown" in html


def test_displays_are_inert_and_read_without_the_stylesheet() -> None:
    from tests.support.render import audit

    hostile = ["<script>alert(1)</script>", '" style="position:fixed', "<svg onload=x>"]
    comparison = _result(*hostile).compare(["a", "b", "c\nd"])
    parsed = audit(render_comparison_html(comparison))
    assert "<script>alert(1)</script>" in parsed.visible_text  # shown as text, not run
    assert parsed.find("del") and parsed.find("ins")
    assert "\u23ce" in parsed.visible_text  # the reference's line break shows as a mark
