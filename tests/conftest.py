"""Shared fixtures: the emulator served over loopback HTTP for the whole session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import httpx
    from IPython.core.interactiveshell import InteractiveShell

    from ocr_notebook.emulator import Emulator


@pytest.fixture(autouse=True)
def _private_result_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every test gets its own local result store: none ever touches the user's cache."""
    path = tmp_path_factory.mktemp("store") / "results.sqlite3"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OCR_NOTEBOOK_STORE_PATH", str(path))
        patch.delenv("OCR_NOTEBOOK_STORE", raising=False)
        yield


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """A running emulator on 127.0.0.1 (random port), no processing latency."""
    from tests.support.emulator import running_emulator

    with running_emulator(latency=0.0) as emu:
        yield emu


@pytest.fixture(scope="session")
def emulator_http(emulator: Emulator) -> Iterator[httpx.Client]:
    """A raw httpx client for the session emulator, carrying a valid bearer token.

    Session-wide because building an httpx client costs ~0.2 s (its TLS context). Do not
    change its headers or cookies.
    """
    import httpx

    headers = {"Authorization": f"Bearer {emulator.issue_token()}"}
    with httpx.Client(base_url=emulator.base_url, headers=headers, timeout=30.0) as client:
        yield client


@pytest.fixture(scope="session")
def emulator_anon(emulator: Emulator) -> Iterator[httpx.Client]:
    """A raw httpx client for the session emulator with no credentials at all."""
    import httpx

    with httpx.Client(base_url=emulator.base_url, timeout=30.0) as client:
        yield client


@pytest.fixture(scope="module")
def shell() -> Iterator[InteractiveShell]:
    """The real IPython shell with ``ocr_notebook`` loaded, for one test module."""
    from IPython.core.interactiveshell import InteractiveShell

    from tests.support.notebook import run

    ip = InteractiveShell.instance()
    run(ip, "%load_ext ocr_notebook")
    yield ip
    run(ip, "%unload_ext ocr_notebook")
