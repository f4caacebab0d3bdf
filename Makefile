# KoyaLite developer commands. `make serve` and `make test` do all set-up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install static js-test-deps browser serve test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Deno's bundler (esbuild, from npm) beside the environment, so that
# `koyalite functions deploy` needs no network.
BUNDLER_STAMP := $(VENV)/share/koyalite/deno/.installed

$(BUNDLER_STAMP): $(STAMP) edge_functions/bundler.py
	$(BIN)/python -m edge_functions.bundler
	touch $(BUNDLER_STAMP)

install: $(STAMP) $(BUNDLER_STAMP)

# The Studio's browser libraries (pinned in frontend/package-lock.json) bundled
# into static/vendor, then every static file hashed and compressed into
# staticfiles/ for `koyalite serve` to serve.
STATIC_STAMP := staticfiles/staticfiles.json
STATIC_SOURCES := $(shell find static frontend/src frontend/build.mjs frontend/package-lock.json -type f -not -path 'static/vendor/*' 2>/dev/null)

$(STATIC_STAMP): $(STAMP) $(STATIC_SOURCES)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && node build.mjs
	KOYALITE_JWT_SECRET=collectstatic-needs-no-secret-0123456789abcdef $(BIN)/python manage.py collectstatic --noinput --clear -v0
	touch $(STATIC_STAMP)

static: $(STATIC_STAMP)

# supabase-js (pinned in tests/js/package-lock.json) for the tests that run it
# unchanged against a live server.
JS_TEST_STAMP := tests/js/node_modules/.package-lock.json

$(JS_TEST_STAMP): tests/js/package.json tests/js/package-lock.json
	cd tests/js && npm ci --no-audit --no-fund --loglevel=error

js-test-deps: $(JS_TEST_STAMP)

# Debian's Chromium for the Studio's browser tests (Playwright drives it).
browser:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# A demo project (todos with row-level security) in ./demo, served on :8000.
serve: install static
	test -d demo || ( $(BIN)/koyalite init demo && cp examples/todos/*.sql demo/migrations/ )
	cd demo && ../$(BIN)/koyalite serve

test: install static js-test-deps browser
	$(BIN)/ruff check .
	$(BIN)/pytest -q -n 2 --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) demo *.egg-info staticfiles static/vendor frontend/node_modules tests/js/node_modules
