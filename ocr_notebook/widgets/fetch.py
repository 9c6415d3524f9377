"""``OCRFetchWidget``: an id box, Fetch and Cancel buttons, the live badge and the result."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..client.clients import AsyncOCRClient, OCRClient
from ..notebook.badge import StatusBadge
from ..notebook.messages import one_line
from ..notebook.runner import FetchHandle, start_fetch
from ..results.errors import InvalidTaskIdError, OCRError
from ..results.models import OCRResult
from ..store.backing import StoreBacking, active_store, service_base_url
from ..store.corrections import save_corrections
from ..wire.task_ids import parse_task_ids
from .corrections import CorrectionEditor

if TYPE_CHECKING:
    from ..results.collection import OCRResultCollection

__all__ = ["OCRFetchWidget"]


ResultCallback = Callable[["OCRResult | OCRResultCollection"], object]


class OCRFetchWidget(widgets.VBox):  # type: ignore[misc]
    """Fetch OCR results interactively: an id box, Fetch and Cancel, a badge, the result.

    Polling runs as a task on the kernel's event loop (with an ``AsyncOCRClient``), so the
    Cancel button works while a fetch is under way; a cancelled fetch shows Cancelled.

    Args:
        client: An ``AsyncOCRClient`` (or ``OCRClient``, polled in a thread) to fetch with.
            None builds an ``AsyncOCRClient`` per fetch from the environment
            (``ASPOSE_OCR_BASE_URL``, ``ASPOSE_OCR_CLIENT_ID``, ``ASPOSE_OCR_CLIENT_SECRET``).
            A client passed in is not closed by the widget.
        api: The operation the tasks were submitted to.
        timeout: Seconds to wait for each fetch (None: the client's poll policy).
        store: Use the local result store as ``%ocr_fetch`` does: ids it holds are shown at
            once with a note, a task the service has forgotten (NotExist) is shown from it,
            and the clients the widget builds write every Completed result to it. Also off
            when ``OCR_NOTEBOOK_STORE=0``.

    Attributes:
        result: The last fetched ``OCRResult`` (or collection for several ids), or None.
        ids: The text box (one or more ids separated by spaces or commas).
        fetch_button: Starts a fetch.
        cancel_button: Stops the running fetch.
        output: Where the rendered result (or the one-line error) goes.
        editor_box: Holds a ``CorrectionEditor`` under a single fetched result: its texts
            corrected in place and saved in the local store (``.result`` becomes the
            corrected result).
    """

    def __init__(
        self,
        client: AsyncOCRClient | OCRClient | None = None,
        api: str = "RecognizeRegions",
        *,
        timeout: float | None = None,
        store: bool = True,
    ) -> None:
        self._client = client
        self._api = api
        self._timeout = timeout
        self._store = store
        self._callbacks: list[ResultCallback] = []
        self._handle: FetchHandle | None = None
        self._generation = 0  # counts fetches, so a replaced one's ending is ignored
        self.result: OCRResult | OCRResultCollection | None = None
        self.error: str | None = None
        self.ids = widgets.Text(
            placeholder="task id(s), e.g. b7162f77-bf10-407d-86de-ee255e422ca7",
            description="Task id",
            layout=widgets.Layout(width="36em"),
        )
        self.fetch_button = widgets.Button(
            description="Fetch", button_style="primary", icon="download", tooltip="Fetch"
        )
        self.cancel_button = widgets.Button(
            description="Cancel", icon="stop", disabled=True, tooltip="Stop polling"
        )
        self.badge_box = widgets.Box()
        self.output = widgets.Output()
        self.editor_box = widgets.Box()
        self._backing: StoreBacking | None = None
        self.fetch_button.on_click(lambda _b: self.fetch())
        self.cancel_button.on_click(lambda _b: self.cancel())
        super().__init__(
            children=[
                widgets.HBox([self.ids, self.fetch_button, self.cancel_button]),
                self.badge_box,
                self.output,
                self.editor_box,
            ]
        )

    @property
    def badge(self) -> StatusBadge | None:
        """The badge of the last fetch, if any."""
        children = self.badge_box.children
        return children[0] if children else None

    @property
    def running(self) -> bool:
        """Whether a fetch is under way."""
        return self._handle is not None and not self._handle.done()

    def on_result(self, callback: ResultCallback) -> None:
        """Call ``callback(result)`` after every successful fetch."""
        self._callbacks.append(callback)

    def fetch(self, task_ids: str | Sequence[str] | None = None) -> FetchHandle | None:
        """Start fetching the ids in the text box (or ``task_ids``); returns the fetch handle.

        The handle is awaitable (``await widget.fetch(...)``). A malformed id shows one line
        in the output and returns None. A fetch already running is cancelled first.
        """
        if task_ids is not None:
            self.ids.value = task_ids if isinstance(task_ids, str) else " ".join(task_ids)
        try:
            ids = parse_task_ids(self.ids.value)
        except InvalidTaskIdError as exc:
            self._show_error(exc)
            return None
        if self.running:
            self.cancel()
        self._generation += 1
        generation = self._generation
        self.output.clear_output()
        self.editor_box.children = []
        self.error = None
        badge = StatusBadge(ids)
        self.badge_box.children = [badge]
        self.fetch_button.disabled = True
        self.cancel_button.disabled = False
        try:
            backing = self._backing = self._store_backing()
            store = backing.store
            handle = start_fetch(
                ids,
                api=self._api,
                timeout=self._timeout,
                badge=badge,
                client=self._client,
                make_async_client=lambda: AsyncOCRClient(store=store),
                make_client=lambda: OCRClient(store=store),
                on_done=lambda done: self._done(done, generation),
                resume="click Fetch",
                known=backing.answered(ids),
                amend=backing.amend,
            )
        except (OCRError, ValueError) as exc:
            self._reset_buttons()
            badge.fail_running(exc)
            badge.drain()
            self._show_error(exc)
            return None
        self._handle = handle
        return handle

    def cancel(self) -> None:
        """Stop the running fetch; its badge shows Cancelled."""
        if self._handle is not None:
            self._handle.cancel()

    async def wait(self) -> OCRResult | OCRResultCollection | None:
        """Wait for the running fetch, then resend the widget's state (for saved notebooks).

        Updates made after the cell that started the fetch finished are not recorded by
        headless runs (nbclient); resending from the awaiting cell records the final state.

        Returns:
            The result, or None when the fetch failed or was cancelled (see ``error``).
        """
        handle = self._handle
        if handle is not None:
            with contextlib.suppress(OCRError, asyncio.CancelledError):
                await handle
        self.send_state()
        return self.result

    def send_state(self, key: Any = None) -> None:
        """Send the state of the whole form (buttons, badge, output) to the frontend."""
        super().send_state(key)
        if key is None:
            for part in (self.ids, self.fetch_button, self.cancel_button):
                part.send_state()
            # Only the outputs: nbclient mishandles a resent Output `msg_id` ('' pops a
            # capture hook it never pushed, and the run dies).
            self.output.send_state("outputs")
            badge = self.badge
            if badge is not None:
                badge.send_state()

    def _done(self, handle: FetchHandle, generation: int) -> None:
        if generation != self._generation:
            return  # a fetch replaced by a newer one: its ending must not touch the form
        self._reset_buttons()
        error = handle.error_line()
        if error is not None:
            self.error = error
            self.output.append_stderr(error + "\n")
            return
        result = handle.result()
        self.result = result
        self.output.append_display_data(result)
        self._offer_corrections(result)
        for callback in list(self._callbacks):
            callback(result)

    def _offer_corrections(self, result: OCRResult | OCRResultCollection) -> None:
        backing = self._backing
        if not isinstance(result, OCRResult) or backing is None:
            return
        if not (result.is_completed and result.id and result.ocr_texts_by_order()):
            return

        def save(current: OCRResult, changes: dict[int, str]) -> OCRResult:
            if backing.store is None:
                raise ValueError(
                    "The local result store is off for this widget, so corrections cannot "
                    "be kept; result.corrected({order: text}) corrects in memory."
                )
            return save_corrections(
                current, changes, store=backing.store, base_url=backing.base_url
            )

        self.editor_box.children = [CorrectionEditor(result, save, self._show_corrected)]

    def _show_corrected(self, result: OCRResult) -> None:
        # The corrected result replaces the shown one; the store's notes above it stay.
        self.result = result
        self.output.outputs = tuple(
            o for o in self.output.outputs if o.get("output_type") != "display_data"
        )
        self.output.append_display_data(result)

    def _store_backing(self) -> StoreBacking:
        """The local store behind this widget's fetches (see ``store/backing.py``).

        Raises:
            ValueError: ``ASPOSE_OCR_BASE_URL`` is not a usable URL.
        """
        client = self._client
        base_url = client.base_url if client is not None else service_base_url(None)
        return StoreBacking(
            active_store(self._store),
            base_url=base_url,
            api=self._api,
            note=lambda note: self.output.append_stdout(note.line + "\n"),
        )

    def _reset_buttons(self) -> None:
        self.fetch_button.disabled = False
        self.cancel_button.disabled = True

    def _show_error(self, exc: BaseException) -> None:
        self.error = one_line(exc, resume="click Fetch")
        self.output.clear_output()
        self.output.append_stderr(self.error + "\n")
