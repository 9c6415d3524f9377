"""The emulator as a load target: OCR off, a per-client rate limit, and counts of what it served."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ocr_notebook.emulator import Emulator, RequestCounts
from tests.support.clock import FakeClock
from tests.support.credentials import TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.support.emulator import (
    GUID_UNKNOWN,
    check_response,
    decoded,
    regions_body,
    running_emulator,
    text_image,
)

LINES = ["Hello world number one", "Second line 2024"]
STAND_IN = re.compile(r"^[A-Z][a-z]+( [a-z]+)+ \d+$")
REGIONS = "/v5.0/ocr/RecognizeRegions"


def _client(emulator: Emulator) -> httpx.Client:
    headers = {"Authorization": f"Bearer {emulator.issue_token()}"}
    return httpx.Client(base_url=emulator.base_url, headers=headers, timeout=30.0)


def _recognize(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    posted = client.post(REGIONS, json=body)
    task_id = check_response(posted)
    answer: dict[str, Any] = check_response(client.get(REGIONS, params={"id": task_id}))
    assert answer["taskStatus"] == "Completed", answer
    return answer


@pytest.fixture
def no_ocr() -> Iterator[Emulator]:
    with running_emulator(ocr=False) as emulator:
        yield emulator


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_no_ocr_reads_each_region_as_a_stable_stand_in(no_ocr: Emulator) -> None:
    image, rects = text_image(LINES)
    body = regions_body(image, rects)
    with _client(no_ocr) as client:
        first = [data.decode("utf-8") for _, data in decoded(_recognize(client, body))]
        again = [data.decode("utf-8") for _, data in decoded(_recognize(client, body))]
    assert first == again  # the same region of the same image reads the same
    assert len(first) == 2 and first[0] != first[1]
    assert all(STAND_IN.match(text) for text in first), first
    assert not set(first) & set(LINES)  # not Tesseract's reading
    assert repr(no_ocr).count("ocr=off") == 1


def test_no_ocr_hocr_and_pdf_are_well_formed(no_ocr: Emulator) -> None:
    image, rects = text_image(LINES[:1])
    body = regions_body(image, rects, resultType="TextAndPdfAndHocr")
    with _client(no_ocr) as client:
        results = decoded(_recognize(client, body))
    assert [kind for kind, _ in results] == ["Text", "Pdf", "Hocr"]
    text, pdf, hocr = (data for _, data in results)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    words = [
        element.text
        for element in ET.fromstring(hocr).iter()
        if element.get("class") == "ocrx_word"
    ]
    assert " ".join(w or "" for w in words) == text.decode("utf-8")


def test_ocr_switched_on_while_running_reads_the_image_again(no_ocr: Emulator) -> None:
    image, rects = text_image(LINES)
    body = regions_body(image, rects)
    with _client(no_ocr) as client:
        no_ocr.ocr = True
        texts = [data.decode("utf-8") for _, data in decoded(_recognize(client, body))]
    assert texts == LINES


def test_rate_limit_answers_429_with_retry_after_beyond_the_limit(clock: FakeClock) -> None:
    with running_emulator(clock, rate_limit=2) as emulator, _client(emulator) as client:
        params = {"id": GUID_UNKNOWN}
        codes = [client.get(REGIONS, params=params).status_code for _ in range(2)]
        refused = client.get(REGIONS, params=params)
        assert codes == [200, 200]
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "0.500"  # one request's worth at 2/s
        assert "2 requests a second" in check_response(refused)["detail"]
        clock.advance(0.5)
        assert client.get(REGIONS, params=params).status_code == 200
        counts = emulator.counts
    assert (counts.gets, counts.throttled) == (4, 1)
    assert counts.count("GET", "RecognizeRegions", 429) == 1


def test_a_refused_post_makes_no_task_and_the_connection_stays_usable(
    clock: FakeClock,
) -> None:
    image, rects = text_image(LINES[:1])
    body = regions_body(image, rects)
    with running_emulator(clock, rate_limit=1, ocr=False) as emulator, _client(emulator) as client:
        assert client.post(REGIONS, json=body).status_code == 200
        refused = client.post(REGIONS, json=body)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"
        assert emulator.task_count() == 1
        clock.advance(1.0)
        assert client.post(REGIONS, json=body).status_code == 200  # same connection pool
        counts = emulator.counts
    assert counts.submissions("RecognizeRegions") == 2
    assert counts.submissions() == 2
    assert (counts.posts, counts.throttled) == (3, 1)


def test_rate_limit_changes_while_running(clock: FakeClock) -> None:
    params = {"id": GUID_UNKNOWN}
    with running_emulator(clock, rate_limit=10) as emulator, _client(emulator) as client:
        assert client.get(REGIONS, params=params).status_code == 200  # 9 left at 10/s
        emulator.rate_limit = 1
        # A lowered limit takes effect at once: the bucket holds at most one second of it.
        codes = [client.get(REGIONS, params=params).status_code for _ in range(2)]
        assert codes == [200, 429]
        emulator.rate_limit = None
        assert client.get(REGIONS, params=params).status_code == 200
    assert emulator.rate_limit is None


def test_rate_limit_is_per_client_and_spares_the_token_endpoint(clock: FakeClock) -> None:
    image, _ = text_image(LINES[:1])
    trial = {"image": regions_body(image, [])["image"], "settings": {"language": "English"}}
    with running_emulator(clock, rate_limit=1, ocr=False) as emulator:
        with _client(emulator) as client, httpx.Client(base_url=emulator.base_url) as anon:
            assert client.get(REGIONS, params={"id": GUID_UNKNOWN}).status_code == 200
            # No bearer token: limited per address, apart from the authenticated client.
            assert anon.post("/v5.0/ocr/RecognizeImageTrial", json=trial).status_code == 200
            token = anon.post(
                "/connect/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": TEST_CLIENT_ID,
                    "client_secret": TEST_CLIENT_SECRET,
                },
            )
            assert token.status_code == 200
            assert client.get(REGIONS, params={"id": GUID_UNKNOWN}).status_code == 429
        counts = emulator.counts
    assert counts.count(endpoint="token") == 1
    assert counts.submissions("RecognizeImageTrial") == 1


def test_counts_name_submissions_per_operation_polls_and_reset(no_ocr: Emulator) -> None:
    image, rects = text_image(LINES[:1])
    no_ocr.reset_counts()
    with _client(no_ocr) as client:
        _recognize(client, regions_body(image, rects))
        task_id = check_response(
            client.post("/v5.0/ocr/RecognizeImage", json=regions_body(image, []))
        )
        status = client.get("/v5.0/ocr/Utilities/GetTaskStatus", params={"id": task_id})
        assert status.status_code == 200
        assert client.post(REGIONS, json={"image": "not base64!"}).status_code == 400
        assert client.get("/v5.0/ocr/NoSuchThing").status_code == 404
    counts = no_ocr.counts
    assert counts.submissions("RecognizeRegions") == 1
    assert counts.submissions("RecognizeImage") == 1
    assert counts.submissions() == 2  # the refused upload made no task
    assert counts.posts == 3
    assert counts.gets == 3
    assert counts.count("GET", "GetTaskStatus") == 1
    assert counts.count(status=404) == 1
    assert counts.total == 6
    no_ocr.reset_counts()
    assert no_ocr.counts == RequestCounts()


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf")])
def test_a_rate_limit_that_is_not_a_rate_is_refused_in_one_line(bad: float) -> None:
    with pytest.raises(ValueError, match="rate_limit must be requests per second > 0"):
        Emulator(rate_limit=bad)
    emulator = Emulator()
    with pytest.raises(ValueError, match="rate_limit must be requests per second > 0"):
        emulator.rate_limit = bad
