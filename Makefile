# Helpdesk: `make run` serves the demo, `make test` runs the whole suite.
VENV ?= .venv
PYTHON ?= python3
PORT ?= 5000
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app

.PHONY: run test bench lint audit loadtest clean translations catalogues

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

instance/secret_key:
	mkdir -p instance
	umask 077 && $(BIN)/python -c "import secrets; print(secrets.token_hex(32))" > $@
	chmod 600 $@

# The .po catalogues are committed; the .mo files are built from them.
catalogues: $(VENV)/.installed
	$(BIN)/python scripts/translations.py compile

# After adding strings: extract, merge into translations/*/messages.po, compile, list what is left.
translations: $(VENV)/.installed
	$(BIN)/python scripts/translations.py

run: $(VENV)/.installed instance/secret_key catalogues
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: $(VENV)/.installed catalogues
	$(BIN)/python scripts/run_tests.py

bench: $(VENV)/.installed
	$(BIN)/python scripts/bench.py

audit: $(VENV)/.installed
	$(BIN)/python scripts/audit.py

loadtest: $(VENV)/.installed
	$(BIN)/python scripts/loadtest.py

lint: $(VENV)/.installed
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
