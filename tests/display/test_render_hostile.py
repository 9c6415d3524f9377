"""Hostile results render inert and readable: checked with a real HTML parser."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ocr_notebook import OCRResult, Rect, ResponseFormatError, Submission
from ocr_notebook.display.results import (
    mimebundle,
    render_result_html,
    render_result_text,
    render_results_html,
)
from tests.support.render import audit, b64, make_result, png_bytes

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\"'><svg onload=alert(1)>",
    "' onmouseover='alert(1)' x='",
    "</style><script>alert(document.cookie)</script>",
    "</pre></li></ol></div><iframe src=javascript:alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "<!-- comment --> <![CDATA[ x ]]> &amp; &lt;not an entity&gt; &#x3C;script&#x3E;",
    "{{7*7}} ${alert(1)} `backtick`",
    "مرحبا بالعالم — שלום עולם",  # RTL
    "\u202eevil\u202c and \u2066isolated\u2069",  # bidi overrides
    "emoji 👩‍👩‍👧‍👦 🇺🇦 e\u0301",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<style>*{display:none}</style>",
]


def _assert_shows(html: str, payload: str) -> None:
    parsed = audit(html)
    assert payload in parsed.visible_text, (payload, parsed.visible_text[:500])


@pytest.mark.parametrize("payload", PAYLOADS)
def test_text_region_payload_is_escaped_and_shown_literally(payload: str) -> None:
    html = render_result_html(make_result([("Text", payload)]))
    parsed = audit(html)
    assert [e.text for e in parsed.find("pre")] == [payload]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_in_every_other_wire_field(payload: str) -> None:
    result = make_result(
        [
            (payload, b"bytes of an unknown type"),
            ("Csv", f"head,{json.dumps(payload)}\n1,{json.dumps(payload)}\n"),
            ("Text", json.dumps({payload: payload})),
            ("JSON", json.dumps([payload])),
            ("Other", payload),
        ],
        task_id=payload,
        status=payload,
        code=payload,
        messages=[payload],
        warnings=[payload],
        api=payload,
    )
    html = render_result_html(result, notes=[payload])
    parsed = audit(html)
    text = parsed.visible_text
    # id, status, code, api, type, message, warning, note, CSV cells, invoice key/value
    assert text.count(payload) >= 10
    plain = render_result_text(result)
    assert payload in plain


def test_quotes_in_attribute_positions_cannot_break_out() -> None:
    # The only wire text that lands in an attribute is hOCR's title/id/lang: sanitized there.
    hocr = (
        "<span class='ocrx_word' title='bbox 1 2 3 4\" onmouseover=\"alert(1)' "
        "id='w\"><script>alert(1)</script>' lang='en\" style=\"x'>word</span>"
    )
    parsed = audit(render_result_html(make_result([("Hocr", hocr)])))
    (span,) = [e for e in parsed.find("span") if e.attrs.get("class") == "ocrx_word"]
    assert span.attrs["title"] == 'bbox 1 2 3 4" onmouseover="alert(1)'
    assert span.attrs["id"] == 'ocrnb-w"><script>alert(1)</script>'
    assert span.text == "word"


def test_hostile_hocr_loses_every_active_part() -> None:
    hocr = """<html><head><title>t</title><script>alert(1)</script>
    <style>body{display:none}</style><meta http-equiv="refresh" content="0;url=javascript:alert(1)">
    <link rel="stylesheet" href="https://evil.example/x.css"><base href="https://evil.example/"></head>
    <body onload="alert(1)">
    <div class="ocr_page jp-Notebook lm-Widget" id="page_1" onclick="alert(1)" style="position:fixed">
    <span class="ocr_line"><a href="javascript:alert(1)">link</a>
    <img src=x onerror="alert(1)"><svg onload="alert(1)"><circle r="1"/></svg>
    <iframe src="data:text/html,<script>alert(1)</script>"></iframe>
    <form action="javascript:alert(1)"><input autofocus onfocus="alert(1)"></form>
    <object data="x.swf"></object><embed src="x.swf"><template><script>1</script></template>
    <span class="ocrx_word" title="bbox 1 1 2 2; x_wconf 90">safe</span></span></div></body></html>"""
    html = render_result_html(make_result([("Hocr", hocr)]))
    parsed = audit(html)
    preview = [e for e in parsed.find("div") if e.attrs.get("class") == "ocr_page"]
    assert preview and preview[0].attrs["id"] == "ocrnb-page_1"
    assert not parsed.find("a") and not parsed.find("img") and not parsed.find("svg")
    assert "link" in parsed.visible_text and "safe" in parsed.visible_text
    # The escaped source keeps the payload visible as text, never as markup.
    assert '<a href="javascript:alert(1)">link</a>' in parsed.visible_text


def test_control_characters_are_visible_and_inert() -> None:
    text = "a\x00b\x07c\x1b[31mred\x7fd\x85e\x9bf"
    html = render_result_html(make_result([("Text", text)], messages=["m\x1b]0;title\x07"]))
    parsed = audit(html)
    (pre,) = parsed.find("pre")
    assert pre.text == "a\u2400b\u2407c\u241b[31mred\u2421d\\x85e\\x9bf"
    assert "m\u241b]0;title\u2407" in parsed.visible_text
    plain = render_result_text(make_result([("Text", text)]))
    assert "\x1b" not in plain and "\x07" not in plain and "\x9b" not in plain
    assert "c\u241b[31mred" in plain


def test_invalid_utf8_shows_replacement_characters() -> None:
    data = b"ok \xff\xfe\xc3( bad \xed\xa0\x80 end"
    parsed = audit(render_result_html(make_result([("Text", data)])))
    (pre,) = parsed.find("pre")
    assert pre.text.startswith("ok \ufffd\ufffd\ufffd( bad ")
    assert pre.text.endswith(" end")


def test_lone_surrogates_from_json_do_not_break_encoding() -> None:
    raw = '{"id": "\\ud800x", "taskStatus": "Completed", "results": [], '
    raw += '"error": {"messages": ["half \\udc00 pair"], "warnings": []}}'
    result = OCRResult.from_response(json.loads(raw))
    html = render_result_html(result)
    parsed = audit(html)  # also encodes to UTF-8
    assert "\ufffdx" in parsed.visible_text and "half \ufffd pair" in parsed.visible_text
    render_result_text(result).encode("utf-8")


def test_hostile_submission_cannot_choose_the_image_type() -> None:
    svg = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'><script>1</script></svg>"
    submission = Submission(image=svg, regions=(Rect(0, 0, 10, 10),))
    parsed = audit(render_result_html(make_result([("Text", "t")], submission=submission)))
    assert not parsed.find("img") and not parsed.find("image")
    assert "cannot be shown inline" in parsed.visible_text


def test_huge_hostile_csv_field_falls_back_to_text() -> None:
    field = "<script>" + "x" * 200_000
    html = render_result_html(make_result([("Csv", f"a\n{field}\n")]))
    parsed = audit(html)
    assert parsed.find("pre") and "<script>xxx" in parsed.visible_text


def test_hostile_python_literals_are_not_evaluated_beyond_literals() -> None:
    for text in (
        "{" + "[" * 4990 + "]" * 4990 + "}",
        "{1: " + "-" * 9000 + "1}",
        "{1: 10**10**10}",
        "{'a': __import__('os').system('echo pwned')}",
        "{'a': (lambda: 1)()}",
        '{"a": 9' + "9" * 5000 + "}",
    ):
        parsed = audit(render_result_html(make_result([("Text", text)])))
        assert [e.text for e in parsed.find("pre")] == [text]


def test_deeply_nested_json_does_not_crash() -> None:
    for text in (
        "{" * 100_000,
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
    ):
        for rtype in ("Text", "JSON", "Other"):
            audit(render_result_html(make_result([(rtype, text)])))


def test_results_with_an_error_message_payload() -> None:
    error = ResponseFormatError("<img src=x onerror=alert(1)>")
    _assert_shows(render_results_html([error]), "<img src=x onerror=alert(1)>")


# -- property-based ---------------------------------------------------------------------------

_TYPES = st.one_of(
    st.sampled_from(["Text", "Hocr", "Csv", "Pdf", "ImagePNG", "WavFile", "Other", "JSON", ""]),
    st.text(max_size=20),
)
_DATA = st.one_of(
    st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.binary(max_size=300),
    st.just(png_bytes((8, 8))),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    regions=st.lists(st.tuples(_TYPES, _DATA), max_size=5),
    task_id=st.text(max_size=40),
    status=st.text(max_size=20) | st.sampled_from(["Completed", "Error", "NotExist"]),
    messages=st.lists(st.text(max_size=60), max_size=3),
    warnings=st.lists(st.text(max_size=60), max_size=3),
    limit=st.none() | st.integers(min_value=0, max_value=6),
    with_submission=st.booleans(),
)
def test_arbitrary_wire_strings_never_produce_active_markup(
    regions: list[tuple[str, bytes]],
    task_id: str,
    status: str,
    messages: list[str],
    warnings: list[str],
    limit: int | None,
    with_submission: bool,
) -> None:
    payload = {
        "id": task_id,
        "taskStatus": status,
        "responseStatusCode": status,
        "results": [{"type": t, "data": b64(d)} for t, d in regions],
        "error": {"messages": messages, "warnings": warnings},
    }
    submission = None
    if with_submission:
        submission = Submission(
            image=png_bytes((8, 8)), regions=tuple(Rect(0, 0, i + 1, i + 1) for i in range(3))
        )
    result = OCRResult.from_response(payload, submission=submission)
    html = render_result_html(result, display_limit=limit)
    audit(html)
    text = render_result_text(result, display_limit=limit)
    text.encode("utf-8")
    assert not any(ord(c) < 0x20 and c not in "\n\t\r" for c in text)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
_RESPONSE_KEYS = st.sampled_from(
    ["id", "taskStatus", "responseStatusCode", "results", "error", "type", "data", "messages"]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    payload=st.dictionaries(_RESPONSE_KEYS | st.text(max_size=10), _JSON, max_size=6)
    | _JSON
    | st.fixed_dictionaries(
        {
            "results": st.lists(
                st.fixed_dictionaries({"type": _JSON, "data": _JSON | st.text(max_size=40)}),
                max_size=3,
            ),
            "error": _JSON,
        }
    )
)
def test_arbitrary_json_parses_to_a_typed_error_or_renders(payload: object) -> None:
    try:
        result = OCRResult.from_response(payload)
    except ResponseFormatError:
        return
    bundle = mimebundle(result)
    audit(bundle["text/html"])
    bundle["text/plain"].encode("utf-8")


@pytest.mark.parametrize(
    "markup",
    [
        "<div><script>alert(1)</script></div>",
        '<img src="data:image/png;base64,AA" onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href=" JaVaScRiPt:alert(1)">x</a>',
        '<img src="https://evil.example/x.png">',
        '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
        '<div style="position:fixed">x</div>',
        "<style>.jp-Notebook{display:none}</style>",
        "<style>.ocrnb{}</style><style>.ocrnb{}</style>",
        "<iframe srcdoc=x></iframe>",
        "<svg><foreignObject></foreignObject></svg>",
    ],
)
def test_the_audit_itself_catches_active_markup(markup: str) -> None:
    with pytest.raises(AssertionError):
        audit(markup)
