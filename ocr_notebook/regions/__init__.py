"""Regions of a scanned page: images and region templates (imports results and wire only)."""
