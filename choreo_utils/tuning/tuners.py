"""Building and driving keras-tuner: our oracle/tuner subclasses, :func:`make_tuner`, and the arguments of
``tuner.search``.

The subclasses seed each trial, report the epochs it really ran (``epoch_from``/``epoch_to``/``epochs_run``,
``best_epoch``) and its seconds, and record on the oracle when each trial was handed out and ended
(``oracle.choreo_times``), and write the project's JSON files atomically (:func:`save_state_atomic`), so a
search killed at any moment resumes. keras-tuner is imported on first use only, so importing this module stays
light.

keras-tuner reads ``seed=0`` as "no seed" (``seed or random.randint(...)``): we pass ``seed + 1``.
"""
from __future__ import annotations

import contextlib
import functools
import gc
import json
import os
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from choreo_utils.config import GENRES
from choreo_utils.io_utils import write_bytes_atomic
from choreo_utils.tuning.data import TuningData
from choreo_utils.tuning.settings import OBJECTIVE, SearchConfig
from choreo_utils.tuning.space import build_hypermodel

#: keras-tuner's gRPC environment variables (worker mode is switched on by KERASTUNER_ORACLE_IP).
ENV_TUNER_ID, ENV_ORACLE_IP, ENV_ORACLE_PORT = "KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT"
#: The epochs a trial trains to: Hyperband's own key, reused by our RandomOracle for the epochs it grants.
EPOCHS_KEY = "tuner/epochs"


