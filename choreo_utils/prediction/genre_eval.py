"""Does a generated dance keep its genre? ConvLSTM rollouts judged the way generative video models are judged.

Pixel errors (MSE, PSNR, SSIM) say how far a predicted frame is from the real one; they do not say whether the
prediction still *looks like* the dance it continues. Generative video models are judged on that instead:

* a **classifier trained on real videos** labels the generated ones — if the genre survives, it is recognised
  as often as in the real continuation (the idea behind the Inception Score and "classifier accuracy");
* the **Fréchet distance** between the classifier's embeddings of real and of generated windows (FVD's recipe,
  here with our own small classifier instead of an I3D network) compares whole distributions: it grows when
  generated windows look unlike real ones, even where the label is still right.

This module runs the evaluation and turns it into numbers; its parts have their own homes:
:mod:`~choreo_utils.prediction.selection` (notebook 05's models, the videos and windows judged),
:mod:`~choreo_utils.prediction.judge` (the genre classifier), :mod:`~choreo_utils.prediction.frechet` (the
distance and its floor) and :func:`~choreo_utils.prediction.rollouts.fast_rollout` (a one-frame-per-step rollout).

* :func:`horizon_windows`, :func:`evaluate_rollouts` — windows of the predicted frames (never the context),
  classified for the real continuation, the ConvLSTM and the two baselines, by horizon, in a tidy table (with
  each window's :func:`motion_energy`);
* :func:`unit_accuracy`, :func:`accuracy_table`, :func:`compare_accuracy`, :func:`above_chance`,
  :func:`keeps_genre` — intervals over seeds and YouTube ids (:mod:`choreo_utils.stats`) and the plain answer.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from choreo_utils.checks import positive_int
from choreo_utils.prediction.frames import check_frames, to_unit
from choreo_utils.prediction.judge import classify_windows
from choreo_utils.prediction.rollouts import copy_last_rollout, fast_rollout, linear_rollout
from choreo_utils.training import SeedRun

#: Where each window of frames comes from: the real continuation, our model, and the two baselines.
WINDOW_SOURCES: tuple[str, ...] = ("real", "ConvLSTM", "copy-last", "linear")


def horizon_windows(future: np.ndarray, window: int, count: int) -> np.ndarray:
    """Windows ``k = 0..count-1`` of ``window`` frames cut from predicted (or real) continuations (N, T, H, W, C):
    window k holds horizons ``k·window + 1 .. (k+1)·window``. Shape (count, N, window, H, W, C).

    Give it the frames *after* the context (``prediction.split_context``): a window never holds a context frame,
    so copy-last is not credited with the real frames it copies."""
    future = check_frames(future, ndim=(5,), name="future frames")
    window, count = positive_int(window, "window"), positive_int(count, "count")
    if future.shape[1] < window * count:
        raise ValueError(f"{count} windows of {window} frames need {window * count} predicted frames; got "
                         f"{future.shape[1]}")
    return np.stack([future[:, k * window:(k + 1) * window] for k in range(count)])


def motion_energy(windows: np.ndarray) -> np.ndarray:
    """How much each window (N, T, H, W, C) moves: the mean absolute difference between consecutive frames (0 for a
    frozen window such as copy-last's; grey levels in [0, 1])."""
    windows = to_unit(check_frames(windows, ndim=(5,), name="windows"), "windows")   # uint8 or [0, 1] floats
    return np.abs(np.diff(windows, axis=1)).mean(axis=(1, 2, 3, 4)).astype(float)


def window_labels(window: int, count: int) -> list[str]:
    """``["1–10", "11–20", "21–30"]``: the horizons each window holds."""
    return [f"{k * window + 1}–{(k + 1) * window}" for k in range(count)]


@dataclasses.dataclass
class GenreEval:
    """What :func:`evaluate_rollouts` measured: one row per (seed, source, window, sequence) in ``scores`` (predicted
    genre, correct or not, probability of the true genre, :func:`motion_energy`), and the classifier's embeddings of
    every window, ``embeddings[(seed, source, window)]`` (N, d)."""

    scores: pd.DataFrame
    embeddings: dict[tuple[int, str, int], np.ndarray]
    window: int
    count: int


def evaluate_rollouts(classifier: Any, classifier_runs: Sequence[SeedRun], predictors: Mapping[int, Any],
                      context: np.ndarray, future: np.ndarray, labels: Sequence[int], units: Sequence[Any],
                      window: int, count: int, rollout: Callable[..., np.ndarray] = fast_rollout,
                      progress: bool = True) -> GenreEval:
    """Roll out every sequence with the ConvLSTM of each seed and with the two baselines, cut the real and the
    predicted continuations into ``count`` windows of ``window`` frames, and classify each window with the genre
    classifier of the same seed (``classifier`` takes ``classifier_runs[i].weights``; ConvLSTM seed i is judged by
    classifier seed i; the baselines and the real frames have no seed and are judged by every classifier).

    ``context`` (N, c, H, W, C) and ``future`` (N, ≥ count·window, H, W, C) are the real frames;
    ``labels`` the genre index and ``units`` the YouTube id of each sequence."""
    from choreo_utils.progress import bar  # noqa: PLC0415

    context = to_unit(check_frames(context, ndim=(5,), name="context"), "context")
    future = to_unit(check_frames(future, ndim=(5,), name="future"), "future")
    labels, units = np.asarray(labels, int), np.asarray(list(units), dtype=object)
    n = len(context)
    if not (len(future) == len(labels) == len(units) == n):
        raise ValueError(f"one context, continuation, label and unit per sequence: got {n}, {len(future)}, "
                         f"{len(labels)}, {len(units)}")
    horizon = window * count
    seeds = [r.seed for r in classifier_runs]
    missing = [s for s in seeds if s not in predictors]
    if missing:
        raise ValueError(f"no ConvLSTM for seed(s) {missing}: the classifier of seed s judges the ConvLSTM of seed s, "
                         "so train both under the same seeds (PRED_SEEDS)")
    fixed = {"real": horizon_windows(future, window, count),
             "copy-last": horizon_windows(copy_last_rollout(context, horizon), window, count),
             "linear": horizon_windows(linear_rollout(context, horizon), window, count)}
    rows, embeddings = [], {}
    for run in bar(classifier_runs, desc="rollouts and windows per seed", unit="seed", disable=not progress):
        classifier.set_weights(run.weights)
        sources = {"real": fixed["real"],
                   "ConvLSTM": horizon_windows(rollout(predictors[run.seed], context, horizon), window, count),
                   "copy-last": fixed["copy-last"], "linear": fixed["linear"]}
        for source, wins in sources.items():
            for k in range(count):
                probs, emb = classify_windows(classifier, wins[k])
                embeddings[(run.seed, source, k + 1)] = emb
                pred = probs.argmax(axis=1)
                rows.append(pd.DataFrame({"seed": run.seed, "source": source, "window": k + 1,
                                          "sequence": np.arange(n), "youtube_id": units, "label": labels,
                                          "predicted": pred, "correct": (pred == labels).astype(float),
                                          "p_true": probs[np.arange(n), labels],
                                          "motion": motion_energy(wins[k])}))
    return GenreEval(pd.concat(rows, ignore_index=True), embeddings, window, count)


# ------------------------------------------------------------------------------------------ the numbers
def unit_accuracy(scores: pd.DataFrame, source: str, window: int) -> np.ndarray:
    """Genre accuracy of ``source`` at ``window``, averaged per YouTube id: a (seeds, units) array (sorted ids),
    what ``stats.paired_bootstrap`` resamples."""
    sel = scores[(scores["source"] == source) & (scores["window"] == window)]
    if sel.empty:
        raise ValueError(f"no scores for source {source!r} at window {window}")
    table = sel.pivot_table(index="seed", columns="youtube_id", values="correct", aggfunc="mean")
    return table.sort_index(axis=0).sort_index(axis=1).to_numpy()


def accuracy_table(scores: pd.DataFrame, labels: Sequence[str] | None = None) -> tuple[pd.DataFrame, dict]:
    """Mean genre accuracy of each source at each window with its 95% interval (seeds and YouTube ids resampled,
    ``stats.paired_bootstrap``); ``(table, {(source, window): Interval})``."""
    from choreo_utils import stats  # noqa: PLC0415

    rows, intervals = [], {}
    for source in [s for s in WINDOW_SOURCES if s in set(scores["source"])]:
        for w in sorted(scores["window"].unique()):
            iv = stats.paired_bootstrap(unit_accuracy(scores, source, w))
            intervals[(source, int(w))] = iv
            rows.append({"source": source, "window": int(w),
                         "horizons": labels[int(w) - 1] if labels is not None else str(w),
                         "accuracy": iv.mean, "low": iv.low, "high": iv.high, "seeds": iv.n_seeds, "units": iv.n_units})
    return pd.DataFrame(rows), intervals


def compare_accuracy(scores: pd.DataFrame, a: str, b: str, window: int):
    """Paired difference of genre accuracy, ``a`` minus ``b`` at ``window`` (same seeds, same YouTube ids), with its
    95% interval (``stats.paired_bootstrap``)."""
    from choreo_utils import stats  # noqa: PLC0415

    return stats.paired_bootstrap(unit_accuracy(scores, a, window), unit_accuracy(scores, b, window))


def above_chance(scores: pd.DataFrame, source: str, window: int, chance: float):
    """Genre accuracy of ``source`` at ``window`` minus ``chance``, with its 95% interval (``stats.paired_bootstrap``
    over seeds and YouTube ids): above zero when the genre is recognised more often than by guessing."""
    from choreo_utils import stats  # noqa: PLC0415

    return stats.paired_bootstrap(unit_accuracy(scores, source, window) - float(chance))


def keeps_genre(vs_real: Sequence[Any], above_chance: Sequence[Any]) -> dict[str, int]:
    """For how many windows, from the first, the generated dance keeps its genre, given one interval per window:

    * ``"as_real"``: its accuracy is not measurably below the real continuation's (``vs_real``, the paired difference
      generated − real, does not lie below zero: ``stats.sign >= 0``);
    * ``"above_chance"``: its accuracy lies measurably above chance (``above_chance``, accuracy − chance:
      ``stats.sign > 0``);
    * ``"kept"``: both at once — the definition notebook 06 answers with.

    Each count stops at the first window that fails its rule (0: not even the first window)."""
    from choreo_utils import stats  # noqa: PLC0415

    vs_real, above_chance = list(vs_real), list(above_chance)
    if len(vs_real) != len(above_chance):
        raise ValueError(f"one interval per window for both rules: got {len(vs_real)} and {len(above_chance)}")
    real_ok = [stats.sign(iv) >= 0 for iv in vs_real]
    chance_ok = [stats.sign(iv) > 0 for iv in above_chance]

    def first_run(ok: list[bool]) -> int:
        return next((i for i, good in enumerate(ok) if not good), len(ok))

    return {"as_real": first_run(real_ok), "above_chance": first_run(chance_ok),
            "kept": first_run([a and b for a, b in zip(real_ok, chance_ok)])}
