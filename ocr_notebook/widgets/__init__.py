"""User-facing widgets such as OCRFetchWidget (may import every other layer but the emulator)."""
