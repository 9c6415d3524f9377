"""Figure 6, the emulator itself: GETs per second it serves, and OCR time per region.

So the other figures are known not to be emulator-bound: the emulator runs in its own
process and is loaded by a deliberately cheap client (raw HTTP/1.1 on asyncio streams,
32 keep-alive connections) that costs far less per request than any real client.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

from ocr_notebook import OCRClient
from ocr_notebook.emulator.samples import SAMPLE_REGIONS, sample_png

from .emulator_process import EmulatorProcess
from .table import Row, fmt_spread, spread

__all__ = ["run_server"]

FIGURE = "6. Emulator"


async def _load(base_url: str, token: str, ids: list[str], connections: int, seconds: float) -> int:
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    requests = [
        (
            f"GET /v5.0/ocr/RecognizeRegions?id={task_id} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Authorization: Bearer {token}\r\nAccept: application/json\r\n\r\n"
        ).encode("ascii")
        for task_id in ids
    ]
    deadline = time.monotonic() + seconds
    done = 0

    async def worker(offset: int) -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection(host, port)
        i = offset
        try:
            while time.monotonic() < deadline:
                writer.write(requests[i % len(requests)])
                i += connections
                head = await reader.readuntil(b"\r\n\r\n")
                if not head.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(head[:100].decode("latin-1"))
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                done += 1
        finally:
            writer.close()
            await writer.wait_closed()

    await asyncio.gather(*(worker(k) for k in range(connections)))
    return done


def _ocr_per_region(emu: EmulatorProcess) -> tuple[float, int, int]:
    """POST the sample with its regions, GET it (the GET waits for the work); seconds per
    region, and characters right / total."""
    image = sample_png()
    rects = [rect for rect, _ in SAMPLE_REGIONS]
    with OCRClient(emu.base_url, token=emu.token) as client:
        started = time.perf_counter()
        task_id = client.submit_regions(image, rects)
        result = client.get_result(task_id)
        seconds = time.perf_counter() - started
    expected = [text for _, text in SAMPLE_REGIONS]
    right = sum(
        sum(a == b for a, b in zip(got, want, strict=False))
        for got, want in zip(result.texts, expected, strict=False)
    )
    return seconds / len(rects), right, sum(len(t) for t in expected)


def run_server(repeats: int, *, seconds: float = 3.0, connections: int = 32) -> list[Row]:
    """GETs/s of completed 10-region tasks at ``connections`` concurrency; OCR per region."""
    with EmulatorProcess() as emu:
        ids, _ = emu.inject(1000, regions=10, chars=100)
        asyncio.run(_load(emu.base_url, emu.token, ids, connections, 0.5))  # warm-up
        rates = [
            asyncio.run(_load(emu.base_url, emu.token, ids, connections, seconds)) / seconds
            for _ in range(repeats)
        ]
        _ocr_per_region(emu)  # warm-up: each OCR worker loads its model once
        ocr = [_ocr_per_region(emu) for _ in range(repeats)]
    rate = spread(rates)
    per_region = spread([o[0] * 1000 for o in ocr])
    right, total = ocr[-1][1], ocr[-1][2]
    return [
        Row(
            FIGURE,
            f"GET of a completed 10-region task, {connections} connections",
            "emulator (own process; raw asyncio HTTP client)",
            f"{rate.median:,.0f} req/s",
            fmt_spread(rate, "req/s", 0),
        ),
        Row(
            FIGURE,
            "OCR of the bundled sample (4 regions), POST to result",
            "emulator: Tesseract via tesserocr",
            f"{per_region.median:.0f} ms per region",
            fmt_spread(per_region, "ms", 0),
            f"{right}/{total} characters right",
        ),
    ]
