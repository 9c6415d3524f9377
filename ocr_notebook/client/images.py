"""What the clients need to know about an image besides its bytes (no I/O but reading them).

Pillow is imported only inside the functions that read a header, so that
``import ocr_notebook`` stays light.
"""

from __future__ import annotations

import io
import os
from typing import Protocol

from ..results.errors import ImageInputError

__all__ = [
    "TIFF_MAGIC",
    "PreparedImage",
    "image_size",
    "image_source",
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


# The service reads single-page TIFF only: https://docs.aspose.cloud/ocr/supported-file-formats/
TIFF_MAGIC = (b"II*\x00", b"MM\x00*")


def refuse_multipage_tiff(data: bytes) -> None:
    """Refuse a TIFF of several pages before it is sent.

    Raises:
        ImageInputError: the TIFF has more than one page.
    """
    # Imported here so that `import ocr_notebook` does not load Pillow.
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
    # Imported here so that `import ocr_notebook` does not load Pillow.
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
