"""IPython side: OCRMagics, runner, badge, throttle, messages (imports any layer below widgets)."""
