"""What a tuner comparison says, with its spread: best-so-far curves on a common epoch grid, who reaches whose
best and when, paired verdicts over seeds (through ``stats.verdict``), the input-BatchNorm lag, and the tuned
configuration retrained over seeds against the untuned one on the same test videos.

Each seed of a :class:`~choreo_utils.tuning.compare.Comparison` is a pair: both tuners start from the same
random configurations and spend the same epochs. So the per-seed difference is the unit of evidence, and the
verdicts here are paired differences over seeds with their 95% intervals (``stats.paired_difference``), or, for
test accuracy, a bootstrap over seeds *and* test videos (``stats.paired_bootstrap``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd

from choreo_utils import stats

if TYPE_CHECKING:
    from choreo_utils.classifier import SeedScores

TUNERS = ("hyperband", "random")

def best_so_far_grid(progress: pd.DataFrame, epochs: int | None = None) -> dict[str, pd.DataFrame]:
    """Per tuner: best validation score found after each epoch 1..``epochs`` (one row per seed).

    A trial's score counts from the cumulative epoch at which it finished (``progress``'s ``cum_epochs``);
    before a search's first trial has finished the value is NaN. ``epochs`` defaults to the largest spent.
    """
    epochs = int(epochs or progress["cum_epochs"].max())
    grid = np.arange(1, epochs + 1)
    out: dict[str, pd.DataFrame] = {}
    for tuner, runs in progress.groupby("tuner", sort=False):
        rows = {}
        for seed, run in runs.groupby("seed", sort=True):
            run = run.dropna(subset=["best_so_far"]).sort_values("cum_epochs", kind="stable")
            idx = np.searchsorted(run["cum_epochs"].to_numpy(float), grid, side="right") - 1
            best = run["best_so_far"].to_numpy(float)
            rows[int(seed)] = np.where(idx >= 0, best[np.clip(idx, 0, None)], np.nan)
        out[str(tuner)] = pd.DataFrame.from_dict(rows, orient="index", columns=grid).rename_axis("seed")
    return out


def _first_epoch_at(curve: pd.Series, target: float) -> float:
    """First grid epoch where ``curve`` ≥ ``target`` (NaN: never)."""
    hit = curve.index[curve.to_numpy(float) >= target - 1e-12]
    return float(hit[0]) if len(hit) else float("nan")


def reach_table(grids: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per seed: each tuner's best, the epochs it needed for it, and the epochs at which it reached the *other*
    tuner's best (NaN: not within the budget). The tuner with the higher best always reaches the other's."""
    hb, rs = grids["hyperband"], grids["random"]
    rows = []
    for seed in hb.index.intersection(rs.index):
        h, r = hb.loc[seed], rs.loc[seed]
        hb_best, rs_best = float(np.nanmax(h)), float(np.nanmax(r))
        rows.append({"seed": int(seed), "hyperband_best": hb_best, "random_best": rs_best,
                     "hyperband_epochs_to_own_best": _first_epoch_at(h, hb_best),
                     "random_epochs_to_own_best": _first_epoch_at(r, rs_best),
                     "hyperband_epochs_to_random_best": _first_epoch_at(h, rs_best),
                     "random_epochs_to_hyperband_best": _first_epoch_at(r, hb_best)})
    return pd.DataFrame(rows).set_index("seed")


def reach_summary(reach: pd.DataFrame) -> pd.DataFrame:
    """Per tuner: in how many seeds (and which fraction) it reached the other tuner's best within the budget, and
    the median epochs it needed, counting a seed where it never did as beyond the budget (median ``inf``: it
    did not get there in most seeds)."""
    rows = []
    for tuner, other in (("hyperband", "random"), ("random", "hyperband")):
        e = reach[f"{tuner}_epochs_to_{other}_best"].to_numpy(float)
        reached = np.isfinite(e)
        rows.append({"tuner": tuner, "seeds": int(len(e)), "reached_other_best": int(reached.sum()),
                     "fraction": float(reached.mean()) if len(e) else float("nan"),
                     "median_epochs": float(np.median(np.where(reached, e, np.inf))) if len(e) else float("nan")})
    return pd.DataFrame(rows).set_index("tuner")


def describe_reach(summary: pd.DataFrame, budget_epochs: int) -> list[str]:
    """One sentence per tuner from :func:`reach_summary` (what the notebook prints and the metrics keep)."""
    names = {"hyperband": "Hyperband", "random": "random search"}
    out = []
    for tuner, row in summary.iterrows():
        other = names["random" if tuner == "hyperband" else "hyperband"]
        med = row["median_epochs"]
        when = (f"median {med:.0f} of {budget_epochs} epochs" if np.isfinite(med)
                else f"median: not within the {budget_epochs} epochs")
        n, of = int(row["reached_other_best"]), int(row["seeds"])
        out.append(f"{names[tuner]} reached {other}'s best in {n} of {of} seeds ({row['fraction']:.0%}; {when})")
    return out


