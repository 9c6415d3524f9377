"""The client against the real emulator over loopback HTTP: one table, both clients.

Every scenario runs against ``OCRClient`` and ``AsyncOCRClient``. Scenarios that need
time to pass use an emulator and a client sharing one fake clock: polling "sleeps" by
moving that clock, so the lifecycle Pending -> Processing -> Completed is seen without
waiting.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr_notebook import (
    InvalidTaskIdError,
    OCRResult,
    PollEvent,
    PollingTimeoutError,
    Rect,
    TaskFailedError,
    TaskNotFoundError,
    TaskStatus,
    UnknownOperationError,
)
from ocr_notebook.emulator import Emulator
from ocr_notebook.wire.operations import FETCH_OPERATIONS
from tests.support.client import make_driver
from tests.support.clock import FakeClock
from tests.support.emulator import running_emulator

LINES = ("Hello regions 42", "Second line here")
BOXES = ((0, 0, 700, 90), (0, 90, 700, 180))


def _sample() -> Image.Image:
    font = ImageFont.load_default(size=36)
    image = Image.new("L", (700, 200), 255)
    draw = ImageDraw.Draw(image)
    for i, text in enumerate(LINES):
        draw.text((20, 20 + 90 * i), text, fill=0, font=font)
    return image


SAMPLE = _sample()


def _png() -> bytes:
    buffer = io.BytesIO()
    SAMPLE.save(buffer, format="PNG")
    return buffer.getvalue()


SAMPLE_PNG = _png()


@dataclass
class Env:
    call: Callable[..., Any]
    emu: Emulator
    clock: FakeClock | None


# -- the scenarios ----------------------------------------------------------------------


def submit_regions_then_wait(env: Env) -> None:
    task_id = env.call("submit_regions", SAMPLE_PNG, BOXES)
    result = env.call("wait", task_id)
    assert result.status is TaskStatus.COMPLETED
    assert result.texts == list(LINES)
    assert result.submission is not None
    assert result.submission.regions == tuple(Rect.from_box(b) for b in BOXES)
    assert result.submission.image == SAMPLE_PNG


def submit_pil_image_whole(env: Env) -> None:
    task_id = env.call("submit_image", SAMPLE)
    result = env.call("wait", task_id, "RecognizeImage")
    assert [line for line in result.text.splitlines() if line] == list(LINES)
    assert result.api == "RecognizeImage"


def submit_regions_hocr_in_order(env: Env) -> None:
    task_id = env.call("submit_regions", SAMPLE, BOXES, result_type="Hocr", orders=[1, 0])
    result = env.call("wait", task_id)
    assert [r.type for r in result.regions] == ["Hocr", "Hocr"]
    # Results come back ordered by `order`: the second box first.
    assert "Second" in (result.regions[0].text or "")
    assert result.submission.rects_in_result_order()[0] == Rect.from_box(BOXES[1])


def get_result_of_injected_task(env: Env) -> None:
    task_id = env.emu.inject_task(results=[("Text", "one"), ("Text", "two")])
    result = env.call("get_result", task_id)
    assert isinstance(result, OCRResult)
    assert result.texts == ["one", "two"]
    assert result.submission is None


def get_result_unknown_is_not_exist(env: Env) -> None:
    result = env.call("get_result", "00000000-0000-0000-0000-000000000000")
    assert result.status is TaskStatus.NOT_EXIST


def get_status_has_no_results(env: Env) -> None:
    task_id = env.emu.inject_task(results=[("Text", "x")])
    result = env.call("get_status", task_id)
    assert result.status is TaskStatus.COMPLETED
    assert result.regions == ()


def api_name_any_case(env: Env) -> None:
    task_id = env.emu.inject_task(api="RecognizeReceipt", results=[("Text", "receipt")])
    assert env.call("wait", task_id, "recognizereceipt").text == "receipt"


def every_operation_get_by_id(env: Env) -> None:
    for api in FETCH_OPERATIONS:
        task_id = env.emu.inject_task(api=api, results=[("Text", api)])
        result = env.call("get_result", task_id, api)
        assert (result.status, result.text, result.api) == (TaskStatus.COMPLETED, api, api)


def wait_error_raises_task_failed(env: Env) -> None:
    task_id = env.emu.inject_task(status="Error", results=None, messages=["Cannot decode"])
    with pytest.raises(TaskFailedError) as info:
        env.call("wait", task_id)
    assert info.value.task_id == task_id
    assert info.value.messages == ("Cannot decode",)
    assert info.value.result is not None
    assert info.value.result.status is TaskStatus.ERROR
    assert "Cannot decode" in str(info.value)


def wait_not_exist_raises_not_found(env: Env) -> None:
    with pytest.raises(TaskNotFoundError) as info:
        env.call("wait", "11111111-2222-3333-4444-555555555555")
    assert info.value.status == "NotExist"
    assert info.value.result is not None


def cancel_then_not_exist(env: Env) -> None:
    task_id = env.emu.inject_task(results=[("Text", "x")], status="Pending")
    assert env.call("cancel", task_id) is None
    assert env.call("get_result", task_id).status is TaskStatus.NOT_EXIST


def malformed_id_is_refused(env: Env) -> None:
    with pytest.raises(InvalidTaskIdError, match="no request was sent"):
        env.call("wait", "not-a-guid")
    with pytest.raises(UnknownOperationError, match="RecognizeRegions"):
        env.call("get_result", "00000000-0000-0000-0000-000000000000", "RecognizeFast")


def fetch_many_mixed(env: Env) -> None:
    done = [env.emu.inject_task(results=[("Text", f"t{i}")]) for i in range(5)]
    failed = env.emu.inject_task(status="Error", results=None, messages=["bad"])
    ids = [done[0], "bogus", failed, *done[1:], "00000000-0000-0000-0000-000000000000"]
    slots = env.call("fetch_many", ids, concurrency=3)
    assert len(slots) == len(ids)
    assert isinstance(slots[1], InvalidTaskIdError)
    assert isinstance(slots[2], TaskFailedError)
    assert isinstance(slots[-1], TaskNotFoundError)
    texts = [s.text for s in slots if isinstance(s, OCRResult)]
    assert texts == [f"t{i}" for i in range(5)]


def lifecycle_seen_by_on_status(env: Env) -> None:
    assert env.clock is not None
    task_id = env.emu.inject_task(results=[("Text", "slow")], latency=2.0)
    events: list[PollEvent] = []
    result = env.call("wait", task_id, on_status=events.append)
    assert result.text == "slow"
    # Default policy without jitter: GETs at 0, 0.2, 0.5, 0.95, 1.625, 2.6375 s;
    # the task is Pending for its first third, Processing until 2 s.
    assert [e.status.value for e in events] == [
        "Pending",
        "Pending",
        "Pending",
        "Processing",
        "Processing",
        "Completed",
    ]
    assert [e.polls for e in events] == [1, 2, 3, 4, 5, 6]
    assert env.clock.sleeps == pytest.approx([0.2, 0.3, 0.45, 0.675, 1.0125])
    assert events[-1].next_delay is None
    assert events[-1].elapsed == pytest.approx(sum(env.clock.sleeps))
    assert all(e.task_id == task_id and e.result is not None for e in events)


def fetch_many_slow_tasks_progress_together(env: Env) -> None:
    assert env.clock is not None
    ids = [env.emu.inject_task(results=[("Text", f"s{i}")], latency=2.0) for i in range(4)]
    events: list[PollEvent] = []
    slots = env.call("fetch_many", ids, concurrency=2, on_status=events.append)
    assert [s.text for s in slots] == ["s0", "s1", "s2", "s3"]
    # Waiting tasks hold no request slot: all four finish within one task's lifetime.
    assert sum(env.clock.sleeps) < 3.0
    assert {e.task_id for e in events if e.status is TaskStatus.COMPLETED} == set(ids)


def timeout_carries_task_and_status(env: Env) -> None:
    assert env.clock is not None
    task_id = env.emu.inject_task(results=[("Text", "x")], status="Processing", latency=0.0)
    with pytest.raises(PollingTimeoutError) as info:
        env.call("wait", task_id, timeout=3.0)
    err = info.value
    assert (err.task_id, err.status) == (task_id, "Processing")
    assert err.elapsed == pytest.approx(3.0)
    # GETs at 0, .2, .5, .95, 1.625, 2.6375 and the last one at the deadline.
    assert err.polls == 7
    assert task_id in str(err)


@dataclass(frozen=True)
class Scenario:
    run: Callable[[Env], None]
    timed: bool = False  # needs the fake-clock emulator

    def __str__(self) -> str:
        return self.run.__name__


SCENARIOS = [
    Scenario(submit_regions_then_wait),
    Scenario(submit_pil_image_whole),
    Scenario(submit_regions_hocr_in_order),
    Scenario(get_result_of_injected_task),
    Scenario(get_result_unknown_is_not_exist),
    Scenario(get_status_has_no_results),
    Scenario(api_name_any_case),
    Scenario(every_operation_get_by_id),
    Scenario(wait_error_raises_task_failed),
    Scenario(wait_not_exist_raises_not_found),
    Scenario(cancel_then_not_exist),
    Scenario(malformed_id_is_refused),
    Scenario(fetch_many_mixed),
    Scenario(lifecycle_seen_by_on_status, timed=True),
    Scenario(fetch_many_slow_tasks_progress_together, timed=True),
    Scenario(timeout_carries_task_and_status, timed=True),
]


@pytest.fixture(scope="module")
def timed_emulator() -> Iterator[tuple[Emulator, FakeClock]]:
    clock = FakeClock()
    with running_emulator(clock, latency=0.0) as emu:
        yield emu, clock


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_scenario(
    scenario: Scenario,
    kind: str,
    emulator: Emulator,
    timed_emulator: tuple[Emulator, FakeClock],
) -> None:
    clock: FakeClock | None = None
    emu = emulator
    if scenario.timed:
        # The emulator reads the same clock the client sleeps on.
        emu, clock = timed_emulator
        clock.sleeps.clear()
    driver = make_driver(
        kind,
        clock,
        base_url=emu.base_url,
        client_id=emu.client_id,
        client_secret=emu.client_secret,
    )
    try:
        scenario.run(Env(driver, emu, clock))
    finally:
        driver.close()
