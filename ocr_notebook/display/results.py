"""Pure renderers: an ``OCRResult`` or a status badge to escaped HTML or plain text. No I/O.

Nothing here imports IPython or ipywidgets; the notebook layer and
``OCRResult._repr_mimebundle_`` call these functions.

Results (:func:`render_result_html`, :func:`render_result_text`): a header (task id, a
coloured status chip, response status code, regions, characters), the service's messages
and warnings, then a card per region rendered by type (text, hOCR, PDF, PNG, CSV, invoice
JSON, DetectRegions boxes, WAV, anything else as a download). When the result knows its
:class:`~ocr_notebook.Submission`, the source image is drawn beside the cards with every
region's rectangle numbered like its card; rectangles and cards are linked with CSS only
(``linked.py``: pointing at either highlights both), and the numbers sit outside every
rectangle (``labels.py``).

Guarantees: every string from the wire is escaped (hOCR is sanitized with ``nh3``);
there is no ``<script>``, no event handler attribute and no URL other than ``data:`` URIs
of non-document types; the output reads without JavaScript; CSS is scoped under the
``ocrnb`` class and follows JupyterLab's light/dark theme variables. The output also reads
as a saved output of an untrusted notebook, which JupyterLab sanitizes (no ``<style>``, no
SVG): structure and the overlay are carried by inline styles it keeps (``style.py``).

Display size: ``_repr_mimebundle_`` uses :data:`DEFAULTS`. ``%config
OCRMagics.display_limit = N`` sets ``DEFAULTS.display_limit`` through
:func:`set_display_limit`; plain Python can call it directly.

Badges are rendered by ``badges.py``.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..results.models import OCRResult, RegionResult, TaskStatus
from ..results.outcomes import outcome_status
from .bundles import mime_bundle
from .images import Box, EmbedBudget, overlay_html
from .linked import LINKED_ROOT, card_attributes, linked_rules, scope_class
from .regions import Limits, parse_boxes, render_region
from .style import CARD_LIST, CHIP, CHIP_COLOURS, CSS, HEADER, SIDE, SPLIT
from .text import clip, esc, human_size, inert, plural

if TYPE_CHECKING:
    from ..results.collection import OCRResultCollection

__all__ = [
    "DEFAULTS",
    "RenderDefaults",
    "collection_mimebundle",
    "mimebundle",
    "render_result_html",
    "render_result_text",
    "render_results_html",
    "set_display_limit",
]


@dataclass
class RenderDefaults:
    """The limits ``OCRResult._repr_mimebundle_`` renders with (mutable, process-wide).

    Attributes:
        display_limit: Regions shown before a "N more" footer (``None``: all).
        text_limit: Characters of one region's text shown in HTML (``None``: all).
        plain_text_limit: Characters of one region's text in ``text/plain``.
        embed_limit: Most bytes of binary data embedded as data URIs in one output.
    """

    display_limit: int | None = 50
    text_limit: int | None = 20_000
    plain_text_limit: int | None = 2_000
    embed_limit: int = 5_000_000


DEFAULTS = RenderDefaults()


def set_display_limit(limit: int | None) -> None:
    """Set how many regions rich displays of ``OCRResult`` show (``None``: all).

    ``%config OCRMagics.display_limit = N`` calls this.

    Raises:
        ValueError: ``limit`` is negative.
    """
    DEFAULTS.display_limit = _check_limit(limit, "display_limit")


def _check_limit(limit: int | None, name: str) -> int | None:
    if limit is not None and limit < 0:
        raise ValueError(f"{name} must be a number >= 0 or None (no limit), got {limit!r}.")
    return limit


_STATUS_KIND = {
    TaskStatus.COMPLETED: "ok",
    TaskStatus.ERROR: "error",
    TaskStatus.PENDING: "running",
    TaskStatus.PROCESSING: "running",
}


def _status_note(result: OCRResult) -> str | None:
    tid = result.id or "<task id>"
    if result.status is TaskStatus.NOT_EXIST:
        return (
            "The service does not know this task: results are kept for 24 hours after "
            "submission, so it has expired (or the id is wrong). Submit the image again for "
            "a new task id."
        )
    if result.status in (TaskStatus.PENDING, TaskStatus.PROCESSING):
        return f"Not finished yet; %ocr_fetch {tid} (or client.wait({tid!r})) waits for it."
    if result.status is TaskStatus.ERROR and not result.messages:
        return "The service reported an error without a message."
    return None


def _corrections_note(result: OCRResult) -> str | None:
    if not result.corrections:
        return None
    shown = ", ".join(str(order) for order in list(result.corrections)[:10])
    more = ", ..." if len(result.corrections) > 10 else ""
    return (
        f"{plural(len(result.corrections), 'region')} corrected (order {shown}{more}); "
        "result.ocr_texts has the service's texts."
    )


def _orders(result: OCRResult) -> list[int] | None:
    """The submitted ``order`` of each result, when the submission says (result order)."""
    sub = result.submission
    if sub is None or not sub.regions or len(sub.regions) != len(result.regions):
        return None
    return sorted(sub.orders or range(len(sub.regions)))


def _overlay(
    result: OCRResult, texts: Sequence[str | None], shown: int, limits: Limits
) -> tuple[str, list[int]]:
    """The overlay's HTML and the regions whose rectangle is linked to their card."""
    sub = result.submission
    if sub is None or not sub.image:
        return "", []
    rects = sub.rects_in_result_order()
    if rects and len(rects) == len(result.regions):
        boxes = [Box.from_rect(i, rect, linked=True) for i, rect in enumerate(rects[:shown])]
        caption = "Each rectangle is numbered like its region's card"
        if shown < len(rects):
            caption += f" (first {shown:,} of {len(rects):,} drawn)"
    elif rects:
        drawn = rects[: limits.row_limit]
        boxes = [Box.from_rect(i, rect) for i, rect in enumerate(drawn)]
        caption = (
            f"{plural(len(rects), 'region')} submitted but {len(result.regions):,} results: "
            "numbers are the submission order"
        )
        if len(drawn) < len(rects):
            caption += f" (first {len(drawn):,} drawn)"
    else:
        boxes, caption = _detected_boxes(result, texts, limits.row_limit)
    linked = [b.label for b in boxes if b.linked]
    return overlay_html(sub.image, boxes, embed=limits.embed, caption=caption), linked


