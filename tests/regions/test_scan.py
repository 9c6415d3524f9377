"""ScanImage: every bad input is one line; EXIF orientation, TIFF pages, preview, clipping."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from ocr_notebook import ImageInputError, OCRClient, Rect, RegionError, ScanImage
from ocr_notebook.emulator import Emulator
from ocr_notebook.emulator.samples import (
    SAMPLE_REGIONS,
    SAMPLE_SIZE,
    SAMPLE_TEXTS,
    render_sample,
    sample_png,
)
from tests.support.credentials import TEST_CLIENT_ID, TEST_CLIENT_SECRET

ORIENTATION = 0x0112


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def client(emulator: Emulator) -> Iterator[OCRClient]:
    with OCRClient(
        emulator.base_url, client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET
    ) as c:
        yield c


# -- bad input: one line each ---------------------------------------------------------------


def test_not_an_image_is_one_line() -> None:
    with pytest.raises(ImageInputError) as info:
        ScanImage.open(b"%PDF-1.4 this is not a picture")
    assert "not an image" in str(info.value)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_truncated_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "cut.png"
    data = sample_png()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageInputError, match="truncated or damaged") as info:
        ScanImage.open(path)
    assert repr(str(path)) in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(ImageInputError, match="not found"):
        ScanImage.open(tmp_path / "nope.png")
    with pytest.raises(ImageInputError, match="empty"):
        ScanImage.open(b"")
    with pytest.raises(ImageInputError, match="is a folder"):
        ScanImage.open(tmp_path)


def test_decompression_bomb_says_pixels_limit_and_how_to_raise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = sample_png()  # 320,000 pixels
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)
    with pytest.raises(ImageInputError) as info:  # over the limit: Pillow only warns
        ScanImage.open(data)
    line = str(info.value)
    assert "320,000 pixels" in line and "100,000" in line
    assert "PIL.Image.MAX_IMAGE_PIXELS" in line
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    with pytest.raises(ImageInputError, match="decompression-bomb"):  # over 2x: Pillow raises
        ScanImage.open(data)


def _tiff(pages: int) -> bytes:
    frames = [Image.new("L", (200 + 10 * i, 100), 255) for i in range(pages)]
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:])
    return out.getvalue()


def test_multipage_tiff_needs_page_and_says_how_many() -> None:
    data = _tiff(3)
    with pytest.raises(ImageInputError) as info:
        ScanImage.open(data)
    assert "3 pages" in str(info.value) and "page=0..2" in str(info.value)
    with pytest.raises(ImageInputError, match=r"page=3 is out of range.*page=0\.\.2"):
        ScanImage.open(data, page=3)
    with pytest.raises(ImageInputError, match="out of range"):
        ScanImage.open(sample_png(), page=1)


def test_multipage_tiff_page_is_that_page_only_sent_as_single_page() -> None:
    scan = ScanImage.open(_tiff(3), page=2)
    assert scan.size == (220, 100) and scan.page == 2 and scan.pages == 3
    sent = Image.open(io.BytesIO(scan.submission_bytes()))
    assert getattr(sent, "n_frames", 1) == 1 and sent.size == (220, 100)
    assert ScanImage.open(sample_png(), page=0).submission_bytes() == sample_png()


# -- EXIF orientation --------------------------------------------------------------------


def _rotated_jpeg() -> bytes:
    """The sample stored turned a quarter, with EXIF Orientation 6 saying how to turn it back."""
    stored = render_sample().transpose(Image.Transpose.ROTATE_90)  # 320 x 1000 as stored
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # "rotate 90 CW to view"
    out = io.BytesIO()
    stored.save(out, format="JPEG", quality=95, exif=exif.tobytes())
    return out.getvalue()


def test_exif_orientation_gives_the_upright_size_and_preview() -> None:
    scan = ScanImage.open(_rotated_jpeg(), source="phone.jpg")
    assert scan.orientation == 6 and not scan.is_upright
    assert scan.size == SAMPLE_SIZE
    preview = scan.preview()
    assert (preview.width, preview.height) == SAMPLE_SIZE
    assert Image.open(io.BytesIO(preview.data)).size == SAMPLE_SIZE
    sent = Image.open(io.BytesIO(scan.submission_bytes()))
    assert sent.format == "PNG" and sent.size == SAMPLE_SIZE  # upright pixels, no EXIF to apply


def test_rectangles_drawn_on_the_upright_picture_read_the_right_text(client: OCRClient) -> None:
    scan = ScanImage.open(_rotated_jpeg())
    rects = [scan.clip(box)[0] for box, _ in SAMPLE_REGIONS]
    result = client.wait(client.submit_regions(scan, rects))
    assert result.texts == list(SAMPLE_TEXTS)


# -- preview ----------------------------------------------------------------------------------


def test_24_megapixel_scan_preview_is_at_most_1_mb_and_maps_back() -> None:
    page = Image.new("RGB", (6000, 4000), "white")
    draw = ImageDraw.Draw(page)
    for y in range(0, 4000, 37):  # noisy enough that a plain PNG would be large
        draw.line((0, y, 6000, (y * 7) % 4000), fill=(y % 255, 80, 160), width=3)
    scan = ScanImage.open(_png(page))
    preview = scan.preview()
    assert len(preview.data) <= 1_000_000
    assert max(preview.width, preview.height) <= 2048
    assert scan.preview() is preview  # cached
    rect, clipped = scan.from_preview((0, 0, preview.width, preview.height), preview)
    assert rect == Rect(0, 0, 6000, 4000) and not clipped
    # A point mapped from the preview lands within one preview pixel of the original one.
    rect, _ = scan.from_preview((512, 341, 1024, 683), preview)
    sx = 6000 / preview.width
    assert abs(rect.top_left_x - 512 * sx) <= 1 and abs(rect.bottom_right_x - 1024 * sx) <= 1


def test_small_preview_budget_is_honoured() -> None:
    noisy = Image.effect_noise((1500, 1000), 80).convert("RGB")
    preview = ScanImage.open(noisy).preview(max_bytes=50_000)
    assert len(preview.data) <= 50_000 and preview.mime == "image/jpeg"


# -- rectangles -------------------------------------------------------------------------------


def test_clip_rounds_and_says_whether_it_clipped() -> None:
    scan = ScanImage.open(sample_png())
    assert scan.clip((10.4, 20.6, 99.5, 50)) == (Rect(10, 21, 100, 50), False)
    assert scan.clip((-30, 300, 1200, 400)) == (Rect(0, 300, 1000, 320), True)
    assert scan.clip((100, 50, 10, 20)) == (Rect(10, 20, 100, 50), False)  # dragged backwards


def test_clip_refuses_zero_area_and_outside_saying_which() -> None:
    scan = ScanImage.open(sample_png())
    with pytest.raises(RegionError, match="zero area"):
        scan.clip((10, 10, 10, 50))
    with pytest.raises(RegionError, match="zero area"):
        scan.clip((10, 10, 10.3, 50))
    with pytest.raises(RegionError, match="outside the 1000x320 image"):
        scan.clip((1000, 0, 1100, 50))
    with pytest.raises(RegionError, match="4 corner"):
        scan.clip((1, 2, 3))


def test_pil_input_and_source_label() -> None:
    scan = ScanImage.open(render_sample(), source="drawn")
    assert scan.size == SAMPLE_SIZE and scan.source == "drawn"
    assert ScanImage.open(scan) is scan
    assert Image.open(io.BytesIO(scan.submission_bytes())).size == SAMPLE_SIZE
    with pytest.raises(ImageInputError, match="file path, bytes or a PIL image"):
        ScanImage.open(42)  # type: ignore[arg-type]


def test_a_phone_mpo_jpeg_is_one_page() -> None:
    out = io.BytesIO()
    first = render_sample()
    first.save(out, format="MPO", save_all=True, append_images=[first.resize((100, 32))])
    assert getattr(Image.open(io.BytesIO(out.getvalue())), "n_frames", 1) == 2
    scan = ScanImage.open(out.getvalue())
    assert scan.size == SAMPLE_SIZE and scan.pages == 1
    assert Image.open(io.BytesIO(scan.submission_bytes())).size == SAMPLE_SIZE


def test_damaged_files_only_ever_raise_the_one_line_error() -> None:
    import random

    jpeg = io.BytesIO()
    render_sample().save(jpeg, format="JPEG")
    rng = random.Random(10)
    lines: list[str] = []
    for original in (sample_png(), jpeg.getvalue(), _tiff(2)):
        for _ in range(60):
            damaged = bytearray(original)
            for _ in range(rng.randint(1, 8)):
                damaged[rng.randrange(min(len(damaged), 400))] = rng.randrange(256)
            cut = damaged[: rng.randrange(8, len(damaged))] if rng.random() < 0.3 else damaged
            try:
                ScanImage.open(bytes(cut), page=0)
            except ImageInputError as exc:
                lines.append(str(exc))
    assert lines, "no corruption was caught"
    assert not [line for line in lines if "\n" in line]
