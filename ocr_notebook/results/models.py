"""Typed results of the Aspose.OCR Cloud v5 API, parsed from the wire format. No I/O here.

An ``OCRResponse`` on the wire is ``{id, taskStatus, responseStatusCode, results, error}``
with ``results = [{type, data}]`` (``data`` standard Base64) and
``error = {messages, warnings}``; see ``shared/reference/aspose-ocr-cloud-v5.md`` §4.
"""

from __future__ import annotations

import base64
import binascii
import enum
import os
from collections.abc import Container, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..analysis.corrections import Corrections, apply_corrections, merge_corrections
from .errors import ResponseFormatError

if TYPE_CHECKING:
    import pandas

    from ..analysis.compare import Comparison, Reference
    from ..analysis.search import SearchHits

__all__ = [
    "TERMINAL_STATUSES",
    "OCRResult",
    "Rect",
    "RegionResult",
    "ResponseStatusCode",
    "Submission",
    "TaskStatus",
]


class _WireEnum(str, enum.Enum):
    """A string enum of wire values with an ``UNKNOWN`` member for values we do not know yet."""

    @classmethod
    def parse(cls, raw: object) -> _WireEnum:
        """Map a wire string to a member; unknown strings and non-strings give ``UNKNOWN``."""
        if isinstance(raw, str):
            member = cls._lookup().get(raw.lower())
            if member is not None:
                return member
        return cls["UNKNOWN"]

    @classmethod
    def _lookup(cls) -> dict[str, _WireEnum]:
        # Case-insensitive, as the service's ASP.NET JSON binder is.
        return {m.value.lower(): m for m in cls if m.name != "UNKNOWN"}

    def __str__(self) -> str:
        return str(self.value)


class TaskStatus(_WireEnum):
    """``taskStatus`` of a task (``OCRTaskStatus`` in the spec)."""

    PENDING = "Pending"
    PROCESSING = "Processing"
    COMPLETED = "Completed"
    ERROR = "Error"
    NOT_EXIST = "NotExist"
    UNKNOWN = "Unknown"

    @property
    def is_terminal(self) -> bool:
        """Whether polling stops at this status (Completed, Error, NotExist)."""
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES: frozenset[TaskStatus] = frozenset(
    {TaskStatus.COMPLETED, TaskStatus.ERROR, TaskStatus.NOT_EXIST}
)


class ResponseStatusCode(_WireEnum):
    """``responseStatusCode`` of a response."""

    OK = "Ok"
    PARTIALLY_NOT_FOUND = "PartiallyNotFound"
    NO_ANY_RESULT_DATA = "NoAnyResultData"
    RESULT_DATA_LOST = "ResultDataLost"
    TASK_NOT_FOUND = "TaskNotFound"
    NOT_READY = "NotReady"
    ERROR = "Error"
    UNKNOWN = "Unknown"


# Result `type` strings whose data is text, and the MIME type / file extension of each
# type. `type` is a free string on the wire ("File data type"), so unknown ones fall back
# to application/octet-stream.
_TEXT_TYPES = frozenset({"text", "hocr", "csv", "json", "other"})
_MIME = {
    "text": ("text/plain", ".txt"),
    "hocr": ("text/html", ".html"),
    "csv": ("text/csv", ".csv"),
    "json": ("application/json", ".json"),
    "other": ("application/json", ".json"),
    "pdf": ("application/pdf", ".pdf"),
    "imagepng": ("image/png", ".png"),
    "wavfile": ("audio/wav", ".wav"),
    "excel": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
}


