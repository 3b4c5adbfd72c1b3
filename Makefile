# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint bench clean

install: $(STAMP)

# torch is pinned in pyproject.toml: an unpinned torch would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: install
	$(BIN)/qa serve

test: install
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check qa index api tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/quality.py

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
