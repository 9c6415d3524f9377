"""A region template applied to a batch of images, with the compact live badge.

Each image is opened, submitted with the template scaled to its size and polled to its
end by one of ``concurrency`` worker threads, so submitting one image overlaps polling
others. One image is decoded at a time and its pixels are dropped before it is uploaded;
the uploads in flight are kept under the largest decoded image (:class:`_UploadBudget`),
so the batch's working memory stays under twice the largest image plus the results. As in
:func:`~.runner.fetch_blocking`, the synchronous client works in threads while the
calling thread only redraws the badge and stays interruptible; no event loop is touched
(safe in a kernel whose loop is running, no nest_asyncio).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from ..client.polling import DEFAULT_CONCURRENCY, PollEvent
from ..client.submissions import lookup as lookup_submission
from ..results.collection import OCRResultCollection
from ..results.errors import FetchCancelledError, ImageInputError, OCRError
from ..results.models import OCRResult, TaskStatus

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

    from ..client.clients import OCRClient
    from ..regions.template import RegionTemplate
    from .badge import BadgeMode, StatusBadge, TextBadge

__all__ = ["IMAGE_EXTENSIONS", "BatchItem", "expand_images", "recognize_batch"]

BatchImage: TypeAlias = "str | os.PathLike[str] | bytes | PILImage"
Outcome: TypeAlias = "OCRResult | OCRError"

#: File name endings a folder is searched for (the formats the service reads, lower case):
#: https://docs.aspose.cloud/ocr/supported-file-formats/
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".jpe", ".tif", ".tiff", ".bmp", ".gif")

_TICK = 0.05  # seconds between badge redraw checks while blocking


@dataclass(frozen=True)
class BatchItem:
    """One image of a batch: what to open, and how the badge and the table name it.

    Attributes:
        image: A path, bytes or a PIL image.
        source: The path as given (or inside the folder given), else ``"image <n>"``.
        key: The badge's row label, unique within the batch.
    """

    image: BatchImage
    source: str
    key: str


def expand_images(images: BatchImage | Iterable[BatchImage]) -> list[BatchItem]:
    """The batch's images in order: a folder becomes its image files, sorted by name.

    Raises:
        ImageInputError: a folder holds no image file, or an entry is not a path, bytes
            or a PIL image.
    """
    if isinstance(images, (str, os.PathLike, bytes, bytearray)) or _is_pil(images):
        entries: list[Any] = [images]
    else:
        entries = list(images)  # type: ignore[arg-type]
    flat: list[tuple[BatchImage, str]] = []
    for entry in entries:
        if isinstance(entry, (str, os.PathLike)):
            path = os.fspath(entry)
            if os.path.isdir(path):
                names = sorted(
                    n
                    for n in os.listdir(path)
                    if n.lower().endswith(IMAGE_EXTENSIONS)
                    and os.path.isfile(os.path.join(path, n))
                )
                if not names:
                    raise ImageInputError(
                        f"Folder {path!r} holds no image file ({', '.join(IMAGE_EXTENSIONS)})."
                    )
                flat += [(os.path.join(path, n), os.path.join(path, n)) for n in names]
            else:
                flat.append((path, path))
        elif isinstance(entry, (bytes, bytearray, memoryview)) or _is_pil(entry):
            label = getattr(entry, "filename", "") or f"image {len(flat)}"
            flat.append((entry, str(label)))
        else:
            raise ImageInputError(
                f"Batch entry {len(flat)} is a {type(entry).__name__}; pass paths, folders, "
                "bytes or PIL images."
            )
    items: list[BatchItem] = []
    seen: set[str] = set()
    for number, (image, source) in enumerate(flat):
        key = os.path.basename(source) or source
        if key in seen:
            key = f"{number}: {key}"
        seen.add(key)
        items.append(BatchItem(image, source, key))
    return items


def _is_pil(value: object) -> bool:
    return type(value).__module__.startswith("PIL.") and hasattr(value, "save")


def recognize_batch(
    template: RegionTemplate,
    images: BatchImage | Iterable[BatchImage],
    *,
    client: OCRClient | None = None,
    concurrency: int | None = None,
    badge: StatusBadge | TextBadge | None = None,
    badge_mode: BadgeMode = "auto",
    timeout: float | None = None,
) -> OCRResultCollection:
    """Recognize ``template`` on every image; see :meth:`RegionTemplate.recognize`.

    Images are paths, bytes or PIL images; a folder path expands to its image files
    (:data:`IMAGE_EXTENSIONS`), sorted by name.

    Args:
        template: The named rectangles, scaled to each image's size.
        images: The images, or one of them.
        client: A synchronous client (not closed here); default one from the environment.
        concurrency: Images in flight at most (default ``DEFAULT_CONCURRENCY``).
        badge: The badge to draw (default: a new compact one, one row per image).
        badge_mode: ``"widget"``, ``"text"`` or ``"auto"`` for the default badge.
        timeout: Seconds to keep polling each task (default: the client's policy).

    Returns:
        The outcomes in input order; failed images are in ``errors`` under their task id,
        or under their badge label when they never got one (an unreadable file).

    Raises:
        KeyboardInterrupt: the user interrupted; the badge shows Cancelled.
    """
    from ..client.clients import AsyncOCRClient, OCRClient
    from ..regions.scan import ScanImage
    from .badge import make_badge

    if isinstance(client, AsyncOCRClient):
        raise TypeError(
            "recognize() drives a synchronous OCRClient in threads; pass OCRClient(...)."
        )
    workers = DEFAULT_CONCURRENCY if concurrency is None else int(concurrency)
    if workers < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}.")
    items = expand_images(images)
    keys = [item.key for item in items]
    if badge is not None and badge.board.task_ids != keys:
        raise ValueError(f"The badge's rows must be the batch's images in order: {keys[:3]}...")
    board_badge = badge if badge is not None else make_badge(keys, mode=badge_mode)
    owned = client is None
    sync_client = client if client is not None else OCRClient()
    stop = threading.Event()

    def observe(key: str) -> Callable[[PollEvent], None]:
        def on_status(event: PollEvent) -> None:
            if stop.is_set():
                raise FetchCancelledError("Batch cancelled; submitted tasks go on on the service.")
            board_badge.board.observe(_relabel(event, key))

        return on_status

    decoding = threading.Lock()
    uploads = _UploadBudget()

    def one(item: BatchItem) -> Outcome:
        if stop.is_set():
            return FetchCancelledError("Batch cancelled before this image was submitted.")
        try:
            # One image decoded at a time; its pixels are dropped before the upload starts.
            with decoding:
                scan = ScanImage.open(item.image, source=item.source)
                ready = _Prepared(scan.submission_bytes(), scan.size, scan.source)
                uploads.saw_image(scan.size[0] * scan.size[1] * len(scan.picture.getbands()))
                del scan
            with uploads.reserve(3 * len(ready.data), stop):
                task_id = sync_client.submit_regions(ready, template.scaled_to(ready.size))
            # The LRU of submissions may evict this one while many tasks run: keep it here.
            submission = lookup_submission(sync_client.base_url, task_id)
            del ready
            board_badge.board.observe(
                PollEvent(item.key, TaskStatus.PENDING, 0, 0.0, None, next_delay=0.0)
            )
            result = sync_client.wait(task_id, timeout=timeout, on_status=observe(item.key))
        except OCRError as exc:
            board_badge.board.settle(item.key, exc)
            return exc
        if result.submission is None and submission is not None:
            result = result.with_submission(submission)
        board_badge.board.settle(item.key, result)
        return result

    outcomes: list[Outcome] = []
    pool = ThreadPoolExecutor(
        max_workers=min(workers, max(1, len(items))), thread_name_prefix="ocr-batch"
    )
    finished = False
    board_badge.show()
    try:
        futures: list[Future[Outcome]] = [pool.submit(one, item) for item in items]
        for future in futures:
            while True:
                try:
                    outcomes.append(future.result(timeout=_TICK))
                    break
                except TimeoutError:
                    board_badge.tick()
        finished = True
    except KeyboardInterrupt:
        stop.set()
        board_badge.cancel_running()
        board_badge.drain()
        raise
    finally:
        pool.shutdown(wait=finished, cancel_futures=True)
        if owned:
            sync_client.close()
    board_badge.drain()
    return OCRResultCollection(
        outcomes,
        task_ids=[_task_id(o, item) for o, item in zip(outcomes, items, strict=True)],
        sources=[item.source for item in items],
    )


@dataclass(frozen=True)
class _Prepared:
    """An image ready to upload, without its decoded pixels (a ``PreparedImage``)."""

    data: bytes
    size: tuple[int, int]
    source: str | None

    def submission_bytes(self) -> bytes:
        return self.data


class _UploadBudget:
    """Uploads in flight at once, by their bytes.

    An upload holds about three copies of the file beside the bytes the result keeps (its
    Base64, the JSON body, the encoded request). Their sum stays below the largest decoded
    image seen, so with the one image being decoded the batch's working memory stays under
    twice the largest image, whatever ``concurrency`` is; small files still upload many at
    once. One upload may always start, however big.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._in_flight = 0
        self._largest = 0

    def saw_image(self, decoded_bytes: int) -> None:
        with self._changed:
            self._largest = max(self._largest, decoded_bytes)

    @contextmanager
    def reserve(self, cost: int, stop: threading.Event) -> Iterator[None]:
        with self._changed:
            while self._in_flight and self._in_flight + cost > self._largest:
                if stop.is_set():
                    raise FetchCancelledError("Batch cancelled before this image was submitted.")
                self._changed.wait(_TICK)
            self._in_flight += cost
        try:
            yield
        finally:
            with self._changed:
                self._in_flight -= cost
                self._changed.notify_all()


def _task_id(outcome: Outcome, item: BatchItem) -> str:
    if isinstance(outcome, OCRResult):
        return outcome.id or item.key
    return outcome.task_id or item.key


def _relabel(event: PollEvent, key: str) -> PollEvent:
    return PollEvent(key, event.status, event.polls, event.elapsed, event.result, event.next_delay)
