"""Making wire strings inert and short: the string helpers every renderer shares. No I/O.

Everything that came off the wire goes through :func:`inert` (for text/plain) or
:func:`esc` (for HTML) before it is shown: control characters become visible symbols,
lone surrogates become U+FFFD, and HTML escaping covers ``& < > " '``.
"""

from __future__ import annotations

import html
import re

# C0 controls except tab/newline/carriage return, DEL, C1 controls, and lone surrogates
# (a Python str can hold them, e.g. from JSON "\ud800"; they cannot be encoded as UTF-8).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        # U+2400 block "Control Pictures": NUL -> ␀, ESC -> ␛ ...
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"  # ␡
    if code <= 0x9F:
        return f"\\x{code:02x}"
    return "\ufffd"


def inert(text: str) -> str:
    """``text`` with control characters visible and lone surrogates replaced.

    Safe to print to a terminal (no escape sequences survive) and to encode as UTF-8.
    """
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_visible, text)


def esc(text: object) -> str:
    """HTML-escape ``str(text)`` for element content and quoted attribute values."""
    return html.escape(inert(str(text)), quote=True)


def clip(text: str, limit: int | None) -> tuple[str, int]:
    """The first ``limit`` characters of ``text`` and how many were cut (``limit`` None: all)."""
    if limit is None or len(text) <= limit:
        return text, 0
    return text[: max(limit, 0)], len(text) - max(limit, 0)


def human_size(size: int) -> str:
    """``1536`` -> ``'1.5 KB'`` (decimal units, as file managers show them)."""
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1000
        if value < 1000 or unit == "GB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def plural(count: int, word: str, many: str | None = None) -> str:
    """``plural(1, 'region')`` -> ``'1 region'``; ``plural(3, 'box', 'boxes')`` -> ``'3 boxes'``."""
    return f"{count:,} {word}" if count == 1 else f"{count:,} {many or word + 's'}"
