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
# The demo's ports (make demo API_PORT=18000 DASHBOARD_PORT=18501).
API_PORT    ?= 8000
DASHBOARD_PORT ?= 8501
DRILLS      := load pg-outage sigkill fuzz hostile security audit schema-break spool-deleted copy-cut supervisor-kill slow-clients disconnects timestamps keys
export CREDIT_SCORING_HOME := $(HOME_DIR)
# When this make started: every pipeline step prints the time elapsed since then.
export MAKE_STARTED := $(shell date +%s)
STEP        = @echo "[make $$(printf '%4d' $$(($$(date +%s) - $(MAKE_STARTED))))s] $(1)"

.PHONY: help install lock data data-sample features train serve dashboard demo demo-keys demo-pipeline test test-full lint format bench drills $(addprefix drill-,$(DRILLS)) up clean

# Every target with a `## text` comment, in file order, and each drill from its `#: drill-…` line.
# A name longer than the column puts its text on the next line instead of overflowing.
help: ## Show this help
	@awk -v w=16 'BEGIN {FS = ":.*## "; \
	    printf "credit-scoring — make targets (in pipeline order; options as NAME=value):\n\n"} \
	  function row(name, text) { \
	    if (length(name) > w) printf "  %s\n  %-*s %s\n", name, w, "", text; \
	    else printf "  %-*s %s\n", w, name, text } \
	  /^#: drill-/ { line = substr($$0, 4); name = line; sub(/ .*/, "", name); \
	    text = substr(line, length(name) + 1); sub(/^ +/, "", text); row(name, text); next } \
	  /^drill-%:/ { next } \
	  /^[a-zA-Z_-]+:.*## / { row($$1, $$2) } \
	  END { printf "\nDemo ports: make demo API_PORT=%s DASHBOARD_PORT=%s; artefacts: HOME_DIR=%s\n", \
	    "$(API_PORT)", "$(DASHBOARD_PORT)", "$(HOME_DIR)" }' $(MAKEFILE_LIST)

$(VENV)/.synced: requirements.lock pyproject.toml
	@UV="$(UV)" PYTHON="$(PYTHON)" VENV="$(VENV)" bash scripts/install.sh
	@touch $@

install: $(VENV)/.synced ## Create/sync the locked environment in .venv

ROLES       := serve train dashboard spark

lock: ## Re-lock dependencies (requirements.lock: everything, for dev; requirements/<role>.lock per image)
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) pip compile --quiet --refresh pyproject.toml --all-extras --generate-hashes \
	  --python-version 3.11 -o requirements.lock
	@mkdir -p requirements
	@for role in $(ROLES); do \
	  echo "locking the $$role role → requirements/$$role.lock"; \
	  $(UV) pip compile --quiet pyproject.toml --extra $$role --generate-hashes \
	    --python-version 3.11 -c requirements.lock -o requirements/$$role.lock || exit 1; \
	done

data: install ## Generate a synthetic population (CLIENTS, SEED) and load it as validated Parquet
	$(call STEP,data: generating $(CLIENTS) + $(TEST_CLIENTS) synthetic clients (seed $(SEED)))
	$(CLI) data generate --clients $(CLIENTS) --test-clients $(TEST_CLIENTS) --seed $(SEED) --format parquet --out $(RAW_DIR)
	$(call STEP,data: loading $(RAW_DIR) against the data contract)
	$(CLI) data load $(RAW_DIR) --out $(DATA_DIR)

data-sample: install ## Load the real Home Credit sample as validated Parquet
	$(CLI) data load $(SAMPLE_DIR) --out $(HOME_DIR)/data/sample

features: install ## Build history + application features from DATA_DIR, publish the history store
	$(call STEP,features: building from $(DATA_DIR))
	$(CLI) features build $(DATA_DIR) --out $(FEATURES_DIR)
	$(call STEP,features: publishing the history store)
	$(CLI) features publish $(FEATURES_DIR)

train: install ## Train, evaluate and register the model on FEATURES_DIR (as a candidate)
	$(call STEP,train: cross-validate → calibrate → register on $(FEATURES_DIR))
	$(CLI) train $(FEATURES_DIR) --data-dir $(DATA_DIR)

