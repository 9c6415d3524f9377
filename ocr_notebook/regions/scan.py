"""A scan as the user sees it and as the service gets it (Pillow; no I/O beyond reading the file).

``ScanImage.open`` decodes the image once, so every bad input fails there with one line:
not an image, a truncated file, a decompression bomb, a multi-page file without ``page=``.
The picture is made upright by its EXIF orientation; the preview (downscaled, at most
1 MB, for the browser) and the submitted bytes are both that upright picture, so a
rectangle drawn on the preview and mapped back with :meth:`ScanImage.from_preview` lands
on the same pixels the service reads.
"""

from __future__ import annotations

import io
import math
import os
import re
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image, ImageOps, UnidentifiedImageError

from ..results.errors import ImageInputError, RegionError
from ..results.models import Rect

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

__all__ = ["Preview", "ScanImage"]

# Formats the service reads as they are (TIFF single page only), so an upright single-page
# file of one of them is uploaded byte for byte:
# https://docs.aspose.cloud/ocr/supported-file-formats/
_SERVICE_FORMATS = frozenset({"PNG", "JPEG", "BMP", "GIF", "TIFF"})
_ORIENTATION_TAG = 0x0112
# Modes a PNG holds without conversion.
_PNG_MODES = frozenset({"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"})
_JPEG_QUALITIES = (85, 70, 55, 40)

# warnings.catch_warnings swaps process-wide state: serialise our own opens (a batch opens
# images from several threads) so that one open's filter is never restored by another's.
_OPEN_LOCK = threading.Lock()


@dataclass(frozen=True)
class Preview:
    """The downscaled picture sent to the browser.

    Attributes:
        data: PNG or JPEG bytes, at most the ``max_bytes`` asked for (1 MB by default).
        mime: ``"image/png"`` or ``"image/jpeg"``.
        width: Preview width in pixels.
        height: Preview height in pixels.
    """

    data: bytes
    mime: str
    width: int
    height: int

    def __repr__(self) -> str:
        return f"<Preview {self.mime} {self.width}x{self.height} {len(self.data)} bytes>"


