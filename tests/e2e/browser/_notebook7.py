"""A private Jupyter Notebook 7 server and a notebook page in it, beside ``_lab.py``'s JupyterLab.

Notebook 7 is built from JupyterLab's components: the same REST API, the same notebook panel
(``.jp-NotebookPanel``, ``.jp-Cell``, output areas), the same Lumino menus and command ids
(Run → Run All Cells is ``runmenu:run-all``) and the same user-settings folder; it differs in
its URLs (``/notebooks/<path>`` for a notebook, ``/tree`` for files) and in having a page
per document. So :class:`Notebook7Server` starts ``jupyter notebook`` the way
:class:`~._lab.LabServer` starts JupyterLab (every Jupyter directory in a temporary folder,
127.0.0.1, a random port and token) and keeps its REST helpers, and :class:`Notebook7Page`
only changes how a notebook is opened.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext
from playwright.sync_api import Error as PlaywrightError

from ._lab import (
    _USER_SETTINGS,
    LabServer,
    NotebookPage,
    _accept_dialog,
    _stop_process,
    _wait_for_port,
)

_NOTEBOOK7_OWN_ERROR = "Cannot read properties of undefined (reading 'schema')"

__all__ = ["Notebook7Page", "Notebook7Server", "notebook7_server", "open_notebook7"]


class Notebook7Server(LabServer):
    """A Jupyter Notebook 7 server on 127.0.0.1 owned by the test session."""

    @classmethod
    def start(cls, base: Path, app: str = "notebook") -> Notebook7Server:
        """Start a server whose HOME and Jupyter directories all live under ``base``.

        ``app`` is always Notebook 7 here; the parameter keeps ``LabServer.start``'s shape.
        """
        dirs = {name: base / name for name in ("home", "config", "data", "runtime", "ipython")}
        for folder in dirs.values():
            folder.mkdir(parents=True, exist_ok=True)
        root = base / "root"
        root.mkdir(exist_ok=True)
        # Notebook 7 reads JupyterLab's user settings from the same folder.
        settings = dirs["config"] / "lab" / "user-settings"
        for rel, value in _USER_SETTINGS.items():
            target = settings / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(value), encoding="utf-8")
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("JUPYTER", "ASPOSE_OCR_", "IPYTHON", "JPY_"))
        }
        env.update(
            HOME=str(dirs["home"]),
            JUPYTER_CONFIG_DIR=str(dirs["config"]),
            JUPYTER_DATA_DIR=str(dirs["data"]),
            JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
            IPYTHONDIR=str(dirs["ipython"]),
            PYTHONUNBUFFERED="1",
        )
        token = secrets.token_hex(24)
        log = base / "notebook7.log"
        cmd = [
            sys.executable,
            "-m",
            "notebook",
            "--no-browser",
            "--ip=127.0.0.1",
            "--port=0",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--allow-root",  # CI runs as root; Jupyter refuses root without it
        ]
        with log.open("wb") as sink:
            process = subprocess.Popen(
                cmd,
                env=env,
                cwd=root,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            port = _wait_for_port(dirs["runtime"], process, log)
            url = f"http://127.0.0.1:{port}"
            http = httpx.Client(
                base_url=url, headers={"Authorization": f"token {token}"}, timeout=30.0
            )
            server = cls(url, token, root, process, log, http)
            server._wait_ready()
        except BaseException:
            _stop_process(process)
            raise
        return server


class Notebook7Page(NotebookPage):
    """One notebook open in Notebook 7 (its own page, ``/notebooks/<path>``)."""

    def open(self) -> None:
        """Open the notebook; return once the page is connected to its idle kernel."""
        self.page.on("console", lambda message: self.console.append(message))
        self.page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.goto(f"{self.server.url}/notebooks/{self.path}?token={self.server.token}")
        dialog = self.page.locator(".jp-Dialog", has_text="Select Kernel")
        self.page.add_locator_handler(dialog, _accept_dialog)
        # Notebook 7 puts the indicator in the page's toolbar, outside .jp-NotebookPanel.
        idle = self.page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
        deadline = time.monotonic() + 90
        while True:
            if dialog.count():
                _accept_dialog(dialog)
            elif idle.count() and self.server.connections(self.path) > 0:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.path}: no kernel connected after 90 s")
            self.page.wait_for_timeout(200)

    def errors(self) -> list[str]:
        """Console errors and uncaught page exceptions, less Notebook 7's own known one.

        Notebook 7.6 throws "Cannot read properties of undefined (reading 'schema')" on every
        page load, from its keyboard-shortcuts settings handler (``pluginChanged`` reading the
        schema of a plugin it does not have): seen with an empty notebook, no extension loaded
        and no user settings, so it says nothing about this package.
        """
        return [e for e in super().errors() if e != _NOTEBOOK7_OWN_ERROR]


# Fixtures (conftest.py imports them, so this module stays the one place Notebook 7 lives).


@pytest.fixture(scope="package")
def notebook7_server(
    chromium: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Notebook7Server]:
    """A Notebook 7 server on 127.0.0.1 with a random port and token, stopped at the end."""
    server = Notebook7Server.start(tmp_path_factory.mktemp("notebook7"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def open_notebook7(
    request: pytest.FixtureRequest, notebook7_server: Notebook7Server, browser: Browser
) -> Iterator[Callable[[str], Notebook7Page]]:
    """Open a notebook in Notebook 7 in a fresh page with its own kernel (as ``open_notebook``).

    When the test fails, the page is saved as ``build/screenshots/FAILED-<test>.png``.
    """
    opened: list[tuple[BrowserContext, Notebook7Page]] = []
    sessions: list[str] = []

    def _open(path: str) -> Notebook7Page:
        sessions.append(notebook7_server.new_session(path))
        context = browser.new_context(viewport={"width": 1280, "height": 1400})
        notebook = Notebook7Page(context.new_page(), notebook7_server, path)
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
            notebook7_server.delete_session(session)
