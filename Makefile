# AI Choreographer — the two commands a newcomer needs are `make figures` and `make test`.
# Both create the virtual environment (.venv) and install the project into it first, with the exact versions
# in requirements/constraints.txt (the ones behind the committed results).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONSTRAINTS := requirements/constraints.txt
DOCS_STAMP := $(VENV)/.installed-docs
# `make figures PARAMS=params/full.yaml`: every study at its full number of seeds
PARAMS ?= params/default.yaml
export TF_CPP_MIN_LOG_LEVEL := 2
# No MPLBACKEND here: a kernel started with MPLBACKEND=Agg shows no figures. Unit tests pick Agg themselves.

.PHONY: install figures test unit notebooks colab-check lab lock clean clean-smoke tune-distributed site site-check linkcheck pretext-weights lint collapse-check verdicts-check

$(BIN)/python:
	@$(PYTHON) scripts/check_python.py
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	@$(BIN)/python scripts/check_python.py
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -c $(CONSTRAINTS) -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the package with its dev extras, pinned

figures: $(STAMP)  ## run every notebook with $(PARAMS) (default.yaml), REWRITE notebooks/, figures/, README's results (and, for default.yaml, the verdict reference)
	$(BIN)/python scripts/run_notebooks.py --params $(PARAMS) --inplace
	$(BIN)/python scripts/results_table.py
	$(if $(filter params/default.yaml,$(PARAMS)),$(BIN)/python scripts/verdicts_check.py --write-reference)

# Checks of the studies themselves (each takes about as long as make figures on 2 cores; not part of CI).
COLLAPSE_SEEDS ?= 20
collapse-check: $(STAMP)  ## notebook 03's variants on every feature type over $(COLLAPSE_SEEDS) seeds: the score distribution, exit 1 if a run collapsed (OLD=1: the recipe before the fix)
	$(BIN)/python scripts/collapse_check.py --params $(PARAMS) --seeds $(COLLAPSE_SEEDS) $(if $(OLD),--old-recipe)
verdicts-check: $(STAMP)  ## notebooks 03-07 again in a perturbed numeric environment (threads, oneDNN, processes): exit 1 if any verdict differs from params/default.verdicts.json
	$(BIN)/python scripts/verdicts_check.py --params params/default.yaml

unit: $(DOCS_STAMP)  ## unit tests only (with the docs extra, so the site builder's MkDocs test runs too), one worker per core
	$(BIN)/python -m pytest -m "not notebooks" -q -n auto

notebooks: $(STAMP)  ## execute every notebook with params/smoke.yaml (papermill injects, nbval runs)
	$(BIN)/python scripts/run_notebooks.py --params params/smoke.yaml --prepare-only --output-dir artifacts/smoke/notebooks
	CHOREO_SMOKE=1 $(BIN)/python -m pytest --nbval-lax -p no:cacheprovider artifacts/smoke/notebooks -q

lint: $(STAMP)  ## ruff check (pyproject's [tool.ruff]) on the package, scripts, tests, benchmarks and notebooks
	$(BIN)/ruff check .

test: lint unit notebooks site-check  ## everything CI runs (CI also runs `make colab-check`)

# The course site: the committed notebooks as they are (never re-run), README as the front page, the figures.
# Its own extra (`docs`: MkDocs, mkdocs-jupyter, Selenium), pinned like the rest; colab-check does not install it.
$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install -c $(CONSTRAINTS) -e ".[dev,docs]"
	touch $@
site: $(DOCS_STAMP)  ## build the course site into artifacts/site/html (sources: artifacts/site-src)
	$(BIN)/python scripts/build_site.py
site-check: site  ## open every page in headless Chromium: console, images, links, widgets; screenshots
	$(BIN)/python scripts/check_site.py
linkcheck: site  ## check the site's links to other hosts (needs internet; CI does not run it)
	$(BIN)/python scripts/check_site.py --external

