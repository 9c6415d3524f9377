"""``%ocr_regions IMAGE [-o NAME] [--page N]`` in a real IPython shell."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import ipywidgets
import pytest
from IPython.core.error import UsageError
from PIL import Image

from ocr_notebook import OCRWorkbench
from ocr_notebook.emulator.samples import SAMPLE_SIZE, sample_png
from tests.support.notebook import run, run_error

if TYPE_CHECKING:
    from pathlib import Path

    from IPython.core.interactiveshell import InteractiveShell


@pytest.fixture(autouse=True)
def _close_widgets() -> Iterator[None]:
    yield
    ipywidgets.Widget.close_all()  # not left to __del__ at interpreter exit (noisy there)


def test_opens_a_workbench_and_binds_it(shell: InteractiveShell, tmp_path: Path) -> None:
    scan = tmp_path / "page.png"
    scan.write_bytes(sample_png())
    assert run(shell, f"%ocr_regions {scan} -o wb") is None
    workbench = shell.user_ns["wb"]
    assert isinstance(workbench, OCRWorkbench)
    assert workbench.scan.size == SAMPLE_SIZE
    assert workbench.scan.source == str(scan)


def test_picks_a_tiff_page(shell: InteractiveShell, tmp_path: Path) -> None:
    scan = tmp_path / "pages.tiff"
    first, second = Image.new("RGB", (300, 100), "white"), Image.new("RGB", (200, 400), "white")
    first.save(scan, save_all=True, append_images=[second])
    run(shell, f"%ocr_regions {scan} --page 1 -o wb")
    assert shell.user_ns["wb"].scan.size == (200, 400)
    error = run_error(shell, f"%ocr_regions {scan}")
    assert isinstance(error, UsageError) and "page" in str(error)


@pytest.mark.parametrize(
    ("content", "says"),
    [(None, "No image file"), (b"plain text, not a picture", "image"), (b"", "empty")],
    ids=["missing", "not-an-image", "empty"],
)
def test_bad_files_are_one_line(
    shell: InteractiveShell, tmp_path: Path, content: bytes | None, says: str
) -> None:
    path = tmp_path / "scan.png"
    if content is not None:
        path.write_bytes(content)
    error = run_error(shell, f"%ocr_regions {path} -o wb2")
    assert isinstance(error, UsageError)
    assert says in str(error) and "\n" not in str(error).strip()
    assert "wb2" not in shell.user_ns


def test_bad_name_is_one_line(shell: InteractiveShell, tmp_path: Path) -> None:
    scan = tmp_path / "page.png"
    scan.write_bytes(sample_png())
    error = run_error(shell, f"%ocr_regions {scan} -o 1abc")
    assert isinstance(error, UsageError) and "identifier" in str(error)
