"""The task store: tasks, their lifecycle on an injectable clock, and retention. No I/O.

A task with latency ``L`` submitted at ``t0`` is Pending until ``t0 + L/3``, Processing until
``t0 + L``, then shows its final status once its work is done. After ``retention`` seconds it is
forgotten and its id answers NotExist, like the service's 24-hour storage.
"""

from __future__ import annotations

import collections
import enum
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

__all__ = ["Clock", "Outcome", "Phase", "Task", "TaskStore"]

Clock = Callable[[], float]


class Phase(enum.Enum):
    """Where a task is on its latency timeline (not whether its work is done)."""

    PENDING = "Pending"
    PROCESSING = "Processing"
    DUE = "Due"


@dataclass(frozen=True)
class Outcome:
    """The final state of a task, as the wire will show it.

    Attributes:
        status: ``taskStatus`` wire string (``Completed``, ``Error``, ...).
        code: ``responseStatusCode`` wire string (``Ok``, ``Error``, ...).
        results: ``(type, bytes)`` per result entry, or None for ``results: null``.
        messages: ``error.messages``.
        warnings: ``error.warnings``.
    """

    status: str
    code: str
    results: tuple[tuple[str, bytes], ...] | None = None
    messages: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


class Task:
    """One submitted task: its timeline, its work and, once done, its outcome."""

    __slots__ = ("_bodies", "api", "created", "future", "id", "latency", "outcome")

    def __init__(
        self,
        task_id: str,
        api: str,
        created: float,
        latency: float,
        outcome: Outcome | None = None,
        future: Future[Outcome] | None = None,
    ) -> None:
        self.id = task_id
        self.api = api
        self.created = created
        self.latency = max(0.0, latency)
        self.outcome = outcome
        self.future = future
        # Encoded response bodies, built once: a finished task's answer never changes.
        self._bodies: dict[str, bytes] = {}

    def phase(self, now: float) -> Phase:
        """The task's place on its latency timeline at ``now``."""
        elapsed = now - self.created
        if elapsed >= self.latency:
            return Phase.DUE
        if elapsed < self.latency / 3:
            return Phase.PENDING
        return Phase.PROCESSING

    def body(self, key: str, build: Callable[[], bytes]) -> bytes:
        """The cached response body ``key``, built by ``build`` on first use."""
        cached = self._bodies.get(key)
        if cached is None:
            cached = self._bodies[key] = build()
        return cached


class TaskStore:
    """Tasks by id, forgotten ``retention`` seconds after submission. Thread-safe."""

    def __init__(self, retention: float, clock: Clock) -> None:
        self.retention = retention
        self.clock = clock
        self._tasks: dict[str, Task] = {}
        self._order: collections.deque[tuple[float, str]] = collections.deque()
        self._lock = threading.Lock()

    def add(self, task: Task) -> None:
        """Store ``task`` (replacing a task with the same id) and drop expired ones."""
        with self._lock:
            self._tasks[task.id] = task
            self._order.append((task.created, task.id))
        self.purge()

    def get(self, task_id: str) -> Task | None:
        """The live task with this id, or None if unknown, cancelled or past retention."""
        task = self._tasks.get(task_id)
        if task is None:
            return None
        if self.clock() - task.created >= self.retention:
            self.remove(task_id)
            return None
        return task

    def remove(self, task_id: str) -> Task | None:
        """Forget a task; its queued work, if any, is cancelled. Returns it, if it was known."""
        with self._lock:
            task = self._tasks.pop(task_id, None)
        if task is not None and task.future is not None:
            task.future.cancel()
        return task

    def purge(self) -> int:
        """Forget every task past retention; returns how many were dropped."""
        horizon = self.clock() - self.retention
        dropped = 0
        with self._lock:
            while self._order and self._order[0][0] <= horizon:
                _, task_id = self._order.popleft()
                task = self._tasks.get(task_id)
                if task is not None and task.created <= horizon:
                    del self._tasks[task_id]
                    dropped += 1
        return dropped

    def __len__(self) -> int:
        return len(self._tasks)
