# Lockstep: `make run` to try it, `make test` to check it. See README.md.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= $(shell command -v python3.11 || command -v python3)
PG_URL ?= postgres://postgres@127.0.0.1:5432/lockstep
HOST ?= 0.0.0.0
PORT ?= 8000
# What phones on this network open, and what QR codes print: this machine's LAN address (found without
# sending anything). `make run` serves plain HTTP, so QR codes say http:// unless told otherwise.
LAN_ADDRESS := $(shell scripts/lan-address)
LOCKSTEP_PUBLIC_HOST ?= $(LAN_ADDRESS):$(PORT)
LOCKSTEP_PUBLIC_SCHEME ?= http

.PHONY: run test test-pg bench bench-smoke loadtest lint format system-deps venv venv-dev npm

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

# The tests and tools, on top of what the app needs to run.
$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed
venv-dev: $(VENV)/.installed-dev

# The browser-side QR reader, served as static files straight from node_modules (no build step).
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

npm: node_modules/.installed

system-deps:
	@scripts/system-deps

run: venv npm
	DEBUG=1 $(PY) manage.py migrate --noinput
	@# A new database's empty log gets its first checkpoint here; an existing one must verify before the demo
	@# adds to it (a database without its var/ fails loudly: README, "The audit log").
	DEBUG=1 $(PY) manage.py audit_checkpoint
	DEBUG=1 $(PY) manage.py load_demo
	DEBUG=1 $(PY) manage.py audit_checkpoint
	@echo
	@echo "Lockstep on this machine:      http://127.0.0.1:$(PORT)/"
	@echo "From a phone on this network:  http://$(LAN_ADDRESS):$(PORT)/"
	@echo "QR codes print:                $(LOCKSTEP_PUBLIC_SCHEME)://$(LOCKSTEP_PUBLIC_HOST)/t/..."
	@echo "  Another port: make run PORT=8080. Another host in QR codes: make run LOCKSTEP_PUBLIC_HOST=name:port"
	@echo "  (and LOCKSTEP_PUBLIC_SCHEME=https behind a TLS proxy). Over plain HTTP the phone's camera app and"
	@echo "  typed codes work; the in-page camera needs HTTPS (or localhost)."
	@echo
	@echo "Customer mail is written to var/mail/ (one file per batch); an admin or coordinator reads it all under Outbox."
	@echo
	DEBUG=1 LOCKSTEP_PUBLIC_HOST=$(LOCKSTEP_PUBLIC_HOST) LOCKSTEP_PUBLIC_SCHEME=$(LOCKSTEP_PUBLIC_SCHEME) \
		PY=$(PY) scripts/serve $(HOST):$(PORT)

# The whole suite on SQLite (DATABASE_URL is ignored here on purpose).
test: venv-dev system-deps npm
	env -u DATABASE_URL $(VENV)/bin/pytest $(PYTEST_ARGS)

# The same suite on the PostgreSQL that DATABASE_URL names (pytest makes and drops its own test_ database).
test-pg: venv-dev system-deps npm
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} LOCKSTEP_REQUIRE_PG=1 $(VENV)/bin/pytest $(PYTEST_ARGS)

# Every benchmark runs to the end even when one fails, so one broken script never hides the figures after it;
# the failures are named at the end and make the target fail. (benchmarks/_django.py is their shared setup.)
BENCHMARKS := $(filter-out benchmarks/_%,$(wildcard benchmarks/*.py))
RUN_BENCHMARKS = failed=""; for script in $(BENCHMARKS); do $(PY) $$script || failed="$$failed $$script"; done; \
	if [ -n "$$failed" ]; then echo "FAILED:$$failed" >&2; exit 1; fi

bench: venv-dev system-deps npm
	@unset BENCH_SMOKE; $(RUN_BENCHMARKS)

# The same scripts at a smoke size (BENCH_SMOKE=1): the same code and assertions on a tiny inventory, in seconds,
# so CI finds a benchmark that no longer runs. Its figures measure nothing.
bench-smoke: venv-dev system-deps npm
	@export BENCH_SMOKE=1; $(RUN_BENCHMARKS)

# Fifty techs at once against the README's production command, on a PostgreSQL database it makes and drops
# (LOADTEST_PG, default postgres://postgres@127.0.0.1:5432/postgres). Minutes, so never part of test or bench;
# LOADTEST_SECONDS=30 for a short run.
loadtest: venv-dev system-deps npm
	$(PY) benchmarks/loadtest/run.py

lint: venv-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: venv-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
