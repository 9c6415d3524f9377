"""Figure 1, fetch throughput: ours vs the vendor SDK loop vs a raw httpx loop.

N Completed RecognizeRegions tasks of 10 regions each are injected into an emulator running
in its own process; each contender fetches all of them, and the contenders take turns
within every repeat (the order rotates), so background load hits them alike.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from ocr_notebook import AsyncOCRClient, OCRClient, OCRResult
from ocr_notebook.client.polling import DEFAULT_CONCURRENCY

from .emulator_process import EmulatorProcess, region_text
from .table import Row, fmt_spread, spread

__all__ = ["run_fetch"]

FIGURE = "1. Fetch throughput"
REGIONS = 10
CHARS = 100

Contender = Callable[[EmulatorProcess, list[str], int], int]


def _check_texts(texts: list[str]) -> None:
    expected = [region_text(i, CHARS) for i in range(REGIONS)]
    if texts != expected:
        raise AssertionError(f"wrong region texts: {texts[:2]!r}...")


def ours_async(emu: EmulatorProcess, ids: list[str], concurrency: int) -> int:
    async def go() -> int:
        async with AsyncOCRClient(emu.base_url, token=emu.token) as client:
            results = await client.fetch_many(ids, concurrency=concurrency)
        done = [r for r in results if isinstance(r, OCRResult)]
        _check_texts(done[0].texts)
        return len(done)

    return asyncio.run(go())


def ours_sync(emu: EmulatorProcess, ids: list[str], concurrency: int) -> int:
    with OCRClient(emu.base_url, token=emu.token) as client:
        results = client.fetch_many(ids, concurrency=concurrency)
    done = [r for r in results if isinstance(r, OCRResult)]
    _check_texts(done[0].texts)
    return len(done)


def vendor_sdk(emu: EmulatorProcess, ids: list[str], concurrency: int) -> int:
    sdk: Any = importlib.import_module("aspose_ocr_cloud")
    configuration = sdk.Configuration(host=emu.base_url, access_token=emu.token)
    done = 0
    with sdk.ApiClient(configuration) as api_client:
        api = sdk.RecognizeRegionsApi(api_client)
        for task_id in ids:
            response = api.get_recognize_regions(id=task_id)
            # Decoded as the SDK's README does it.
            texts = [base64.b64decode(r.data).decode("utf-8") for r in response.results]
            if response.task_status == "Completed":
                done += 1
    _check_texts(texts)
    return done


def raw_httpx(emu: EmulatorProcess, ids: list[str], concurrency: int) -> int:
    async def go() -> int:
        gate = asyncio.Semaphore(concurrency)
        headers = {"Authorization": f"Bearer {emu.token}"}
        async with httpx.AsyncClient(base_url=emu.base_url, headers=headers) as client:

            async def one(task_id: str) -> Any:
                async with gate:
                    response = await client.get(
                        "/v5.0/ocr/RecognizeRegions", params={"id": task_id}
                    )
                    return json.loads(response.content)

            bodies = await asyncio.gather(*(one(t) for t in ids))
        return sum(1 for b in bodies if b["taskStatus"] == "Completed")

    return asyncio.run(go())


def _measure(
    emu: EmulatorProcess,
    ids: list[str],
    contenders: dict[str, tuple[Contender, int]],
    repeats: int,
    once: frozenset[str] = frozenset(),
) -> dict[str, list[float]]:
    """Time every contender ``repeats`` times, taking turns (those in ``once``: one time)."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    warm = ids[: min(20, len(ids))]
    for name in names:  # connection set-up, imports, first-call costs: not measured
        func, concurrency = contenders[name]
        func(emu, warm, concurrency)
    for repeat in range(repeats):
        order = names[repeat % len(names) :] + names[: repeat % len(names)]
        for name in order:
            if name in once and times[name]:
                continue
            func, concurrency = contenders[name]
            started = time.perf_counter()
            done = func(emu, ids, concurrency)
            times[name].append(time.perf_counter() - started)
            if done != len(ids):
                raise AssertionError(f"{name} completed {done} of {len(ids)} tasks")
    return times


