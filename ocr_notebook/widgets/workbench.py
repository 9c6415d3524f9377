"""``OCRWorkbench``: draw, detect and recognize regions of a scan, with the mouse.

The widget is an ``ipywidgets.VBox`` of stock parts around one custom view:

* the drawing surface, :class:`WorkbenchCanvas`, an ``anywidget`` whose ES module
  (``workbench.js``, shipped in the package, no Node build) draws the downscaled preview
  and the rectangles, lets the user draw, move, resize, select, delete, rename and reorder
  them, and syncs them to the kernel once per gesture (never on mouse moves);
* stock ``Button`` widgets **Detect**, **Recognize**, **Clear** and **Undo**, the live
  :class:`~ocr_notebook.notebook.badge.StatusBadge` of ``%ocr_fetch``.

Stock parts where stock parts exist: the badge is already an ipywidgets composite with
its own throttle, and stock buttons look and behave the same in JupyterLab, Notebook 7
and Voila. Only the drawing needs JavaScript of its own.

Detect and Recognize never block the kernel and patch no event loop: with a running loop
(a notebook) they are tasks on it with an ``AsyncOCRClient`` (as ``OCRFetchWidget`` and
``%ocr_fetch --background`` do, through ``notebook/runner.py``'s ``fetch_async``); without
one (terminal IPython), or with a synchronous ``OCRClient``, they run in a daemon thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any, TypeVar

import anywidget
import ipywidgets as widgets
import traitlets

from ..client.clients import AsyncOCRClient, OCRClient
from ..display.text import plural
from ..notebook.badge import StatusBadge
from ..notebook.messages import one_line
from ..notebook.runner import fetch_async, fetch_blocking
from ..regions.scan import ScanImage
from ..regions.template import RegionTemplate
from ..results.errors import OCRError
from ..results.models import OCRResult, Rect
from ..store.backing import active_store, service_base_url
from ..store.corrections import save_corrections

if TYPE_CHECKING:
    import os

    from PIL.Image import Image as PILImage

    from ..client.clients import AsyncOCRClient, OCRClient
    from ..store.result_store import ResultStore

__all__ = ["OCRWorkbench", "WorkbenchCanvas"]

ResultCallback = Callable[[OCRResult], object]
_T = TypeVar("_T")

_ASSETS = resources.files(__package__)
_NOT_SUBMITTED = "(not submitted)"  # the badge's task id when the submission itself failed


class WorkbenchCanvas(anywidget.AnyWidget):
    """The drawing surface: the preview picture and the rectangles, in original pixels.

    Attributes:
        image: The preview's encoded bytes (at most about 1 MB; see ``ScanImage.preview``).
        image_mime: Its MIME type.
        image_size: ``[width, height]`` of the ORIGINAL image: the front end maps mouse
            positions to these pixels, so rectangles are exact to 1 px whatever the preview.
        regions: ``[{"x1", "y1", "x2", "y2", "name"}, ...]`` in recognition order.
        texts: The recognized text of each rectangle (``""`` where none), shown beside it.
        note: One line shown under the rectangles (what was clipped, refused, failed).
    """

    _esm = _ASSETS.joinpath("workbench.js").read_text(encoding="utf-8")
    _css = _ASSETS.joinpath("workbench.css").read_text(encoding="utf-8")

    image = traitlets.Bytes(b"").tag(sync=True)
    image_mime = traitlets.Unicode("image/png").tag(sync=True)
    image_size = traitlets.List(traitlets.Int(), default_value=[1, 1]).tag(sync=True)
    regions = traitlets.List(traitlets.Dict()).tag(sync=True)
    texts = traitlets.List(traitlets.Unicode()).tag(sync=True)
    note = traitlets.Unicode("").tag(sync=True)
    # The benchmark's naive comparison: sync on every mouse move instead of per gesture.
    _sync_every_move = traitlets.Bool(False).tag(sync=True)


def _as_dict(rect: Rect, name: str) -> dict[str, Any]:
    x1, y1, x2, y2 = rect.as_tuple()
    return {"x1": x1, "y1": y1, "x2": x2, "y2": y2, "name": name}


def _box_of(item: object) -> tuple[object, str]:
    """``(box, name)`` from a Rect, 4 corners, or the front end's dict."""
    if isinstance(item, Mapping):
        return (
            tuple(item.get(k) for k in ("x1", "y1", "x2", "y2")),
            str(item.get("name") or ""),
        )
    return item, ""