def _detected_boxes(
    result: OCRResult, texts: Sequence[str | None], limit: int
) -> tuple[list[Box], str]:
    # A whole-image task: DetectRegions' boxes, if a result holds them, go on the image
    # (as many as its table lists).
    for region, text in zip(result.regions, texts, strict=True):
        if region.type.lower() == "other" and text is not None:
            parsed = parse_boxes(text, limit)
            if parsed is not None and parsed[1]:
                found, total = parsed
                boxes = [
                    Box(i, min(a, c), min(b, d), max(a, c), max(b, d))
                    for i, (a, b, c, d) in enumerate(found)
                ]
                caption = f"Detected boxes of region {region.index}, numbered as in its table"
                if total > len(found):
                    caption += f" (first {len(found):,} of {total:,} drawn)"
                return boxes, caption
    return [], "Source image"


def _card(
    region: RegionResult, text: str | None, order: int | None, limits: Limits, attributes: str
) -> str:
    size = plural(len(text), "character") if text is not None else human_size(len(region.data))
    order_note = f" · order {order}" if order is not None else ""
    if text is not None and text != region.text:
        order_note += " · <i>corrected</i>"
    return (
        f"<li{attributes}><p><b>{region.index}</b> {esc(region.type or '(no type)')}{order_note} · "
        f"{size}</p>{render_region(region, text, limits)}</li>"
    )


def _messages(result: OCRResult) -> str:
    out = []
    if result.messages:
        cls = ' class="er"' if result.status is TaskStatus.ERROR else ""
        items = "".join(f'<li dir="auto">{esc(m)}</li>' for m in result.messages)
        out.append(f"<p>Messages:</p><ul{cls}>{items}</ul>")
    if result.warnings:
        items = "".join(f'<li dir="auto">{esc(w)}</li>' for w in result.warnings)
        out.append(f'<p>Warnings:</p><ul class="wn">{items}</ul>')
    return "".join(out)