@functools.lru_cache(maxsize=None)
def keras_tuner_classes() -> dict[str, type]:
    """Our tuner/oracle subclasses, built on first use so importing this module stays light."""
    import keras_tuner as kt  # noqa: PLC0415

    RUNNING, IDLE = "RUNNING", "IDLE"

    class TimedOracleMixin:
        """Records, on the oracle (the chief in distributed mode), when each trial was handed out and ended."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.choreo_times: dict[str, dict[str, Any]] = {}

        @kt.synchronized
        def create_trial(self, tuner_id):
            trial = super().create_trial(tuner_id)
            if trial.status == RUNNING:
                now = time.time()
                rec = self.choreo_times.setdefault(trial.trial_id, {"started": now, "attempts": 0})
                rec.update(tuner_id=tuner_id, last_start=now, attempts=rec["attempts"] + 1)
                rec.pop("ended", None)
                self.save()
            return trial

        @kt.synchronized
        def end_trial(self, trial):
            self.choreo_times.setdefault(trial.trial_id, {"started": time.time(), "attempts": 1})["ended"] = time.time()
            return super().end_trial(trial)

        def get_state(self):
            return super().get_state() | {"choreo_times": self.choreo_times}

        def set_state(self, state):
            super().set_state(state)
            self.choreo_times = dict(state.get("choreo_times", {}))

        def save(self):                      # keras-tuner truncates, then writes: a kill between leaves ""
            save_state_atomic(self._get_oracle_fname(), self.get_state())

        def _save_trial(self, trial):
            save_state_atomic(os.path.join(self._get_trial_dir(trial.trial_id), "trial.json"), trial.get_state())

    class RandomOracle(TimedOracleMixin, kt.oracles.RandomSearchOracle):
        """Random search that, given ``epoch_budget``, hands out trials until that many epochs are spent.

        Spent = ``epochs_run`` of finished trials (EarlyStopping included; a failed trial without it counts 0)
        + the epochs granted to running ones. Each new trial is granted ``min(epochs_per_trial, budget - spent)``
        epochs (``tuner/epochs`` in its values), so the last one is cut and the total never exceeds the budget.
        """

        def __init__(self, *args, epoch_budget=None, epochs_per_trial=1, **kwargs):
            super().__init__(*args, **kwargs)
            self.choreo_epoch_budget, self.choreo_epochs_per_trial = epoch_budget, int(epochs_per_trial)

        def choreo_epochs_committed(self) -> int:
            return sum(_trial_epochs(t, self.choreo_epochs_per_trial) for t in self.trials.values())

        def populate_space(self, trial_id):
            if self.choreo_epoch_budget is None:
                return super().populate_space(trial_id)
            remaining = int(self.choreo_epoch_budget) - self.choreo_epochs_committed()
            if remaining <= 0:
                return {"status": "STOPPED", "values": None}
            response = super().populate_space(trial_id)
            if response.get("values") is not None:
                response["values"][EPOCHS_KEY] = min(self.choreo_epochs_per_trial, remaining)
            return response

        def _compute_values_hash(self, values):   # duplicates are judged on hyperparameters, not granted epochs
            return super()._compute_values_hash({k: v for k, v in values.items() if k != EPOCHS_KEY})

    class HyperbandOracle(TimedOracleMixin, kt.oracles.HyperbandOracle):
        pass

    class RecordingTunerMixin:
        """Seeds each trial and reports the epochs it ran and its seconds.

        Memory stays flat because keras-tuner calls ``keras.backend.clear_session()`` and ``gc.collect()`` before
        building each trial's model (``Tuner._try_build``); we do not repeat it (a ``gc.collect()`` costs
        0.2–0.4 s with TensorFlow loaded, per call).
        """

        def __init__(self, hypermodel, oracle, *, run_seed=0, idle_sleep=0.5, on_trial_end=None, **kwargs):
            kt.Tuner.__init__(self, oracle=oracle, hypermodel=hypermodel, **kwargs)
            self._run_seed, self._on_trial_end_cb = int(run_seed), on_trial_end
            if self._is_worker():                     # keras-tuner re-asks at once on IDLE: back off instead
                client, ask = self.oracle, self.oracle.create_trial

                def create_trial(tuner_id):
                    trial = ask(tuner_id)
                    if trial.status == IDLE:
                        time.sleep(idle_sleep)
                    return trial

                client.create_trial = create_trial

        def save(self):                      # as keras-tuner's BaseTuner.save, each file written atomically
            if not self._is_worker():
                self.oracle.save()
            save_state_atomic(self._get_tuner_fname(), self.get_state())

        def run_trial(self, trial, *args, **kwargs):
            from choreo_utils.runtime import set_seed  # noqa: PLC0415

            set_seed((self._run_seed * 100_003 + int(trial.trial_id)) % 2**31)   # before the trial's model is built
            values = trial.hyperparameters.values
            frm = int(values.get("tuner/initial_epoch", kwargs.get("initial_epoch", 0)))
            to = int(values.get(EPOCHS_KEY, kwargs.get("epochs", 1)))
            start = time.perf_counter()
            with warnings.catch_warnings():   # Hyperband continues a model from its weights, not optimizer state
                warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
                warnings.filterwarnings("ignore", message="__array__ implementation doesn't accept a copy")  # eager
                histories = super().run_trial(trial, *args, **kwargs)
            seconds = time.perf_counter() - start
            metrics = _best_epoch_metrics(histories)
            metrics.update(epochs_run=float(sum(len(h.epoch) for h in histories)), epoch_from=float(frm),
                           epoch_to=float(to), epochs_planned=float(to - frm), trial_seconds=float(seconds))
            return metrics

        def on_trial_end(self, trial):
            super().on_trial_end(trial)
            if self._on_trial_end_cb is not None:
                self._on_trial_end_cb(self, trial)

    class RandomSearch(RecordingTunerMixin, kt.RandomSearch):
        def run_trial(self, trial, *args, **kwargs):
            granted = trial.hyperparameters.values.get(EPOCHS_KEY)    # the epoch budget's grant (see RandomOracle)
            if granted is not None:
                kwargs["epochs"] = int(granted)
            return super().run_trial(trial, *args, **kwargs)

    class Hyperband(RecordingTunerMixin, kt.Hyperband):
        pass

    return {"RandomOracle": RandomOracle, "HyperbandOracle": HyperbandOracle, "RandomSearch": RandomSearch,
            "Hyperband": Hyperband}


def save_state_atomic(path: str | os.PathLike, state: Any) -> None:
    """Write a keras-tuner state file (``oracle.json``, ``trial.json``, ``<tuner_id>.json``) as keras-tuner's
    ``utils.save_json`` does, but through a temporary file renamed into place: keras-tuner opens the file for
    writing (emptying it) before it writes, so a run killed in between left an empty ``oracle.json`` that the
    next run could not resume. Now the file holds the previous state or the new one, never a part."""
    write_bytes_atomic(path, json.dumps(state).encode())


def _trial_epochs(trial, granted_default: int) -> int:
    """Epochs a trial counts against a random search's budget: ``epochs_run`` once reported, else (running)
    the epochs it was granted; a trial that ended without reporting them (failed) counts 0."""
    if trial.metrics.exists("epochs_run"):
        return int(round(trial.metrics.get_last_value("epochs_run")))
    if trial.status == "RUNNING":
        return int(trial.hyperparameters.values.get(EPOCHS_KEY, granted_default))
    return 0


def _best_epoch_metrics(histories) -> dict[str, float]:
    """Metrics of the best-``val_accuracy`` epoch (averaged over executions), plus that epoch's index."""
    rows = []
    for h in histories:
        hist = h.history
        if OBJECTIVE not in hist:
            raise ValueError(f"training reported no {OBJECTIVE}: is validation data given? (got {sorted(hist)})")
        i = int(np.nanargmax(hist[OBJECTIVE]))
        rows.append({k: float(v[i]) for k, v in hist.items()} | {"best_epoch": float(h.epoch[i])})
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}


