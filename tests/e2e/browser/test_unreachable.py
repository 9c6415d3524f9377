"""A service that cannot be reached, seen in JupyterLab: the badge counts the attempts live.

``%ocr_fetch`` against a port nobody listens on: while the connection attempts fail, the
badge says Retrying with the seconds, the attempts made (2, 3, 4, ... as they happen), the
reason and when the next attempt comes; then it settles Unreachable in its own purple, and
one ``UsageError`` line names the URL, the reason and what to check.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from ._lab import LabServer, NotebookPage, code
from ._ocr_page import SETUP, badge_pill

pytestmark = pytest.mark.browser

# Retries 0.5, 1, 2, 3, 3 s apart (max_poll_interval caps them): every attempt count from
# the 2nd on stays on screen at least a second, which Playwright's retrying expect catches.
FETCH = """\
import socket
with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    dead = f"http://127.0.0.1:{{probe.getsockname()[1]}}"
%config OCRMagics.base_url = dead
%config OCRMagics.poll_interval = 0.5
%config OCRMagics.max_poll_interval = 3.0
%ocr_fetch {task_id}
"""
UNREACHABLE_PURPLE = "rgb(106, 27, 154)"  # #6a1b9a


def test_badge_counts_attempts_while_the_service_is_unreachable(
    lab_server: LabServer, open_notebook: Callable[[str], NotebookPage]
) -> None:
    task_id = str(uuid.uuid4())
    path = lab_server.write_notebook(
        "unreachable.ipynb",
        [
            code(SETUP),
            code(FETCH.format(task_id=task_id), raises=True),
            code("print('after the unreachable fetch')"),
        ],
    )
    notebook = open_notebook(path)
    notebook.run_all()
    area = notebook.output(1)
    pill = badge_pill(area)
    expect(pill).to_have_text("Retrying", timeout=60_000)
    for attempts in (2, 3, 4):
        expect(area).to_contain_text(
            re.compile(rf"· {attempts} attempts · connection refused, retry in \d+\.\d s"),
            timeout=15_000,
        )
        if attempts == 3:
            notebook.screenshot("unreachable-retrying", notebook.cell(1))
    expect(pill).to_have_text("Unreachable", timeout=30_000)
    expect(pill).to_have_css("background-color", UNREACHABLE_PURPLE, timeout=10_000)
    expect(area).to_contain_text("6 attempts · connection refused", timeout=10_000)
    expect(area).to_contain_text(
        re.compile(r"UsageError: Could not reach http://127\.0\.0\.1:\d+ in 6 attempts over")
    )
    notebook.wait_all_executed(timeout=60)
    text = area.inner_text()
    assert f"Nothing is known about task {task_id}" in text
    assert "goes on on the service" not in text and "Traceback" not in text
    assert "after the unreachable fetch" in notebook.output(2).inner_text()
    notebook.screenshot("unreachable-final", notebook.cell(1))
    assert notebook.errors() == []
