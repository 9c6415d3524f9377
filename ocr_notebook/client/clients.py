"""``OCRClient`` and ``AsyncOCRClient``: the v5 API over httpx.

``_BaseClient`` holds every decision and does no I/O: which URL an operation lives at,
how a request is built, how a response is parsed, and how httpx exceptions and HTTP
statuses become this package's errors (:meth:`_BaseClient._translate` and
:meth:`_BaseClient._check_status`, the one boundary). ``OCRClient`` and
``AsyncOCRClient`` are thin shells that send and sleep; they differ only by ``await``.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import sqlite3
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Union

import httpx

from ..regions.template import RegionTemplate, check_region_count
from ..results.errors import (
    AuthenticationError,
    HTTPStatusError,
    OCRError,
    RateLimitError,
    ResponseFormatError,
    TransportError,
)
from ..results.models import OCRResult, Rect, Submission, TaskStatus
from ..wire.task_ids import validate_task_id
from . import submissions as _submissions
from .auth import TokenAuth, parse_retry_after
from .config import (
    IMAGE_OPERATIONS,
    STATUS_OPERATION,
    ClientConfig,
    resolve_api,
    resolve_config,
)
from .detection import DETECT_API, build_detect_body, parse_detected_regions
from .images import (
    TIFF_MAGIC,
    PreparedImage,
    image_size,
    image_source,
    refuse_multipage_tiff,
)
from .polling import (
    DEFAULT_CONCURRENCY,
    AsyncPoller,
    Poller,
    PollEvent,
    PollPolicy,
    PollResponse,
    async_poll_many,
    poll_many,
)
from .pool import ShardedAsyncTransport, ShardedTransport

if TYPE_CHECKING:
    from PIL import Image as PILImage

    from ..regions.scan import ScanImage
    from ..store.result_store import ResultStore

__all__ = [
    "AsyncOCRClient",
    "ImageInput",
    "OCRClient",
    "PreparedImage",
    "RegionInput",
    "build_submit_body",
]


ImageInput = Union[
    str,
    "os.PathLike[str]",
    bytes,
    bytearray,
    memoryview,
    "PILImage.Image",
    "ScanImage",
    PreparedImage,
]
RegionInput = Sequence[int] | Rect
OnStatus = Callable[[PollEvent], None]

_DETAIL_LIMIT = 200
_log = logging.getLogger("ocr_notebook")


def _user_agent() -> str:
    try:
        from importlib.metadata import version

        ours = version("ocr_notebook")
    except Exception:  # pragma: no cover - not installed (running from a source tree)
        ours = "dev"
    return f"ocr_notebook/{ours} httpx/{httpx.__version__}"


_USER_AGENT = _user_agent()

# The booleans the vendor's Python SDK 24.11.0 sends when a caller sets nothing (its
# pydantic defaults, reference §3.2): makeSkewCorrect, makeBinarization differ by operation.
_SKEW_OFF = frozenset({"RecognizeLabel", "RecognizeAndParseInvoice"})
_BINARIZE_ON = frozenset(
    {
        "RecognizeRegions",
        "RecognizePdf",
        "RecognizeReceipt",
        "RecognizeTable",
        "IdentifyFont",
        "DetectRegions",
        "DjVu2PDF",
    }
)
_IMAGE_ONLY = frozenset({"BinarizeImage", "DeskewImage", "DewarpImage", "UpscaleImage"})
# Operations whose results are not selected by resultType.
_NO_RESULT_TYPE = frozenset({"DetectRegions", "DjVu2PDF"})


def _sdk_settings(api: str) -> dict[str, Any]:
    return {
        "makeSkewCorrect": api not in _SKEW_OFF,
        "makeSpellCheck": False,
        "makeContrastCorrection": False,
        "makeUpsampling": False,
        "makeBinarization": api in _BINARIZE_ON,
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
    """The JSON body of ``POST /v5.0/ocr/{api}`` (reference §3), as the vendor's SDK sends it.

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
    if api in _IMAGE_ONLY:
        if settings:
            raise ValueError(f"{api} takes no settings: its body is just the image.")
        return {"image": encoded}
    wire: dict[str, Any] = {}
    if language is not None:
        wire["language"] = language
    wire.update(_sdk_settings(api))
    if result_type is not None and api not in _NO_RESULT_TYPE:
        wire["resultTypeTable" if api == "RecognizeTable" else "resultType"] = result_type
    if api == "RecognizeRegions":
        wire["regions"] = [
            {"rect": rect.to_wire(), "order": int(order)}
            for rect, order in zip(regions, orders, strict=True)
        ]
    return {"image": encoded, "settings": _merge_settings(wire, settings)}


