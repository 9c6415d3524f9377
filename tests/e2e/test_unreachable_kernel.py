"""Issue 12 in a real kernel (nbclient): what ``%ocr_fetch`` says when the service is not reached.

The scenarios of ``tests/support/unreachable.py`` (a dead port, a host name that never
resolves, 503 to every GET, Pending forever; without and with ``--timeout``), each a cell of
one notebook executed by nbclient, with the emulators running inside the kernel. The badge is
the live widget there; its saved ``text/plain`` (refreshed when the fetch ends) and its saved
pill give the final label, seconds and attempts; the cell's ``UsageError`` line is the one
``%ocr_fetch`` printed.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from tests.support.faults import dead_port_url
from tests.support.unreachable import (
    CONFIG,
    DNS_FAILURE_URL,
    SCENARIOS,
    TIMEOUT_MODES,
    check_outcome,
    fetch_line,
)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(autouse=True)
def _jupyter_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel gets its own runtime and IPython folders and result store; no credentials."""
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("OCR_NOTEBOOK_STORE_PATH", str(tmp_path / "results.sqlite3"))
    for name in ("ASPOSE_OCR_CLIENT_ID", "ASPOSE_OCR_CLIENT_SECRET", "ASPOSE_OCR_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


SETUP = """\
import json, os
from ocr_notebook.emulator import Emulator

emu = Emulator(port=0).start()
faulty = Emulator(
    port=0, client_id=emu.client_id, client_secret=emu.client_secret, faults="get:503=0"
).start()
os.environ["ASPOSE_OCR_CLIENT_ID"] = emu.client_id
os.environ["ASPOSE_OCR_CLIENT_SECRET"] = emu.client_secret
%load_ext ocr_notebook
"""


def _outputs_text(outputs: list[dict[str, Any]], kind: str) -> list[str]:
    return [o["text"] for o in outputs if o.get("output_type") == "stream" and o["name"] == kind]


def test_the_saved_badge_and_line_say_what_happened(tmp_path: Path) -> None:
    dead = dead_port_url()
    setup = SETUP + "".join(f"%config OCRMagics.{k} = {v!r}\n" for k, v in CONFIG.items())
    cells = [nbformat.v4.new_code_cell(setup)]
    cases: list[tuple[Any, bool, str, str]] = []  # scenario, with_timeout, task id, url expr
    for scenario in SCENARIOS:
        for with_timeout in TIMEOUT_MODES:
            task_id = str(uuid.uuid4())
            source = ""
            if scenario.name == "dead-port":
                url = repr(dead)
            elif scenario.name == "dns":
                url = repr(DNS_FAILURE_URL)
            else:
                url = "faulty.base_url" if scenario.name == "http-503" else "emu.base_url"
                server = url.split(".")[0]
                source += f"{server}.inject_task(status='Pending', task_id={task_id!r})\n"
            source += (
                f"%config OCRMagics.base_url = {url}\n"
                f"%config OCRMagics.timeout = {scenario.configured_timeout!r}\n"
                f"{fetch_line(task_id, with_timeout)}\n"
            )
            cells.append(nbformat.v4.new_code_cell(source))
            cases.append((scenario, with_timeout, task_id, url))
    cells.append(
        nbformat.v4.new_code_cell(
            "print(json.dumps([emu.base_url, faulty.base_url]))\nemu.stop()\nfaulty.stop()"
        )
    )
    nb = nbformat.v4.new_notebook(cells=cells)
    NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()

    emu_url, faulty_url = json.loads(_outputs_text(nb.cells[-1].outputs, "stdout")[0])
    urls = {"emu.base_url": emu_url, "faulty.base_url": faulty_url}
    pills = []
    for cell, (scenario, with_timeout, task_id, url) in zip(nb.cells[1:-1], cases, strict=True):
        (view,) = [o for o in cell.outputs if WIDGET_VIEW in o.get("data", {})]
        badge_text = view["data"]["text/plain"]
        errors = _outputs_text(cell.outputs, "stderr")
        assert len(errors) == 1 and errors[0].startswith("UsageError: "), cell.outputs
        assert not [o for o in cell.outputs if o.get("output_type") == "error"]
        line = errors[0].removeprefix("UsageError: ").rstrip("\n")
        base_url = urls.get(url, url.strip("'"))
        check_outcome(scenario, with_timeout, task_id, base_url, badge_text, line)
        pills.append(badge_text.split(" · ")[0])
    # The widgets' saved state agrees: six Unreachable pills and two Timeout ones.
    states = nb.metadata["widgets"][WIDGET_STATE]["state"].values()
    saved = [
        str(m["state"]["value"]).split('class="p k-')[1].split(">")[1].split("<")[0]
        for m in states
        if m["model_name"] == "HTMLModel" and "ocrnb-b" in str(m["state"].get("value"))
    ]
    assert sorted(saved) == sorted(pills) == ["Timeout"] * 2 + ["Unreachable"] * 6
    colours = [
        m["state"].get("bar_color")
        for m in states
        if m["model_name"] == "ProgressStyleModel" and m["state"].get("bar_color")
    ]
    assert colours == ["#6a1b9a"] * 6  # the Unreachable bars' own colour
