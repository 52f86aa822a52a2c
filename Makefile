PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install system-packages lock dev test lint typecheck pytest chaos bench schemas histories \
	ui screenshots clean

# Everything from the lockfile, hashes checked; then the project and its tools (tools/), editable.
# PYTHONWARNINGS: setuptools warns about every editable install of a folder-named package.
$(STAMP): pyproject.toml tools/pyproject.toml requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.txt
	PYTHONWARNINGS=ignore $(BIN)/pip install --quiet --no-deps -e . -e tools
	touch $(STAMP)

install: $(STAMP)  ## create .venv: the project, its tools and dev tools, pinned by requirements/

system-packages:  ## the system packages some tests need (apt-get, as root; see the script)
	tools/system-packages

# requirements/dev.txt pins everything `make install` installs (all extras); runtime.txt pins the
# runtime alone, at the same versions, for the Docker image. After a change to pyproject.toml:
# `make lock` (pins what changed, keeps the rest); `make lock UPGRADE=1` moves every pin to the
# newest release.
LOCK := $(BIN)/uv pip compile pyproject.toml --universal --generate-hashes --python-version 3.11 -q
lock: $(STAMP)  ## pin the dependencies again after a change to pyproject.toml (UPGRADE=1: all)
	$(LOCK) --extra dev $(if $(UPGRADE),--upgrade) -o requirements/dev.txt
	$(LOCK) -c requirements/dev.txt -o requirements/runtime.txt

dev: $(STAMP)  ## run the whole local stack (Ctrl-C stops it)
	$(BIN)/orders dev

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) system-packages
	$(BIN)/pytest

test: lint typecheck pytest  ## ruff, mypy and the whole test suite on real servers

CHAOS_ROUNDS ?= 3
CHAOS_ORDERS_PER_FAULT ?= 20
PROTOCOL_EXAMPLES ?= 30
PROTOCOL_STEPS ?= 40
chaos: $(STAMP)  ## the chaos suite's long form: more rounds of faults, more orders each, more protocol examples
	CHAOS_ROUNDS=$(CHAOS_ROUNDS) CHAOS_ORDERS_PER_FAULT=$(CHAOS_ORDERS_PER_FAULT) \
		PROTOCOL_EXAMPLES=$(PROTOCOL_EXAMPLES) PROTOCOL_STEPS=$(PROTOCOL_STEPS) \
		$(BIN)/pytest -m chaos -o log_cli=true -o log_cli_level=WARNING

BENCH_COUNT ?= 100
BENCH_ARGS ?= --rounds 3 -c 1 -c 8
bench: $(STAMP)  ## throughput and latency on a fresh stack against the no-op limit (docs/benchmarks.md)
	$(BIN)/orders bench --count $(BENCH_COUNT) $(BENCH_ARGS)

schemas: $(STAMP)  ## regenerate schemas/events/*.json from the event models
	$(BIN)/python -m orders.schemas

histories: $(STAMP)  ## re-record tests/replay/histories/*.json from real runs on a fresh stack
	$(BIN)/python -m tests.replay.generate

ARTIFACTS ?= $(or $(ORDERS_TEST_ARTIFACTS),.data/test-artifacts)
SCREENSHOTS := list-completed order-completed order-compensated order-compensated-timeline \
	order-cancelled
ui: $(STAMP)  ## the Web UI tests in headless Chromium; screenshots land in $(ARTIFACTS)/ui
	$(BIN)/pytest tests/ui -q

screenshots: ui  ## refresh the README's images in docs/images/ from a run of the Web UI tests
	mkdir -p docs/images
	for name in $(SCREENSHOTS); do cp $(ARTIFACTS)/ui/$$name.png docs/images/; done

clean:
	rm -rf $(VENV) .data .mypy_cache .ruff_cache .pytest_cache
