"""Pure renderers of search hits: each hit in its context, the match marked. No I/O.

Everything in a hit came off the wire (or from a user's correction), so it is escaped; the
match is wrapped in ``<mark>`` (kept by JupyterLab's sanitizer in an untrusted notebook, and
given an inline background so it shows without the stylesheet).
"""

from __future__ import annotations

from collections.abc import Container
from typing import TYPE_CHECKING

from .bundles import mime_bundle
from .style import CSS
from .text import clip, esc, inert, plural

if TYPE_CHECKING:
    from ..analysis.search import SearchHit, SearchHits

__all__ = ["HIT_LIMIT", "render_search_html", "render_search_text", "search_mimebundle"]

#: Hits listed by a rich display before a "N more" footer.
HIT_LIMIT = 200
#: Characters of one match shown (its middle is cut beyond that; ``hit.match`` has it all).
MATCH_CHARS = 300
MARK = "background-color:#ffe08a;color:#222;padding:0 1px;border-radius:2px"
_TABLE = "margin:.2em 0"
_CELL = "padding:.1em .5em"


def _pieces(hit: SearchHit) -> tuple[str, str, str, bool, bool]:
    offset = hit.start - hit.context_start
    before = hit.context[:offset]
    match = hit.context[offset : offset + (hit.end - hit.start)]
    after = hit.context[offset + (hit.end - hit.start) :]
    if len(match) > MATCH_CHARS:  # a regex like .* can match a whole page
        match = match[: MATCH_CHARS // 2] + " \u2026 " + match[-MATCH_CHARS // 2 :]
    cut_before = hit.context_start > 0
    cut_after = hit.context_start + len(hit.context) < hit.region_chars
    return before, match, after, cut_before, cut_after


def _flat(text: str) -> str:
    # A hit's context is shown on one line: line breaks become a visible mark.
    return text.replace("\r\n", "\n").replace("\n", " \u23ce ")


def _context_html(hit: SearchHit) -> str:
    before, match, after, cut_before, cut_after = _pieces(hit)
    return (
        ("\u2026" if cut_before else "")
        + esc(_flat(before))
        + f'<mark style="{MARK}">{esc(_flat(match))}</mark>'
        + esc(_flat(after))
        + ("\u2026" if cut_after else "")
    )


def _title(hits: SearchHits) -> str:
    return (
        f"{plural(len(hits), 'hit')} for \u201c{hits.pattern}\u201d ({hits.description}) "
        f"in {plural(hits.regions, 'region')}"
    )


def render_search_html(hits: SearchHits, *, limit: int | None = HIT_LIMIT) -> str:
    """Every hit (up to ``limit``) as a table row: task, region order, the marked context.

    Args:
        hits: The search's hits.
        limit: Rows shown; a footer counts the rest (``None``: all).
    """
    shown = len(hits) if limit is None else min(limit, len(hits))
    many_tasks = len({h.task_id for h in hits}) > 1
    fuzzy = hits.mode == "fuzzy"
    head = "".join(
        f'<th style="{_CELL}">{name}</th>'
        for name in (
            *(("task",) if many_tasks else ()),
            "order",
            "at",
            *(("score",) if fuzzy else ()),
            "context",
        )
    )
    rows = []
    for hit in hits[:shown]:
        cells = []
        if many_tasks:
            cells.append(f"<code>{esc(hit.task_id or '(no id)')}</code>")
        cells.append(str(hit.order))
        cells.append(f"{hit.start}\u2013{hit.end}")
        if fuzzy:
            cells.append(f"{hit.score or 0:.0f}")
        cells.append(f'<span dir="auto">{_context_html(hit)}</span>')
        rows.append("<tr>" + "".join(f'<td style="{_CELL}">{c}</td>' for c in cells) + "</tr>")
    parts = [f'<div class="ocrnb">{CSS}<p><b>{esc(_title(hits))}</b></p>']
    if rows:
        parts.append(
            f'<table style="{_TABLE}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
    hidden = len(hits) - shown
    if hidden:
        parts.append(
            f'<p class="ft">{plural(hidden, "more hit")} not shown: '
            "<code>hits.to_dataframe()</code> has them all.</p>"
        )
    parts.append("</div>")
    return "".join(parts)


def render_search_text(hits: SearchHits, *, limit: int | None = HIT_LIMIT, width: int = 120) -> str:
    """Plain text: a title line, then a line per hit with the match in ``[[ ]]``."""
    shown = len(hits) if limit is None else min(limit, len(hits))
    lines = [_title(hits)]
    for hit in hits[:shown]:
        before, match, after, cut_before, cut_after = _pieces(hit)
        context = (
            ("\u2026" if cut_before else "")
            + _flat(before)
            + "[["
            + _flat(match)
            + "]]"
            + _flat(after)
            + ("\u2026" if cut_after else "")
        )
        context, _ = clip(context, width)
        task = f"{hit.task_id} " if hit.task_id else ""
        lines.append(f"  {task}order {hit.order} @{hit.start}: {context}")
    if shown < len(hits):
        lines.append(f"  \u2026 {plural(len(hits) - shown, 'more hit')}: hits.to_dataframe()")
    return inert("\n".join(lines))


def search_mimebundle(
    hits: SearchHits,
    include: Container[str] | None = None,
    exclude: Container[str] | None = None,
) -> dict[str, str]:
    """``text/plain`` and ``text/html`` for IPython (only the formats asked for)."""
    return mime_bundle(
        {
            "text/plain": lambda: render_search_text(hits),
            "text/html": lambda: render_search_html(hits),
        },
        include,
        exclude,
    )
