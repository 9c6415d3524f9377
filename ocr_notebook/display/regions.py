"""One region's content as escaped HTML, chosen by its ``type``. No I/O.

Each renderer returns the body of a region card (the card's title line is built by
``results.py``). Wire text is escaped with :func:`esc`; hOCR, the only markup format,
goes through ``nh3`` with an allow-list of hOCR's structural tags and classes.
Binary data is embedded as ``data:`` URIs whose MIME type comes from our own table.
"""

from __future__ import annotations

import ast
import contextlib
import csv
import io
import itertools
import json
import math
import struct
import wave
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..results.models import RegionResult
from .images import EmbedBudget, data_uri, sniff_image
from .style import REGION_IMAGE
from .text import clip, esc, human_size, plural


@dataclass(frozen=True)
class Limits:
    """How much of one output to show.

    Attributes:
        text_limit: Characters of text shown per region (``None``: all).
        embed: What is left of the output's budget for embedded binary data.
        row_limit: Rows shown of a CSV table, key/value table or box list.
    """

    text_limit: int | None
    embed: EmbedBudget
    row_limit: int = 200


# Structured text (invoice JSON, box lists) is parsed only below this size: beyond it,
# parsing would cost more than the preview is worth and the text view is shown instead.
_PARSE_LIMIT = 1_000_000
_CELL_LIMIT = 500
_COLUMN_LIMIT = 50

_HOCR_TAGS = frozenset(
    {"div", "span", "p", "br", "em", "strong", "b", "i", "u", "sub", "sup", "small"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "code"}
    | {"table", "thead", "tbody", "tr", "td", "th", "caption"}
)
# hOCR 1.2's element classes; anything else (a notebook's own classes included) is dropped.
_HOCR_CLASSES = frozenset(
    {"ocr_page", "ocr_carea", "ocr_par", "ocr_line", "ocrx_word", "ocr_caption"}
    | {"ocr_header", "ocr_footer", "ocr_textfloat", "ocr_separator", "ocr_photo"}
    | {"ocr_image", "ocr_linedrawing", "ocr_float", "ocr_table", "ocr_chem", "ocr_math"}
    | {"ocr_dropcap", "ocr_glyph", "ocr_cinfo", "ocrx_cinfo", "ocrx_block", "ocrx_line"}
    | {"ocr_document", "ocr_title", "ocr_author", "ocr_abstract", "ocr_part"}
    | {"ocr_chapter", "ocr_section", "ocr_subsection", "ocr_subsubsection", "ocr_blockquote"}
    | {"ocr_textimage", "ocr_noise", "ocr_nontext", "ocr_display", "ocr_glyphs", "ocr_dinfo"}
)


def sanitize_hocr(markup: str) -> str:
    """Reduce hOCR to inert structural HTML (no scripts, styles, handlers, links or images).

    Keeps ``title`` (hOCR's bbox/confidence properties, shown as tooltips), ``lang``,
    ``dir``, hOCR's own classes, and ``id`` prefixed with ``ocrnb-`` so it cannot clash
    with (or clobber) ids of the notebook page.
    """
    import nh3  # deferred: only results holding hOCR pay for its import

    return nh3.clean(
        markup,
        tags=set(_HOCR_TAGS),
        clean_content_tags={"script", "style", "head", "title", "template", "noscript"},
        attributes={"*": {"title", "id", "lang", "dir"}},
        allowed_classes={tag: set(_HOCR_CLASSES) for tag in _HOCR_TAGS},
        id_prefix="ocrnb-",
        url_schemes=set(),
        strip_comments=True,
        link_rel=None,
    )


def render_region(region: RegionResult, text: str | None, limits: Limits) -> str:
    """The body of ``region``'s card. ``text`` is ``region.text``, decoded once by the caller."""
    if not region.data:
        return '<p class="ft">(empty)</p>'
    kind = region.type.lower()
    if text is not None:
        renderer = _TEXT_RENDERERS.get(kind, _render_text)
        return renderer(region, text, limits)
    if kind == "imagepng":
        return _render_png(region, limits)
    if kind == "wavfile":
        return _render_wav(region, limits)
    return _download(region, limits)


# -- text-like types -------------------------------------------------------------------------


def _pre(region: RegionResult, text: str, limit: int | None) -> str:
    shown, hidden = clip(text, limit)
    out = f'<pre dir="auto">{esc(shown)}</pre>'
    if hidden:
        out += _clip_footer(region, len(text), len(shown))
    return out


def _clip_footer(region: RegionResult, total: int, shown: int) -> str:
    return (
        f'<p class="ft">Showing {shown:,} of {total:,} characters; the full text is '
        f"<code>result.regions[{region.index}].text</code> (all regions: "
        f"<code>result.text</code>).</p>"
    )


