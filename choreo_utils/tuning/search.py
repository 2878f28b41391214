"""Run (or resume) one search in this process: :func:`run_search`.

It resolves the settings, checks the project's fingerprint (:mod:`~choreo_utils.tuning.project`), builds the
tuner (:mod:`~choreo_utils.tuning.tuners`), runs ``tuner.search`` with garbage collection of pre-existing
objects frozen, and returns a :class:`~choreo_utils.tuning.results.SearchResult`. Under keras-tuner's
distributed environment variables the same call serves as the chief or runs as a worker
(:mod:`~choreo_utils.tuning.distributed`).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from choreo_utils import runtime
from choreo_utils.tuning.data import TuningData
from choreo_utils.tuning.distributed import run_worker, serve_chief
from choreo_utils.tuning.errors import ConfigurationError
from choreo_utils.tuning.project import default_directory, prepare_project, reload_if_needed
from choreo_utils.tuning.results import SearchResult, trial_table
from choreo_utils.tuning.settings import SearchConfig, resolve_config
from choreo_utils.tuning.tuners import (ENV_ORACLE_IP, ENV_ORACLE_PORT, ENV_TUNER_ID, frozen_gc, make_tuner,
                                        search_arguments)


def trial_progress_bar(total: int, desc: str, enabled: bool):
    """A text bar counting finished trials, or None when ``enabled`` is false."""
    if not enabled:
        return None
    from choreo_utils.progress import bar  # noqa: PLC0415

    return bar(total=total, desc=desc, unit="trial")


def _role() -> str:
    """``local``, or ``chief``/``worker`` when keras-tuner's distributed environment variables are set."""
    if ENV_ORACLE_IP not in os.environ:
        return "local"
    if ENV_ORACLE_PORT not in os.environ or ENV_TUNER_ID not in os.environ:
        raise ConfigurationError(f"{ENV_ORACLE_IP} is set, so keras-tuner runs distributed, but {ENV_ORACLE_PORT} and "
                                 f"{ENV_TUNER_ID} must be set too (e.g. {ENV_TUNER_ID}=chief or tuner0)")
    return "chief" if "chief" in os.environ[ENV_TUNER_ID] else "worker"


def run_search(data: TuningData, config: SearchConfig | str = "hyperband", *, directory=None,
               project_name: str | None = None, overwrite: bool = False, tensorboard: bool = True,
               verbose: int = 0, progress: bool = True, **settings) -> SearchResult:
    """Run (or resume) one search and return its trials; scoring is on the *validation* (training) videos.

    ``config`` is a :class:`SearchConfig` or just its ``kind``; keyword ``settings`` override its fields
    (``space``, ``seed``, ``max_epochs``, ``factor``, ``max_trials``, ``epochs``, ``batch_size``, ``patience``…).
    ``directory`` defaults to ``artifacts/tuning``, ``project_name`` to ``"<kind>-seed<seed>"``. With
    ``overwrite=False`` an existing matching project resumes (finished trials are kept, an interrupted one is
    retried under the same id); a project from other settings or data raises :class:`SearchMismatchError`.
    TensorBoard logs with HParams go to ``<directory>/tensorboard/<project_name>``; in a notebook:
    ``%load_ext tensorboard`` then ``%tensorboard --logdir artifacts/tuning/tensorboard`` (HPARAMS tab).

    ``verbose=1`` shows keras-tuner's own per-trial display and Keras progress bars (keras-tuner clears the
    notebook cell between trials); ``progress`` shows a one-line trial counter instead.

    Distributed: under keras-tuner's environment variables (``KERASTUNER_TUNER_ID=chief`` or ``tuner0``…,
    ``KERASTUNER_ORACLE_IP``, ``KERASTUNER_ORACLE_PORT``) the same call serves as the chief or runs as a worker.
    """
    config = resolve_config(config, settings)
    project_name = project_name or f"{config.kind}-seed{config.seed}"
    role = _role()
    if role == "chief":
        return serve_chief(data, config, host=os.environ[ENV_ORACLE_IP], port=int(os.environ[ENV_ORACLE_PORT]),
                           directory=directory, project_name=project_name, overwrite=overwrite,
                           tensorboard=tensorboard)
    if role == "worker":
        run_worker(data, config, host=os.environ[ENV_ORACLE_IP], port=int(os.environ[ENV_ORACLE_PORT]),
                   tuner_id=os.environ[ENV_TUNER_ID], directory=directory, project_name=project_name,
                   tensorboard=tensorboard, verbose=verbose)
        project_dir = Path(directory or default_directory()) / project_name
        return SearchResult(config, project_dir, None, 0.0, trial_table(project_dir))
    project_dir, tb_dir = prepare_project(config, data, directory, project_name, overwrite, tensorboard)
    bar = trial_progress_bar(config.trials, f"{config.kind} seed {config.seed}", progress)

    def tick(tuner, trial):
        if bar is not None:
            bar.update(1)
            best = tuner.oracle.get_best_trials(1)
            if best and best[0].score is not None:
                bar.set_postfix(best=f"{best[0].score:.3f}")

    tuner = make_tuner(config, data.input_shape, data.n_classes, directory=project_dir.parent,
                       project_name=project_name, on_trial_end=tick)
    reload_if_needed(tuner, project_dir)
    if bar is not None:
        bar.update(sum(t.status in ("COMPLETED", "FAILED") for t in tuner.oracle.trials.values()))
    start = time.perf_counter()
    try:
        with frozen_gc(), runtime.filtered_native_stderr():
            tuner.search(**search_arguments(config, data, tb_dir, verbose))
    finally:
        if bar is not None:
            bar.close()
    return SearchResult(config, project_dir, tuner, time.perf_counter() - start, trial_table(tuner), tb_dir)
