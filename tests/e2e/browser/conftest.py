"""Fixtures of the browser suite: one JupyterLab server and one Chromium for the whole suite.

Both are package-scoped: they stop when this folder's tests are done, because a live sync
Playwright keeps an event loop running in the main thread, where the rest of the suite's
``asyncio.run`` would then fail.

Chromium is Debian's (``make system-deps`` installs it); Playwright drives it through
``executable_path``: ``playwright install`` is never used. Where Chromium is absent the suite is
skipped with a loud reason, except under CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from ._lab import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, LabServer, NotebookPage, VoilaServer

_MISSING = (
    f"BROWSER TESTS NOT RUN: Chromium is missing at {CHROMIUM}. "
    "Install it with `make system-deps` (apt-get install chromium fonts-dejavu-core), "
    "or point OCR_NOTEBOOK_CHROMIUM at a Chromium executable."
)


@pytest.fixture(scope="package")
def chromium() -> Path:
    """The Chromium executable; skip (or fail under CI) when it is absent."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(_MISSING + " CI must run the browser tests.", pytrace=False)
    pytest.skip(_MISSING)


@pytest.fixture(scope="package")
def lab_server(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A JupyterLab server on 127.0.0.1 with a random port and token, stopped at the end."""
    for stale in SCREENSHOTS.glob("FAILED-*.png"):  # from an earlier run
        stale.unlink()
    server = LabServer.start(tmp_path_factory.mktemp("jupyterlab"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="package")
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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the item, so fixtures can tell that the test failed."""
    report = yield
    setattr(item, f"_report_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def notebook7_server(
    chromium: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LabServer]:
    """A Notebook 7 server (``jupyter notebook``) on 127.0.0.1, stopped at the end."""
    server = LabServer.start(tmp_path_factory.mktemp("notebook7"), app="notebook")
    try:
        yield server
    finally:
        server.stop()


def _opener(
    request: pytest.FixtureRequest, server: LabServer, browser: Browser
) -> Iterator[Callable[[str], NotebookPage]]:
    opened: list[tuple[BrowserContext, NotebookPage]] = []
    sessions: list[str] = []

    def _open(path: str) -> NotebookPage:
        sessions.append(server.new_session(path))
        context = browser.new_context(viewport={"width": 1280, "height": 1400})
        notebook = NotebookPage(context.new_page(), server, path)
        opened.append((context, notebook))
        notebook.open()
        return notebook

    try:
        yield _open
    finally:
        report = getattr(request.node, "_report_call", None)
        for context, notebook in opened:
            if report is not None and report.failed:
                with contextlib.suppress(PlaywrightError):
                    notebook.screenshot(f"FAILED-{request.node.name}")
            context.close()
        for session in sessions:
            server.delete_session(session)


@pytest.fixture
def open_notebook(
    request: pytest.FixtureRequest, lab_server: LabServer, browser: Browser
) -> Iterator[Callable[[str], NotebookPage]]:
    """Open a notebook (path relative to the server root) in a fresh page with its own kernel.

    When the test fails, the page is saved as ``build/screenshots/FAILED-<test>.png``.
    """
    yield from _opener(request, lab_server, browser)


@pytest.fixture
def open_notebook7(
    request: pytest.FixtureRequest, notebook7_server: LabServer, browser: Browser
) -> Iterator[Callable[[str], NotebookPage]]:
    """``open_notebook`` in Notebook 7 (``/notebooks/<path>``)."""
    yield from _opener(request, notebook7_server, browser)


@pytest.fixture
def voila_app(chromium: Path, tmp_path: Path) -> Iterator[Callable[[Path], VoilaServer]]:
    """Serve a notebook as a Voila app (127.0.0.1, no token); stopped after the test."""
    started: list[VoilaServer] = []

    def _start(notebook: Path) -> VoilaServer:
        server = VoilaServer.start(tmp_path, notebook)
        started.append(server)
        return server

    try:
        yield _start
    finally:
        for server in started:
            server.stop()
