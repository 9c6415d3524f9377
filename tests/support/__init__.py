"""Helpers shared by the tests: fake clocks, emulator fixtures, fault cases, notebook shells."""
