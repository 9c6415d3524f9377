"""The live status badge and ``OCRFetchWidget``, composed from stock ipywidgets.

The badge is an ``HTML`` (the look comes from ``_render_badge``) above an ``IntProgress``
whose ``bar_style`` gives the colour. Redraws go through a :class:`~._throttle.Throttle`:
at most 10 comm messages a second whatever the poll rate or the number of tasks, and the
final state is always drawn. Where no widget frontend exists (terminal IPython) the badge
is :class:`TextBadge`, which prints plain status lines instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

import ipywidgets as widgets

from ._board import STAGES, TaskBoard, stage
from ._exceptions import InvalidTaskIdError, OCRError
from ._render_badge import (
    BadgeState,
    render_badge_html,
    render_badge_text,
    render_multi_badge_html,
    render_multi_badge_text,
)
from ._throttle import Schedule, Throttle

if TYPE_CHECKING:
    from ._client import AsyncOCRClient, OCRClient
    from ._collection import OCRResultCollection
    from ._models import OCRResult
    from ._polling import PollEvent
    from ._runner import FetchHandle
    from ._stored import StoreBacking

__all__ = [
    "Badge",
    "OCRFetchWidget",
    "StatusBadge",
    "TextBadge",
    "has_widget_frontend",
    "make_badge",
    "parse_task_ids",
]

BadgeMode = Literal["auto", "widget", "text"]

#: Comm messages a badge may send per second (issue: "at most 10 per second").
MESSAGES_PER_SECOND = 10.0


class Badge(Protocol):
    """What the fetch runner needs from a badge (widget or text)."""

    board: TaskBoard

    @property
    def throttle(self) -> Throttle:
        """The throttle pacing redraws (``delay()``: seconds until the next is allowed)."""

    def show(self) -> None:
        """Display the badge at once (before the first poll)."""

    def observe_event(self, event: PollEvent) -> None:
        """Record a poll response and redraw within the throttle's budget."""

    def tick(self) -> None:
        """Redraw if the board changed and the budget allows (a periodic driver calls it)."""

    def settle(self, task_id: str, outcome: OCRResult | BaseException) -> None:
        """Record how a task ended."""

    def cancel_running(self) -> None:
        """Show every unfinished task as Cancelled."""

    def fail_running(self, error: BaseException) -> None:
        """Show every unfinished task as failed with ``error``."""

    def drain(self, sleep: Callable[[float], None] = time.sleep) -> None:
        """Draw the final state (waiting for the budget if needed)."""

    def use_schedule(self, schedule: Schedule | None) -> None:
        """Let trailing redraws be scheduled (e.g. ``loop.call_later``) instead of ticked."""

    def send_state(self) -> None:
        """Resend the whole current state (makes a notebook's saved widget state current)."""


