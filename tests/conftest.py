"""Shared fixtures: the emulator served over loopback HTTP for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

TEST_CLIENT_ID = "test-client-id"
TEST_CLIENT_SECRET = "test-client-s3cr3t-never-shown"  # noqa: S105 - a test credential


@pytest.fixture(scope="session")
def emulator() -> Iterator[object]:
    """A running emulator on 127.0.0.1 (random port), no processing latency."""
    from ocr_notebook.emulator import Emulator

    with Emulator(port=0, latency=0.0, client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET) as emu:
        yield emu
