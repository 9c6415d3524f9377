"""Comparison of recognized texts with a reference: edit distances, CER and WER. Plain data.

The character error rate (CER) is the Levenshtein distance (insertions, deletions and
substitutions, each costing 1) between the reference and the recognized text, over the
reference's length; the word error rate (WER) is the same over words (split on white
space). Over several regions both are totals: all distances over all reference lengths,
so a long region weighs more than a short one. rapidfuzz computes the distances (C++,
bit-parallel) and the edit operations the rich display marks.

Decisions: a reference given as a list must have one text per text region (else a
``ValueError`` says both counts: pairing by position would be meaningless); a mapping may
cover only some regions (the others are left out, and ``notes`` says how many); an empty
reference is a ``ValueError``. A region whose reference text is empty has a CER of 0 when
the recognized text is empty too, else infinity (every character is an insertion).
"""

from __future__ import annotations

import math
from collections.abc import Container, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union, overload

from rapidfuzz.distance import Levenshtein

if TYPE_CHECKING:
    import pandas

    from ..results.models import OCRResult

__all__ = ["Comparison", "Reference", "RegionComparison", "compare_texts", "reference_by_order"]

Reference = Union[Sequence[str], Mapping[int, str], Mapping[str, str], "OCRResult"]


@dataclass(frozen=True)
class RegionComparison:
    """One region's recognized text against its reference.

    Attributes:
        task_id: The task.
        order: The region's ``order``.
        reference: The reference text.
        hypothesis: The recognized (corrected) text.
        distance: Levenshtein distance in characters.
        word_distance: Levenshtein distance in words.
        reference_words: Words in the reference.
    """

    task_id: str | None
    order: int
    reference: str
    hypothesis: str
    distance: int
    word_distance: int
    reference_words: int

    @property
    def cer(self) -> float:
        """Character error rate of this region (``inf`` for an empty reference, see module)."""
        return _rate(self.distance, len(self.reference))

    @property
    def wer(self) -> float:
        """Word error rate of this region."""
        return _rate(self.word_distance, self.reference_words)


def _rate(distance: int, length: int) -> float:
    if length:
        return distance / length
    return 0.0 if distance == 0 else math.inf


_COLUMNS = ("order", "reference", "hypothesis", "distance", "cer", "wer")


