"""Rendering of results: every result type, header, limits, overlay, mimebundle, sizes."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator

import pytest

from ocr_notebook import OCRResult, Rect, Submission, TaskFailedError
from ocr_notebook.display.images import sniff_image
from ocr_notebook.display.results import (
    DEFAULTS,
    mimebundle,
    render_result_html,
    render_result_text,
    render_results_html,
    set_display_limit,
)
from ocr_notebook.display.style import pct
from tests.support.render import (
    HOCR,
    PDF_BYTES,
    audit,
    make_result,
    png_bytes,
    wav_bytes,
)


def _data(uri: str) -> tuple[str, bytes]:
    head, _, payload = uri.partition(",")
    assert head.startswith("data:") and head.endswith(";base64")
    return head[5:-7], base64.b64decode(payload, validate=True)


# -- each result type ----------------------------------------------------------------------


def test_text_region_is_a_pre_wrapped_block_reading_in_its_own_direction() -> None:
    text = "Invoice 2024\n  indented line\n\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd"
    html = render_result_html(make_result([("Text", text)]))
    parsed = audit(html)
    (pre,) = parsed.find("pre")
    assert pre.attrs["dir"] == "auto"
    assert pre.text == text
    assert ".ocrnb pre{white-space:pre-wrap" in html


def test_invoice_json_becomes_a_key_value_table() -> None:
    invoice = {
        "issue_date": "2024-05-01",
        "supplier_name": "ACME <Ltd>",
        "total_amount": 1234.5,
        "vat": -1,
        "bank": {"bic": "DEUTDEFF"},
    }
    parsed = audit(render_result_html(make_result([("Text", json.dumps(invoice))])))
    keys = [e.text for e in parsed.find("th")]
    values = [e.text for e in parsed.find("td")]
    assert keys == list(invoice)
    assert values == ["2024-05-01", "ACME <Ltd>", "1234.5", "-1", '{"bic": "DEUTDEFF"}']
    assert not parsed.find("pre")


def test_identify_font_python_literal_becomes_a_table_too() -> None:
    text = "{'style': 'regular', 'font': ['tahoma', 'times', 'verdana']}"
    parsed = audit(render_result_html(make_result([("Text", text)])))
    assert [e.text for e in parsed.find("th")] == ["style", "font"]
    assert parsed.find("td")[1].text == '["tahoma", "times", "verdana"]'


def test_text_that_only_looks_like_json_stays_text() -> None:
    for text in ("{not json at all}", "[1, 2, 3]", "{__import__('os')}"):
        parsed = audit(render_result_html(make_result([("Text", text)])))
        assert [e.text for e in parsed.find("pre")] == [text]


def test_csv_becomes_a_table_with_a_header_row() -> None:
    csv_text = 'item,qty,price\n"Widget, large",2,9.99\nGadget,1,"1,5"\n'
    parsed = audit(render_result_html(make_result([("Csv", csv_text)])))
    assert [e.text for e in parsed.find("th")] == ["item", "qty", "price"]
    assert [e.text for e in parsed.find("td")] == [
        "Widget, large",
        "2",
        "9.99",
        "Gadget",
        "1",
        "1,5",
    ]


def test_csv_rows_are_capped_with_a_footer() -> None:
    csv_text = "a,b\n" + "".join(f"{i},{i * 2}\n" for i in range(500))
    parsed = audit(render_result_html(make_result([("Csv", csv_text)])))
    assert len(parsed.find("tr")) == 1 + 200
    assert "300 more lines of CSV not shown" in parsed.visible_text
    assert "result.regions[0].text" in parsed.visible_text


def test_many_boxes_are_capped() -> None:
    boxes = [[i, i, i + 5, i + 5] for i in range(250)]
    parsed = audit(render_result_html(make_result([("Other", json.dumps(boxes))])))
    assert len(parsed.find("tr")) == 1 + 200
    assert "50 more boxes not shown" in parsed.visible_text
    assert "250 boxes detected" in parsed.visible_text


def test_box_lists_must_be_four_numbers_each() -> None:
    for text in ("[[1, 2, 3]]", "[[1, 2, 3, true]]", '[[1, 2, 3, "4"]]', "[[1, 2, 3, NaN]]", "{}"):
        parsed = audit(render_result_html(make_result([("Other", text)])))
        assert not parsed.find("table") and parsed.find("pre"), text


def test_detect_regions_boxes_become_a_list() -> None:
    boxes = [[0, 8, 697, 441], [10, 20, 30, 40]]
    result = make_result([("Other", json.dumps(boxes))], api="DetectRegions")
    parsed = audit(render_result_html(result))
    rows = [e for e in parsed.find("td")]
    assert [r.text for r in rows[:6]] == ["0", "0", "8", "697", "441", "697\u00d7433"]
    assert [r.text for r in rows[6:]] == ["1", "10", "20", "30", "40", "20\u00d720"]
    assert "2 boxes detected" in parsed.visible_text


def test_hocr_is_sanitized_and_previewed() -> None:
    parsed = audit(render_result_html(make_result([("Hocr", HOCR)])))
    words = [e for e in parsed.find("span") if e.attrs.get("class") == "ocrx_word"]
    assert [w.text for w in words] == ["Hello", "world"]
    assert words[0].attrs["title"] == "bbox 2 2 50 30; x_wconf 96"
    assert words[0].attrs["id"] == "ocrnb-word_1_1"  # cannot clash with the page's ids
    assert any(e.attrs.get("class") == "ocr_line" for e in parsed.find("span"))
    assert "hOCR" not in [e.text for e in parsed.find("title")]
    assert not parsed.find("html") and not parsed.find("body") and not parsed.find("head")
    # The source is there too, escaped, behind a <details>.
    assert parsed.find("details")
    assert "x_wconf 96" in parsed.find("pre")[0].text


def test_pdf_is_a_download_link_with_its_size() -> None:
    parsed = audit(render_result_html(make_result([("Text", "a"), ("Pdf", PDF_BYTES)])))
    (link,) = parsed.find("a")
    assert link.attrs["download"] == "region-0001.pdf"
    assert _data(link.attrs["href"]) == ("application/pdf", PDF_BYTES)
    assert f"{len(PDF_BYTES)} B" in parsed.visible_text
    assert "Download PDF" in parsed.visible_text


def test_png_is_an_image() -> None:
    png = png_bytes((120, 40))
    parsed = audit(render_result_html(make_result([("ImagePNG", png)], api="BinarizeImage")))
    (img,) = parsed.find("img")
    assert _data(img.attrs["src"]) == ("image/png", png)
    assert "120\u00d740 px" in parsed.visible_text


def test_wav_is_an_audio_player() -> None:
    wav = wav_bytes(0.5)
    parsed = audit(render_result_html(make_result([("WavFile", wav)])))
    (audio,) = parsed.find("audio")
    assert "controls" in audio.attrs
    assert _data(audio.attrs["src"]) == ("audio/wav", wav)
    assert "0.5 s" in parsed.visible_text


def test_json_result_type_is_pretty_printed() -> None:
    blocks = [{"text": "Hi", "topLeftX": 1}]
    parsed = audit(render_result_html(make_result([("JSON", json.dumps(blocks))])))
    assert json.loads(parsed.find("pre")[0].text) == blocks


@pytest.mark.parametrize(
    ("rtype", "mime", "ext"),
    [
        ("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
        ("Docx?", "application/octet-stream", ".bin"),
        ("", "application/octet-stream", ".bin"),
    ],
)
def test_other_binary_types_are_download_links(rtype: str, mime: str, ext: str) -> None:
    data = bytes(range(256))
    parsed = audit(render_result_html(make_result([(rtype, data)])))
    (link,) = parsed.find("a")
    assert link.attrs["download"] == f"region-0000{ext}"
    assert _data(link.attrs["href"]) == (mime, data)


def test_empty_region_says_so() -> None:
    parsed = audit(render_result_html(make_result([("Text", "")])))
    assert "(empty)" in parsed.visible_text


def test_large_binary_is_not_embedded() -> None:
    big = b"%PDF-" + b"0" * 2_000
    html = render_result_html(make_result([("Pdf", big)]), embed_limit=1_000)
    parsed = audit(html)
    assert not parsed.find("a")
    assert "more than this view embeds" in parsed.visible_text
    assert "result.regions[0].save(folder)" in parsed.visible_text
    assert len(html) < 10_000


def test_embedding_budget_is_shared_by_all_regions() -> None:
    pdf = b"%PDF-" + b"0" * 595  # 600 bytes
    result = make_result([("Pdf", pdf), ("Pdf", pdf), ("WavFile", wav_bytes(0.05))])  # 844 B
    parsed = audit(render_result_html(result, embed_limit=1_000))
    assert len(parsed.find("a")) == 1 and not parsed.find("audio")
    assert "result.regions[1].save(folder)" in parsed.visible_text
    assert "result.regions[2].save(folder)" in parsed.visible_text
    everything = audit(render_result_html(result))
    assert len(everything.find("a")) == 2 and everything.find("audio")


# -- header, status and messages -------------------------------------------------------------


def test_header_shows_id_status_code_regions_and_characters() -> None:
    result = make_result([("Text", "abc"), ("Text", "de"), ("Pdf", PDF_BYTES)])
    parsed = audit(render_result_html(result))
    (chip,) = [e for e in parsed.elements if "st" in e.attrs.get("class", "").split()]
    assert chip.text == "Completed"
    assert "k-ok" in chip.attrs["class"]
    text = parsed.visible_text
    assert result.id is not None and result.id in text
    assert "Ok" in text and "3 regions" in text and "5 characters" in text
    assert "RecognizeRegions" in text


@pytest.mark.parametrize(
    ("status", "kind", "needle"),
    [
        ("Completed", "k-ok", None),
        ("Error", "k-error", "without a message"),
        ("NotExist", "k-unknown", "24 hours"),
        ("Pending", "k-running", "%ocr_fetch"),
        ("Processing", "k-running", "client.wait("),
        ("Frobnicating", "k-unknown", None),
    ],
)
def test_status_chip_colour_and_note(status: str, kind: str, needle: str | None) -> None:
    parsed = audit(render_result_html(make_result([], status=status, code="Error")))
    (chip,) = [e for e in parsed.elements if "st" in e.attrs.get("class", "").split()]
    assert chip.text == status
    assert kind in chip.attrs["class"].split()
    if needle:
        assert needle in parsed.visible_text


def test_messages_and_warnings_are_listed() -> None:
    result = make_result(
        [], status="Error", messages=["Image is broken", "Try PNG"], warnings=["Low contrast"]
    )
    parsed = audit(render_result_html(result))
    errors = [e for e in parsed.find("ul") if e.attrs.get("class") == "er"]
    assert errors
    items = [e.text for e in parsed.find("li")]
    assert items == ["Image is broken", "Try PNG", "Low contrast"]


def test_notes_from_the_caller_are_shown_escaped() -> None:
    html = render_result_html(make_result([("Text", "x")]), notes=["From the <local> store"])
    assert "From the &lt;local&gt; store" in html


def test_completed_without_results() -> None:
    parsed = audit(render_result_html(make_result([])))
    assert "completed with no results" in parsed.visible_text


# -- truncation ------------------------------------------------------------------------------


def test_regions_after_display_limit_are_hidden_with_a_footer() -> None:
    result = make_result([("Text", f"line {i}") for i in range(60)])
    parsed = audit(render_result_html(result))
    assert len(parsed.find("pre")) == 50
    text = parsed.visible_text
    assert "10 more regions not shown" in text
    assert "%config OCRMagics.display_limit = None" in text
    assert "result.regions[50:]" in text
    assert "for region in result" in text
    everything = audit(render_result_html(result, display_limit=None))
    assert len(everything.find("pre")) == 60
    assert "more region" not in everything.visible_text
    none = audit(render_result_html(result, display_limit=0))
    assert not none.find("pre") and "60 more regions not shown" in none.visible_text


def test_negative_limits_are_refused_with_a_clear_message() -> None:
    result = make_result([("Text", "x")])
    with pytest.raises(ValueError, match="display_limit must be a number >= 0 or None"):
        render_result_html(result, display_limit=-1)
    with pytest.raises(ValueError, match="text_limit"):
        render_result_text(result, text_limit=-5)


def test_huge_text_is_cut_at_text_limit_with_a_footer() -> None:
    text = "x" * 25_000 + "THE END"
    parsed = audit(render_result_html(make_result([("Text", "a"), ("Text", text)])))
    (_, pre) = parsed.find("pre")
    assert len(pre.text) == 20_000 and "THE END" not in pre.text
    footer = parsed.visible_text
    assert "Showing 20,000 of 25,007 characters" in footer
    assert "result.regions[1].text" in footer and "result.text" in footer


def test_five_megabyte_region_stays_small() -> None:
    html = render_result_html(make_result([("Text", "word " * 1_000_000)]))
    assert len(html.encode()) < 40_000
    assert "of 5,000,000 characters" in html


def test_html_of_1000_regions_stays_under_300_kb() -> None:
    text = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 4)[:200]
    result = make_result([("Text", text)] * 1000)
    default = render_result_html(result)
    everything = render_result_html(result, display_limit=None)
    assert len(default.encode()) < 300_000
    assert len(everything.encode()) < 300_000
    assert len(audit(everything).find("pre")) == 1000


# -- overlay ---------------------------------------------------------------------------------


def _submission(orders: tuple[int, ...] = (2, 0, 1)) -> Submission:
    return Submission(
        image=png_bytes((300, 120)),
        regions=(Rect(10, 10, 100, 30), Rect(10, 40, 200, 60), Rect(150, 80, 290, 110)),
        orders=orders,
    )


def _overlay(
    html: str, size: tuple[int, int] = (300, 120)
) -> tuple[list[dict[str, str]], list[str], list[dict[str, str]]]:
    """The boxes (pixel x, y, width, height from their tooltips), labels and images drawn."""
    parsed = audit(html)
    (frame,) = [e for e in parsed.elements if e.attrs.get("class") == "im"]
    assert f"max-width:{size[0]}px" in frame.attrs["style"]
    rects, labels = [], []
    for i, element in enumerate(parsed.elements):
        if "bx" not in element.attrs.get("class", "").split():
            continue
        match = re.fullmatch(
            r"region (\d+): \((\d+), (\d+)\) to \((\d+), (\d+)\)", element.attrs["title"]
        )
        assert match, element.attrs["title"]
        x1, y1, x2, y2 = (int(v) for v in match.groups()[1:])
        # The box sits where the tooltip says, in percentages of the image.
        style = element.attrs["style"]
        assert f"left:{pct(x1, size[0])};top:{pct(y1, size[1])};" in style, style
        assert f"width:{pct(x2 - x1, size[0])};height:{pct(y2 - y1, size[1])};" in style, style
        rects.append({"x": str(x1), "y": str(y1), "width": str(x2 - x1), "height": str(y2 - y1)})
        label = parsed.elements[i + 1]
        assert label.text == match.group(1)
        labels.append(label.text)
    images = [e.attrs for e in parsed.find("img")]
    return rects, labels, images


def test_overlay_draws_each_region_numbered_like_its_card() -> None:
    submission = _submission()
    result = make_result(
        [("Text", "second"), ("Text", "third"), ("Text", "first")], submission=submission
    )
    html = render_result_html(result)
    rects, labels, images = _overlay(html)
    assert labels == ["0", "1", "2"]
    # Results come in ascending `order`: order 0 is the 2nd rectangle, then 3rd, then 1st.
    expected = submission.rects_in_result_order()
    assert [(int(r["x"]), int(r["y"])) for r in rects] == [
        (e.top_left_x, e.top_left_y) for e in expected
    ]
    assert int(rects[0]["width"]) == 190 and int(rects[0]["height"]) == 20
    (image,) = images
    assert _data(image["src"]) == ("image/png", submission.image)
    # The cards beside it carry the same numbers and their orders.
    parsed = audit(html)
    assert [e.text for e in parsed.find("b")] == ["0", "1", "2"]
    assert "order 0" in parsed.visible_text and "order 2" in parsed.visible_text


def test_overlay_draws_only_the_shown_regions() -> None:
    submission = _submission()
    result = make_result([("Text", "a"), ("Text", "b"), ("Text", "c")], submission=submission)
    rects, labels, _ = _overlay(render_result_html(result, display_limit=2))
    assert labels == ["0", "1"] and len(rects) == 2
    assert "first 2 of 3 drawn" in audit(render_result_html(result, display_limit=2)).visible_text


def test_overlay_when_results_do_not_match_regions_says_so() -> None:
    result = make_result([("Text", "a")], submission=_submission())
    html = render_result_html(result)
    rects, labels, _ = _overlay(html)
    assert labels == ["0", "1", "2"] and len(rects) == 3
    assert "numbers are the submission order" in audit(html).visible_text


def test_overlay_of_detected_boxes_on_a_whole_image_task() -> None:
    image = png_bytes((300, 120))
    result = make_result(
        [("Other", "[[1, 2, 50, 60], [70, 10, 120, 40]]")],
        api="DetectRegions",
        submission=Submission(image=image, api="DetectRegions"),
    )
    rects, labels, images = _overlay(render_result_html(result))
    assert labels == ["0", "1"] and [r["x"] for r in rects] == ["1", "70"]
    assert images


def test_overlay_with_an_image_the_browser_cannot_show() -> None:
    submission = Submission(image=b"II*\x00 a TIFF", regions=(Rect(0, 0, 40, 20),))
    html = render_result_html(make_result([("Text", "t")], submission=submission))
    rects, labels, images = _overlay(html, size=(40, 20))
    assert not images and labels == ["0"] and rects[0]["width"] == "40"
    parsed = audit(html)
    (canvas,) = [e for e in parsed.elements if e.attrs.get("class") == "bg"]
    assert "padding-top:50%" in canvas.attrs["style"]  # the regions' proportions
    assert "cannot be shown inline" in parsed.visible_text


def test_overlay_with_a_too_large_image_keeps_its_size() -> None:
    submission = _submission()
    result = make_result([("Text", "a")] * 3, submission=submission)
    html = render_result_html(result, embed_limit=100)
    rects, _, images = _overlay(html)  # the image's own size, from its header
    assert not images and len(rects) == 3
    parsed = audit(html)
    (canvas,) = [e for e in parsed.elements if e.attrs.get("class") == "bg"]
    assert "padding-top:40%" in canvas.attrs["style"]
    assert "too large to embed" in parsed.visible_text


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "BMP", "WEBP"])
def test_sniff_image_reads_sizes_of_browser_formats(fmt: str) -> None:
    info = sniff_image(png_bytes((123, 45), fmt=fmt))
    assert info is not None
    assert (info.width, info.height) == (123, 45)
    assert info.mime == "image/" + fmt.lower()


def test_sniff_image_refuses_other_bytes() -> None:
    for data in (
        b"",
        b"<svg onload=alert(1)>",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"%PDF-1.4",
        b"\x89PNG\r\n\x1a\n",  # a signature and nothing else
        b"II*\x00",
        b"GIF8",
    ):
        assert sniff_image(data) is None, data


# -- text/plain and the mimebundle -----------------------------------------------------------


def test_plain_text_lists_regions_with_truncation() -> None:
    result = make_result(
        [("Text", "hello\nworld"), ("Pdf", PDF_BYTES), ("Text", "y" * 3000)],
        messages=["note"],
    )
    text = render_result_text(result)
    lines = text.splitlines()
    assert lines[0] == repr(result)
    assert "message: note" in lines
    assert "[0] Text: 11 characters" in lines
    assert "    hello" in lines and "    world" in lines
    assert any(line.startswith("[1] Pdf:") and "save(folder)" in line for line in lines)
    assert "    … 1,000 more characters: result.regions[2].text" in lines
    short = render_result_text(result, display_limit=1)
    assert "2 more regions not shown" in short


def test_mimebundle_uses_the_module_defaults() -> None:
    result = make_result([("Text", f"r{i}") for i in range(5)])
    saved = DEFAULTS.display_limit
    try:
        set_display_limit(2)
        bundle = result._repr_mimebundle_()
        assert set(bundle) == {"text/plain", "text/html"}
        assert len(audit(bundle["text/html"]).find("pre")) == 2
        assert "3 more regions not shown" in bundle["text/plain"]
        set_display_limit(None)
        assert len(audit(result._repr_mimebundle_()["text/html"]).find("pre")) == 5
        with pytest.raises(ValueError, match="display_limit"):
            set_display_limit(-1)
    finally:
        DEFAULTS.display_limit = saved


def test_mimebundle_honours_include_and_exclude() -> None:
    result = make_result([("Text", "x")])
    assert set(mimebundle(result, include={"text/plain"})) == {"text/plain"}
    assert set(mimebundle(result, exclude={"text/html"})) == {"text/plain"}
    assert mimebundle(result, include={"image/png"}) == {}


def test_ipython_display_formatter_uses_the_bundle() -> None:
    from IPython.core.formatters import DisplayFormatter

    result = make_result([("Text", "<b>bold?</b>")])
    data, _ = DisplayFormatter().format(result)  # type: ignore[no-untyped-call]
    assert "&lt;b&gt;bold?&lt;/b&gt;" in data["text/html"]
    assert data["text/plain"].startswith("<OCRResult id=")


def test_several_results_with_a_failed_slot() -> None:
    ok = make_result([("Text", "fine")])
    failed = TaskFailedError("Task 1 failed: <bad>", task_id="1", messages=("<bad>",))
    parsed = audit(render_results_html([ok, failed]))
    assert "fine" in parsed.visible_text
    assert "TaskFailedError: Task 1 failed: <bad>" in parsed.visible_text


def test_round_trip_through_to_dict_renders_the_same() -> None:
    result = make_result([("Text", "same"), ("Pdf", PDF_BYTES)], submission=_submission())
    again = OCRResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert render_result_html(again) == render_result_html(result.with_submission(again.submission))


@pytest.fixture(autouse=True)
def _defaults_untouched() -> Iterator[None]:
    before = (DEFAULTS.display_limit, DEFAULTS.text_limit, DEFAULTS.embed_limit)
    yield
    assert (DEFAULTS.display_limit, DEFAULTS.text_limit, DEFAULTS.embed_limit) == before
