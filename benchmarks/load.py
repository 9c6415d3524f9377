"""Figure 4, load: ``%load_ext ocr_notebook`` in a fresh kernel, over the imports it needs.

Each measurement starts a fresh IPython kernel (ipykernel, as Jupyter does) and runs one
cell that times ``import IPython, ipywidgets, httpx`` (the baseline: what any notebook
using widgets and an HTTP client pays) and then ``%load_ext ocr_notebook`` alone. Wall
and CPU time are both reported; the target is judged on CPU time, which for this
CPU-bound step (modules already in the page cache) is the wall time on an idle machine:
on a machine shared with other work the wall time also counts waiting for a core.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

from .emulator_process import ROOT
from .table import Row, fmt_spread, spread

__all__ = ["run_load"]

FIGURE = "4. Load"

_CELL = r"""
import json as _json, sys as _sys, time as _time
_t0, _c0 = _time.perf_counter(), _time.process_time()
import IPython, ipywidgets, httpx
_t1, _c1 = _time.perf_counter(), _time.process_time()
_before = set(_sys.modules)
get_ipython().run_line_magic("load_ext", "ocr_notebook")
_t2, _c2 = _time.perf_counter(), _time.process_time()
assert "ocr_fetch" in get_ipython().magics_manager.magics["line"], "not loaded"
_new = sorted({m.split(".")[0] for m in set(_sys.modules) - _before} - {"ocr_notebook"})
print("BENCH " + _json.dumps({"base": _t1 - _t0, "base_cpu": _c1 - _c0,
    "load": _t2 - _t1, "load_cpu": _c2 - _c1, "new": _new}))
"""


def _probe(env: dict[str, str]) -> dict[str, Any]:
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", env=env, cwd=str(ROOT))
    lines: list[str] = []

    def hook(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "stream":
            lines.extend(msg["content"]["text"].splitlines())
        elif msg["msg_type"] == "error":
            lines.append("ERROR " + msg["content"]["ename"] + ": " + msg["content"]["evalue"])

    try:
        kc.execute_interactive(_CELL, output_hook=hook, timeout=120)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    for line in lines:
        if line.startswith("BENCH "):
            reply: dict[str, Any] = json.loads(line[6:])
            return reply
    raise RuntimeError("the kernel did not report: " + " / ".join(lines)[-500:])


def _samples(repeats: int, *, bytecode: bool) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bench-ipython-") as home:
        # A private IPython profile and runtime dir: no user startup files, no clutter.
        env = dict(
            os.environ,
            IPYTHONDIR=os.path.join(home, "ipython"),
            JUPYTER_RUNTIME_DIR=os.path.join(home, "runtime"),
        )
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        if bytecode:
            # As after `pip install` (or any first import): compiled modules are cached.
            # The cache lives in our temporary folder, never in the source tree.
            env["PYTHONPYCACHEPREFIX"] = os.path.join(home, "pycache")
        else:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        _probe(env)  # fills the OS file cache and, with ``bytecode``, the .pyc cache
        return [_probe(env) for _ in range(repeats)]


def run_load(repeats: int) -> list[Row]:
    """Median over ``repeats`` fresh kernels of the time ``%load_ext`` adds.

    Judged with a bytecode cache, as every installed package has one. Containers often set
    ``PYTHONDONTWRITEBYTECODE=1``, which makes an editable install recompile every module
    at every kernel start; that figure is reported too, for information.
    """
    samples = _samples(repeats, bytecode=True)
    uncached = spread([s["load"] * 1000 for s in _samples(max(1, repeats // 2), bytecode=False)])
    load = spread([s["load"] * 1000 for s in samples])
    load_cpu = spread([s["load_cpu"] * 1000 for s in samples])
    base = spread([s["base"] * 1000 for s in samples])
    base_cpu = spread([s["base_cpu"] * 1000 for s in samples])
    new = samples[-1]["new"]
    return [
        Row(
            FIGURE,
            "fresh kernel",
            "import IPython, ipywidgets, httpx (baseline)",
            f"{base.median:.0f} ms wall, {base_cpu.median:.0f} ms CPU",
            fmt_spread(base, "ms wall", 0),
        ),
        Row(
            FIGURE,
            "fresh kernel",
            "%load_ext ocr_notebook (added over the baseline)",
            f"{load.median:.0f} ms wall, {load_cpu.median:.0f} ms CPU",
            fmt_spread(load, "ms wall", 0) + f"; CPU {fmt_spread(load_cpu, 'ms', 0)}",
            f"{load.median / 100:.2f}x budget (CPU {load_cpu.median / 100:.2f}x); "
            f"{load.median / base.median:.0%} of baseline",
            "< 100 ms added (CPU time: see notes)",
            load_cpu.median < 100,
            notes=(
                "Packages %load_ext imports beyond the baseline: " + (", ".join(new) or "none"),
            ),
        ),
        Row(
            FIGURE,
            "fresh kernel, no .pyc",
            "%load_ext ocr_notebook, PYTHONDONTWRITEBYTECODE=1 (compiles every module)",
            f"{uncached.median:.0f} ms wall",
            fmt_spread(uncached, "ms wall", 0),
            f"{uncached.median / load.median:.1f}x the cached load",
        ),
    ]
