"""Figure 8, workbench sync: comm messages the drawing surface sends while rectangles are drawn.

The workbench's real ES module and CSS (``ocr_notebook/widgets/workbench.js``) run in headless
Chromium (Debian's, through Playwright, as the browser tests drive it) on a plain page, with
a stand-in for anywidget's ``model`` that stamps every ``model.save_changes()`` call: in
anywidget each call is one comm message to the kernel. No Jupyter server is started, so the
figure takes seconds. A scripted session with the real mouse (``page.mouse``) draws 50
rectangles and drags each one (10 mouse moves a gesture, as fast as Playwright sends them),
then presses Delete 50 times (gestures far faster than a hand), once with the workbench as
shipped (sync when a gesture ends, at most one sync per 100 ms) and once with
``_sync_every_move`` (the naive alternative: a sync on every mouse move). The figure is the
most ``save_changes`` calls in any 1-second window; the browser test
(``tests/e2e/browser/test_workbench.py``) counts the messages the kernel really receives
for a slower session: one per gesture.
"""

from __future__ import annotations

import base64
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ocr_notebook.emulator.samples import SAMPLE_SIZE, sample_png

from .table import Row, fmt_spread, spread

__all__ = ["run_workbench_sync"]

FIGURE = "8. Workbench sync"
TARGET = 10.0
WIDGETS = Path(__file__).resolve().parents[1] / "ocr_notebook" / "widgets"
CHROMIUM = Path(os.environ.get("OCR_NOTEBOOK_CHROMIUM", "/usr/bin/chromium"))
MOVES = 10

# A page with the module mounted on a stand-in model: what anywidget gives `render`.
_MOUNT = """async ([source, png, size, naive]) => {
    const module = await import(URL.createObjectURL(new Blob([source], {type: "text/javascript"})));
    const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
    const state = {
        image: new DataView(bytes.buffer), image_mime: "image/png", image_size: size,
        regions: [], texts: [], note: "", _sync_every_move: naive,
    };
    window.saves = [];
    const model = {
        get: (key) => state[key],
        set: (key, value) => { state[key] = value; },
        save_changes: () => { window.saves.push(performance.now()); },
        on: () => {},
    };
    const el = document.createElement("div");
    el.style.width = "1000px";
    document.body.append(el);
    module.default.render({model, el});
    window.regionCount = () => state.regions.length;
}"""


@dataclass(frozen=True)
class Session:
    """One scripted session: gestures made, syncs sent, peak syncs in any 1 s, seconds."""

    gestures: int
    saves: int
    peak: int
    seconds: float


def _peak(times: list[float], window: float = 1000.0) -> int:
    best = start = 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def _session(browser: object, *, naive: bool, rectangles: int) -> Session:
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    page = browser.new_page(viewport={"width": 1100, "height": 600})
    try:
        source = (WIDGETS / "workbench.js").read_text(encoding="utf-8")
        png = base64.b64encode(sample_png()).decode("ascii")
        page.set_content("<!doctype html><html><body style='margin:0'></body></html>")
        page.add_style_tag(content=(WIDGETS / "workbench.css").read_text(encoding="utf-8"))
        page.evaluate(_MOUNT, [source, png, list(SAMPLE_SIZE), naive])
        surface = page.locator('[data-ocr-workbench="surface"]')
        box = surface.bounding_box()
        assert box is not None
        width, height = SAMPLE_SIZE
        sx, sy = box["width"] / width, box["height"] / height

        def at(x: float, y: float) -> tuple[float, float]:
            return box["x"] + x * sx, box["y"] + y * sy

        started = time.perf_counter()
        gestures = 0
        for i in range(rectangles):  # a 10 x 5 grid of 60 x 40 px rectangles
            x, y = 20 + (i % 10) * 96, 20 + (i // 10) * 58
            page.mouse.move(*at(x, y))
            page.mouse.down()
            page.mouse.move(*at(x + 60, y + 40), steps=MOVES)
            page.mouse.up()
            page.mouse.move(*at(x + 30, y + 20))  # then drag it by 10 px
            page.mouse.down()
            page.mouse.move(*at(x + 40, y + 30), steps=MOVES)
            page.mouse.up()
            gestures += 2
        count = page.evaluate("window.regionCount()")
        assert count == rectangles, f"{count} rectangles drawn, expected {rectangles}"
        for _ in range(rectangles):  # then Delete, Delete, ...: the fastest gestures there are
            page.keyboard.press("Delete")
            gestures += 1
        page.wait_for_timeout(250)  # a deferred last sync lands within 100 ms
        seconds = time.perf_counter() - started
        left = page.evaluate("window.regionCount()")
        assert left == 0, f"{left} rectangles left after {rectangles} Deletes"
        saves: list[float] = page.evaluate("window.saves")
        return Session(gestures, len(saves), _peak(sorted(saves)), seconds)
    finally:
        page.close()


def run_workbench_sync(repeats: int, rectangles: int = 50) -> list[Row]:
    """Rows of figure 8 (or one row saying why it was skipped: no Chromium)."""
    case = (
        f"{rectangles} rectangles drawn, dragged ({MOVES} moves each) and deleted "
        f"({3 * rectangles} gestures)"
    )
    if not CHROMIUM.is_file():
        return [Row(FIGURE, case, "skipped", f"no Chromium at {CHROMIUM}")]
    from playwright.sync_api import sync_playwright

    ours: list[Session] = []
    naive: list[Session] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            for _ in range(repeats):
                ours.append(_session(browser, naive=False, rectangles=rectangles))
                naive.append(_session(browser, naive=True, rectangles=rectangles))
        finally:
            browser.close()
    peak = spread([float(s.peak) for s in ours])
    naive_peak = spread([float(s.peak) for s in naive])
    sent = spread([float(s.saves) for s in ours])
    naive_sent = spread([float(s.saves) for s in naive])
    seconds = spread([s.seconds for s in ours])
    return [
        Row(
            FIGURE,
            case,
            "ours: sync when a gesture ends, <= 1 per 100 ms",
            f"peak {peak.median:.0f}/s ({sent.median:.0f} syncs in {seconds.median:.1f} s)",
            fmt_spread(peak, "/s", 0),
            f"{peak.median / naive_peak.median:.3f}x naive peak; "
            f"{sent.median / naive_sent.median:.3f}x its syncs",
            f"<= {TARGET:.0f} comm messages/s",
            peak.median <= TARGET,
            notes=(
                "8. Counted as `model.save_changes()` calls in the front end (each is one comm "
                "message to the kernel in anywidget), in headless Chromium on a plain page "
                "with the workbench's own ES module and the real mouse; the JupyterLab "
                "browser test counts the kernel's received messages: one per gesture.",
            ),
        ),
        Row(
            FIGURE,
            case,
            "naive: sync on every mouse move",
            f"peak {naive_peak.median:.0f}/s ({naive_sent.median:.0f} syncs)",
            fmt_spread(naive_peak, "/s", 0),
        ),
    ]
