"""Helpers shared by the tests: one fake clock, the test emulators, fault cases, notebook
shells, rendering audits and the package's import graph (a module each)."""
