"""Settings resolution: arguments over environment over defaults."""

from __future__ import annotations

import pytest

from ocr_notebook import InsecureTransportError, MissingCredentialsError
from ocr_notebook.client.config import resolve_config
from ocr_notebook.wire.urls import DEFAULT_BASE_URL

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


@pytest.mark.parametrize("bad", ["api.aspose.cloud", "ftp://x.test", "https://", ""])
def test_bad_base_url(bad: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        resolve_config(bad or "not a url", token="t", environ={})


def test_insecure_remote_http_refused_unless_allowed() -> None:
    with pytest.raises(InsecureTransportError, match=r"example\.com"):
        resolve_config("http://example.com", token="t", environ={})
    assert resolve_config("http://example.com", token="t", allow_insecure_http=True, environ={})
