"""Client settings: defaults, environment variables, the operation catalogue. No I/O.

Precedence is arguments > (the notebook layer's ``%config``, passed in as arguments) >
environment > defaults. Everything here is pure so the client, the magic and the tests
resolve settings the same way.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from ..results.errors import InsecureTransportError, MissingCredentialsError, UnknownOperationError

__all__ = [
    "DEFAULT_BASE_URL",
    "ENV_BASE_URL",
    "ENV_CLIENT_ID",
    "ENV_CLIENT_SECRET",
    "FETCH_OPERATIONS",
    "IMAGE_OPERATIONS",
    "STATUS_OPERATION",
    "ClientConfig",
    "is_loopback_host",
    "normalize_base_url",
    "resolve_api",
    "resolve_config",
]

DEFAULT_BASE_URL = "https://api.aspose.cloud"
ENV_BASE_URL = "ASPOSE_OCR_BASE_URL"
ENV_CLIENT_ID = "ASPOSE_OCR_CLIENT_ID"
ENV_CLIENT_SECRET = "ASPOSE_OCR_CLIENT_SECRET"  # noqa: S105 - the variable's name, not a secret

API_PREFIX = "/v5.0/ocr"
TOKEN_PATH = "/connect/token"  # noqa: S105 - a path
STATUS_OPERATION = "Utilities/GetTaskStatus"

# Every v5.0 operation with POST / GET ?id= / DELETE ?id=, spelled as the spec spells its
# path (reference §2). The service routes case-insensitively, but we always send this case.
FETCH_OPERATIONS: tuple[str, ...] = (
    "RecognizeRegions",
    "RecognizeImage",
    "RecognizePdf",
    "RecognizeReceipt",
    "RecognizeTable",
    "RecognizeLabel",
    "DetectRegions",
    "RecognizeAndParseInvoice",
    "IdentifyFont",
    "DjVu2PDF",
    "BinarizeImage",
    "DeskewImage",
    "DewarpImage",
    "UpscaleImage",
    "ConvertTextToSpeech",
)
# Operations whose POST body carries an image (all but text-to-speech).
IMAGE_OPERATIONS: tuple[str, ...] = tuple(
    op for op in FETCH_OPERATIONS if op != "ConvertTextToSpeech"
)

_BY_LOWER = {op.lower(): op for op in FETCH_OPERATIONS}


def resolve_api(api: object, *, allowed: tuple[str, ...] = FETCH_OPERATIONS) -> str:
    """Return the canonical spelling of an operation name (case-insensitive match).

    Raises:
        UnknownOperationError: ``api`` is not one of ``allowed``; the message lists them.
    """
    if isinstance(api, str):
        canonical = _BY_LOWER.get(api.strip().lower())
        if canonical is not None and canonical in allowed:
            return canonical
    shown = repr(api) if len(repr(api)) <= 60 else repr(api)[:60] + "…"
    raise UnknownOperationError(f"Unknown operation {shown}; use one of: {', '.join(allowed)}.")


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` names this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def normalize_base_url(base_url: str) -> str:
    """``scheme://host[:port][/prefix]`` without a trailing slash or a ``/v5.0/ocr`` suffix.

    The Java SDK's style of base URL (ending in ``/v5.0/ocr``) is accepted and trimmed, so
    the token endpoint stays at ``{base_url}/connect/token``.

    Raises:
        ValueError: not an absolute http(s) URL.
    """
    try:
        url = httpx.URL(base_url.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise ValueError(
            f"base_url {base_url!r} is not a URL; use e.g. {DEFAULT_BASE_URL!r}."
        ) from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(
            f"base_url {base_url!r} must be an absolute http(s) URL such as {DEFAULT_BASE_URL!r}."
        )
    path = url.path.rstrip("/")
    if path.lower().endswith(API_PREFIX.lower()):
        path = path[: -len(API_PREFIX)]
    port = f":{url.port}" if url.port is not None else ""
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{url.scheme}://{host.lower()}{port}{path}"


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
