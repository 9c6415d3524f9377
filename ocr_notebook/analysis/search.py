r"""Search over recognized texts: exact, regular expression or fuzzy. Plain data only.

The search runs over ``(task_id, order, text)`` items (one per text region) and returns a
:class:`SearchHits`. ``OCRResult.search`` and ``OCRResultCollection.search`` build the
items from their (corrected) texts.

- **Exact** (the default) finds every non-overlapping occurrence, case-insensitively unless
  ``case=True``. All texts are joined once with NUL separators (lower-cased once when case
  does not matter) and searched by one compiled literal pattern (C speed); a hit is mapped
  back to its region by bisection. A pattern holding NUL itself is searched region by
  region instead, so no hit spans two regions.
- **Regex** (``regex=True``) uses Python's regular-expression syntax, run by the ``regex``
  module because the standard ``re`` cannot be stopped: a pattern that backtracks
  catastrophically (``(x+x+)+y``) would hang the kernel. ``regex`` checks a deadline while
  it matches, so the whole search gives up after ``timeout`` seconds (2 s by default) with
  one line saying so. Refusing nested quantifiers up front was rejected: it refuses good
  patterns (``(ab+)+``) and misses bad ones (``(a|a)*b``). A subprocess with a deadline
  would cost tens of milliseconds per search. Hits are exactly those of a search region by
  region (``^``, ``$`` and look-arounds see one region; empty matches are skipped), but
  like the exact search a regex runs once over the joined texts, since a call per region
  costs ~4 us (40 ms over 10,000 regions): a match crossing a separator makes the regions
  it touches be searched again on their own. With ``^`` or ``$`` the texts are joined by
  line breaks and searched with MULTILINE, so those match at every region's edges (a text
  with line breaks of its own is searched alone). Patterns whose meaning depends on what
  lies beyond a region's edge (``\A``, ``\Z``, ``\z``, ``\G``, and anything with ``(?``:
  look-arounds, inline flags) are searched region by region.
- **Fuzzy** (``fuzzy=80``) finds approximate occurrences scoring at least that similarity
  (0-100, rapidfuzz's normalized Indel similarity of the pattern and the aligned span).
  ``rapidfuzz.process.extract`` with ``fuzz.partial_ratio`` picks, in C, the regions whose
  best span scores enough; in each of those, ``fuzz.partial_ratio_alignment`` gives the
  best span, and the text left and right of it is searched again the same way, until no
  piece scores enough or a piece is too short to (shorter than ``len(pattern) * t / (2 -
  t)`` for a threshold ``t`` in 0-1, the shortest span whose score can reach it). So a long
  region yields every separate approximate occurrence, not only the best one. The aligned
  window is as long as the pattern, so each end is then moved by up to two characters to
  the span needing the fewest edits (``"totl"``, not ``"totl "``), still scoring at least
  the threshold with ``fuzz.ratio``, which is the hit's ``score``.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
import time
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

import regex as regex_module
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

if TYPE_CHECKING:
    import pandas

__all__ = ["REGEX_TIMEOUT", "SearchHit", "SearchHits", "search_texts"]

#: Seconds a regular-expression search may take over all regions before it is stopped.
REGEX_TIMEOUT = 2.0
#: Characters of context kept on each side of a hit.
CONTEXT = 40
_SEPARATOR = "\x00"
#: Characters each end of a fuzzy hit may move to fit the pattern better (see ``_nudge``).
NUDGE = 2

Item = tuple["str | None", int, str]


@dataclass(frozen=True)
class SearchHit:
    """One occurrence of the pattern in one region's text.

    Attributes:
        task_id: The task the region belongs to.
        order: The region's ``order``.
        start: Where the match starts in the region's text.
        end: Where it ends (exclusive).
        match: The matched text.
        context: The match with up to 40 characters of the region's text on each side.
        score: The similarity (0-100) of a fuzzy hit; None for exact and regex hits.
        context_start: Where ``context`` starts in the region's text.
        region_chars: The length of the region's text (tells whether ``context`` was cut).
    """

    task_id: str | None
    order: int
    start: int
    end: int
    match: str
    context: str
    score: float | None = None
    context_start: int = 0
    region_chars: int = 0


_COLUMNS = ("task_id", "order", "start", "end", "match", "context")


class SearchHits(Sequence[SearchHit]):
    """The hits of a search, in task, region and position order.

    ``len()``, iteration and indexing give :class:`SearchHit` objects; ``to_dataframe()``
    gives a table; in a notebook each hit is shown in its context with the match marked.

    Attributes:
        pattern: What was searched for.
        mode: ``"exact"``, ``"regex"`` or ``"fuzzy"``.
        case: Whether case mattered.
        threshold: The fuzzy similarity threshold (None unless fuzzy).
        regions: How many regions were searched.
    """

    def __init__(
        self,
        hits: Sequence[SearchHit],
        *,
        pattern: str,
        mode: str,
        case: bool,
        threshold: float | None,
        regions: int,
    ) -> None:
        self._hits = tuple(hits)
        self.pattern = pattern
        self.mode = mode
        self.case = case
        self.threshold = threshold
        self.regions = regions

    @overload
    def __getitem__(self, index: int) -> SearchHit: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[SearchHit]: ...
    def __getitem__(self, index: int | slice) -> SearchHit | Sequence[SearchHit]:
        return self._hits[index]

    def __len__(self) -> int:
        return len(self._hits)

    def __iter__(self) -> Iterator[SearchHit]:
        return iter(self._hits)

    @property
    def description(self) -> str:
        """How the search was made, e.g. ``'fuzzy >= 80, ignoring case'``."""
        how = f"fuzzy >= {self.threshold:g}" if self.threshold is not None else self.mode
        return f"{how}, {'case-sensitive' if self.case else 'ignoring case'}"

    def to_dataframe(self) -> pandas.DataFrame:
        """One row per hit: ``task_id``, ``order``, ``start``, ``end``, ``match``, ``context``.

        Raises:
            ImportError: pandas is not installed (``pip install pandas``).
        """
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - exercised only without pandas
            raise ImportError("SearchHits.to_dataframe() needs pandas: pip install pandas") from exc
        rows = [(h.task_id, h.order, h.start, h.end, h.match, h.context) for h in self._hits]
        frame: pandas.DataFrame = pd.DataFrame(rows, columns=list(_COLUMNS))
        return frame

    def __repr__(self) -> str:
        return (
            f"<SearchHits {len(self._hits)} for {self.pattern!r} ({self.description}) "
            f"in {self.regions} regions>"
        )

    def _repr_mimebundle_(
        self,
        include: Container[str] | None = None,
        exclude: Container[str] | None = None,
        **kwargs: Any,
    ) -> dict[str, str]:
        """Rich display: every hit in its context with the match marked (escaped)."""
        # Imported here: the display protocol is the one place a data object calls display/.
        from ..display.search import search_mimebundle

        return search_mimebundle(self, include=include, exclude=exclude)


def search_texts(
    items: Sequence[Item],
    pattern: str,
    *,
    regex: bool = False,
    case: bool = False,
    fuzzy: float | None = None,
    timeout: float = REGEX_TIMEOUT,
) -> SearchHits:
    """Search ``(task_id, order, text)`` items for ``pattern``.

    Args:
        items: One per text region, in the order hits should come in.
        pattern: What to find (a literal, a regular expression with ``regex=True``, or an
            approximate phrase with ``fuzzy=``).
        regex: Treat ``pattern`` as a regular expression (Python syntax).
        case: Match case exactly (default: ignore case).
        fuzzy: A similarity threshold from 0 to 100: find approximate occurrences.
        timeout: Seconds a regular-expression search may take in all.

    Raises:
        ValueError: An empty pattern, an invalid regular expression, a regular expression
            that ran past ``timeout``, ``regex`` together with ``fuzzy``, or a threshold
            outside 0-100.
        TypeError: ``pattern`` is not a str.
    """
    if not isinstance(pattern, str):
        raise TypeError(f"search() takes the pattern as a str, got {type(pattern).__name__}.")
    if not pattern:
        raise ValueError("search() needs a non-empty pattern.")
    if regex and fuzzy is not None:
        raise ValueError("search(): pick regex=True or fuzzy=..., not both.")
    if fuzzy is not None:
        threshold = _threshold(fuzzy)
        hits = _fuzzy(items, pattern, case, threshold)
        mode = "fuzzy"
    elif regex:
        threshold = None
        hits = _regex(items, pattern, case, timeout)
        mode = "regex"
    else:
        threshold = None
        hits = _exact(items, pattern, case)
        mode = "exact"
    return SearchHits(
        hits, pattern=pattern, mode=mode, case=case, threshold=threshold, regions=len(items)
    )


def _threshold(fuzzy: object) -> float:
    if isinstance(fuzzy, bool) or not isinstance(fuzzy, (int, float)) or math.isnan(fuzzy):
        raise ValueError(f"fuzzy= is a similarity threshold from 0 to 100, got {fuzzy!r}.")
    if not 0 <= fuzzy <= 100:
        raise ValueError(f"fuzzy= is a similarity threshold from 0 to 100, got {fuzzy!r}.")
    return float(fuzzy)


def _hit(item: Item, start: int, end: int, score: float | None = None) -> SearchHit:
    task_id, order, text = item
    lo = max(0, start - CONTEXT)
    hi = min(len(text), end + CONTEXT)
    return SearchHit(
        task_id=task_id,
        order=order,
        start=start,
        end=end,
        match=text[start:end],
        context=text[lo:hi],
        score=score,
        context_start=lo,
        region_chars=len(text),
    )


class _Joined:
    """Texts joined by a separator, searched at once; offsets map back to their regions.

    Args:
        items: All items.
        indices: Which items to join (default: all), in order.
        separator: What goes between two texts.
    """

    def __init__(
        self,
        items: Sequence[Item],
        indices: Sequence[int] | None = None,
        separator: str = _SEPARATOR,
    ) -> None:
        self.items = items
        self.indices = list(range(len(items))) if indices is None else list(indices)
        texts = [items[i][2] for i in self.indices]
        self.starts = list(itertools.accumulate((len(t) + 1 for t in texts), initial=0))
        self.text = separator.join(texts)

    def locate(self, start: int, end: int) -> tuple[int, int, int] | None:
        """``(item index, start, end)`` in that item's text; None if the span crosses one."""
        slot = bisect.bisect_right(self.starts, start) - 1
        base = self.starts[slot]
        index = self.indices[slot]
        if end > base + len(self.items[index][2]):
            return None
        return index, start - base, end - base

    def touched(self, start: int, end: int) -> list[int]:
        """The item indices a span crossing separators touches."""
        first = bisect.bisect_right(self.starts, start) - 1
        last = bisect.bisect_right(self.starts, max(end - 1, start)) - 1
        return self.indices[first : last + 1]


