"""Boxes linked to cards in a saved notebook: live, reopened without a kernel, exported to HTML.

The notebook holds the real output of ``%ocr_fetch`` (executed with nbclient against the
emulator, then signed with the server's notary, as a notebook its author saved is trusted).
Pointing at card N must highlight rectangle N (a computed outline and background that the
other rectangles do not have) and pointing at rectangle N must highlight card N; Tab onto a
card does the same. Checked three times: in JupyterLab with a kernel; after saving, shutting
the session down over REST and reopening with no kernel allowed to start; and in the HTML
file ``jupyter nbconvert --to html`` writes, opened from disk. Nothing of it is JavaScript.
A page holding two outputs of one result and another result checks that each lights up alone.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.sign import NotebookNotary
from playwright.sync_api import Browser, Page, Route, expect
from playwright.sync_api import Error as PlaywrightError

from ocr_notebook import Rect, Submission
from ocr_notebook.display.results import render_result_html
from ocr_notebook.emulator.samples import SAMPLE_REGIONS, sample_png
from tests.support.render import make_result

from ._lab import SCREENSHOTS, LabServer, NotebookPage
from ._linked_page import boxes, cards, check_links, expect_highlighted
from ._ocr_page import SETUP, execute_headless

pytestmark = pytest.mark.browser

TASK_ID = str(uuid.uuid4())
RESULTS = [("Text", text) for _box, text in SAMPLE_REGIONS]
FETCH = f"""\
from ocr_notebook import Rect, Submission
from ocr_notebook.client.submissions import remember
from ocr_notebook.emulator.samples import SAMPLE_REGIONS, sample_png

task_id = emu.inject_task(results={RESULTS!r}, task_id={TASK_ID!r})
# As if this kernel had submitted the sample image: the result draws its regions on it.
remember(emu.base_url, task_id, Submission(
    image=sample_png(), regions=tuple(Rect.from_box(box) for box, _text in SAMPLE_REGIONS)))
"""
NAME = "linked-result.ipynb"
RESULT_CELL = 2


@pytest.fixture(scope="module")
def saved_notebook(lab_server: LabServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The notebook with its fetched result, executed by nbclient and signed: trusted."""
    tmp = tmp_path_factory.mktemp("linked")
    nb = execute_headless([SETUP, FETCH, "%ocr_fetch $task_id", "emu.stop()"], tmp)
    # Signed where this server looks (its JUPYTER_DATA_DIR): the author's own, trusted notebook.
    with NotebookNotary(data_dir=str(lab_server.root.parent / "data")) as notary:
        signed: Any = nb
        notary.sign(signed)
    nbformat.write(nb, lab_server.root / NAME)
    html = [o for o in nb.cells[RESULT_CELL].outputs if "text/html" in o.get("data", {})]
    assert len(html) == 1 and 'data-ocr-region="3"' in html[0].data["text/html"]
    return NAME


def _sessions(server: LabServer) -> list[dict[str, Any]]:
    return list(server._http.get("/api/sessions").json())


def _kernels(server: LabServer) -> list[dict[str, Any]]:
    return list(server._http.get("/api/kernels").json())


def _refuse_kernels(route: Route) -> None:
    # The reopened page may read sessions and kernels but never start one.
    if route.request.method == "POST":
        route.fulfill(status=403, json={"message": "no kernel in this test"})
    else:
        route.continue_()


def _decline_kernels(page: Page) -> list[str]:
    """Answer the page's kernel dialogs as a user who wants none; return their titles.

    The refused start shows "Error Starting Kernel" (Ok), then JupyterLab offers "Select
    Kernel", answered with its "No Kernel" button; done once no dialog comes back for 1 s.
    """
    dialogs = page.locator(".jp-Dialog")
    expect(dialogs.first).to_be_visible(timeout=30_000)
    seen: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if dialogs.count():
            dialog = dialogs.first
            with contextlib.suppress(PlaywrightError):  # it may close by itself meanwhile
                title = dialog.locator(".jp-Dialog-header").inner_text(timeout=2_000).strip()
                seen.append(title)
                no_kernel = dialog.locator(".jp-Dialog-button", has_text="No Kernel")
                button = no_kernel if no_kernel.count() else dialog.locator(".jp-mod-accept")
                button.first.click(timeout=5_000)
        else:
            page.wait_for_timeout(1_000)
            if not dialogs.count():
                return seen
    raise AssertionError(f"the page kept asking for a kernel: {seen}")