serve: install ## Start the scoring API
	$(CLI) serve

dashboard: install ## Start the monitoring dashboard
	$(CLI) dashboard

# The demo signs its bundles with a key pair of its own (under HOME_DIR/demo/signing), requires
# signatures, and approves its model automatically, recorded as approved by "make demo".
DEMO_KEYS   := $(HOME_DIR)/demo/signing
demo demo-pipeline: export CREDIT_SCORING_AUTO_APPROVE_BY := make demo
demo demo-pipeline: export CREDIT_SCORING_SIGNING_KEY_FILE := $(DEMO_KEYS)/bundle-signing.pem
demo demo-pipeline: export CREDIT_SCORING_TRUSTED_PUBLIC_KEYS := $(DEMO_KEYS)/bundle-signing.pub
demo demo-pipeline: export CREDIT_SCORING_REQUIRE_SIGNED_BUNDLES := true

demo-keys: install ## The demo's bundle-signing key pair (HOME_DIR/demo/signing), made once
	@test -f $(DEMO_KEYS)/bundle-signing.pem || $(CLI) signing-key create \
	  --private $(DEMO_KEYS)/bundle-signing.pem --public $(DEMO_KEYS)/bundle-signing.pub

demo: demo-keys data features train ## data → features → train → register, then API + dashboard (API_PORT, DASHBOARD_PORT)
	$(call STEP,demo: pipeline done; starting the API and the dashboard)
	@CLI=$(CLI) PY=$(PY) DATA_DIR=$(DATA_DIR) DEMO_STARTED=$(MAKE_STARTED) \
	  CREDIT_SCORING_API_PORT=$(API_PORT) CREDIT_SCORING_DASHBOARD_PORT=$(DASHBOARD_PORT) \
	  bash scripts/demo-up.sh

demo-pipeline: demo-keys data features train ## The demo's pipeline only (no servers): data → features → train

lint: install ## ruff (lint + format check), mypy and the import layers (import-linter)
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: install ## Apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix $(LINT_PATHS)
	$(VENV)/bin/ruff format $(LINT_PATHS)

test: lint ## Lint, type-check and run the default test suite (< 15 min)
	$(PY) -m pytest

test-full: lint ## Also run slow and full-scale tests (incl. the slow README/docs examples)
	$(PY) -m pytest -m ""

bench: install ## Run every benchmark under benchmarks/ and print its figures
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

drills: install ## Reliability and security drills, full length (~10 min)
	$(PY) benchmarks/drills.py all

#: drill-load       one drill, full length: 4 clients for 60 s, every answer in the database
#: drill-pg-outage  PostgreSQL stopped for 20 s mid-load: no error, nothing lost
#: drill-sigkill    a worker SIGKILLed mid-load: every answered decision logged
#: drill-fuzz       schemathesis on every operation, ≥ 1,000 cases: no 5xx
#: drill-hostile    56 hostile payloads: a clear 4xx for each, API healthy after
#: drill-security   every route × bad/missing/revoked keys; logs clean; tampered bundle refused
#: drill-audit      pip-audit on requirements.lock (needs a vulnerability service)
#: drill-schema-break  a decisions column renamed while serving: not ready, classified, nothing lost
#: drill-spool-deleted spool files deleted mid-load: re-created, no answered decision lost
#: drill-copy-cut   database connections cut mid-COPY (proxy): the drain recovers, nothing lost
#: drill-supervisor-kill serve SIGKILLed: its workers exit, the port is free again
#: drill-slow-clients idle sockets, slow heads and bodies: closed by timeouts and the idle cap
#: drill-disconnects clients hanging up mid-body: counted, no 5xx, no ERROR
#: drill-timestamps extreme timestamps, upper-case ids, bad cursor: 4xx JSON echoing nothing
#: drill-keys       outcomes scope; a revoked key refused at once here, within 1 s elsewhere
drill-%: install
	$(PY) benchmarks/drills.py $*

up: ## Build and start API, dashboard, PostgreSQL and MLflow in containers (secrets from .env)
	docker compose up -d --build

clean: ## Remove generated artefacts (not the environment)
	rm -rf $(HOME_DIR) .pytest_cache .mypy_cache .ruff_cache
