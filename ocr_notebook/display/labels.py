"""Where the overlay's region numbers go: outside every rectangle, never over the text. No I/O.

A label is a small pill of fixed screen size (12px bold digits) while the image is drawn at
whatever width the page gives it, so a label covers more of the image the narrower the image
is shown. Placement is planned at the narrowest width the layout gives the image
(:data:`MIN_SHOWN_WIDTH`) and every label is anchored to an edge of its own rectangle and
grows away from it: shown wider, a label covers a part of the area it was planned in, so a
plan with no overlap stays without overlap at every larger width.

Each label tries, in order: just above its rectangle, just left of it, just right of it (each
only inside the image and clear of every rectangle and of the labels already placed); else it
goes into a margin left of the image, level with its rectangle's top, where it cannot cover
any rectangle. Margin labels that would overlap each other are spread over up to
:data:`MARGIN_COLUMNS` columns; past that they may overlap each other (never a rectangle).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "LABEL_DIGIT",
    "LABEL_HEIGHT",
    "LABEL_PAD",
    "MARGIN_COLUMNS",
    "MARGIN_GAP",
    "MIN_SHOWN_WIDTH",
    "LabelPlan",
    "LabelSpot",
    "label_size",
    "place_labels",
]

#: A label's height in screen pixels (``font: bold 12px/16px``, no vertical padding).
LABEL_HEIGHT = 16
#: Width per digit and horizontal padding in screen pixels: generous for 12px bold digits
#: (DejaVu Sans Bold, the widest common sans-serif, draws them 8.4px wide).
LABEL_DIGIT = 9
LABEL_PAD = 8
#: The narrowest the overlay's image is expected to be shown: its figure's flex basis
#: (320px, ``style.FIGURE``) less room for a margin of labels.
MIN_SHOWN_WIDTH = 280
#: Most columns of labels in the margin left of the image.
MARGIN_COLUMNS = 3
#: Space between the image's left edge and the margin's labels, in screen pixels.
MARGIN_GAP = 3

Side = Literal["above", "left", "right", "margin"]
_Rect = tuple[float, float, float, float]  # x1, y1, x2, y2


@dataclass(frozen=True)
class LabelSpot:
    """Where one label goes.

    Attributes:
        side: ``above``, ``left`` or ``right`` of its rectangle (inside the image), or in
            the ``margin`` left of the image.
        offset: For the margin, screen pixels between the image's left edge and the
            label's right edge; 0 otherwise.
    """

    side: Side
    offset: int = 0


@dataclass(frozen=True)
class LabelPlan:
    """Every label's spot, in the order of the boxes, and the margin they need.

    Attributes:
        spots: One spot per box.
        margin: Screen pixels to keep free left of the image (0 when no label goes there).
    """

    spots: tuple[LabelSpot, ...]
    margin: int


def label_size(label: int) -> tuple[int, int]:
    """A label's width and height in screen pixels, as planned (an upper bound)."""
    return LABEL_DIGIT * len(str(label)) + LABEL_PAD, LABEL_HEIGHT


class _Grid:
    """Rectangles bucketed on a uniform grid, to ask quickly whether a new one overlaps any."""

    def __init__(self, cell: float) -> None:
        self.cell = max(cell, 1.0)
        self.cells: defaultdict[tuple[int, int], list[_Rect]] = defaultdict(list)

    def _keys(self, rect: _Rect) -> Iterator[tuple[int, int]]:
        x1, y1, x2, y2 = rect
        for cx in range(int(x1 // self.cell), int(x2 // self.cell) + 1):
            for cy in range(int(y1 // self.cell), int(y2 // self.cell) + 1):
                yield cx, cy

    def add(self, rect: _Rect) -> None:
        for key in self._keys(rect):
            self.cells[key].append(rect)

    def overlaps(self, rect: _Rect) -> bool:
        x1, y1, x2, y2 = rect
        for key in self._keys(rect):
            for a1, b1, a2, b2 in self.cells.get(key, ()):
                # Open interiors: touching edges is not overlapping.
                if x1 < a2 and a1 < x2 and y1 < b2 and b1 < y2:
                    return True
        return False


def _fits(tops: list[float], top: float) -> bool:
    """Whether a label at ``top`` overlaps none of the labels at ``tops`` (sorted, same height)."""
    i = bisect.bisect_left(tops, top)
    before = i == 0 or tops[i - 1] + LABEL_HEIGHT <= top
    after = i == len(tops) or top + LABEL_HEIGHT <= tops[i]
    return before and after


def place_labels(
    boxes: Sequence[tuple[int, int, int, int, int]], width: int, height: int
) -> LabelPlan:
    """Plan where each box's label goes on an image ``width`` x ``height`` pixels.

    Args:
        boxes: ``(label, x1, y1, x2, y2)`` per box, in image pixels, corners normalised
            (x1 <= x2, y1 <= y2).
        width: The image's width in pixels.
        height: The image's height in pixels.

    Returns:
        One spot per box, in order, and the margin left of the image they need.
    """
    # Image pixels per screen pixel at the narrowest expected display (never enlarged: the
    # frame is at most the image's own width).
    per_px = max(1.0, width / MIN_SHOWN_WIDTH)
    taken = _Grid(LABEL_HEIGHT * per_px * 2)
    for _label, x1, y1, x2, y2 in boxes:
        taken.add((x1, y1, x2, y2))

    spots: list[LabelSpot] = []
    margin: list[tuple[int, int, float]] = []  # (box position, label width px, top)
    for position, (label, x1, y1, x2, _y2) in enumerate(boxes):
        w_px, h_px = label_size(label)
        lw, lh = w_px * per_px, h_px * per_px
        candidates: tuple[tuple[Side, _Rect], ...] = (
            ("above", (x1, y1 - lh, x1 + lw, y1)),
            ("left", (x1 - lw, y1, x1, y1 + lh)),
            ("right", (x2, y1, x2 + lw, y1 + lh)),
        )
        for side, rect in candidates:
            inside = rect[0] >= 0 and rect[1] >= 0 and rect[2] <= width and rect[3] <= height
            if inside and not taken.overlaps(rect):
                taken.add(rect)
                spots.append(LabelSpot(side))
                break
        else:
            spots.append(LabelSpot("margin"))
            margin.append((position, w_px, y1 / per_px))
    if not margin:
        return LabelPlan(tuple(spots), 0)

    # Columns of the margin, nearest the image first; a label takes the first column where
    # it overlaps no other label vertically (in screen pixels at the narrowest display).
    column_width = max(w for _, w, _ in margin)
    columns: list[list[float]] = []  # each column's label tops, sorted
    for position, _w, top in margin:
        chosen = next((i for i, tops in enumerate(columns) if _fits(tops, top)), None)
        if chosen is None:
            if len(columns) < MARGIN_COLUMNS:
                columns.append([])
                chosen = len(columns) - 1
            else:
                chosen = 0  # out of room: overlap another label, never a rectangle
        bisect.insort(columns[chosen], top)
        spots[position] = LabelSpot("margin", MARGIN_GAP + chosen * (column_width + 1))
    return LabelPlan(tuple(spots), MARGIN_GAP + len(columns) * (column_width + 1))