def tuner_verdicts(grids: dict[str, pd.DataFrame]) -> dict[str, dict[str, Any]]:
    """Paired over seeds, Hyperband − random search: the best validation score at the end of the budget, and
    the best-so-far averaged over the epochs of the budget ("anytime": higher means better sooner) — for each
    seed over the epochs where *both* searches have a result (a search without a finished trial yet has no score,
    rather than a score of 0).

    Each entry holds the ``interval`` (``stats.Interval``), its ``verdict`` sentence and the per-seed values."""
    hb, rs = grids["hyperband"], grids["random"]
    seeds = hb.index.intersection(rs.index)
    hb, rs = hb.loc[seeds], rs.loc[seeds]
    both = hb.notna() & rs.notna()
    measures = {"final_best": (hb.iloc[:, -1], rs.iloc[:, -1]),
                "anytime": (hb.where(both).mean(axis=1), rs.where(both).mean(axis=1))}
    out = {}
    for name, (a, b) in measures.items():
        interval = stats.paired_difference(a.to_numpy(float), b.to_numpy(float))
        out[name] = {"interval": interval, "sign": stats.sign(interval),
                     "verdict": stats.verdict(interval, better="Hyperband ahead", worse="random search ahead"),
                     "hyperband": a.round(6).tolist(), "random": b.round(6).tolist()}
    return out


def batchnorm_lag(n_clips: int, batch_size: int, momentum: float, epochs: float) -> float:
    """Fraction of the input BatchNorm's moving statistics still at their initial values after ``epochs``
    epochs: ``momentum ** updates``, one update per training batch."""
    updates = int(np.ceil(int(n_clips) / int(batch_size))) * float(epochs)
    return float(momentum) ** updates


_CONFIG_COLUMNS = ["trial_id", "lstm_units", "dense1", "activation", "learning_rate", "dropout", "epoch_to"]


def first_round_trials(trials: pd.DataFrame) -> pd.DataFrame:
    """Hyperband's first round of its most aggressive bracket (the first trials it runs): random draws trained
    for the fewest epochs, chosen before any result is known — the same draws for the same seed."""
    hb = trials[(trials["tuner"] == "hyperband") & (trials["status"] == "COMPLETED")]
    top = hb["bracket"].max()
    return hb[(hb["bracket"] == top) & (hb["round"] == 0)]


def short_trial_effect(base: pd.DataFrame, other: pd.DataFrame) -> tuple[pd.DataFrame, stats.Interval]:
    """Paired over seeds: mean validation score of Hyperband's first-round trials in ``other`` minus ``base``
    (two ``Comparison.trials`` tables whose searches differ in one model setting only).

    The trials must be the same configurations, trial ids and epochs in both (ValueError otherwise): then the
    difference is the effect of that setting on short trials alone."""
    a, b = first_round_trials(base), first_round_trials(other)
    rows = []
    for seed in sorted(set(a["seed"]) & set(b["seed"])):
        x = a[a["seed"] == seed].sort_values("trial_id")
        y = b[b["seed"] == seed].sort_values("trial_id")
        cx = x[_CONFIG_COLUMNS].reset_index(drop=True).astype(str)
        cy = y[_CONFIG_COLUMNS].reset_index(drop=True).astype(str)
        if not cx.equals(cy):
            raise ValueError(f"seed {seed}: Hyperband's first-round trials differ between the two searches, so "
                             "their scores are not paired — compare searches that differ in a model setting only")
        rows.append({"seed": int(seed), "trials": len(x), "epochs": int(x["epoch_to"].max()),
                     "base_mean_score": float(x["score"].mean()), "other_mean_score": float(y["score"].mean())})
    table = pd.DataFrame(rows).set_index("seed")
    if table.empty:
        raise ValueError("no seed has Hyperband first-round trials in both tables")
    return table, stats.paired_difference(table["other_mean_score"], table["base_mean_score"])


def retrain_over_seeds(train, val, test, params: dict[str, Any], seeds: Sequence[int], epochs: int,
                       curves: bool = True, name: str = "BiLSTM") -> SeedScores:
    """Train ``params`` for exactly ``epochs`` under each seed (no early stopping: validation selects nothing
    here) and score the test videos. One model, re-initialised per seed (``training.seeded_model``); validation
    is scored for the first seed's curves only (``curves``).

    Returns :class:`~choreo_utils.classifier.SeedScores` with one variant, ``name``: ``table`` indexed by seed
    (``classifier.summary_row`` — training accuracy scored in inference mode — plus ``epochs_run`` and
    ``train_accuracy_curve``, the last epoch's training accuracy as the curve reports it), ``video_correct``
    (seeds, videos) 0/1 (``.correct()``), ``videos``, ``seeds`` and ``history`` (the first seed's)."""
    from choreo_utils import classifier, runtime  # noqa: PLC0415

    model, rows, correct, videos, history = None, [], [], None, None
    seeds = [int(s) for s in seeds]
    for i, seed in enumerate(seeds):
        with runtime.filtered_native_stderr():   # TensorFlow's benign native log lines (runtime.BENIGN_TF_STDERR)
            run = classifier.fit_evaluate(train, val if (curves and i == 0) else None, test, params, seed=seed,
                                          epochs=int(epochs), model=model, progress=False)
        model, res = run["model"], run["test"]
        vp = res["video_probs"]
        videos = list(vp.index) if videos is None else videos
        if list(vp.index) != videos:
            raise ValueError("the test videos differ between seeds: pass the same test split to every run")
        correct.append((vp.to_numpy().argmax(1) == res["video_labels"]).astype(float))
        history = run["history"] if i == 0 else history
        rows.append({"seed": seed, **classifier.summary_row(run), "epochs_run": run["epochs_run"],
                     "train_accuracy_curve": float(run["history"]["accuracy"][-1])})
    return classifier.SeedScores(table=pd.DataFrame(rows).set_index("seed"), video_correct={name: np.stack(correct)},
                                 videos=videos, seeds=seeds, history={name: history})
