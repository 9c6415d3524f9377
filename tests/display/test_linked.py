"""Boxes linked to their cards (data-ocr-region, scoped CSS rules) and labels that cover no box.

The label geometry is checked independently of the planner: each label's inline style is
evaluated the way CSS places an absolutely positioned child (offsets from the rectangle's
padding box, percentages of it, margins), at several displayed widths of the image, and the
label's rectangle must not overlap the inside of any region's rectangle.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

import pytest

from ocr_notebook import Rect, Submission
from ocr_notebook.display.images import Box, EmbedBudget, overlay_html
from ocr_notebook.display.labels import MIN_SHOWN_WIDTH, label_size, place_labels
from ocr_notebook.display.linked import linked_rules, scope_class
from ocr_notebook.display.results import render_result_html, render_results_html
from ocr_notebook.display.style import BOX_BORDER
from ocr_notebook.emulator.samples import SAMPLE_REGIONS, SAMPLE_SIZE, sample_png
from tests.support.render import Element, audit, make_result, png_bytes

_Rect = tuple[float, float, float, float]


def _submission(count: int, size: tuple[int, int] = (300, 200)) -> Submission:
    boxes = tuple(Rect(10, 10 + 30 * i, 290, 35 + 30 * i) for i in range(count))
    return Submission(image=png_bytes(size), regions=boxes)


def _linked(elements: Sequence[Element]) -> list[Element]:
    return [e for e in elements if "data-ocr-region" in e.attrs]


def _rules(html: str) -> list[str]:
    return re.findall(r"\.sp:has\(&\.r(\d+)\) \.r\1[,{]", html)


def _classes(element: Element) -> list[str]:
    return element.attrs.get("class", "").split()


def _unlinked(html: str) -> str:
    """``html`` without what links rectangles to cards (as benchmarks/render.py measures)."""
    html = re.sub(r" (data-ocr-region=\"\d+\"|tabindex=0|class=r\d+)", "", html)
    html = re.sub(r'class="bx r\d+"', 'class="bx"', html)
    html = re.sub(r"\.ocrnb-[0-9a-f]{8} :is\(.*\}\}</style>", "</style>", html)
    return re.sub(r' ocrnb-[0-9a-f]{8}"', '"', html)


# -- attributes and rules ---------------------------------------------------------------------


def test_each_rectangle_and_card_carries_its_region_and_cards_are_focusable() -> None:
    result = make_result([("Text", f"line {i}") for i in range(3)], submission=_submission(3))
    parsed = audit(render_result_html(result))
    boxes = [e for e in _linked(parsed.elements) if "bx" in _classes(e)]
    cards = [e for e in _linked(parsed.elements) if e.tag == "li"]
    assert [b.attrs["data-ocr-region"] for b in boxes] == ["0", "1", "2"]
    assert [c.attrs["data-ocr-region"] for c in cards] == ["0", "1", "2"]
    assert all(c.attrs["tabindex"] == "0" for c in cards)
    # The class the rules name, shared by a rectangle and its card.
    assert [_classes(b) for b in boxes] == [["bx", "r0"], ["bx", "r1"], ["bx", "r2"]]
    assert [_classes(c) for c in cards] == [["r0"], ["r1"], ["r2"]]


def test_one_rule_per_region_drawn_scoped_to_the_result() -> None:
    result = make_result([("Text", f"line {i}") for i in range(5)], submission=_submission(5))
    html = render_result_html(result, display_limit=2)
    root = re.match(r'<div class="ocrnb (ocrnb-[0-9a-f]{8})">', html)
    assert root, html[:80]
    scope = root.group(1)
    assert _rules(html) == ["0", "1"]  # the three regions not shown have no rule
    (css,) = audit(html).styles
    assert f".{scope} :is(:hover,:focus-within){{.sp:has(&.r0) .r0,.sp:has(&.r1) .r1{{" in css
    assert css.count(f".{scope}") == 1  # nesting writes the scope once
    assert len(_linked(audit(html).elements)) == 4  # 2 boxes + 2 cards
    # The rules highlight inside the .sp that holds the pointed-at element: it must hold
    # every rectangle and card of the result, and be the only one.
    split = html.index('<div class="sp"')
    assert html.count('<div class="sp"') == 1
    assert html.index("data-ocr-region") > split
    assert html.index("<li class=r0") > html.index("</figure>") > split


def test_different_results_get_different_scopes_and_the_same_result_the_same() -> None:
    one = make_result([("Text", "a"), ("Text", "b")], submission=_submission(2))
    other = make_result([("Text", "a"), ("Text", "c")], submission=_submission(2))
    first = render_result_html(one)
    assert first == render_result_html(one)  # deterministic
    scopes = {re.findall(r"ocrnb-[0-9a-f]{8}", h)[0] for h in (first, render_result_html(other))}
    assert len(scopes) == 2


def test_a_collection_scopes_each_result_on_its_own() -> None:
    results = [
        make_result([("Text", "a"), ("Text", "b")], submission=_submission(2), task_id=f"{i}" * 8)
        for i in (1, 2)
    ]
    html = render_results_html(results)
    parsed = audit(html)
    scopes = re.findall(r'class="ocrnb (ocrnb-[0-9a-f]{8})"', html)
    assert len(set(scopes)) == 2
    for scope in scopes:
        assert sum(css.count(f".{scope} :is(") for css in parsed.styles) == 1


def test_boxes_not_numbered_like_the_cards_are_not_linked() -> None:
    # More regions submitted than results: the numbers are the submission order.
    mismatched = make_result([("Text", "a")], submission=_submission(3))
    # No overlay at all.
    plain = make_result([("Text", "a")])
    for result in (mismatched, plain):
        html = render_result_html(result)
        assert "data-ocr-region" not in html and "tabindex" not in html
        assert not re.search(r"\br\d+\b", " ".join(re.findall(r'class="?([^">]*)', html)))
        assert not re.search(r"ocrnb-[0-9a-f]{8}", html)


def test_linked_rules_are_empty_without_regions() -> None:
    assert linked_rules("ocrnb-00000000", []) == ""
    assert scope_class("x") == scope_class("x") != scope_class("y")


def test_without_the_stylesheet_the_inline_styles_are_those_of_an_unlinked_result() -> None:
    # Linking adds attributes and rules only; what an untrusted view keeps is unchanged.
    result = make_result([("Text", "a"), ("Text", "b")], submission=_submission(2))
    html = render_result_html(result)
    unlinked = _unlinked(html)
    styles = [e.attrs.get("style") for e in audit(html).elements]
    assert styles == [e.attrs.get("style") for e in audit(unlinked).elements]
    assert "data-ocr-region" not in unlinked and ":has(" not in unlinked
    assert not re.search(r"\br\d\b", unlinked)  # no region class left


def test_linking_costs_under_100_bytes_a_region_shown() -> None:
    # The budget behind benchmarks/render.py's figure (< 10 % of a 1,000-region result drawn
    # on its image): 53 bytes of required attributes, a class and a selector.
    result = make_result(
        [("Text", f"line {i}") for i in range(60)], submission=_submission(60, (300, 2000))
    )
    html = render_result_html(result)  # 50 shown, 40 of them with two-digit numbers
    assert len(_rules(html)) == 50
    assert (len(html) - len(_unlinked(html))) / 50 < 100


# -- label geometry --------------------------------------------------------------------------


def _styles(html: str) -> list[tuple[Box, dict[str, str], int, bool]]:
    """Each drawn box, its label's declarations and number, and whether the label is inside."""
    found = re.findall(
        r'<span class="bx[^"]*"[^>]* title="region (\d+): \((-?\d+), (-?\d+)\) to \((-?\d+), (-?\d+)\)"'
        r'[^>]*>(?:<span class="lb" style="([^"]*)">(\d+)</span>)?</span>'
        r'(?:<span class="lb" style="([^"]*)">(\d+)</span>)?',
        html,
    )
    out = []
    for label, x1, y1, x2, y2, style_in, text_in, style_out, text_out in found:
        style = style_in or style_out
        declarations = dict(d.split(":", 1) for d in style.split(";"))
        box = Box(int(label), int(x1), int(y1), int(x2), int(y2))
        out.append((box, declarations, int(text_in or text_out), bool(style_in)))
    return out


