"""Figure 7, exploring results: search over 10,000 regions, comparison of 1,000 regions.

Each figure is measured side by side with the obvious way to do the same in a notebook
cell: a Python loop over ``result.texts`` with ``str.find`` / ``re.finditer`` / a
per-region rapidfuzz or difflib call, and ``difflib.SequenceMatcher`` for the comparison.
Ratios are ours over theirs (below 1x: ours is faster).
"""

from __future__ import annotations

import difflib
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from rapidfuzz import fuzz

from ocr_notebook import OCRResult, RegionResult, ResponseStatusCode, TaskStatus

from .emulator_process import region_text
from .table import Row, fmt_spread, spread

__all__ = ["run_analysis"]

FIGURE = "7. Explore"
SEARCH_REGIONS = 10_000
COMPARE_REGIONS = 1_000
CHARS = 200
MARKER = " Total 1,234.50 invoice "


NOTE = (
    "7. Ours is timed end to end (`OCRResult.search` decodes the texts and builds a hit "
    "with its context for each match); the alternatives build bare tuples. Exact and regex "
    "search join the texts once and search them in one call; the loops pay a call per region "
    "but nothing else, so for a literal or an anchored pattern the plain loop is as fast or "
    "faster, while ours also guarantees a bounded regex (the `regex` module's timeout; the "
    "standard `re` in the loop cannot be stopped). The fuzzy alternatives find less: "
    "`partial_ratio_alignment` one best span per region, difflib whole words only. The "
    "comparison's alternative is not even a minimal edit distance (SequenceMatcher's opcodes)."
)


def _result(texts: list[str]) -> OCRResult:
    regions = tuple(
        RegionResult(index=i, type="Text", data=text.encode("utf-8"))
        for i, text in enumerate(texts)
    )
    return OCRResult(
        id=str(uuid.uuid4()),
        status=TaskStatus.COMPLETED,
        response_status_code=ResponseStatusCode.OK,
        regions=regions,
    )


def _search_texts() -> list[str]:
    # Lorem-ipsum lines; one region in ten carries an amount and "invoice" (1,000 hits).
    texts = [region_text(i, CHARS) for i in range(SEARCH_REGIONS)]
    for i in range(0, SEARCH_REGIONS, 10):
        texts[i] = (texts[i][: CHARS - len(MARKER)] + MARKER)[:CHARS]
    return texts


def _timed(func: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    out = func()  # warm-up (lazy imports, compiled patterns cached)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        out = func()
        times.append((time.perf_counter() - started) * 1000)
    return times, out


# -- the obvious alternatives, written as one would in a cell ---------------------------------


def _find_loop(result: OCRResult, pattern: str) -> list[tuple[int, int, int]]:
    needle = pattern.lower()
    hits = []
    for order, text in enumerate(result.texts):
        low = text.lower()
        at = low.find(needle)
        while at >= 0:
            hits.append((order, at, at + len(needle)))
            at = low.find(needle, at + len(needle))
    return hits


def _re_loop(result: OCRResult, pattern: str) -> list[tuple[int, int, int]]:
    compiled = re.compile(pattern, re.IGNORECASE)  # the standard re: no way to stop it
    return [
        (order, m.start(), m.end())
        for order, text in enumerate(result.texts)
        for m in compiled.finditer(text)
    ]


def _partial_ratio_loop(result: OCRResult, pattern: str, cutoff: float) -> list[Any]:
    # One best span per region, every region scored in Python.
    needle = pattern.lower()
    found = []
    for order, text in enumerate(result.texts):
        aligned = fuzz.partial_ratio_alignment(needle, text.lower(), score_cutoff=cutoff)
        if aligned is not None:
            found.append((order, aligned.dest_start, aligned.dest_end))
    return found


def _difflib_loop(result: OCRResult, pattern: str, cutoff: float) -> list[Any]:
    # The standard library's fuzzy matching: close words of each region.
    needle = pattern.lower()
    return [
        (order, word)
        for order, text in enumerate(result.texts)
        for word in difflib.get_close_matches(needle, text.lower().split(), 5, cutoff / 100)
    ]


def _sequence_matcher(hypotheses: list[str], references: list[str]) -> float:
    # Edits from SequenceMatcher's opcodes (not a minimal edit distance), chars and words.
    edits = words = 0
    for ref, hyp in zip(references, hypotheses, strict=True):
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ref, hyp).get_opcodes():
            if tag != "equal":
                edits += max(i2 - i1, j2 - j1)
        ops = difflib.SequenceMatcher(None, ref.split(), hyp.split()).get_opcodes()
        words += sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal")
    return edits / sum(len(r) for r in references)


def _difflib_html(hypotheses: list[str], references: list[str]) -> str:
    differ = difflib.HtmlDiff()
    return "".join(
        differ.make_table([ref], [hyp]) for ref, hyp in zip(references, hypotheses, strict=True)
    )