def has_widget_frontend() -> bool:
    """Whether widgets can be shown: we run in a Jupyter kernel (not terminal IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def make_badge(
    task_ids: Sequence[str],
    *,
    mode: BadgeMode = "auto",
    clock: Callable[[], float] = time.monotonic,
    rate: float = MESSAGES_PER_SECOND,
) -> StatusBadge | TextBadge:
    """A widget badge in a Jupyter frontend, plain status lines elsewhere.

    Args:
        task_ids: The tasks shown, in order (one row each when there are several).
        mode: ``"widget"``, ``"text"``, or ``"auto"`` to pick by :func:`has_widget_frontend`.
        clock: Monotonic clock for the throttle (tests inject a fake one).
        rate: Most comm messages (or printed lines) per second.
    """
    if mode == "widget" or (mode == "auto" and has_widget_frontend()):
        return StatusBadge(task_ids, clock=clock, rate=rate)
    return TextBadge(task_ids, clock=clock, rate=rate)


class _BadgeCore:
    """Board + throttle plumbing shared by the widget and the text badge."""

    def _init_core(
        self, task_ids: Sequence[str], clock: Callable[[], float], rate: float, burst: int = 1
    ) -> None:
        self.board = TaskBoard(task_ids)
        self._drawn_version = -1
        self._throttle = Throttle(self._redraw, rate=rate, clock=clock, burst=burst)

    @property
    def throttle(self) -> Throttle:
        """The throttle pacing redraws (its ``redraws`` count is handy in tests)."""
        return self._throttle

    @property
    def states(self) -> list[BadgeState]:
        """Every task's current state, in order."""
        return self.board.states()

    def use_schedule(self, schedule: Schedule | None) -> None:
        self._throttle.schedule = schedule

    def observe_event(self, event: PollEvent) -> None:
        if self.board.observe(event):
            self._throttle.request()

    def tick(self) -> None:
        if self.board.version != self._drawn_version:
            self._throttle.mark()
        self._throttle.tick()

    def settle(self, task_id: str, outcome: OCRResult | BaseException) -> None:
        self.board.settle(task_id, outcome)
        self._throttle.request()

    def cancel_running(self) -> None:
        self.board.cancel_running()
        self._throttle.request()

    def fail_running(self, error: BaseException) -> None:
        self.board.fail_running(error)
        self._throttle.request()

    def drain(self, sleep: Callable[[float], None] = time.sleep) -> None:
        if self.board.version != self._drawn_version:
            self._throttle.mark()
        self._throttle.drain(sleep)
        self._finished()

    def _finished(self) -> None:
        """Hook run after the final redraw."""

    def _redraw(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError


_BAR_STYLE = {
    "ok": "success",
    "error": "danger",
    "timeout": "warning",
    "running": "info",
    "gone": "",
    "cancelled": "",
    "unknown": "info",
}


def _bar_style(states: Sequence[BadgeState]) -> str:
    kinds = {s.kind for s in states}
    if len(states) == 1:
        return _BAR_STYLE[states[0].kind]
    if kinds & {"running", "unknown"}:
        return "info"
    if kinds & {"error", "gone"}:
        return "danger"
    if kinds & {"timeout", "cancelled"}:
        return "warning"
    return "success"


class StatusBadge(widgets.VBox):  # type: ignore[misc]
    """A live status badge: an ``HTML`` pill (or table) above a progress bar.

    One task: the pill shows status, task id, seconds elapsed and polls; the bar moves
    Pending -> Processing -> settled. Several tasks: an N-of-M summary with a row per task
    (those needing attention first) and an N-of-M bar. Colours: green Completed, red Error,
    grey NotExist and Cancelled, amber Timeout, blue while running.

    Redraws are throttled to ``rate`` comm messages a second; each redraw changes both
    child widgets inside ``hold_sync()`` so a change is one message per widget.

    Args:
        task_ids: The tasks shown, in order.
        clock: Monotonic clock for the throttle.
        rate: Most comm messages per second.
    """

    def __init__(
        self,
        task_ids: Sequence[str],
        *,
        clock: Callable[[], float] = time.monotonic,
        rate: float = MESSAGES_PER_SECOND,
    ) -> None:
        self._core = _WidgetCore(self, task_ids, clock, rate)
        many = len(task_ids) > 1
        html, value, style, description = self._core.view()
        # The first state goes out with the widgets' creation, not as extra messages.
        self.bar = widgets.IntProgress(
            value=value,
            min=0,
            max=len(task_ids) if many else STAGES,
            bar_style=style,
            description=description,
            layout=widgets.Layout(width="24em" if many else "12em", height="0.9em"),
            style={"description_width": "initial"},
        )
        self.html = widgets.HTML(value=html)
        self._display_handle: Any = None
        super().__init__(children=[self.html, self.bar])

    # -- Badge protocol (delegated so the widget's own trait namespace stays clean) -----

    @property
    def board(self) -> TaskBoard:
        """The per-task states behind the badge."""
        return self._core.board

    @property
    def throttle(self) -> Throttle:
        """The throttle pacing redraws."""
        return self._core.throttle

    @property
    def states(self) -> list[BadgeState]:
        """Every task's current state, in order."""
        return self._core.states

    def show(self) -> None:
        """Display the badge in the current cell's output."""
        from IPython.display import display

        self._display_handle = display(self, display_id=True)  # type: ignore[no-untyped-call]

    def observe_event(self, event: PollEvent) -> None:
        """Record a poll response (``observe`` is taken by traitlets; this is the same)."""
        self._core.observe_event(event)

    def tick(self) -> None:
        """Redraw if the board changed and the budget allows."""
        self._core.tick()

    def settle(self, task_id: str, outcome: OCRResult | BaseException) -> None:
        """Record how a task ended."""
        self._core.settle(task_id, outcome)

    def cancel_running(self) -> None:
        """Show every unfinished task as Cancelled."""
        self._core.cancel_running()

    def fail_running(self, error: BaseException) -> None:
        """Show every unfinished task as failed."""
        self._core.fail_running(error)

    def drain(self, sleep: Callable[[float], None] = time.sleep) -> None:
        """Draw the final state, then refresh the output's text/plain for text exports."""
        self._core.drain(sleep)

    def use_schedule(self, schedule: Schedule | None) -> None:
        """Schedule trailing redraws with ``schedule`` (``loop.call_later``) instead of ticks."""
        self._core.use_schedule(schedule)

    def send_state(self, key: Any = None) -> None:
        """Send the whole badge's state (this box and both children) to the frontend.

        Called without ``key`` (as ``await handle`` does), it also refreshes the output's
        ``text/plain``. Use it after a background fetch, in a later cell, so a notebook
        executed headlessly (nbclient) saves the final badge: updates a task sends after
        its own cell finished are not recorded there.
        """
        super().send_state(key)
        if key is None:
            self.html.send_state()
            self.bar.send_state()
            self._refresh_display()

    @property
    def text(self) -> str:
        """The badge as one plain line (what a text export shows)."""
        states = self.states
        if len(states) == 1:
            return render_badge_text(states[0])
        return render_multi_badge_text(states)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        bundle: dict[str, Any] | None = super()._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle["text/plain"] = self.text
        return bundle

    def _refresh_display(self) -> None:
        if self._display_handle is not None:
            self._display_handle.update(self)


class _WidgetCore(_BadgeCore):
    def __init__(
        self,
        badge: StatusBadge,
        task_ids: Sequence[str],
        clock: Callable[[], float],
        rate: float,
    ) -> None:
        self._badge = badge
        # A redraw may update both child widgets: two messages.
        self._init_core(task_ids, clock, rate, burst=2)

    def view(self) -> tuple[str, int, str, str]:
        """``(html, bar value, bar style, bar description)`` of the current board."""
        version, states = self.board.snapshot()
        self._drawn_version = version
        if len(states) == 1:
            html = render_badge_html(states[0])
            value, description = stage(states[0]), ""
        else:
            html = render_multi_badge_html(states)
            value = sum(s.done for s in states)
            description = f"{value}/{len(states)}"
        return html, value, _bar_style(states), description

    def _redraw(self) -> int:
        badge = self._badge
        html, value, style, description = self.view()
        sent = 0
        if html != badge.html.value:
            badge.html.value = html
            sent += 1
        bar = badge.bar
        if (bar.value, bar.bar_style, bar.description) != (value, style, description):
            with bar.hold_sync():
                bar.value = value
                bar.bar_style = style
                bar.description = description
            sent += 1
        return sent

    def _finished(self) -> None:
        self._badge._refresh_display()


class TextBadge(_BadgeCore):
    """The badge where no widget frontend exists: plain status lines on stdout.

    One task: a line when the badge appears and one per status change. Several tasks: the
    N-of-M summary whenever it changes, then a line per task that did not complete.

    Args:
        task_ids: The tasks shown, in order.
        clock: Monotonic clock for the throttle.
        rate: Most lines per second.
        stream: Where lines go (``sys.stdout`` at the time of writing by default).
    """

    def __init__(
        self,
        task_ids: Sequence[str],
        *,
        clock: Callable[[], float] = time.monotonic,
        rate: float = MESSAGES_PER_SECOND,
        stream: Any = None,
    ) -> None:
        self._stream = stream
        self._last_line = ""
        self._init_core(task_ids, clock, rate)

    @property
    def text(self) -> str:
        """The current status line."""
        states = self.states
        if len(states) == 1:
            return render_badge_text(states[0])
        return render_multi_badge_text(states)

    def show(self) -> None:
        """Print the first status line."""
        self._throttle.request()

    def send_state(self) -> None:
        """Nothing to send: lines already printed are final."""

    def _write(self, line: str) -> None:
        stream = self._stream if self._stream is not None else sys.stdout
        stream.write(line + "\n")
        stream.flush()

    def _key(self, states: Sequence[BadgeState]) -> str:
        # Print on status changes, not on every poll (elapsed and polls change each time).
        if len(states) == 1:
            return str(states[0].status)
        return render_multi_badge_text(states)

    def _redraw(self) -> int:
        version, states = self.board.snapshot()
        self._drawn_version = version
        key = self._key(states)
        if key == self._last_line:
            return 0
        self._last_line = key
        self._write(render_badge_text(states[0]) if len(states) == 1 else key)
        return 1

    def _finished(self) -> None:
        states = self.states
        if len(states) > 1:
            for s in states:
                if s.kind != "ok":
                    self._write("  " + render_badge_text(s))


# -- OCRFetchWidget ----------------------------------------------------------------------

_ID_SPLIT = re.compile(r"[\s,;]+")


def parse_task_ids(text: str) -> list[str]:
    """Task ids from free text (whitespace, commas or semicolons between them), validated.

    Duplicates are dropped, first occurrence kept.

    Raises:
        InvalidTaskIdError: empty text, or one of the ids is malformed.
    """
    from ._task_id import validate_task_id

    raw = [t for t in _ID_SPLIT.split(text.strip()) if t]
    if not raw:
        raise InvalidTaskIdError(
            "No task id given; paste the id returned when the task was submitted."
        )
    ids: list[str] = []
    for token in raw:
        tid = validate_task_id(token)
        if tid not in ids:
            ids.append(tid)
    return ids


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
        self.fetch_button.on_click(lambda _b: self.fetch())
        self.cancel_button.on_click(lambda _b: self.cancel())
        super().__init__(
            children=[
                widgets.HBox([self.ids, self.fetch_button, self.cancel_button]),
                self.badge_box,
                self.output,
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
        from ._client import AsyncOCRClient, OCRClient
        from ._runner import start_fetch

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
        self.error = None
        badge = StatusBadge(ids)
        self.badge_box.children = [badge]
        self.fetch_button.disabled = True
        self.cancel_button.disabled = False
        try:
            backing = self._store_backing()
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
        for callback in list(self._callbacks):
            callback(result)

    def _store_backing(self) -> StoreBacking:
        """The local store behind this widget's fetches (see ``_stored``).

        Raises:
            ValueError: ``ASPOSE_OCR_BASE_URL`` is not a usable URL.
        """
        from ._stored import StoreBacking, active_store, service_base_url

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
        from ._advice import one_line

        self.error = one_line(exc, resume="click Fetch")
        self.output.clear_output()
        self.output.append_stderr(self.error + "\n")
