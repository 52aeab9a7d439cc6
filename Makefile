# The README's commands: `make run` and `make test`. Needs only python3 (>= 3.11), its venv
# module (Debian/Ubuntu: python3-venv) and make. Extra arguments go in ARGS=, e.g.
#   make test ARGS='-k routing -x'      make run ARGS='--port 8080'

PYTHON ?= python3
VENV   ?= .venv
ARGS   ?=
STAMP  := $(VENV)/.installed

.PHONY: help venv run test lint bench clean lock

help:
	@echo "make run    start the hotline here (web, log workers, Redis, SQLite)"
	@echo "make test   run the test suite (ARGS='...' is passed to pytest)"
	@echo "make lint   ruff, the import contracts (lint-imports) and mypy; make test runs it first"
	@echo "make bench  the benchmarks, one table (ARGS=--quick for a one-minute run)"
	@echo "make venv   create $(VENV) and install hotline into it"
	@echo "make lock   write requirements.lock and requirements-dev.lock from pyproject.toml"

venv: $(STAMP)

# Reinstalled only when pyproject.toml or the lock changes; `make clean` forces a fresh venv.
$(STAMP): pyproject.toml requirements-dev.lock
	@PYTHON="$(PYTHON)" VENV="$(VENV)" bash scripts/ensure-venv
	@touch $@

run: venv
	$(VENV)/bin/hotline run $(ARGS)

# Twilio's Node helper library, the tests' reference for TwiML definitions and signatures.
NODE_STAMP := tests/node/node_modules/.package-lock.json
$(NODE_STAMP): tests/node/package.json tests/node/package-lock.json
	npm ci --prefix tests/node --no-audit --no-fund

# pytest exits 5 when it ran no tests: a selection that matches nothing must not pass.
test: lint $(NODE_STAMP)
	@$(VENV)/bin/python scripts/check_test_services.py
	@$(VENV)/bin/python -m pytest -q $(ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest ran no tests; failing" >&2; exit 1; fi; \
	exit $$status

bench: venv
	$(VENV)/bin/python bench/run.py $(ARGS)

# The layering is a contract: a wrong import arrow fails here, before any test runs.
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

# After a dependency changed in pyproject.toml (ARGS=--upgrade: everything to the newest).
lock:
	PYTHON="$(PYTHON)" bash scripts/lock $(ARGS)

clean:
	rm -rf $(VENV)
