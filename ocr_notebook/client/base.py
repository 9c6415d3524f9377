"""The client's decisions, without I/O: shared by ``OCRClient`` and ``AsyncOCRClient``.

:class:`OCRClientBase` holds every decision: which URL an operation lives at, how a request
is built, how a response is parsed, how ``fetch_many`` checks and slots its ids, and how
httpx exceptions and HTTP statuses become this package's errors (:meth:`_translate` and
:meth:`_check_status`, the one boundary). It sends nothing, sleeps never and reads no file;
the shells in ``clients.py`` do that, and differ only by ``await``.
"""

from __future__ import annotations

import base64
import json
import ssl
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

import httpx

from ..results.errors import (
    AuthenticationError,
    HTTPStatusError,
    OCRError,
    RateLimitError,
    ResponseFormatError,
    TransportError,
)
from ..results.models import OCRResult, Rect, Submission, TaskStatus
from ..wire.limits import check_region_count
from ..wire.operations import (
    BINARIZE_BY_DEFAULT,
    IMAGE_ONLY_OPERATIONS,
    IMAGE_OPERATIONS,
    NO_RESULT_TYPE_OPERATIONS,
    NO_SKEW_CORRECTION_OPERATIONS,
    STATUS_OPERATION,
    resolve_api,
)
from ..wire.task_ids import validate_task_id
from . import submissions as _submissions
from .auth import TokenAuth, parse_retry_after
from .config import ClientConfig, resolve_config
from .detection import DETECT_API, build_detect_body
from .images import image_size, image_source
from .polling import PollEvent, PollPolicy, PollResponse
from .reasons import transport_reason

__all__ = [
    "CompletedResults",
    "FetchSlots",
    "OCRClientBase",
    "OnStatus",
    "RegionInput",
    "RegionSet",
    "build_submit_body",
]

RegionInput = Sequence[int] | Rect


@runtime_checkable
class RegionSet(Protocol):
    """Named rectangles drawn on an image of a known size: what a ``RegionTemplate`` is.

    The client takes one in place of plain rectangles and scales it to the image it sends;
    a protocol, so the client layer needs nothing from ``regions/``.
    """

    @property
    def rects(self) -> tuple[Rect, ...]:
        """The rectangles, in recognition order."""

    @property
    def names(self) -> tuple[str, ...]:
        """Each rectangle's name (``""`` when unnamed)."""

    def scaled_to(self, size: tuple[int, int]) -> RegionSet:
        """The same rectangles on an image of ``size`` (width, height)."""


OnStatus = Callable[[PollEvent], None]
#: The shell's transport (``httpx.BaseTransport`` or ``httpx.AsyncBaseTransport``).
TransportT = TypeVar("TransportT", httpx.BaseTransport, httpx.AsyncBaseTransport)
#: The shell's ``sleep`` (``time.sleep``-like, or an async ``asyncio.sleep``-like).
SleepT = TypeVar("SleepT")

_DETAIL_LIMIT = 200


class CompletedResults(Protocol):
    """Where a client writes every Completed result it fetches: the completion hook.

    The store layer provides it (``ResultStore``), so the client layer never touches the
    database itself.
    """

    def on_completed(self, base_url: str, api: str, result: OCRResult) -> None:
        """Keep ``result``; must not raise (losing the copy must not lose the fetch)."""


@dataclass
class FetchSlots:
    """``fetch_many``'s bookkeeping: one slot per id given, in order.

    Attributes:
        api: The operation, resolved.
        slots: A malformed id's slot already holds its ``InvalidTaskIdError``.
        valid: ``(slot index, task id)`` of every id to fetch.
    """

    api: str
    slots: list[OCRResult | OCRError | None]
    valid: list[tuple[int, str]]

    @property
    def task_ids(self) -> list[str]:
        """The ids to fetch, in order."""
        return [tid for _, tid in self.valid]

    def filled(self, outcomes: Sequence[OCRResult | OCRError]) -> list[OCRResult | OCRError]:
        """Every slot, with ``outcomes`` (one per id fetched, in order) put in place."""
        for (index, _), outcome in zip(self.valid, outcomes, strict=True):
            self.slots[index] = outcome
        return [slot for slot in self.slots if slot is not None]