def _rows(
    case: str,
    count: int,
    times: dict[str, list[float]],
    labels: dict[str, str],
    comparisons: list[tuple[str, str, str]],
) -> list[Row]:
    """Rows per contender; ``comparisons`` is ``(ours, sdk, raw)`` name triples."""
    medians = {name: spread(values).median for name, values in times.items()}
    rows: list[Row] = []
    judged: dict[str, tuple[str, str, bool | None, str]] = {}
    for ours, sdk, raw in comparisons:
        vs_sdk = medians[sdk] / medians[ours]
        vs_raw = medians[ours] / medians[raw]
        fast, close = vs_sdk >= 10, vs_raw <= 1.25
        judged[ours] = (
            f"{vs_sdk:.1f}x SDK throughput; {vs_raw:.2f}x raw httpx time",
            ">= 10x SDK; <= 1.25x raw",
            fast and close,
            f"SDK {'yes' if fast else '**NO**'}; raw {'yes' if close else '**NO**'}",
        )
    for name, values in times.items():
        rates = [count / t for t in values]
        s = spread(rates)
        ratio, target, met, verdict = judged.get(name, ("", "", None, ""))
        rows.append(
            Row(
                FIGURE,
                case,
                labels[name],
                f"{s.median:,.0f} tasks/s ({spread(values).median:.2f} s)",
                fmt_spread(s, "tasks/s", 0),
                ratio,
                target,
                met,
                verdict,
            )
        )
    return rows


def run_fetch(
    tasks: int,
    repeats: int,
    *,
    delay: float = 0.05,
    delay_tasks: int = 300,
    delay_repeats: int = 1,
) -> list[Row]:
    """Figure 1 on loopback, then again with ``delay`` seconds of service latency per GET.

    Args:
        tasks: Completed tasks to fetch (the issue: 1,000).
        repeats: Timed runs of each contender on plain loopback.
        delay: Simulated service/network latency per GET for the second set (0: skip it).
        delay_tasks: Tasks in the second set (the SDK loop takes ``delay_tasks * delay``).
        delay_repeats: Timed runs with the delay.
    """
    c = DEFAULT_CONCURRENCY  # what a user gets without choosing
    labels = {
        "async": f"ours: AsyncOCRClient.fetch_many (default c={c})",
        "sync": f"ours: OCRClient.fetch_many (default c={c})",
        "sdk": "vendor SDK get_recognize_regions loop",
        "raw": f"raw httpx.AsyncClient + json.loads (c={c})",
    }
    contenders: dict[str, tuple[Contender, int]] = {
        "async": (ours_async, c),
        "sync": (ours_sync, c),
        "sdk": (vendor_sdk, 1),
        "raw": (raw_httpx, c),
    }
    rows: list[Row] = []
    with EmulatorProcess() as emu:
        ids, _ = emu.inject(tasks, regions=REGIONS, chars=CHARS)
        times = _measure(emu, ids, contenders, repeats)
    case = f"{tasks:,} tasks x {REGIONS} regions, loopback"
    rows += _rows(case, tasks, times, labels, [("async", "sdk", "raw"), ("sync", "sdk", "raw")])
    if delay > 0:
        wide = dict(contenders)
        wide["async32"] = (ours_async, 32)
        wide["raw32"] = (raw_httpx, 32)
        labels.update(
            {
                "async32": "ours: AsyncOCRClient.fetch_many (c=32)",
                "raw32": "raw httpx.AsyncClient + json.loads (c=32)",
            }
        )
        with EmulatorProcess(delay=delay) as emu:
            ids, _ = emu.inject(delay_tasks, regions=REGIONS, chars=CHARS)
            # The SDK loop is latency-bound (delay_tasks x delay, every time): timed once.
            times = _measure(emu, ids, wide, delay_repeats, once=frozenset({"sdk"}))
        case = f"{delay_tasks:,} tasks x {REGIONS} regions, +{delay * 1000:.0f} ms per GET"
        rows += _rows(
            case,
            delay_tasks,
            times,
            labels,
            [("async", "sdk", "raw"), ("sync", "sdk", "raw"), ("async32", "sdk", "raw32")],
        )
    return rows
