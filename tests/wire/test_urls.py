"""The one base-URL normaliser and the loopback check."""

from __future__ import annotations

import pytest

from ocr_notebook.wire.urls import is_loopback_host, normalize_base_url


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("https://api.aspose.cloud", "https://api.aspose.cloud"),
        ("https://API.Aspose.Cloud/", "https://api.aspose.cloud"),
        ("https://api.aspose.cloud/v5.0/ocr", "https://api.aspose.cloud"),
        ("https://api.aspose.cloud/v5.0/ocr/", "https://api.aspose.cloud"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("https://proxy.test/aspose/", "https://proxy.test/aspose"),
        ("http://[::1]:9000/", "http://[::1]:9000"),
        (" https://x.test ", "https://x.test"),
    ],
)
def test_normalize_base_url(given: str, normal: str) -> None:
    assert normalize_base_url(given) == normal


@pytest.mark.parametrize("bad", ["api.aspose.cloud", "ftp://x.test", "https://", "not a url"])
def test_bad_base_url(bad: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        normalize_base_url(bad)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST", True),
        ("app.localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("10.0.0.1", False),
        ("example.com", False),
        ("localhost.example.com", False),
        ("0.0.0.0", False),
    ],
)
def test_is_loopback_host(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback
