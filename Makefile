# cucm-lab: two commands do all the set-up on a fresh clone.
#   make run   creates .venv, installs, starts the default lab
#   make test  creates .venv if needed, installs, lints and runs the suite

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint check bench docs clean

$(STAMP): pyproject.toml
	@# Browser tests drive Debian's Chromium; install it where we can (root).
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
		|| echo "Chromium not installed: the browser tests will be skipped"; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/cucm-lab serve

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

check: $(STAMP)
	$(PY) -m pytest -q

test: lint check

bench: $(STAMP)
	$(PY) benchmarks/reset.py
	$(PY) benchmarks/startup.py

docs: $(STAMP)
	$(PY) -m emulator.approximations --write docs/approximations.md

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
