# The two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# Links and QR codes (the demo receipt's URL too) point at the port the app is served on.
PUBLIC_BASE_URL ?= http://localhost:$(PORT)
PYTEST_ARGS ?= -n 2
RUN_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core
TEST_DEBS := $(RUN_DEBS) chromium postgresql redis-server poppler-utils nodejs:node npm:npm

.PHONY: run test lint audit check bench bench-cluster translations system-run system-test install-run install-test migrate

run: system-run install-run translations migrate
	@PUBLIC_BASE_URL=$(PUBLIC_BASE_URL) $(BIN)/portal seed-demo
	@echo "Open http://localhost:$(PORT)/ (Ctrl-C stops the web server, the worker and the scheduler)"
	PORT=$(PORT) PUBLIC_BASE_URL=$(PUBLIC_BASE_URL) $(BIN)/portal serve --port $(PORT)

test: system-test install-test translations lint audit
	$(BIN)/pytest $(PYTEST_ARGS)
	.ci/with-postgres $(BIN)/pytest $(PYTEST_ARGS)

check: install-test translations lint
	$(BIN)/pytest $(PYTEST_ARGS)

# Benchmarks print their figures (and the ratio to the plain library); they are not tests.
bench: system-test install-test translations
	@.ci/apt-ensure wrk
	$(BIN)/python bench/bench_cfdi.py
	$(BIN)/python bench/bench_pdf.py
	$(BIN)/python bench/bench_catalogs.py
	.ci/with-postgres $(BIN)/python bench/bench_api.py
	.ci/with-postgres $(BIN)/python bench/bench_selfinvoice.py

# Two web nodes against one, with a worker and the scheduler on PostgreSQL and Redis.
bench-cluster: system-test install-test translations
	@.ci/apt-ensure wrk
	.ci/with-postgres $(BIN)/python bench/bench_cluster.py

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check portal tests bench wsgi.py

# pip-audit over the installed dependencies: fails on a known vulnerability; when no vulnerability
# service is reachable it says so in a banner and passes (AUDIT_REQUIRED=1 fails instead).
audit: install-test
	$(BIN)/python .ci/audit-deps

migrate:
	$(BIN)/portal migrate

# Debian packages, installed only when missing (needs root or sudo).
system-run:
	@.ci/apt-ensure $(RUN_DEBS)

system-test:
	@.ci/apt-ensure $(TEST_DEBS)

$(BIN)/python:
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

# The virtualenv's own setuptools (65.5 with Python 3.11) has known vulnerabilities
# (CVE-2022-40897, CVE-2024-6345, CVE-2025-47273): the audit would rightly fail on it.
$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]' 'setuptools>=78.1.1'
	touch $@ $(VENV)/.run-installed

install-run: $(VENV)/.run-installed
install-test: $(VENV)/.test-installed

translations: install-run
	@$(BIN)/pybabel compile -d portal/translations >/dev/null

extract-messages: install-run
	$(BIN)/pybabel extract -F portal/translations/babel.cfg -k _l -o portal/translations/messages.pot portal templates
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations
