# Two commands matter: `make demo` (the main job, against the embedded simulator) and `make test`.
# Both create the virtual environment in .venv on first use; nothing outside the checkout is touched.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# The distributed end-to-end test's own environment: the provider plus Celery and PostgreSQL drivers.
DVENV  := .venv-distributed
DSTAMP := $(DVENV)/.installed-stamp
# The declared floors, tested: every direct dependency at the lowest version pyproject.toml admits.
LVENV  := .venv-lowest
LSTAMP := $(LVENV)/.installed-stamp

.PHONY: venv test lint pytest test-lowest test-distributed demo demo-fleet bench simulator clean

$(STAMP): pyproject.toml simulator/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv>=0.7,<1"
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[test]' -e ./simulator --group dev
	touch $(STAMP)

venv: $(STAMP)

$(DSTAMP): pyproject.toml simulator/pyproject.toml tests/distributed/requirements.txt
	test -x $(DVENV)/bin/python || $(PYTHON) -m venv $(DVENV)
	$(DVENV)/bin/python -m pip install --quiet --disable-pip-version-check "uv>=0.7,<1"
	$(DVENV)/bin/uv pip install --quiet --python $(DVENV)/bin/python -e '.[test]' -e ./simulator \
		-r tests/distributed/requirements.txt
	touch $(DSTAMP)

$(LSTAMP): pyproject.toml simulator/pyproject.toml
	test -x $(LVENV)/bin/python || $(PYTHON) -m venv $(LVENV)
	$(LVENV)/bin/python -m pip install --quiet --disable-pip-version-check "uv>=0.7,<1"
	$(LVENV)/bin/uv pip install --quiet --python $(LVENV)/bin/python --resolution lowest-direct \
		-e '.[test]' -e ./simulator
	touch $(LSTAMP)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

pytest: venv
	$(BIN)/pytest

# The unit tests (all but the few that start Airflow's scheduler and triggerer) on the lowest versions.
test-lowest: $(LSTAMP)
	$(LVENV)/bin/pytest -q -p no:cacheprovider -m "not e2e"

# A real distributed Airflow (CeleryExecutor, two workers, PostgreSQL, Redis, triggerer) on loopback ports;
# installs PostgreSQL and Redis with apt-get where they are missing. Bounded: SIGINT after 25 minutes (a hang guard; it takes about 10).
test-distributed: $(DSTAMP)
	bash scripts/ensure-services.sh
	timeout -s INT 1500 $(DVENV)/bin/pytest -o addopts="-ra --strict-markers" -p no:cacheprovider -s tests/distributed

test: lint pytest test-lowest test-distributed

demo: venv
	$(BIN)/python scripts/demo.py

demo-fleet: venv
	$(BIN)/python scripts/demo.py --fleet

# Writes its figures into README.md (and the fault matrix's cells into benchmarks/README.md), between markers.
bench: venv
	$(BIN)/python benchmarks/run.py --write-readme
	$(BIN)/python benchmarks/fault_matrix_theirs.py --write-readme

# The Fivetran API simulator (its own distribution, simulator/; installed in .venv with the provider).
simulator: venv
	$(BIN)/fivetran-simulator --port 8765

clean:
	rm -rf $(VENV) $(DVENV) $(LVENV) .pytest_cache .mypy_cache .ruff_cache .airflow-home .bench-venv