@dataclass(frozen=True)
class Rect:
    """A rectangle in pixel corners, as the API's ``OCRRect`` defines it."""

    top_left_x: int
    top_left_y: int
    bottom_right_x: int
    bottom_right_y: int

    @classmethod
    def from_box(cls, box: Sequence[int] | Rect) -> Rect:
        """Build from ``(x1, y1, x2, y2)`` corners or return a ``Rect`` unchanged."""
        if isinstance(box, Rect):
            return box
        if len(box) != 4:
            raise ValueError(f"A region is 4 corner coordinates (x1, y1, x2, y2), got {box!r}")
        x1, y1, x2, y2 = (int(v) for v in box)
        return cls(x1, y1, x2, y2)

    def to_wire(self) -> dict[str, int]:
        """The ``OCRRect`` JSON object."""
        return {
            "topLeftX": self.top_left_x,
            "topLeftY": self.top_left_y,
            "bottomRightX": self.bottom_right_x,
            "bottomRightY": self.bottom_right_y,
        }

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Rect:
        """Parse an ``OCRRect``; missing coordinates read as 0, as .NET clients omit zeros."""
        lowered = {str(k).lower(): v for k, v in data.items()}
        return cls(
            int(lowered.get("topleftx", 0) or 0),
            int(lowered.get("toplefty", 0) or 0),
            int(lowered.get("bottomrightx", 0) or 0),
            int(lowered.get("bottomrighty", 0) or 0),
        )

    def as_tuple(self) -> tuple[int, int, int, int]:
        """``(x1, y1, x2, y2)``."""
        return (self.top_left_x, self.top_left_y, self.bottom_right_x, self.bottom_right_y)


@dataclass(frozen=True)
class Submission:
    """What this package sent for a task: the image and its regions (for overlays and the store).

    Attributes:
        image: The image bytes as uploaded.
        regions: The region rectangles in submission order (empty for whole-image operations).
        orders: The ``order`` of each region, parallel to ``regions``.
        api: The operation the task was submitted to.
        settings: The ``settings`` object sent, as JSON.
        names: Each region's name, parallel to ``regions`` (``""`` where unnamed; empty
            when no region was named, e.g. a template's ``invoice_no``).
        source: Where the image came from (a file path, or a caller's label), if known.
    """

    image: bytes
    regions: tuple[Rect, ...] = ()
    orders: tuple[int, ...] = ()
    api: str = "RecognizeRegions"
    settings: Mapping[str, Any] = field(default_factory=dict, compare=False)
    names: tuple[str, ...] = ()
    source: str | None = None

    def rects_in_result_order(self) -> tuple[Rect, ...]:
        """Regions sorted by ``order`` (stable), the order the service returns results in."""
        orders = self.orders or tuple(range(len(self.regions)))
        indexed = sorted(range(len(self.regions)), key=lambda i: orders[i])
        return tuple(self.regions[i] for i in indexed)


@dataclass(frozen=True)
class RegionResult:
    """One entry of ``results``: for RecognizeRegions, one region's recognition.

    Attributes:
        index: Position in ``results`` (0-based), which is the region's place in result order.
        type: The wire ``type`` string as sent (``"Text"``, ``"Hocr"``, ``"Pdf"``, ...).
        data: The Base64-decoded bytes.
    """

    index: int
    type: str
    data: bytes

    @property
    def is_text(self) -> bool:
        """Whether the data is text (Text, Hocr, Csv, JSON, DetectRegions' Other)."""
        return self.type.lower() in _TEXT_TYPES

    @property
    def text(self) -> str | None:
        """The data decoded as UTF-8 for text-like types (invalid bytes replaced), else None."""
        if not self.is_text:
            return None
        return self.data.decode("utf-8", errors="replace")

    @property
    def mime_type(self) -> str:
        """The MIME type of ``data``."""
        return _MIME.get(self.type.lower(), ("application/octet-stream", ".bin"))[0]

    @property
    def extension(self) -> str:
        """The natural file extension of ``data``, with the dot."""
        return _MIME.get(self.type.lower(), ("application/octet-stream", ".bin"))[1]

    def save(self, path: str | os.PathLike[str]) -> str:
        """Write the decoded bytes to ``path`` (a folder gets ``region-<index><ext>``).

        Returns:
            The path written.
        """
        target = os.fspath(path)
        if os.path.isdir(target):
            target = os.path.join(target, f"region-{self.index:04d}{self.extension}")
        with open(target, "wb") as fh:
            fh.write(self.data)
        return target

    def __repr__(self) -> str:
        return f"<RegionResult {self.index} {self.type} {len(self.data)} bytes>"


