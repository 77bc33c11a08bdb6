# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test test-fast test-services test-browser-deps lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install Broadsheet with its test tools

demo: $(STAMP)  ## serve the offline demo sites, crawl them, then browse the archive on :8001
	$(BIN)/broadsheet demo

test: $(STAMP) test-services test-browser-deps  ## the whole suite, end-to-end crawls included
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# System packages the tests need (a real redis-server for distributed mode), from Debian's
# archive. Installed only when missing; needs root or sudo, as on CI.
test-services:
	@command -v redis-server >/dev/null || { \
		echo "installing redis-server"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq redis-server >/dev/null; }

test-fast: $(STAMP)  ## everything except the end-to-end crawls
	$(BIN)/python -m pytest -m "not e2e"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) data/demo .pytest_cache

# Debian's Chromium for tests/test_browser.py: Playwright drives it, no browser download.
test-browser-deps:
	@command -v chromium >/dev/null || { \
		echo "installing chromium"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }
