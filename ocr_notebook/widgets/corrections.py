"""Correcting a fetched result's texts in place: a text area per region and a Save button.

``OCRFetchWidget`` shows one under a single fetched result. Saving goes through
``store.corrections.save_corrections``: the corrections are kept in the local result store
beside the service's result (never over it), and the widget shows and holds the corrected
result. A text area sends its text when it loses focus (``continuous_update=False``), not
on every key. Nothing typed is lost when saving fails: the text areas keep it and one line
says why.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import ipywidgets as widgets

from ..display.text import esc
from ..results.models import OCRResult

__all__ = ["CorrectionEditor"]

#: Saves ``{order: text}`` for a result and returns the corrected result.
SaveCorrections = Callable[[OCRResult, dict[int, str]], OCRResult]


class CorrectionEditor(widgets.Accordion):  # type: ignore[misc]
    """A folded "Correct the texts" panel: one text area per text region, Save, a status line.

    Args:
        result: The result to correct (its texts, corrected ones included, fill the areas).
        save: Keeps the changed texts (``{region order: text}``); returns the new result.
        on_saved: Called with the corrected result after a successful save.
        limit: Most regions offered for editing (the rest: ``save_corrections`` in Python).

    Attributes:
        result: The result as last saved (or as given).
        areas: ``{region order: text area}``, in region order.
        save_button: Saves the changed texts.
        status: One line: what was saved, or why not.
    """

    def __init__(
        self,
        result: OCRResult,
        save: SaveCorrections,
        on_saved: Callable[[OCRResult], object],
        *,
        limit: int = 50,
    ) -> None:
        self.result = result
        self._save = save
        self._on_saved = on_saved
        self.areas: dict[int, widgets.Textarea] = {}
        rows = []
        for order, text in list(_texts_by_order(result).items())[:limit]:
            area = widgets.Textarea(
                value=text,
                description=f"Order {order}",
                continuous_update=False,
                layout=widgets.Layout(width="95%"),
            )
            self.areas[order] = area
            rows.append(area)
        self.save_button = widgets.Button(
            description="Save corrections", icon="save", tooltip="Keep in the local store"
        )
        self.status = widgets.HTML()
        self.save_button.on_click(lambda _b: self.save())
        hidden = len(result.ocr_texts_by_order()) - len(self.areas)
        if hidden > 0:
            self.status.value = esc(
                f"{hidden} more regions: correct them with "
                "ocr_notebook.save_corrections(result, {order: text})."
            )
        body = widgets.VBox([*rows, widgets.HBox([self.save_button, self.status])])
        super().__init__(children=[body], titles=("Correct the texts",), selected_index=None)

    def changes(self) -> dict[int, str]:
        """The texts that differ from the result's current ones, by region order."""
        current = _texts_by_order(self.result)
        return {o: a.value for o, a in self.areas.items() if a.value != current.get(o)}

    def save(self) -> OCRResult | None:
        """Save the changed texts; return the corrected result (None if nothing was saved)."""
        changes = self.changes()
        if not changes:
            self.status.value = "Nothing changed."
            return None
        try:
            saved = self._save(self.result, changes)
        except (ValueError, TypeError, OSError, sqlite3.Error) as exc:
            self.status.value = f'<span style="color:#c62828">{esc(exc)}</span>'
            return None
        self.result = saved
        count = len(changes)
        self.status.value = esc(
            f"Saved {count} correction{'s' if count != 1 else ''} in the local result store; "
            "result.ocr_texts keeps the service's texts."
        )
        self._on_saved(saved)
        return saved


def _texts_by_order(result: OCRResult) -> dict[int, str]:
    """Each text region's current text (corrected where corrected), by region order."""
    orders = list(result.ocr_texts_by_order())
    texts = [t for t in result.region_texts() if t is not None]
    return dict(zip(orders, texts, strict=True))
