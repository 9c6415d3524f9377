"""Settings resolution: arguments over environment over defaults; base URL and api names."""

from __future__ import annotations

import pytest

from ocr_notebook import InsecureTransportError, MissingCredentialsError, UnknownOperationError
from ocr_notebook.client.config import (
    DEFAULT_BASE_URL,
    FETCH_OPERATIONS,
    is_loopback_host,
    normalize_base_url,
    resolve_api,
    resolve_config,
)

ENV = {
    "ASPOSE_OCR_BASE_URL": "https://env.example.test",
    "ASPOSE_OCR_CLIENT_ID": "env-id",
    "ASPOSE_OCR_CLIENT_SECRET": "env-secret",
}


def test_environment_fills_unset_arguments() -> None:
    config = resolve_config(environ=ENV)
    assert (config.base_url, config.client_id, config.client_secret) == (
        "https://env.example.test",
        "env-id",
        "env-secret",
    )
    assert config.token_url == "https://env.example.test/connect/token"


def test_arguments_win_over_environment() -> None:
    config = resolve_config("https://arg.test/", client_id="a", client_secret="b", environ=ENV)
    assert (config.base_url, config.client_id, config.client_secret) == (
        "https://arg.test",
        "a",
        "b",
    )


def test_default_base_url() -> None:
    config = resolve_config(token="t", environ={})
    assert config.base_url == DEFAULT_BASE_URL
    assert (
        config.operation_url("RecognizeRegions")
        == "https://api.aspose.cloud/v5.0/ocr/RecognizeRegions"
    )


def test_token_alone_is_enough_and_hidden() -> None:
    config = resolve_config(token="secret-token", environ={})
    assert "secret-token" not in repr(config)
    assert not config.has_client_credentials


def test_empty_environment_values_count_as_unset() -> None:
    with pytest.raises(MissingCredentialsError, match="ASPOSE_OCR_CLIENT_SECRET"):
        resolve_config(environ={**ENV, "ASPOSE_OCR_CLIENT_SECRET": ""})


def test_secret_not_in_config_repr_or_equality() -> None:
    a = resolve_config(client_id="i", client_secret="one", environ={})
    b = resolve_config(client_id="i", client_secret="two", environ={})
    assert "one" not in repr(a)
    assert a == b


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


@pytest.mark.parametrize("bad", ["api.aspose.cloud", "ftp://x.test", "https://", ""])
def test_bad_base_url(bad: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        resolve_config(bad or "not a url", token="t", environ={})


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


def test_insecure_remote_http_refused_unless_allowed() -> None:
    with pytest.raises(InsecureTransportError, match=r"example\.com"):
        resolve_config("http://example.com", token="t", environ={})
    assert resolve_config("http://example.com", token="t", allow_insecure_http=True, environ={})


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("RecognizeRegions", "RecognizeRegions"),
        ("recognizeregions", "RecognizeRegions"),
        ("djvu2pdf", "DjVu2PDF"),
        (" ConvertTextToSpeech ", "ConvertTextToSpeech"),
        ("RECOGNIZEANDPARSEINVOICE", "RecognizeAndParseInvoice"),
    ],
)
def test_resolve_api(given: str, canonical: str) -> None:
    assert resolve_api(given) == canonical


@pytest.mark.parametrize(
    "bad", ["RecognizeFast", "", None, 3, "Utilities/GetTaskStatus", "x" * 500]
)
def test_unknown_api_lists_the_valid_ones(bad: object) -> None:
    with pytest.raises(UnknownOperationError) as info:
        resolve_api(bad)
    message = str(info.value)
    assert all(op in message for op in FETCH_OPERATIONS)
    assert len(message) < 600
    assert isinstance(info.value, ValueError)


def test_fifteen_operations() -> None:
    assert len(FETCH_OPERATIONS) == len(set(FETCH_OPERATIONS)) == 15
