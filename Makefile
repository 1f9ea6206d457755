# Plan 375 weekly briefing suite. `make` alone lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# what is installed, one stamp per lock: the runtime (what a weekly report needs), the
# generator's extra (the synthetic sample), the development set (tests, gates, hooks, locks)
STAMP := $(VENV)/.installed
SYNTH_STAMP := $(VENV)/.installed-synth
DEV_STAMP := $(VENV)/.installed-dev
WEEK ?=
REPORT_LANG ?= vi
SCENARIO ?= sample
SCALE ?=
PYTEST_ARGS ?=
# the suite's processes (pytest-xdist): each builds its own sample once; 2 halves the wall time here
TEST_WORKERS ?= 2
WAIT ?=

# What a user types (WEEK="...", UNIT=..., an environment variable) reaches the shell as one
# single-quoted word, its own quotes escaped and its $(...) or `...` never expanded: neither by
# make (read through $(value)) nor by the shell; and it is not exported, since make would
# expand it on the way into the environment. Whatever it holds, it is one argument, which the
# command checks. `$(call arg,WEEK)` is the word; `$(call given,FORCE)` its raw value for tests.
USER_VARS := WEEK FROM REPORT_LANG SCENARIO SCALE STAGES RUNS RAW_DIR UNIT WAIT FORCE ACCEPT ANY_WEEK DRY_RUN CATP_RAW_DIR TEST_WORKERS UPGRADE
unexport $(USER_VARS)
arg = '$(subst ','\'',$(value $(1)))'
given = $(value $(1))
# CATP_RAW_DIR (real deliveries elsewhere) is not exported with the others: it is handed to the
# commands that read the deliveries as one quoted word in their environment.
raw_env = $(if $(call given,CATP_RAW_DIR),CATP_RAW_DIR=$(call arg,CATP_RAW_DIR))

.PHONY: help setup weekly-report send-packs forms send-forms collect-reports rotate-passwords test lab kernel sample-data eval bench lint format check lock clean

# the descriptions in one column after the longest target's name, wrapped at 100 characters
help: ## List the targets with one line each
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} \
	  {name[NR] = $$1; text[NR] = $$2; if (length($$1) > w) w = length($$1)} \
	  END {fmt = "  %-" w "s  %s\n"; room = 100 - w - 4; \
	    for (i = 1; i <= NR; i++) {n = split(text[i], word, " "); line = ""; label = name[i]; \
	      for (j = 1; j <= n; j++) { \
	        if (line != "" && length(line) + 1 + length(word[j]) > room) {printf fmt, label, line; label = ""; line = word[j]} \
	        else line = (line == "" ? word[j] : line " " word[j])} \
	      printf fmt, label, line}}'

# Each lock is complete and hashed (pip checks every file it downloads); the three agree on every
# version they share, so a later stamp only adds packages. `make lock` remakes them.
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "First run: installing the pinned packages into $(VENV) (a few minutes, once) ..."
	$(PY) -m pip install --quiet --upgrade pip
	@echo "  downloading and installing the runtime packages of requirements.lock (hashes checked) ..."
	$(PY) -m pip install --require-hashes -r requirements.lock
	@echo "  installing the suite itself and registering the Jupyter kernel catp375 ..."
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name catp375 --display-name "Python (CATP 375)" >/dev/null
	touch $(STAMP)

