"""Fixtures of the browser suite: one JupyterLab server and one Chromium for the whole session.

Chromium is Debian's (``make system-deps`` installs it); Playwright drives it through
``executable_path``: ``playwright install`` is never used. Where Chromium is absent the suite is
skipped with a loud reason, except under CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from ._lab import CHROMIUM, CHROMIUM_ARGS, LabServer, NotebookPage

_MISSING = (
    f"BROWSER TESTS NOT RUN: Chromium is missing at {CHROMIUM}. "
    "Install it with `make system-deps` (apt-get install chromium fonts-dejavu-core)."
)


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The Chromium executable; skip (or fail under CI) when it is absent."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(_MISSING + " CI must run the browser tests.", pytrace=False)
    pytest.skip(_MISSING)


@pytest.fixture(scope="session")
def lab_server(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A JupyterLab server on 127.0.0.1 with a random port and token, stopped at the end."""
    server = LabServer.start(tmp_path_factory.mktemp("jupyterlab"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[Browser]:
    """Headless Debian Chromium driven by Playwright."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def open_notebook(
    lab_server: LabServer, browser: Browser
) -> Iterator[Callable[[str], NotebookPage]]:
    """Open a notebook (path relative to the server root) in a fresh page with its own kernel."""
    contexts = []
    sessions: list[str] = []

    def _open(path: str) -> NotebookPage:
        sessions.append(lab_server.new_session(path))
        context = browser.new_context(viewport={"width": 1280, "height": 1400})
        contexts.append(context)
        notebook = NotebookPage(context.new_page(), lab_server, path)
        notebook.open()
        return notebook

    try:
        yield _open
    finally:
        for context in contexts:
            context.close()
        for session in sessions:
            lab_server.delete_session(session)
