# Watchword: the first two commands are `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean venv system-packages

venv: $(STAMP)

$(STAMP): host/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e 'host[dev]' --config-settings editable_mode=compat
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/watchword demo --out demo-out

test: $(STAMP) system-packages
	$(PY) -m pytest -q tests

# PostgreSQL and Chromium from Debian, for the verifier's store and browser tests.
system-packages:
	@bash .ci/system-packages

lint: $(STAMP)
	$(VENV)/bin/ruff check host tests firmware
	$(VENV)/bin/ruff format --check host tests
	$(VENV)/bin/mypy --config-file host/pyproject.toml host/watchword

clean:
	rm -rf $(VENV) demo-out .pytest_cache
