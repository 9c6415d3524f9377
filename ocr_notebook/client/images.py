"""What a caller may pass as an image, read into the bytes a submission sends.

The one place the client layer touches the file system: the clients read the image here,
then hand bytes to the request builder in ``base.py``, which does no I/O.
"""

from __future__ import annotations

import io
import os
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from PIL import Image as PILImage

__all__ = ["ImageInput", "read_image"]

ImageInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, "PILImage.Image"]


def read_image(image: ImageInput) -> bytes:
    """The bytes to submit: a file's content, the bytes given, or a PIL image as PNG.

    Raises:
        FileNotFoundError: no file at the path given.
        TypeError: not a path, bytes nor a PIL image.
        ValueError: the image is empty.
    """
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
        picture = image
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
    return data
