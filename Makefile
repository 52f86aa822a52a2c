PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install dev test lint typecheck pytest chaos bench schemas histories ui screenshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the project with its dev tools

dev: $(STAMP)  ## run the whole local stack (Ctrl-C stops it)
	$(BIN)/orders dev

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
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
bench: $(STAMP)  ## throughput and latency on a fresh stack against the no-op limit (BENCHMARKS.md)
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