class Comparison(Sequence[RegionComparison]):
    """Recognized texts against a reference: per region and overall CER and WER.

    ``len()``, iteration and indexing give a :class:`RegionComparison` per region compared;
    ``to_dataframe()`` a table; in a notebook the character diff of every region (worst
    first), with deleted reference characters in ``<del>`` and inserted ones in ``<ins>``.

    Attributes:
        notes: What was left out and why (regions without a reference, unpaired tasks).
    """

    def __init__(self, regions: Sequence[RegionComparison], *, notes: Sequence[str] = ()) -> None:
        self._regions = tuple(regions)
        self.notes: tuple[str, ...] = tuple(notes)

    @overload
    def __getitem__(self, index: int) -> RegionComparison: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[RegionComparison]: ...
    def __getitem__(self, index: int | slice) -> RegionComparison | Sequence[RegionComparison]:
        return self._regions[index]

    def __len__(self) -> int:
        return len(self._regions)

    def __iter__(self) -> Iterator[RegionComparison]:
        return iter(self._regions)

    # -- figures ---------------------------------------------------------------------------

    @property
    def distance(self) -> int:
        """Total character edit distance."""
        return sum(r.distance for r in self._regions)

    @property
    def reference_chars(self) -> int:
        """Total characters of the reference texts."""
        return sum(len(r.reference) for r in self._regions)

    @property
    def word_distance(self) -> int:
        """Total word edit distance."""
        return sum(r.word_distance for r in self._regions)

    @property
    def reference_words(self) -> int:
        """Total words of the reference texts."""
        return sum(r.reference_words for r in self._regions)

    @property
    def cer(self) -> float:
        """Character error rate over all regions: total distance / total reference length."""
        return _rate(self.distance, self.reference_chars)

    @property
    def wer(self) -> float:
        """Word error rate over all regions: total word distance / total reference words."""
        return _rate(self.word_distance, self.reference_words)

    @property
    def task_ids(self) -> list[str | None]:
        """The tasks compared, in order."""
        return list(dict.fromkeys(r.task_id for r in self._regions))

    def by_task(self) -> dict[str | None, Comparison]:
        """One comparison per task (CER and WER of each task on its own)."""
        out: dict[str | None, list[RegionComparison]] = {}
        for region in self._regions:
            out.setdefault(region.task_id, []).append(region)
        return {task: Comparison(regions) for task, regions in out.items()}

    def worst(self) -> list[RegionComparison]:
        """The regions, worst CER first (then most edits), as the rich display lists them."""
        return sorted(self._regions, key=lambda r: (-r.cer, -r.distance, r.order))

    def to_dataframe(self) -> pandas.DataFrame:
        """One row per region: ``order``, ``reference``, ``hypothesis``, ``distance``,
        ``cer``, ``wer`` (led by ``task_id`` when several tasks were compared).

        Raises:
            ImportError: pandas is not installed (``pip install pandas``).
        """  # noqa: D205
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - exercised only without pandas
            raise ImportError("Comparison.to_dataframe() needs pandas: pip install pandas") from exc
        several = len(self.task_ids) > 1
        columns = (["task_id"] if several else []) + list(_COLUMNS)
        rows = [
            ([r.task_id] if several else [])
            + [r.order, r.reference, r.hypothesis, r.distance, r.cer, r.wer]
            for r in self._regions
        ]
        frame: pandas.DataFrame = pd.DataFrame(rows, columns=columns)
        return frame

    @property
    def summary(self) -> str:
        """One line: CER and WER with their counts."""
        return (
            f"CER {_percent(self.cer)} ({self.distance:,} edits / {self.reference_chars:,} "
            f"characters) · WER {_percent(self.wer)} ({self.word_distance:,} / "
            f"{self.reference_words:,} words) over {len(self._regions):,} "
            f"region{'s' if len(self._regions) != 1 else ''}"
            + (f" of {len(self.task_ids):,} tasks" if len(self.task_ids) > 1 else "")
        )

    def __repr__(self) -> str:
        return f"<Comparison {self.summary}>"

    def _repr_mimebundle_(
        self,
        include: Container[str] | None = None,
        exclude: Container[str] | None = None,
        **kwargs: Any,
    ) -> dict[str, str]:
        """Rich display: the figures, then each region's character diff, worst first."""
        # Imported here: the display protocol is the one place a data object calls display/.
        from ..display.comparison import comparison_mimebundle

        return comparison_mimebundle(self, include=include, exclude=exclude)


def _percent(rate: float) -> str:
    return "∞" if math.isinf(rate) else f"{rate * 100:.2f} %"


def compare_texts(
    hypotheses: Mapping[int, str],
    references: Mapping[int, str],
    *,
    task_id: str | None = None,
    notes: Sequence[str] = (),
) -> Comparison:
    """Compare the regions ``references`` names (by order) with ``hypotheses``.

    Args:
        hypotheses: The recognized text of each region, by order.
        references: The reference text of some or all of those regions, by order.
        task_id: The task, carried into each region's row.
        notes: Lines to keep with the comparison.
    """
    rows = []
    for order, reference in references.items():
        hypothesis = hypotheses[order]
        ref_words = reference.split()
        rows.append(
            RegionComparison(
                task_id=task_id,
                order=order,
                reference=reference,
                hypothesis=hypothesis,
                distance=Levenshtein.distance(reference, hypothesis),
                word_distance=Levenshtein.distance(ref_words, hypothesis.split()),
                reference_words=len(ref_words),
            )
        )
    left_out = len(hypotheses) - len(references)
    extra = list(notes)
    if left_out > 0:
        extra.append(
            f"{left_out} region{'s' if left_out != 1 else ''} without a reference text "
            f"{'were' if left_out != 1 else 'was'} left out"
            + (f" (task {task_id})" if task_id else "")
            + "."
        )
    return Comparison(rows, notes=extra)