def _render_text(region: RegionResult, text: str, limits: Limits) -> str:
    # RecognizeAndParseInvoice answers type Text holding a JSON object; IdentifyFont a
    # Python-literal dict. Both read best as a key/value table.
    mapping = _parse_mapping(text)
    if mapping is not None:
        return _kv_table(mapping, limits)
    return _pre(region, text, limits.text_limit)


def _parse_mapping(text: str) -> Mapping[str, Any] | None:
    stripped = text.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")) or len(stripped) > _PARSE_LIMIT:
        return None
    value: object
    try:
        value = json.loads(stripped)
    except (ValueError, RecursionError):
        if len(stripped) > 10_000:
            return None
        try:
            # literal_eval evaluates literals only (no names, calls or attributes).
            value = ast.literal_eval(stripped)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return None
    if not isinstance(value, dict):
        return None
    return {str(k): v for k, v in value.items()}


def _scalar(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (ValueError, RecursionError):
        return repr(value)


def _kv_table(mapping: Mapping[str, Any], limits: Limits) -> str:
    if not mapping:
        return '<p class="ft">(empty object)</p>'
    rows = [
        f'<tr><th dir="auto">{esc(clip(k, _CELL_LIMIT)[0])}</th>'
        f'<td dir="auto">{esc(clip(_scalar(v), _CELL_LIMIT * 4)[0])}</td></tr>'
        for k, v in list(mapping.items())[: limits.row_limit]
    ]
    out = f'<table class="kv">{"".join(rows)}</table>'
    if len(mapping) > limits.row_limit:
        out += f'<p class="ft">{plural(len(mapping) - limits.row_limit, "more key")} not shown.</p>'
    return out


def _render_hocr(region: RegionResult, text: str, limits: Limits) -> str:
    # hOCR is verbose markup: allow ten times the text budget before cutting it.
    markup_limit = None if limits.text_limit is None else limits.text_limit * 10
    shown, hidden = clip(text, markup_limit)
    out = f'<div class="hocr" dir="auto">{sanitize_hocr(shown)}</div>'
    if hidden:
        out += (
            f'<p class="ft">Previewing {len(shown):,} of {len(text):,} characters of hOCR; '
            f"the full markup is <code>result.regions[{region.index}].text</code>.</p>"
        )
    source, _ = clip(text, limits.text_limit)
    out += f"<details><summary>hOCR source</summary><pre>{esc(source)}</pre></details>"
    return out


def _render_csv(region: RegionResult, text: str, limits: Limits) -> str:
    lines = io.StringIO(text)
    rows: list[list[str]] = []
    try:
        # Stop reading after the rows shown: counting the rest by lines keeps a 5 MB table
        # as fast as a small one.
        for row in csv.reader(lines):
            rows.append(row)
            if len(rows) > limits.row_limit:
                break
    except csv.Error:
        # Not CSV after all (or a field beyond csv's size limit): show the text.
        return _pre(region, text, limits.text_limit)
    if not rows:
        return _pre(region, text, limits.text_limit)
    head, body = rows[0], rows[1:]

    def cells(tag: str, row: list[str]) -> str:
        return "".join(
            f'<{tag} dir="auto">{esc(clip(c, _CELL_LIMIT)[0])}</{tag}>' for c in row[:_COLUMN_LIMIT]
        )

    out = (
        f'<table class="tb"><thead><tr>{cells("th", head)}</tr></thead><tbody>'
        + "".join(f"<tr>{cells('td', r)}</tr>" for r in body)
        + "</tbody></table>"
    )
    rest = text[lines.tell() :]
    hidden = rest.count("\n") + (1 if rest and not rest.endswith("\n") else 0)
    if hidden > 0:
        out += (
            f'<p class="ft">{plural(hidden, "more line")} of CSV not shown; the full CSV is '
            f"<code>result.regions[{region.index}].text</code>.</p>"
        )
    return out


def parse_boxes(text: str, limit: int) -> tuple[list[tuple[int, int, int, int]], int] | None:
    """DetectRegions' ``[[x1, y1, x2, y2], ...]``: the first ``limit`` boxes and the count.

    None when the text is not such a list.
    """
    if len(text) > _PARSE_LIMIT:
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if type(value) is not list or not all(type(i) is list and len(i) == 4 for i in value):
        return None
    # Exact types (bool is an int subclass), checked with C-level loops: tens of thousands
    # of boxes must not cost much more than the JSON parse itself.
    flat = list(itertools.chain.from_iterable(value))
    kinds = set(map(type, flat))
    if not kinds <= {int, float}:
        return None
    if float in kinds and not all(map(math.isfinite, flat)):
        return None
    return [(int(a), int(b), int(c), int(d)) for a, b, c, d in value[:limit]], len(value)


def _render_other(region: RegionResult, text: str, limits: Limits) -> str:
    parsed = parse_boxes(text, limits.row_limit)
    if parsed is None:
        return _render_json(region, text, limits)
    boxes, total = parsed
    if not total:
        return '<p class="ft">No regions detected.</p>'
    rows = "".join(
        f"<tr><td>{i}</td><td>{x1}</td><td>{y1}</td><td>{x2}</td><td>{y2}</td>"
        f"<td>{x2 - x1}\u00d7{y2 - y1}</td></tr>"
        for i, (x1, y1, x2, y2) in enumerate(boxes)
    )
    count = plural(total, "box", "boxes")
    out = (
        f"<p>{count} detected (pixels, top-left and bottom-right corners)"
        '</p><table class="tb"><thead><tr><th>#</th><th>x1</th><th>y1</th><th>x2</th>'
        f"<th>y2</th><th>size</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    if total > len(boxes):
        more = plural(total - len(boxes), "more box", "more boxes")
        out += (
            f'<p class="ft">{more} not shown; '
            f"all of them: <code>result.regions[{region.index}].text</code>.</p>"
        )
    return out


def _render_json(region: RegionResult, text: str, limits: Limits) -> str:
    if len(text) <= _PARSE_LIMIT:
        # Not JSON after all: show it as it came.
        with contextlib.suppress(ValueError, RecursionError):
            text = json.dumps(json.loads(text), indent=1, ensure_ascii=False)
    return _pre(region, text, limits.text_limit)


_TEXT_RENDERERS: dict[str, Callable[[RegionResult, str, Limits], str]] = {
    "text": _render_text,
    "hocr": _render_hocr,
    "csv": _render_csv,
    "other": _render_other,
    "json": _render_json,
}


# -- binary types ----------------------------------------------------------------------------


def _too_large(region: RegionResult) -> str:
    return (
        f'<p class="ft">{human_size(len(region.data))}, more than this view embeds; save it with '
        f"<code>result.regions[{region.index}].save(folder)</code>.</p>"
    )


def _render_png(region: RegionResult, limits: Limits) -> str:
    if not limits.embed.take(len(region.data)):
        return _too_large(region)
    info = sniff_image(region.data)
    size = f"{info.width}\u00d7{info.height} px, " if info is not None and info.width else ""
    return (
        f'<img src="{data_uri("image/png", region.data)}" alt="region {region.index} image" '
        f'style="{REGION_IMAGE}">'
        f'<p class="ft">{size}{human_size(len(region.data))}</p>'
    )


def _wav_duration(data: bytes) -> float | None:
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            rate = wav.getframerate()
            return wav.getnframes() / rate if rate else None
    except (wave.Error, EOFError, ValueError, struct.error):
        # struct.error escapes `wave` on truncated headers.
        return None


def _render_wav(region: RegionResult, limits: Limits) -> str:
    if not limits.embed.take(len(region.data)):
        return _too_large(region)
    duration = _wav_duration(region.data)
    length = f"{duration:.1f} s, " if duration is not None else ""
    return (
        f'<audio controls src="{data_uri("audio/wav", region.data)}"></audio>'
        f'<p class="ft">{length}{human_size(len(region.data))}</p>'
    )


_LINK_LABELS = {"pdf": "PDF", "excel": "Excel workbook"}
_DOWNLOAD_MIMES = frozenset(
    {"application/pdf", "application/json", "text/plain", "text/csv"}
    | {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
)


def _download(region: RegionResult, limits: Limits) -> str:
    if not limits.embed.take(len(region.data)):
        return _too_large(region)
    kind = region.type.lower()
    label = _LINK_LABELS.get(kind, "data")
    # Our own MIME table decides the type, and only types a browser will not run as a
    # document (no HTML, no SVG) are kept; anything else is a plain byte stream.
    mime = region.mime_type if region.mime_type in _DOWNLOAD_MIMES else "application/octet-stream"
    name = f"region-{region.index:04d}{region.extension}"
    note = ""
    if kind == "pdf" and not region.data.startswith(b"%PDF-"):
        note = " (does not start like a PDF)"
    # JupyterLab drops data: links from an untrusted notebook's outputs; the `ut` hint shows
    # only there (the stylesheet, stripped with the link, hides it).
    return (
        f'<p><a download="{esc(name)}" href="{data_uri(mime, region.data)}">Download {label}</a>'
        f" {esc(name)}, {human_size(len(region.data))}{note}"
        '<span class="ut"> (not a link in an untrusted notebook: re-run the cell, or save it '
        f"with <code>result.regions[{region.index}].save(folder)</code>)</span></p>"
    )
