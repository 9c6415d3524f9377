"""Figure 7, workbench and templates (issue 10): the preview of a large scan, and a batch.

(a) A 6000x4000 grey scan with scanner grain, as a PNG: ``ScanImage.open`` + ``preview()``
    (what the workbench sends to the browser) against sending the PNG whole.
(b) ``RegionTemplate.recognize`` over generated invoices with 50 ms of service latency per
    request (POST and GET, the emulator's ``stall`` fault), against a serial loop with the
    vendor SDK ``aspose-ocr-cloud`` (submit, then poll every 0.2 s like our first polls),
    and the batch's peak Python memory (tracemalloc) against twice the largest image plus
    the results. The emulator runs real OCR (Tesseract) in its own process.

``python -m benchmarks.workbench --serve DELAY`` is the emulator helper (one JSON line with
``base_url`` and ``token``, then it serves until stdin closes).
"""

from __future__ import annotations

import argparse
import base64
import gc
import importlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from .emulator_process import ROOT
from .table import Row, fmt_spread, spread

__all__ = ["run_workbench"]

FIGURE = "7. Workbench and templates"
SCAN_SIZE = (6000, 4000)
PREVIEW_BUDGET = 1_000_000
PREP_TARGET_MS = 300.0


# -- (a) the preview of a 24-megapixel scan ----------------------------------------------------


def _scan_png() -> bytes:
    """A 6000x4000 grey page: lines of text over light scanner grain (a plausible PNG scan)."""
    from PIL import Image, ImageDraw, ImageFont

    grain = Image.effect_noise(SCAN_SIZE, 6).point(lambda v: min(255, v + 120))
    draw = ImageDraw.Draw(grain)
    font = ImageFont.load_default(size=48)
    for n, y in enumerate(range(200, 3800, 90)):
        draw.text((300, y), f"Line {n}: invoice 2026-{n:04d} total ${n * 37}.00 " * 3, 0, font)
    out = io.BytesIO()
    grain.save(out, format="PNG")
    return out.getvalue()


def _preview_rows(repeats: int) -> list[Row]:
    from ocr_notebook import ScanImage

    data = _scan_png()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scan.png"
        path.write_bytes(data)
        ScanImage.open(path).preview()  # warm-up: Pillow's plugins and codecs load once
        opens: list[float] = []
        previews: list[float] = []
        wholes: list[float] = []
        size = 0
        for _ in range(repeats):
            started = time.perf_counter()
            scan = ScanImage.open(path)
            opened = time.perf_counter()
            preview = scan.preview()
            done = time.perf_counter()
            opens.append((opened - started) * 1000)
            previews.append((done - opened) * 1000)
            size = len(preview.data)
            del scan
            started = time.perf_counter()
            whole = base64.b64encode(path.read_bytes())  # what a widget would sync whole
            wholes.append((time.perf_counter() - started) * 1000)
            del whole
    total = spread([o + p for o, p in zip(opens, previews, strict=True)])
    case = f"{SCAN_SIZE[0]}x{SCAN_SIZE[1]} grey PNG scan ({len(data) / 1e6:.1f} MB)"
    return [
        Row(
            FIGURE,
            case,
            "ours: ScanImage.open + preview() (decode, EXIF, downscale, encode)",
            f"{total.median:.0f} ms (open {spread(opens).median:.0f} + preview "
            f"{spread(previews).median:.0f}), {size / 1000:.0f} KB {preview.mime} "
            f"{preview.width}x{preview.height}",
            fmt_spread(total, "ms", 0),
            f"{total.median / PREP_TARGET_MS:.2f}x time budget; payload "
            f"{size / len(data):.3f}x the whole PNG",
            f"< {PREP_TARGET_MS:.0f} ms, <= 1 MB",
            total.median < PREP_TARGET_MS and size <= PREVIEW_BUDGET,
            f"time {'yes' if total.median < PREP_TARGET_MS else '**NO**'}; "
            f"size {'yes' if size <= PREVIEW_BUDGET else '**NO**'}",
        ),
        Row(
            FIGURE,
            case,
            "sending the PNG whole (read + Base64)",
            f"{spread(wholes).median:.0f} ms, {len(data) * 4 / 3 / 1e6:.1f} MB payload",
            fmt_spread(spread(wholes), "ms", 0),
            f"{len(data) * 4 / 3 / PREVIEW_BUDGET:.1f}x the 1 MB budget",
        ),
    ]