class ScanImage:
    """One page of a scan, decoded and upright, ready to preview, clip rectangles and submit.

    Build one with :meth:`ScanImage.open`.

    Attributes:
        size: ``(width, height)`` in original pixels, upright (EXIF orientation applied).
        source: The path as given, or the caller's label (None for bytes without a label).
        page: The page chosen in a multi-page file (None when not given).
        format: Pillow's name of the file format (``"PNG"``, ``"JPEG"``, ...; None for a
            PIL image made in memory).
        pages: How many pages (frames) the file has.
        orientation: The EXIF orientation tag (1 = upright).
    """

    def __init__(
        self,
        picture: PILImage,
        *,
        original: bytes | None,
        source: str | None,
        page: int | None,
        format: str | None,
        pages: int,
        orientation: int,
    ) -> None:
        self._picture = picture
        self._original = original
        self.size: tuple[int, int] = (picture.width, picture.height)
        self.source = source
        self.page = page
        self.format = format
        self.pages = pages
        self.orientation = orientation
        self._previews: dict[tuple[int, int], Preview] = {}
        self._submission: bytes | None = None
        self._lock = threading.Lock()

    # -- opening ----------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        image: str | os.PathLike[str] | bytes | PILImage | ScanImage,
        *,
        page: int | None = None,
        source: str | None = None,
    ) -> ScanImage:
        """Decode an image file, bytes or PIL image; apply its EXIF orientation.

        Args:
            image: A file path, the file's bytes, or a PIL image (a ``ScanImage`` is
                returned as it is).
            page: The page of a multi-page file (TIFF, animated GIF), from 0.
            source: A label for where the image came from (default: the path given).

        Raises:
            ImageInputError: the file is missing, not an image, truncated, over Pillow's
                decompression-bomb limit, multi-page without ``page=``, or ``page`` is out
                of range.
        """
        if page is not None and (isinstance(page, bool) or not isinstance(page, int)):
            raise ImageInputError(f"page must be a page number from 0, got {page!r}.")
        original: bytes | None
        if isinstance(image, ScanImage) and page in (None, image.page):
            return image  # already open (a widget given a ScanImage, say)
        if isinstance(image, Image.Image):
            label = source or "The image"
            return cls._from_picture(
                image, original=None, label=label, source=source, page=page, opened=False
            )
        if isinstance(image, (bytes, bytearray, memoryview)):
            original = bytes(image)
            label = source or "The image"
        elif isinstance(image, (str, os.PathLike)):
            path = os.fspath(image)
            source = source if source is not None else path
            label = f"{path!r}"
            try:
                with open(path, "rb") as fh:
                    original = fh.read()
            except FileNotFoundError:
                raise ImageInputError(f"Image file not found: {path!r}.") from None
            except IsADirectoryError:
                raise ImageInputError(
                    f"{path!r} is a folder; pass one image file (a template's recognize() "
                    "takes folders)."
                ) from None
            except OSError as exc:  # permissions, a vanished network share, ...
                raise ImageInputError(
                    f"Image file {path!r} cannot be read ({type(exc).__name__}: "
                    f"{exc.strerror or exc})."
                ) from None
        else:
            raise ImageInputError(
                f"image must be a file path, bytes or a PIL image, got {type(image).__name__}."
            )
        if not original:
            raise ImageInputError(f"{label} is empty (0 bytes); pass a PNG, JPEG, TIFF or BMP.")
        picture = _open_checked(original, label)
        return cls._from_picture(
            picture, original=original, label=label, source=source, page=page, opened=True
        )

    @classmethod
    def _from_picture(
        cls,
        picture: PILImage,
        *,
        original: bytes | None,
        label: str,
        source: str | None,
        page: int | None,
        opened: bool,
    ) -> ScanImage:
        try:
            pages = int(getattr(picture, "n_frames", 1) or 1)  # walks a TIFF's page list
        except Exception as exc:  # a damaged page list
            raise ImageInputError(
                f"{label} is truncated or damaged ({_short(exc)}); save or scan it again."
            ) from None
        if picture.format == "MPO":
            # A phone's JPEG with a second, smaller picture appended: one page to the user.
            pages = 1
        if page is None and pages > 1:
            raise ImageInputError(
                f"{label} has {pages} pages; choose one: pass page=0..{pages - 1}."
            )
        if page is not None and not 0 <= page < pages:
            raise ImageInputError(
                f"page={page} is out of range: {label} has {pages} "
                f"page{'s' if pages != 1 else ''}; pass page=0..{pages - 1}."
            )
        try:
            if page is not None and pages > 1:
                picture.seek(page)
            picture.load()
        except Image.DecompressionBombError as exc:
            raise _bomb_error(label, exc) from None
        except Exception as exc:  # a damaged file makes Pillow's decoders raise anything
            raise ImageInputError(
                f"{label} is truncated or damaged ({_short(exc)}); the file could not be "
                "decoded: save or scan it again."
            ) from None
        orientation = _orientation(picture)
        fmt = picture.format if opened else None
        if pages > 1:
            # One frame, detached from the file so later seeks cannot change it.
            picture = picture.copy()
        upright = ImageOps.exif_transpose(picture) if orientation != 1 else picture
        if pages > 1 or orientation != 1 or fmt not in _SERVICE_FORMATS:
            original = None  # never uploaded as it is: do not keep it in memory
        return cls(
            upright,
            original=original,
            source=source,
            page=page,
            format=fmt,
            pages=pages,
            orientation=orientation,
        )

    # -- what the service gets ----------------------------------------------------------------

    @property
    def is_upright(self) -> bool:
        """Whether the stored pixels need no EXIF rotation (orientation 1 or none)."""
        return self.orientation == 1

    @property
    def picture(self) -> PILImage:
        """The upright page as a PIL image (do not modify it)."""
        return self._picture

    def submission_bytes(self) -> bytes:
        """What is uploaded: exactly the pixels the rectangles are drawn on.

        The original file's bytes when it is upright, single-page and in a format the service
        reads; otherwise a lossless PNG of the upright page (the service takes single-page
        TIFF only, and reading EXIF orientation is not documented for it).
        """
        if (
            self._original is not None
            and self.pages == 1
            and self.is_upright
            and self.format in _SERVICE_FORMATS
        ):
            return self._original
        with self._lock:
            if self._submission is None:
                picture = self._picture
                if picture.mode not in _PNG_MODES:
                    picture = picture.convert("RGB")  # e.g. CMYK, which PNG cannot hold
                buffer = io.BytesIO()
                picture.save(buffer, format="PNG")
                self._submission = buffer.getvalue()
            return self._submission

    # -- what the browser gets ----------------------------------------------------------------

    def preview(self, *, max_bytes: int = 1_000_000, max_side: int = 2048) -> Preview:
        """A downscaled PNG or JPEG of the upright page, at most ``max_bytes`` (cached).

        Images no larger than ``max_side`` keep their size, and bilevel or grey ones are
        tried as PNG first (sharp text); larger ones are downscaled and sent as JPEG, as
        are colour ones; the quality and then the size go down until the bytes fit.

        Args:
            max_bytes: The most bytes the preview may have.
            max_side: The longest side of the preview in pixels.
        """
        if max_bytes < 1024 or max_side < 16:
            raise ValueError("preview needs max_bytes >= 1024 and max_side >= 16.")
        key = (max_bytes, max_side)
        with self._lock:
            cached = self._previews.get(key)
        if cached is not None:
            return cached
        preview = _make_preview(self._picture, max_bytes=max_bytes, max_side=max_side)
        with self._lock:
            self._previews[key] = preview
        return preview

    # -- rectangles -------------------------------------------------------------------------

    def clip(self, box: Sequence[float] | Rect) -> tuple[Rect, bool]:
        """Round a rectangle to whole pixels and clip it to the image.

        Corners may come in any order (a drag up and to the left).

        Returns:
            ``(rect, was_clipped)``: the rectangle inside the image, and whether clipping
            changed it (rounding alone does not count).

        Raises:
            RegionError: the rectangle has zero area or lies entirely outside the image.
        """
        return clip_box(box, self.size)

    def from_preview(self, box: Sequence[float] | Rect, preview: Preview) -> tuple[Rect, bool]:
        """Map a rectangle in ``preview`` pixels to original pixels, then :meth:`clip` it."""
        values = _corners(box)
        sx = self.size[0] / preview.width
        sy = self.size[1] / preview.height
        x1, y1, x2, y2 = values
        return self.clip((x1 * sx, y1 * sy, x2 * sx, y2 * sy))

    def __repr__(self) -> str:
        where = f" {self.source!r}" if self.source else ""
        page = f" page={self.page}" if self.page is not None else ""
        return f"<ScanImage{where}{page} {self.size[0]}x{self.size[1]}>"