def _user_agent() -> str:
    try:
        ours = version("ocr_notebook")
    except Exception:  # pragma: no cover - not installed (running from a source tree)
        ours = "dev"
    return f"ocr_notebook/{ours} httpx/{httpx.__version__}"


_USER_AGENT = _user_agent()


def _sdk_settings(api: str) -> dict[str, Any]:
    # What the vendor's Python SDK sends when a caller sets nothing (see wire/operations.py).
    return {
        "makeSkewCorrect": api not in NO_SKEW_CORRECTION_OPERATIONS,
        "makeSpellCheck": False,
        "makeContrastCorrection": False,
        "makeUpsampling": False,
        "makeBinarization": api in BINARIZE_BY_DEFAULT,
    }


def _merge_settings(base: dict[str, Any], extra: Mapping[str, Any] | None) -> dict[str, Any]:
    # The service binds names case-insensitively: a caller's `rotate` replaces our `Rotate`.
    merged = dict(base)
    for key, value in (extra or {}).items():
        for existing in [k for k in merged if k.lower() == str(key).lower()]:
            del merged[existing]
        merged[str(key)] = value
    return merged


def build_submit_body(
    api: str,
    image: bytes,
    *,
    language: str | None = "English",
    result_type: str | None = "Text",
    regions: Sequence[Rect] = (),
    orders: Sequence[int] = (),
    settings: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON body of ``POST /v5.0/ocr/{api}``, as the vendor's SDK sends it.

    Args:
        api: A canonical operation name with an image body.
        image: The raw image (or PDF/DjVu) bytes; sent as standard Base64.
        language: ``settings.language`` (None: omitted).
        result_type: ``resultType`` (``resultTypeTable`` for RecognizeTable; None: omitted).
        regions: RecognizeRegions' rectangles.
        orders: The ``order`` of each region, parallel to ``regions``.
        settings: Extra or overriding settings, by wire name.
    """
    encoded = base64.b64encode(image).decode("ascii")
    if api in IMAGE_ONLY_OPERATIONS:
        if settings:
            raise ValueError(f"{api} takes no settings: its body is just the image.")
        return {"image": encoded}
    wire: dict[str, Any] = {}
    if language is not None:
        wire["language"] = language
    wire.update(_sdk_settings(api))
    if result_type is not None and api not in NO_RESULT_TYPE_OPERATIONS:
        wire["resultTypeTable" if api == "RecognizeTable" else "resultType"] = result_type
    if api == "RecognizeRegions":
        wire["regions"] = [
            {"rect": rect.to_wire(), "order": int(order)}
            for rect, order in zip(regions, orders, strict=True)
        ]
    return {"image": encoded, "settings": _merge_settings(wire, settings)}


def _read_regions(regions: Iterable[RegionInput]) -> tuple[Rect, ...]:
    rects: list[Rect] = []
    for number, region in enumerate(regions):
        rect = Rect.from_box(region)
        x1, y1, x2, y2 = rect.as_tuple()
        if min(x1, y1) < 0 or x2 <= x1 or y2 <= y1:
            raise ValueError(
                f"Region {number} {rect.as_tuple()} is not a rectangle in pixel corners "
                "(x1, y1, x2, y2) with x2 > x1 >= 0 and y2 > y1 >= 0."
            )
        rects.append(rect)
    if not rects:
        raise ValueError("No regions given; pass [(x1, y1, x2, y2), ...] or use submit_image.")
    check_region_count(len(rects))
    return tuple(rects)


def _clean(text: str, secrets: Sequence[str]) -> str:
    """A server-provided string made safe for a one-line message: no secrets, no control chars."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    return text if len(text) <= _DETAIL_LIMIT else text[:_DETAIL_LIMIT] + "…"


class OCRClientBase(Generic[TransportT, SleepT]):
    """Decisions without I/O, shared by the sync and async clients (arguments: ``OCRClient``).

    A shell only opens its httpx client (:meth:`_open`) and sends, sleeps and locks.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        token: str | None = None,
        timeout: float | httpx.Timeout = 30.0,
        transport: TransportT | None = None,
        poll_policy: PollPolicy | None = None,
        allow_insecure_http: bool = False,
        verify: bool | ssl.SSLContext = True,
        sleep: SleepT | None = None,
        clock: Callable[[], float] | None = None,
        store: CompletedResults | None = None,
    ) -> None:
        self._config: ClientConfig = resolve_config(
            base_url,
            client_id=client_id,
            client_secret=client_secret,
            token=token,
            allow_insecure_http=allow_insecure_http,
        )
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._clock = clock or time.monotonic
        self.poll_policy = poll_policy or PollPolicy()
        #: Where Completed results are also written (None: nowhere). See ``ResultStore``.
        self.store = store
        self._auth = TokenAuth(
            self._config.token_url,
            client_id=self._config.client_id,
            client_secret=self._config.client_secret,
            token=self._config.token,
            allow_insecure_http=allow_insecure_http,
            clock=self._clock,
        )
        self._sleep = sleep
        self._open(transport, verify)

    def _open(self, transport: TransportT | None, verify: bool | ssl.SSLContext) -> None:
        """Create the shell's httpx client (``self._http``) with ``self._auth``."""
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        """The service URL, normalized (no trailing slash)."""
        return self._config.base_url

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"<{name} base_url={self.base_url!r} client_id={self._config.client_id!r}>"

    # -- requests ---------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        task_id: str | None = None,
        accept: str | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> httpx.Request:
        headers = {"User-Agent": _USER_AGENT}
        if accept is not None:
            headers["Accept"] = accept
        content: bytes | None = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = json.dumps(body, separators=(",", ":")).encode("utf-8")
        return httpx.Request(
            method,
            self._config.operation_url(path),
            params={"id": task_id} if task_id is not None else None,
            headers=headers,
            content=content,
            extensions={"timeout": self._timeout.as_dict()},
        )

    def _get_request(self, task_id: object, api: object) -> tuple[httpx.Request, str, str]:
        name = resolve_api(api)
        tid = validate_task_id(task_id)
        return self._request("GET", name, task_id=tid, accept="application/json"), tid, name

    def _status_request(self, task_id: object) -> tuple[httpx.Request, str]:
        tid = validate_task_id(task_id)
        request = self._request(
            "GET", STATUS_OPERATION, task_id=tid, accept="text/plain, application/json, text/json"
        )
        return request, tid

    def _cancel_request(self, task_id: object, api: object) -> tuple[httpx.Request, str]:
        name = resolve_api(api)
        tid = validate_task_id(task_id)
        return self._request("DELETE", name, task_id=tid), tid

    def _submit_regions_request(
        self,
        data: bytes,
        regions: Iterable[RegionInput] | RegionSet,
        *,
        image: object,
        language: str,
        result_type: str,
        orders: Sequence[int] | None,
        settings: Mapping[str, Any] | None,
    ) -> tuple[httpx.Request, Submission]:
        names: tuple[str, ...] = ()
        if isinstance(regions, RegionSet):
            # Scaled to the size of the picture uploaded (a header read, no file I/O).
            template = regions.scaled_to(image_size(image, data))
            rects = template.rects
            names = template.names if any(template.names) else ()
        else:
            rects = _read_regions(regions)
        order = tuple(int(o) for o in orders) if orders is not None else tuple(range(len(rects)))
        if len(order) != len(rects):
            raise ValueError(
                f"orders has {len(order)} entries for {len(rects)} regions; give one each."
            )
        body = build_submit_body(
            "RecognizeRegions",
            data,
            language=language,
            result_type=result_type,
            regions=rects,
            orders=order,
            settings=settings,
        )
        submission = Submission(
            image=data,
            regions=rects,
            orders=order,
            api="RecognizeRegions",
            settings=body["settings"],
            names=names,
            source=image_source(image),
        )
        return self._request("POST", "RecognizeRegions", accept="text/plain", body=body), submission

    def _detect_request(
        self,
        data: bytes,
        *,
        image: object,
        language: str,
        settings: Mapping[str, Any] | None,
    ) -> tuple[httpx.Request, Submission]:
        body = build_detect_body(data, language=language, settings=settings)
        submission = Submission(
            image=data, api=DETECT_API, settings=body["settings"], source=image_source(image)
        )
        return self._request("POST", DETECT_API, accept="text/plain", body=body), submission

    def _submit_image_request(
        self,
        data: bytes,
        *,
        image: object,
        api: str,
        language: str,
        result_type: str,
        settings: Mapping[str, Any] | None,
    ) -> tuple[httpx.Request, Submission]:
        name = resolve_api(api, allowed=IMAGE_OPERATIONS)
        if name == "RecognizeRegions":
            raise ValueError("For RecognizeRegions use submit_regions(image, regions, ...).")
        body = build_submit_body(
            name, data, language=language, result_type=result_type, settings=settings
        )
        submission = Submission(
            image=data, api=name, settings=body.get("settings", {}), source=image_source(image)
        )
        return self._request("POST", name, accept="text/plain", body=body), submission

    # -- responses --------------------------------------------------------------------------

    def _secrets(self) -> tuple[str, ...]:
        return (*self._auth.secret_values(), *(s for s in (self._config.token,) if s))

    def _check_status(self, response: httpx.Response, *, task_id: str | None) -> None:
        """Map a non-2xx status to this package's errors (the HTTP half of the boundary)."""
        code = response.status_code
        if 200 <= code < 300:
            return
        request = response.request
        where = f"{request.method} {request.url.path}"
        detail = self._detail(response)
        said = f": {detail}" if detail else ""
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        context: dict[str, Any] = {"task_id": task_id, "http_status": code, "url": self.base_url}
        if code in (401, 403):
            raise AuthenticationError(
                f"{where} was refused (HTTP {code}){said}; check the client id and secret "
                "(ASPOSE_OCR_CLIENT_ID / ASPOSE_OCR_CLIENT_SECRET) or the token.",
                **context,
            )
        if code == 429:
            wait = f" {retry_after:.0f} s" if retry_after is not None else " a while"
            raise RateLimitError(
                f"{where} was rate limited (HTTP 429){said}; wait{wait} and try again.",
                retry_after=retry_after,
                **context,
            )
        if code == 404:
            raise HTTPStatusError(
                f"{where} answered HTTP 404{said}; is base_url {self.base_url!r} an Aspose "
                "OCR Cloud v5 API (e.g. https://api.aspose.cloud)?",
                **context,
            )
        if 500 <= code <= 599:
            raise HTTPStatusError(
                f"{where} failed on the service (HTTP {code}){said}; try again later.",
                retry_after=retry_after,
                **context,
            )
        raise HTTPStatusError(
            f"{where} answered HTTP {code}{said}.", retry_after=retry_after, **context
        )

    def _detail(self, response: httpx.Response) -> str:
        # ProblemDetails (title/detail) or a short text body; never the request.
        try:
            payload = response.json()
        except (ValueError, UnicodeDecodeError):
            payload = None
        if isinstance(payload, dict):
            parts = [payload.get(k) for k in ("title", "detail", "error", "error_description")]
            text = " - ".join(p for p in parts if isinstance(p, str) and p)
        else:
            ctype = response.headers.get("Content-Type", "")
            text = response.text if ctype.startswith("text/plain") else ""
        return _clean(text, self._secrets())

    def _translate(
        self, exc: httpx.HTTPError, request: httpx.Request, task_id: str | None
    ) -> OCRError:
        """Map an httpx exception to this package's errors (the transport half of the boundary)."""
        url = request.url
        where = f"{request.method} {url.scheme}://{url.netloc.decode('ascii', 'replace')}{url.path}"
        reason = _clean(str(exc), self._secrets()) or type(exc).__name__
        if isinstance(exc, httpx.DecodingError):
            return ResponseFormatError(
                f"{where}: the response could not be decoded ({reason}).", task_id=task_id
            )
        if isinstance(exc, httpx.TimeoutException):
            kind = "timed out"
        elif isinstance(exc, httpx.ConnectError):
            kind = "could not connect"
        else:
            kind = "failed"
        return TransportError(
            f"{where} {kind} ({type(exc).__name__}: {reason}); is the service reachable "
            "and base_url right?",
            task_id=task_id,
            url=self.base_url,
            reason=transport_reason(exc),
            detail=f"{type(exc).__name__}: {reason}",
        )

    def _poll_response(self, response: httpx.Response, *, api: str, task_id: str) -> PollResponse:
        self._check_status(response, task_id=task_id)
        try:
            payload = response.json()
        except (ValueError, UnicodeDecodeError):
            ctype = response.headers.get("Content-Type", "none")
            raise ResponseFormatError(
                f"GET {api} for task {task_id} answered {len(response.content)} bytes of "
                f"{ctype}, not JSON; is base_url an Aspose OCR Cloud v5 API?",
                task_id=task_id,
                http_status=response.status_code,
            ) from None
        try:
            result = OCRResult.from_response(
                payload, api=api, submission=_submissions.lookup(self.base_url, task_id)
            )
        except ResponseFormatError as exc:
            # The model says what is wrong; say which request and what to do about it.
            raise ResponseFormatError(
                f"GET {api} for task {task_id}: {exc.message.rstrip('.')}; the answer is "
                "malformed: fetch again, and check base_url if it keeps happening.",
                task_id=task_id,
                http_status=response.status_code,
            ) from None
        if api != STATUS_OPERATION:
            self._keep(result, api)
        return PollResponse(result, parse_retry_after(response.headers.get("Retry-After")))

    def _keep(self, result: OCRResult, api: str) -> None:
        if self.store is not None and result.status is TaskStatus.COMPLETED:
            self.store.on_completed(self.base_url, api, result)

    def _submitted_id(self, response: httpx.Response, submission: Submission) -> str:
        self._check_status(response, task_id=None)
        text = response.text.strip().strip('"')
        try:
            task_id = validate_task_id(text)
        except OCRError:
            raise ResponseFormatError(
                f"POST {submission.api} answered {len(response.content)} bytes that are not a "
                "task id; is base_url an Aspose OCR Cloud v5 API?",
                http_status=response.status_code,
            ) from None
        _submissions.remember(self.base_url, task_id, submission)
        return task_id

    def _plan_fetch_many(self, task_ids: Iterable[str], api: str, concurrency: int) -> FetchSlots:
        """Resolve ``api``, check ``concurrency`` and slot the ids (malformed ones: their error).

        Raises:
            UnknownOperationError: ``api`` is not an operation with a GET by id.
            ValueError: ``concurrency`` is below 1.
        """
        name = resolve_api(api)
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}.")
        ids = list(task_ids)
        slots: list[OCRResult | OCRError | None] = [None] * len(ids)
        valid: list[tuple[int, str]] = []
        for index, raw in enumerate(ids):
            try:
                valid.append((index, validate_task_id(raw)))
            except OCRError as exc:
                slots[index] = exc
        return FetchSlots(api=name, slots=slots, valid=valid)