def _length(value: str, whole: float) -> float:
    if value.endswith("%"):
        return float(value[:-1]) * whole / 100
    assert value.endswith("px"), value
    return float(value[:-2])


def _label_rect(
    box: Box, css: dict[str, str], number: int, inside: bool, scale: float, image: _Rect
) -> _Rect:
    """Where CSS puts the label, in screen pixels from the image's top-left corner."""
    if inside:  # the containing block is the box's padding box, inside its border
        b = BOX_BORDER
        px1, py1 = box.x1 * scale + b, box.y1 * scale + b
        pw = max(box.x2 * scale - b - px1, 0)
        ph = max(box.y2 * scale - b - py1, 0)
    else:  # the image's frame
        px1, py1, pw, ph = 0, 0, image[2], image[3]
    w, h = label_size(number)

    def margin(side: str) -> float:
        return _length(css.get(f"margin-{side}", "0px"), pw)

    if "left" in css:
        x = px1 + _length(css["left"], pw) + margin("left")
        left, right = x, x + w
    else:
        x = px1 + pw - _length(css["right"], pw) - margin("right")
        left, right = x - w, x
    if "top" in css:
        y = py1 + _length(css["top"], ph) + margin("top")
        top, bottom = y, y + h
    else:
        y = py1 + ph - _length(css["bottom"], ph) - margin("bottom")
        top, bottom = y - h, y
    return left, top, right, bottom


def _overlaps(a: _Rect, b: _Rect, tolerance: float = 0.05) -> bool:
    return (
        a[0] < b[2] - tolerance
        and b[0] < a[2] - tolerance
        and a[1] < b[3] - tolerance
        and b[1] < a[3] - tolerance
    )


