# Polku: `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
NPM ?= npm
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export POLKU_DATABASE_URL ?= sqlite:///$(CURDIR)/var/polku.db

# Front-end assets: npm packages pinned in package-lock.json, copied to web/static/vendor/
# (gitignored) and served by the app itself; never a CDN. See docs/ui.md.
NODE_STAMP := node_modules/.polku-installed
VENDOR := web/static/vendor
VENDOR_STAMP := $(VENDOR)/.polku-copied
# Gettext catalogs: the .po files are the source (committed), the .mo files are built (gitignored).
LOCALE := web/locale
PO := $(wildcard $(LOCALE)/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: run test lint bench install lock chromium assets translations messages db demo serve clean

# Python packages: the versions in constraints.txt (the lock: what the suite passed with).
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

## Re-resolve the lock (constraints.txt) from pyproject.toml's ranges; run `make test` after.
lock:
	test -x $(BIN)/uv || $(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --python-platform linux \
		--upgrade --quiet -o constraints.txt


install: $(STAMP) assets translations

## Install the pinned npm packages and copy the files the UI serves into web/static/vendor/.
assets: $(VENDOR_STAMP)

$(NODE_STAMP): package.json package-lock.json
	$(NPM) ci --no-audit --no-fund
	touch $(NODE_STAMP)

$(VENDOR_STAMP): $(NODE_STAMP) Makefile
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)/licenses
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	# Pico's form icons are data: URIs, which the CSP (img-src 'self') blocks: point them at the
	# light theme's icons as files in web/static/img/pico/ (from Pico 2.1.1, MIT; our pages are
	# data-theme=light, so the dark variants of valid/invalid are never used).
	sed -E 's#--pico-icon-([a-z]+):url\("data:[^"]*"\)#--pico-icon-\1:url("../img/pico/\1.svg")#g' \
		node_modules/@picocss/pico/css/pico.min.css > $(VENDOR)/pico.min.css
	cp node_modules/mermaid/dist/mermaid.min.js $(VENDOR)/mermaid.min.js
	cp node_modules/axe-core/axe.min.js $(VENDOR)/axe.min.js
	cp node_modules/htmx.org/LICENSE $(VENDOR)/licenses/htmx.org.txt
	cp node_modules/@picocss/pico/LICENSE.md $(VENDOR)/licenses/picocss.txt
	cp node_modules/mermaid/LICENSE $(VENDOR)/licenses/mermaid.txt
	cp node_modules/axe-core/LICENSE $(VENDOR)/licenses/axe-core.txt
	touch $(VENDOR_STAMP)

## Compile the gettext catalogs (web/locale/*/LC_MESSAGES/messages.po -> .mo).
translations: $(MO)

$(LOCALE)/%/LC_MESSAGES/messages.mo: $(LOCALE)/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --statistics -l $* -i $< -o $@

## Extract UI strings from templates and code, update fi/sv/en catalogs, then compile them.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output \
		--project=Polku --version=0.1.0 --copyright-holder="Polku contributors" -o $(LOCALE)/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i $(LOCALE)/messages.pot -d $(LOCALE) -D messages
	$(MAKE) translations

## Create the venv, install, (PostgreSQL: set up the owner and app roles,) migrate, load fictional
## demo data on first start, print the demo logins, serve on :8000. Demo mode (fictional data, no second factor) unless told otherwise.
run: export POLKU_ENVIRONMENT ?= demo
run: install
	mkdir -p var
	@# PostgreSQL: the owner and app roles first (docs/operations.md, needs POLKU_ADMIN_DATABASE_URL
	@# and POLKU_OWNER_DATABASE_URL); SQLite has no roles
	case "$$POLKU_DATABASE_URL" in postgresql*) $(BIN)/polku db roles ;; esac
	$(BIN)/polku db upgrade
	$(BIN)/polku demo load --if-empty
	$(BIN)/polku demo logins
	$(BIN)/polku serve

PYTEST_PLUGINS := xdist.plugin,xdist.looponfail,_hypothesis_pytestplugin,pytest_bdd.plugin

## Lint, type-check and run the whole suite (SQLite; PostgreSQL too when POLKU_TEST_DATABASE_URL is set).
test: install lint chromium
	@# bytecode on even where the environment turns it off: the served, crash-safety and plugin
	@# tests start Python subprocesses, and a second run collects in 5 s instead of 14 (.pyc: gitignored)
	@# Only the pytest plugins the suite uses, by name (Polku's own come from conftest.py): an
	@# autoloaded plugin has its whole package assertion-rewritten (schemathesis, hypothesis,
	@# faker, anyio, engine, web: 584 modules against 131), which cost each worker 6 s of collection.
	PYTHONDONTWRITEBYTECODE= PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 PYTEST_PLUGINS=$(PYTEST_PLUGINS) \
		$(BIN)/pytest -n auto --dist loadgroup

## Debian's Chromium for the browser tests (never a browser downloaded by a test tool): its
## headless shell runs the suite, the full browser each role's first screen (tests/browser/).
chromium:
	@test -x /usr/bin/chromium -a -x /usr/bin/chromium-headless-shell || { \
		echo "installing Debian's chromium and chromium-headless-shell for the browser tests"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			chromium chromium-headless-shell; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	node --check web/static/js/app.js

## Benchmarks (print ratios measured in one run). The HTTP bench drives the server with Debian's
## wrk (a Python load generator stands in when it cannot be installed).
bench: install
	@command -v wrk >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; } || true
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache node_modules $(VENDOR) $(MO)
