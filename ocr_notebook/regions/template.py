"""``RegionTemplate``: named rectangles plus the size of the image they were drawn on.

A template is drawn once (in the workbench, or from boxes in code) and applied to many
similar scans: :meth:`RegionTemplate.scaled_to` maps it onto an image of another size and
:meth:`RegionTemplate.recognize` runs it over a batch. Saved as versioned JSON.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..results.errors import RegionError, TemplateFileError
from ..results.models import Rect
from ..wire.limits import MAX_REGIONS, check_region_count

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

    from ..client.clients import OCRClient
    from ..results.collection import OCRResultCollection

__all__ = [
    "MAX_REGIONS",
    "TEMPLATE_FORMAT",
    "TEMPLATE_VERSION",
    "RegionTemplate",
    "TemplateRegion",
    "check_region_count",
]

TEMPLATE_FORMAT = "ocr_notebook.region-template"
TEMPLATE_VERSION = 1


@dataclass(frozen=True)
class TemplateRegion:
    """One rectangle of a template.

    Attributes:
        name: The region's name (``"invoice_no"``), ``""`` when unnamed.
        rect: The rectangle in pixels of the image the template was drawn on.
    """

    name: str
    rect: Rect


@dataclass(frozen=True)
class RegionTemplate:
    """Named rectangles plus the size of the image they were drawn on.

    Attributes:
        regions: The rectangles, in recognition order.
        image_size: ``(width, height)`` of the image the rectangles were drawn on.
        name: The template's own name (``""`` when unnamed).

    Example:
        >>> t = RegionTemplate.from_boxes([(10, 10, 300, 60)], (1000, 800), names=["total"])
        >>> t.scaled_to((2000, 1600)).rects[0].as_tuple()
        (20, 20, 600, 120)
    """

    regions: tuple[TemplateRegion, ...]
    image_size: tuple[int, int]
    name: str = field(default="")

    def __post_init__(self) -> None:
        width, height = _size(self.image_size, "image_size")
        object.__setattr__(self, "image_size", (width, height))
        object.__setattr__(self, "regions", tuple(self.regions))
        if not self.regions:
            raise RegionError("A template needs at least one region; draw or pass a rectangle.")
        check_region_count(len(self.regions))
        seen: set[str] = set()
        for number, region in enumerate(self.regions):
            if not isinstance(region, TemplateRegion):
                raise RegionError(f"Template region {number} is not a TemplateRegion.")
            x1, y1, x2, y2 = region.rect.as_tuple()
            if not (0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height):
                raise RegionError(
                    f"Region {number} {region.rect.as_tuple()} is not a rectangle inside the "
                    f"{width}x{height} image (x1 < x2, y1 < y2, within the image)."
                )
            if region.name:
                if region.name in seen:
                    raise RegionError(
                        f"Two regions are named {region.name!r}; give each a different name."
                    )
                seen.add(region.name)

    # -- building -----------------------------------------------------------------------------

    @classmethod
    def from_boxes(
        cls,
        boxes: Sequence[Sequence[int] | Rect],
        image_size: tuple[int, int],
        *,
        names: Sequence[str] | None = None,
        name: str = "",
    ) -> RegionTemplate:
        """Build from ``(x1, y1, x2, y2)`` boxes (or ``Rect``) in recognition order.

        Args:
            boxes: The rectangles in pixels of an image of ``image_size``.
            image_size: ``(width, height)`` of that image.
            names: One name per box (``""`` for unnamed ones); default all unnamed.
            name: The template's own name.

        Raises:
            RegionError: a box is not inside the image, names repeat or do not pair up
                with the boxes, or there are more than :data:`MAX_REGIONS` boxes.
        """
        rects = [_rect(box, number) for number, box in enumerate(boxes)]
        if names is None:
            region_names = [""] * len(rects)
        else:
            if isinstance(names, str):
                raise RegionError("names is a list of strings, one per box, not one string.")
            region_names = [str(n) for n in names]
            if len(region_names) != len(rects):
                raise RegionError(
                    f"{len(region_names)} names for {len(rects)} boxes; give one name per box "
                    '("" for an unnamed one).'
                )
        return cls(
            tuple(TemplateRegion(n, r) for n, r in zip(region_names, rects, strict=True)),
            image_size,
            name=name,
        )

    # -- reading ------------------------------------------------------------------------------

    @property
    def names(self) -> tuple[str, ...]:
        """Each region's name, in order (``""`` for unnamed ones)."""
        return tuple(r.name for r in self.regions)

    @property
    def rects(self) -> tuple[Rect, ...]:
        """Each region's rectangle, in order."""
        return tuple(r.rect for r in self.regions)

    @property
    def column_names(self) -> tuple[str, ...]:
        """Names for table columns: each name, or ``region_<order>`` for an unnamed one."""
        return tuple(r.name or f"region_{i}" for i, r in enumerate(self.regions))

    def __len__(self) -> int:
        return len(self.regions)

    # -- applying -----------------------------------------------------------------------------

    def scaled_to(self, size: tuple[int, int]) -> RegionTemplate:
        """The same template on an image of ``size``: each rectangle scaled, in whole pixels.

        Each side is scaled by its own ratio (a scan at another resolution, or another
        aspect ratio); corners are rounded and every rectangle keeps at least one pixel.
        """
        width, height = _size(size, "size")
        if (width, height) == self.image_size:
            return self
        sx = width / self.image_size[0]
        sy = height / self.image_size[1]
        regions = []
        for region in self.regions:
            x1, y1, x2, y2 = region.rect.as_tuple()
            nx1 = min(round(x1 * sx), width - 1)
            ny1 = min(round(y1 * sy), height - 1)
            nx2 = max(nx1 + 1, min(round(x2 * sx), width))
            ny2 = max(ny1 + 1, min(round(y2 * sy), height))
            regions.append(TemplateRegion(region.name, Rect(nx1, ny1, nx2, ny2)))
        return RegionTemplate(tuple(regions), (width, height), name=self.name)

    def recognize(
        self,
        images: str
        | os.PathLike[str]
        | bytes
        | PILImage
        | Iterable[str | os.PathLike[str] | bytes | PILImage],
        *,
        client: OCRClient | None = None,
        concurrency: int | None = None,
    ) -> OCRResultCollection:
        """Recognize this template's regions on every image, with the compact live badge.

        Each image is opened and submitted as the batch goes (never all in memory at once),
        with this template scaled to its size; submitting and polling overlap, at most
        ``concurrency`` requests in flight. A folder path expands to its image files,
        sorted by name.

        Args:
            images: Paths, folders, bytes or PIL images (or one of them).
            client: The client to use (default: one from the environment's credentials).
            concurrency: Requests in flight (default ``OCRClient``'s ``DEFAULT_CONCURRENCY``).

        Returns:
            An ``OCRResultCollection`` in input order; each result's ``submission`` knows
            its ``source`` and region ``names``. An image that could not be read or whose
            task failed holds its error in ``collection.errors`` and the batch goes on.
        """
        # Deferred: the batch drives the live badge, so it lives in notebook/, above this layer.
        from ..notebook.batch import recognize_batch

        return recognize_batch(self, images, client=client, concurrency=concurrency)

    # -- files --------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The JSON object :meth:`save` writes."""
        return {
            "format": TEMPLATE_FORMAT,
            "version": TEMPLATE_VERSION,
            "name": self.name,
            "image_size": list(self.image_size),
            "regions": [{"name": r.name, "rect": list(r.rect.as_tuple())} for r in self.regions],
        }

    @classmethod
    def from_dict(cls, data: object, *, where: str = "The template") -> RegionTemplate:
        """Inverse of :meth:`to_dict`.

        Raises:
            TemplateFileError: not a region template, a newer version, or the wrong shape.
        """
        if not isinstance(data, Mapping):
            raise TemplateFileError(f"{where} is not a region template (not a JSON object).")
        if data.get("format") != TEMPLATE_FORMAT:
            raise TemplateFileError(
                f"{where} is not a region template (its format is {data.get('format')!r}, "
                f"not {TEMPLATE_FORMAT!r})."
            )
        version = data.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise TemplateFileError(f"{where} has no valid version number ({version!r}).")
        if version > TEMPLATE_VERSION:
            raise TemplateFileError(
                f"{where} was written by a newer ocr_notebook (version {version}); upgrade "
                f"ocr_notebook to read it (this one reads version {TEMPLATE_VERSION})."
            )
        try:
            size_raw = data["image_size"]
            regions_raw = data["regions"]
            name = data.get("name", "")
            if not isinstance(name, str):
                raise TypeError("name")
            if not isinstance(regions_raw, list):
                raise TypeError("regions")
            regions = []
            for item in regions_raw:
                if not isinstance(item, Mapping):
                    raise TypeError("region")
                region_name = item.get("name", "")
                rect = item["rect"]
                if (
                    not isinstance(region_name, str)
                    or not isinstance(rect, list)
                    or len(rect) != 4
                    or not all(isinstance(v, int) and not isinstance(v, bool) for v in rect)
                ):
                    raise TypeError("region")
                regions.append(TemplateRegion(region_name, Rect(*rect)))
            return cls(tuple(regions), _size(size_raw, "image_size"), name=name)
        except (KeyError, TypeError, ValueError) as exc:
            detail = f": {exc}" if isinstance(exc, RegionError) else ""
            raise TemplateFileError(
                f"{where} has the wrong shape{detail}; expected "
                '{"format", "version", "image_size": [w, h], "regions": '
                '[{"name", "rect": [x1, y1, x2, y2]}, ...]}.'
            ) from None

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the template as JSON (``{"format": "ocr_notebook.region-template", ...}``)."""
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
        with open(os.fspath(path), "w", encoding="utf-8") as fh:
            fh.write(text + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> RegionTemplate:
        """Read a template written by :meth:`save`.

        Raises:
            TemplateFileError: the file is missing, not JSON, has the wrong shape, or was
                written by a newer version of ocr_notebook.
        """
        where = f"Template file {os.fspath(path)!r}"
        try:
            with open(os.fspath(path), encoding="utf-8") as fh:
                text = fh.read()
        except FileNotFoundError:
            raise TemplateFileError(f"{where} not found.") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise TemplateFileError(f"{where} cannot be read ({type(exc).__name__}).") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TemplateFileError(
                f"{where} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
            ) from None
        return cls.from_dict(data, where=where)

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        w, h = self.image_size
        return f"<RegionTemplate{label} {len(self.regions)} regions on {w}x{h}>"


def _rect(box: Sequence[int] | Rect, number: int) -> Rect:
    if isinstance(box, Rect):
        return box
    if isinstance(box, (str, bytes)) or not isinstance(box, Sequence) or len(box) != 4:
        raise RegionError(f"Box {number} is not 4 corner coordinates (x1, y1, x2, y2): {box!r}.")
    try:
        values = [round(float(v)) for v in box]  # whole pixels, as ScanImage.clip rounds
    except (TypeError, ValueError):
        raise RegionError(f"Box {number} has corners that are not numbers: {box!r}.") from None
    return Rect(*values)


def _size(size: object, what: str) -> tuple[int, int]:
    if (
        isinstance(size, (tuple, list))
        and len(size) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)
    ):
        return (int(size[0]), int(size[1]))
    raise RegionError(f"{what} must be (width, height) in whole pixels above 0, got {size!r}.")
