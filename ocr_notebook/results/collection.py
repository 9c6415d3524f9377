"""The result of fetching several tasks at once: the same analysis conveniences over all.

No IPython here: the rich display goes through the pure renderer.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, overload

from .errors import OCRError
from .models import OCRResult, RegionResult, TaskStatus
from .outcomes import outcome_status

if TYPE_CHECKING:
    import pandas

    from ..analysis.compare import Comparison, Reference
    from ..analysis.search import SearchHits

__all__ = ["OCRResultCollection"]


class OCRResultCollection(Sequence[OCRResult]):
    """Several tasks' outcomes, in the order their ids were given.

    A task that failed (Error, NotExist, timeout, a network error) keeps its error in
    :attr:`errors`; everything else (iteration, ``texts``, ``to_dataframe()``) runs over the
    tasks that gave a result, in order.

    Args:
        outcomes: One ``OCRResult`` or ``OCRError`` per task.
        task_ids: The ids, parallel to ``outcomes`` (default: each result's own id).
        sources: Where each task's image came from, parallel to ``outcomes`` (default:
            each result's ``submission.source``); ``to_dataframe(wide=True)`` shows them.

    Example:
        >>> results = %ocr_fetch id1 id2 id3        # doctest: +SKIP
        >>> results.texts, results.to_dataframe()   # doctest: +SKIP
    """

    def __init__(
        self,
        outcomes: Sequence[OCRResult | OCRError],
        *,
        task_ids: Sequence[str] | None = None,
        sources: Sequence[str | None] | None = None,
    ) -> None:
        if task_ids is None:
            task_ids = [
                (o.id or "") if isinstance(o, OCRResult) else (o.task_id or "") for o in outcomes
            ]
        if len(task_ids) != len(outcomes):
            raise ValueError(
                f"{len(task_ids)} task ids for {len(outcomes)} outcomes; they must pair up."
            )
        self._task_ids: tuple[str, ...] = tuple(task_ids)
        self._outcomes: tuple[OCRResult | OCRError, ...] = tuple(outcomes)
        self._results = tuple(o for o in outcomes if isinstance(o, OCRResult))
        if sources is not None and len(sources) != len(outcomes):
            raise ValueError(f"{len(sources)} sources for {len(outcomes)} outcomes; pair them.")
        self._sources: tuple[str | None, ...] = (
            tuple(sources)
            if sources is not None
            else tuple(
                o.submission.source if isinstance(o, OCRResult) and o.submission else None
                for o in outcomes
            )
        )

    # -- what is in it ----------------------------------------------------------------

    @property
    def task_ids(self) -> list[str]:
        """Every task id, in the order given."""
        return list(self._task_ids)

    @property
    def outcomes(self) -> dict[str, OCRResult | OCRError]:
        """Each task id's result or error, in order."""
        return dict(zip(self._task_ids, self._outcomes, strict=True))

    @property
    def pairs(self) -> list[tuple[str, OCRResult | OCRError]]:
        """``(task id, result or error)`` for every slot, in order (repeated ids kept)."""
        return list(zip(self._task_ids, self._outcomes, strict=True))

    @property
    def results(self) -> list[OCRResult]:
        """The tasks that gave a result, in order."""
        return list(self._results)

    @property
    def errors(self) -> dict[str, OCRError]:
        """The tasks that failed, by id, with the error that ended each."""
        return {
            t: o
            for t, o in zip(self._task_ids, self._outcomes, strict=True)
            if isinstance(o, OCRError)
        }

    @property
    def ok(self) -> bool:
        """Whether every task gave a result."""
        return len(self._results) == len(self._outcomes)

    def get(self, task_id: str) -> OCRResult | None:
        """The result of ``task_id``, or None if it failed or is not in the collection."""
        outcome = self.outcomes.get(task_id.strip())
        return outcome if isinstance(outcome, OCRResult) else None

    # -- Sequence[OCRResult] ------------------------------------------------------------

    @overload
    def __getitem__(self, index: int) -> OCRResult: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[OCRResult]: ...
    def __getitem__(self, index: int | slice) -> OCRResult | Sequence[OCRResult]:
        return self._results[index]

    def __len__(self) -> int:
        return len(self._results)

    def __iter__(self) -> Iterator[OCRResult]:
        return iter(self._results)

    # -- analysis, over every result ----------------------------------------------------

    @property
    def regions(self) -> list[RegionResult]:
        """Every region of every result, in task then region order."""
        return [region for result in self._results for region in result.regions]

    @property
    def texts(self) -> list[str]:
        """The text of every text-like region of every result, in task then region order."""
        return [text for result in self._results for text in result.texts]

    @property
    def text(self) -> str:
        """All texts joined by newlines."""
        return "\n".join(self.texts)

    @property
    def sources(self) -> list[str | None]:
        """Where each task's image came from (a path or label), in order; None if unknown."""
        return list(self._sources)

    def to_dataframe(self, *, wide: bool = False) -> pandas.DataFrame:
        """A table of every result.

        Args:
            wide: False (default): one row per region of every result (the columns of
                ``OCRResult.to_dataframe``). True: one row per image, in order: a ``source``
                column (the image's path or label), then one column per region name
                (``region_<order>`` for an unnamed region) holding its text, then ``task_id``
                and ``error`` (the one-line reason when the image failed, else empty).

        Raises:
            ImportError: pandas is not installed (``pip install pandas``).
        """
        if wide:
            return self._wide_dataframe()
        frames = [result.to_dataframe() for result in self._results]
        if not frames:  # an empty frame with the same columns
            return OCRResult(id=None, status=TaskStatus.COMPLETED).to_dataframe()
        import pandas as pd  # deferred: pandas is optional, and heavy to import

        frame: pandas.DataFrame = pd.concat(frames, ignore_index=True)
        return frame

    def search(
        self, pattern: str, *, regex: bool = False, case: bool = False, fuzzy: float | None = None
    ) -> SearchHits:
        """Every occurrence of ``pattern`` in every result's texts (see ``OCRResult.search``).

        Raises:
            ValueError: An empty or invalid pattern, a regex that ran too long, ``regex``
                with ``fuzzy``, or a threshold outside 0-100.
        """
        # Deferred so that `import ocr_notebook` does not load regex and rapidfuzz.
        from ..analysis.search import search_texts

        items = [(r.id, o, t) for r in self._results for o, t in r.texts_by_order().items()]
        return search_texts(items, pattern, regex=regex, case=case, fuzzy=fuzzy)

    def compare(self, references: OCRResultCollection | Mapping[str, Reference]) -> Comparison:
        """CER and WER of every result against its reference, per task and overall.

        Args:
            references: Another collection (tasks paired by task id, or by
                ``submission.source`` when every result has one, as template batches do),
                or a mapping from task id or source to what ``OCRResult.compare`` takes.
                Tasks without a reference, or whose reference does not fit, are left out
                and named in ``notes``.

        Raises:
            ValueError: No task could be compared.
        """
        # Deferred: keeps `import ocr_notebook` free of rapidfuzz, regex and pandas.
        from ..analysis.compare import compare_results

        return compare_results(self._results, references)

    def export_rows(self) -> list[dict[str, Any]]:
        """One row per region of every result (the columns of ``to_csv``)."""
        # Deferred: keeps `import ocr_notebook` free of rapidfuzz, regex and pandas.
        from ..analysis.export import region_rows

        return [row for result in self._results for row in region_rows(result)]

    def to_parquet(self, path: str | os.PathLike[str]) -> str:
        """Write one row per region to a Parquet file; returns the path.

        Columns: task_id, order, name, type, x1, y1, x2, y2 (the region's rectangle, where
        known), text (corrected), ocr_text (the service's), corrected.

        Raises:
            ImportError: pyarrow is missing: pip install 'ocr_notebook[parquet]'.
        """
        # Deferred: keeps `import ocr_notebook` free of rapidfuzz, regex and pandas.
        from ..analysis.export import write_parquet

        return write_parquet(self.export_rows(), path)

    def to_csv(self, path: str | os.PathLike[str]) -> str:
        """Write one row per region to a CSV file (UTF-8, header row); returns the path."""
        # Deferred: keeps `import ocr_notebook` free of rapidfuzz, regex and pandas.
        from ..analysis.export import write_csv

        return write_csv(self.export_rows(), path)

    def to_jsonl(self, path: str | os.PathLike[str]) -> str:
        """Write one JSON object per region, one per line (UTF-8); returns the path."""
        # Deferred: keeps `import ocr_notebook` free of rapidfuzz, regex and pandas.
        from ..analysis.export import write_jsonl

        return write_jsonl(self.export_rows(), path)

    def _wide_dataframe(self) -> pandas.DataFrame:
        # Deferred: pandas is optional and heavy; loaded only when a DataFrame is asked for.
        import pandas as pd

        columns: list[str] = []
        rows: list[dict[str, Any]] = []
        for source, outcome in zip(self._sources, self._outcomes, strict=True):
            tid = outcome.id if isinstance(outcome, OCRResult) else outcome.task_id
            row: dict[str, Any] = {"source": source, "task_id": tid, "error": None}
            if isinstance(outcome, OCRResult):
                for name, text in zip(_region_columns(outcome), outcome.texts, strict=False):
                    if name not in columns:
                        columns.append(name)
                    row[name] = text
            else:
                row["error"] = f"{outcome_status(outcome)}: {outcome.message}"
            rows.append(row)
        frame: pandas.DataFrame = pd.DataFrame(
            rows, columns=["source", *columns, "task_id", "error"]
        )
        return frame

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: each task id mapped to its result's ``to_dict()`` or its error line."""
        out: dict[str, Any] = {}
        for task_id, outcome in zip(self._task_ids, self._outcomes, strict=True):
            if isinstance(outcome, OCRResult):
                out[task_id] = outcome.to_dict()
            else:
                out[task_id] = {"error": type(outcome).__name__, "message": outcome.message}
        return out

    # -- display ----------------------------------------------------------------------

    def _summary(self) -> str:
        counts: Counter[str] = Counter()
        for outcome in self._outcomes:
            if isinstance(outcome, OCRResult):
                counts[outcome.status_raw or outcome.status.value] += 1
            else:
                counts[outcome_status(outcome)] += 1
        return ", ".join(f"{n} {label}" for label, n in counts.most_common())

    def __repr__(self) -> str:
        chars = sum(len(t) for t in self.texts)
        n = len(self._outcomes)
        return (
            f"<OCRResultCollection {n} task{'s' if n != 1 else ''} ({self._summary()}) "
            f"regions={len(self.regions)} chars={chars}>"
        )

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, str]:
        # Deferred (display protocol): the renderer loads when a collection is shown.
        from ..display.results import collection_mimebundle

        return collection_mimebundle(self, include, exclude)


def _region_columns(result: OCRResult) -> list[str]:
    """Column names of a result's texts, in result order: region names or ``region_<order>``."""
    submission = result.submission
    count = len(result.texts)
    if submission is None or len(submission.regions) != count:
        return [f"region_{i}" for i in range(count)]
    orders = submission.orders or tuple(range(count))
    names = submission.names or ("",) * count
    # The service returns regions sorted by order (stable); name them in that order.
    ranked = sorted(range(count), key=lambda i: orders[i])
    return [names[i] or f"region_{orders[i]}" for i in ranked]
