"""Service base URLs: the one normaliser (client config, store keys) and the loopback check."""

from __future__ import annotations

import ipaddress

import httpx

from .operations import API_PREFIX

__all__ = ["DEFAULT_BASE_URL", "is_loopback_host", "normalize_base_url"]

DEFAULT_BASE_URL = "https://api.aspose.cloud"


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
