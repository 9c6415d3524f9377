"""Client settings: defaults and environment variables, resolved and checked. No I/O.

Precedence is arguments > (the notebook layer's ``%config``, passed in as arguments) >
environment > defaults. Everything here is pure so the client, the magic and the tests
resolve settings the same way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from ..results.errors import InsecureTransportError, MissingCredentialsError
from ..wire.operations import API_PREFIX, TOKEN_PATH
from ..wire.urls import DEFAULT_BASE_URL, is_loopback_host, normalize_base_url

__all__ = [
    "ENV_BASE_URL",
    "ENV_CLIENT_ID",
    "ENV_CLIENT_SECRET",
    "ClientConfig",
    "resolve_config",
]

ENV_BASE_URL = "ASPOSE_OCR_BASE_URL"
ENV_CLIENT_ID = "ASPOSE_OCR_CLIENT_ID"
ENV_CLIENT_SECRET = "ASPOSE_OCR_CLIENT_SECRET"  # noqa: S105 - the variable's name, not a secret


@dataclass(frozen=True)
class ClientConfig:
    """Resolved client settings. Secrets are kept out of ``repr`` and equality.

    Attributes:
        base_url: Normalized service URL (no trailing slash).
        client_id: OAuth client id, if client credentials are used.
        client_secret: OAuth client secret (never shown).
        token: A bearer token obtained elsewhere (never shown).
        allow_insecure_http: Permit credentials over plain HTTP to a non-loopback host.
    """

    base_url: str
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False, compare=False)
    token: str | None = field(default=None, repr=False, compare=False)
    allow_insecure_http: bool = False

    @property
    def has_client_credentials(self) -> bool:
        """Whether a client id and secret are both known."""
        return bool(self.client_id) and bool(self.client_secret)

    @property
    def token_url(self) -> str:
        """``{base_url}/connect/token``."""
        return self.base_url + TOKEN_PATH

    def operation_url(self, api: str) -> str:
        """``{base_url}/v5.0/ocr/{api}`` for a canonical operation name."""
        return f"{self.base_url}{API_PREFIX}/{api}"


def resolve_config(
    base_url: str | None = None,
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    token: str | None = None,
    allow_insecure_http: bool = False,
    environ: Mapping[str, str] | None = None,
) -> ClientConfig:
    """Merge arguments with ``ASPOSE_OCR_*`` environment variables and check them.

    Raises:
        MissingCredentialsError: no token and not both a client id and secret.
        InsecureTransportError: credentials would travel over plain HTTP to a remote host.
        ValueError: ``base_url`` is not an absolute http(s) URL.
    """
    env = os.environ if environ is None else environ
    url = normalize_base_url(base_url or env.get(ENV_BASE_URL) or DEFAULT_BASE_URL)
    cid = client_id if client_id is not None else (env.get(ENV_CLIENT_ID) or None)
    secret = client_secret if client_secret is not None else (env.get(ENV_CLIENT_SECRET) or None)
    if not token:
        token = None
        missing = [
            name for name, value in ((ENV_CLIENT_ID, cid), (ENV_CLIENT_SECRET, secret)) if not value
        ]
        if missing:
            raise MissingCredentialsError(
                f"No credentials: set {' and '.join(missing)} (from the Aspose Cloud dashboard), "
                "or pass client_id=/client_secret=, or token= for a bearer token."
            )
    host = httpx.URL(url).host
    if url.startswith("http://") and not allow_insecure_http and not is_loopback_host(host):
        raise InsecureTransportError(
            f"Refusing to send credentials over plain HTTP to {host}; use https:// "
            "(or pass allow_insecure_http=True if you really mean it)."
        )
    return ClientConfig(
        base_url=url,
        client_id=cid,
        client_secret=secret,
        token=token,
        allow_insecure_http=allow_insecure_http,
    )