def _exact(items: Sequence[Item], pattern: str, case: bool) -> list[SearchHit]:
    # A literal pattern cannot backtrack, so the standard re is safe (and fastest) here.
    if _SEPARATOR in pattern:  # it could span two regions: search each on its own
        compiled = re.compile(re.escape(pattern), 0 if case else re.IGNORECASE)
        return [
            _hit(item, m.start(), m.end()) for item in items for m in compiled.finditer(item[2])
        ]
    joined = _Joined(items)
    haystack, needle, flags = joined.text, pattern, 0
    if not case:
        # Lower-casing once and searching a plain literal is ~10x faster than IGNORECASE,
        # when lower case keeps every offset (it does except for a few letters like "İ").
        lowered, low_needle = haystack.lower(), pattern.lower()
        if len(lowered) == len(haystack) and len(low_needle) == len(pattern):
            haystack, needle = lowered, low_needle
        else:
            flags = re.IGNORECASE
    hits: list[SearchHit] = []
    for m in re.compile(re.escape(needle), flags).finditer(haystack):
        located = joined.locate(m.start(), m.end())
        if located is not None:  # always: the pattern holds no separator
            index, start, end = located
            hits.append(_hit(items[index], start, end))
    return hits


# What sees past a region's edge even under MULTILINE: absolute anchors, look-arounds and
# inline flags (anything with "(?"). A pattern with any of these is searched region by
# region (slower: a deadline per call).
_BEYOND_EDGES = re.compile(r"\\[AZzG]|\(\?")


