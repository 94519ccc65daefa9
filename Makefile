# Regiozorg developer commands.
#
#   make run    - install, migrate, seed demo data, serve on http://127.0.0.1:8000 (PORT=8080: there)
#   make test   - install, run the test suite (extra pytest args: make test ARGS="-k foo -x")
#   make screenshots - redo docs/screenshots/ (the README's pictures) from a temporary demo site
#
# Everything runs from the uv-managed virtualenv in .venv. uv itself is taken from PATH;
# if it is not there it is installed (pinned) into .tools/ with the system python3.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Never let uv download a Python build: use the interpreter that is on the machine.
export UV_PYTHON_DOWNLOADS := never

UV_VERSION ?= 0.13.8
PYTHON3    ?= python3
TOOLS_DIR  := .tools
# uv from PATH if present, else the pinned copy in .tools/ (created by the `uv` target).
UV := $(or $(shell uv --version >/dev/null 2>&1 && command -v uv),$(CURDIR)/$(TOOLS_DIR)/bin/uv)
VENV_BIN := .venv/bin
PY  := $(VENV_BIN)/python
MANAGE := $(PY) manage.py
ARGS ?=
# make run: the port to serve on, and the embedded mode (DEBUG off, Dutch error pages, static
# files as in production, development keys; regiozorg/settings.py). E-mailed links point here.
PORT ?= 8000
SITE_URL ?= http://127.0.0.1:$(PORT)
EMBEDDED_ENV = EMBEDDED=true SITE_URL=$(SITE_URL)

.PHONY: help uv install run test lint fmt messages worker beat ci screenshots

help: ## Show this help
	@echo "Regiozorg make targets:"
	@grep -E '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) | sort | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  make %-11s %s\n", $$1, $$2}'

# The single place where uv is bootstrapped.
uv: ## Make sure uv is available (installs the pinned uv into .tools/ if missing)
	@if ! "$(UV)" --version >/dev/null 2>&1; then \
		echo "uv not found on PATH; installing uv==$(UV_VERSION) into $(TOOLS_DIR)/"; \
		$(PYTHON3) -m venv $(TOOLS_DIR) && \
		$(TOOLS_DIR)/bin/pip install -q "uv==$(UV_VERSION)"; \
	fi

install: uv ## Create/refresh .venv exactly from uv.lock (incl. dev tools)
	"$(UV)" sync --frozen

run: install ## Migrate, load demo data and serve on http://127.0.0.1:$(PORT) (SQLite, no Redis)
	mkdir -p var
	$(EMBEDDED_ENV) $(MANAGE) migrate --noinput
	$(EMBEDDED_ENV) $(MANAGE) collectstatic --noinput --verbosity 0
	$(EMBEDDED_ENV) $(MANAGE) demo_seed
	exec env $(EMBEDDED_ENV) $(MANAGE) serve --host 127.0.0.1 --port $(PORT)

test: install ## Run the test suite; extra pytest arguments via ARGS="..."
	$(VENV_BIN)/pytest $(ARGS)

lint: install ## ruff check + ruff format --check + lint-imports (the floors)
	$(VENV_BIN)/ruff check .
	$(VENV_BIN)/ruff format --check .
	$(VENV_BIN)/lint-imports --no-cache

fmt: install ## Fix what ruff can fix and format the code
	$(VENV_BIN)/ruff check --fix .
	$(VENV_BIN)/ruff format .

messages: install ## Update locale/nl .po files and compile them to .mo (needs gettext)
	$(MANAGE) makemessages -l nl --ignore=.venv --ignore=$(TOOLS_DIR) --ignore=static/vendor --ignore=var
	$(MANAGE) compilemessages --ignore=.venv --ignore=$(TOOLS_DIR)

worker: install ## Celery worker (only useful with REDIS_URL set; without it tasks run eagerly)
	exec $(VENV_BIN)/celery -A regiozorg worker -l info

beat: install ## Celery beat scheduler (only useful with REDIS_URL set)
	mkdir -p var
	exec $(VENV_BIN)/celery -A regiozorg beat -l info --schedule var/celerybeat-schedule

screenshots: install ## Redo docs/screenshots/ (own temporary site and database; needs Chromium)
	$(PY) tools/screenshots.py

ci: ## Run the full CI script (.ci/run) locally
	bash .ci/run
