# panhuo — the two commands users need are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OUT := out/demo
SAMPLE := data/sample

.PHONY: venv sysdeps demo test test-fast lint bench bench-api sample clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,server]'
	touch $(STAMP)

sample: $(STAMP)
	$(PY) data/make_sample.py --out $(SAMPLE)

demo: sample
	$(PY) data/run_demo.py --sample $(SAMPLE) --out $(OUT)

test: $(STAMP) sysdeps
	$(PY) -m pytest

test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy geo optimizer maps panhuo api

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,server,bench]'
	$(PY) bench/run_all.py

bench-api: $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,server,bench]'
	$(PY) bench/run_all.py --only load_api.py fault_api.py drills_api.py schemathesis_api.py

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache

sysdeps:
	bash .ci/sysdeps.sh
