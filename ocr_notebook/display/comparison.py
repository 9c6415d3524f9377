"""Pure renderers of a comparison with a reference: figures, then character diffs. No I/O.

Each region shown gets its character diff from ``rapidfuzz.distance.Levenshtein.opcodes``:
reference characters the recognition dropped or replaced are in ``<del>``, characters it
added or put instead are in ``<ins>``, everything escaped. Regions are listed worst first,
at most :data:`REGION_LIMIT` of them and :data:`DIFF_CHARS` characters of each, so a
1,000-region comparison stays small (well under 300 KB); a footer says where the rest is.
"""

from __future__ import annotations

from collections.abc import Container
from typing import TYPE_CHECKING

from rapidfuzz.distance import Levenshtein

from .bundles import mime_bundle
from .style import CSS
from .text import esc, inert, plural

if TYPE_CHECKING:
    from ..analysis.compare import Comparison, RegionComparison

__all__ = [
    "DIFF_CHARS",
    "REGION_LIMIT",
    "comparison_mimebundle",
    "diff_html",
    "render_comparison_html",
    "render_comparison_text",
]

#: Regions whose diff a rich display shows (worst first).
REGION_LIMIT = 100
#: Characters of reference and of recognized text a region's diff shows at most.
DIFF_CHARS = 2_000
#: Characters of region rows one display holds at most: regions stop there (the footer says
#: so), so even 100 long and wholly different regions stay under 300 KB.
HTML_BUDGET = 200_000

DEL = "background-color:#f8c9c4;color:#222"
INS = "background-color:#c8eac4;color:#222"
_CELL = "padding:.1em .5em"


def diff_html(reference: str, hypothesis: str, *, limit: int | None = DIFF_CHARS) -> str:
    """The character diff of ``hypothesis`` against ``reference`` as escaped HTML.

    Args:
        reference: The reference text.
        hypothesis: The recognized text.
        limit: Characters of each text taken into the diff (``None``: all); a longer
            region ends with an ellipsis.
    """
    cut = limit is not None and (len(reference) > limit or len(hypothesis) > limit)
    if limit is not None:
        reference, hypothesis = reference[:limit], hypothesis[:limit]
    parts = []
    for op in Levenshtein.opcodes(reference, hypothesis):
        i1, i2, j1, j2 = op.src_start, op.src_end, op.dest_start, op.dest_end
        if op.tag == "equal":
            parts.append(_shown(reference[i1:i2]))
            continue
        if i2 > i1:
            parts.append(f'<del style="{DEL}">{_shown(reference[i1:i2])}</del>')
        if j2 > j1:
            parts.append(f'<ins style="{INS}">{_shown(hypothesis[j1:j2])}</ins>')
    if cut:
        parts.append("\u2026")
    return "".join(parts)


def _shown(text: str) -> str:
    # Escaped, with line breaks as a visible mark: a dropped or added line break is an edit.
    return esc(text.replace("\r\n", "\n")).replace("\n", "\u23ce")


def _percent(rate: float) -> str:
    return "\u221e" if rate == float("inf") else f"{rate * 100:.1f} %"


def _row(region: RegionComparison, several: bool) -> str:
    task = f'<td style="{_CELL}"><code>{esc(region.task_id or "")}</code></td>' if several else ""
    return (
        f'<tr>{task}<td style="{_CELL}">{region.order}</td>'
        f'<td style="{_CELL}">{region.distance}</td>'
        f'<td style="{_CELL}">{_percent(region.cer)}</td>'
        f'<td style="{_CELL}">{_percent(region.wer)}</td>'
        f'<td style="{_CELL}" dir="auto">'
        f"{diff_html(region.reference, region.hypothesis)}</td></tr>"
    )


def render_comparison_html(comparison: Comparison, *, limit: int | None = REGION_LIMIT) -> str:
    """The figures, per-task figures when several tasks, then each region's diff, worst first.

    Args:
        comparison: The comparison.
        limit: Regions whose diff is shown (``None``: all); a footer counts the rest.
    """
    worst = comparison.worst()
    shown = worst if limit is None else worst[:limit]
    several = len(comparison.task_ids) > 1
    parts = [f'<div class="ocrnb">{CSS}<p><b>{esc(comparison.summary)}</b></p>']
    for note in comparison.notes:
        parts.append(f'<p class="ft">{esc(note)}</p>')
    if several:
        tasks = "".join(
            f"<li><code>{esc(task or '(no id)')}</code>: {esc(part.summary)}</li>"
            for task, part in list(comparison.by_task().items())[:REGION_LIMIT]
        )
        parts.append(f"<ul>{tasks}</ul>")
    rows: list[str] = []
    used = 0
    for region in shown:
        row = _row(region, several)
        if rows and used + len(row) > HTML_BUDGET:
            break
        rows.append(row)
        used += len(row)
    shown = shown[: len(rows)]
    if shown:
        head = "".join(
            f'<th style="{_CELL}">{name}</th>'
            for name in (*(("task",) if several else ()), "order", "edits", "CER", "WER", "diff")
        )
        parts.append(
            '<p class="m">Worst regions first; <del style="'
            f'{DEL}">deleted</del> reference characters, <ins style="{INS}">inserted</ins> '
            "recognized ones.</p>"
            f"<table><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
    hidden = len(worst) - len(shown)
    if hidden:
        parts.append(
            f'<p class="ft">{plural(hidden, "more region")} not shown (the best ones): '
            "<code>comparison.to_dataframe()</code> has every region.</p>"
        )
    parts.append("</div>")
    return "".join(parts)


def render_comparison_text(comparison: Comparison, *, limit: int | None = 20) -> str:
    """Plain text: the figures, notes, and the worst regions' figures."""
    lines = [comparison.summary, *comparison.notes]
    worst = comparison.worst()
    shown = worst if limit is None else worst[:limit]
    for region in shown:
        task = f"{region.task_id} " if len(comparison.task_ids) > 1 else ""
        lines.append(
            f"  {task}order {region.order}: {region.distance} edits, CER "
            f"{_percent(region.cer)}, WER {_percent(region.wer)}"
        )
    if len(shown) < len(worst):
        lines.append(f"  \u2026 {plural(len(worst) - len(shown), 'more region')}")
    return inert("\n".join(lines))


def comparison_mimebundle(
    comparison: Comparison,
    include: Container[str] | None = None,
    exclude: Container[str] | None = None,
) -> dict[str, str]:
    """``text/plain`` and ``text/html`` for IPython (only the formats asked for)."""
    return mime_bundle(
        {
            "text/plain": lambda: render_comparison_text(comparison),
            "text/html": lambda: render_comparison_html(comparison),
        },
        include,
        exclude,
    )
