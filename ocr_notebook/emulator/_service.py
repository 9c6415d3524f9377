"""The emulator's behaviour without HTTP: submit, inject, answer by id, cancel, issue tokens."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from . import _ocr, _standin
from ._logins import LoginLimiter
from ._requests import Job
from ._responses import not_exist, ocr_response, outcome_response
from ._store import Clock, Outcome, Phase, Task, TaskStore
from ._tokens import TokenIssuer
from ._work import run_job

__all__ = ["FINAL_CODES", "Service", "new_task_id", "shared_executor"]

# The responseStatusCode a status implies when the caller does not say.
FINAL_CODES = {
    "Completed": "Ok",
    "Error": "Error",
    "NotExist": "TaskNotFound",
    "Pending": "NotReady",
    "Processing": "NotReady",
}
# How long a GET of a task whose latency has run out waits for its work (the vendor's
# examples GET right after POST and expect Completed). Past this it answers Processing.
DUE_WAIT_SECONDS = 15.0

_WORKERS = max(1, min(4, os.cpu_count() or 1))
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_warmed = False  # whether Tesseract was loaded in the pool's workers


def shared_executor(*, warm: bool = True) -> ThreadPoolExecutor:
    """The process-wide OCR worker pool: Tesseract instances stay loaded across emulators.

    Args:
        warm: Load Tesseract in each worker now (once per process), so no real task pays
            for it; an emulator with OCR off asks for the pool without loading it.
    """
    global _executor, _warmed
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(_WORKERS, thread_name_prefix="ocr-emulator-worker")
        if warm and not _warmed:
            _warmed = True
            # In the background: the emulator answers meanwhile.
            for _ in range(_WORKERS):
                _executor.submit(_ocr.warm_up)
        return _executor


def new_task_id(speech: bool = False) -> str:
    """A GUID; text-to-speech ids replace its first three hex digits with ``TTS``."""
    task_id = str(uuid.uuid4())
    return "TTS" + task_id[3:] if speech else task_id


class Service:
    """Tasks, tokens and workers behind the HTTP app (and behind ``Emulator``'s shortcuts)."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        latency: float,
        retention: float,
        token_ttl: float,
        clock: Clock,
        max_failed_logins: int | None = 5,
        login_lockout: float = 600.0,
        executor: ThreadPoolExecutor | None = None,
        ocr: bool = True,
    ) -> None:
        self.clock = clock
        self.latency = latency
        self.ocr = ocr
        self.store = TaskStore(retention, clock)
        self.tokens = TokenIssuer(client_id, client_secret, token_ttl, clock)
        self.logins = LoginLimiter(max_failed_logins, login_lockout, clock)
        self._executor = executor or shared_executor(warm=ocr)

    # -- writing -----------------------------------------------------------------------

    def submit(self, job: Job) -> str:
        """Queue ``job`` for a worker and store its task; returns the new task id."""
        task = Task(
            new_task_id(job.operation.speech), job.operation.name, self.clock(), self.latency
        )
        future = self._executor.submit(run_job, job, _ocr if self.ocr else _standin)
        task.future = future

        def record(done: Future[Outcome]) -> None:
            if not done.cancelled():
                outcome = done.result()
                _encode_final(task, outcome)
                task.outcome = outcome

        future.add_done_callback(record)
        self.store.add(task)
        return task.id

    def inject(
        self,
        api: str,
        results: Iterable[tuple[str, bytes | str]] | None,
        status: str,
        messages: Iterable[str] = (),
        warnings: Iterable[str] = (),
        latency: float | None = None,
        response_status_code: str | None = None,
        task_id: str | None = None,
    ) -> str:
        """Store a finished task directly, bypassing the workers."""
        status = str(status)
        if status not in FINAL_CODES:
            raise ValueError(f"status must be one of {', '.join(FINAL_CODES)}, got {status!r}.")
        encoded = (
            None
            if results is None
            else tuple(
                (str(kind), data.encode("utf-8") if isinstance(data, str) else bytes(data))
                for kind, data in results
            )
        )
        if not encoded and status != "Completed":
            encoded = None  # only a completed task has a results list, even an empty one
        outcome = Outcome(
            status,
            str(response_status_code) if response_status_code else FINAL_CODES[status],
            encoded,
            tuple(messages),
            tuple(warnings),
        )
        speech = "texttospeech" in api.lower()
        task = Task(
            task_id or new_task_id(speech),
            api,
            self.clock(),
            self.latency if latency is None else latency,
            outcome=outcome,
        )
        _encode_final(task, outcome)
        self.store.add(task)
        return task.id

    def cancel(self, task_id: str) -> None:
        """Forget the task (its queued work is dropped); unknown ids are fine."""
        self.store.remove(task_id)

    # -- reading -----------------------------------------------------------------------

    async def settle(self, task_id: str) -> tuple[Task | None, Phase, Outcome | None]:
        """The task, its phase now, and its outcome if the task is due and its work done.

        A due task whose work is still running is waited for (up to a bound), so a GET right
        after a POST with no latency sees the result, as the vendor's examples expect.
        """
        task = self.store.get(task_id)
        if task is None:
            return None, Phase.DUE, None
        phase = task.phase(self.clock())
        if phase is not Phase.DUE:
            return task, phase, None
        if task.outcome is None and task.future is not None:
            await _wait(task.future, DUE_WAIT_SECONDS)
        return task, phase, task.outcome

    async def answer(self, task_id: str, *, with_results: bool = True) -> bytes:
        """The response body for a GET of ``task_id`` (GetTaskStatus: ``with_results=False``)."""
        task, phase, outcome = await self.settle(task_id)
        if task is None:
            return not_exist(task_id)
        if outcome is not None:
            key = "results" if with_results else "status"
            return task.body(
                key, lambda: outcome_response(task.id, outcome, with_results=with_results)
            )
        status = Phase.PROCESSING.value if phase is Phase.DUE else phase.value
        return task.body(status, lambda: ocr_response(task.id, status, "NotReady", None))


def _encode_final(task: Task, outcome: Outcome) -> None:
    # Built here, on the worker (or the injecting) thread, so that no GET on the event loop
    # pays for Base64 and JSON of a large result: every later GET sends these bytes as they are.
    task.body("results", lambda: outcome_response(task.id, outcome))
    task.body("status", lambda: outcome_response(task.id, outcome, with_results=False))


async def _wait(future: Future[Outcome], timeout: float) -> None:
    # asyncio.wait does not cancel on timeout, so the shared work is never cancelled by one GET.
    wrapped = asyncio.wrap_future(future)
    await asyncio.wait([wrapped], timeout=timeout)
    if wrapped.done() and not wrapped.cancelled():
        wrapped.exception()  # mark retrieved: run_job never raises, but stay quiet if it did
