# wirlearn: `make run` serves the demo, `make test` runs every test. Both work from a fresh clone.

PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wirlearn
PORT ?= 5000
# One test process per core (pytest-xdist), each with its own database; PYTEST_ARGS="-n 0" runs in one.
PYTEST_ARGS ?= -n auto

.PHONY: run test install install-dev translations verifiers lint format bench mutation clean help

help:
	@echo "make run    install, migrate, seed the demo and serve http://127.0.0.1:$(PORT)"
	@echo "make test   install and run the whole test suite"
	@echo "make lint   ruff and bandit"
	@echo "make bench  benchmarks against bare Flask on this machine"
	@echo "make mutation  mutation score of the rule modules (slow; MUTATION_ARGS=wirlearn/core/access.py)"

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

install: $(VENV)/.runtime-installed

install-dev: $(VENV)/.dev-installed

translations: $(VENV)/.runtime-installed
	$(PY) tools/i18n.py compile

# The worker (mail, reminders, scheduled jobs) runs beside the development server and stops with
# it; without a mail server every message lands in instance/mail/*.eml.
run: install translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@echo ""
	@echo "wirlearn läuft auf http://127.0.0.1:$(PORT)  (Beenden mit Strg+C)"
	@echo "E-Mails: instance/mail/*.eml (ohne Mailserver werden sie dort abgelegt)"
	@$(FLASK) worker --poll 3 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(FLASK) run --host 127.0.0.1 --port $(PORT)

# Independent credential verifiers (npm jose, a Bitstring Status List decoder), pinned by the lock file.
VERIFIERS := tests/verifiers
$(VERIFIERS)/node_modules/.installed: $(VERIFIERS)/package.json $(VERIFIERS)/package-lock.json
	cd $(VERIFIERS) && npm ci --no-audit --no-fund
	touch $@

verifiers: $(VERIFIERS)/node_modules/.installed

test: install-dev translations verifiers
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -q -c pyproject.toml -r wirlearn config.py

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install-dev translations
	$(PY) -m bench

# mutmut 3 over the modules in [tool.wirlearn.mutation.modules] (pyproject.toml), each with its own
# fast tests; prints the score per module and writes docs/mutation-survivors.md. Not part of .ci/run.
MUTATION_ARGS ?=
mutation: install-dev translations
	$(PY) tools/mutation.py $(MUTATION_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache mutants
