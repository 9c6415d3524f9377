"""Every notebook executed in a real kernel, as CI and users run them.

* nbclient (what ``jupyter execute`` and ``make demo`` do): cells one at a time, outputs and
  widget state saved; we assert on the saved widget views, the final badge states, and the
  ``text/html`` holding the sample image's recognized texts.
* "Run All" as JupyterLab does it: every cell's ``execute_request`` sent at once before any
  reply is read (nbclient never shows what breaks there; see the runtime notes); every
  cell must get an ``ok`` reply.
"""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from ocr_notebook.emulator.samples import SAMPLE_REGIONS
from tests.support.credentials import TEST_CLIENT_ID, TEST_CLIENT_SECRET

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SAMPLE_TEXTS = [text for _box, text in SAMPLE_REGIONS]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module", autouse=True)
def _jupyter_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Kernels get their own runtime and IPython folders (no user profile, no clutter)."""
    base = tmp_path_factory.mktemp("jupyter")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_RUNTIME_DIR", str(base / "runtime"))
        mp.setenv("IPYTHONDIR", str(base / "ipython"))
        mp.setenv("OCR_NOTEBOOK_STORE_PATH", str(base / "results.sqlite3"))
        for name in ("ASPOSE_OCR_CLIENT_ID", "ASPOSE_OCR_CLIENT_SECRET", "ASPOSE_OCR_BASE_URL"):
            mp.delenv(name, raising=False)
        yield


def _execute(name: str) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    executed: nbformat.NotebookNode = nb
    return executed


def _outputs(nb: nbformat.NotebookNode, cell_start: str) -> list[dict[str, Any]]:
    """The outputs of the code cell whose source starts with ``cell_start``."""
    (cell,) = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(cell_start)]
    outputs: list[dict[str, Any]] = cell.outputs
    return outputs


def _html(outputs: list[dict[str, Any]]) -> str:
    return "".join(o.get("data", {}).get("text/html", "") for o in outputs)


def _widget_states(nb: nbformat.NotebookNode) -> dict[str, dict[str, Any]]:
    states: dict[str, dict[str, Any]] = nb.metadata["widgets"][WIDGET_STATE]["state"]
    return states


def _badge_pills(nb: nbformat.NotebookNode) -> list[str]:
    """The status pill of every saved badge (its HTML widget's final value)."""
    pills = []
    for model in _widget_states(nb).values():
        value = model["state"].get("value")
        if model["model_name"] == "HTMLModel" and "ocrnb-b" in str(value):
            pills.append(str(value).split('class="p k-')[1].split(">")[1].split("<")[0])
    return pills


def test_notebooks_are_committed_without_outputs() -> None:
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [], f"{path.name} has saved outputs"
                assert cell.execution_count is None, f"{path.name} has execution counts"
        assert "widgets" not in nb.metadata, f"{path.name} has saved widget state"


def test_quickstart(emulator: Any) -> None:
    nb = _execute("quickstart.ipynb")
    fetch = _outputs(nb, "%ocr_fetch $task_id -o result")
    # The live badge: a widget view, whose text/plain was refreshed to the final status.
    (badge,) = [o for o in fetch if WIDGET_VIEW in o.get("data", {})]
    assert badge["data"]["text/plain"].startswith("Completed · task ")
    # The result: rich HTML with every region's text, the numbered overlay image.
    html = _html(fetch)
    for text in SAMPLE_TEXTS:
        assert escape(text) in html
    assert '<figure class="ov"' in html and '<img src="data:image/png;base64,' in html
    texts = _outputs(nb, "result.texts")[0]["data"]["text/plain"]
    assert all(text in texts for text in SAMPLE_TEXTS)
    frame = _html(_outputs(nb, "df = result.to_dataframe()"))
    assert "<table" in frame and "Invoice 2024-0042: total $1,234.56" in frame
    # --background: `await handle` gave the text and made the saved badge current.
    assert SAMPLE_TEXTS[0] in _outputs(nb, "await handle")[0]["data"]["text/plain"]
    pills = _badge_pills(nb)
    assert len(pills) == 3 and set(pills) == {"Completed"}
    both = _outputs(nb, "with OCRClient(emu.base_url) as client:\n    more")
    assert any(WIDGET_VIEW in o.get("data", {}) for o in both)  # one compact badge
    assert SAMPLE_TEXTS[2] in both[-1]["data"]["text/plain"]
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))


