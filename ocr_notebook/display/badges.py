"""The status badge's look: one task (a pill) or several (a compact table). No I/O.

These are pure functions from a :class:`BadgeState` to a string. The notebook layer puts
the HTML into an ``ipywidgets.HTML`` and the text into plain status lines; it owns the
widgets, throttling and progress bar. Signatures here are stable: extend with keyword
arguments only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ..results.errors import OCRError, failure_reason
from .text import esc, inert, plural

__all__ = [
    "RETRYING",
    "UNREACHABLE",
    "BadgeState",
    "render_badge_html",
    "render_badge_text",
    "render_multi_badge_html",
    "render_multi_badge_text",
]


class _ResultLike(Protocol):
    @property
    def messages(self) -> tuple[str, ...]: ...


class _PollEventLike(Protocol):
    @property
    def task_id(self) -> str: ...
    @property
    def status(self) -> object: ...
    @property
    def elapsed(self) -> float: ...
    @property
    def polls(self) -> int: ...
    @property
    def result(self) -> _ResultLike | None: ...
    @property
    def next_delay(self) -> float | None: ...
    @property
    def error(self) -> OCRError | None: ...


@dataclass(frozen=True)
class BadgeState:
    """What a status badge shows for one task.

    Attributes:
        task_id: The task id (shown escaped; any string is safe).
        status: ``"Pending"``, ``"Processing"``, ``"Completed"``, ``"Error"``, ``"NotExist"``
            (the service's statuses; a ``TaskStatus`` works too) or the client-side
            ``"Starting"`` (blue, before the first answer), ``"Retrying"`` (purple, a
            request failed and another comes), ``"Unreachable"`` (deep purple: the
            retries ran out or the deadline came without a usable answer), ``"Timeout"``
            and ``"Cancelled"``. Any other string is shown as-is (escaped) in grey.
        elapsed: Seconds since polling started (since the first attempt).
        polls: GET requests made so far, failed attempts included (shown as "attempts"
            while retrying and once unreachable, "polls" otherwise).
        messages: The service's messages (shown for every status, in red for Error).
        detail: One extra line from the caller (e.g. "answered from the local store", or
            the last status seen before a timeout).
        reason: Why the last attempt failed, in a few words ("connection refused",
            "service unavailable (HTTP 503)"), while retrying or once unreachable.
        next_attempt: Seconds from ``elapsed`` until the next attempt, while retrying.
    """

    task_id: str
    status: str
    elapsed: float = 0.0
    polls: int = 0
    messages: tuple[str, ...] = ()
    detail: str | None = None
    reason: str | None = None
    next_attempt: float | None = None

    @classmethod
    def from_event(cls, event: _PollEventLike, *, detail: str | None = None) -> BadgeState:
        """The state a client ``PollEvent`` describes (messages from its result, if any).

        An event for a failed attempt (``event.error`` set) is ``Retrying``, with the reason
        and the delay until the next attempt; the status the service gave last, if any,
        becomes the detail.
        """
        if event.error is not None:
            last = str(event.status)
            return cls(
                task_id=event.task_id,
                status=RETRYING,
                elapsed=event.elapsed,
                polls=event.polls,
                detail=detail or (f"Last status seen: {last}." if last != "Unknown" else None),
                reason=failure_reason(event.error),
                next_attempt=event.next_delay,
            )
        messages = tuple(event.result.messages) if event.result is not None else ()
        return cls(
            task_id=event.task_id,
            status=str(event.status),
            elapsed=event.elapsed,
            polls=event.polls,
            messages=messages,
            detail=detail,
        )

    @property
    def kind(self) -> str:
        """The colour family of the status (``unknown`` for a status not listed).

        One of ok, error, gone, timeout, unreachable, cancelled, running, retrying, unknown.
        """
        return _KINDS.get(str(self.status).lower(), "unknown")

    @property
    def done(self) -> bool:
        """Whether the badge has settled (the task ended, timed out or was cancelled)."""
        return self.kind not in ("running", "retrying", "unknown")


#: A request failed and another attempt comes (connection, DNS, timeout, 429, 5xx).
RETRYING = "Retrying"
#: Polling ended without a usable answer: the retries ran out, or the deadline came first.
UNREACHABLE = "Unreachable"

_KINDS = {
    "retrying": "retrying",
    "unreachable": "unreachable",
    "completed": "ok",
    "error": "error",
    "notexist": "gone",
    "timeout": "timeout",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "starting": "running",  # before the first answer (the notebook layer's first state)
    "pending": "running",
    "processing": "running",
}

# Scoped under .ocrnb-b; the colours use JupyterLab's theme variables so the badge follows
# light and dark themes, with fixed fallbacks elsewhere (classic notebook, VS Code).
_BADGE_CSS = (
    "<style>"
    ".ocrnb-b{font:13px/1.5 var(--jp-ui-font-family,system-ui,sans-serif);"
    "color:var(--jp-ui-font-color1,#222)}"
    ".ocrnb-b .p{display:inline-block;padding:0 .7em;border-radius:1em;color:#fff;"
    "font-weight:600;background:#757575}"
    ".ocrnb-b .k-ok{background:var(--jp-success-color1,#2e7d32)}"
    ".ocrnb-b .k-error{background:var(--jp-error-color1,#c62828)}"
    ".ocrnb-b .k-timeout{background:var(--jp-warn-color1,#b26a00)}"
    ".ocrnb-b .k-running{background:var(--jp-brand-color1,#1565c0)}"
    # No theme variable means "not reached": a purple of its own, apart from every other.
    ".ocrnb-b .k-retrying{background:#8e24aa}.ocrnb-b .k-unreachable{background:#6a1b9a}"
    ".ocrnb-b .k-gone,.ocrnb-b .k-cancelled,.ocrnb-b .k-unknown{"
    "background:var(--jp-layout-color4,#757575)}"
    ".ocrnb-b code{font-family:var(--jp-code-font-family,monospace);font-size:12px}"
    ".ocrnb-b .m{color:var(--jp-ui-font-color2,#666)}"
    ".ocrnb-b .d{margin:.2em 0 0}.ocrnb-b ul{margin:.2em 0;padding-left:1.4em}"
    ".ocrnb-b .e{color:var(--jp-error-color1,#c62828)}"
    ".ocrnb-b table{border-collapse:collapse}"
    ".ocrnb-b td,.ocrnb-b th{padding:.1em .6em;text-align:left;vertical-align:top}"
    "</style>"
)


def _hint(state: BadgeState) -> str | None:
    """What to do next, for the statuses that need it (plain text, not yet escaped)."""
    tid = state.task_id
    if state.kind == "gone":
        return (
            "The service does not know this task: results are kept for 24 hours after "
            "submission, so it has expired (or the id is wrong). Check the id, or submit the "
            "image again for a new task id."
        )
    if state.kind == "timeout":
        return (
            "Stopped waiting; the task keeps running on the service. Resume with "
            f"%ocr_fetch {tid} (or client.wait({tid!r})) within 24 hours."
        )
    if state.kind == "cancelled":
        return (
            "Polling stopped; the task may still finish on the service. Fetch it later with "
            f"%ocr_fetch {tid} (results are kept for 24 hours)."
        )
    if state.kind == "error" and not state.messages:
        return "The service reported an error without a message."
    return None


def _numbers(state: BadgeState) -> str:
    unit = "attempt" if state.kind in ("retrying", "unreachable") else "poll"
    return f"{max(state.elapsed, 0.0):.1f} s · {plural(max(state.polls, 0), unit)}"


def _why(state: BadgeState) -> str | None:
    """The last failure and when the next attempt comes: "connection refused, retry in 2.0 s"."""
    if state.reason is None or state.kind not in ("retrying", "unreachable"):
        return None
    if state.kind == "retrying" and state.next_attempt is not None:
        return f"{state.reason}, retry in {state.next_attempt:.1f} s"
    return state.reason


def render_badge_html(state: BadgeState) -> str:
    """A compact pill for one task: status colour, task id, seconds elapsed, polls.

    Completed is green; Error red with the service's messages; NotExist grey, explaining
    the 24-hour retention and what to do; Timeout amber, saying how to resume; Pending and
    Processing blue; Retrying purple, with the attempts, the last failure and when the next
    attempt comes; Unreachable deep purple (no usable answer: the URL, why and what to
    check come as the detail); Cancelled grey. Every string is escaped and the markup
    carries its own scoped ``<style>``, so it can be the ``value`` of an ``ipywidgets.HTML`` as-is.

    Args:
        state: What to show.

    Returns:
        An HTML fragment (no JavaScript), about 1.5 KB.
    """
    kind = state.kind
    parts = [
        f'<div class="ocrnb-b">{_BADGE_CSS}<span class="p k-{kind}">{esc(state.status)}</span> ',
        f"<code>{esc(state.task_id)}</code> ",
        f'<span class="m">{_numbers(state)}</span>',
    ]
    why = _why(state)
    if why:
        parts.append(f' <span class="w">· {esc(why)}</span>')
    if state.messages:
        cls = ' class="e"' if kind == "error" else ""
        items = "".join(f'<li dir="auto">{esc(m)}</li>' for m in state.messages)
        parts.append(f"<ul{cls}>{items}</ul>")
    hint = _hint(state)
    for line in (state.detail, hint):
        if line:
            parts.append(f'<p class="d" dir="auto">{esc(line)}</p>')
    parts.append("</div>")
    return "".join(parts)


def render_badge_text(state: BadgeState) -> str:
    """One plain status line for terminals and text exports, e.g.

    ``Completed · task 1a2b… · 1.2 s · 3 polls``, followed by the service's messages, the
    caller's detail and, for NotExist/Timeout/Cancelled, what to do next. Control
    characters are shown as symbols, so nothing can drive the terminal.
    """
    fields = [str(state.status), f"task {state.task_id}", _numbers(state)]
    why = _why(state)
    if why:
        fields.append(why)
    if state.messages:
        fields.append("messages: " + "; ".join(state.messages))
    for extra in (state.detail, _hint(state)):
        if extra:
            fields.append(extra)
    return inert(" · ".join(fields).replace("\n", " ").replace("\r", " ").replace("\t", " "))


_ROW_PRIORITY = {
    "error": 0,
    "gone": 0,
    "timeout": 0,
    "unreachable": 0,
    "cancelled": 1,
    "retrying": 1,
    "unknown": 1,
}


def _summary(states: Sequence[BadgeState]) -> str:
    done = sum(s.done for s in states)
    counts = Counter(str(s.status) for s in states)
    detail = ", ".join(f"{n:,} {inert(status)}" for status, n in counts.most_common())
    return f"{done:,} of {len(states):,} done" + (f" ({detail})" if detail else "")


def render_multi_badge_html(states: Sequence[BadgeState], *, row_limit: int = 20) -> str:
    """One compact table for several tasks: an N-of-M summary, then a row per task.

    The progress bar itself is the widget's; this is the text beside it. With more tasks
    than ``row_limit``, the rows shown are the ones needing attention first (errors,
    expired, timed out, cancelled), then those still running, then completed ones, in
    input order; a footer counts the rest. This keeps each update small whatever the
    number of tasks.

    Args:
        states: One state per task, in the order the user gave the ids.
        row_limit: Most rows to show.

    Returns:
        An HTML fragment (no JavaScript).
    """
    ranked = sorted(
        range(len(states)),
        key=lambda i: (_ROW_PRIORITY.get(states[i].kind, 2 if states[i].kind == "ok" else 1), i),
    )
    chosen = sorted(ranked[: max(row_limit, 0)])
    rows = []
    for i in chosen:
        s = states[i]
        note = "; ".join(s.messages) or _why(s) or (s.detail or "")
        note_cls = ' class="e"' if s.kind == "error" else ""
        rows.append(
            f'<tr><td><span class="p k-{s.kind}">{esc(s.status)}</span></td>'
            f"<td><code>{esc(s.task_id)}</code></td>"
            f'<td class="m">{_numbers(s)}</td>'
            f'<td dir="auto"{note_cls}>{esc(note)}</td></tr>'
        )
    out = [
        f'<div class="ocrnb-b">{_BADGE_CSS}<p class="d"><b>{esc(_summary(states))}</b></p>',
        f"<table>{''.join(rows)}</table>" if rows else "",
    ]
    hidden = len(states) - len(chosen)
    if hidden > 0:
        out.append(f'<p class="d m">{plural(hidden, "more task")} not listed.</p>')
    out.append("</div>")
    return "".join(out)


def render_multi_badge_text(states: Sequence[BadgeState]) -> str:
    """One plain line for several tasks, e.g. ``3 of 5 done (2 Completed, 2 Pending, 1 Error)``."""
    return inert(_summary(states))
