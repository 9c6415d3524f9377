"""Search over recognized texts: exact, case, regex, fuzzy, no hit, hostile patterns."""

from __future__ import annotations

import base64

import pytest

from ocr_notebook import OCRResult, OCRResultCollection, SearchHits
from ocr_notebook.analysis.search import SearchHit, search_texts
from ocr_notebook.display.search import render_search_html

TID = "5d0c1e2f-0000-4000-8000-000000000001"


def _result(*texts: str, task_id: str = TID) -> OCRResult:
    payload = {
        "id": task_id,
        "taskStatus": "Completed",
        "results": [{"type": "Text", "data": base64.b64encode(t.encode()).decode()} for t in texts],
    }
    return OCRResult.from_response(payload)


def _spans(hits: SearchHits) -> list[tuple[int, int, int, str]]:
    return [(h.order, h.start, h.end, h.match) for h in hits]


def test_exact_ignores_case_by_default_and_finds_every_occurrence() -> None:
    result = _result("Total: 12", "subtotal 3, TOTAL 15", "none")
    hits = result.search("total")
    assert isinstance(hits, SearchHits) and len(hits) == 3
    assert _spans(hits) == [(0, 0, 5, "Total"), (1, 3, 8, "total"), (1, 12, 17, "TOTAL")]
    assert all(isinstance(h, SearchHit) and h.task_id == TID and h.score is None for h in hits)
    assert hits[1].context == "subtotal 3, TOTAL 15"


def test_case_sensitive() -> None:
    result = _result("Total: 12", "subtotal 3, TOTAL 15")
    assert _spans(result.search("TOTAL", case=True)) == [(1, 12, 17, "TOTAL")]
    assert _spans(result.search("Total", case=True)) == [(0, 0, 5, "Total")]


def test_a_hit_never_spans_two_regions() -> None:
    result = _result("ab", "cd")
    assert len(result.search("bc")) == 0
    assert len(result.search("b\x00c")) == 0  # the separator itself: searched region by region
    assert _spans(_result("a\x00b").search("a\x00b")) == [(0, 0, 3, "a\x00b")]


def test_context_is_cut_around_long_regions() -> None:
    text = "x" * 100 + "needle" + "y" * 100
    (hit,) = _result(text).search("needle")
    assert (hit.start, hit.end) == (100, 106)
    assert hit.context == "x" * 40 + "needle" + "y" * 40
    assert hit.context_start == 60 and hit.region_chars == 206


def test_regex_per_region_with_anchors_and_groups() -> None:
    result = _result("Invoice 2024-001", "invoice 2024-002 total", "no number")
    hits = result.search(r"^invoice \d{4}-(\d+)", regex=True)
    assert _spans(hits) == [(0, 0, 16, "Invoice 2024-001"), (1, 0, 16, "invoice 2024-002")]
    assert _spans(result.search(r"total$", regex=True)) == [(1, 17, 22, "total")]
    assert len(result.search(r"^Invoice", regex=True, case=True)) == 1


def test_regex_skips_empty_matches() -> None:
    assert _spans(_result("aab").search("a*", regex=True)) == [(0, 0, 2, "aa")]


def test_an_invalid_regex_is_one_line() -> None:
    with pytest.raises(ValueError, match=r"Not a valid regular expression '\(unclosed'"):
        _result("x").search("(unclosed", regex=True)


def test_a_catastrophic_regex_is_stopped_not_a_hung_kernel() -> None:
    # (x+x+)+y against x...x backtracks exponentially; the deadline stops it.
    items = [(TID, 0, "x" * 5000)]
    with pytest.raises(ValueError, match=r"stopped after 0\.2 s.*backtracks catastrophically"):
        search_texts(items, r"(x+x+)+y", regex=True, timeout=0.2)


def test_the_deadline_covers_the_whole_search_not_each_region() -> None:
    items = [(TID, i, "x" * 3000) for i in range(50)]
    with pytest.raises(ValueError, match=r"stopped after 0\.3 s over 50 regions"):
        search_texts(items, r"(x+x+)+y", regex=True, timeout=0.3)


