# The two commands of the README: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
BASE_STAMP := $(VENV)/.installed-base
STAMP := $(VENV)/.installed-dev
PORT ?= 8000

.PHONY: install run test lint format lock clean bench eval-similar

# uv installs the locked requirements, checking every hash, several times faster than pip.
# It comes from the lock too: pip installs it alone, with its hashes, into a new .venv.
$(UV): requirements/dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed (found %s)." % sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@awk '/^uv==/ {on = 1; print; next} on && /^ / {print; next} {on = 0}' requirements/dev.txt > $(VENV)/uv-requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r $(VENV)/uv-requirements.txt
	@touch $(UV)

# `make run` needs only what production needs; the tests and tools need the rest.
$(BASE_STAMP): requirements/base.txt $(UV)
	$(UV) pip install --quiet --python $(BIN)/python --require-hashes --no-deps -r requirements/base.txt
	@touch $(BASE_STAMP)

$(STAMP): requirements/dev.txt $(UV)
	$(UV) pip install --quiet --python $(BIN)/python --require-hashes --no-deps -r requirements/dev.txt
	@touch $(STAMP) $(BASE_STAMP)

install: $(STAMP)

run: $(BASE_STAMP)  ## migrate, load the demo, serve on 127.0.0.1:$(PORT) with a Celery worker
	PORT=$(PORT) exec $(BIN)/python scripts/run.py

test: install  ## the whole suite on real PostgreSQL (DATABASE_URL, or the embedded one)
	exec $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The benchmark (bench/run.py): SCALE claims (default 1,000,000), DURATION s per scenario.
# Reuses the database claimtracker_bench_<SCALE> when it holds a complete corpus (RELOAD=1 not).
SCALE ?= 1000000
DURATION ?= 15
bench: install
	SCALE=$(SCALE) DURATION=$(DURATION) exec $(BIN)/python -m bench.run

# Similar-claim matching's precision and recall on the labelled set (matching/evaluation/).
eval-similar: install
	DJANGO_SETTINGS_MODULE=config.settings.test exec $(BIN)/python manage.py similar_eval

lock: install  ## re-lock requirements/*.txt from pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -q -o requirements/base.txt
	$(BIN)/uv pip compile pyproject.toml --group dev --generate-hashes --python-version 3.11 -q -o requirements/dev.txt

clean:
	rm -rf $(VENV) var
