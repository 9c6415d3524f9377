# The README's two commands: `make demo` and `make test`. Everything they need is installed here.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench lab clean system-deps

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -U "pip>=25.1"

# Reinstall when the project's metadata changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[emulator,pandas]' --group dev
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m ocr_notebook.demo
	$(BIN)/python scripts/run_notebook.py notebooks/quickstart.ipynb --out build

# JupyterLab on the notebooks, on this machine only (open the URL it prints).
lab: $(STAMP)
	$(BIN)/jupyter lab --ip=127.0.0.1 --no-browser --ServerApp.root_dir=notebooks

# lint-imports checks the layering contracts in pyproject.toml (README: Architecture).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# Debian's Chromium for the browser tests (Playwright drives it; never `playwright install`).
# Installed only when missing, as root or with password-less sudo; otherwise the browser
# tests say loudly that they were skipped (and fail under CI=true).
CHROMIUM := /usr/bin/chromium
APT_PKGS := chromium fonts-dejavu-core
system-deps:
	@if [ -x $(CHROMIUM) ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
	else echo "*** $(CHROMIUM) missing and no root: run 'sudo apt-get install $(APT_PKGS)' for the browser tests"; exit 0; fi; \
	echo "Installing $(APT_PKGS) with apt-get"; \
	$$SUDO apt-get update -q && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $(APT_PKGS)

pytest: $(STAMP) system-deps
	$(BIN)/python -m pytest

test: lint typecheck pytest

# Performance figures of issue 6 against the emulator (a few minutes): benchmarks/results.md.
bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
