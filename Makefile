# Two commands matter: `make demo` (the main job, against the embedded simulator) and `make test`.
# Both create the virtual environment in .venv on first use; nothing outside the checkout is touched.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: venv test lint pytest demo demo-fleet bench simulator clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv>=0.4,<1"
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

pytest: venv
	$(BIN)/pytest

test: lint pytest

demo: venv
	$(BIN)/python scripts/demo.py

demo-fleet: venv
	$(BIN)/python scripts/demo.py --fleet

bench: venv
	$(BIN)/python benchmarks/run.py

simulator: venv
	$(BIN)/fivetran-simulator --port 8765

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .airflow-home .bench-venv
