"""Helpers for the notebook layer's tests: a recorded comm layer, a fake clock, shell helpers.

The comm layer is recorded the way ipywidgets' own tests do it (``comm.create_comm``
replaced by a comm that keeps every ``send``), so a test sees exactly the messages a
frontend would receive, each stamped with the fake clock's time.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from IPython.core.interactiveshell import ExecutionResult, InteractiveShell

from ocr_notebook import TaskStatus
from ocr_notebook.client.polling import PollEvent
from ocr_notebook.notebook.magics import OCRMagics
from tests.support.clock import FakeClock
from tests.support.credentials import TEST_CLIENT_ID, TEST_CLIENT_SECRET

PILL = re.compile(r'class="p k-[a-z]+">([^<]*)<')


class FakeScheduler:
    """Collects ``schedule(delay, callback)`` calls; ``run_due()`` runs those due by the clock."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.pending: list[tuple[float, Any]] = []

    def __call__(self, delay: float, callback: Any) -> None:
        self.pending.append((self.clock() + delay, callback))

    def run_due(self) -> int:
        due = [item for item in self.pending if item[0] <= self.clock()]
        self.pending = [item for item in self.pending if item[0] > self.clock()]
        for _, callback in sorted(due, key=lambda item: item[0]):
            callback()
        return len(due)


@dataclass
class Sent:
    """One comm message a widget sent: when (fake clock), which model, the state update."""

    at: float
    comm_id: str
    state: dict[str, Any]


@dataclass
class CommRecorder:
    """Every comm opened and every message sent, in order."""

    clock: Any = None
    opened: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)

    def for_model(self, model_id: str) -> list[dict[str, Any]]:
        """The state updates sent to one widget model, in order."""
        return [m.state for m in self.sent if m.comm_id == model_id]

    def max_in_window(self, model_ids: set[str], window: float = 1.0) -> int:
        """The most messages sent to ``model_ids`` in any ``window`` seconds (sliding)."""
        times = sorted(m.at for m in self.sent if m.comm_id in model_ids)
        best = start = 0
        for end, at in enumerate(times):
            while at - times[start] >= window - 1e-9:
                start += 1
            best = max(best, end - start + 1)
        return best

    def per_second(self, model_ids: set[str]) -> dict[int, int]:
        """Messages sent to ``model_ids`` per whole second of the fake clock."""
        counts: dict[int, int] = {}
        for message in self.sent:
            if message.comm_id in model_ids:
                second = int(message.at)
                counts[second] = counts.get(second, 0) + 1
        return counts


class RecordingComm:
    """A comm that records what a widget sends instead of talking to a kernel."""

    kernel = "recorded"  # truthy: ipywidgets only sends when the comm has a kernel

    def __init__(self, recorder: CommRecorder, **kwargs: Any) -> None:
        self.recorder = recorder
        self.comm_id = kwargs.get("comm_id") or uuid.uuid4().hex
        recorder.opened[self.comm_id] = kwargs.get("data", {}).get("state", {})

    def open(self, *args: Any, **kwargs: Any) -> None:
        pass

    def on_msg(self, callback: Any) -> None:
        pass

    def on_close(self, callback: Any) -> None:
        pass

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send(self, data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
        at = self.recorder.clock() if self.recorder.clock is not None else 0.0
        if isinstance(data, dict) and data.get("method") == "update":
            self.recorder.sent.append(Sent(at, self.comm_id, dict(data["state"])))


def record_comms(monkeypatch: pytest.MonkeyPatch) -> CommRecorder:
    """Record the comm layer: every widget created afterwards talks to a RecordingComm."""
    import comm

    recorder = CommRecorder()
    monkeypatch.setattr(comm, "create_comm", lambda **kwargs: RecordingComm(recorder, **kwargs))
    return recorder


def record_clients(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Keep every client ``OCRMagics`` makes from now on, so a test can check it was closed."""
    clients: list[Any] = []
    original = OCRMagics.make_client

    def recording(self: OCRMagics, timeout: float | None = None) -> Any:
        client = original(self, timeout)
        clients.append(client)
        return client

    monkeypatch.setattr(OCRMagics, "make_client", recording)
    return clients


def pills(states: list[dict[str, Any]]) -> list[str]:
    """The status pill of each HTML ``value`` update, in order (several per table)."""
    out: list[str] = []
    for state in states:
        if "value" in state and isinstance(state["value"], str):
            found = PILL.findall(state["value"])
            if found:
                out.append(" ".join(found))
    return out


def event(
    task_id: str, status: str, polls: int, elapsed: float, *, terminal: bool = False
) -> PollEvent:
    """A PollEvent as the client reports it (no result payload)."""
    return PollEvent(
        task_id=task_id,
        status=TaskStatus(status),
        polls=polls,
        elapsed=elapsed,
        result=None,
        next_delay=None if terminal else 0.2,
    )


def run(shell: InteractiveShell, source: str) -> Any:
    """Run a cell like a user would (history on, so ``_`` and ``Out`` work); fail on error."""
    result: ExecutionResult = shell.run_cell(source, store_history=True)  # type: ignore[no-untyped-call]
    result.raise_error()  # type: ignore[no-untyped-call]
    return result.result


def run_error(shell: InteractiveShell, source: str) -> BaseException:
    """Run a cell that must fail; return its error."""
    result: ExecutionResult = shell.run_cell(source, store_history=True)  # type: ignore[no-untyped-call]
    assert result.error_in_exec is not None or result.error_before_exec is not None, (
        f"{source!r} did not fail"
    )
    error = result.error_in_exec or result.error_before_exec
    assert error is not None
    return error


@contextmanager
def configured_magics(
    shell: InteractiveShell,
    monkeypatch: pytest.MonkeyPatch,
    *,
    config: Mapping[str, object] | None = None,
    attributes: Mapping[str, object] | None = None,
    also_reset: Iterable[str] = (),
    client_id: str = TEST_CLIENT_ID,
    client_secret: str = TEST_CLIENT_SECRET,
) -> Iterator[OCRMagics]:
    """The loaded ``OCRMagics`` with credentials in the environment and the given settings.

    Args:
        shell: A shell with ``ocr_notebook`` loaded (conftest's ``shell`` fixture).
        monkeypatch: Sets the credentials for this test only.
        config: Traits set the user's way, ``%config OCRMagics.name = value``. IPython keeps
            these in the shell's config, so an instance loaded later starts from them.
        attributes: Traits set on this instance only.
        also_reset: Traits the test itself may change, reset on exit as well.
        client_id: The client id put in the environment.
        client_secret: The client secret put in the environment.

    Yields:
        The instance; on exit every trait named above is back at its default.
    """
    monkeypatch.setenv("ASPOSE_OCR_CLIENT_ID", client_id)
    monkeypatch.setenv("ASPOSE_OCR_CLIENT_SECRET", client_secret)
    monkeypatch.delenv("ASPOSE_OCR_BASE_URL", raising=False)
    config = config or {}
    attributes = attributes or {}
    (instance,) = [c for c in shell.configurables if isinstance(c, OCRMagics)]
    for name, value in config.items():
        run(shell, f"%config OCRMagics.{name} = {value!r}")
    for name, value in attributes.items():
        setattr(instance, name, value)
    yield instance
    for name in dict.fromkeys([*config, *attributes, *also_reset]):
        setattr(instance, name, instance.trait_defaults(name))
