# Watchword: the first two commands are `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean venv system-packages

venv: $(STAMP)

# The first run creates .venv and installs from PyPI, with pip's own progress: a minute or two.
$(STAMP): host/pyproject.toml
	@echo "==> Creating $(VENV) and installing Watchword and its test tools (once; a minute or two)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --progress-bar on --upgrade pip
	$(PY) -m pip install --progress-bar on -e 'host[dev]' --config-settings editable_mode=compat
	touch $(STAMP)
	@echo "==> $(VENV) is ready"

demo: $(STAMP)
	@echo "==> The demo: an emulated token, its screens printed here and saved under demo-out/"
	$(VENV)/bin/watchword demo --out demo-out

test: $(STAMP) system-packages
	$(PY) -m pytest -q -rs tests  # -rs: each skipped test and why

# PostgreSQL and Chromium from Debian, for the verifier's store and browser tests.
system-packages:
	@bash .ci/system-packages

lint: $(STAMP)
	$(VENV)/bin/ruff check host tests firmware bench
	$(VENV)/bin/ruff format --check host tests bench
	$(VENV)/bin/mypy --config-file host/pyproject.toml host/watchword

clean:
	rm -rf $(VENV) demo-out .pytest_cache

# The firmware against every board's MicroPython stubs (pyright), the newest release's and the
# oldest supported (1.23; the Pico 2's is 1.24), so that nothing a port lacks is called;
# `make test` checks rp2 and esp32. Stubs are cached in build/typecheck/.
.PHONY: typecheck-firmware
typecheck-firmware: $(STAMP)
	$(PY) -m watchword.tools.typecheck_firmware --port all
	$(PY) -m watchword.tools.typecheck_firmware --port rp2,esp32,pico,esp32s3 --stubs-version 1.23.0.post2
	$(PY) -m watchword.tools.typecheck_firmware --port pico2 --stubs-version 1.24.1.post2

# Figures against docs/DESIGN.md's budgets into bench/results.md (and README's table); never a
# test. `make bench BENCH_ARGS=--with-test-time` also times `make test`.
bench: $(STAMP)
	$(PY) bench/run.py --readme $(BENCH_ARGS)

# The random sequences of tests/stateful for SOAK_MINUTES (default 10), then what they
# covered, printed and written to bench/results.md; `make test` runs a fixed budget of them.
SOAK_MINUTES ?= 10
.PHONY: soak
soak: $(STAMP)
	PYTHONPATH=tests $(PY) -m stateful.soak --minutes $(SOAK_MINUTES)

# Every screen recorded by `pytest tests --ui=record` as a PNG, for the README.
.PHONY: gallery
gallery: $(STAMP)
	$(PY) -m watchword.gallery

# The firmware in the MicroPython unix port, heap capped, chips co-simulated: the whole
# end-to-end suite (`make test` runs a subset there), and the heap a full session needs.
.PHONY: test-mpy bench-heap
test-mpy: $(STAMP)
	$(PY) -m pytest -q tests/e2e --target mpy

# The Pico's own firmware image on an emulated RP2040 (rp2040js): the whole end-to-end
# suite (`make test` runs a subset there). Builds the debug image first if it is stale.
.PHONY: test-rp2040
test-rp2040: $(STAMP) system-packages
	$(PY) -m pytest -q tests/e2e --target rp2040

bench-heap: $(STAMP)
	$(PY) -m watchword.sim.cosim.session --search

# Real boards: `make build BOARD=pico [DEBUG=1]`, `make flash BOARD=pico PORT=/dev/ttyACM0 [DEBUG=1]`
# (IMAGE=1: the UF2 of `make image`, through the boot ROM),
# `make hil PORT=/dev/ttyACM0 DEBUG_PORT=/dev/ttyUSB0 [NO_OPERATOR=1]` (a debug build on the
# board), `make docs`.
BOARD ?= pico
WW_DEBUG_FLAG = $(if $(filter 1 yes true,$(DEBUG)),--debug)
.PHONY: build flash hil docs image

# MicroPython (pinned) with the firmware frozen in: build/pico/firmware.uf2, or with DEBUG=1
# build/pico/debug/firmware.uf2 (the one `watchword sim --rp2040` runs). Needs the ARM
# toolchain (.ci/system-packages); without GitHub, WATCHWORD_MICROPYTHON_SRC names the source.
image: $(STAMP)
	$(VENV)/bin/watchword image --board $(BOARD) $(WW_DEBUG_FLAG)

build: $(STAMP)
	$(VENV)/bin/watchword build --board $(BOARD) $(WW_DEBUG_FLAG)

flash: $(STAMP)
	$(VENV)/bin/watchword flash --board $(BOARD) $(if $(PORT),--port $(PORT)) $(WW_DEBUG_FLAG) \
		$(if $(filter 1 yes true,$(IMAGE)),--image)

hil: $(STAMP)
	$(PY) -m pytest -q tests/e2e --target serial $(if $(PORT),--port $(PORT)) \
		$(if $(DEBUG_PORT),--debug-port $(DEBUG_PORT)) $(if $(NO_OPERATOR),--no-operator)

docs: $(STAMP)
	$(VENV)/bin/watchword hardware docs
