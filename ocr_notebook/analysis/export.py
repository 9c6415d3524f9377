"""Rows for export: one per region with its task, order, name, rectangle and texts.

Plain data out of results (read through their public attributes; the result classes are
imported for typing only). ``OCRResultCollection.to_parquet/to_csv/to_jsonl`` and
``OCRResult.to_markdown`` write these rows.
"""

from __future__ import annotations

import csv
import importlib
import json
import os
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..results.models import OCRResult

__all__ = [
    "EXPORT_COLUMNS",
    "PARQUET_HINT",
    "markdown_table",
    "region_rows",
    "write_csv",
    "write_jsonl",
    "write_parquet",
]

#: The columns of every export, in order. The rectangle is in source-image pixels (None
#: where the result does not know what was submitted).
EXPORT_COLUMNS = (
    "task_id",
    "order",
    "name",
    "type",
    "x1",
    "y1",
    "x2",
    "y2",
    "text",
    "ocr_text",
    "corrected",
)
PARQUET_HINT = "Writing Parquet needs pyarrow: pip install 'ocr_notebook[parquet]'"


def region_rows(result: OCRResult) -> list[dict[str, Any]]:
    """One row per region of ``result`` (binary regions have ``None`` texts)."""
    count = len(result.regions)
    submission = result.submission
    orders = list(range(count))
    rects: list[tuple[int, int, int, int] | None] = [None] * count
    names: list[str | None] = [None] * count
    if submission is not None and len(submission.regions) == count and count:
        given = submission.orders or tuple(range(count))
        # The service answers in `order`; a stable sort pairs each answer with its region.
        indexed = sorted(range(count), key=lambda i: given[i])
        orders = [given[i] for i in indexed]
        rects = [submission.regions[i].as_tuple() for i in indexed]
        if len(submission.names) == count:
            names = [submission.names[i] or None for i in indexed]
    texts = result.region_texts()
    rows = []
    for i, region in enumerate(result.regions):
        rect = rects[i]
        rows.append(
            {
                "task_id": result.id,
                "order": orders[i],
                "name": names[i],
                "type": region.type,
                "x1": rect[0] if rect else None,
                "y1": rect[1] if rect else None,
                "x2": rect[2] if rect else None,
                "y2": rect[3] if rect else None,
                "text": texts[i],
                "ocr_text": region.text,
                "corrected": orders[i] in result.corrections,
            }
        )
    return rows


def write_jsonl(rows: Iterable[dict[str, Any]], path: str | os.PathLike[str]) -> str:
    """One JSON object per line (UTF-8, non-ASCII kept as is); returns the path."""
    target = os.fspath(path)
    with open(target, "w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return target


def write_csv(rows: Iterable[dict[str, Any]], path: str | os.PathLike[str]) -> str:
    """A CSV file with a header row (UTF-8, RFC 4180 quoting); returns the path."""
    target = os.fspath(path)
    with open(target, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(EXPORT_COLUMNS))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return target


def write_parquet(rows: Sequence[dict[str, Any]], path: str | os.PathLike[str]) -> str:
    """A Parquet file (pandas with pyarrow); returns the path.

    Raises:
        ImportError: pandas or pyarrow is missing (one line: what to install).
    """
    try:
        # pandas names its engine in a longer message; ours says which extra to install.
        importlib.import_module("pyarrow")
        import pandas as pd
    except ImportError:
        raise ImportError(PARQUET_HINT) from None

    frame = pd.DataFrame(list(rows), columns=list(EXPORT_COLUMNS))
    for column in ("order", "x1", "y1", "x2", "y2"):
        frame[column] = frame[column].astype("Int64")  # a missing rectangle stays missing
    frame["corrected"] = frame["corrected"].astype(bool)
    target = os.fspath(path)
    frame.to_parquet(target, engine="pyarrow", index=False)
    return target


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~&])")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # Backslash escapes for ASCII punctuation are CommonMark, so nothing in a text can
    # end its cell (|), start markup or become HTML; a line break stays inside the row.
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    """A Markdown table of ``rows``: order, name (when any region has one), text, corrected."""
    named = any(row["name"] for row in rows)
    columns = ["order", *(["name"] if named else []), "text", "corrected"]
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---:" if c == "order" else "---" for c in columns) + "|",
    ]
    for row in rows:
        cells = [
            str(row["order"]),
            *([_cell(row["name"])] if named else []),
            _cell(row["text"]),
            "yes" if row["corrected"] else "",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
