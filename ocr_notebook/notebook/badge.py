"""The live status badge, composed from stock ipywidgets.

The badge is an ``HTML`` (the look comes from ``display/badges.py``) above an ``IntProgress``
whose ``bar_style`` gives the colour. Redraws go through a :class:`~.throttle.Throttle`:
at most 10 comm messages a second whatever the poll rate or the number of tasks, and the
final state is always drawn. Where no widget frontend exists (terminal IPython) the badge
is :class:`TextBadge`, which prints plain status lines instead.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

import ipywidgets as widgets
from IPython import get_ipython
from IPython.display import display

from ..display.badges import (
    BadgeState,
    render_badge_html,
    render_badge_text,
    render_multi_badge_html,
    render_multi_badge_text,
)
from .board import STAGES, TaskBoard, stage
from .throttle import Schedule, Throttle

if TYPE_CHECKING:
    from ..client.polling import PollEvent
    from ..results.models import OCRResult

__all__ = [
    "Badge",
    "StatusBadge",
    "TextBadge",
    "has_widget_frontend",
    "make_badge",
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
    "unreachable": "danger",
    "running": "info",
    "retrying": "info",
    "gone": "",
    "cancelled": "",
    "unknown": "info",
}
# bar_style has no colour for "not reached"; the bar's own colour (ProgressStyle.bar_color)
# paints it in the pill's purple, so it is not mistaken for a task that failed (red).
_BAR_COLOR = {"retrying": "#8e24aa", "unreachable": "#6a1b9a"}


def _bar_style(states: Sequence[BadgeState]) -> str:
    kinds = {s.kind for s in states}
    if len(states) == 1:
        return _BAR_STYLE[states[0].kind]
    if kinds & {"running", "retrying", "unknown"}:
        return "info"
    if kinds & {"error", "gone", "unreachable"}:
        return "danger"
    if kinds & {"timeout", "cancelled"}:
        return "warning"
    return "success"


def _bar_color(states: Sequence[BadgeState]) -> str | None:
    """The bar's own colour: purple while one task retries or once it is unreachable."""
    return _BAR_COLOR.get(states[0].kind) if len(states) == 1 else None


class StatusBadge(widgets.VBox):  # type: ignore[misc]
    """A live status badge: an ``HTML`` pill (or table) above a progress bar.

    One task: the pill shows status, task id, seconds elapsed and polls; the bar moves
    Pending -> Processing -> settled. Several tasks: an N-of-M summary with a row per task
    (those needing attention first) and an N-of-M bar. Colours: green Completed, red Error,
    grey NotExist and Cancelled, amber Timeout, blue while running, purple while retrying
    and deep purple Unreachable (``bar.style.bar_color`` too).

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
        html, value, style, description, color = self._core.view()
        # The first state goes out with the widgets' creation, not as extra messages.
        self.bar = widgets.IntProgress(
            value=value,
            min=0,
            max=len(task_ids) if many else STAGES,
            bar_style=style,
            description=description,
            layout=widgets.Layout(width="24em" if many else "12em", height="0.9em"),
            style={"description_width": "initial", "bar_color": color},
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
        # A redraw may update both child widgets and the bar's colour: three messages.
        self._init_core(task_ids, clock, rate, burst=3)

    def view(self) -> tuple[str, int, str, str, str | None]:
        """``(html, bar value, bar style, bar description, bar colour)`` of the board."""
        version, states = self.board.snapshot()
        self._drawn_version = version
        if len(states) == 1:
            html = render_badge_html(states[0])
            value, description = stage(states[0]), ""
        else:
            html = render_multi_badge_html(states)
            value = sum(s.done for s in states)
            description = f"{value}/{len(states)}"
        return html, value, _bar_style(states), description, _bar_color(states)

    def _redraw(self) -> int:
        badge = self._badge
        html, value, style, description, color = self.view()
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
        if bar.style.bar_color != color:
            bar.style.bar_color = color
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
        # Print on status changes, not on every poll (elapsed and polls change each time);
        # but on every failed attempt while retrying, so the attempts are seen as they happen.
        if len(states) == 1:
            state = states[0]
            retrying = state.kind == "retrying"
            return f"{state.status}/{state.polls}" if retrying else str(state.status)
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
