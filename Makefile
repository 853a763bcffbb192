# credit-scoring — the pipeline's table of contents. `make` prints this help.
# Every target bootstraps its own locked environment (uv + the system Python).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON      ?= python3
VENV        ?= .venv
PY          := $(VENV)/bin/python
CLI         := $(VENV)/bin/credit-scoring
export UV_PYTHON_DOWNLOADS := never
UV          := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")

# Where the pipeline writes (override on the command line: make demo HOME_DIR=/tmp/cs).
HOME_DIR    ?= artifacts
CLIENTS     ?= 50000
TEST_CLIENTS ?= 8000
SEED        ?= 42
RAW_DIR     ?= $(HOME_DIR)/raw/synthetic
DATA_DIR    ?= $(HOME_DIR)/data/synthetic
FEATURES_DIR ?= $(HOME_DIR)/features/synthetic
SAMPLE_DIR  ?= ../shared/data/homecredit_sample
LINT_PATHS  := $(wildcard src tests benchmarks)
export CREDIT_SCORING_HOME := $(HOME_DIR)

.PHONY: help install lock data data-sample features train serve dashboard demo demo-pipeline test test-full lint format bench drills up clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "; printf "credit-scoring — make targets (in pipeline order):\n"} \
	  /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.synced: requirements.lock pyproject.toml
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --python $(PY) requirements.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	@touch $@

install: $(VENV)/.synced ## Create/sync the locked environment in .venv

lock: ## Re-lock dependencies from pyproject.toml (hashes, no registry addresses)
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) pip compile --quiet --refresh pyproject.toml --all-extras --generate-hashes \
	  --python-version 3.11 -o requirements.lock

data: install ## Generate a synthetic population (CLIENTS, SEED) and load it as validated Parquet
	$(CLI) data generate --clients $(CLIENTS) --test-clients $(TEST_CLIENTS) --seed $(SEED) --format parquet --out $(RAW_DIR)
	$(CLI) data load $(RAW_DIR) --out $(DATA_DIR)

data-sample: install ## Load the real Home Credit sample as validated Parquet
	$(CLI) data load $(SAMPLE_DIR) --out $(HOME_DIR)/data/sample

features: install ## Build history + application features from DATA_DIR, publish the history store
	$(CLI) features build $(DATA_DIR) --out $(FEATURES_DIR)
	$(CLI) features publish $(FEATURES_DIR)

train: install ## Train, evaluate and register the model on FEATURES_DIR
	$(CLI) train $(FEATURES_DIR) --data-dir $(DATA_DIR)

serve: install ## Start the scoring API
	$(CLI) serve

dashboard: install ## Start the monitoring dashboard
	$(CLI) dashboard

demo: data features train ## End to end: data → features → train → register, then API + dashboard up
	@CLI=$(CLI) PY=$(PY) DATA_DIR=$(DATA_DIR) bash scripts/demo-up.sh

demo-pipeline: data features train ## The demo's pipeline only (no servers): data → features → train

lint: install ## ruff (lint + format check) and mypy on the package
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)
	$(VENV)/bin/mypy

format: install ## Apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix $(LINT_PATHS)
	$(VENV)/bin/ruff format $(LINT_PATHS)

test: lint ## Lint, type-check and run the default test suite (< 15 min)
	$(PY) -m pytest

test-full: lint ## Also run slow and full-scale tests
	$(PY) -m pytest -m ""

bench: install ## Run every benchmark under benchmarks/ and print its figures
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

drills: install ## Reliability and security drills, full length (~10 min); one: make drill-load|drill-pg-outage|drill-sigkill|drill-fuzz|drill-hostile|drill-security|drill-audit
	$(PY) benchmarks/drills.py all

drill-%: install ## One drill: drill-load | drill-pg-outage | drill-sigkill | drill-fuzz | drill-hostile | drill-security | drill-audit
	$(PY) benchmarks/drills.py $*

up: ## Build and start API, dashboard, PostgreSQL and MLflow in containers (secrets from .env)
	docker compose up -d --build

clean: ## Remove generated artefacts (not the environment)
	rm -rf $(HOME_DIR) .pytest_cache .mypy_cache .ruff_cache
