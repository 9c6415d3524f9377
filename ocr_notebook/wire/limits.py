"""Limits this package puts on a request before it is sent."""

from __future__ import annotations

from ..results.errors import RegionError

__all__ = ["MAX_REGIONS", "check_region_count"]

# The vendor documents no maximum number of regions per RecognizeRegions request
# (https://docs.aspose.cloud/ocr/recognize-regions/); this is our own client-side limit,
# well above a form's fields, so that one request stays a reasonable size. The emulator
# takes any number.
MAX_REGIONS = 100


def check_region_count(count: int) -> None:
    """Refuse more regions than :data:`MAX_REGIONS` in one request.

    Raises:
        RegionError: ``count`` is over the limit.
    """
    if count > MAX_REGIONS:
        raise RegionError(
            f"{count} regions is more than {MAX_REGIONS} regions in one request (ocr_notebook's "
            "limit; the service documents none); split them over several submissions."
        )
