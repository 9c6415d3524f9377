"""Boxes linked to their cards with CSS only: works without a kernel and in an HTML export.

Every rectangle of the overlay and every card of region N carries ``data-ocr-region="N"``
(cards are focusable, ``tabindex="0"``). One rule per linked region, scoped to the result's
own class, highlights both when either is pointed at or focused::

    .ocrnb-1a2b3c4d{&:has([data-ocr-region="3"]:is(:hover,:focus-within)) [data-ocr-region="3"],
                    ...{outline:...;background-color:...}}

CSS cannot match one element's attribute against another's, so a rule per region is the
least it takes; rules exist only for the regions drawn (the display limit, 50 by default),
and CSS nesting writes the scope once instead of once per region. ``:has()`` needs
Chromium 105, Firefox 121 or Safari 15.4; nesting Chromium 112, Firefox 117, Safari 16.5.

The scope class is a hash of the result's own HTML: two different outputs in one notebook
never share it, and a result shown twice gets the same class and the same rules, which then
only repeat each other. Where the stylesheet is stripped (an untrusted notebook) nothing of
this applies and the output looks as it did without it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from .style import ACCENT_LINKED

__all__ = ["REGION_ATTRIBUTE", "card_attributes", "linked_rules", "scope_class"]

#: The attribute naming a rectangle's and a card's region.
REGION_ATTRIBUTE = "data-ocr-region"

_HIGHLIGHT = (
    f"outline:3px solid var(--jp-brand-color1,{ACCENT_LINKED});outline-offset:0;"
    f"background-color:{ACCENT_LINKED}33!important"
)


def scope_class(html: str) -> str:
    """A class naming one output: ``ocrnb-`` and 8 hex digits of a hash of its HTML."""
    return (
        "ocrnb-" + hashlib.blake2b(html.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()
    )


def card_attributes(region: int) -> str:
    """The attributes that make a card linked and focusable (with a leading space)."""
    return f' {REGION_ATTRIBUTE}="{region}" tabindex="0"'


def linked_rules(scope: str, regions: Iterable[int]) -> str:
    """The CSS that links each of ``regions``' rectangles and cards, scoped to ``scope``.

    Empty when there is no region to link.
    """
    selectors = ",".join(
        f'&:has([{REGION_ATTRIBUTE}="{n}"]:is(:hover,:focus-within)) [{REGION_ATTRIBUTE}="{n}"]'
        for n in regions
    )
    if not selectors:
        return ""
    return f".{scope}{{{selectors}{{{_HIGHLIGHT}}}}}"
