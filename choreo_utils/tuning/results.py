"""What a search leaves behind, as tables: :class:`SearchResult`, the trial table and the best-so-far progress.

keras-tuner's ``results_summary()`` only prints: :func:`trial_table` builds a DataFrame from ``tuner.oracle``
(or, for a search that ran in another process or session, from the project's JSON files), with the epochs
each trial really ran (``epochs_run``; EarlyStopping may stop early). :func:`progress_table` turns it into
best-so-far score against cumulative epochs and wall time; :func:`summarize_progress` gives one row per tuner
and seed.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from choreo_utils.tuning.project import read_project_json
from choreo_utils.tuning.settings import OBJECTIVE, SearchConfig
from choreo_utils.tuning.space import model_params

#: Per-trial numbers our tuners report besides Keras's metrics (see ``tuners.keras_tuner_classes``).
_REPORTED = ("epochs_run", "epochs_planned", "epoch_from", "epoch_to", "trial_seconds", "best_epoch")
_HP_COLUMNS = ("lstm_units", "dense1", "dense2", "activation", "learning_rate", "dropout")
_TABLE_COLUMNS = ("trial_id", "status", "score", "val_loss", "accuracy", "loss", *_HP_COLUMNS, "bracket", "round",
                  "from_trial", "epoch_from", "epoch_to", "epochs_planned", "epochs_run", "best_epoch", "tuner_id",
                  "attempts", "start_s", "end_s", "seconds")


@dataclasses.dataclass(repr=False)
class SearchResult:
    """A finished (or resumed) search: the tuner, its trial table and best-so-far progress."""

    config: SearchConfig
    project_dir: Path
    tuner: Any
    seconds: float
    trials: pd.DataFrame
    tensorboard_dir: Path | None = None
    workers: dict[str, list[int]] | None = None   # launch_distributed: each worker's exit codes, in order

    def __repr__(self) -> str:
        t = self.trials
        return (f"SearchResult({self.kind}, seed {self.seed}: {len(t)} trials "
                f"({int((t['status'] == 'COMPLETED').sum())} completed), {int(t['epochs_run'].sum())} epochs run, "
                f"best {OBJECTIVE} {t['score'].max():.4f}, {self.seconds:.0f} s; {self.project_dir})")

    @property
    def kind(self) -> str:
        return self.config.kind

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def progress(self) -> pd.DataFrame:
        """Best-so-far ``val_accuracy`` against cumulative epochs and wall time (see :func:`progress_table`)."""
        return progress_table(self.trials)

    @property
    def best_params(self) -> dict[str, Any]:
        """``classifier.build_classifier`` kwargs of the best trial (``dense2 = dense1 // 2``)."""
        done = self.trials[self.trials["status"] == "COMPLETED"]
        if done.empty:
            raise ValueError(f"no completed trial in {self.project_dir}")
        return model_params(done.loc[done["score"].idxmax()])

    @property
    def best_score(self) -> float:
        """Best validation accuracy found."""
        return float(self.trials["score"].max())

    def best_model(self):
        """The best trial's model with its best-epoch weights (``tuner.get_best_models(1)[0]``)."""
        if self.tuner is None:
            raise ValueError(f"this search ran in another process, so there is no live tuner: reload it with "
                             f"run_search(data, config, project_name={self.project_dir.name!r}, overwrite=False) "
                             "(finished trials are not re-run)")
        return self.tuner.get_best_models(1)[0]

def _trial_record(trial_id: str, status: str, score, values: Mapping[str, Any],
                 metric: Callable[[str], float | None], times: Mapping[str, Any], t0: float | None) -> dict[str, Any]:
    """One row of :func:`trial_table`: ``values`` are the trial's hyperparameters, ``metric(name)`` its last
    reported value of a metric (None if absent), ``times`` its ``choreo_times`` entry, ``t0`` the first start."""
    rec: dict[str, Any] = {"trial_id": str(trial_id), "status": status,
                           "score": float(score) if score is not None else np.nan}
    for name in ("val_loss", "accuracy", "loss", *_REPORTED):
        v = metric(name)
        rec[name] = float(v) if v is not None else np.nan
    for name in ("lstm_units", "dense1", "activation", "learning_rate", "dropout"):
        rec[name] = values.get(name)
    rec["dense2"] = int(values["dense1"]) // 2 if values.get("dense1") is not None else None
    rec["bracket"], rec["round"] = values.get("tuner/bracket"), values.get("tuner/round")
    rec["from_trial"] = values.get("tuner/trial_id")
    rec["tuner_id"], rec["attempts"] = times.get("tuner_id"), times.get("attempts")
    started, ended = times.get("started"), times.get("ended")
    rec["start_s"] = started - t0 if started is not None and t0 is not None else np.nan
    rec["end_s"] = ended - t0 if ended is not None and t0 is not None else np.nan
    rec["seconds"] = rec.pop("trial_seconds")
    return rec


def _trials_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """:func:`_trial_record` rows as a typed DataFrame (integer columns as ``Int64``; RandomSearch: no brackets)."""
    df = pd.DataFrame(records, columns=list(_TABLE_COLUMNS))
    for col in ("lstm_units", "dense1", "dense2", "epoch_from", "epoch_to", "epochs_planned", "epochs_run",
                "best_epoch", "bracket", "round", "attempts"):
        df[col] = pd.array(pd.to_numeric(df[col], errors="coerce").round(), dtype="Int64")
    for col in ("learning_rate", "dropout"):
        df[col] = pd.to_numeric(df[col], errors="coerce")
    if df[["bracket", "round", "from_trial"]].isna().all().all():
        df = df.drop(columns=["bracket", "round", "from_trial"])   # RandomSearch: no brackets
    return df


def trial_table(source) -> pd.DataFrame:
    """One row per trial, in start order: hyperparameters, score (best ``val_accuracy``), status, epochs, timing.

    ``source`` is a tuner (read from ``tuner.oracle``), a :class:`SearchResult`, or a project directory (read
    from the oracle's JSON files — for distributed searches or earlier sessions). Columns: trial_id, status,
    score, val_loss/accuracy/loss (best epoch), lstm_units, dense1, dense2, activation, learning_rate, dropout,
    Hyperband's bracket/round/from_trial (the trial it continues), epoch_from/epoch_to/epochs_planned (the
    planned epoch range), epochs_run (really run; EarlyStopping may stop early), best_epoch, tuner_id, attempts,
    start_s/end_s (wall-clock seconds since the first trial started) and seconds (training time).
    """
    if isinstance(source, SearchResult):
        return source.trials
    if isinstance(source, (str, os.PathLike)):
        return _table_from_files(Path(source))
    oracle = getattr(source, "oracle", source)
    times = getattr(oracle, "choreo_times", {})
    t0 = min((t["started"] for t in times.values() if "started" in t), default=None)
    order = list(dict.fromkeys([*oracle.start_order, *oracle.trials]))
    records = []
    for tid in order:
        trial = oracle.trials[tid]

        def metric(name, trial=trial):
            return trial.metrics.get_last_value(name) if trial.metrics.exists(name) else None

        records.append(_trial_record(tid, trial.status, trial.score, trial.hyperparameters.values, metric,
                               times.get(tid, {}), t0))
    return _trials_frame(records)


def _table_from_files(project_dir: Path) -> pd.DataFrame:
    """:func:`trial_table` of a project folder, read from the oracle's and trials' JSON files."""
    if not (project_dir / "oracle.json").is_file():
        raise FileNotFoundError(f"no keras-tuner project at {project_dir} (no oracle.json) — check the directory "
                                "and project_name")
    state = read_project_json(project_dir / "oracle.json", "keras-tuner oracle state")
    times = state.get("choreo_times", {})
    t0 = min((t["started"] for t in times.values() if "started" in t), default=None)
    trials = {}
    for path in sorted(project_dir.glob("trial_*/trial.json")):
        t = read_project_json(path, "keras-tuner trial", required=("trial_id", "status", "hyperparameters"))
        trials[t["trial_id"]] = t
    order = list(dict.fromkeys([*state.get("start_order", []), *sorted(trials)]))
    records = []
    for tid in order:
        if tid not in trials:
            continue
        t = trials[tid]
        metrics = t.get("metrics", {}).get("metrics", {})

        def metric(name, metrics=metrics):
            obs = metrics.get(name, {}).get("observations", [])
            return float(np.mean(obs[-1]["value"])) if obs else None

        records.append(_trial_record(tid, t["status"], t.get("score"), t["hyperparameters"]["values"], metric,
                               times.get(tid, {}), t0))
    return _trials_frame(records)


def progress_table(trials: pd.DataFrame) -> pd.DataFrame:
    """Best-so-far score as trials finish: cumulative epochs, wall-clock and summed training seconds.

    Rows are finished trials in the order they ended. ``cum_epochs`` adds every trial's ``epochs_run``
    (failed trials count 0), ``wall_seconds`` is the end time since the first trial started (a resumed search
    includes its pause), ``compute_seconds`` sums trial training times (≠ wall time with parallel workers).
    """
    done = trials[trials["status"].isin(["COMPLETED", "FAILED", "INVALID"])].copy()
    if done["end_s"].notna().all():
        done = done.sort_values("end_s", kind="stable")
    epochs = pd.to_numeric(done["epochs_run"], errors="coerce").fillna(0).astype(float)
    score = done["score"].where(done["status"] == "COMPLETED")
    return pd.DataFrame({"trial_id": done["trial_id"].to_numpy(), "status": done["status"].to_numpy(),
                         "score": score.to_numpy(float), "epochs_run": epochs.to_numpy(),
                         "cum_epochs": epochs.cumsum().to_numpy(),
                         "wall_seconds": done["end_s"].to_numpy(float),
                         "compute_seconds": done["seconds"].fillna(0).cumsum().to_numpy(float),
                         "best_so_far": score.cummax().ffill().to_numpy(float)})

def summarize_progress(progress: pd.DataFrame, planned: Mapping[tuple[str, int], int] | None = None) -> pd.DataFrame:
    """Per (tuner, seed): trials, epochs_planned (from ``planned[(tuner, seed)]``, else NaN), epochs_spent (the
    epochs really trained, EarlyStopping included), wall seconds, best score, epochs_to_best, seconds_to_best."""
    rows = []
    for (tuner, seed), p in progress.groupby(["tuner", "seed"], sort=True):
        best = p["best_so_far"].max()
        first = p[p["best_so_far"] >= best].iloc[0] if np.isfinite(best) else p.iloc[-1]
        rows.append({"tuner": tuner, "seed": seed, "trials": len(p),
                     "epochs_planned": (planned or {}).get((tuner, seed), np.nan),
                     "epochs_spent": p["epochs_run"].sum(),
                     "wall_seconds": p["wall_seconds"].max(), "best_score": best,
                     "epochs_to_best": first["cum_epochs"], "seconds_to_best": first["wall_seconds"]})
    return pd.DataFrame(rows)

