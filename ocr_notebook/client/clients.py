"""``OCRClient`` and ``AsyncOCRClient``: the v5 API over httpx, as thin I/O shells.

Every decision (URLs, request bodies, response parsing, errors, ``fetch_many``'s id
slots) is in :class:`~ocr_notebook.client.base.OCRClientBase`; the shells here only open
their httpx client, send, sleep and read the caller's image file, and differ by ``await``.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from ..results.errors import OCRError
from ..results.models import OCRResult, Rect
from ..wire.operations import STATUS_OPERATION
from .base import OCRClientBase, OnStatus, RegionInput, RegionSet
from .detection import DETECT_API, parse_detected_regions
from .images import ImageInput, read_image
from .polling import (
    DEFAULT_CONCURRENCY,
    AsyncPoller,
    Poller,
    PollResponse,
    async_poll_many,
    poll_many,
)
from .pool import ShardedAsyncTransport, ShardedTransport

__all__ = ["AsyncOCRClient", "OCRClient"]


class OCRClient(OCRClientBase[httpx.BaseTransport, Callable[[float], object]]):
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
            the service's 24-hour retention: the completion hook, any object with
            ``on_completed(base_url, api, result)``. The client only writes it; reading it
            back is the caller's choice (``%ocr_fetch`` answers from it first). A store
            that cannot be written is logged and skipped, never failing the fetch.

    Raises:
        MissingCredentialsError: no token and not both a client id and secret.
        InsecureTransportError: credentials would go over plain HTTP to a remote host.

    Example:
        >>> with OCRClient() as client:  # doctest: +SKIP
        ...     result = client.wait("b7162f77-bf10-407d-86de-ee255e422ca7")
        ...     print(result.text)
    """

    _http: httpx.Client

    def _open(self, transport: httpx.BaseTransport | None, verify: bool | ssl.SSLContext) -> None:
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
        plan = self._plan_fetch_many(task_ids, api, concurrency)
        if not plan.valid:
            return plan.filled([])
        pool = ThreadPoolExecutor(
            max_workers=min(concurrency, len(plan.valid)), thread_name_prefix="ocr-fetch"
        )
        finished = False
        try:
            outcomes = poll_many(
                plan.task_ids,
                lambda tid: self._poll_once(tid, plan.api),
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
        return plan.filled(outcomes)

    # -- submit side ------------------------------------------------------------------------

    def submit_regions(
        self,
        image: ImageInput,
        regions: Iterable[RegionInput] | RegionSet,
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
            read_image(image),
            regions,
            image=image,
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
            read_image(image),
            image=image,
            api=api,
            language=language,
            result_type=result_type,
            settings=settings,
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
        request, submission = self._detect_request(
            read_image(image), image=image, language=language, settings=settings
        )
        task_id = self._submitted_id(self._send(request), submission)
        result = self.wait(task_id, DETECT_API, timeout=timeout, on_status=on_status)
        return parse_detected_regions(result)


class AsyncOCRClient(OCRClientBase[httpx.AsyncBaseTransport, Callable[[float], Awaitable[object]]]):
    """The asyncio twin of :class:`OCRClient`: same arguments, ``async`` methods.

    ``sleep`` is an async ``asyncio.sleep``-like function; ``transport`` an
    ``httpx.AsyncBaseTransport``.
    """

    _http: httpx.AsyncClient

    def _open(
        self, transport: httpx.AsyncBaseTransport | None, verify: bool | ssl.SSLContext
    ) -> None:
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
        plan = self._plan_fetch_many(task_ids, api, concurrency)
        outcomes = await async_poll_many(
            plan.task_ids,
            lambda tid: self._poll_once(tid, plan.api),
            concurrency=concurrency,
            policy=self.poll_policy,
            timeout=timeout,
            on_status=on_status,
            sleep=self._sleep,
            clock=self._clock,
        )
        return plan.filled(outcomes)

    async def submit_regions(
        self,
        image: ImageInput,
        regions: Iterable[RegionInput] | RegionSet,
        *,
        language: str = "English",
        result_type: str = "Text",
        orders: Sequence[int] | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> str:
        """``POST RecognizeRegions`` (see :meth:`OCRClient.submit_regions`)."""
        request, submission = self._submit_regions_request(
            read_image(image),
            regions,
            image=image,
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
            read_image(image),
            image=image,
            api=api,
            language=language,
            result_type=result_type,
            settings=settings,
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
        request, submission = self._detect_request(
            read_image(image), image=image, language=language, settings=settings
        )
        task_id = self._submitted_id(await self._send(request), submission)
        result = await self.wait(task_id, DETECT_API, timeout=timeout, on_status=on_status)
        return parse_detected_regions(result)
