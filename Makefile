# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint schema bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

# `make run PORT=8101 HOST=0.0.0.0`: where the API listens (links in e-mails and QR codes
# follow it unless KINERJA_PUBLIC_URL / KINERJA_SURVEY_PUBLIC_URL are set).
run: $(STAMP)
	$(BIN)/kinerja dev $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

schema: $(STAMP)
	$(BIN)/kinerja export-schema

# GraphiQL's committed assets (schema/graphiql/assets/) from the npm registry, at the versions
# pinned in schema/graphiql/refresh.py.
.PHONY: graphiql-assets
graphiql-assets: $(STAMP)
	$(BIN)/python -m schema.graphiql.refresh

bench: $(STAMP)
	$(BIN)/python -m bench.employees_list

.PHONY: bench-cycle
bench-cycle: $(STAMP)
	$(BIN)/python -m bench.performance_cycle

.PHONY: bench-training
bench-training: $(STAMP)
	$(BIN)/python -m bench.training

.PHONY: bench-notify
bench-notify: $(STAMP)
	$(BIN)/python -m bench.notifications_fanout
	$(BIN)/python -m bench.notifications_live

clean:
	rm -rf $(VENV) .kinerja

.PHONY: bench-surveys
bench-surveys: $(STAMP)
	$(BIN)/python -m bench.surveys

# The load run (bench/README.md): locust comes with the bench extra.
.PHONY: bench-load
bench-load: $(STAMP)
	$(BIN)/python -m pip install -q -e ".[dev,bench]"
	$(BIN)/python -m bench.load

# Faults against private PostgreSQL and Redis servers, with figures (bench/README.md).
.PHONY: bench-recovery
bench-recovery: $(STAMP)
	$(BIN)/python -m bench.recovery