def clip_box(box: Sequence[float] | Rect, size: tuple[int, int]) -> tuple[Rect, bool]:
    """Round ``box`` to whole pixels and clip it to an image of ``size``; see ScanImage.clip.

    Raises:
        RegionError: zero area, or entirely outside the image.
    """
    width, height = size
    x1, y1, x2, y2 = _corners(box)
    x1, x2 = sorted((x1, x2))
    y1, y2 = sorted((y1, y2))
    rx1, ry1, rx2, ry2 = (round(v) for v in (x1, y1, x2, y2))
    shown = f"({_num(x1)}, {_num(y1)}, {_num(x2)}, {_num(y2)})"
    if rx2 <= rx1 or ry2 <= ry1:
        raise RegionError(
            f"Rectangle {shown} has zero area (less than a pixel wide or high); "
            "draw it larger or remove it."
        )
    if rx2 <= 0 or ry2 <= 0 or rx1 >= width or ry1 >= height:
        raise RegionError(
            f"Rectangle {shown} lies entirely outside the {width}x{height} image; "
            "draw it on the image or remove it."
        )
    clipped = (max(0, rx1), max(0, ry1), min(width, rx2), min(height, ry2))
    return Rect(*clipped), clipped != (rx1, ry1, rx2, ry2)


def _corners(box: Sequence[float] | Rect) -> tuple[float, float, float, float]:
    if isinstance(box, Rect):
        return tuple(float(v) for v in box.as_tuple())  # type: ignore[return-value]
    if isinstance(box, (str, bytes)) or len(box) != 4:
        raise RegionError(f"A rectangle is 4 corner coordinates (x1, y1, x2, y2), got {box!r}.")
    try:
        values = tuple(float(v) for v in box)
    except (TypeError, ValueError):
        raise RegionError(f"A rectangle's corners must be numbers, got {box!r}.") from None
    if not all(math.isfinite(v) for v in values):
        raise RegionError(f"A rectangle's corners must be finite numbers, got {box!r}.")
    return values  # type: ignore[return-value]


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _open_checked(data: bytes, label: str) -> PILImage:
    with _OPEN_LOCK, warnings.catch_warnings():
        # Pillow only warns between its limit and twice it; both are the same refusal here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data))
        except UnidentifiedImageError:
            raise ImageInputError(
                f"{label} is not an image Pillow can read; pass a PNG, JPEG, TIFF, BMP or GIF."
            ) from None
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise _bomb_error(label, exc) from None
        except Exception as exc:  # a damaged header makes Pillow's parsers raise anything
            raise ImageInputError(
                f"{label} is truncated or damaged ({_short(exc)}); save or scan it again."
            ) from None