@dataclass(frozen=True)
class OCRResult:
    """A parsed ``OCRResponse``: a task's status and, when Completed, its decoded results.

    Attributes:
        id: The task id the service reported (``None`` if it sent none).
        status: The task status; ``TaskStatus.UNKNOWN`` for a value this version does not know.
        response_status_code: The response status code, ``UNKNOWN`` likewise.
        regions: The decoded results, in the order the service sent them.
        messages: ``error.messages`` (empty when none).
        warnings: ``error.warnings`` (empty when none).
        raw: The response JSON as received (excluded from equality).
        api: The operation the result was fetched from.
        submission: What this package submitted for the task, when it did.
        corrections: ``{region order: corrected text}`` (see :meth:`corrected`); empty
            when none. ``regions`` always hold the service's data.
    """

    id: str | None
    status: TaskStatus
    response_status_code: ResponseStatusCode = ResponseStatusCode.UNKNOWN
    regions: tuple[RegionResult, ...] = ()
    messages: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    api: str = "RecognizeRegions"
    submission: Submission | None = field(default=None, compare=False, repr=False)
    corrections: Mapping[int, str] = field(default_factory=Corrections, hash=False, repr=False)

    def __post_init__(self) -> None:
        # Read-only, so a result's corrections change only through `corrected`.
        object.__setattr__(self, "corrections", Corrections(self.corrections))

    # -- parsing --------------------------------------------------------------------------

    @classmethod
    def from_response(
        cls,
        payload: object,
        *,
        api: str = "RecognizeRegions",
        submission: Submission | None = None,
    ) -> OCRResult:
        """Parse an ``OCRResponse`` (or ``TTSResponse``) JSON object.

        Raises:
            ResponseFormatError: ``payload`` is not an object, a field has the wrong type,
                or a result's ``data`` is not valid Base64.
        """
        if not isinstance(payload, Mapping):
            raise ResponseFormatError(
                f"Expected an OCRResponse JSON object, got {type(payload).__name__}."
            )
        # ASP.NET binds property names case-insensitively; so do we.
        fields = {str(k).lower(): v for k, v in payload.items()}
        task_id = fields.get("id")
        if task_id is not None and not isinstance(task_id, str):
            raise ResponseFormatError("OCRResponse.id is not a string.")
        results = fields.get("results")
        if results is None:
            results = []
        if not isinstance(results, list):
            raise ResponseFormatError("OCRResponse.results is not a list.", task_id=task_id)
        regions = tuple(_parse_region(i, item, task_id) for i, item in enumerate(results))
        error = fields.get("error")
        messages: tuple[str, ...] = ()
        warnings: tuple[str, ...] = ()
        if error is not None:
            if not isinstance(error, Mapping):
                raise ResponseFormatError("OCRResponse.error is not an object.", task_id=task_id)
            err = {str(k).lower(): v for k, v in error.items()}
            messages = _strings(err.get("messages"), "error.messages", task_id)
            warnings = _strings(err.get("warnings"), "error.warnings", task_id)
        return cls(
            id=task_id,
            status=TaskStatus.parse(fields.get("taskstatus")),  # type: ignore[arg-type]
            response_status_code=ResponseStatusCode.parse(  # type: ignore[arg-type]
                fields.get("responsestatuscode")
            ),
            regions=regions,
            messages=messages,
            warnings=warnings,
            raw=dict(payload),
            api=api,
            submission=submission,
        )

    @property
    def status_raw(self) -> str | None:
        """The ``taskStatus`` string exactly as received (useful when ``status`` is UNKNOWN)."""
        return _raw_field(self.raw, "taskstatus")

    @property
    def response_status_code_raw(self) -> str | None:
        """The ``responseStatusCode`` string exactly as received."""
        return _raw_field(self.raw, "responsestatuscode")

    # -- analysis -------------------------------------------------------------------------

    @property
    def texts(self) -> list[str]:
        """The text of every text-like region, in region order (corrected, see ``corrected``)."""
        return [t for t in self.region_texts() if t is not None]

    @property
    def ocr_texts(self) -> list[str]:
        """The service's text of every text-like region, in region order, corrected or not."""
        return [r.text for r in self.regions if r.text is not None]

    def region_texts(self) -> list[str | None]:
        """Each region's text, parallel to ``regions`` (None for binary data), corrected."""
        texts = [r.text for r in self.regions]
        if not self.corrections:
            return texts
        orders = _orders_in_result_order(self.submission, len(self.regions))
        return apply_corrections(zip(orders, texts, strict=True), self.corrections)

    def corrected(self, corrections: Mapping[int, str]) -> OCRResult:
        """A copy whose ``texts`` carry ``corrections`` on top of any it already has.

        Args:
            corrections: ``{region order: text}`` (the ``order`` column of
                ``to_dataframe()``). A region corrected back to the service's text is no
                longer corrected. ``ocr_texts`` and ``regions`` keep the service's data.

        Raises:
            TypeError: A key is not an int or a text not a str.
            ValueError: A key is not the order of a text region.
        """
        merged = merge_corrections(self.corrections, corrections, self.ocr_texts_by_order())
        return replace(self, corrections=merged)

    def texts_by_order(self) -> dict[int, str]:
        """The (corrected) text of each text-like region, by the region's ``order``."""
        orders = _orders_in_result_order(self.submission, len(self.regions))
        return {o: t for o, t in zip(orders, self.region_texts(), strict=True) if t is not None}

    def search(
        self, pattern: str, *, regex: bool = False, case: bool = False, fuzzy: float | None = None
    ) -> SearchHits:
        """Every occurrence of ``pattern`` in the (corrected) texts, each in its context.

        Args:
            pattern: A literal, or a regular expression with ``regex=True``.
            regex: Python regular-expression syntax, stopped after 2 s if it backtracks
                catastrophically.
            case: Match case exactly (default: ignore case).
            fuzzy: A similarity threshold 0-100: find approximate occurrences (rapidfuzz).

        Raises:
            ValueError: An empty or invalid pattern, a regex that ran too long, ``regex``
                with ``fuzzy``, or a threshold outside 0-100.
        """
        # Imported here so that `import ocr_notebook` does not load regex and rapidfuzz.
        from ..analysis.search import search_texts

        items = [(self.id, o, t) for o, t in self.texts_by_order().items()]
        return search_texts(items, pattern, regex=regex, case=case, fuzzy=fuzzy)

    def compare(self, reference: Reference) -> Comparison:
        """Character and word error rates of the (corrected) texts against ``reference``.

        Args:
            reference: A list of strings (one per text region, in order), a mapping from
                region order or region name (``submission.names``) to text, or another
                ``OCRResult`` (its texts).

        Raises:
            ValueError: The reference is empty, names an unknown region, or a list of
                another length than the regions.
        """
        # Imported here so that `import ocr_notebook` does not load rapidfuzz.
        from ..analysis.compare import compare_texts, reference_by_order

        names = _names_by_order(self.submission, len(self.regions))
        expected = reference_by_order(reference, self.texts_by_order(), names)
        return compare_texts(self.texts_by_order(), expected, task_id=self.id)

    def to_markdown(self) -> str:
        """A Markdown table of the regions: order, name (if any), text, corrected.

        Pipes, backslashes and line breaks in texts are escaped, so every region stays one row.
        """
        from ..analysis.export import markdown_table, region_rows

        return markdown_table(region_rows(self))

    def ocr_texts_by_order(self) -> dict[int, str]:
        """The service's text of each text-like region, by the region's ``order``."""
        orders = _orders_in_result_order(self.submission, len(self.regions))
        return {o: r.text for o, r in zip(orders, self.regions, strict=True) if r.text is not None}

    @property
    def text(self) -> str:
        """All region texts joined by newlines."""
        return "\n".join(self.texts)

    @property
    def is_completed(self) -> bool:
        """Whether the task status is Completed."""
        return self.status is TaskStatus.COMPLETED

    def __iter__(self) -> Iterator[RegionResult]:
        return iter(self.regions)

    def __len__(self) -> int:
        return len(self.regions)

    def __getitem__(self, index: int) -> RegionResult:
        return self.regions[index]

    def to_dataframe(self) -> pandas.DataFrame:
        """One row per region: task id, region, order, type, text, characters, ocr_text, corrected.

        ``text`` is the corrected text where the region was corrected, ``ocr_text`` the
        service's, ``corrected`` says which.

        Raises:
            ImportError: pandas is not installed (``pip install pandas``).
        """
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - exercised only without pandas
            raise ImportError("OCRResult.to_dataframe() needs pandas: pip install pandas") from exc
        frame: pandas.DataFrame = pd.DataFrame(self._rows(), columns=list(_DATAFRAME_COLUMNS))
        return frame

    def _rows(self) -> list[dict[str, Any]]:
        orders = _orders_in_result_order(self.submission, len(self.regions))
        texts = self.region_texts()
        return [
            {
                "task_id": self.id,
                "region": r.index,
                "order": orders[r.index],
                "type": r.type,
                "text": texts[r.index],
                "characters": len(texts[r.index] or ""),
                "ocr_text": r.text,
                "corrected": orders[r.index] in self.corrections,
            }
            for r in self.regions
        ]

    def save(self, folder: str | os.PathLike[str]) -> list[str]:
        """Write each region to ``folder`` in its natural format; returns the paths written."""
        os.makedirs(folder, exist_ok=True)
        return [r.save(folder) for r in self.regions]

    # -- serialisation --------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the wire response plus ``api`` (and the submission, if known)."""
        out: dict[str, Any] = {
            "id": self.id,
            "taskStatus": self.status_raw if self.status_raw is not None else self.status.value,
            "responseStatusCode": (
                self.response_status_code_raw
                if self.response_status_code_raw is not None
                else self.response_status_code.value
            ),
            "results": [
                {"type": r.type, "data": base64.b64encode(r.data).decode("ascii")}
                for r in self.regions
            ],
            "error": (
                {"messages": list(self.messages), "warnings": list(self.warnings)}
                if self.messages or self.warnings
                else None
            ),
            "api": self.api,
        }
        if self.corrections:
            out["corrections"] = {str(k): v for k, v in self.corrections.items()}
        if self.submission is not None:
            sub = self.submission
            out["submission"] = {
                "image": base64.b64encode(sub.image).decode("ascii"),
                "regions": [r.to_wire() for r in sub.regions],
                "orders": list(sub.orders),
                "api": sub.api,
                "settings": dict(sub.settings),
            }
            # Only when known, so payloads of unnamed submissions stay as they were.
            if sub.names:
                out["submission"]["names"] = list(sub.names)
            if sub.source is not None:
                out["submission"]["source"] = sub.source
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OCRResult:
        """Inverse of :meth:`to_dict`."""
        submission = None
        sub = data.get("submission")
        if isinstance(sub, Mapping):
            submission = Submission(
                image=base64.b64decode(sub.get("image", "")),
                regions=tuple(Rect.from_wire(r) for r in sub.get("regions", [])),
                orders=tuple(int(o) for o in sub.get("orders", [])),
                api=str(sub.get("api", "RecognizeRegions")),
                settings=dict(sub.get("settings") or {}),
                # Absent in payloads stored before names and sources were kept.
                names=tuple(str(n) for n in sub.get("names") or ()),
                source=str(sub["source"]) if sub.get("source") is not None else None,
            )
        wire = {k: v for k, v in data.items() if k not in ("api", "submission", "corrections")}
        result = cls.from_response(
            wire, api=str(data.get("api", "RecognizeRegions")), submission=submission
        )
        corrections = data.get("corrections")
        if isinstance(corrections, Mapping) and corrections:
            result = result.corrected({int(k): v for k, v in corrections.items()})
        return result

    def with_submission(self, submission: Submission | None) -> OCRResult:
        """A copy that knows what was submitted for the task."""
        return replace(self, submission=submission)

    def __repr__(self) -> str:
        chars = sum(len(t) for t in self.texts)
        corrected = f" corrected={len(self.corrections)}" if self.corrections else ""
        return (
            f"<OCRResult id={self.id} {self.status_raw or self.status.value} "
            f"regions={len(self.regions)} chars={chars}{corrected}>"
        )

    def _repr_mimebundle_(
        self,
        include: Container[str] | None = None,
        exclude: Container[str] | None = None,
    ) -> dict[str, str]:
        """Rich display for IPython/Jupyter: ``text/plain`` and escaped ``text/html``.

        Shows at most ``ocr_notebook.display.results.DEFAULTS.display_limit`` regions (50 by
        default; ``%config OCRMagics.display_limit = N`` or
        ``ocr_notebook.display.results.set_display_limit(N)`` changes it, ``None`` shows all).
        """
        # Imported here so that `import ocr_notebook` does not load the renderer.
        from ..display.results import mimebundle

        return mimebundle(self, include=include, exclude=exclude)


