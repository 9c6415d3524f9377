"""Figures and the table they are printed in: median, spread, ratio, target, met or not."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["Row", "Spread", "markdown_table", "spread"]


@dataclass(frozen=True)
class Spread:
    """The median and the range (min-max) of repeated measurements."""

    median: float
    low: float
    high: float
    count: int


def spread(values: Sequence[float]) -> Spread:
    """Median and min-max of ``values`` (at least one)."""
    if not values:
        raise ValueError("no measurements")
    return Spread(statistics.median(values), min(values), max(values), len(values))


@dataclass(frozen=True)
class Row:
    """One line of the results table.

    Attributes:
        figure: The issue's figure number and name (``1. Fetch throughput``).
        case: What was measured (``1,000 tasks x 10 regions``).
        variant: Who was measured (``ours: AsyncOCRClient.fetch_many``).
        value: The median, formatted with its unit.
        spread: The range over the repeats, formatted (``min-max, n=5``).
        ratio: A ratio to a baseline, formatted (``0.9x raw httpx``), if any.
        target: The target this row is judged by, if any.
        met: Whether the target is met (None: no target on this row).
        verdict: What the Met column says when one verdict is not enough (several targets).
        notes: Extra facts for the notes below the table.
    """

    figure: str
    case: str
    variant: str
    value: str
    spread: str = ""
    ratio: str = ""
    target: str = ""
    met: bool | None = None
    verdict: str = ""
    notes: tuple[str, ...] = field(default=())


def fmt_spread(s: Spread, unit: str, digits: int = 2) -> str:
    """``min-max unit, n=N`` (just ``n=1`` for a single measurement)."""
    if s.count == 1:
        return "n=1"
    return f"{s.low:.{digits}f}-{s.high:.{digits}f} {unit}, n={s.count}".replace(" ,", ",")


def _verdict(met: bool | None) -> str:
    if met is None:
        return ""
    return "yes" if met else "**NO**"


def markdown_table(rows: Sequence[Row]) -> str:
    """The rows as a GitHub-flavoured Markdown table (also readable as plain text)."""
    header = ("Figure", "Case", "Variant", "Median", "Spread", "Ratio", "Target", "Met")
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for row in rows:
        cells = (
            row.figure,
            row.case,
            row.variant,
            row.value,
            row.spread,
            row.ratio,
            row.target,
            row.verdict or _verdict(row.met),
        )
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)