# -- (b) a template over a batch ------------------------------------------------------------------


def _serve(delay: float, ocr: bool) -> int:
    from ocr_notebook.emulator import Emulator

    if not ocr:
        # A cloud service runs OCR on its own machines, many tasks at once; here the
        # emulator's Tesseract would share this machine's 2 cores with the client. Without
        # OCR, what is measured is the client's overlap of the service's latency.
        from ocr_notebook.emulator import _ocr

        def stub(image: Any, formats: Any, *, pad: bool = True) -> dict[str, bytes]:
            return {"Text": b"(not recognized: OCR off in this benchmark)"}

        _ocr.recognize = stub
    faults = None
    if delay > 0:
        faults = f"get/RecognizeRegions:stall={delay!r},post/RecognizeRegions:stall={delay!r}"
    with Emulator(port=0, faults=faults) as emu:
        print(json.dumps({"base_url": emu.base_url, "token": emu.issue_token()}), flush=True)
        sys.stdin.read()
    return 0


class _EmulatorWithDelay:
    def __init__(self, delay: float, *, ocr: bool) -> None:
        args = ["--serve", str(delay)] + ([] if ocr else ["--no-ocr"])
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.workbench", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        assert self._proc.stdout is not None
        hello = json.loads(self._proc.stdout.readline())
        self.base_url: str = hello["base_url"]
        self.token: str = hello["token"]

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()


def _write_invoices(folder: Path, count: int) -> list[Path]:
    from ocr_notebook.emulator.samples.invoices import render_invoice

    paths = []
    for number in range(count):
        path = folder / f"invoice-{number:05d}.png"
        render_invoice(number, scale=1.0 if number % 2 else 1.25).save(path, format="PNG")
        paths.append(path)
    return paths