def reference_by_order(
    reference: object, hypotheses: Mapping[int, str], names: Mapping[str, int]
) -> dict[int, str]:
    """The reference texts keyed by region order, checked against the regions.

    Args:
        reference: A list of strings (one per text region, in order), a mapping from order
            or region name to text, or an object with ``texts`` (another ``OCRResult``).
        hypotheses: The recognized text of each text region, by order.
        names: Each named region's order, by name.

    Raises:
        ValueError: An empty reference, a list of another length, an unknown key.
        TypeError: A reference of another kind, or a text that is not a str.
    """
    if isinstance(reference, str):
        raise TypeError(
            "compare() got one string; give a list with one reference text per region, "
            "a mapping {order or region name: text}, or another OCRResult."
        )
    if isinstance(reference, Mapping):
        return _from_mapping(reference, hypotheses, names)
    texts = getattr(reference, "texts", reference)  # another OCRResult: its texts
    if not isinstance(texts, Sequence):
        raise TypeError(
            "compare() takes a list of reference texts, a mapping {order or region name: "
            f"text}} or another OCRResult, got {type(reference).__name__}."
        )
    if not texts:
        raise ValueError("The reference is empty; give one text per region.")
    if len(texts) != len(hypotheses):
        raise ValueError(
            f"The reference has {len(texts)} texts for {len(hypotheses)} text regions; "
            "give one per region in order, or a mapping {order: text} for some of them."
        )
    return {order: _text(text, order) for order, text in zip(hypotheses, texts, strict=True)}


def _from_mapping(
    reference: Mapping[Any, Any], hypotheses: Mapping[int, str], names: Mapping[str, int]
) -> dict[int, str]:
    if not reference:
        raise ValueError("The reference is empty; give {order or region name: text}.")
    out: dict[int, str] = {}
    for key, text in reference.items():
        if isinstance(key, str):
            if key not in names:
                known = ", ".join(sorted(names)[:10]) or "none: this result's regions are unnamed"
                raise ValueError(f"No region is named {key!r} (names: {known}).")
            order = names[key]
        elif isinstance(key, int) and not isinstance(key, bool):
            order = key
        else:
            raise TypeError(f"A reference key is a region order or name, got {key!r}.")
        if order not in hypotheses:
            raise ValueError(
                f"No text region has order {order}; orders are {sorted(hypotheses)[:10]}."
            )
        out[order] = _text(text, order)
    return dict(sorted(out.items()))


def _text(text: object, order: int) -> str:
    if not isinstance(text, str):
        raise TypeError(f"The reference text of region {order} is not a str: {text!r}.")
    return text


def compare_results(results: Sequence[OCRResult], references: object) -> Comparison:
    """Compare several results with their references, paired by task id or by source.

    Args:
        results: The results to check.
        references: Another collection of results (paired by task id, or by
            ``submission.source`` when every result on both sides has one, as a template
            batch does), or a mapping from task id or source to a reference of any kind
            ``OCRResult.compare`` takes.

    Raises:
        ValueError: No task could be paired and compared.
    """
    if isinstance(references, Mapping):
        by_key: dict[str, object] = {str(k): v for k, v in references.items()}
        key_of = _key_in(by_key)
    else:
        others = [r for r in _iterable(references) if hasattr(r, "texts_by_order")]
        use_source = all(_source(r) for r in [*results, *others])
        by_key = {(_source(r) if use_source else r.id) or "": r for r in others}

        def key_of(result: OCRResult) -> str:
            return (_source(result) if use_source else result.id) or ""

    regions: list[RegionComparison] = []
    notes: list[str] = []
    for result in results:
        key = key_of(result)
        if key not in by_key:
            notes.append(f"Task {result.id}: no reference paired with it; left out.")
            continue
        try:
            part = result.compare(by_key[key])  # type: ignore[arg-type]
        except (ValueError, TypeError) as exc:
            notes.append(f"Task {result.id}: {exc} Left out.")
            continue
        regions.extend(part)
        notes.extend(part.notes)
    if not regions:
        raise ValueError(
            "No task could be compared: "
            + (" ".join(notes) if notes else "the collections have no task in common.")
        )
    return Comparison(regions, notes=notes)


def _iterable(references: object) -> list[Any]:
    if isinstance(references, (str, bytes)) or not hasattr(references, "__iter__"):
        raise TypeError(
            "OCRResultCollection.compare() takes another collection of results or a mapping "
            f"{{task id or source: reference}}, got {type(references).__name__}."
        )
    return list(references)


def _source(result: OCRResult) -> str | None:
    submission = getattr(result, "submission", None)
    return getattr(submission, "source", None) if submission is not None else None


def _key_in(by_key: Mapping[str, object]) -> Any:
    def key_of(result: OCRResult) -> str:
        source = _source(result)
        if result.id is not None and result.id in by_key:
            return result.id
        return source if source is not None else (result.id or "")

    return key_of