_DATAFRAME_COLUMNS = (
    "task_id",
    "region",
    "order",
    "type",
    "text",
    "characters",
    "ocr_text",
    "corrected",
)


def _names_by_order(submission: Submission | None, count: int) -> dict[str, int]:
    """Each named region's ``order``, by name (empty when the submission names none)."""
    if submission is None or not submission.names or len(submission.regions) != count:
        return {}
    orders = submission.orders or tuple(range(count))
    return {name: order for name, order in zip(submission.names, orders, strict=False) if name}


def _orders_in_result_order(submission: Submission | None, count: int) -> list[int]:
    if submission is None or len(submission.regions) != count:
        return list(range(count))
    orders = submission.orders or tuple(range(count))
    return sorted(orders)


def _raw_field(raw: Mapping[str, Any], lowered_name: str) -> str | None:
    for key, value in raw.items():
        if str(key).lower() == lowered_name:
            return value if isinstance(value, str) else None
    return None


def _strings(value: object, name: str, task_id: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ResponseFormatError(f"OCRResponse.{name} is not a list of strings.", task_id=task_id)
    return tuple(value)


def _parse_region(index: int, item: object, task_id: str | None) -> RegionResult:
    if not isinstance(item, Mapping):
        raise ResponseFormatError(
            f"OCRResponse.results[{index}] is not an object.", task_id=task_id
        )
    fields = {str(k).lower(): v for k, v in item.items()}
    rtype = fields.get("type")
    data = fields.get("data")
    if rtype is not None and not isinstance(rtype, str):
        raise ResponseFormatError(
            f"OCRResponse.results[{index}].type is not a string.", task_id=task_id
        )
    if data is not None and not isinstance(data, str):
        raise ResponseFormatError(
            f"OCRResponse.results[{index}].data is not a Base64 string.", task_id=task_id
        )
    try:
        decoded = base64.b64decode(data or "", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ResponseFormatError(
            f"OCRResponse.results[{index}].data is not valid Base64 ({exc}).", task_id=task_id
        ) from None
    return RegionResult(index=index, type=rtype or "", data=decoded)
