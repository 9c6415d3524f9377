"""Pure renderers to escaped HTML/text (imports results, wire; no client, IPython, widgets)."""
