# AI Choreographer — the two commands a newcomer needs are `make figures` and `make test`.
# Both create the virtual environment (.venv) and install the project into it first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONWARNINGS := ignore::DeprecationWarning
export MPLBACKEND := Agg

.PHONY: install figures test unit notebooks lab clean-smoke tune-distributed

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the package with its dev extras

figures: $(STAMP)  ## run every notebook with params/default.yaml, write them back, regenerate figures/
	$(BIN)/python scripts/run_notebooks.py --params params/default.yaml --inplace

unit: $(STAMP)  ## unit tests only
	$(BIN)/python -m pytest -m "not notebooks" -q

notebooks: $(STAMP)  ## execute every notebook with params/smoke.yaml (papermill injects, nbval runs)
	$(BIN)/python scripts/run_notebooks.py --params params/smoke.yaml --prepare-only --output-dir artifacts/smoke/notebooks
	CHOREO_SMOKE=1 $(BIN)/python -m pytest --nbval-lax -p no:cacheprovider artifacts/smoke/notebooks -q

test: unit notebooks  ## everything CI runs

lab: $(STAMP)  ## open JupyterLab in the project environment
	$(BIN)/jupyter lab notebooks/

clean-smoke:
	rm -rf artifacts/smoke
