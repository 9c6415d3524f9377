"""The sync and async twins expose the same methods with the same parameters.

What needs no I/O lives once in ``OCRClientBase`` / ``_PollerBase``; the twins differ only by
``async``/``await``, which is all this checks for the public surface.
"""

from __future__ import annotations

import ast
import inspect
from typing import Any

import pytest

from ocr_notebook.client.base import OCRClientBase
from ocr_notebook.client.clients import AsyncOCRClient, OCRClient
from ocr_notebook.client.polling import AsyncPoller, Poller

# Names that differ on purpose: the async context-manager protocol and close.
RENAMED = {"close": "aclose", "__enter__": "__aenter__", "__exit__": "__aexit__"}
KEPT_DUNDERS = {"__init__", *RENAMED, *RENAMED.values()}


def _public(cls: type[Any]) -> dict[str, Any]:
    return {
        name: member
        for name, member in inspect.getmembers(cls)
        if (not name.startswith("_") or name in KEPT_DUNDERS)
        and (inspect.isfunction(member) or isinstance(member, property))
    }


def _parameters(function: Any, *, annotations: bool) -> list[tuple[str, Any, Any, Any]]:
    return [
        (p.name, p.kind, p.default, p.annotation if annotations else None)
        for p in inspect.signature(function).parameters.values()
    ]


@pytest.mark.parametrize(
    ("sync", "async_", "annotations"),
    [(OCRClient, AsyncOCRClient, True), (Poller, AsyncPoller, False)],
    ids=["clients", "pollers"],
)
def test_every_public_method_has_a_twin_with_the_same_parameters(
    sync: type[Any], async_: type[Any], annotations: bool
) -> None:
    sync_members, async_members = _public(sync), _public(async_)
    twins = {RENAMED.get(name, name) for name in sync_members}
    assert twins == set(async_members)
    for name, member in sync_members.items():
        twin = async_members[RENAMED.get(name, name)]
        if isinstance(member, property):
            assert isinstance(twin, property), name
            continue
        # Pollers differ in the types of `fetch` and `sleep` (a coroutine function each).
        assert _parameters(member, annotations=annotations) == _parameters(
            twin, annotations=annotations
        ), name
        assert not inspect.iscoroutinefunction(member), name


def test_the_async_client_awaits_what_the_sync_one_sends() -> None:
    sync_members, async_members = _public(OCRClient), _public(AsyncOCRClient)
    for name in ("get_result", "get_status", "cancel", "wait", "fetch_many", "submit_regions"):
        assert inspect.iscoroutinefunction(async_members[name]), name
        assert not inspect.iscoroutinefunction(sync_members[name]), name
    # The pollers are built, not awaited: `poller()` is a plain method on both.
    assert not inspect.iscoroutinefunction(async_members["poller"])


def test_the_clients_share_one_constructor() -> None:
    constructors: set[Any] = {cls.__init__ for cls in (OCRClient, AsyncOCRClient, OCRClientBase)}
    assert len(constructors) == 1


def test_the_base_does_no_io() -> None:
    source = inspect.getsource(inspect.getmodule(OCRClientBase))  # type: ignore[arg-type]
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
    }
    assert not imported & {"os", "io", "sqlite3", "socket", "threading", "asyncio", "concurrent"}
    assert " open(" not in source and ".send(" not in source