@contextlib.contextmanager
def frozen_gc() -> Iterator[None]:
    """Exempt objects that exist before a search from garbage collection while it runs.

    keras-tuner calls ``gc.collect()`` twice per trial; with TensorFlow loaded each call walks millions of
    objects (0.2–0.4 s on 2 cores). Collecting once, then ``gc.freeze()``, makes those calls scan only what
    the search creates; ``gc.unfreeze()`` afterwards returns everything to normal collection.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _oracle_seed(seed: int) -> int:
    """keras-tuner treats seed=0 as 'pick a random seed' (``seed or random.randint``): shift by one."""
    return int(seed) + 1


def make_tuner(config: SearchConfig, input_shape: Sequence[int], n_classes: int = len(GENRES), *,
               directory: str | os.PathLike, project_name: str, overwrite: bool = False,
               on_trial_end: Callable | None = None, tuner_id: str | None = None):
    """A keras-tuner ``Hyperband`` or ``RandomSearch`` for ``config`` (subclasses that record timing/epochs).

    Low level: :func:`run_search` adds the fingerprint check, callbacks and tables. ``tuner.oracle`` holds the
    trials; ``tuner.oracle.choreo_times`` when each started/ended.
    """
    classes = keras_tuner_classes()
    hypermodel = build_hypermodel(input_shape, n_classes, config.space, config.run_eagerly)
    common = {"directory": str(directory), "project_name": project_name, "overwrite": overwrite,
              "run_seed": config.seed, "on_trial_end": on_trial_end, "tuner_id": tuner_id}
    if config.kind == "hyperband":
        oracle = classes["HyperbandOracle"](objective=OBJECTIVE, max_epochs=config.max_epochs, factor=config.factor,
                                            hyperband_iterations=config.hyperband_iterations,
                                            seed=_oracle_seed(config.seed))
        return classes["Hyperband"](hypermodel, oracle, **common)
    budget = config.epoch_budget     # every trial spends ≥ 1 epoch, so at most `budget` trials (failed ones: 0)
    oracle = classes["RandomOracle"](objective=OBJECTIVE, max_trials=budget or config.trials,
                                     seed=_oracle_seed(config.seed), epoch_budget=budget,
                                     epochs_per_trial=config.epochs_per_trial)
    return classes["RandomSearch"](hypermodel, oracle, **common)


def fit_callbacks(config: SearchConfig, tb_dir: Path | None) -> list:
    """Keras callbacks of every trial: EarlyStopping on the objective (``val_accuracy``, mode max — the score
    the tuners rank trials by), and TensorBoard logs into ``tb_dir`` (if any)."""
    import keras  # noqa: PLC0415

    cbs = [keras.callbacks.EarlyStopping(monitor=OBJECTIVE, mode="max", patience=config.patience)]
    if tb_dir is not None:        # keras-tuner gives each trial its own log dir and adds the HParams callback
        cbs.append(keras.callbacks.TensorBoard(log_dir=str(tb_dir), write_graph=False, profile_batch=0))
    return cbs


def search_arguments(config: SearchConfig, data: TuningData, tb_dir: Path | None, verbose: int) -> dict[str, Any]:
    """Keyword arguments of ``tuner.search``: the training and validation arrays (one-hot), batch size,
    :func:`fit_callbacks` and, for RandomSearch, the epochs per trial."""
    from choreo_utils.classifier import one_hot  # noqa: PLC0415

    kw = {"x": data.x_train, "y": one_hot(data.y_train, data.n_classes),
          "validation_data": (data.x_val, one_hot(data.y_val, data.n_classes)), "batch_size": config.batch_size,
          "callbacks": fit_callbacks(config, tb_dir), "verbose": verbose, "shuffle": True}
    if config.kind == "random":
        kw["epochs"] = config.epochs_per_trial      # Hyperband sets epochs per trial itself (it ignores ours)
    return kw

