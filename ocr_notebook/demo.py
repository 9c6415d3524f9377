"""``python -m ocr_notebook.demo`` (``make demo``): the whole round trip, offline.

Starts the emulator in-process, submits the bundled sample image with its regions
(``submit_regions``), waits for the task with ``OCRClient.wait`` printing every status
change, then prints each region's text. Exits with status 1 if any region's text differs
from the text the sample is known to hold.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from .client.clients import OCRClient
from .client.polling import PollEvent
from .results.errors import OCRError, failure_reason


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ocr_notebook.demo",
        description="Submit the bundled sample to an in-process emulator and fetch the result.",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=1.5,
        help="seconds the emulator takes per task, so status changes show (default 1.5)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; returns the process exit status."""
    args = _parse(argv)
    try:
        # Deferred: the emulator extra is optional; say how to install it, not a traceback.
        from .emulator import Emulator
        from .emulator.samples import SAMPLE_REGIONS, sample_png
    except ImportError as exc:
        print(
            f"The demo needs the emulator extra ({exc.name} is missing): "
            "pip install 'ocr_notebook[emulator]'",
            file=sys.stderr,
        )
        return 2

    boxes = [box for box, _ in SAMPLE_REGIONS]
    expected = [text for _, text in SAMPLE_REGIONS]
    with Emulator(port=0, latency=args.latency) as emu:
        print(f"Emulator listening on {emu.base_url}")
        with OCRClient(
            emu.base_url, client_id=emu.client_id, client_secret=emu.client_secret
        ) as client:
            started = time.monotonic()
            task_id = client.submit_regions(sample_png(), boxes)
            print(f"Submitted the sample ({len(boxes)} regions) to RecognizeRegions: {task_id}")
            last: list[str] = []

            def on_status(event: PollEvent) -> None:
                if event.error is not None:  # a failed attempt, retried: say so, with why
                    why = failure_reason(event.error)
                    print(f"  {event.elapsed:5.2f} s  poll {event.polls:>2}  failed: {why}")
                    return
                # Every poll is reported; print only changes, as a user watching would see.
                if last != [event.status.value]:
                    last[:] = [event.status.value]
                    print(f"  {event.elapsed:5.2f} s  poll {event.polls:>2}  {event.status.value}")

            try:
                result = client.wait(task_id, on_status=on_status)
            except OCRError as exc:
                print(f"Fetch failed: {exc}", file=sys.stderr)
                return 1
            elapsed = time.monotonic() - started

    print(f"Completed in {elapsed:.2f} s; {len(result.regions)} regions:")
    mismatches = 0
    for index, (got, want) in enumerate(zip(result.texts, expected, strict=False), start=1):
        ok = got.strip() == want
        mismatches += not ok
        print(f"  {index}. {got.strip()}" + ("" if ok else f"    <-- expected {want!r}"))
    if len(result.texts) != len(expected):
        print(f"Expected {len(expected)} regions, got {len(result.texts)}.", file=sys.stderr)
        return 1
    if mismatches:
        print(f"{mismatches} region(s) differ from the sample's known text.", file=sys.stderr)
        return 1
    print("Every region matches the sample's known text.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
