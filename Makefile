# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test test-installed check-tracked lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

run: $(STAMP)
	$(BIN)/lucy-tui

# One pytest worker per core and one more: an app test spends part of its time waiting for
# Textual's next frame and a database test for PostgreSQL, so with one worker per core the
# cores were idle 14% of the run (2 cores: -n 2 301 s, 86% busy; -n 3 269 s, 95% busy).
WORKERS ?= $(shell $(PYTHON) -c 'import os; print(len(os.sched_getaffinity(0)) + 1)')

# The test suite, then the installed-app check. The server suite runs on SQLite and on a
# throwaway PostgreSQL cluster (tests/pg.py): .ci/install-postgresql finds PostgreSQL's
# server binaries (or installs them, as root with apt-get), and without them the suite fails
# instead of skipping. An idle worker takes tests queued for another (worksteal), so one
# long test at the end does not leave a core idle.
test: $(TEST_STAMP)
	bash .ci/install-postgresql
	LUCY_TEST_POSTGRESQL=required $(BIN)/python -m pytest -q -n $(WORKERS) --dist worksteal
	$(MAKE) test-installed

# Build the wheel, install it (not editable) into a fresh venv in a temp dir, and drive
# the installed app from outside the repository: client list, a client, all seven tabs.
test-installed:
	PYTHON=$(PYTHON) bash .ci/test-installed

# No build output, venv, cache or database tracked by git (CI runs it too).
check-tracked:
	bash .ci/check-tracked

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(TEST_STAMP)
	$(BIN)/python -m bench.api
	$(BIN)/python -m bench.app
	$(BIN)/python -m bench.failed
	$(BIN)/python -m bench.keyset

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis \
		.schemathesis