def _regex(items: Sequence[Item], pattern: str, case: bool, timeout: float) -> list[SearchHit]:
    flags = 0 if case else regex_module.IGNORECASE
    try:
        compiled = regex_module.compile(pattern, flags)
    except regex_module.error as exc:
        raise ValueError(f"Not a valid regular expression {pattern!r}: {exc}.") from None
    deadline = time.monotonic() + timeout
    found: dict[int, list[SearchHit]] = {}
    try:
        if _BEYOND_EDGES.search(pattern):
            for index in range(len(items)):
                found[index] = _regex_each(items, index, compiled, deadline)
        elif "^" in pattern or "$" in pattern:
            # Under MULTILINE, ^ and $ match at line breaks: join by "\n" so they match at
            # every region's edges. A text holding a line break of its own is searched alone.
            lined = [i for i, item in enumerate(items) if "\n" in item[2]]
            single = [i for i, item in enumerate(items) if "\n" not in item[2]]
            multiline = regex_module.compile(pattern, flags | regex_module.MULTILINE)
            joined = _Joined(items, single, "\n")
            found = _regex_joined(joined, multiline, compiled, deadline)
            for index in lined:
                found[index] = _regex_each(items, index, compiled, deadline)
        else:
            found = _regex_joined(_Joined(items), compiled, compiled, deadline)
    except TimeoutError:
        raise ValueError(
            f"The regular expression {pattern!r} was stopped after {timeout:g} s over "
            f"{len(items)} regions; it probably backtracks catastrophically (nested "
            "quantifiers such as (x+x+)+y): simplify it, or search for a literal."
        ) from None
    return [hit for index in sorted(found) for hit in found[index]]


