# Two entry points: `make run` (the service on SQLite, local files) and `make test` (the suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := app

.PHONY: messages run test install install-test assets translations chromium worker bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed assets translations
install-test: $(VENV)/.installed-test assets translations chromium

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# USWDS is served from static/, never from a CDN, and never committed.
static/vendor/uswds/.copied: node_modules/.installed
	rm -rf static/vendor/uswds
	mkdir -p static/vendor/uswds
	cp -r node_modules/@uswds/uswds/dist/css node_modules/@uswds/uswds/dist/js \
	      node_modules/@uswds/uswds/dist/fonts node_modules/@uswds/uswds/dist/img static/vendor/uswds/
	touch $@

assets: static/vendor/uswds/.copied

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations

chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

run: install
	mkdir -p instance/uploads
	$(BIN)/flask db upgrade
	ASSIST_DEMO=1 $(BIN)/flask demo --if-empty
	ASSIST_DEMO=1 PORT=$(PORT) $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

worker: install
	$(BIN)/flask worker

# Benchmarks at scale are not part of `make test`.
bench: install-test
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) node_modules static/vendor instance

# Developers: after changing user-facing text, refresh the catalogues, translate the new
# Spanish entries in translations/es/LC_MESSAGES/messages.po (a test fails while any is missing).
I18N_SOURCES := app.py core auth accounts documents notices applications eligibility rebates review reports templates
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  -o translations/messages.pot $(wildcard $(I18N_SOURCES))
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching
