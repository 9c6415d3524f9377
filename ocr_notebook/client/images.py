"""What a caller may pass as an image, read into the bytes a submission sends.

The one place the client layer touches the file system: the clients read the image here,
then hand bytes to the request builder in ``base.py``, which does no I/O.
"""

from __future__ import annotations

import io
import os
from typing import TYPE_CHECKING, Any, Protocol, Union

from ..results.errors import ImageInputError

if TYPE_CHECKING:
    from PIL import Image as PILImage

__all__ = [
    "TIFF_MAGIC",
    "ImageInput",
    "PreparedImage",
    "image_size",
    "image_source",
    "read_image",
    "refuse_multipage_tiff",
]


class PreparedImage(Protocol):
    """An image already made ready to upload: what ``ScanImage`` offers, without pixels.

    ``size`` is the upright ``(width, height)`` the rectangles are in; ``source`` where the
    image came from; ``submission_bytes()`` the bytes to upload.
    """

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` of the pixels uploaded."""

    @property
    def source(self) -> str | None:
        """Where the image came from, if known."""

    def submission_bytes(self) -> bytes:
        """The bytes to upload."""


ImageInput = Union[
    str, "os.PathLike[str]", bytes, bytearray, memoryview, "PILImage.Image", PreparedImage
]


def read_image(image: ImageInput) -> bytes:
    """The bytes to submit: a file's content, the bytes given, or a PIL image as PNG.

    Raises:
        FileNotFoundError: no file at the path given.
        TypeError: not a path, bytes nor a PIL image.
        ValueError: the image is empty.
        ImageInputError: a TIFF of several pages.
    """
    submission_bytes = getattr(image, "submission_bytes", None)
    if callable(submission_bytes):
        # A ScanImage: the upright chosen page, exactly the pixels its rectangles are on.
        prepared: bytes = submission_bytes()
        return prepared
    if isinstance(image, (bytes, bytearray, memoryview)):
        data = bytes(image)
    elif isinstance(image, (str, os.PathLike)):
        path = os.fspath(image)
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            raise FileNotFoundError(
                f"Image file not found: {path!r}; pass a path, bytes or a PIL image."
            ) from None
    elif type(image).__module__.startswith("PIL.") and hasattr(image, "save"):
        # A PIL image; Pillow itself is imported only by whoever made it.
        picture: Any = image
        if picture.mode not in ("1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"):
            picture = picture.convert("RGB")  # e.g. CMYK, which PNG cannot hold
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG")
        data = buffer.getvalue()
    else:
        raise TypeError(
            f"image must be a file path, bytes or a PIL image, got {type(image).__name__}."
        )
    if not data:
        raise ValueError("The image is empty (0 bytes); pass a PNG, JPEG, TIFF, BMP or GIF.")
    if data[:4] in TIFF_MAGIC:
        refuse_multipage_tiff(data)
    return data


# The service reads single-page TIFF only: https://docs.aspose.cloud/ocr/supported-file-formats/
TIFF_MAGIC = (b"II*\x00", b"MM\x00*")


def refuse_multipage_tiff(data: bytes) -> None:
    """Refuse a TIFF of several pages before it is sent.

    Raises:
        ImageInputError: the TIFF has more than one page.
    """
    # Deferred so that `import ocr_notebook` does not load Pillow.
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as picture:  # walks the page directory only
            pages = int(getattr(picture, "n_frames", 1) or 1)
    except Exception:  # not a TIFF Pillow reads: the service will say what it thinks
        return
    if pages > 1:
        raise ImageInputError(
            f"The TIFF has {pages} pages and the service reads single-page TIFF only; send one "
            f"page: ScanImage.open(path, page=0..{pages - 1})."
        )


def image_source(image: object) -> str | None:
    """Where ``image`` came from: the path given, or a ``ScanImage``'s source; else None."""
    if isinstance(image, (str, os.PathLike)):
        return os.fspath(image)
    source = getattr(image, "source", None)
    return source if isinstance(source, str) else None


def image_size(image: object, data: bytes) -> tuple[int, int]:
    """The upright size of the image submitted, reading only the file's header.

    Raises:
        ValueError: the header cannot be read.
    """
    size = getattr(image, "size", None)
    if isinstance(size, tuple) and len(size) == 2:
        # A ScanImage (already upright) or a PIL image (sent as its pixels are).
        return (int(size[0]), int(size[1]))
    # Deferred so that `import ocr_notebook` does not load Pillow.
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as picture:  # lazy: the header only
            width, height = picture.size
            orientation = picture.getexif().get(0x0112, 1)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValueError(
            f"The image's size cannot be read ({type(exc).__name__}), so the template "
            "cannot be scaled to it; pass a PNG, JPEG, TIFF or BMP, or a ScanImage."
        ) from None
    # EXIF orientations 5-8 turn the picture a quarter: the upright size is swapped.
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)
