"""``make bench``: the performance figures of issue 6, measured side by side in one run.

Run ``python -m benchmarks`` (``--quick`` for a smoke run). Every figure is measured against
the emulator on loopback, with the emulator in its own process so the client figures are
not slowed by sharing a GIL with the server. See ``benchmarks/results.md`` for the latest.
"""