def test_explore_notebook() -> None:
    nb = _execute("explore.ipynb")
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
    exact = _html(_outputs(nb, 'batch.search("invoice")'))
    fuzzy = _html(_outputs(nb, 'batch.search("invoice", fuzzy=80)'))
    assert exact.count("<mark") >= 1 and fuzzy.count("<mark") >= exact.count("<mark")
    assert ">Invoice</mark> 2024-0042: total $1,234.56" in exact
    diff = _html(_outputs(nb, "good, poor = batch"))
    assert "CER " in diff and ("<del" in diff or "<ins" in diff)  # the poor scan has errors
    per_task = _outputs(nb, "comparison = batch.compare(")[0]["data"]["text/plain"]
    assert "CER 0.0%, WER 0.0%" in per_task  # the good scan is read exactly
    corrected = _html(_outputs(nb, "from ocr_notebook import save_corrections"))
    assert "<table" in corrected and "True" in corrected
    again = _outputs(nb, "again = %ocr_fetch $poor_id")
    assert "1 region corrected; --original shows the service's text." in again[0]["text"]
    assert again[-1]["data"]["text/plain"] == "True"
    original = _outputs(nb, "original = %ocr_fetch $poor_id --original")
    assert "showing the service's text" in original[0]["text"]
    assert original[-1]["data"]["text/plain"] == "True"
    exported = _html(_outputs(nb, "import tempfile"))
    assert exported.count("<tr>") == 8  # 8 regions read back from Parquet
    table = _outputs(nb, "from IPython.display import Markdown")[0]["data"]["text/markdown"]
    assert table.startswith("| order | text | corrected |")
    assert table.count("| yes |") == 1  # the corrected region


def test_widget_notebook() -> None:
    nb = _execute("widget.ipynb")
    (view,) = [o for o in _outputs(nb, "client = AsyncOCRClient(") if WIDGET_VIEW in o["data"]]
    assert view["data"]["text/plain"].startswith("OCRFetchWidget(")
    states = _widget_states(nb)
    # The widget's output area holds the rendered result with every text.
    rendered = "".join(
        json.dumps(model["state"].get("outputs", []))
        for model in states.values()
        if model["model_name"] == "OutputModel"
    )
    for text in SAMPLE_TEXTS:
        assert json.dumps(text)[1:-1] in rendered
    printed = _outputs(nb, "result = await w.wait()")
    assert printed[0]["text"] == "Completed True\n"
    cancelled = _outputs(nb, "import asyncio")[-1]["data"]["text/plain"]
    assert cancelled.startswith("('Cancelled',")
    assert sorted(_badge_pills(nb)) == ["Cancelled", "Completed"]


def test_workbench_notebook() -> None:
    from ocr_notebook.emulator.samples.invoices import invoice_texts

    nb = _execute("workbench.ipynb")
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
    (view,) = [o for o in _outputs(nb, "from ocr_notebook import OCRWorkbench") if "data" in o]
    assert view["data"]["text/plain"].startswith("OCRWorkbench(")
    # The saved canvas shows each recognized text by its named rectangle.
    (canvas,) = [m["state"] for m in _widget_states(nb).values() if "image_size" in m["state"]]
    expected = invoice_texts(1)
    assert [r["name"] for r in canvas["regions"]] == list(expected)
    assert canvas["texts"] == list(expected.values())
    assert _badge_pills(nb) == ["Completed", "Completed"]  # the workbench's, the batch's
    # The template's batch: one row per scan, one column per region name.
    table = _outputs(nb, "scans = ")[-1]["data"]["text/plain"]
    for number in range(2, 8):
        for text in invoice_texts(number).values():
            assert text in table


def test_real_service_notebook_without_credentials_is_a_clean_no_op() -> None:
    nb = _execute("real-service.ipynb")
    first = _outputs(nb, "import os")[0]["text"]
    assert first.startswith("No credentials: set ASPOSE_OCR_CLIENT_ID and ASPOSE_OCR_CLIENT_SECRET")
    skipped = [o["text"] for c in nb.cells for o in c.get("outputs", []) if "text" in o]
    assert sum("Skipped: no credentials." in t for t in skipped) == 3


def test_real_service_notebook_with_credentials(
    emulator: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The same code against a service given by the environment (the emulator, offline)."""
    monkeypatch.setenv("ASPOSE_OCR_BASE_URL", emulator.base_url)
    monkeypatch.setenv("ASPOSE_OCR_CLIENT_ID", TEST_CLIENT_ID)
    monkeypatch.setenv("ASPOSE_OCR_CLIENT_SECRET", TEST_CLIENT_SECRET)
    nb = _execute("real-service.ipynb")
    assert _outputs(nb, "import os")[0]["text"] == f"Credentials found: using {emulator.base_url}\n"
    html = _html(_outputs(nb, "result = None"))
    assert all(text.split(":")[0] in html for text in SAMPLE_TEXTS)
    assert WIDGET_VIEW in json.dumps(_outputs(nb, "result = None"))
    saved = tmp_path / "executed.ipynb"
    nbformat.write(nb, saved)
    assert TEST_CLIENT_SECRET not in saved.read_text("utf-8")  # never saved into the notebook


@pytest.fixture(scope="module")
def kernel() -> Iterator[tuple[Any, Any]]:
    """One real kernel shared by the tests below (kernels are slow to start)."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", cwd=str(NOTEBOOKS))
    try:
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _iopub_of(kc: Any, msg_id: str) -> list[dict[str, Any]]:
    """The iopub messages of one request still queued (read until the queue is quiet)."""
    messages: list[dict[str, Any]] = []
    while True:
        try:
            msg = kc.get_iopub_msg(timeout=0.5)
        except queue.Empty:
            return messages
        if msg["parent_header"].get("msg_id") == msg_id:
            messages.append(msg)


