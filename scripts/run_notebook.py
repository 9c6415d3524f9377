"""Execute a notebook headlessly in a real kernel, save it and an HTML export, print its texts.

``make demo`` runs it on ``notebooks/quickstart.ipynb``::

    python scripts/run_notebook.py notebooks/quickstart.ipynb --out build

writes ``build/quickstart.ipynb`` (outputs and widget state included) and
``build/quickstart.html``, then prints the recognized texts: the value of every code cell
tagged ``recognized-texts`` (a list of strings), one text per line.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Sequence
from pathlib import Path

TEXTS_TAG = "recognized-texts"


def _texts(nb: object) -> list[str]:
    texts: list[str] = []
    for cell in getattr(nb, "cells", []):
        if TEXTS_TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            plain = output.get("data", {}).get("text/plain")
            if plain is None:
                continue
            value = ast.literal_eval(plain)  # the repr of a list of str, nothing else
            if isinstance(value, list):
                texts.extend(str(v) for v in value)
    return texts


def main(argv: Sequence[str] | None = None) -> int:
    """Run the notebook; return 0, or 1 when a cell failed or no text was recognized."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path, help="the .ipynb to execute")
    parser.add_argument("--out", type=Path, default=Path("build"), help="output folder")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per cell")
    args = parser.parse_args(argv)

    import nbformat
    import zmq
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    nb = nbformat.read(args.notebook, as_version=4)
    encryption = "auto" if zmq.has("curve") else "disabled"  # "auto" refuses a pyzmq without it
    print(f"Executing {args.notebook} in a fresh kernel (nbclient)…", flush=True)
    client = NotebookClient(
        nb,
        timeout=args.timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(args.notebook.resolve().parent)}},
        # CurveZMQ keys for the kernel's sockets where both sides can (ipykernel's spec says
        # so): the local TCP traffic is encrypted, and the kernel does not warn about it.
        config=Config({"KernelManager": {"transport_encryption": encryption}}),
    )
    failed: CellExecutionError | None = None
    try:
        client.execute()
    except CellExecutionError as exc:  # save what ran, then report
        failed = exc
    args.out.mkdir(parents=True, exist_ok=True)
    executed = args.out / args.notebook.name
    nbformat.write(nb, executed)
    body, _resources = HTMLExporter().from_notebook_node(nb)
    exported = executed.with_suffix(".html")
    exported.write_text(body, encoding="utf-8")
    print(f"Wrote {executed} and {exported}")
    if failed is not None:
        print(f"A cell failed:\n{failed}", file=sys.stderr)
        return 1
    texts = _texts(nb)
    if not texts:
        print(f"No cell tagged {TEXTS_TAG!r} gave texts.", file=sys.stderr)
        return 1
    print("Recognized texts:")
    for text in texts:
        print(f"  {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
