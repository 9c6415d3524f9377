"""Regenerate ``sample.png``: ``python -m ocr_notebook.emulator.samples.make_sample``."""

from __future__ import annotations

from pathlib import Path

from ocr_notebook.emulator.samples import SAMPLE_FILE, render_sample


def main() -> Path:
    """Render the sample and write it next to this module; returns its path."""
    target = Path(__file__).with_name(SAMPLE_FILE)
    # optimize=True keeps the committed file small; the pixels are what matter.
    render_sample().convert("L").save(target, format="PNG", optimize=True)
    return target


if __name__ == "__main__":
    print(main())
