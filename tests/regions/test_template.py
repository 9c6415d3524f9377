"""RegionTemplate: building, names, scaling, save/load and the errors of a bad file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ocr_notebook import Rect, RegionError, RegionTemplate, TemplateFileError
from ocr_notebook.regions.template import MAX_REGIONS, TEMPLATE_FORMAT, TemplateRegion

BOXES = [(10, 10, 300, 60), (10, 100, 500, 150), (400, 200, 790, 290)]


def _template() -> RegionTemplate:
    return RegionTemplate.from_boxes(
        BOXES, (800, 300), names=["invoice_no", "", "total"], name="invoices"
    )


def test_from_boxes_keeps_order_names_and_size() -> None:
    t = _template()
    assert t.rects == tuple(Rect(*b) for b in BOXES)
    assert t.names == ("invoice_no", "", "total")
    assert t.column_names == ("invoice_no", "region_1", "total")
    assert t.image_size == (800, 300) and t.name == "invoices" and len(t) == 3
    assert RegionTemplate.from_boxes(BOXES, (800, 300)).names == ("", "", "")


def test_scaled_to_scales_each_side_and_keeps_names() -> None:
    t = _template()
    assert t.scaled_to((800, 300)) is t
    double = t.scaled_to((1600, 600))
    assert double.rects[0] == Rect(20, 20, 600, 120)
    assert double.names == t.names and double.image_size == (1600, 600)
    squeezed = t.scaled_to((400, 600))  # each side by its own ratio
    assert squeezed.rects[2] == Rect(200, 400, 395, 580)
    tiny = t.scaled_to((8, 3))  # every rectangle keeps at least a pixel, inside the image
    for x1, y1, x2, y2 in (r.as_tuple() for r in tiny.rects):
        assert 0 <= x1 < x2 <= 8 and 0 <= y1 < y2 <= 3
    assert t.scaled_to((1600, 600)).scaled_to((800, 300)).rects == t.rects


def test_bad_boxes_and_names_are_one_line_errors() -> None:
    with pytest.raises(RegionError, match="inside the 800x300 image"):
        RegionTemplate.from_boxes([(0, 0, 900, 10)], (800, 300))
    with pytest.raises(RegionError, match="inside"):
        RegionTemplate.from_boxes([(10, 10, 10, 20)], (800, 300))  # zero area
    with pytest.raises(RegionError, match="named 'a'"):
        RegionTemplate.from_boxes(BOXES[:2], (800, 300), names=["a", "a"])
    with pytest.raises(RegionError, match="2 names for 3 boxes"):
        RegionTemplate.from_boxes(BOXES, (800, 300), names=["a", "b"])
    with pytest.raises(RegionError, match="at least one region"):
        RegionTemplate.from_boxes([], (800, 300))
    with pytest.raises(RegionError, match="image_size"):
        RegionTemplate.from_boxes(BOXES, (0, 300))


def test_too_many_rectangles_says_the_limit_and_to_split() -> None:
    boxes = [(i, 0, i + 1, 1) for i in range(MAX_REGIONS + 1)]
    with pytest.raises(RegionError) as info:
        RegionTemplate.from_boxes(boxes, (1000, 10))
    assert f"more than {MAX_REGIONS} regions" in str(info.value)
    assert "split them over several submissions" in str(info.value)
    assert len(RegionTemplate.from_boxes(boxes[:MAX_REGIONS], (1000, 10))) == MAX_REGIONS


def test_save_load_round_trip(tmp_path: Path) -> None:
    t = _template()
    path = tmp_path / "invoice.json"
    t.save(path)
    data = json.loads(path.read_text("utf-8"))
    assert data["format"] == TEMPLATE_FORMAT and data["version"] == 1
    assert data["regions"][0] == {"name": "invoice_no", "rect": [10, 10, 300, 60]}
    assert RegionTemplate.load(path) == t
    assert RegionTemplate.load(str(path)).regions[1] == TemplateRegion("", Rect(*BOXES[1]))


def _write(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "t.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    return path


def test_malformed_json_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(TemplateFileError, match=r"not valid JSON \(line 1, column"):
        RegionTemplate.load(_write(tmp_path, '{"format": '))
    with pytest.raises(TemplateFileError, match="not found"):
        RegionTemplate.load(tmp_path / "missing.json")


def test_wrong_shape_is_one_line(tmp_path: Path) -> None:
    good = _template().to_dict()
    cases: list[object] = [
        [1, 2, 3],
        {**good, "format": "something-else"},
        {**good, "regions": "nope"},
        {**good, "regions": [{"name": "a", "rect": [1, 2, 3]}]},
        {**good, "regions": [{"name": 5, "rect": [1, 2, 3, 4]}]},
        {**good, "image_size": [800]},
        {k: v for k, v in good.items() if k != "image_size"},
        {**good, "version": "one"},
    ]
    for case in cases:
        with pytest.raises(TemplateFileError) as info:
            RegionTemplate.load(_write(tmp_path, case))
        assert "\n" not in str(info.value), case
        assert isinstance(info.value, ValueError)


def test_newer_version_says_upgrade(tmp_path: Path) -> None:
    data = {**_template().to_dict(), "version": 7, "future_field": {"x": 1}}
    with pytest.raises(TemplateFileError) as info:
        RegionTemplate.load(_write(tmp_path, data))
    assert "written by a newer ocr_notebook (version 7); upgrade" in str(info.value)
