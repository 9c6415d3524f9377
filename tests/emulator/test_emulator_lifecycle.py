"""Task lifecycle on an injected clock: latency phases, retention, injected tasks. No sleeping."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ocr_notebook.emulator import Emulator
from tests.support.clock import FakeClock
from tests.support.emulator import (
    b64,
    check_response,
    decoded,
    regions_body,
    running_emulator,
    text_image,
)

IMAGE, RECTS = text_image(["Later, not now"])


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def slow(clock: FakeClock) -> Iterator[Emulator]:
    with running_emulator(clock, latency=3.0, retention=100.0) as emu:
        yield emu


@pytest.fixture
def http(slow: Emulator) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {slow.issue_token()}"}
    with httpx.Client(base_url=slow.base_url, headers=headers, timeout=30.0) as client:
        yield client


def _get(http: httpx.Client, task_id: str, api: str = "RecognizeRegions") -> dict[str, Any]:
    body: dict[str, Any] = check_response(http.get(f"/v5.0/ocr/{api}", params={"id": task_id}))
    return body


def _status(http: httpx.Client, task_id: str) -> dict[str, Any]:
    body: dict[str, Any] = check_response(
        http.get("/v5.0/ocr/Utilities/GetTaskStatus", params={"id": task_id})
    )
    return body


def test_pending_then_processing_then_completed(clock: FakeClock, http: httpx.Client) -> None:
    task_id = check_response(
        http.post("/v5.0/ocr/RecognizeRegions", json=regions_body(IMAGE, RECTS))
    )
    seen = []
    for step in (0.0, 0.9, 0.2, 1.8, 0.1):
        clock.advance(step)
        body = _get(http, task_id)
        assert body["results"] is None or body["taskStatus"] == "Completed"
        seen.append((body["taskStatus"], body["responseStatusCode"]))
        assert _status(http, task_id)["taskStatus"] == body["taskStatus"]
    assert seen == [
        ("Pending", "NotReady"),
        ("Pending", "NotReady"),
        ("Processing", "NotReady"),
        ("Processing", "NotReady"),
        ("Completed", "Ok"),
    ]
    assert decoded(_get(http, task_id)) == [("Text", b"Later, not now")]


def test_latency_can_change_while_running(slow: Emulator, http: httpx.Client) -> None:
    slow.latency = 0.0
    task_id = check_response(http.post("/v5.0/ocr/RecognizeImage", json={"image": b64(IMAGE)}))
    assert _get(http, task_id, "RecognizeImage")["taskStatus"] == "Completed"
    with pytest.raises(ValueError, match="latency"):
        slow.latency = -1.0


def test_cancelling_a_pending_task_forgets_it(clock: FakeClock, http: httpx.Client) -> None:
    task_id = check_response(
        http.post("/v5.0/ocr/RecognizeRegions", json=regions_body(IMAGE, RECTS))
    )
    assert _get(http, task_id)["taskStatus"] == "Pending"
    assert http.delete("/v5.0/ocr/RecognizeRegions", params={"id": task_id}).status_code == 200
    clock.advance(10.0)
    assert _get(http, task_id)["taskStatus"] == "NotExist"


def test_results_expire_after_retention(
    clock: FakeClock, slow: Emulator, http: httpx.Client
) -> None:
    task_id = check_response(
        http.post("/v5.0/ocr/RecognizeRegions", json=regions_body(IMAGE, RECTS))
    )
    injected = slow.inject_task(results=[("Text", "kept a while")], latency=0.0)
    clock.advance(99.0)
    assert _get(http, task_id)["taskStatus"] == "Completed"
    assert _get(http, injected)["taskStatus"] == "Completed"
    clock.advance(1.0)
    for gone in (task_id, injected):
        body = _get(http, gone)
        assert (body["taskStatus"], body["responseStatusCode"], body["results"]) == (
            "NotExist",
            "TaskNotFound",
            None,
        )
        assert _status(http, gone)["taskStatus"] == "NotExist"


def test_default_retention_is_a_day_and_can_be_changed(clock: FakeClock) -> None:
    with Emulator(clock=clock) as emu:
        assert emu.retention == 86400.0
        task_id = emu.inject_task(results=[("Text", "x")])

        def status() -> str:
            # A fresh token each time: a day is longer than a token lives.
            headers = {"Authorization": f"Bearer {emu.issue_token()}"}
            url = f"{emu.base_url}/v5.0/ocr/RecognizeRegions"
            return str(httpx.get(url, params={"id": task_id}, headers=headers).json()["taskStatus"])

        clock.advance(86399.0)
        assert status() == "Completed"
        emu.retention = 10.0
        assert status() == "NotExist"
        assert emu.task_count() == 0


def test_injected_task_follows_its_own_latency(
    clock: FakeClock, slow: Emulator, http: httpx.Client
) -> None:
    task_id = slow.inject_task(api="RecognizeImage", results=[("Text", b"late")], latency=30.0)
    assert _get(http, task_id, "RecognizeImage")["taskStatus"] == "Pending"
    clock.advance(10.0)
    assert _get(http, task_id, "RecognizeImage")["taskStatus"] == "Processing"
    clock.advance(20.0)
    assert decoded(_get(http, task_id, "RecognizeImage")) == [("Text", b"late")]


def test_injected_error_task(slow: Emulator, http: httpx.Client) -> None:
    task_id = slow.inject_task(
        status="Error", results=None, messages=["Bad scan"], warnings=["Blurry"], latency=0.0
    )
    body = _get(http, task_id)
    assert body == {
        "id": task_id,
        "responseStatusCode": "Error",
        "taskStatus": "Error",
        "results": None,
        "error": {"messages": ["Bad scan"], "warnings": ["Blurry"]},
    }


def test_injected_task_that_never_finishes(
    clock: FakeClock, slow: Emulator, http: httpx.Client
) -> None:
    task_id = slow.inject_task(status="Processing", latency=0.0)
    clock.advance(50.0)
    body = _get(http, task_id)
    assert (body["taskStatus"], body["responseStatusCode"], body["results"]) == (
        "Processing",
        "NotReady",
        None,
    )


def test_injected_status_code_override_and_hostile_text(slow: Emulator, http: httpx.Client) -> None:
    hostile = "<script>alert('x')</script>\u202e\x00"
    task_id = slow.inject_task(
        results=[("Text", hostile), ("Hocr", b"<div onload=x>")],
        response_status_code="PartiallyNotFound",
        latency=0.0,
    )
    body = _get(http, task_id)
    assert body["responseStatusCode"] == "PartiallyNotFound"
    assert decoded(body) == [("Text", hostile.encode()), ("Hocr", b"<div onload=x>")]


def test_injected_speech_task_gets_a_tts_id(slow: Emulator, http: httpx.Client) -> None:
    task_id = slow.inject_task(
        api="ConvertTextToSpeech", results=[("WavFile", b"RIFF")], latency=0.0
    )
    assert task_id.startswith("TTS")
    assert _get(http, task_id, "ConvertTextToSpeech")["taskStatus"] == "Completed"


def test_injected_task_with_a_chosen_id(slow: Emulator, http: httpx.Client) -> None:
    chosen = "b7162f77-bf10-407d-86de-ee255e422ca7"
    assert slow.inject_task(results=[], task_id=chosen, latency=0.0) == chosen
    assert _get(http, chosen)["results"] == []


def test_inject_rejects_an_unknown_status(slow: Emulator) -> None:
    with pytest.raises(ValueError, match="status must be one of"):
        slow.inject_task(status="Done")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"latency": -1.0}, "latency"),
        ({"retention": 0.0}, "retention"),
        ({"token_ttl": float("nan")}, "token_ttl"),
        ({"port": 70000}, "port"),
        ({"client_id": ""}, "client_id"),
    ],
)
def test_bad_constructor_arguments_say_what_to_do(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Emulator(**kwargs)


def test_non_loopback_host_warns() -> None:
    from ocr_notebook.emulator import EmulatorWarning

    with pytest.warns(EmulatorWarning, match="not loopback"):
        Emulator(host="0.0.0.0")


def test_start_stop_is_clean_and_repeatable() -> None:
    emu = Emulator()
    with pytest.raises(RuntimeError, match="not running"):
        _ = emu.base_url
    with emu:
        url = emu.base_url
        assert emu.running
        assert (
            httpx.get(f"{url}/v5.0/ocr/RecognizeImageTrial", params={"id": "x"}).status_code == 200
        )
    assert not emu.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/v5.0/ocr/RecognizeImageTrial", params={"id": "x"})
    emu.stop()  # twice is fine
