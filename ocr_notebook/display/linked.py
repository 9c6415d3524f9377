"""Boxes linked to their cards with CSS only: works without a kernel and in an HTML export.

Every rectangle of the overlay and every card of region N carries ``data-ocr-region="N"``
(cards are focusable, ``tabindex=0``) and the short class ``rN``. One stylesheet block,
scoped to the result's own class, highlights both when either is pointed at or focused::

    .ocrnb-1a2b3c4d :is(:hover,:focus-within){.sp:has(&.r3) .r3,...{outline:...}}

Inside the nested block ``&`` stands for "a pointed-at or focused element of this result",
so a region costs only ``.sp:has(&.r3) .r3,``: the ``.sp`` (the one element holding both the
overlay and the cards, :data:`LINKED_ROOT`) holding a pointed-at ``r3`` highlights its every
``r3``, rectangle and card. Another output's elements are never inside this ``.sp``, and an
output shown twice has a ``.sp`` per copy, so each copy lights up alone (were a page to wrap
outputs in an element of its own class ``sp``, that element would match too). CSS cannot match one
element's attribute against another's, so a selector per region is the least it takes; they
exist only for the regions drawn (the display limit, 50 by default). The class, not the
attribute, is what the selectors name: ``.r3`` is 3 bytes where ``[data-ocr-region="3"]`` is
21, and each region names it twice. ``:has()`` needs Chromium 105, Firefox 121 or Safari 15.4;
nesting with ``&`` inside ``:has()`` Chromium 112, Firefox 117, Safari 16.5.

What it adds to a 1,000-region result (50 shown) is measured by ``benchmarks/render.py``:
about 89 bytes a region (53 of them the required attributes), +8.3 % on the result drawn on
its 13 KB sample image, +12.4 % without the image.

The scope class is a hash of the result's own HTML: two different outputs in one notebook
never share it, and a result shown twice gets the same class and the same rules, which then
only repeat each other. Where the stylesheet is stripped (an untrusted notebook) nothing of
this applies and the output looks as it did without it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from .style import ACCENT_LINKED

__all__ = [
    "LINKED_ROOT",
    "REGION_ATTRIBUTE",
    "card_attributes",
    "linked_rules",
    "region_class",
    "scope_class",
]

#: The attribute naming a rectangle's and a card's region.
REGION_ATTRIBUTE = "data-ocr-region"
#: The class of the element holding both the overlay and the cards (and nothing of another
#: output): the rules highlight the regions inside it.
LINKED_ROOT = "sp"

_HIGHLIGHT = (
    f"outline:3px solid var(--jp-brand-color1,{ACCENT_LINKED});outline-offset:0;"
    f"background-color:{ACCENT_LINKED}33!important"
)


def scope_class(html: str) -> str:
    """A class naming one output: ``ocrnb-`` and 8 hex digits of a hash of its HTML."""
    return (
        "ocrnb-" + hashlib.blake2b(html.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()
    )


def region_class(region: int) -> str:
    """The class a linked rectangle and card of ``region`` share, which the rules name."""
    return f"r{region}"


def card_attributes(region: int) -> str:
    """The attributes that make a card linked and focusable (with a leading space)."""
    # Values of letters and digits need no quotes in HTML: 4 bytes a card. The region
    # attribute keeps them, as the issue spells it.
    return f' class={region_class(region)} {REGION_ATTRIBUTE}="{region}" tabindex=0'


def linked_rules(scope: str, regions: Iterable[int]) -> str:
    """The CSS that links each of ``regions``' rectangles and cards, scoped to ``scope``.

    Empty when there is no region to link.
    """
    selectors = ",".join(
        f".{LINKED_ROOT}:has(&.{region_class(n)}) .{region_class(n)}" for n in regions
    )
    if not selectors:
        return ""
    return f".{scope} :is(:hover,:focus-within){{{selectors}{{{_HIGHLIGHT}}}}}"