def test_linked_in_lab_then_reopened_without_a_kernel(
    saved_notebook: str,
    lab_server: LabServer,
    open_notebook: Callable[[str], NotebookPage],
    browser: Browser,
) -> None:
    live = open_notebook(saved_notebook)
    root = live.output(RESULT_CELL).locator(".ocrnb").first
    root.wait_for(timeout=30_000)
    assert root.locator("style").count() == 1, "the saved output was not shown trusted"
    check_links(live.page, root)
    cards(root).nth(2).hover()
    live.screenshot("linked-lab-hover-card", live.cell(RESULT_CELL))
    assert live.errors() == []

    # Save (the server signs what a trusted page saves), close, shut the session down over REST.
    saved = lab_server.root / saved_notebook
    before = saved.stat().st_mtime_ns
    live.cell(0).click()
    live.page.keyboard.press("Escape")
    live.page.keyboard.press("Control+s")
    deadline = time.monotonic() + 30
    while saved.stat().st_mtime_ns == before:
        assert time.monotonic() < deadline, "the notebook was not saved"
        live.page.wait_for_timeout(100)
    live.page.context.close()
    for session in _sessions(lab_server):
        lab_server.delete_session(session["id"])
    assert _sessions(lab_server) == [] and _kernels(lab_server) == []

    # Reopen with no kernel: the page may not start one (POSTs to sessions/kernels refused).
    context = browser.new_context(viewport={"width": 1280, "height": 1400})
    try:
        page = context.new_page()
        page.route("**/api/sessions*", _refuse_kernels)
        page.route("**/api/kernels*", _refuse_kernels)
        page.goto(f"{lab_server.url}/doc/tree/{saved_notebook}?token={lab_server.token}&reset")
        cell = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").nth(RESULT_CELL)
        root = cell.locator(".jp-Cell-outputArea .ocrnb").first
        root.wait_for(timeout=60_000)
        assert "Select Kernel" in _decline_kernels(page)
        assert root.locator("style").count() == 1, "the reopened output was not shown trusted"
        check_links(page, root)
        assert _sessions(lab_server) == [] and _kernels(lab_server) == []
        cards(root).nth(2).hover()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        cell.scroll_into_view_if_needed()
        cell.screenshot(path=SCREENSHOTS / "linked-lab-no-kernel.png")
    finally:
        context.close()


def test_linked_in_the_nbconvert_html_export(
    saved_notebook: str, lab_server: LabServer, browser: Browser, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
    env.update(JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_DATA_DIR=str(tmp_path / "data"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "nbconvert",
            "--to",
            "html",
            "--output-dir",
            str(tmp_path),
            str(lab_server.root / saved_notebook),
        ],
        check=True,
        capture_output=True,
        env=env,
        timeout=120,
    )
    exported = tmp_path / Path(saved_notebook).with_suffix(".html").name
    context = browser.new_context(viewport={"width": 1280, "height": 1100})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # Offline: the export's CDN scripts (MathJax, require.js) are not what this is about.
        page.route("http*://**", lambda route: route.abort())
        page.goto(exported.as_uri())
        root = page.locator(".ocrnb").first
        root.wait_for(timeout=30_000)
        check_links(page, root)
        cards(root).nth(2).hover()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        root.screenshot(path=SCREENSHOTS / "linked-nbconvert.png")
        # The README's picture (docs/linked-result.png is a copy): card 2 pointed at.
        readme = SCREENSHOTS / "linked-readme.png"
        root.screenshot(path=readme, scale="css")
        assert readme.stat().st_size < 150_000
    finally:
        context.close()


def test_results_on_one_page_light_up_alone(browser: Browser) -> None:
    # Two outputs of one result (same scope class) and another result, as in a notebook:
    # pointing at or focusing a card of one highlights nothing in the others.
    submission = Submission(
        image=sample_png(), regions=tuple(Rect.from_box(box) for box, _text in SAMPLE_REGIONS)
    )
    one = make_result(RESULTS, submission=submission)
    other = make_result([("Text", f"other {text}") for _t, text in RESULTS], submission=submission)
    outputs = [render_result_html(one), render_result_html(one), render_result_html(other)]
    assert outputs[0] == outputs[1] and outputs[0][:40] != outputs[2][:40]  # scope classes
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_content(
            "<!doctype html><html><body>"
            + "".join(f"<div class='output'>{html}</div>" for html in outputs)
            + "</body></html>"
        )
        roots = [page.locator(".output").nth(i).locator(".ocrnb") for i in range(3)]
        check_links(page, roots[0])
        for pointed, root in enumerate(roots):
            cards(root).nth(2).hover()
            expect_highlighted(boxes(root), 2)
            for other_root in roots[:pointed] + roots[pointed + 1 :]:
                expect_highlighted(boxes(other_root), -1)  # -1: none of them
                expect_highlighted(cards(other_root), -1)
        page.mouse.move(0, 0)
        cards(roots[1]).nth(1).focus()
        expect_highlighted(boxes(roots[1]), 1)
        for other_root in (roots[0], roots[2]):
            expect_highlighted(boxes(other_root), -1)
    finally:
        context.close()