# The smoke notebooks once more, on Colab's package versions (requirements/colab.txt) in a second venv.
COLAB_VENV := .venv-colab
$(COLAB_VENV)/.installed: pyproject.toml requirements/colab.txt
	@$(PYTHON) scripts/check_python.py
	$(PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_VENV)/bin/python -m pip install --upgrade pip
	$(COLAB_VENV)/bin/python -m pip install -c requirements/colab.txt -e ".[dev]"
	touch $@
# Each stack runs every notebook once: `make notebooks` the synthetic route on the pinned stack, `make colab-check`
# the real-data route (every notebook on a Let's Dance-layout archive) and the simulated Colab first run on Colab's.
colab-check: $(COLAB_VENV)/.installed  ## every notebook (real-data route, smoke parameters) and the Colab first run, on Colab's stack (TensorFlow 2.20, Keras 3.13, ipywidgets 7.7.1, ...)
	$(COLAB_VENV)/bin/python -c "from choreo_utils import runtime; print(runtime.versions_line())"
	$(COLAB_VENV)/bin/python -m pytest -m notebooks -p no:cacheprovider -q  # tests/test_real_data_route.py, tests/test_colab_bootstrap.py

lab: $(STAMP)  ## open JupyterLab in the project environment
	$(BIN)/jupyter lab notebooks/

pretext-weights: $(STAMP)  ## retrain the shipped pose-pretext weights (choreo_utils/weights/, ~5 min); CHECK=1 compares instead
	$(BIN)/python scripts/ship_pretext_weights.py $(if $(CHECK),--check,--prune)

lock: $(STAMP)  ## rewrite requirements/constraints.txt from .venv (after a deliberate upgrade; then make figures)
	$(BIN)/python scripts/lock.py $(CONSTRAINTS)

clean-smoke:  ## remove CI's smoke outputs (artifacts/smoke)
	rm -rf artifacts/smoke

clean:  ## remove everything the notebooks regenerate: artifacts/ and data/synthetic (keeps downloads and extracted Let's Dance frames)
	rm -rf artifacts data/synthetic
	@echo "kept: data/README.md and any Let's Dance download or extraction under data/ (remove those by hand)"

# Distributed keras-tuner search on this machine: a chief (this process) and $(WORKERS) worker processes
# talking gRPC on 127.0.0.1 (KERASTUNER_TUNER_ID / KERASTUNER_ORACLE_IP / KERASTUNER_ORACLE_PORT). Features
# come from $(TUNE_PARAMS) once (notebook 04's settings: FEATURE_LAYER, TUNE_TRAIN_STRIDE, EXTRACT_BATCH, read by
# choreo_utils.params, which refuses unknown keys), saved as an .npz the workers load; the search sizes come from
# TUNE_ARGS, not the file's TUNE_* keys. TUNE_ARGS defaults to a reduced search
# (LSTM/dense ≤ 128, max_epochs 9: 23 trials, 75 epochs); TUNE_ARGS=--overwrite runs the paper's (≤ 512 units,
# 30 trials, 120 epochs: hours on a CPU); drop --overwrite to resume an interrupted search. Across machines:
# `$(BIN)/python -m choreo_utils.tuning --help` (chief / worker subcommands, --directory on a shared disk).
TUNE_PARAMS ?= params/default.yaml
TUNE_DATA   ?= artifacts/tuning/$(basename $(notdir $(TUNE_PARAMS))).npz
WORKERS     ?= 2
TUNE_ARGS   ?= --tuner hyperband --max-epochs 9 --factor 3 --units 32 128 32 --dense 32 128 32 --overwrite
tune-distributed: $(STAMP)  ## distributed Hyperband: a chief + $(WORKERS) workers on 127.0.0.1 (see TUNE_ARGS)
	$(BIN)/python -m choreo_utils.tuning export --params $(TUNE_PARAMS) --out $(TUNE_DATA)
	$(BIN)/python -m choreo_utils.tuning launch --data $(TUNE_DATA) --workers $(WORKERS) $(TUNE_ARGS)