def _regex_joined(
    joined: _Joined,
    compiled: regex_module.Pattern[str],
    alone: regex_module.Pattern[str],
    deadline: float,
) -> dict[int, list[SearchHit]]:
    # One search over the joined texts. A match that crosses a separator is not a region's
    # match: the regions it touches are searched again on their own (with ``alone``), so
    # the hits are exactly what a search region by region gives.
    items = joined.items
    found: dict[int, list[SearchHit]] = {}
    redo: set[int] = set()
    remaining = max(deadline - time.monotonic(), 0.0)
    for m in compiled.finditer(joined.text, timeout=remaining):
        if m.end() <= m.start():
            continue
        located = joined.locate(m.start(), m.end())
        if located is None:
            redo.update(joined.touched(m.start(), m.end()))
            continue
        index, start, end = located
        found.setdefault(index, []).append(_hit(items[index], start, end))
    for index in redo:
        found[index] = _regex_each(items, index, alone, deadline)
    return found


def _regex_each(
    items: Sequence[Item], index: int, compiled: regex_module.Pattern[str], deadline: float
) -> list[SearchHit]:
    item = items[index]
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError
    return [
        _hit(item, m.start(), m.end())
        for m in compiled.finditer(item[2], timeout=remaining)
        if m.end() > m.start()  # an empty match marks nothing
    ]


def _fuzzy(items: Sequence[Item], pattern: str, case: bool, threshold: float) -> list[SearchHit]:
    needle = pattern if case else _lower(pattern)
    texts = [item[2] if case else _lower(item[2]) for item in items]
    candidates = process.extract(
        needle,
        texts,
        scorer=fuzz.partial_ratio,
        processor=None,
        score_cutoff=threshold,
        limit=None,
    )
    shortest = _shortest_span(len(needle), threshold)
    hits: list[SearchHit] = []
    for index in sorted(c[2] for c in candidates):
        found = _spans(needle, texts[index], threshold, shortest)
        hits.extend(_hit(items[index], s, e, score) for s, e, score in found)
    return hits


def _spans(needle: str, text: str, threshold: float, shortest: int) -> list[tuple[int, int, float]]:
    found: list[tuple[int, int, float]] = []
    pieces = [(0, len(text))]
    while pieces:
        lo, hi = pieces.pop()
        if hi - lo < shortest:
            continue
        aligned = fuzz.partial_ratio_alignment(needle, text[lo:hi], score_cutoff=threshold)
        if aligned is None or aligned.dest_end <= aligned.dest_start:
            continue
        start, end, score = _nudge(
            needle, text, lo + aligned.dest_start, lo + aligned.dest_end, lo, hi, threshold
        )
        found.append((start, end, score))
        pieces += [(lo, start), (end, hi)]
    return sorted(found)


def _nudge(
    needle: str, text: str, start: int, end: int, lo: int, hi: int, threshold: float
) -> tuple[int, int, float]:
    # partial_ratio aligns a window exactly as long as the pattern ("totl " for "total").
    # Among spans whose ends lie within NUDGE characters and still score >= threshold,
    # take the fewest edits (Levenshtein), then the length closest to the pattern's (so
    # "Subtotai" gives "totai", a substitution, not "tota"), then the best score.
    best: tuple[int, int, float, int, int] | None = None
    for s in range(max(lo, start - NUDGE), min(start + NUDGE, end - 1) + 1):
        for e in range(max(s + 1, end - NUDGE), min(hi, end + NUDGE) + 1):
            score = fuzz.ratio(needle, text[s:e])
            if score < threshold:
                continue
            key = (Levenshtein.distance(needle, text[s:e]), abs(e - s - len(needle)), -score)
            if best is None or key < best[:3]:
                best = (*key, s, e)
    if best is None:  # pragma: no cover - the aligned window itself always qualifies
        return start, end, fuzz.ratio(needle, text[start:end])
    return best[3], best[4], -best[2]


def _shortest_span(length: int, threshold: float) -> int:
    # Indel similarity 2M / (len(a) + len(b)) with M <= len(b) reaches t only when
    # len(b) >= len(a) * t / (2 - t).
    t = threshold / 100
    return max(1, math.ceil(length * t / (2 - t) - 1e-9))


def _lower(text: str) -> str:
    # Lower case that keeps every offset: a character whose lower case is longer ("İ")
    # stays as it is, so spans map back onto the original text.
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