def test_quickstart_run_all_gets_a_reply_for_every_cell(kernel: tuple[Any, Any]) -> None:
    """JupyterLab's Run All: every execute_request queued at once, then the replies read."""
    _km, kc = kernel
    nb = nbformat.read(NOTEBOOKS / "quickstart.ipynb", as_version=4)
    sources = [c.source for c in nb.cells if c.cell_type == "code"]
    msg_ids = [kc.execute(source) for source in sources]  # all before reading any reply
    replies: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + 120
    while len(replies) < len(msg_ids) and time.monotonic() < deadline:
        try:
            reply = kc.get_shell_msg(timeout=1)
        except queue.Empty:
            continue
        parent = reply["parent_header"].get("msg_id")
        if parent in msg_ids:  # not a late kernel_info reply from the start-up
            replies[parent] = reply["content"]
    missing = [sources[i] for i, m in enumerate(msg_ids) if m not in replies]
    assert not missing, f"cells dropped without a reply: {missing}"
    failed = {
        sources[i]: replies[m].get("evalue")
        for i, m in enumerate(msg_ids)
        if replies[m]["status"] != "ok"
    }
    assert not failed, failed
    # The fetch cell's output arrived on iopub with its widget view and texts.
    fetch_id = msg_ids[sources.index("%ocr_fetch $task_id -o result")]
    seen = json.dumps([m["content"] for m in _iopub_of(kc, fetch_id)])
    assert WIDGET_VIEW in seen and json.dumps(SAMPLE_TEXTS[2])[1:-1] in seen


def test_workbench_run_all_gets_a_reply_for_every_cell() -> None:
    """Run All on the workbench notebook (background Detect/Recognize, top-level awaits)."""
    from jupyter_client.manager import start_new_kernel

    nb = nbformat.read(NOTEBOOKS / "workbench.ipynb", as_version=4)
    sources = [c.source for c in nb.cells if c.cell_type == "code"]
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(NOTEBOOKS))
    try:
        msg_ids = [kc.execute(source) for source in sources]  # all before reading any reply
        replies: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + 120
        while len(replies) < len(msg_ids) and time.monotonic() < deadline:
            try:
                reply = kc.get_shell_msg(timeout=1)
            except queue.Empty:
                continue
            parent = reply["parent_header"].get("msg_id")
            if parent in msg_ids:
                replies[parent] = reply["content"]
        recognized = msg_ids[next(i for i, s in enumerate(sources) if "wb.recognize()" in s)]
        seen = json.dumps([m["content"] for m in _iopub_of(kc, recognized)])
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    missing = [sources[i] for i, m in enumerate(msg_ids) if m not in replies]
    assert not missing, f"cells dropped without a reply: {missing}"
    failed = {
        sources[i]: replies[m].get("evalue")
        for i, m in enumerate(msg_ids)
        if replies[m]["status"] != "ok"
    }
    assert not failed, failed
    assert "Invoice INV-00001" in seen


def test_interrupting_the_kernel_cancels_a_fetch_in_one_line(kernel: tuple[Any, Any]) -> None:
    """The kernel's stop button (SIGINT) during a blocking fetch of a task that never ends."""
    km, kc = kernel
    setup = (
        "import os\n"
        "from ocr_notebook.emulator import Emulator\n"
        "stuck_emu = Emulator(port=0).start()\n"
        "os.environ['ASPOSE_OCR_CLIENT_ID'] = stuck_emu.client_id\n"
        "os.environ['ASPOSE_OCR_CLIENT_SECRET'] = stuck_emu.client_secret\n"
        "%load_ext ocr_notebook\n"
        "%config OCRMagics.base_url = stuck_emu.base_url\n"
        "stuck = stuck_emu.inject_task(status='Pending')\n"
    )
    assert kc.execute_interactive(setup, timeout=60)["content"]["status"] == "ok"
    msg_id = kc.execute("%ocr_fetch $stuck")
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # interrupt once the badge shows the task polling
        try:
            msg = kc.get_iopub_msg(timeout=0.5)
        except queue.Empty:
            continue
        if msg["parent_header"].get("msg_id") == msg_id:
            seen.append(msg)
            if msg["msg_type"] == "comm_msg" and "Pending" in json.dumps(msg["content"]):
                km.interrupt_kernel()
                break
    reply = kc.get_shell_msg(timeout=30)["content"]
    seen += _iopub_of(kc, msg_id)
    assert (reply["status"], reply["ename"], reply["traceback"]) == ("error", "UsageError", [])
    assert reply["evalue"].startswith("Fetch interrupted; the task goes on on the service")
    streams = [m["content"]["text"] for m in seen if m["msg_type"] == "stream"]
    assert streams == [f"UsageError: {reply['evalue']}\n"]  # one line, no traceback wall
    assert not [m for m in seen if m["msg_type"] == "error"]
    cancelled = [m for m in seen if "Cancelled" in json.dumps(m["content"])]
    assert {m["msg_type"] for m in cancelled} >= {"comm_msg", "update_display_data"}
    kc.execute_interactive("stuck_emu.stop()", timeout=30)
