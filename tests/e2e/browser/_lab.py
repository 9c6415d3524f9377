"""A private JupyterLab server and a notebook page driven by headless Chromium.

Recipes measured on this machine kind: the server runs with every Jupyter directory in a
temporary folder, the kernel session is created over REST before the page opens (or a
"Select Kernel" dialog blocks the run), and cells run through the Run menu as a user would.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nbformat
from playwright.sync_api import ConsoleMessage, Locator, Page
from playwright.sync_api import Error as PlaywrightError

# Debian's package; another path (e.g. a distribution's chromium-browser) through the variable.
CHROMIUM = Path(os.environ.get("OCR_NOTEBOOK_CHROMIUM", "/usr/bin/chromium"))
# Measured working flags for Debian's Chromium in a container (the notes); `--headless` comes
# from Playwright's `headless=True`.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
SCREENSHOTS = Path(__file__).resolve().parents[3] / "build" / "screenshots"

# User settings written into the temporary Jupyter config dir: no news / update toast over the
# screenshots, and every cell attached to the DOM so locators find off-screen cells.
_USER_SETTINGS: dict[str, dict[str, Any]] = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}
_START_TIMEOUT = 90.0
_NOTEBOOK7_SCHEMA_ERROR = "Cannot read properties of undefined (reading 'schema')"


def code(source: str, *, raises: bool = False) -> nbformat.NotebookNode:
    """A code cell; ``raises=True`` tags it ``raises-exception`` so Run All goes on after it."""
    cell: nbformat.NotebookNode = nbformat.v4.new_code_cell(source)
    if raises:
        cell.metadata["tags"] = ["raises-exception"]
    return cell


def markdown(source: str) -> nbformat.NotebookNode:
    """A markdown cell."""
    cell: nbformat.NotebookNode = nbformat.v4.new_markdown_cell(source)
    return cell


@dataclass
class LabServer:
    """A JupyterLab (or Notebook 7) server on 127.0.0.1 owned by the test session."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path
    _http: httpx.Client = field(repr=False)
    #: ``"jupyterlab"`` or ``"notebook"`` (Notebook 7: the same server, another front end).
    app: str = "jupyterlab"

    @property
    def notebook_url(self) -> str:
        """Where a notebook opens: JupyterLab's single-document mode or Notebook 7's page."""
        return "/notebooks/" if self.app == "notebook" else "/doc/tree/"

    @classmethod
    def start(cls, base: Path, app: str = "jupyterlab") -> LabServer:
        """Start a server whose HOME and Jupyter directories all live under ``base``.

        Args:
            base: A temporary folder for the server's HOME, config, data and runtime.
            app: ``"jupyterlab"``, or ``"notebook"`` for Notebook 7 (``jupyter notebook``).
        """
        env, dirs = _isolated_env(base)
        root = base / "root"
        root.mkdir(exist_ok=True)
        settings = dirs["config"] / "lab" / "user-settings"
        for rel, value in _USER_SETTINGS.items():
            target = settings / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(value), encoding="utf-8")
        token = secrets.token_hex(24)
        log = base / f"{app}.log"
        cmd = [
            sys.executable,
            "-m",
            app,
            "--no-browser",
            "--ip=127.0.0.1",
            "--port=0",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--allow-root",  # CI runs as root; JupyterLab refuses root without it
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
            server = cls(url, token, root, process, log, http, app)
            server._wait_ready()
        except BaseException:
            _stop_process(process)
            raise
        return server

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited early:\n{_tail(self.log)}")
            with contextlib.suppress(httpx.TransportError):
                if self._http.get("/api/status").status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"JupyterLab did not answer /api/status:\n{_tail(self.log)}")

    def write_notebook(self, name: str, cells: list[nbformat.NotebookNode]) -> str:
        """Write a scratch notebook into the server's root; return its path relative to the root.

        Args:
            name: File name, e.g. ``"hostile.ipynb"``.
            cells: Cells made with :func:`code` and :func:`markdown`.
        """
        nb = nbformat.v4.new_notebook(cells=cells)
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        }
        nbformat.write(nb, self.root / name)
        return name

    def copy_notebook(self, source: Path) -> str:
        """Copy a notebook into the server's root; return its path relative to the root."""
        (self.root / source.name).write_bytes(source.read_bytes())
        return source.name

    def new_session(self, path: str) -> str:
        """Replace any session of ``path`` by a fresh one with a python3 kernel; return its id."""
        for session in self._http.get("/api/sessions").json():
            if session.get("path") == path:
                self._http.delete(f"/api/sessions/{session['id']}")
        body = {"path": path, "name": Path(path).name, "type": "notebook"}
        reply = self._http.post("/api/sessions", json={**body, "kernel": {"name": "python3"}})
        reply.raise_for_status()
        return str(reply.json()["id"])

    def connections(self, path: str) -> int:
        """Websocket connections to the kernels of ``path``'s sessions (a page counts one)."""
        sessions = self._http.get("/api/sessions").json()
        return sum(
            int((s.get("kernel") or {}).get("connections", 0))
            for s in sessions
            if s.get("path") == path
        )

    def delete_session(self, session_id: str) -> None:
        """Shut the session's kernel down (best effort: the kernel may be gone already)."""
        with contextlib.suppress(httpx.HTTPError):
            self._http.delete(f"/api/sessions/{session_id}")

    def stop(self) -> None:
        """Ask the server to shut down (it stops its kernels), then make sure its process ends."""
        with contextlib.suppress(httpx.HTTPError):
            self._http.post("/api/shutdown")
        self._http.close()
        _stop_process(self.process)


