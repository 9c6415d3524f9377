"""What the browser tests check of a result whose rectangles are linked to its cards.

The linking is CSS only (``ocr_notebook/display/linked.py``): the checks hover and focus
real elements and read computed styles, with Playwright's retrying ``expect``.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Locator, Page, expect

from ocr_notebook.emulator.samples import SAMPLE_REGIONS

__all__ = ["HIGHLIGHT", "boxes", "cards", "check_links", "expect_highlighted", "hover_until"]

# The highlight's tint: style.ACCENT_LINKED (#1565c0) at 20 % (its outline is the theme's brand
# colour, which differs between JupyterLab and an export, so only its style is checked).
HIGHLIGHT = "rgba(21, 101, 192, 0.2)"


def boxes(root: Locator) -> Locator:
    """The overlay's rectangles in ``root`` (a result's ``.ocrnb``)."""
    return root.locator("figure.ov .bx")


def cards(root: Locator) -> Locator:
    """The region cards in ``root``."""
    return root.locator("ol.rg > li")


def hover_until(target: Locator, check: Callable[[], object], attempts: int = 4) -> None:
    """Point at ``target`` until ``check`` (retrying ``expect`` calls) passes.

    A page still settling (JupyterLab re-laying out a reopened notebook's outputs) can move
    the element from under a pointer that hovered it once; pointing again is what a person
    does, so each attempt hovers anew and waits on the condition, never on a fixed delay.
    """
    for attempt in range(attempts):
        target.hover()
        try:
            check()
        except AssertionError:
            if attempt == attempts - 1:
                raise
        else:
            return


def expect_highlighted(items: Locator, index: int) -> None:
    """Item ``index`` is outlined in the highlight colour; every other one is not outlined."""
    for i in range(items.count()):
        item = items.nth(i)
        if i == index:
            expect(item).to_have_css("outline-style", "solid")
            expect(item).to_have_css("background-color", HIGHLIGHT)
        else:
            expect(item).to_have_css("outline-style", "none")
            expect(item).not_to_have_css("background-color", HIGHLIGHT)


def check_links(page: Page, root: Locator) -> None:
    """Hover card 2, then rectangle 1, then Tab from card 0 to card 1: each lights its pair."""
    rects, items = boxes(root), cards(root)
    expect(rects).to_have_count(len(SAMPLE_REGIONS))
    expect(items).to_have_count(len(SAMPLE_REGIONS))
    for i in range(len(SAMPLE_REGIONS)):
        expect(rects.nth(i)).to_have_attribute("data-ocr-region", str(i))
        expect(items.nth(i)).to_have_attribute("data-ocr-region", str(i))
    # Nothing highlighted while the pointer is elsewhere.
    page.mouse.move(0, 0)
    expect(rects.nth(2)).to_have_css("outline-style", "none")

    def pair_lit(index: int) -> Callable[[], None]:
        def check() -> None:
            expect_highlighted(rects, index)
            expect_highlighted(items, index)

        return check

    hover_until(items.nth(2), pair_lit(2))
    hover_until(rects.nth(1), pair_lit(1))

    page.mouse.move(0, 0)
    items.nth(0).focus()
    page.keyboard.press("Tab")
    expect(items.nth(1)).to_be_focused()
    expect_highlighted(rects, 1)
    items.nth(1).blur()

    # The labels cover no rectangle (they sit in the margin left of the image here).
    overlaps = root.evaluate(
        """root => {
            const rect = el => el.getBoundingClientRect();
            const boxes = Array.from(root.querySelectorAll('figure.ov .bx'), rect);
            return Array.from(root.querySelectorAll('figure.ov .lb'), rect).flatMap((l, i) =>
                boxes.filter(b => l.left < b.right - 0.5 && b.left < l.right - 0.5
                                  && l.top < b.bottom - 0.5 && b.top < l.bottom - 0.5)
                     .map(() => i));
        }"""
    )
    assert overlaps == [], f"labels over a rectangle: {overlaps}"
