# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test check lint bench clean

install: $(STAMP)

# torch is pinned in pyproject.toml: an unpinned torch would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: install
	$(BIN)/qa serve

# The whole suite: the real model, the browser, PostgreSQL and the slow scenarios included.
test: install
	$(BIN)/pytest -q

# Before a commit: lint, then the fast tests (fake embedder, no browser, no PostgreSQL, no subprocess
# servers), on two processes (pytest-xdist): each test has its own folders and no fixed port.
check: lint
	$(BIN)/pytest -q -n 2 -m "not model and not browser and not postgres and not slow"

lint: install
	$(BIN)/ruff check qa index api tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench.quality

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
