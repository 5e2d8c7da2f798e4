# One task runner for the project. `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install browser axe ocr run test lint typecheck contracts pytest fuzz chaos bench migrate clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the locked dependencies

CHROMIUM ?= /usr/bin/chromium
browser: ## Install Debian's Chromium for the browser tests (needs root; skipped when present)
	@test -x $(CHROMIUM) || { apt-get install -y -q chromium >/dev/null 2>&1 \
		|| { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }; }
	@test -x $(CHROMIUM) && echo "chromium: $(CHROMIUM)"

AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	@command -v npm >/dev/null || apt-get install -y -q npm >/dev/null 2>&1 \
		|| { apt-get update -q >/dev/null && apt-get install -y -q npm >/dev/null; }
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $(AXE)

axe: $(AXE) ## Install axe-core (exact version in package-lock.json) for the accessibility checks

OCR_PACKAGES := tesseract-ocr tesseract-ocr-chi-sim fonts-wqy-zenhei
ocr: ## Install Debian's Tesseract with Simplified Chinese data, and a CJK font for the test scans
	@tesseract --list-langs 2>/dev/null | grep -qx chi_sim && test -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc \
		|| apt-get install -y -q $(OCR_PACKAGES) >/dev/null 2>&1 \
		|| { apt-get update -q >/dev/null && apt-get install -y -q $(OCR_PACKAGES) >/dev/null; }
	@tesseract --list-langs 2>/dev/null | grep -qx chi_sim && echo "tesseract: chi_sim"

WORKERS ?= $(GONGKAI_WORKERS)
run: $(STAMP) ## Run the engine on its embedded default (SQLite under ./data); WORKERS=N serve processes
	$(BIN)/python -m cli.main run $(if $(WORKERS),--workers $(WORKERS))

migrate: $(STAMP) ## Create or upgrade the configured database
	$(BIN)/python -m cli.main migrate

test: $(STAMP) browser axe ocr lint typecheck contracts pytest ## Install everything and run every check and test

lint: $(STAMP) ## ruff: lint and formatting
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) ## mypy (strict on policies/ and services/)
	$(BIN)/mypy policies models services config api workflows cli

contracts: $(STAMP) ## import-linter: layers and pure policies
	$(BIN)/lint-imports

pytest: $(STAMP) ## The test suite (SQLite, plus PostgreSQL when reachable)
	$(BIN)/pytest --cov=policies --cov-branch --cov-report=term-missing:skip-covered $(PYTEST_ARGS)

FUZZ_TESTS := tests/policies/test_properties.py tests/services/test_publication_properties.py \
	tests/api/test_fuzzed.py
fuzz: $(STAMP) ## Property tests at 10,000 examples each, schemathesis at ~10,000 cases (SQLite)
	HYPOTHESIS_PROFILE=fuzz GONGKAI_FUZZ_EXAMPLES=320 $(BIN)/pytest -p no:cacheprovider \
		--hypothesis-show-statistics $(FUZZ_TESTS)

CHAOS_DOCUMENTS ?= 60
CHAOS_KILLS ?= 40
chaos: $(STAMP) ## The chaos test: 3 workers, CHAOS_DOCUMENTS documents, CHAOS_KILLS kill -9
	GONGKAI_CHAOS_DOCUMENTS=$(CHAOS_DOCUMENTS) GONGKAI_CHAOS_KILLS=$(CHAOS_KILLS) \
		$(BIN)/pytest -p no:cacheprovider -s tests/workflows/test_chaos.py

bench: $(STAMP) ## Run the benchmarks (not part of the test suite)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean: ## Remove the virtual environment and caches (keeps ./data)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