def _bomb_error(label: str, exc: BaseException) -> ImageInputError:
    found = re.search(r"\((\d+) pixels\)", str(exc))
    pixels = f"{int(found.group(1)):,} pixels" if found else "more pixels"
    limit = Image.MAX_IMAGE_PIXELS
    limit_text = f"{limit:,}" if limit is not None else "its"
    return ImageInputError(
        f"{label} has {pixels}, over Pillow's decompression-bomb limit of {limit_text} "
        "pixels; if you trust the file, raise it: PIL.Image.MAX_IMAGE_PIXELS = <pixels>."
    )


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:120] + "…"


def _orientation(picture: PILImage) -> int:
    try:
        value = picture.getexif().get(_ORIENTATION_TAG, 1)
    except Exception:  # a damaged EXIF block: Pillow shows the pixels as stored
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _make_preview(picture: PILImage, *, max_bytes: int, max_side: int) -> Preview:
    grey = picture.mode in ("1", "L", "LA", "I", "I;16", "F")
    if picture.mode in ("L", "RGB"):
        base = picture  # no copy of a large scan: resizing makes a new image anyway
    elif grey:
        base = picture.convert("L")
    elif picture.mode in ("RGBA", "LA", "PA") or (
        picture.mode == "P" and "transparency" in picture.info
    ):
        rgba = picture.convert("RGBA")
        base = Image.new("RGB", rgba.size, "white")
        base.paste(rgba, mask=rgba.getchannel("A"))
    else:
        base = picture.convert("RGB")
    side = max_side
    while True:
        small = _downscale(base, side)
        # PNG keeps a clean page's text crisp, but encoding a grainy downscaled scan as PNG
        # costs 100-400 ms for a large file: downscaled pictures go straight to JPEG.
        if small is base and (grey or small.width * small.height <= 256 * 256):
            data = _encode(small, "PNG")
            if len(data) <= max_bytes:
                return Preview(data, "image/png", small.width, small.height)
        for quality in _JPEG_QUALITIES:
            data = _encode(small, "JPEG", quality=quality)
            if len(data) <= max_bytes:
                return Preview(data, "image/jpeg", small.width, small.height)
        if max(small.size) <= 16:
            return Preview(data, "image/jpeg", small.width, small.height)
        side = max(16, int(max(small.size) * 0.7))


def _downscale(picture: PILImage, max_side: int) -> PILImage:
    longest = max(picture.size)
    if longest <= max_side:
        return picture
    # An integer box reduce does most of the work several times faster than a resampling
    # filter over all 24 megapixels; a bilinear step then reaches the exact size.
    factor = longest // max_side
    if factor >= 2:
        picture = picture.reduce(factor)
        longest = max(picture.size)
        if longest <= max_side:
            return picture
    scale = max_side / longest
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    return picture.resize(size, Image.Resampling.BILINEAR)


def _encode(picture: PILImage, fmt: str, *, quality: int = 85) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        picture.save(buffer, format="JPEG", quality=quality, optimize=False)
    else:
        level = 6 if picture.width * picture.height <= 1_000_000 else 1  # speed on big pages
        picture.save(buffer, format="PNG", compress_level=level)
    return buffer.getvalue()