def _check_labels(
    boxes: Sequence[tuple[int, int, int, int]], width: int, height: int
) -> dict[str, int]:
    """Render an overlay and check every label at several widths; count the sides used."""
    drawn = [Box(i, *box, linked=True) for i, box in enumerate(boxes)]
    html = overlay_html(png_bytes((width, height)), drawn, embed=EmbedBudget(10**7), caption="c")
    audit(html)
    margin_match = re.search(r'class="im" style="[^"]*margin-left:(\d+)px', html)
    margin = int(margin_match.group(1)) if margin_match else 0
    labels = _styles(html)
    assert [number for _, _, number, _ in labels] == list(range(len(boxes)))
    narrowest = min(1.0, MIN_SHOWN_WIDTH / width)
    sides: dict[str, int] = {}
    for scale in sorted({narrowest, (narrowest + 1) / 2, 1.0}):
        rects = [(b.x1 * scale, b.y1 * scale, b.x2 * scale, b.y2 * scale) for b, *_ in labels]
        image = (0.0, 0.0, width * scale, height * scale)
        placed = []
        for box, css, number, inside in labels:
            label = _label_rect(box, css, number, inside, scale, image)
            for i, rect in enumerate(rects):
                assert not _overlaps(label, rect), (scale, number, css, label, i, rect)
            in_margin = label[2] <= 0.05
            if in_margin:
                assert label[0] >= -margin - 0.05, (scale, number, label, margin)
            else:
                assert label[0] >= -0.05 and label[3] <= height * scale + 0.05, (number, label)
                placed.append(label)
            key = "margin" if in_margin else "image"
            sides[key] = sides.get(key, 0) + 1
        for i, a in enumerate(placed):
            assert not any(_overlaps(a, b) for b in placed[i + 1 :]), (scale, a)
    return sides


def test_tight_lines_of_a_1000px_scan_put_their_labels_in_the_margin() -> None:
    # The sample's four line regions touch each other and start 20 px from the left edge:
    # the case where the old labels covered the lines' last characters.
    boxes = [box for box, _text in SAMPLE_REGIONS]
    sides = _check_labels(boxes, *SAMPLE_SIZE)
    assert sides == {"margin": 12}  # 4 labels x 3 widths


def test_boxes_with_room_get_their_label_above() -> None:
    boxes = [(100, 100 + 120 * i, 600, 160 + 120 * i) for i in range(5)]
    assert _check_labels(boxes, 800, 800) == {"image": 15}
    plan = place_labels([(i, *box) for i, box in enumerate(boxes)], 800, 800)
    assert {spot.side for spot in plan.spots} == {"above"} and plan.margin == 0


def test_adjacent_word_boxes_on_touching_lines() -> None:
    # Words touching each other on lines touching each other: no room anywhere in the image.
    boxes = [
        (40 + 60 * w, 30 * line, 100 + 60 * w, 30 * (line + 1))
        for line in range(8)
        for w in range(5)
    ]
    sides = _check_labels(boxes, 400, 240)
    assert sides.get("margin")


def test_a_grid_covering_the_whole_image_and_nested_boxes() -> None:
    boxes = [(100 * c, 50 * r, 100 * (c + 1), 50 * (r + 1)) for r in range(4) for c in range(3)]
    boxes.append((0, 0, 300, 200))  # a page box around them all
    boxes.append((120, 60, 180, 90))  # a box inside a cell
    _check_labels(boxes, 300, 200)


@pytest.mark.parametrize("seed", range(6))
def test_random_boxes_on_small_and_large_images(seed: int) -> None:
    rng = random.Random(seed)
    width, height = rng.choice([(120, 90), (640, 480), (1000, 320), (2480, 3508)])
    boxes = []
    for _ in range(rng.randint(1, 60)):
        x1, y1 = rng.randrange(0, width - 4), rng.randrange(0, height - 4)
        x2 = min(width, x1 + rng.randint(4, max(5, width // 3)))
        y2 = min(height, y1 + rng.randint(4, max(5, height // 6)))
        boxes.append((x1, y1, x2, y2))
    _check_labels(boxes, width, height)


def test_many_margin_labels_use_a_few_columns_at_most() -> None:
    boxes = [(0, 0, 30 + 10 * i, 20) for i in range(10)]  # ten boxes on top of each other
    plan = place_labels([(i, *box) for i, box in enumerate(boxes)], 200, 100)
    offsets = sorted({spot.offset for spot in plan.spots if spot.side == "margin"})
    assert len(offsets) == 3 and plan.margin > offsets[-1]
    _check_labels(boxes, 200, 100)


def test_sample_result_labels_stay_off_the_text() -> None:
    # End to end through render_result_html with the real sample image.
    boxes = tuple(Rect.from_box(box) for box, _text in SAMPLE_REGIONS)
    result = make_result(
        [("Text", text) for _box, text in SAMPLE_REGIONS],
        submission=Submission(image=sample_png(), regions=boxes),
    )
    html = render_result_html(result)
    labels = _styles(html)
    assert len(labels) == 4 and not any(inside for *_, inside in labels)  # all in the margin
    assert all(css["right"] == "100%" for _, css, _, _ in labels)
