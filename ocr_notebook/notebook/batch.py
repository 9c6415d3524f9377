"""A region template applied to a batch of images (being written: see the branch history)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

    from ..client.clients import OCRClient
    from ..regions.template import RegionTemplate
    from ..results.collection import OCRResultCollection

__all__ = ["recognize_batch"]


def recognize_batch(
    template: RegionTemplate,
    images: str
    | os.PathLike[str]
    | bytes
    | PILImage
    | Iterable[str | os.PathLike[str] | bytes | PILImage],
    *,
    client: OCRClient | None = None,
    concurrency: int | None = None,
) -> OCRResultCollection:
    """Recognize ``template`` on every image (not written yet).

    Raises:
        NotImplementedError: always, until the batch runner lands on this branch.
    """
    raise NotImplementedError("RegionTemplate.recognize is being written on workbench-core.")
