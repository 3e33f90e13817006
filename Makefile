# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5006
# server processes (`panel serve --num-procs`): 1 (with the page pool, one process answers a
# class of 12 faster than two; more cores: several servers behind a sticky proxy, see DEPLOY.md)
PROCS  ?= 1
# pages built ahead per link while the server is quiet, handed to arriving students
# (dashboards/pool.py; 0: every page built on request)
POOL   ?= 12
ADDRESS ?= localhost
# the host:port that browsers use to reach the server (websocket origin check)
ORIGIN ?= localhost:$(PORT)

.PHONY: run test test-fast bench load lint screenshot clean install install-test

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[sweep]" --group test
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: $(VENV)/.installed
	LEARNING_PHASES_POOL=$(POOL) $(BIN)/panel serve app.py --address $(ADDRESS) --port $(PORT) --allow-websocket-origin $(ORIGIN) \
		--static-dirs assets=assets --global-loading-spinner --warm --liveness --num-procs $(PROCS) \
		--check-unused-sessions 5000 --unused-session-lifetime 15000 --session-token-expiration 300

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m "not ui and not slow"

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench

# simulated class room against served apps (about 6 minutes); e.g. make load ARGS="--servers 2"
load: $(VENV)/.installed-test
	$(BIN)/python -m bench.load $(ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet --group dev
	$(BIN)/ruff check .

screenshot: $(VENV)/.installed-test
	$(BIN)/python -m bench.screenshot assets/screenshot.png

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
