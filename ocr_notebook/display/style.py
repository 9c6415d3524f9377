"""How a rendered result looks, trusted or not: the scoped stylesheet and the inline styles.

The same HTML reaches two kinds of page:

* A trusted output (the cell ran in this session, or the notebook is trusted) is inserted as
  is: the ``<style>`` block (:data:`CSS`, every rule scoped under ``.ocrnb``) applies and
  follows JupyterLab's light/dark theme variables.
* A saved output of an untrusted notebook (one someone shared) goes through JupyterLab's HTML
  sanitizer first (``Sanitizer`` in ``@jupyterlab/apputils``, sanitize-html underneath; its
  allow-lists are in ``share/jupyter/lab/static/jlab_core.*.js``). In JupyterLab 4.6 it drops
  ``<style>`` with its text, ``<svg>`` and its children (keeping their text), and ``href`` on
  ``data:`` links; it keeps ``class``, ``title``, ``dir``, ``<img>``/``<audio>`` with a
  ``data:`` ``src`` (only ``href`` and ``cite`` are checked for URL schemes), and every
  ``style`` declaration whose value matches its per-property patterns. Those patterns reject
  ``var()``, ``calc()``, ``position:sticky`` and ``overflow-wrap:anywhere``.

So what keeps the output legible without the stylesheet (the cards' list markers off, the
overlay's image, boxes and labels, the side-by-side layout, the status chip) is carried by the
inline styles below, in plain colours that read on light and dark themes. The stylesheet adds
theme colours (``!important`` where it replaces an inline fallback colour) and niceties. Elements
of class ``ut`` explain what an untrusted view lacks; the stylesheet hides them.

Only these constants and numbers computed here go into ``style`` attributes, never wire data.
"""

from __future__ import annotations

from .labels import LABEL_HEIGHT, LabelSpot

__all__ = [
    "ACCENT",
    "ACCENT_LINKED",
    "BOX_BORDER",
    "CARD_LIST",
    "CHIP",
    "CHIP_COLOURS",
    "CSS",
    "FIGURE",
    "HEADER",
    "OVERLAY_IMAGE",
    "REGION_IMAGE",
    "SIDE",
    "SPLIT",
    "box_style",
    "canvas_style",
    "image_frame_style",
    "label_style",
    "pct",
]

#: The accent colour of region numbers and rectangles (readable on light and dark themes).
ACCENT = "#e4572e"
#: The colour of a rectangle and a card highlighted together (``linked.py``).
ACCENT_LINKED = "#1565c0"

CSS = (
    "<style>"
    ".ocrnb{font:13px/1.45 var(--jp-ui-font-family,system-ui,sans-serif);"
    "color:var(--jp-ui-font-color1,#222)}"
    ".ocrnb p{margin:0}"
    ".ocrnb .ut{display:none}"
    ".ocrnb .k-ok{background-color:var(--jp-success-color1,#2e7d32)!important}"
    ".ocrnb .k-error{background-color:var(--jp-error-color1,#c62828)!important}"
    ".ocrnb .k-running{background-color:var(--jp-brand-color1,#1565c0)!important}"
    ".ocrnb .k-unknown{background-color:var(--jp-layout-color4,#757575)!important}"
    ".ocrnb .m,.ocrnb .ft,.ocrnb summary{color:var(--jp-ui-font-color2,#666)}"
    ".ocrnb .ft{font-style:italic;margin:.2em 0}"
    ".ocrnb code,.ocrnb pre{font-family:var(--jp-code-font-family,monospace);font-size:12px}"
    ".ocrnb ul{margin:.2em 0;padding-left:1.4em}"
    ".ocrnb ul.er{color:var(--jp-error-color1,#c62828)}"
    ".ocrnb ul.wn{color:var(--jp-warn-color1,#b26a00)}"
    ".ocrnb ol.rg>li{border:1px solid var(--jp-border-color2,#ddd);border-radius:4px;"
    "padding:.3em .6em;margin:0 0 .4em;background:var(--jp-layout-color1,transparent)}"
    ".ocrnb ol.rg>li>p:first-child{color:var(--jp-ui-font-color2,#666)}"
    ".ocrnb ol.rg>li>p:first-child>b{display:inline-block;min-width:1.4em;padding:0 .3em;"
    f"border-radius:.7em;text-align:center;background:{ACCENT};color:#fff}}"
    ".ocrnb pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:.2em 0;padding:0;"
    "background:none;max-height:24em;overflow:auto}"
    ".ocrnb table{border-collapse:collapse;table-layout:auto;margin:.2em 0;font-size:12px}"
    ".ocrnb th,.ocrnb td{border:1px solid var(--jp-border-color2,#ddd);padding:.1em .5em;"
    "text-align:left;vertical-align:top}"
    ".ocrnb img{max-width:100%;height:auto}"
    ".ocrnb a{color:var(--jp-content-link-color,#1a73e8)}"
    ".ocrnb .hocr{max-height:24em;overflow:auto}"
    ".ocrnb .hocr .ocr_line,.ocrnb .hocr .ocrx_line{display:block}"
    ".ocrnb .hocr .ocr_par,.ocrnb .hocr .ocr_carea{display:block;margin:.3em 0}"
    ".ocrnb .ov{position:sticky;top:0}"
    ".ocrnb .ov .im{outline:1px solid var(--jp-border-color2,#ddd)}"
    ".ocrnb .ov .bg{background-color:var(--jp-layout-color2,#eee)!important}"
    ".ocrnb .ov figcaption{color:var(--jp-ui-font-color2,#666);font-size:12px}"
    "</style>"
)