class OCRWorkbench(widgets.VBox):  # type: ignore[misc]
    """A scan with its rectangles: draw, detect, rename, reorder, recognize.

    Drag on the picture to draw a rectangle; drag one to move it, its corners to resize it;
    click one to select it and press Delete (or Backspace) to remove it, or an arrow key to
    nudge it by one original pixel (Shift: ten). The list beside
    the picture numbers the rectangles in recognition order: name them there (``total``),
    reorder them with the arrows. **Detect** asks the service (DetectRegions) for the text
    blocks and puts them in place of the rectangles; **Recognize** submits RecognizeRegions
    with the rectangles and their names, shows the live badge, then each text beside its
    rectangle; **Clear** removes every rectangle; **Undo** brings back the set a Clear or
    Detect replaced. A failure is one line in the widget; the rectangles always stay.

    Args:
        image: A file path, bytes, a PIL image or a ``ScanImage``. A large scan is shown
            downscaled (about 1 MB at most goes to the browser); the original is submitted.
        client: An ``AsyncOCRClient`` (or ``OCRClient``, run in a thread). None builds one
            per run from the environment (``ASPOSE_OCR_BASE_URL``, ``ASPOSE_OCR_CLIENT_ID``,
            ``ASPOSE_OCR_CLIENT_SECRET``), as ``OCRFetchWidget`` does. Not closed here.
        template: A ``RegionTemplate`` to start from (scaled to this image).
        page: The page of a multi-page file (TIFF), from 0.
        timeout: Seconds to wait for each task (None: the client's poll policy).
        store: Write Completed results to the local result store (clients built here).

    Raises:
        ImageInputError: the image is missing, not an image, truncated, too big, or the
            page does not exist (one line).

    Attributes:
        scan: The decoded image.
        result: The last ``OCRResult``, or None.
        error: The last failure's line, or None.
        canvas: The drawing surface.
        detect_button: Detect.
        recognize_button: Recognize.
        clear_button: Clear.
        undo_button: Undo (after a Clear or a Detect replaced rectangles).
        badge_box: Holds the live badge of the last Recognize.
    """

    def __init__(
        self,
        image: str | os.PathLike[str] | bytes | PILImage | ScanImage,
        *,
        client: AsyncOCRClient | OCRClient | None = None,
        template: RegionTemplate | None = None,
        page: int | None = 0,
        timeout: float | None = None,
        store: bool = True,
    ) -> None:
        self.scan = image if isinstance(image, ScanImage) else ScanImage.open(image, page=page)
        preview = self.scan.preview()
        self._client = client
        self._timeout = timeout
        self._store = store
        self._callbacks: list[ResultCallback] = []
        self._job: concurrent.futures.Future[Any] | None = None
        self._undo: list[dict[str, Any]] | None = None
        self._texts_by_rect: dict[tuple[int, int, int, int], str] = {}
        self._recognized: list[tuple[int, int, int, int]] = []  # rectangles by region order
        self._cleaning = False
        self.result: OCRResult | None = None
        self.error: str | None = None
        self.canvas = WorkbenchCanvas(
            image=preview.data,
            image_mime=preview.mime,
            image_size=list(self.scan.size),
            layout=widgets.Layout(width="100%"),
        )
        self.detect_button = widgets.Button(
            description="Detect", icon="search", tooltip="Find the text blocks (DetectRegions)"
        )
        self.recognize_button = widgets.Button(
            description="Recognize",
            button_style="primary",
            icon="play",
            tooltip="Recognize the rectangles (RecognizeRegions)",
        )
        self.clear_button = widgets.Button(description="Clear", icon="trash", tooltip="Remove all")
        self.undo_button = widgets.Button(
            description="Undo", icon="undo", disabled=True, tooltip="Bring back the last set"
        )
        self.detect_button.on_click(lambda _b: self.detect())
        self.recognize_button.on_click(lambda _b: self.recognize())
        self.clear_button.on_click(lambda _b: self.clear())
        self.undo_button.on_click(lambda _b: self.undo())
        self.badge_box = widgets.Box()
        self.canvas.on_msg(self._on_view_message)
        self.canvas.observe(self._from_view, names="regions")
        self.canvas.observe(self._follow_texts, names="regions")
        super().__init__(
            children=[
                widgets.HBox(
                    [self.detect_button, self.recognize_button, self.clear_button, self.undo_button]
                ),
                self.canvas,
                self.badge_box,
            ],
            layout=widgets.Layout(width="100%"),
        )
        if template is not None:
            self.template = template

    # -- rectangles -------------------------------------------------------------------------

    @property
    def regions(self) -> list[Rect]:
        """The rectangles in original-image pixels, in recognition order.

        Set it to a list of ``Rect`` or ``(x1, y1, x2, y2)``: each is rounded and clipped
        to the image, one of zero area or outside is refused, and ``note`` says which; the
        view follows. Names are kept by position.
        """
        return [Rect(r["x1"], r["y1"], r["x2"], r["y2"]) for r in self.canvas.regions]

    @regions.setter
    def regions(self, boxes: Iterable[Rect | Sequence[float]]) -> None:
        names = self.names
        items = list(boxes)
        self._apply([(box, names[i] if i < len(names) else "") for i, box in enumerate(items)])

    @property
    def names(self) -> list[str]:
        """Each rectangle's name (``""`` where unnamed), in order; settable (same length)."""
        return [str(r.get("name") or "") for r in self.canvas.regions]

    @names.setter
    def names(self, names: Sequence[str]) -> None:
        current = list(self.canvas.regions)
        if isinstance(names, str) or len(names) != len(current):
            raise ValueError(f"names needs one name per rectangle ({len(current)}), got {names!r}.")
        self.canvas.regions = [
            {**r, "name": str(n).strip()} for r, n in zip(current, names, strict=True)
        ]

    @property
    def template(self) -> RegionTemplate:
        """The rectangles, their names and this image's size as a ``RegionTemplate``.

        Setting one scales it to this image and replaces the rectangles (Undo brings the
        old ones back).
        """
        names = self.names
        return RegionTemplate.from_boxes(
            self.regions,
            self.scan.size,
            names=names if any(names) else None,
            name=self.scan.source or "",
        )

    @template.setter
    def template(self, template: RegionTemplate) -> None:
        scaled = template.scaled_to(self.scan.size)
        self._replace([(r.rect, r.name) for r in scaled.regions], "the template's rectangles")

    @property
    def note(self) -> str:
        """The line shown under the rectangles (what was clipped, refused or failed)."""
        return str(self.canvas.note)

    def clear(self) -> None:
        """Remove every rectangle (Undo brings them back)."""
        count = len(self.canvas.regions)
        self._replace([], None)
        if count:
            self._say(f"Cleared {plural(count, 'rectangle')}; click Undo to bring them back.")

    def undo(self) -> None:
        """Bring back the rectangles the last Clear, Detect or template replaced."""
        if self._undo is None:
            return
        previous, self._undo = self._undo, list(self.canvas.regions)
        self.canvas.regions = previous
        self._say(f"Restored {plural(len(previous), 'rectangle')}.")

    # -- service ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether a Detect or Recognize is under way."""
        return self._job is not None and not self._job.done()

    def on_result(self, callback: ResultCallback) -> None:
        """Call ``callback(result)`` after every successful Recognize."""
        self._callbacks.append(callback)

    def detect(self) -> concurrent.futures.Future[list[Rect]] | None:
        """Do what the Detect button does: find the text blocks, make them the rectangles.

        Runs in the background (``await wb.wait()`` waits for it). The rectangles it
        replaces come back with Undo; on failure they stay and one line says why.

        Returns:
            A future of the detected rectangles, or None when a run is already under way.
        """
        if self.running:
            self._say("Detect or Recognize is already running; wait for it to end.")
            return None
        scan = self.scan
        self._say("Detecting text blocks…")

        async def run_async(client: AsyncOCRClient) -> list[Rect]:
            return list(await client.detect_regions(scan, timeout=self._timeout))

        def run_sync(client: OCRClient) -> list[Rect]:
            return list(client.detect_regions(scan, timeout=self._timeout))

        def finished(found: list[Rect] | None, exc: BaseException | None) -> None:
            if exc is not None:
                self._fail(exc, "click Detect")
                return
            assert found is not None
            if not found:
                self._say("The service found no text blocks; draw the rectangles instead.")
                return
            self._replace(
                [(rect, "") for rect in found], f"{plural(len(found), 'rectangle')} detected"
            )

        return self._launch(run_async, run_sync, finished)

    def recognize(self) -> concurrent.futures.Future[OCRResult] | None:
        """Do what the Recognize button does: submit the rectangles, show the badge, the texts.

        Submits RecognizeRegions with the rectangles in order (their names go with them as
        a template), shows the live status badge, then each recognized text beside its
        rectangle; ``result`` holds the ``OCRResult`` and every ``on_result`` callback runs.
        Without rectangles nothing is sent and one line says so.

        Returns:
            A future of the result (``await wb.wait()`` in a cell), or None when nothing
            was sent.
        """
        if not self.canvas.regions:
            self._say(
                "Draw at least one rectangle (or click Detect) before Recognize; nothing was sent."
            )
            return None
        if self.running:
            self._say("Detect or Recognize is already running; wait for it to end.")
            return None
        scan = self.scan
        try:
            template = self.template
        except (OCRError, ValueError) as exc:
            self._fail(exc, "fix the rectangles and click Recognize")
            return None
        snapshot = [r.as_tuple() for r in self.regions]
        self._say(f"Submitting {plural(len(snapshot), 'rectangle')}…")

        def submitted(task_id: str) -> StatusBadge:
            self._say("")
            badge = StatusBadge([task_id])
            self._show_badge(badge)
            return badge

        def not_submitted(exc: BaseException) -> None:
            # The badge says what happened even when no task was created (network, 401).
            badge = StatusBadge([_NOT_SUBMITTED])
            self._show_badge(badge)
            _settle(badge, exc)

        async def run_async(client: AsyncOCRClient) -> OCRResult:
            try:
                task_id = await client.submit_regions(scan, template)
            except BaseException as exc:
                not_submitted(exc)
                raise
            badge = submitted(task_id)
            outcomes = await fetch_async(
                client, [task_id], api="RecognizeRegions", timeout=self._timeout, badge=badge
            )
            return _only(outcomes[0])

        def run_sync(client: OCRClient) -> OCRResult:
            try:
                task_id = client.submit_regions(scan, template)
            except BaseException as exc:
                not_submitted(exc)
                raise
            badge = submitted(task_id)
            outcomes = fetch_blocking(
                client, [task_id], api="RecognizeRegions", timeout=self._timeout, badge=badge
            )
            return _only(outcomes[0])

        def finished(result: OCRResult | None, exc: BaseException | None) -> None:
            if exc is not None:
                self._fail(exc, "click Recognize")
                return
            assert result is not None
            self.result = result
            self.error = None
            self._recognized = snapshot
            self._show_texts(result)
            for callback in list(self._callbacks):
                callback(result)

        return self._launch(run_async, run_sync, finished)

    def correct(self, corrections: Mapping[int, str]) -> OCRResult:
        """Correct recognized texts of the last result, as editing them in the widget does.

        The corrected result becomes ``result`` (``result.ocr_texts`` keeps the service's
        texts) and, unless the widget was made with ``store=False`` (or the store is off),
        the corrections are saved in the local result store beside the result, so a later
        ``%ocr_fetch`` of the task shows them.

        Args:
            corrections: ``{region order: text}``: the order is the rectangle's number at
                Recognize time, from 0 (``result.to_dataframe()``'s ``order`` column).

        Raises:
            ValueError: nothing was recognized yet, or an order is not one of the result's.
        """
        result = self.result
        if result is None:
            raise ValueError("Nothing recognized yet: click Recognize, then correct its texts.")
        store = active_store(self._store)
        if store is None:
            fixed = result.corrected(corrections)
            where = "in memory only (the local result store is off)"
        else:
            client = self._client
            base_url = client.base_url if client is not None else service_base_url(None)
            fixed = save_corrections(result, corrections, store=store, base_url=base_url)
            where = "and saved in the local result store"
        self.result = fixed
        self._show_texts(fixed)
        count = len(fixed.corrections)
        self._say(
            f"{count} text{'s' if count != 1 else ''} corrected {where}; "
            "result.ocr_texts keeps the service's."
        )
        return fixed

    async def wait(self) -> OCRResult | None:
        """Wait for the running Detect or Recognize, then resend the widget's state.

        Updates made after the starting cell finished are not recorded by headless runs
        (nbclient); resending from the awaiting cell records the final state.

        Returns:
            The last result (None if there is none; see ``error`` for a failure).
        """
        job = self._job
        if job is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wrap_future(job)
        self.send_state()
        return self.result

    def send_state(self, key: Any = None) -> None:
        """Send the state of the whole workbench (canvas, buttons, badge) to the frontend."""
        super().send_state(key)
        if key is None:
            self.canvas.send_state()
            for part in (self.detect_button, self.recognize_button, self.clear_button):
                part.send_state()
            self.undo_button.send_state()
            badge = self.badge
            if badge is not None:
                badge.send_state()

    @property
    def badge(self) -> StatusBadge | None:
        """The badge of the last Recognize, if any."""
        children = self.badge_box.children
        return children[0] if children else None

    # -- plumbing ---------------------------------------------------------------------------

    def _show_badge(self, badge: StatusBadge) -> None:
        old = self.badge
        self.badge_box.children = [badge]
        if old is not None:
            # Closed, so a saved notebook keeps only the badge shown (nbclient saves every
            # open widget's state).
            for part in (old.html, old.bar, old):
                part.close()

    def _launch(
        self,
        run_async: Callable[[AsyncOCRClient], Coroutine[Any, Any, _T]],
        run_sync: Callable[[OCRClient], _T],
        finished: Callable[[_T | None, BaseException | None], None],
    ) -> concurrent.futures.Future[_T]:
        future: concurrent.futures.Future[_T] = concurrent.futures.Future()
        given = self._client
        store: ResultStore | None = active_store(self._store)

        async def with_async_client() -> _T:
            client = given if isinstance(given, AsyncOCRClient) else AsyncOCRClient(store=store)
            try:
                return await run_async(client)
            finally:
                if client is not given:
                    await client.aclose()

        def end(value: _T | None, exc: BaseException | None) -> None:
            try:
                finished(value, exc)
            finally:
                self._set_busy(False)
                if exc is not None:
                    future.set_exception(exc)
                else:
                    future.set_result(value)  # type: ignore[arg-type]

        def on_task_done(task: asyncio.Task[_T]) -> None:
            if task.cancelled():
                end(None, asyncio.CancelledError())
            elif task.exception() is not None:
                end(None, task.exception())
            else:
                end(task.result(), None)

        def in_thread() -> None:
            try:
                if isinstance(given, OCRClient):
                    value = run_sync(given)
                elif given is None:
                    with OCRClient(store=store) as client:
                        value = run_sync(client)
                else:  # an async client but no loop running: a private loop in this thread
                    value = asyncio.run(with_async_client())
            except BaseException as exc:  # handed to `end`, which reports it in one line
                end(None, exc)
            else:
                end(value, None)

        self._set_busy(True)
        self._job = future
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None and not isinstance(given, OCRClient):
            task = loop.create_task(with_async_client(), name="ocr_workbench")
            task.add_done_callback(on_task_done)
        else:
            threading.Thread(target=in_thread, name="ocr-workbench", daemon=True).start()
        return future

    def _set_busy(self, busy: bool) -> None:
        for button in (self.detect_button, self.recognize_button):
            button.disabled = busy

    def _fail(self, exc: BaseException, resume: str) -> None:
        if isinstance(exc, asyncio.CancelledError):
            line = "Cancelled; the rectangles are kept."
        else:
            line = one_line(exc, resume=resume)
        self.error = line
        self._say(line)

    def _say(self, line: str) -> None:
        self.canvas.note = line

    def _replace(self, items: Sequence[tuple[object, str]], what: str | None) -> None:
        before = list(self.canvas.regions)
        cleaned, lines = self._clean(items)
        if before and cleaned != before:
            self._undo = before
            self.undo_button.disabled = False
        self._set_regions(cleaned)
        head = []
        if what is not None:
            kept = (
                f" ({plural(len(before), 'rectangle')} before: click Undo for them)"
                if before
                else ""
            )
            head.append(f"{what[0].upper()}{what[1:]}{kept}")
        self._say("; ".join([*head, *lines]))

    def _apply(self, items: Sequence[tuple[object, str]]) -> None:
        cleaned, lines = self._clean(items)
        self._set_regions(cleaned)
        self._say("; ".join(lines))

    def _set_regions(self, cleaned: list[dict[str, Any]]) -> None:
        self._cleaning = True
        try:
            self.canvas.regions = cleaned
        finally:
            self._cleaning = False

    def _clean(self, items: Sequence[tuple[object, str]]) -> tuple[list[dict[str, Any]], list[str]]:
        """Round and clip every rectangle to the image; say which were clipped or refused."""
        cleaned: list[dict[str, Any]] = []
        lines: list[str] = []
        for number, (item, name) in enumerate(items):  # numbered from 0, as the view shows them
            box, front_name = _box_of(item)
            try:
                rect, clipped = self.scan.clip(box)  # type: ignore[arg-type]
            except (OCRError, ValueError, TypeError) as exc:
                lines.append(f"rectangle {number} refused: {_first_line(exc)}")
                continue
            if clipped:
                lines.append(f"rectangle {number} clipped to the image: {rect.as_tuple()}")
            cleaned.append(_as_dict(rect, (name or front_name).strip()))
        return cleaned, lines

    def _from_view(self, change: Mapping[str, Any]) -> None:
        """The front end sent rectangles (a gesture ended): keep them inside the image."""
        if self._cleaning:
            return
        cleaned, lines = self._clean([(item, "") for item in change["new"]])
        if cleaned != change["new"]:
            self._set_regions(cleaned)
        if lines:
            self._say("; ".join(lines))

    def _show_texts(self, result: OCRResult) -> None:
        self._texts_by_rect = dict(zip(self._recognized, result.texts, strict=False))
        self._follow_texts()

    def _on_view_message(
        self, _widget: object, content: Mapping[str, Any], _buffers: object
    ) -> None:
        """An edited text from the view: ``{"kind": "correct", "index": i, "text": ...}``."""
        if not isinstance(content, Mapping) or content.get("kind") != "correct":
            return
        index, text = content.get("index"), content.get("text")
        regions = self.canvas.regions
        if not isinstance(index, int) or not isinstance(text, str) or not 0 <= index < len(regions):
            return
        r = regions[index]
        rect = (r["x1"], r["y1"], r["x2"], r["y2"])
        if rect not in self._recognized:
            return  # moved or drawn since Recognize: there is no recognized text to correct
        try:
            self.correct({self._recognized.index(rect): text})
        except (OCRError, ValueError, TypeError) as exc:
            self._say(f"The correction was not kept: {_first_line(exc)}")
            self._follow_texts()

    def _follow_texts(self, _change: object = None) -> None:
        # Each recognized text stays with its rectangle through reordering; a moved or
        # resized rectangle has not been read yet, so it shows none.
        texts = [
            self._texts_by_rect.get((r["x1"], r["y1"], r["x2"], r["y2"]), "")
            for r in self.canvas.regions
        ]
        if texts != self.canvas.texts:
            self.canvas.texts = texts


def _settle(badge: StatusBadge, exc: BaseException) -> None:
    if isinstance(exc, asyncio.CancelledError):
        badge.cancel_running()
    else:
        badge.fail_running(exc)
    badge.drain(sleep=lambda _s: None)


def _only(outcome: OCRResult | OCRError) -> OCRResult:
    if isinstance(outcome, OCRError):
        raise outcome
    return outcome


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
