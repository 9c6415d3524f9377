"""Corrections of recognized texts: checking, merging and applying them. Plain data only.

A correction maps a region's ``order`` to the text a person says it should be. The
service's texts are never changed: a corrected result keeps them beside the corrections.
Correcting a region back to the service's own text removes its correction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

__all__ = ["Corrections", "apply_corrections", "check_corrections", "merge_corrections"]


class Corrections(Mapping[int, str]):
    """A read-only ``{region order: corrected text}`` (picklable, unlike a mappingproxy)."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[int, str] | None = None) -> None:
        self._items: dict[int, str] = dict(items or {})

    def __getitem__(self, order: int) -> str:
        return self._items[order]

    def __iter__(self) -> Iterator[int]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Corrections({self._items!r})"


def check_corrections(
    corrections: Mapping[int, str], originals: Mapping[int, str]
) -> dict[int, str]:
    """``corrections`` as a plain dict, each key a known region order and each value a str.

    Args:
        corrections: ``{order: corrected text}``.
        originals: The service's text of every text region, by order.

    Raises:
        TypeError: ``corrections`` is not a mapping, or a key or value has the wrong type.
        ValueError: A key is not the order of a text region of the result.
    """
    if not isinstance(corrections, Mapping):
        raise TypeError(
            f"Corrections are a mapping {{region order: text}}, got {type(corrections).__name__}."
        )
    checked: dict[int, str] = {}
    for order, text in corrections.items():
        if isinstance(order, bool) or not isinstance(order, int):
            raise TypeError(
                f"A correction's key is a region order (an int, see result.to_dataframe()), "
                f"got {order!r}."
            )
        if not isinstance(text, str):
            raise TypeError(f"The correction of region {order} is not a str: {text!r}.")
        if order not in originals:
            known = _describe(originals)
            raise ValueError(f"No text region has order {order}; {known}.")
        checked[order] = text
    return checked


def merge_corrections(
    existing: Mapping[int, str], new: Mapping[int, str], originals: Mapping[int, str]
) -> dict[int, str]:
    """``existing`` updated with ``new``; a region corrected back to its original is dropped.

    Raises:
        TypeError: see :func:`check_corrections`.
        ValueError: see :func:`check_corrections`.
    """
    merged = {k: v for k, v in existing.items() if k in originals and v != originals[k]}
    for order, text in check_corrections(new, originals).items():
        if text == originals[order]:
            merged.pop(order, None)
        else:
            merged[order] = text
    return dict(sorted(merged.items()))


def apply_corrections(
    originals: Iterable[tuple[int, str | None]], corrections: Mapping[int, str]
) -> list[str | None]:
    """Each ``(order, text)``'s text, replaced by its correction where there is one."""
    return [corrections.get(order, text) if text is not None else None for order, text in originals]


def _describe(originals: Mapping[int, str]) -> str:
    if not originals:
        return "this result has no text regions"
    orders = sorted(originals)
    if orders == list(range(orders[0], orders[-1] + 1)):
        return f"the orders are {orders[0]}..{orders[-1]}"
    shown = ", ".join(str(o) for o in orders[:10])
    return f"the orders are {shown}{', ...' if len(orders) > 10 else ''}"