def _write_pages(folder: Path, count: int) -> list[Path]:
    """A4 pages at 300 dpi (2480x3508 grey, 8.7 MB decoded): lines of text, PNG."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=40)
    paths = []
    for number in range(count):
        page = Image.new("L", (2480, 3508), 255)
        draw = ImageDraw.Draw(page)
        for line, y in enumerate(range(150, 3400, 80)):
            draw.text(
                (150, y), f"Page {number} line {line}: total ${line * 37 + number}.00", 0, font
            )
        path = folder / f"page-{number:03d}.png"
        page.save(path, format="PNG", compress_level=1)
        paths.append(path)
    return paths


def _template() -> Any:
    from ocr_notebook import RegionTemplate
    from ocr_notebook.emulator.samples.invoices import INVOICE_FIELDS, INVOICE_SIZE

    return RegionTemplate.from_boxes(
        [box for _, box in INVOICE_FIELDS], INVOICE_SIZE, names=[n for n, _ in INVOICE_FIELDS]
    )


def _ours(emu: _EmulatorWithDelay, paths: list[Path]) -> tuple[float, Any, int, int]:
    """Run the batch; returns (seconds, results, peak - baseline, retained - baseline)."""
    from ocr_notebook import OCRClient
    from ocr_notebook.client import submissions
    from ocr_notebook.notebook.badge import TextBadge
    from ocr_notebook.notebook.batch import recognize_batch

    template = _template()
    badge = TextBadge([p.name for p in paths], stream=io.StringIO())
    submissions.clear()
    gc.collect()
    tracemalloc.start()
    baseline, _ = tracemalloc.get_traced_memory()
    started = time.perf_counter()
    with OCRClient(emu.base_url, token=emu.token) as client:
        results = recognize_batch(template, paths, client=client, badge=badge)
    elapsed = time.perf_counter() - started
    submissions.clear()  # the process-wide cache of submissions is not the batch's
    gc.collect()
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, results, peak - baseline, retained - baseline


def _sdk_serial(emu: _EmulatorWithDelay, paths: list[Path]) -> tuple[float, int]:
    from PIL import Image

    sdk: Any = importlib.import_module("aspose_ocr_cloud")
    template = _template()
    configuration = sdk.Configuration(host=emu.base_url, access_token=emu.token)
    done = 0
    started = time.perf_counter()
    with sdk.ApiClient(configuration) as api_client:
        api = sdk.RecognizeRegionsApi(api_client)
        for path in paths:
            data = path.read_bytes()
            with Image.open(io.BytesIO(data)) as picture:
                rects = template.scaled_to(picture.size).rects
            regions = [
                sdk.OCRRegion(
                    rect=sdk.OCRRect(
                        top_left_x=r.top_left_x,
                        top_left_y=r.top_left_y,
                        bottom_right_x=r.bottom_right_x,
                        bottom_right_y=r.bottom_right_y,
                    ),
                    order=i,
                )
                for i, r in enumerate(rects)
            ]
            body = sdk.OCRRecognizeRegionsBody(
                image=base64.b64encode(data).decode("ascii"),
                settings=sdk.OCRSettingsRecognizeRegions(language="English", regions=regions),
            )
            task_id = api.post_recognize_regions(body)
            while True:
                response = api.get_recognize_regions(id=task_id)
                if response.task_status in ("Completed", "Error", "NotExist"):
                    break
                time.sleep(0.2)
            done += response.task_status == "Completed"
    return time.perf_counter() - started, done


def _batch_rows(
    count: int, sdk_count: int, delay: float, *, ocr: bool, pages: int = 24
) -> list[Row]:
    from PIL import Image

    from ocr_notebook.client.polling import DEFAULT_CONCURRENCY
    from ocr_notebook.emulator.samples.invoices import invoice_texts

    with tempfile.TemporaryDirectory() as folder:
        paths = _write_invoices(Path(folder), count)
        emu = _EmulatorWithDelay(delay, ocr=ocr)
        try:
            warm = _ours(emu, paths[:16])  # connections, Tesseract start-up: not measured
            if not warm[1].ok:
                raise AssertionError("the warm-up batch failed")
            sdk_seconds, sdk_done = _sdk_serial(emu, paths[:sdk_count])
            seconds, results, peak, retained = _ours(emu, paths)
            pages_row = [] if ocr else [_pages_memory_row(emu, Path(folder), delay, pages)]
        finally:
            emu.close()
        largest_file = max(p.stat().st_size for p in paths)
        largest_pixels = 0
        for p in paths:
            with Image.open(p) as picture:
                bands = len(picture.getbands())
                largest_pixels = max(largest_pixels, picture.width * picture.height * bands)
    if sdk_done != sdk_count:
        raise AssertionError(f"the SDK loop completed {sdk_done} of {sdk_count}")
    if not results.ok:
        raise AssertionError(f"the batch failed: {list(results.errors.values())[:1]}")
    wrong = sum(
        r.texts != list(invoice_texts(i).values())
        for r, i in zip(results, range(count), strict=True)
    )
    ours_rate = len(results) / seconds
    sdk_rate = sdk_count / sdk_seconds
    ratio = ours_rate / sdk_rate
    transient = peak - retained
    bound = 2 * largest_pixels
    what = "real OCR (Tesseract) in the emulator" if ocr else "OCR off in the emulator"
    case = f"{count:,} invoices x 3 regions, +{delay * 1000:.0f} ms per request, {what}"
    notes: tuple[str, ...] = ()
    if ocr:
        notes = (
            f"7b. {wrong} of {count} batch results had a wrong text (real OCR). The SDK loop "
            f"ran over the first {sdk_count} invoices (it is serial: its rate does not depend "
            "on N). With real OCR the emulator's Tesseract, on the same 2 shared cores as the "
            "client, caps the batch: the ratio shows this machine's OCR capacity, not the "
            "client's overlap; the 'OCR off' rows measure that (a cloud service runs OCR on "
            "its own machines). Peak memory is tracemalloc's (Python allocations: file "
            "bytes, Base64 and JSON bodies, results); 'transient' = peak minus what the "
            "results still hold at the end; Pillow's decoded pixels live outside "
            "tracemalloc, so the bound compares with width x height x bands of the largest "
            "image (decoded), twice. With invoices this small (375 KB decoded) the transient "
            "is mostly the HTTP client's, whatever the images: about 0.7 MB plus about 70 KB "
            "per request in flight (httpcore reads into a 64 KB buffer per connection), so "
            "at c=16 it is over twice such a small image; the A4 row shows the bound where "
            "images are scan-sized. The batch keeps one image decoded at a time and the "
            "uploads in flight (about 3 copies of each file) under the largest decoded image.",
        )
    rows = [
        Row(
            FIGURE,
            case,
            f"ours: RegionTemplate.recognize (default c={DEFAULT_CONCURRENCY})",
            f"{ours_rate:.1f} images/s ({seconds:.1f} s)",
            "n=1",
            f"{ratio:.1f}x SDK throughput",
            ">= 10x SDK",
            ratio >= 10,
            notes=notes,
        ),
        Row(
            FIGURE,
            f"first {sdk_count} of the same invoices, {what}",
            "vendor SDK: post_recognize_regions then get every 0.2 s, one at a time",
            f"{sdk_rate:.1f} images/s ({sdk_seconds:.1f} s)",
            "n=1",
        ),
    ]
    rows += pages_row
    if ocr:
        rows.append(
            Row(
                FIGURE,
                case,
                "ours: peak Python memory during the batch (tracemalloc)",
                f"{peak / 1e6:.2f} MB = results {retained / 1e6:.2f} MB + transient "
                f"{transient / 1e6:.2f} MB",
                "n=1",
                f"transient {transient / bound:.2f}x (2 x largest image: "
                f"{largest_pixels / 1e6:.2f} MB decoded, file {largest_file / 1e3:.0f} KB)",
                "peak < 2 x largest image + results",
                transient < bound,
            )
        )
    return rows


def _pages_memory_row(emu: _EmulatorWithDelay, folder: Path, delay: float, count: int = 24) -> Row:
    """The batch's working memory on scan-sized pages, where "twice the image" is large."""
    pages = folder / "pages"
    pages.mkdir()
    paths = _write_pages(pages, count)
    seconds, results, peak, retained = _ours(emu, paths)
    if not results.ok:
        raise AssertionError("the page batch failed")
    decoded = 2480 * 3508
    largest_file = max(p.stat().st_size for p in paths)
    transient = peak - retained
    return Row(
        FIGURE,
        f"{count} A4 pages at 300 dpi (2480x3508 grey PNG, {largest_file / 1e3:.0f} KB), "
        f"+{delay * 1000:.0f} ms per request, OCR off",
        "ours: peak Python memory during the batch (tracemalloc)",
        f"{peak / 1e6:.2f} MB = results {retained / 1e6:.2f} MB + transient "
        f"{transient / 1e6:.2f} MB ({count / seconds:.0f} pages/s)",
        "n=1",
        f"transient {transient / (2 * decoded):.2f}x 2 x largest image "
        f"({2 * decoded / 1e6:.1f} MB decoded)",
        "peak < 2 x largest image + results",
        transient < 2 * decoded,
    )