def test_the_classic_nested_quantifier_is_answered() -> None:
    # (a+)+$ on "aaaa…!": the regex module answers it (no hit) instead of backtracking.
    assert len(_result("a" * 40 + "!").search(r"(a+)+$", regex=True)) == 0


def test_the_default_search_is_bounded_too() -> None:
    with pytest.raises(ValueError, match="stopped after 2 s"):
        _result("x" * 5000).search(r"(x+x+)+y", regex=True)


def test_fuzzy_finds_approximate_spans_with_scores() -> None:
    result = _result("The grand totl is 42", "Subtotai: 7", "nothing here")
    hits = result.search("total", fuzzy=75)
    assert _spans(hits) == [(0, 10, 14, "totl"), (1, 3, 8, "totai")]
    assert hits[0].score == pytest.approx(2 * 4 / 9 * 100)  # Indel: 2*4 matches / (5+4)
    assert hits[1].score == pytest.approx(80.0)  # 2*4 / (5+5)
    assert len(result.search("total", fuzzy=95)) == 0


def test_fuzzy_finds_several_hits_in_a_long_region() -> None:
    filler = " lorem ipsum dolor sit amet " * 4
    text = f"invoice 1{filler}invoise 2{filler}lnvoice 3{filler}"
    hits = _result(text).search("invoice", fuzzy=80)
    assert [h.match for h in hits] == ["invoice", "invoise", "lnvoice"]
    assert [h.start for h in hits] == sorted(h.start for h in hits)


def test_fuzzy_respects_case_when_asked() -> None:
    result = _result("TOTAL due")
    assert len(result.search("total", fuzzy=90)) == 1
    assert len(result.search("total", fuzzy=90, case=True)) == 0


def test_fuzzy_offsets_survive_characters_whose_lower_case_is_longer() -> None:
    (hit,) = _result("İİ total").search("TOTAL", fuzzy=100)
    assert (hit.start, hit.end, hit.match) == (3, 8, "total")


@pytest.mark.parametrize("threshold", [-1, 101, float("nan"), True, "80"])
def test_fuzzy_threshold_is_checked(threshold: object) -> None:
    with pytest.raises(ValueError, match="similarity threshold from 0 to 100"):
        _result("x").search("x", fuzzy=threshold)  # type: ignore[arg-type]


def test_bad_arguments_are_one_line() -> None:
    result = _result("x")
    with pytest.raises(ValueError, match="non-empty pattern"):
        result.search("")
    with pytest.raises(ValueError, match="regex=True or fuzzy"):
        result.search("x", regex=True, fuzzy=80)
    with pytest.raises(TypeError, match="pattern as a str"):
        result.search(3)  # type: ignore[arg-type]


def test_no_hit() -> None:
    hits = _result("alpha", "beta").search("gamma")
    assert len(hits) == 0 and list(hits) == []
    frame = hits.to_dataframe()
    assert list(frame.columns) == ["task_id", "order", "start", "end", "match", "context"]
    assert frame.empty
    assert "0 hits for \u201cgamma\u201d" in render_search_html(hits)
    assert "<table" not in render_search_html(hits)


def test_dataframe_columns_exactly() -> None:
    frame = _result("a total", "total").search("total").to_dataframe()
    assert list(frame.columns) == ["task_id", "order", "start", "end", "match", "context"]
    assert frame.to_dict("records")[0] == {
        "task_id": TID,
        "order": 0,
        "start": 2,
        "end": 7,
        "match": "total",
        "context": "a total",
    }


def test_corrected_texts_are_searched() -> None:
    result = _result("Tota1 due").corrected({0: "Total due"})
    assert _spans(result.search("total")) == [(0, 0, 5, "Total")]


