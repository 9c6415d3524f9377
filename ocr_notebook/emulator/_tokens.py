"""Client credentials and bearer tokens: JWT-shaped, HMAC-signed, expiring on the store's clock."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable

__all__ = ["TokenIssuer", "generate_client_id", "generate_client_secret"]

_HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode("ascii")
_VERIFIED_CACHE = 4096  # tokens remembered after a signature check, so a GET costs a dict lookup


def generate_client_id() -> str:
    """A GUID-like client id, the shape the dashboard hands out."""
    raw = secrets.token_hex(16)
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


def generate_client_secret() -> str:
    """A random 32-hex-digit client secret."""
    return secrets.token_hex(16)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    """Checks client credentials, issues tokens and validates bearer tokens.

    Tokens are signed with a key that lives only in this process, so a token from another
    emulator (or the real service) is refused, as the real service refuses foreign tokens.
    """

    def __init__(
        self, client_id: str, client_secret: str, ttl: float, clock: Callable[[], float]
    ) -> None:
        self.client_id = client_id
        self._secret = client_secret
        self.ttl = ttl
        self.clock = clock
        self._key = secrets.token_bytes(32)
        self._verified: dict[str, float] = {}

    def check_credentials(self, client_id: str, client_secret: str) -> bool:
        """Whether the pair is the accepted one (constant-time comparison)."""
        id_ok = hmac.compare_digest(client_id.encode("utf-8"), self.client_id.encode("utf-8"))
        secret_ok = hmac.compare_digest(client_secret.encode("utf-8"), self._secret.encode("utf-8"))
        return id_ok and secret_ok

    def issue(self) -> str:
        """A new bearer token valid for ``ttl`` seconds from now."""
        now = self.clock()
        claims = {
            "iss": "ocr_notebook.emulator",
            "client_id": self.client_id,
            "iat": int(now),
            "exp": now + self.ttl,
            "jti": secrets.token_hex(8),
        }
        payload = _b64url(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
        signing_input = f"{_HEADER}.{payload}"
        return f"{signing_input}.{self._sign(signing_input)}"

    def is_valid(self, token: str) -> bool:
        """Whether ``token`` was issued here and has not expired."""
        expires = self._verified.get(token)
        if expires is None:
            expires = self._verify(token)
            if expires is None:
                return False
            if len(self._verified) >= _VERIFIED_CACHE:
                self._verified.clear()
            self._verified[token] = expires
        return self.clock() < expires

    def _sign(self, signing_input: str) -> str:
        digest = hmac.new(self._key, signing_input.encode("ascii"), hashlib.sha256).digest()
        return _b64url(digest)

    def _verify(self, token: str) -> float | None:
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != _HEADER:
            return None
        try:
            expected = self._sign(f"{parts[0]}.{parts[1]}")
        except UnicodeEncodeError:
            return None
        if not hmac.compare_digest(expected.encode("ascii"), parts[2].encode("utf-8", "replace")):
            return None
        try:
            claims = json.loads(_unb64url(parts[1]))
            return float(claims["exp"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None