$(SYNTH_STAMP): $(STAMP) requirements-synth.lock
	@echo 'installing the generator extra (requirements-synth.lock)'
	$(PY) -m pip install --quiet --require-hashes -r requirements-synth.lock
	touch $(SYNTH_STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.lock
	@echo 'installing the development set (requirements-dev.lock): tests, ruff, mypy, hooks'
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $(DEV_STAMP)

setup: $(STAMP) ## Create .venv, install the pinned runtime, register the Jupyter kernel in .venv

kernel: $(STAMP) ## Register this checkout's kernel catp375 for a JupyterLab or VS Code installed elsewhere (user-level)
	$(PY) -m ipykernel install --user --name catp375 --display-name "Python (CATP 375)"

sample-data: $(SYNTH_STAMP) ## Generate the synthetic sample campaign into data/raw (skipped if deliveries exist)
	$(PY) -m synth --scenario sample --out data/raw --if-empty

# With CATP_RAW_DIR set the deliveries are elsewhere (real ones): never generate the sample there
# or into data/raw on the way.
SAMPLE_IF_NEEDED := $(if $(call given,CATP_RAW_DIR),$(STAMP),sample-data)

weekly-report: $(SAMPLE_IF_NEEDED) ## Build the week's briefing pack (WEEK=YYYY-MM-DD, REPORT_LANG=vi|en|"vi en", WAIT=1 queues behind a running one, FORCE=1 rebuilds what is unchanged too, ACCEPT=1 goes on past a file rejected whole, said on the cover, ANY_WEEK=1 builds a week after the campaign)
	$(raw_env) $(PY) -m helpers.runner --week $(call arg,WEEK) --lang $(call arg,REPORT_LANG) $(if $(filter-out 0,$(call given,WAIT)),--wait) $(if $(filter 1 true yes,$(call given,FORCE)),--force) $(if $(filter 1 true yes,$(call given,ACCEPT)),--accept) $(if $(filter 1 true yes,$(call given,ANY_WEEK)),--any-week)

send-packs: $(STAMP) ## E-mail each unit its pack (WEEK=; DRY_RUN=1 writes .eml files to outbox/; FORCE=1 resends all; UNIT=00008 only that unit)
	$(raw_env) $(PY) -m helpers.sending --week $(call arg,WEEK) $(if $(filter 1 true yes,$(call given,DRY_RUN)),--dry-run) $(if $(filter 1 true yes,$(call given,FORCE)),--force) $(if $(call given,UNIT),--units $(call arg,UNIT))

collect-reports: $(STAMP) ## Put the reports units returned by mail into the deliveries (FROM=folder of saved .eml files or a maildir; WEEK=YYYY-MM-DD for units' own workbooks); logged in <raw>/collect-log.csv
	$(PY) -m helpers.collect --from $(call arg,FROM) $(if $(call given,WEEK),--week $(call arg,WEEK)) $(if $(call given,CATP_RAW_DIR),--raw-dir $(call arg,CATP_RAW_DIR))

forms: $(STAMP) ## Write each unit's daily report form and organisations' review form for the period after WEEK's conference (reports/output/<week>/forms/; after make weekly-report)
	$(raw_env) $(PY) -m helpers.forms --week $(call arg,WEEK)

send-forms: $(STAMP) ## E-mail each unit its forms alone (WEEK=; DRY_RUN=1 writes .eml files to outbox-forms/; FORCE=1 resends all; UNIT=00008 only that unit)
	$(raw_env) $(PY) -m helpers.forms --send --week $(call arg,WEEK) $(if $(filter 1 true yes,$(call given,DRY_RUN)),--dry-run) $(if $(filter 1 true yes,$(call given,FORCE)),--force) $(if $(call given,UNIT),--units $(call arg,UNIT))

rotate-passwords: $(STAMP) ## New pack password for UNIT=00008 (several: UNIT="00008 00070"; UNIT=missing, UNIT=all); rebuild the packs after
	@test -n $(call arg,UNIT) || { echo 'name the unit: make rotate-passwords UNIT=00008' >&2; exit 2; }
	$(PY) -m helpers.packs rotate $(call arg,UNIT)

test: $(DEV_STAMP) ## Set up, then run the whole test suite (slow end-to-end tests included; TEST_WORKERS=1 in one process)
	$(PY) -m pytest $(if $(filter-out 0 1,$(call given,TEST_WORKERS)),-n $(call arg,TEST_WORKERS)) $(PYTEST_ARGS)

eval: $(SAMPLE_IF_NEEDED) $(SYNTH_STAMP) ## Score the reconciliation against the synthetic truth (WEEK=2025-11-23; WEEK=all: every delivery)
	$(raw_env) $(PY) -m measure.evaluate --week $(call arg,WEEK)

bench: $(SYNTH_STAMP) ## Floor, cold run per stage, whole, warm, unchanged and usual-week runs, then the targets (SCENARIO=sample|city, SCALE=0.1, STAGES=excel, RUNS=floor,cold,usual, RAW_DIR=)
	$(PY) -m measure.bench --scenario $(call arg,SCENARIO) $(if $(call given,SCALE),--scale $(call arg,SCALE)) $(if $(call given,STAGES),--stages $(call arg,STAGES)) $(if $(call given,RUNS),--runs $(call arg,RUNS)) $(if $(call given,RAW_DIR),--raw-dir $(call arg,RAW_DIR))

lab: $(STAMP) ## Open JupyterLab on the project kernel in notebooks/
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

lint: $(DEV_STAMP) ## Lint code and notebooks with ruff
	$(VENV)/bin/ruff check src tests notebooks tools

format: $(DEV_STAMP) ## Format code and notebooks with ruff
	$(VENV)/bin/ruff format src tests notebooks tools

check: $(DEV_STAMP) ## The quality gates CI runs before the tests: format, lint, types
	$(VENV)/bin/ruff format --check src tests notebooks tools
	$(VENV)/bin/ruff check src tests notebooks tools
	$(VENV)/bin/mypy

# pip-compile keeps each lock's pins unless UPGRADE names a package to take at its newest
LOCK_ARGS = --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links --no-emit-trusted-host $(if $(call given,UPGRADE),--upgrade-package $(call arg,UPGRADE))
lock: $(DEV_STAMP) ## Remake requirements.lock, requirements-synth.lock, requirements-dev.lock from pyproject.toml (UPGRADE=duckdb: that one newer)
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile $(LOCK_ARGS) -o requirements.lock pyproject.toml
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile $(LOCK_ARGS) --extra synth -o requirements-synth.lock pyproject.toml
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile $(LOCK_ARGS) --extra synth --extra dev -o requirements-dev.lock pyproject.toml

clean: ## Remove processed data and outputs (never data/raw)
	rm -rf data/processed/*/ data/processed/.*.staging-* data/processed/.*.old-* data/processed/.incremental/resume reports/output reports/bench
