"""Failure states in the page: NotExist, Error with the service's messages, and a timeout."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from ._lab import LabServer, NotebookPage, code
from ._ocr_page import SETUP, assert_badge_colour, badge_statuses

pytestmark = pytest.mark.browser

MESSAGES = ("The image could not be decoded.", "Send a PNG, JPEG, TIFF or BMP file.")


def test_failure_badges_show_colour_and_what_to_do(
    lab_server: LabServer, open_notebook: Callable[[str], NotebookPage]
) -> None:
    missing, failed, slow = (str(uuid.uuid4()) for _ in range(3))
    path = lab_server.write_notebook(
        "failures.ipynb",
        [
            code(SETUP),
            # Failing cells are tagged raises-exception so Run All goes on past them.
            code(f"%ocr_fetch {missing}", raises=True),
            code(
                f"emu.inject_task(status='Error', messages={list(MESSAGES)!r}, task_id={failed!r})\n"
                f"%ocr_fetch {failed}",
                raises=True,
            ),
            code(
                f"emu.inject_task(results=[('Text', 'too late')], latency=300.0, task_id={slow!r})\n"
                f"%ocr_fetch {slow} --timeout 2",
                raises=True,
            ),
            code("print('every failure cell ran')"),
        ],
    )
    notebook = open_notebook(path)
    notebook.run_all()
    notebook.wait_all_executed(timeout=90)
    assert "every failure cell ran" in notebook.output(4).inner_text()

    # NotExist: grey, explains the 24-hour retention and what to do.
    area = notebook.output(1)
    badge_statuses(notebook, area, "NotExist", timeout=30)
    assert_badge_colour(notebook, area, "NotExist")
    text = area.inner_text()
    assert missing in text
    assert "24 hours" in text
    assert "submit the image again" in text
    notebook.screenshot("failure-notexist", notebook.cell(1))

    # Error: red, with each of the service's messages.
    area = notebook.output(2)
    badge_statuses(notebook, area, "Error", timeout=30)
    assert_badge_colour(notebook, area, "Error")
    badge = area.locator(".ocrnb-b").first
    assert [m.strip() for m in badge.locator("li").all_inner_texts()] == list(MESSAGES)
    notebook.screenshot("failure-error", notebook.cell(2))

    # Timeout: amber, with the last status seen and how to resume.
    area = notebook.output(3)
    badge_statuses(notebook, area, "Timeout", timeout=30)
    assert_badge_colour(notebook, area, "Timeout")
    text = area.inner_text()
    assert f"%ocr_fetch {slow}" in text
    assert "Last status seen: Pending" in text or "Last status seen: Processing" in text
    notebook.screenshot("failure-timeout", notebook.cell(3))

    # Each failure is one line under the badge, never a traceback; no result is rendered.
    for index in (1, 2, 3):
        text = notebook.output(index).inner_text()
        assert "Traceback" not in text
        assert "UsageError" in text
        assert notebook.output(index).locator(".ocrnb").count() == 0
    assert notebook.errors() == []