def _read_image(image: ImageInput) -> bytes:
    submission_bytes = getattr(image, "submission_bytes", None)
    if callable(submission_bytes):
        # A ScanImage: the upright chosen page, exactly the pixels its rectangles are on.
        data: bytes = submission_bytes()
        return data
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


class _BaseClient:
    """Decisions without I/O, shared by the sync and async clients."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        token: str | None = None,
        timeout: float | httpx.Timeout = 30.0,
        poll_policy: PollPolicy | None = None,
        allow_insecure_http: bool = False,
        clock: Callable[[], float] | None = None,
        store: ResultStore | None = None,
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
        image: ImageInput,
        regions: Iterable[RegionInput] | RegionTemplate,
        *,
        language: str,
        result_type: str,
        orders: Sequence[int] | None,
        settings: Mapping[str, Any] | None,
    ) -> tuple[httpx.Request, Submission]:
        data = _read_image(image)
        names: tuple[str, ...] = ()
        if isinstance(regions, RegionTemplate):
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
        self, image: ImageInput, *, language: str, settings: Mapping[str, Any] | None
    ) -> tuple[httpx.Request, Submission]:
        data = _read_image(image)
        body = build_detect_body(data, language=language, settings=settings)
        submission = Submission(
            image=data, api=DETECT_API, settings=body["settings"], source=image_source(image)
        )
        return self._request("POST", DETECT_API, accept="text/plain", body=body), submission

    def _submit_image_request(
        self,
        image: ImageInput,
        *,
        api: str,
        language: str,
        result_type: str,
        settings: Mapping[str, Any] | None,
    ) -> tuple[httpx.Request, Submission]:
        name = resolve_api(api, allowed=IMAGE_OPERATIONS)
        if name == "RecognizeRegions":
            raise ValueError("For RecognizeRegions use submit_regions(image, regions, ...).")
        data = _read_image(image)
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
        context: dict[str, Any] = {"task_id": task_id, "http_status": code}
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
        if self.store is not None and api != STATUS_OPERATION:
            self._keep(result)
        return PollResponse(result, parse_retry_after(response.headers.get("Retry-After")))

    def _keep(self, result: OCRResult) -> None:
        store = self.store
        if store is None or result.status is not TaskStatus.COMPLETED:
            return
        try:
            store.put(self.base_url, result)
        except (OSError, sqlite3.Error) as exc:
            # Losing the local copy must not lose the result the caller is waiting for.
            _log.warning("Could not write task %s to %s: %s", result.id, store, exc)

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


class OCRClient(_BaseClient):
    """A synchronous client of the Aspose.OCR Cloud v5 API.

    Args:
        base_url: The service; default ``$ASPOSE_OCR_BASE_URL`` or ``https://api.aspose.cloud``.
        client_id: OAuth client id; default ``$ASPOSE_OCR_CLIENT_ID``.
        client_secret: OAuth client secret; default ``$ASPOSE_OCR_CLIENT_SECRET``.
        token: A bearer token obtained elsewhere (instead of, or before, client credentials).
        timeout: Seconds per HTTP request (or an ``httpx.Timeout``).
        transport: An httpx transport (tests: ``httpx.MockTransport``).
        poll_policy: How ``wait`` polls; default ``PollPolicy()``.
        allow_insecure_http: Permit credentials over plain HTTP to a non-loopback host.
        verify: TLS verification (on by default), or an ``ssl.SSLContext``.
        sleep: ``time.sleep``-like used between polls (tests inject a fake).
        clock: Monotonic clock for polling and token expiry (tests inject a fake).
        store: A ``ResultStore`` that every Completed result fetched is also written to
            (with its submission, when this package submitted the task), so it outlives
            the service's 24-hour retention. The client only writes it; reading it back
            is the caller's choice (``%ocr_fetch`` answers from it first). A store that
            cannot be written is logged and skipped, never failing the fetch.

    Raises:
        MissingCredentialsError: no token and not both a client id and secret.
        InsecureTransportError: credentials would go over plain HTTP to a remote host.

    Example:
        >>> with OCRClient() as client:  # doctest: +SKIP
        ...     result = client.wait("b7162f77-bf10-407d-86de-ee255e422ca7")
        ...     print(result.text)
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        token: str | None = None,
        timeout: float | httpx.Timeout = 30.0,
        transport: httpx.BaseTransport | None = None,
        poll_policy: PollPolicy | None = None,
        allow_insecure_http: bool = False,
        verify: bool | ssl.SSLContext = True,
        sleep: Callable[[float], object] | None = None,
        clock: Callable[[], float] | None = None,
        store: ResultStore | None = None,
    ) -> None:
        super().__init__(
            base_url,
            client_id=client_id,
            client_secret=client_secret,
            token=token,
            timeout=timeout,
            poll_policy=poll_policy,
            allow_insecure_http=allow_insecure_http,
            clock=clock,
            store=store,
        )
        self._sleep = sleep
        self._http = httpx.Client(
            auth=self._auth,
            transport=transport if transport is not None else ShardedTransport(verify=verify),
            verify=verify,  # still used by the proxy transports httpx mounts from the environment
            timeout=self._timeout,
        )

    def _send(self, request: httpx.Request, task_id: str | None = None) -> httpx.Response:
        try:
            return self._http.send(request)
        except httpx.HTTPError as exc:
            raise self._translate(exc, request, task_id) from exc

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> OCRClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- fetch side -------------------------------------------------------------------------

    def _poll_once(self, task_id: str, api: str) -> PollResponse:
        request, tid, name = self._get_request(task_id, api)
        return self._poll_response(self._send(request, tid), api=name, task_id=tid)

    def get_result(self, task_id: str, api: str = "RecognizeRegions") -> OCRResult:
        """One ``GET /v5.0/ocr/{api}?id=``: the task's current state, whatever it is.

        Raises:
            InvalidTaskIdError: malformed id (no request sent).
            UnknownOperationError: ``api`` is not an operation with a GET by id.
            OCRError: transport, HTTP status or response format errors.
        """
        return self._poll_once(task_id, api).result

    def get_status(self, task_id: str) -> OCRResult:
        """``GET /v5.0/ocr/Utilities/GetTaskStatus?id=``: the status without the results."""
        request, tid = self._status_request(task_id)
        return self._poll_response(
            self._send(request, tid), api=STATUS_OPERATION, task_id=tid
        ).result

    def cancel(self, task_id: str, api: str = "RecognizeRegions") -> None:
        """``DELETE /v5.0/ocr/{api}?id=``: ask the service to cancel (and drop) the task."""
        request, tid = self._cancel_request(task_id, api)
        self._check_status(self._send(request, tid), task_id=tid)

    def poller(
        self,
        task_id: str,
        api: str = "RecognizeRegions",
        *,
        timeout: float | None = None,
        on_status: OnStatus | None = None,
    ) -> Poller:
        """A :class:`Poller` for the task (not started: call ``.result()``)."""
        _, tid, name = self._get_request(task_id, api)
        return Poller(
            lambda: self._poll_once(tid, name),
            task_id=tid,
            policy=self.poll_policy,
            timeout=timeout,
            on_status=on_status,
            sleep=self._sleep,
            clock=self._clock,
        )

    def wait(
        self,
        task_id: str,
        api: str = "RecognizeRegions",
        *,
        timeout: float | None = None,
        on_status: OnStatus | None = None,
    ) -> OCRResult:
        """Poll until the task ends and return its Completed result.

        Args:
            task_id: The task id returned when the task was submitted.
            api: The operation it was submitted to.
            timeout: Overall seconds to keep polling (default ``poll_policy.timeout``).
            on_status: Called with a :class:`PollEvent` after every poll response.

        Raises:
            TaskFailedError: status Error (``.messages``, ``.result``).
            TaskNotFoundError: status NotExist: unknown id or past retention (``.result``).
            PollingTimeoutError: the deadline passed (``.task_id``, ``.status``, ``.polls``).
            OCRError: a non-transient failure, or transient ones beyond ``max_retries``.
        """
        return self.poller(task_id, api, timeout=timeout, on_status=on_status).result()

    def fetch_many(
        self,
        task_ids: Iterable[str],
        api: str = "RecognizeRegions",
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        timeout: float | None = None,
        on_status: OnStatus | None = None,
    ) -> list[OCRResult | OCRError]:
        """Wait for many tasks, with at most ``concurrency`` requests in flight.

        Every task polls on its own schedule; requests share one connection pool and a
        pool of ``concurrency`` threads; ``on_status`` runs on the calling thread.

        Returns:
            In input order, each task's Completed result or the ``OCRError`` that ended it
            (a malformed id's slot holds its ``InvalidTaskIdError``; no request is sent).
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
        if valid:
            pool = ThreadPoolExecutor(
                max_workers=min(concurrency, len(valid)), thread_name_prefix="ocr-fetch"
            )
            finished = False
            try:
                outcomes = poll_many(
                    [tid for _, tid in valid],
                    lambda tid: self._poll_once(tid, name),
                    executor=pool,
                    concurrency=concurrency,
                    policy=self.poll_policy,
                    timeout=timeout,
                    on_status=on_status,
                    sleep=self._sleep or time.sleep,
                    clock=self._clock,
                )
                finished = True
            finally:
                # On an interrupt, return at once; requests in flight end on their own.
                pool.shutdown(wait=finished, cancel_futures=True)
            for (index, _), outcome in zip(valid, outcomes, strict=True):
                slots[index] = outcome
        return [slot for slot in slots if slot is not None]

    # -- submit side ------------------------------------------------------------------------

    def submit_regions(
        self,
        image: ImageInput,
        regions: Iterable[RegionInput] | RegionTemplate,
        *,
        language: str = "English",
        result_type: str = "Text",
        orders: Sequence[int] | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> str:
        """``POST /v5.0/ocr/RecognizeRegions``: recognize rectangles of an image.

        Args:
            image: A file path, bytes, a PIL image (sent as PNG), or a ``ScanImage`` (its
                upright chosen page).
            regions: Rectangles in pixel corners ``(x1, y1, x2, y2)`` or ``Rect`` (at most
                ``MAX_REGIONS``), or a ``RegionTemplate``, scaled to the image's size (read
                from the file's header) and whose names the results keep.
            language: Recognition language (the API's ``Language`` names).
            result_type: ``Text``, ``Hocr``, ``Pdf``, ``TextAndHocr``, ...
            orders: The ``order`` of each region (default 0, 1, 2, ...).
            settings: Further settings by wire name (``{"dsrMode": "Regions"}``).

        Returns:
            The task id; results fetched later carry ``.submission``.
        """
        request, submission = self._submit_regions_request(
            image,
            regions,
            language=language,
            result_type=result_type,
            orders=orders,
            settings=settings,
        )
        return self._submitted_id(self._send(request), submission)

    def submit_image(
        self,
        image: ImageInput,
        *,
        api: str = "RecognizeImage",
        language: str = "English",
        result_type: str = "Text",
        settings: Mapping[str, Any] | None = None,
    ) -> str:
        """``POST /v5.0/ocr/{api}`` for a whole image (or PDF / DjVu document).

        Returns:
            The task id.
        """
        request, submission = self._submit_image_request(
            image, api=api, language=language, result_type=result_type, settings=settings
        )
        return self._submitted_id(self._send(request), submission)

    def detect_regions(
        self,
        image: ImageInput,
        *,
        timeout: float | None = None,
        settings: Mapping[str, Any] | None = None,
        language: str = "English",
        on_status: OnStatus | None = None,
    ) -> list[Rect]:
        """Submit DetectRegions, wait, and return the text blocks the service found.

        Args:
            image: A file path, bytes, a PIL image, or a ``ScanImage``.
            timeout: Overall seconds to keep polling (default ``poll_policy.timeout``).
            settings: Further settings by wire name (``{"dsrMode": "DsrNoFilter"}``).
            language: Recognition language.
            on_status: Called with a :class:`PollEvent` after every poll response.

        Returns:
            The boxes in pixels of the upright image, in the order the service sent them.

        Raises:
            TaskFailedError: the task ended with status Error.
            ResponseFormatError: the boxes are not ``[[x1, y1, x2, y2], ...]``.
            OCRError: transport, HTTP status or polling errors, as :meth:`wait`.
        """
        request, submission = self._detect_request(image, language=language, settings=settings)
        task_id = self._submitted_id(self._send(request), submission)
        result = self.wait(task_id, DETECT_API, timeout=timeout, on_status=on_status)
        return parse_detected_regions(result)


class AsyncOCRClient(_BaseClient):
    """The asyncio twin of :class:`OCRClient`: same arguments, ``async`` methods.

    ``sleep`` is an async ``asyncio.sleep``-like function; ``transport`` an
    ``httpx.AsyncBaseTransport``.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        token: str | None = None,
        timeout: float | httpx.Timeout = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        poll_policy: PollPolicy | None = None,
        allow_insecure_http: bool = False,
        verify: bool | ssl.SSLContext = True,
        sleep: Callable[[float], Awaitable[object]] | None = None,
        clock: Callable[[], float] | None = None,
        store: ResultStore | None = None,
    ) -> None:
        super().__init__(
            base_url,
            client_id=client_id,
            client_secret=client_secret,
            token=token,
            timeout=timeout,
            poll_policy=poll_policy,
            allow_insecure_http=allow_insecure_http,
            clock=clock,
            store=store,
        )
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            auth=self._auth,
            transport=transport if transport is not None else ShardedAsyncTransport(verify=verify),
            verify=verify,  # still used by the proxy transports httpx mounts from the environment
            timeout=self._timeout,
        )

    async def _send(self, request: httpx.Request, task_id: str | None = None) -> httpx.Response:
        try:
            return await self._http.send(request)
        except httpx.HTTPError as exc:
            raise self._translate(exc, request, task_id) from exc

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncOCRClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _poll_once(self, task_id: str, api: str) -> PollResponse:
        request, tid, name = self._get_request(task_id, api)
        return self._poll_response(await self._send(request, tid), api=name, task_id=tid)

    async def get_result(self, task_id: str, api: str = "RecognizeRegions") -> OCRResult:
        """One GET of the task's current state (see :meth:`OCRClient.get_result`)."""
        return (await self._poll_once(task_id, api)).result

    async def get_status(self, task_id: str) -> OCRResult:
        """``Utilities/GetTaskStatus`` (see :meth:`OCRClient.get_status`)."""
        request, tid = self._status_request(task_id)
        response = await self._send(request, tid)
        return self._poll_response(response, api=STATUS_OPERATION, task_id=tid).result

    async def cancel(self, task_id: str, api: str = "RecognizeRegions") -> None:
        """DELETE the task (see :meth:`OCRClient.cancel`)."""
        request, tid = self._cancel_request(task_id, api)
        self._check_status(await self._send(request, tid), task_id=tid)

    def poller(
        self,
        task_id: str,
        api: str = "RecognizeRegions",
        *,
        timeout: float | None = None,
        on_status: OnStatus | None = None,
    ) -> AsyncPoller:
        """An awaitable :class:`AsyncPoller` for the task."""
        _, tid, name = self._get_request(task_id, api)
        return AsyncPoller(
            lambda: self._poll_once(tid, name),
            task_id=tid,
            policy=self.poll_policy,
            timeout=timeout,
            on_status=on_status,
            sleep=self._sleep,
            clock=self._clock,
        )

    async def wait(
        self,
        task_id: str,
        api: str = "RecognizeRegions",
        *,
        timeout: float | None = None,
        on_status: OnStatus | None = None,
    ) -> OCRResult:
        """Poll until the task ends (see :meth:`OCRClient.wait`)."""
        return await self.poller(task_id, api, timeout=timeout, on_status=on_status).result()

    async def fetch_many(
        self,
        task_ids: Iterable[str],
        api: str = "RecognizeRegions",
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        timeout: float | None = None,
        on_status: OnStatus | None = None,
    ) -> list[OCRResult | OCRError]:
        """Wait for many tasks, at most ``concurrency`` requests in flight (see the sync one)."""
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
        outcomes = await async_poll_many(
            [tid for _, tid in valid],
            lambda tid: self._poll_once(tid, name),
            concurrency=concurrency,
            policy=self.poll_policy,
            timeout=timeout,
            on_status=on_status,
            sleep=self._sleep,
            clock=self._clock,
        )
        for (index, _), outcome in zip(valid, outcomes, strict=True):
            slots[index] = outcome
        return [slot for slot in slots if slot is not None]

    async def submit_regions(
        self,
        image: ImageInput,
        regions: Iterable[RegionInput] | RegionTemplate,
        *,
        language: str = "English",
        result_type: str = "Text",
        orders: Sequence[int] | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> str:
        """``POST RecognizeRegions`` (see :meth:`OCRClient.submit_regions`)."""
        request, submission = self._submit_regions_request(
            image,
            regions,
            language=language,
            result_type=result_type,
            orders=orders,
            settings=settings,
        )
        return self._submitted_id(await self._send(request), submission)

    async def submit_image(
        self,
        image: ImageInput,
        *,
        api: str = "RecognizeImage",
        language: str = "English",
        result_type: str = "Text",
        settings: Mapping[str, Any] | None = None,
    ) -> str:
        """``POST /v5.0/ocr/{api}`` for a whole image (see :meth:`OCRClient.submit_image`)."""
        request, submission = self._submit_image_request(
            image, api=api, language=language, result_type=result_type, settings=settings
        )
        return self._submitted_id(await self._send(request), submission)

    async def detect_regions(
        self,
        image: ImageInput,
        *,
        timeout: float | None = None,
        settings: Mapping[str, Any] | None = None,
        language: str = "English",
        on_status: OnStatus | None = None,
    ) -> list[Rect]:
        """Submit DetectRegions, wait, parse the boxes (see :meth:`OCRClient.detect_regions`)."""
        request, submission = self._detect_request(image, language=language, settings=settings)
        task_id = self._submitted_id(await self._send(request), submission)
        result = await self.wait(task_id, DETECT_API, timeout=timeout, on_status=on_status)
        return parse_detected_regions(result)