# -- rows ---------------------------------------------------------------------------------------


def _search_row(
    case: str,
    ours: Callable[[], Any],
    theirs: list[tuple[str, Callable[[], Any]]],
    target_ms: float,
    repeats: int,
    alt_repeats: int,
    notes: tuple[str, ...] = (),
) -> Row:
    times, hits = _timed(ours, repeats)
    s = spread(times)
    ratios = []
    for name, func in theirs:
        alt_times, _ = _timed(func, alt_repeats)
        ratios.append(f"{s.median / spread(alt_times).median:.2f}x {name}")
    return Row(
        FIGURE,
        f"search {SEARCH_REGIONS:,} regions x {CHARS} chars, {case}",
        f"ours: OCRResult.search ({len(hits):,} hits)",
        f"{s.median:.1f} ms",
        fmt_spread(s, "ms", 1),
        "; ".join(ratios),
        f"< {target_ms:g} ms",
        s.median < target_ms,
        notes=notes,
    )


def run_analysis(repeats: int) -> list[Row]:
    """Search (exact, regex, anchored regex, fuzzy) and comparison (figures and display)."""
    alt_repeats = max(1, min(repeats, 3))
    result = _result(_search_texts())
    rows = [
        _search_row(
            "exact 'total'",
            lambda: result.search("total"),
            [("loop of str.lower().find", lambda: _find_loop(result, "total"))],
            20,
            repeats,
            repeats,
            notes=(NOTE,),
        ),
        _search_row(
            r"regex 'total \d[\d,.]*'",
            lambda: result.search(r"total \d[\d,.]*", regex=True),
            [("loop of re.finditer", lambda: _re_loop(result, r"total \d[\d,.]*"))],
            50,
            repeats,
            repeats,
        ),
        _search_row(
            r"regex '^\d+: sed' (anchored)",
            lambda: result.search(r"^\d+: sed", regex=True),
            [("loop of re.finditer", lambda: _re_loop(result, r"^\d+: sed"))],
            50,
            repeats,
            repeats,
        ),
        _search_row(
            "fuzzy 'invoise' >= 80",
            lambda: result.search("invoise", fuzzy=80),
            [
                (
                    "loop of fuzz.partial_ratio_alignment",
                    lambda: _partial_ratio_loop(result, "invoise", 80),
                ),
                ("loop of difflib.get_close_matches", lambda: _difflib_loop(result, "invoise", 80)),
            ],
            500,
            repeats,
            alt_repeats,
        ),
    ]
    rows += _compare_rows(repeats, alt_repeats)
    return rows


def _compare_rows(repeats: int, alt_repeats: int) -> list[Row]:
    references = [region_text(i, CHARS) for i in range(COMPARE_REGIONS)]
    # OCR-like errors: o->0 and l->1 in some places, a dropped letter in every 7th region.
    hypotheses = [
        ref.replace("o", "0", i % 4).replace("l", "1", i % 3)[: CHARS - (i % 7 == 0)]
        for i, ref in enumerate(references)
    ]
    result = _result(hypotheses)
    times, comparison = _timed(lambda: result.compare(references), repeats)
    s = spread(times)
    alt_times, _ = _timed(lambda: _sequence_matcher(hypotheses, references), alt_repeats)
    rows = [
        Row(
            FIGURE,
            f"compare {COMPARE_REGIONS:,} regions x {CHARS} chars with a reference",
            f"ours: OCRResult.compare (CER {comparison.cer * 100:.2f} %, WER "
            f"{comparison.wer * 100:.2f} %)",
            f"{s.median:.1f} ms",
            fmt_spread(s, "ms", 1),
            f"{s.median / spread(alt_times).median:.3f}x difflib.SequenceMatcher loop",
            "< 100 ms",
            s.median < 100,
        )
    ]
    display_times, bundle = _timed(lambda: comparison._repr_mimebundle_(), repeats)
    size = len(bundle["text/html"].encode("utf-8"))
    d = spread(display_times)
    theirs_times, theirs_html = _timed(lambda: _difflib_html(hypotheses, references), alt_repeats)
    rows.append(
        Row(
            FIGURE,
            f"rich display of that comparison (worst 100 of {COMPARE_REGIONS:,} diffs)",
            "ours: Comparison._repr_mimebundle_",
            f"{d.median:.1f} ms, {size / 1000:.1f} KB HTML",
            fmt_spread(d, "ms", 1),
            f"{size / len(theirs_html.encode('utf-8')):.3f}x the size and "
            f"{d.median / spread(theirs_times).median:.3f}x the time of difflib.HtmlDiff "
            "tables of every region",
            "< 300 KB",
            size < 300_000,
        )
    )
    return rows