def test_collection_search_spans_tasks() -> None:
    other = "5d0c1e2f-0000-4000-8000-000000000002"
    collection = OCRResultCollection([_result("one total"), _result("total two", task_id=other)])
    hits = collection.search("total")
    assert [(h.task_id, h.order, h.start) for h in hits] == [(TID, 0, 4), (other, 0, 0)]
    html = hits._repr_mimebundle_()["text/html"]
    assert "<th" in html and ">task</th>" in html


def test_display_marks_the_match_and_escapes_everything() -> None:
    result = _result('<img src=x onerror="alert(1)"> total <script>alert(2)</script>')
    hits = result.search("total")
    bundle = hits._repr_mimebundle_()
    html = bundle["text/html"]
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; " in html
    assert ">total</mark>" in html and html.count("<mark") == 1
    assert "[[total]]" in bundle["text/plain"]


def test_hostile_pattern_is_escaped_in_the_title() -> None:
    hits = _result("a<b>c").search("<b>")
    html = render_search_html(hits)
    assert "\u201c&lt;b&gt;\u201d" in html and "<b>c" not in html
    assert "<mark" in html and "&lt;b&gt;</mark>" in html


def test_display_is_capped_with_a_footer() -> None:
    hits = _result(*["total"] * 500).search("total")
    html = render_search_html(hits)
    assert html.count("<mark") == 200
    assert "300 more hits not shown" in html
    assert "hits.to_dataframe()" in html
    plain = hits._repr_mimebundle_(include={"text/plain"})
    assert set(plain) == {"text/plain"} and "300 more hits" in plain["text/plain"]


def test_line_breaks_show_on_one_line() -> None:
    hits = _result("first line\ntotal second").search("total")
    assert "\u23ce" in hits[0].context.replace("\n", "\u23ce")
    assert "line \u23ce <mark" in render_search_html(hits)


def test_a_regex_match_across_regions_is_searched_again_region_by_region() -> None:
    # [\s\S]* crosses the separators of the joined texts: those regions are searched alone.
    result = _result("a1", "2d", "a3d")
    assert _spans(result.search(r"a[\s\S]*d", regex=True)) == [(2, 0, 3, "a3d")]
    assert _spans(result.search(r"1.2", regex=True)) == []


@pytest.mark.parametrize(
    "pattern",
    [
        r"\d+",
        r"[a-z]+ \d",
        r"t\w*l",
        r"\bto",
        r"l\b",
        r"^\w+",
        r"\w+$",
        r"(?<=a )\w+",
        r"(?i)TOTAL",
        r"[^z]{3}",
        r"\W+",
        r"\s*total\s*",
        r"^t\w*",
        r"\d$",
        r"[^ ]+$",
        r"^",
        r"a$|^l",
        r"\Atotal",
    ],
)
def test_regex_hits_are_exactly_those_of_a_search_region_by_region(pattern: str) -> None:
    import regex

    texts = ["total 12\nsubtotal 3", "a total", "", "totals: 4 5 6", "x\x00total", "l", "ta"]
    items = [(TID, i, t) for i, t in enumerate(texts)]
    compiled = regex.compile(pattern, regex.IGNORECASE)
    expected = [
        (i, m.start(), m.end(), m.group())
        for i, t in enumerate(texts)
        for m in compiled.finditer(t)
        if m.end() > m.start()
    ]
    assert _spans(search_texts(items, pattern, regex=True)) == expected


def test_a_huge_match_is_cut_in_the_display() -> None:
    hits = _result("x" * 100_000).search("x+", regex=True)
    assert len(hits[0].match) == 100_000
    html = render_search_html(hits)
    assert len(html) < 5_000 and "x \u2026 x" in html


def test_search_display_is_inert_and_marks_without_the_stylesheet() -> None:
    from tests.support.render import audit

    hits = _result('<script>total()</script> " style="position:fixed').search("total")
    parsed = audit(render_search_html(hits))
    (mark,) = parsed.find("mark")
    assert mark.text == "total" and "background-color:#ffe08a" in mark.attrs["style"]
    assert "<script>total()</script>" in parsed.visible_text