def run_workbench(
    *,
    preview_repeats: int = 5,
    count: int = 1000,
    ocr_count: int = 300,
    sdk_count: int = 40,
    pages: int = 24,
    delay: float = 0.05,
) -> list[Row]:
    """Figure 7: (a) the preview of a 24-megapixel scan; (b) a template over a batch.

    Args:
        preview_repeats: Timed runs of the preview.
        count: Invoices in the batch with the emulator's OCR off (the issue: 1,000).
        ocr_count: Invoices in the batch with real OCR (fewer: Tesseract sets its pace).
        sdk_count: Invoices in the serial SDK loop (its rate does not depend on N).
        pages: A4 pages in the memory batch.
        delay: Service latency per request in seconds.
    """
    rows = _preview_rows(preview_repeats)
    rows += _batch_rows(count, sdk_count, delay, ocr=False, pages=pages)
    rows += _batch_rows(ocr_count, sdk_count, delay, ocr=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run figure 7 alone and print its table (or, with ``--serve``, the emulator helper)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.workbench")
    parser.add_argument("--serve", type=float, help="run the emulator helper with this delay")
    parser.add_argument("--no-ocr", action="store_true", help="the helper skips OCR")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--ocr-count", type=int, default=300)
    parser.add_argument("--sdk-count", type=int, default=40)
    args = parser.parse_args(argv)
    if args.serve is not None:
        return _serve(args.serve, not args.no_ocr)
    from .table import markdown_table

    rows = run_workbench(count=args.count, ocr_count=args.ocr_count, sdk_count=args.sdk_count)
    print(markdown_table(rows))
    for row in rows:
        for note in row.notes:
            print(f"- {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