# -- inline styles (each one checked against JupyterLab's sanitizer by the browser tests) -------

#: The header line of a result.
HEADER = "margin:.2em 0"
#: The status chip; ``CHIP.format(colour)`` with a colour of :data:`CHIP_COLOURS`.
CHIP = "padding:0 .7em;border-radius:1em;color:#fff;font-weight:600;background-color:{}"
#: Chip colours by status kind (the stylesheet swaps in the theme's when it applies).
CHIP_COLOURS = {"ok": "#2e7d32", "error": "#c62828", "running": "#1565c0", "unknown": "#757575"}
#: The overlay beside the cards, wrapping under them on a narrow page.
SPLIT = "display:flex;flex-wrap:wrap;gap:.8em;align-items:flex-start"
#: The overlay's figure and the column of cards, inside :data:`SPLIT`.
FIGURE = "flex:1 1 320px;margin:0"
SIDE = "flex:1 1 320px;min-width:0"
#: The list of region cards: each card shows its own number, so no list markers.
CARD_LIST = "list-style:none;margin:.4em 0;padding:0"
#: The overlay's source image, filling its frame (see :func:`image_frame_style`).
OVERLAY_IMAGE = "display:block;width:100%;height:auto"
#: A region's own image (ImagePng), never wider than the page.
REGION_IMAGE = "max-width:100%;height:auto"


def pct(part: float, whole: float) -> str:
    """``part`` as a percentage of ``whole``: ``pct(1, 8) == '12.5%'`` (2 decimals at most)."""
    value = f"{part * 100 / whole:.2f}".rstrip("0").rstrip(".")
    return f"{value}%"


def image_frame_style(width: int, margin: int = 0) -> str:
    """The box the overlay is drawn in: as wide as the image, never wider than the page.

    ``margin``: screen pixels kept free on its left for labels (see ``labels.py``).
    """
    return f"position:relative;max-width:{width}px" + (f";margin-left:{margin}px" if margin else "")


def canvas_style(width: int, height: int) -> str:
    """An empty canvas of the image's proportions (padding-top is a share of the width)."""
    return f"padding-top:{pct(height, width)};background-color:#8883"


#: A rectangle's border width in screen pixels (inside the rectangle: ``box-sizing``).
BOX_BORDER = 2


def box_style(x1: int, y1: int, x2: int, y2: int, width: int, height: int) -> str:
    """A region's rectangle over an image ``width`` x ``height``, in percentages of it."""
    return (
        f"position:absolute;left:{pct(x1, width)};top:{pct(y1, height)};"
        f"width:{pct(x2 - x1, width)};height:{pct(y2 - y1, height)};"
        f"border:{BOX_BORDER}px solid {ACCENT};box-sizing:border-box"
    )


_LABEL_LOOK = (
    f"padding:0 4px;border-radius:8px;background-color:{ACCENT};color:#fff;"
    f"font:bold 12px/{LABEL_HEIGHT}px sans-serif"
)


def label_style(spot: LabelSpot, y1: int, height: int) -> str:
    """A label's style at ``spot``, for a rectangle whose top is ``y1`` of ``height`` pixels.

    Above, left or right: a child of its rectangle, offset from the rectangle's padding box
    (``BOX_BORDER`` pixels inside its edges), with margins that put the label's edge exactly on
    the rectangle's outer edge. In the margin: a child of the image's frame (whatever the
    rectangle's size), its top level with the rectangle's, ``spot.offset`` pixels left of the
    image. Exact at any displayed size of the image.
    """
    b = BOX_BORDER
    if spot.side == "above":
        place = f"left:-{b}px;bottom:100%;margin-bottom:{b}px"
    elif spot.side == "left":
        place = f"right:100%;top:-{b}px;margin-right:{b}px"
    elif spot.side == "right":
        place = f"left:100%;top:-{b}px;margin-left:{b}px"
    else:
        place = f"right:100%;top:{pct(y1, height)};margin-right:{spot.offset}px"
    return f"position:absolute;{place};{_LABEL_LOOK}"
