"""A template batch in a real kernel (nbclient): the compact widget badge, the wide table.

The batch blocks the cell while worker threads submit and poll; the kernel's event loop
is never patched, so the next cell (a top-level ``await``) runs normally.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from ocr_notebook.emulator.samples.invoices import invoice_texts

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

pytestmark = pytest.mark.timeout(240)

CELLS = [
    """\
from pathlib import Path
from ocr_notebook import OCRClient, RegionTemplate
from ocr_notebook.emulator import Emulator
from ocr_notebook.emulator.samples.invoices import INVOICE_FIELDS, INVOICE_SIZE, invoice_png

emu = Emulator(port=0, latency=0.5).start()
folder = Path("scans")
folder.mkdir()
for n in (11, 22, 33):
    (folder / f"invoice-{n}.png").write_bytes(invoice_png(n, scale=1.0 if n % 2 else 1.5))
(folder / "broken.png").write_bytes(b"not a picture")
template = RegionTemplate.from_boxes(
    [box for _, box in INVOICE_FIELDS], INVOICE_SIZE, names=[n for n, _ in INVOICE_FIELDS]
)""",
    """\
with OCRClient(emu.base_url, client_id=emu.client_id, client_secret=emu.client_secret) as c:
    results = template.recognize(folder, client=c)
results""",
    "results.to_dataframe(wide=True).to_dict(orient='list')",
    "import asyncio\nawait asyncio.sleep(0)\nemu.stop()\n'done'",
]


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
        mp.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
        mp.setenv("OCR_NOTEBOOK_STORE_PATH", str(tmp_path / "results.sqlite3"))
        yield tmp_path


def test_template_batch_in_a_kernel(workdir: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
    ).execute()
    errors = [o for c in nb.cells for o in c.outputs if o.get("output_type") == "error"]
    assert not errors, errors
    batch: list[dict[str, Any]] = nb.cells[1].outputs
    # One compact badge (a widget), whose saved state ended with every row settled.
    assert sum(WIDGET_VIEW in o.get("data", {}) for o in batch) == 1
    states = nb.metadata["widgets"][WIDGET_STATE]["state"].values()
    (badge_html,) = [
        str(m["state"]["value"])
        for m in states
        if m["model_name"] == "HTMLModel" and "ocrnb-b" in str(m["state"].get("value"))
    ]
    assert "4 of 4 done" in badge_html and "3 Completed" in badge_html
    assert "broken.png" in badge_html  # the failed row is listed first
    table = nb.cells[2].outputs[0]["data"]["text/plain"]
    for n in (11, 22, 33):
        for text in invoice_texts(n).values():
            assert text in table
    assert "not an image" in table
    assert nb.cells[3].outputs[0]["data"]["text/plain"] == "'done'"