def render_result_html(
    result: OCRResult,
    *,
    display_limit: int | None = 50,
    text_limit: int | None = 20_000,
    embed_limit: int = 5_000_000,
    notes: Sequence[str] = (),
) -> str:
    """The rich HTML view of a result: header, messages, a card per region, overlay.

    Args:
        result: The result to show.
        display_limit: Regions shown; a footer counts the rest and says how to see them
            (``None``: all).
        text_limit: Characters of each region's text shown; a footer says how many are
            hidden and where the full text is (``None``: all).
        embed_limit: Most bytes of binary data (source image, PNG, WAV, PDF, ...) embedded
            as data URIs in this output, all regions together; past it, a region gets a note
            on how to save it instead.
        notes: Extra lines for the header (e.g. "answered from the local store"); escaped.

    Returns:
        A self-contained HTML fragment with a scoped ``<style>``; no JavaScript.

    Raises:
        ValueError: A limit is negative.
    """
    return _result_html(
        result,
        display_limit=display_limit,
        text_limit=text_limit,
        embed_limit=embed_limit,
        notes=notes,
        css=CSS,
    )


def _result_html(
    result: OCRResult,
    *,
    display_limit: int | None,
    text_limit: int | None,
    embed_limit: int,
    notes: Sequence[str],
    css: str,
) -> str:
    display_limit = _check_limit(display_limit, "display_limit")
    text_limit = _check_limit(text_limit, "text_limit")
    limits = Limits(text_limit=text_limit, embed=EmbedBudget(embed_limit))
    regions = result.regions
    # Decode each region once: the header counts characters, the cards show them.
    texts = result.region_texts()  # corrected where the user corrected them
    chars = sum(len(t) for t in texts if t is not None)
    status = result.status_raw or result.status.value
    code = result.response_status_code_raw or result.response_status_code.value
    kind = _STATUS_KIND.get(result.status, "unknown")
    # One line of text with separators, so that it still reads as such where the stylesheet
    # is stripped (an untrusted notebook: see style.py).
    parts = [
        f'<div class="oh" style="{HEADER}">',
        f'<span class="st k-{kind}" style="{CHIP.format(CHIP_COLOURS[kind])}">{esc(status)}</span>',
        f" · task <code>{esc(result.id or '(no id)')}</code>",
        f" · {esc(code)}",
        f" · {plural(len(regions), 'region')}",
        f" · {plural(chars, 'character')}",
        f' · <span class="m">{esc(result.api)}</span></div>',
    ]
    for note in (*notes, _status_note(result), _corrections_note(result)):
        if note:
            parts.append(f'<p class="ft" dir="auto">{esc(note)}</p>')
    parts.append(_messages(result))
    shown = len(regions) if display_limit is None else min(display_limit, len(regions))
    # The overlay first: the source image gets the embedding budget before the regions.
    overlay, linked = _overlay(result, texts, shown, limits)
    orders = _orders(result)
    linked_set = set(linked)
    cards = "".join(
        _card(
            r,
            texts[i],
            orders[i] if orders else None,
            limits,
            card_attributes(i) if i in linked_set else "",
        )
        for i, r in enumerate(regions[:shown])
    )
    listing = f'<ol class="rg" style="{CARD_LIST}">{cards}</ol>' if cards else ""
    if overlay:
        parts.append(
            f'<div class="{LINKED_ROOT}" style="{SPLIT}">{overlay}<div class="cs" style="{SIDE}">'
            f"{listing}</div></div>"
        )
    else:
        parts.append(listing)
    if not regions and result.status is TaskStatus.COMPLETED:
        parts.append('<p class="ft">The task completed with no results.</p>')
    hidden = len(regions) - shown
    if hidden:
        parts.append(
            f'<p class="ft">{plural(hidden, "more region")} not shown. Show them all with '
            "<code>%config OCRMagics.display_limit = None</code> (or a larger number), or "
            "read them in Python: <code>for region in result: print(region.text)</code>, "
            f"<code>result.regions[{shown}:]</code>, <code>result.texts</code>.</p>"
        )
    parts.append("</div>")
    body = "".join(parts)
    if not linked:
        return f'<div class="ocrnb">{css}{body}'
    # Scoped to this output alone: see linked.py.
    scope = scope_class(body)
    rules = linked_rules(scope, linked)
    style = css.replace("</style>", rules + "</style>") if css else f"<style>{rules}</style>"
    return f'<div class="ocrnb {scope}">{style}{body}'


