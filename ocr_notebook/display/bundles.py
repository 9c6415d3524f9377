"""The MIME bundle IPython asks a rich object for, rendered only in the formats it wants."""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping

__all__ = ["mime_bundle"]


def mime_bundle(
    renderers: Mapping[str, Callable[[], str]],
    include: Container[str] | None = None,
    exclude: Container[str] | None = None,
) -> dict[str, str]:
    """Render only the MIME types ``include`` asks for (all when None) and ``exclude`` does not.

    A terminal that wants text pays nothing for HTML.
    """
    return {
        mime: render()
        for mime, render in renderers.items()
        if (include is None or mime in include) and (exclude is None or mime not in exclude)
    }
