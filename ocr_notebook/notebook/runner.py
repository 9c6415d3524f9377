"""Running a fetch for the notebook layer: blocking, on the kernel's loop, or in a thread.

Three ways, one badge protocol:

* :func:`fetch_blocking` (the magic's default): the synchronous client polls in a worker
  thread while the calling thread redraws the badge and stays interruptible. A kernel
  interrupt (``KeyboardInterrupt``) cancels polling, closes the client and shows Cancelled.
  No event loop is touched, so it is safe in a kernel whose loop is running.
* :func:`start_fetch` with a running event loop (``--background``, the widget): a task on
  that loop with an ``AsyncOCRClient``; cancelling the task cancels the fetch.
* :func:`start_fetch` without one (terminal IPython): the blocking fetch in a daemon thread.

:class:`FetchHandle` is what the caller holds for the last two: awaitable, ``result()``,
``done()``, ``cancel()``, done-callbacks.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from ..client.clients import AsyncOCRClient, OCRClient
from ..client.polling import DEFAULT_CONCURRENCY, Poller, PollEvent
from ..results.collection import OCRResultCollection
from ..results.errors import FetchCancelledError, OCRError
from ..results.models import OCRResult
from .messages import one_line

if TYPE_CHECKING:
    from .badge import Badge

__all__ = ["FetchHandle", "Outcome", "fetch_async", "fetch_blocking", "finish", "start_fetch"]

Outcome: TypeAlias = "OCRResult | OCRError"
Fetched: TypeAlias = "OCRResult | OCRResultCollection"
#: Called after every poll response, in the polling thread (tests use it to interrupt).
EventHook = Callable[[PollEvent], None]

_TICK = 0.05  # seconds between badge redraw checks while blocking


def finish(task_ids: Sequence[str], outcomes: Sequence[Outcome]) -> Fetched:
    """What a fetch gives back: one id, its result (or its error raised); several, a collection."""
    if len(task_ids) == 1:
        outcome = outcomes[0]
        if isinstance(outcome, OCRError):
            raise outcome
        return outcome
    return OCRResultCollection(outcomes, task_ids=task_ids)


def _cancelled(task_ids: Sequence[str]) -> FetchCancelledError:
    tid = task_ids[0] if len(task_ids) == 1 else None
    what = f"task {tid}" if tid else f"{len(task_ids)} tasks"
    return FetchCancelledError(
        f"Fetch of {what} cancelled; the task goes on on the service.", task_id=tid
    )


def _poll_sync(
    client: OCRClient,
    task_ids: Sequence[str],
    api: str,
    timeout: float | None,
    concurrency: int,
    on_status: Callable[[PollEvent], None],
    pollers: list[Poller],
) -> list[Outcome]:
    if len(task_ids) == 1:
        try:
            poller = client.poller(task_ids[0], api, timeout=timeout, on_status=on_status)
            pollers.append(poller)  # so an interrupt can wake it from its sleep
            return [poller.result()]
        except OCRError as exc:
            return [exc]
    return list(
        client.fetch_many(
            task_ids, api=api, timeout=timeout, concurrency=concurrency, on_status=on_status
        )
    )


def fetch_blocking(
    client: OCRClient,
    task_ids: Sequence[str],
    *,
    api: str,
    timeout: float | None,
    badge: Badge,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_event: EventHook | None = None,
    cancel: threading.Event | None = None,
    tick: float = _TICK,
) -> list[Outcome]:
    """Poll ``task_ids`` to the end with the sync client, drawing ``badge`` as it goes.

    The poll runs in a worker thread; this thread only redraws and waits, so Ctrl-C / a
    kernel interrupt lands here at once. On interrupt: polling stops, ``client`` is closed
    (no connection left open), the badge shows Cancelled, and ``KeyboardInterrupt`` is
    re-raised for the caller to turn into one line.

    Args:
        client: The synchronous client (the caller owns it; it is closed early on interrupt).
        task_ids: Valid task ids.
        api: The operation.
        timeout: Deadline per task in seconds (None: the client's policy).
        badge: The badge to draw.
        concurrency: Requests in flight at most when there are several ids.
        on_event: Called after every poll response in the worker thread (a test hook).
        cancel: Set it to stop polling from another thread (the thread fallback's cancel).
        tick: Seconds between redraw checks.

    Returns:
        One outcome per id, in order: a result or the error that ended that task.
    """
    stop = cancel if cancel is not None else threading.Event()
    finished = threading.Event()
    box: dict[str, Any] = {}
    pollers: list[Poller] = []

    def stop_now() -> None:
        stop.set()
        for poller in pollers:
            poller.cancel()
        client.close()

    def on_status(event: PollEvent) -> None:
        if stop.is_set():
            raise _cancelled(task_ids)
        badge.board.observe(event)
        if on_event is not None:
            on_event(event)

    def work() -> None:
        try:
            box["outcomes"] = _poll_sync(
                client, task_ids, api, timeout, concurrency, on_status, pollers
            )
        except BaseException as exc:  # handed to the waiting thread, re-raised there
            box["error"] = exc
        finally:
            finished.set()

    worker = threading.Thread(target=work, name="ocr-fetch", daemon=True)
    worker.start()
    try:
        while not finished.wait(tick):
            badge.tick()
            if stop.is_set():
                raise _cancelled(task_ids)
    except (KeyboardInterrupt, FetchCancelledError):
        stop_now()
        badge.cancel_running()
        badge.drain()
        raise
    error = box.get("error")
    if error is not None:
        if isinstance(error, KeyboardInterrupt):
            stop_now()
            badge.cancel_running()
        else:
            badge.fail_running(error)
        badge.drain()
        raise error
    outcomes: list[Outcome] = box["outcomes"]
    badge.board.settle_all(zip(task_ids, outcomes, strict=True))
    badge.drain()
    return outcomes


async def fetch_async(
    client: AsyncOCRClient,
    task_ids: Sequence[str],
    *,
    api: str,
    timeout: float | None,
    badge: Badge,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> list[Outcome]:
    """Poll ``task_ids`` on the running loop with the async client, drawing ``badge``.

    Cancelling the awaiting task stops polling and shows Cancelled (and re-raises).
    """
    loop = asyncio.get_running_loop()
    badge.use_schedule(lambda delay, fn: loop.call_later(delay, fn))
    try:
        if len(task_ids) == 1:
            try:
                outcomes: list[Outcome] = [
                    await client.wait(
                        task_ids[0], api=api, timeout=timeout, on_status=badge.observe_event
                    )
                ]
            except OCRError as exc:
                outcomes = [exc]
        else:
            outcomes = list(
                await client.fetch_many(
                    task_ids,
                    api=api,
                    timeout=timeout,
                    concurrency=concurrency,
                    on_status=badge.observe_event,
                )
            )
    except asyncio.CancelledError:
        badge.cancel_running()
        badge.drain(sleep=lambda _s: None)
        raise
    except BaseException as exc:
        badge.fail_running(exc)
        badge.drain(sleep=lambda _s: None)
        raise
    badge.board.settle_all(zip(task_ids, outcomes, strict=True))
    # Wait for the throttle's budget without blocking the loop: drawing at once could put
    # more than 10 messages in one second (make bench measures it).
    wait = badge.throttle.delay()
    if wait > 0:
        await asyncio.sleep(wait)
    badge.drain(sleep=lambda _s: None)
    return outcomes


class FetchHandle:
    """A fetch running in the background: await it, or ask for its result.

    ``await handle`` (in a notebook cell) waits without blocking the kernel's loop and then
    resends the badge's state, so a notebook saved afterwards (nbclient, ``jupyter
    execute``) holds the final badge. ``handle.result()`` blocks; it refuses to when the
    fetch runs on the very loop of the calling thread, where blocking would deadlock.

    Attributes:
        task_ids: The tasks fetched.
        badge: Their badge.
    """

    def __init__(
        self, task_ids: Sequence[str], badge: Badge, *, resume: str = "run %ocr_fetch {id}"
    ) -> None:
        self.task_ids = list(task_ids)
        self.badge = badge
        self._resume = resume
        self._future: concurrent.futures.Future[Fetched] = concurrent.futures.Future()
        self._task: asyncio.Task[Fetched] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop = threading.Event()
        self._callbacks: list[Callable[[FetchHandle], object]] = []
        self._callbacks_lock = threading.Lock()

    # -- state ------------------------------------------------------------------------

    def done(self) -> bool:
        """Whether the fetch has ended (result, error or cancellation)."""
        return self._future.done()

    def result(self, timeout: float | None = None) -> Fetched:
        """The result (one id) or collection (several); raises the error that ended it.

        Raises:
            RuntimeError: the fetch runs on this thread's running event loop and is not
                done: use ``await handle`` instead.
            TimeoutError: not done within ``timeout`` seconds.
            OCRError: the fetch failed (``FetchCancelledError`` if cancelled).
        """
        if not self.done() and self._on_own_loop():
            raise RuntimeError(
                "This fetch runs on this thread's event loop; use `await handle` "
                "(blocking here would stop it)."
            )
        try:
            return self._future.result(timeout)
        except concurrent.futures.TimeoutError:
            # PollingTimeoutError is a TimeoutError too: only a fetch still running is "not done".
            if self._future.done():
                raise
            raise TimeoutError(f"Fetch of {len(self.task_ids)} task(s) not done yet.") from None

    def exception(self) -> BaseException | None:
        """The error that ended the fetch, or None (also None while it runs)."""
        if not self.done():
            return None
        return self._future.exception()

    def error_line(self) -> str | None:
        """One line describing the failure, or None when the fetch succeeded (or runs)."""
        exc = self.exception()
        return None if exc is None else one_line(exc, resume=self._resume)

    def cancel(self) -> bool:
        """Stop polling; the badge shows Cancelled. Returns False if it had already ended."""
        if self.done():
            return False
        self._stop.set()
        if self._task is not None and self._loop is not None:
            if self._on_own_loop():
                self._task.cancel()
            else:
                self._loop.call_soon_threadsafe(self._task.cancel)
        else:
            # The worker thread stops at its next poll; say so now.
            self.badge.cancel_running()
            self.badge.drain(sleep=lambda _s: None)
            self._resolve(error=_cancelled(self.task_ids))
        return True

    def add_done_callback(self, callback: Callable[[FetchHandle], object]) -> None:
        """Call ``callback(handle)`` when the fetch ends (at once if it has)."""
        with self._callbacks_lock:
            if not self.done():
                self._callbacks.append(callback)
                return
        callback(self)

    def __await__(self) -> Generator[Any, None, Fetched]:
        return self._wait().__await__()

    async def _wait(self) -> Fetched:
        # asyncio.wait neither raises the fetch's error nor cancels the fetch when the
        # awaiting cell is interrupted: the fetch goes on in the background.
        if self._task is not None and self._loop is asyncio.get_running_loop():
            await asyncio.wait({self._task})
        else:
            await asyncio.wait({asyncio.wrap_future(self._future)})
        while not self.done():  # the task ended; its done-callback is queued
            await asyncio.sleep(0)
        self.badge.send_state()
        return self.result()

    def __repr__(self) -> str:
        state = "running" if not self.done() else ("failed" if self.exception() else "done")
        n = len(self.task_ids)
        hint = ": await it (or .result()) for the result" if state == "running" else ""
        return f"<FetchHandle {state}, {n} task{'s' if n != 1 else ''}{hint}>"

    # -- plumbing ---------------------------------------------------------------------

    def _on_own_loop(self) -> bool:
        if self._loop is None:
            return False
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return self._loop.is_running() and threading.current_thread() is threading.main_thread()

    def _resolve(self, *, value: Fetched | None = None, error: BaseException | None = None) -> None:
        if self._future.done():
            return
        if error is not None:
            self._future.set_exception(error)
        else:
            assert value is not None
            self._future.set_result(value)
        with self._callbacks_lock:
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)

    def _on_task_done(self, task: asyncio.Task[Fetched]) -> None:
        if task.cancelled():
            self._resolve(error=_cancelled(self.task_ids))
            return
        exc = task.exception()
        if exc is not None:
            self._resolve(error=exc)
        else:
            self._resolve(value=task.result())


def start_fetch(
    task_ids: Sequence[str],
    *,
    api: str,
    timeout: float | None,
    badge: Badge,
    concurrency: int = DEFAULT_CONCURRENCY,
    client: AsyncOCRClient | OCRClient | None = None,
    make_async_client: Callable[[], AsyncOCRClient] | None = None,
    make_client: Callable[[], OCRClient] | None = None,
    on_done: Callable[[FetchHandle], object] | None = None,
    resume: str = "run %ocr_fetch {id}",
    known: Mapping[str, OCRResult] | None = None,
    amend: Callable[[str, Outcome], Outcome] | None = None,
) -> FetchHandle:
    """Start a fetch that runs on after this call returns; show ``badge`` first.

    With a running event loop in this thread and an async client (given, or built by
    ``make_async_client``, or from the environment), polling is a task on that loop. Else
    a daemon thread polls with a sync client (given, or ``make_client``, or the environment).
    A client passed in is not closed; clients built here are.

    Args:
        task_ids: The validated ids to fetch, in the order results are returned.
        api: The v5 operation the ids belong to.
        timeout: Seconds to keep polling each task (``None``: the poll policy's default).
        badge: Shown before this returns and redrawn as tasks progress.
        concurrency: Most requests in flight at once.
        client: A client to use (not closed here).
        make_async_client: Builds the async client when none is given.
        make_client: Builds the sync client when none is given.
        on_done: Called with the handle when every task has ended.
        resume: How the one-line error tells the user to resume (``{id}`` is filled in).
        known: Results already in hand (the local result store's): not fetched, shown
            settled at once. When they are all the ids, the handle is done on return.
        amend: Applied to each fetched outcome (e.g. a NotExist replaced by a stored copy).

    Raises:
        OCRError: building the client failed (e.g. ``MissingCredentialsError``).
    """
    handle = FetchHandle(task_ids, badge, resume=resume)
    if on_done is not None:
        handle.add_done_callback(on_done)
    ids = list(task_ids)
    have = dict(known or {})
    wanted = [tid for tid in ids if tid not in have]
    badge.board.settle_all(have.items())

    def combine(fetched: Sequence[Outcome]) -> Fetched:
        # The badge keeps what the service said (NotExist); ``amend`` notes the stored copy.
        by_id = dict(zip(wanted, fetched, strict=True))
        if amend is not None:
            by_id = {tid: amend(tid, out) for tid, out in by_id.items()}
        return finish(ids, [have[tid] if tid in have else by_id[tid] for tid in ids])

    if not wanted:  # the store answered everything: nothing to poll
        badge.show()
        badge.drain(sleep=lambda _s: None)
        handle._resolve(value=combine([]))
        return handle
    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        loop = None

    if loop is not None and not isinstance(client, OCRClient):
        owned = client is None
        aclient = client if isinstance(client, AsyncOCRClient) else None
        if aclient is None:
            aclient = make_async_client() if make_async_client is not None else AsyncOCRClient()

        async def run() -> Fetched:
            try:
                outcomes = await fetch_async(
                    aclient, wanted, api=api, timeout=timeout, badge=badge, concurrency=concurrency
                )
            finally:
                if owned:
                    await aclient.aclose()
            return combine(outcomes)

        badge.show()
        handle._loop = loop
        handle._task = loop.create_task(run(), name=f"ocr_fetch {wanted[0]}")
        handle._task.add_done_callback(handle._on_task_done)
        return handle

    owned = client is None
    sclient = client if isinstance(client, OCRClient) else None
    if sclient is None:
        sclient = make_client() if make_client is not None else OCRClient()

    def run_thread() -> None:
        try:
            outcomes = fetch_blocking(
                sclient,
                wanted,
                api=api,
                timeout=timeout,
                badge=badge,
                concurrency=concurrency,
                cancel=handle._stop,
            )
            value = combine(outcomes)
        except BaseException as exc:
            handle._resolve(error=exc)
        else:
            handle._resolve(value=value)
        finally:
            if owned:
                sclient.close()

    badge.show()
    threading.Thread(target=run_thread, name="ocr-fetch-background", daemon=True).start()
    return handle