def render_result_text(
    result: OCRResult, *, display_limit: int | None = 50, text_limit: int | None = 2_000
) -> str:
    """The ``text/plain`` view: the repr line, messages, then each region's text, truncated.

    Control characters are shown as symbols (nothing can drive a terminal).

    Args:
        result: The result to show.
        display_limit: Regions listed (``None``: all).
        text_limit: Characters of each region's text (``None``: all).

    Raises:
        ValueError: A limit is negative.
    """
    display_limit = _check_limit(display_limit, "display_limit")
    text_limit = _check_limit(text_limit, "text_limit")
    lines = [repr(result)]
    lines += [f"message: {m}" for m in result.messages]
    lines += [f"warning: {w}" for w in result.warnings]
    note = _status_note(result)
    if note:
        lines.append(note)
    regions = result.regions
    shown = len(regions) if display_limit is None else min(display_limit, len(regions))
    texts = result.region_texts()
    note = _corrections_note(result)
    if note:
        lines.append(note)
    for region in regions[:shown]:
        text = texts[region.index]
        rtype = region.type or "(no type)"
        if text is None:
            lines.append(
                f"[{region.index}] {rtype}: {human_size(len(region.data))} "
                f"(save with result.regions[{region.index}].save(folder))"
            )
            continue
        lines.append(f"[{region.index}] {rtype}: {plural(len(text), 'character')}")
        body, cut = clip(text, text_limit)
        lines.extend("    " + line for line in body.split("\n"))
        if cut:
            lines.append(f"    … {cut:,} more characters: result.regions[{region.index}].text")
    if shown < len(regions):
        lines.append(
            f"… {plural(len(regions) - shown, 'more region')} not shown: "
            "iterate `result` or use result.texts."
        )
    return inert("\n".join(lines))


def render_results_html(
    results: Sequence[OCRResult | BaseException],
    *,
    display_limit: int | None = 50,
    text_limit: int | None = 20_000,
) -> str:
    """Several results one after the other (a multi-id fetch); a failed slot shows its error.

    ``display_limit`` applies to each result.
    """
    # One stylesheet for the whole output: every part is scoped under the same class.
    parts = [f'<div class="ocrnb">{CSS}</div>']
    for item in results:
        if isinstance(item, OCRResult):
            parts.append(
                _result_html(
                    item,
                    display_limit=display_limit,
                    text_limit=text_limit,
                    embed_limit=DEFAULTS.embed_limit,
                    notes=(),
                    css="",
                )
            )
        else:
            parts.append(
                f'<div class="ocrnb"><ul class="er"><li dir="auto">'
                f"{esc(type(item).__name__)}: {esc(item)}</li></ul></div>"
            )
    return "".join(parts)


def mimebundle(
    result: OCRResult,
    include: Container[str] | None = None,
    exclude: Container[str] | None = None,
) -> dict[str, str]:
    """``text/plain`` and ``text/html`` for IPython, rendered with :data:`DEFAULTS`.

    Only the formats ``include`` asks for (all when None) and ``exclude`` does not are
    rendered, so a terminal that wants text pays nothing for HTML.
    """
    return mime_bundle(
        {
            "text/plain": lambda: render_result_text(
                result, display_limit=DEFAULTS.display_limit, text_limit=DEFAULTS.plain_text_limit
            ),
            "text/html": lambda: render_result_html(
                result,
                display_limit=DEFAULTS.display_limit,
                text_limit=DEFAULTS.text_limit,
                embed_limit=DEFAULTS.embed_limit,
            ),
        },
        include,
        exclude,
    )


def collection_mimebundle(
    collection: OCRResultCollection,
    include: Container[str] | None = None,
    exclude: Container[str] | None = None,
) -> dict[str, str]:
    """``text/plain`` and ``text/html`` of a collection: its repr, then every task's display."""

    def text() -> str:
        lines = [repr(collection)]
        for task_id, outcome in collection.pairs:
            if isinstance(outcome, OCRResult):
                lines.append(
                    render_result_text(
                        outcome,
                        display_limit=DEFAULTS.display_limit,
                        text_limit=DEFAULTS.plain_text_limit,
                    )
                )
            else:
                lines.append(f"{task_id}: {outcome_status(outcome)}: {outcome.message}")
        return "\n".join(lines)

    def html() -> str:
        head = f"<p><b>{esc(repr(collection))}</b></p>"
        return head + render_results_html(
            [outcome for _task_id, outcome in collection.pairs],
            display_limit=DEFAULTS.display_limit,
            text_limit=DEFAULTS.text_limit,
        )

    return mime_bundle({"text/plain": text, "text/html": html}, include, exclude)