def _isolated_env(base: Path) -> tuple[dict[str, str], dict[str, Path]]:
    """An environment whose HOME and Jupyter directories live under ``base``.

    Servers' kernels inherit it: no credentials or Jupyter paths of the caller.
    """
    dirs = {name: base / name for name in ("home", "config", "data", "runtime", "ipython")}
    for folder in dirs.values():
        folder.mkdir(parents=True, exist_ok=True)
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
    return env, dirs


@dataclass
class VoilaServer:
    """Voila serving one notebook as an app, on 127.0.0.1 without a token, owned by a test."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def start(cls, base: Path, notebook: Path) -> VoilaServer:
        """Serve ``notebook`` (copied under ``base``) with Voila; return once it listens."""
        env, _dirs = _isolated_env(base)
        root = base / "root"
        root.mkdir(exist_ok=True)
        target = root / notebook.name
        target.write_bytes(notebook.read_bytes())
        port = _free_port()
        log = base / "voila.log"
        cmd = [
            sys.executable,
            "-m",
            "voila",
            str(target),
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
            "--Voila.port_retries=0",
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
        server = cls(f"http://127.0.0.1:{port}", process, log)
        try:
            server._wait_listening(port)
        except BaseException:
            _stop_process(process)
            raise
        return server

    def _wait_listening(self, port: int) -> None:
        # Not an HTTP probe: any page request to a one-notebook Voila starts a kernel.
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Voila exited early:\n{_tail(self.log)}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                return
            time.sleep(0.2)
        raise RuntimeError(f"Voila did not listen on {port}:\n{_tail(self.log)}")

    def stop(self) -> None:
        """Stop Voila (and the kernels it started) by its own PID."""
        _stop_process(self.process)


def _free_port() -> int:
    # Voila has no --port=0; a port the OS just handed out is free in practice.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(runtime: Path, process: subprocess.Popen[bytes], log: Path) -> int:
    # With --port=0 the OS picks the port; the server writes it to jpserver-<pid>.json.
    info = runtime / f"jpserver-{process.pid}.json"
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited early:\n{_tail(log)}")
        with contextlib.suppress(FileNotFoundError, json.JSONDecodeError, KeyError):
            return int(json.loads(info.read_text(encoding="utf-8"))["port"])
        time.sleep(0.2)
    raise RuntimeError(f"JupyterLab wrote no {info.name}:\n{_tail(log)}")


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _accept_dialog(dialog: Locator) -> None:
    with contextlib.suppress(PlaywrightError):  # it may close by itself meanwhile
        dialog.locator(".jp-Dialog-button.jp-mod-accept").first.click(timeout=5_000)


def _tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class NotebookPage:
    """One notebook open in JupyterLab, with what the page logged and requested."""

    page: Page
    server: LabServer
    path: str
    console: list[ConsoleMessage] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def open(self) -> None:
        """Open the notebook; return once the page is connected to its idle kernel."""
        # Playwright wraps handlers by setting an attribute: plain functions, not bound builtins.
        self.page.on("console", lambda message: self.console.append(message))
        self.page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        self.page.on("request", lambda request: self.requests.append(request.url))
        # /doc is JupyterLab's single-document mode: the same notebook panel and menus, without
        # the file browser, so screenshots show the notebook.
        self.page.goto(
            f"{self.server.url}{self.server.notebook_url}{self.path}?token={self.server.token}&reset"
        )
        # Under load JupyterLab sometimes asks "Select Kernel" even though the session exists
        # (the notes saw it on a first page load): accept the preselected Python 3 whenever it
        # shows, and count the page ready only once it is connected to a kernel of this path.
        dialog = self.page.locator(".jp-Dialog", has_text="Select Kernel")
        self.page.add_locator_handler(dialog, _accept_dialog)
        idle = self.page.locator(
            ".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']"
        )
        deadline = time.monotonic() + 90
        while True:
            if dialog.count():
                _accept_dialog(dialog)
            elif idle.count() and self.server.connections(self.path) > 0:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.path}: no kernel connected after 90 s")
            self.page.wait_for_timeout(200)

    def run_all(self) -> None:
        """Run → Run All Cells, as a user does (queues every cell at once)."""
        self.page.locator("li.lm-MenuBar-item", has_text="Run").click()
        self.page.locator("li.lm-Menu-item[data-command='runmenu:run-all']").click()

    def cell(self, index: int) -> Locator:
        """The ``index``-th cell (markdown cells count)."""
        return self.page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").nth(index)

    def output(self, index: int) -> Locator:
        """The output area of the ``index``-th cell."""
        return self.cell(index).locator(".jp-Cell-outputArea")

    def prompts(self) -> list[str]:
        """The input prompts of the code cells, e.g. ``["[1]:", "[*]:", "[ ]:"]``."""
        texts = self.page.locator(
            ".jp-NotebookPanel .jp-CodeCell .jp-InputPrompt"
        ).all_inner_texts()
        return [t.strip() for t in texts]

    def wait_all_executed(self, timeout: float = 120.0) -> list[str]:
        """Wait until every code cell has an execution number; return the prompts."""
        deadline = time.monotonic() + timeout
        while True:
            prompts = self.prompts()
            if prompts and all(p[1:-2].strip().isdigit() for p in prompts):
                return prompts
            if time.monotonic() > deadline:
                raise AssertionError(f"cells not all executed after {timeout:.0f} s: {prompts}")
            self.page.wait_for_timeout(200)

    def poll_text(
        self, locator: Locator, until: Callable[[str], bool], timeout: float = 60.0
    ) -> Iterator[str]:
        """Yield each distinct text ``locator`` shows (polled every 100 ms) until ``until(text)``.

        Raises AssertionError with every text seen when ``timeout`` passes first.
        """
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            text = locator.inner_text() if locator.count() else ""
            if not seen or seen[-1] != text:
                seen.append(text)
                yield text
            if until(text):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f} s; texts seen: {seen!r}")
            self.page.wait_for_timeout(100)

    def screenshot(self, name: str, target: Locator | None = None) -> Path:
        """Save ``build/screenshots/<name>.png`` of ``target`` (the whole page by default)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        if target is None:
            self.page.screenshot(path=path)
        else:
            target.scroll_into_view_if_needed()
            target.screenshot(path=path)
        return path

    def theme_colour(self, variable: str) -> str:
        """The computed colour a JupyterLab theme variable (``--jp-success-color1``) stands for."""
        return str(
            self.page.evaluate(
                """variable => {
                    const probe = document.createElement('div');
                    probe.style.backgroundColor = `var(${variable})`;
                    document.body.appendChild(probe);
                    const colour = getComputedStyle(probe).backgroundColor;
                    probe.remove();
                    return colour;
                }""",
                variable,
            )
        )

    def errors(self) -> list[str]:
        """Console errors and uncaught page exceptions seen so far.

        Notebook 7.6 itself throws one ``TypeError`` on every page load (its shortcuts
        plugin reads the ``schema`` of a plugin the settings registry does not hold; seen
        with a notebook of one ``print`` cell, no widget): that one is left out there.
        """
        errors = [m.text for m in self.console if m.type == "error"] + self.page_errors
        if self.server.app == "notebook":
            errors = [e for e in errors if e != _NOTEBOOK7_SCHEMA_ERROR]
        return errors
