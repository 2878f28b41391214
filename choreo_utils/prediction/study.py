"""Comparisons that hold for the next-frame models: one architecture trained over several seeds (the compiled
model reused), errors per test unit (a YouTube id), and paired gains with 95% intervals from
:func:`choreo_utils.stats.paired_bootstrap`.

Every predictor is scored on the *same* held-out sequences, so two predictors are paired by unit; models are
also paired by seed (seed i of the ConvLSTM and of its ablation start from the same weights). The unit is the
YouTube id: sequences of one video (or of two segments of one YouTube video) are alike, so they are not
independent samples — the split keeps them together for the same reason.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from choreo_utils.checks import positive_int
from choreo_utils.prediction.frames import check_frames, to_unit
from choreo_utils.training import SeedRun, over_seeds


def train_seeds(build: Callable[[tuple[int, int, int]], Any], x: np.ndarray, y: np.ndarray, seeds: Sequence[int],
                epochs: int, batch_size: int, label: str = "model", progress: bool = True) -> list[SeedRun]:
    """Train ``build(frame_shape)`` on shifted pairs ``(x, y)`` once per seed (:func:`over_seeds`); returns each
    seed's trained weights."""
    from choreo_utils.prediction.training import train  # noqa: PLC0415

    shape = tuple(x.shape[2:])
    epochs = positive_int(epochs, "epochs")
    _, runs = over_seeds(lambda: build(shape), seeds, lambda model, seed: train(
        model, x, y, epochs=epochs, batch_size=batch_size, seed=seed,
        progress=f"{label}, seed {seed}" if progress else False), what="train_seeds")
    return runs


def with_weights(model: Any, run: SeedRun) -> Any:
    """``model`` (e.g. the same architecture built for whole frames) with the weights of ``run``; returns it."""
    model.set_weights(run.weights)
    return model


def mse_per_sequence(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """MSE of each sequence and frame: (N, T, H, W, C) pairs → (N, T) (the same numbers as ``frame_metrics``), on
    grey levels in [0, 1] (uint8 frames are scaled, floats outside [0, 1] refused: ``to_unit``)."""
    pred = to_unit(check_frames(pred, ndim=(5,), name="predictions"), "predictions", dtype=np.float64)
    true = to_unit(check_frames(true, ndim=(5,), name="targets"), "targets", dtype=np.float64)
    if pred.shape != true.shape:
        raise ValueError(f"predictions {pred.shape} and targets {true.shape} must be aligned (same shape)")
    return ((pred - true) ** 2).mean(axis=(2, 3, 4))


def by_unit(values: np.ndarray, units: Sequence[Any]) -> np.ndarray:
    """Average rows of ``values`` (one row per sequence; any trailing shape) over each unit, in sorted unit order."""
    values, units = np.asarray(values, dtype=float), pd.Index(list(units))
    if len(units) != len(values):
        raise ValueError(f"one unit per sequence is needed: {len(values)} sequences, {len(units)} units")
    return np.stack([values[np.asarray(units == u)].mean(axis=0) for u in sorted(units.unique())])


def relative_gain(model: np.ndarray, baseline: np.ndarray, **bootstrap: Any):
    """How much lower ``model``'s error is than ``baseline``'s, as a share of the baseline's mean error.

    ``model`` and ``baseline`` are paired (seeds, units) errors — a (units,) baseline (copy-last: no seeds) is
    repeated over the model's seeds. Returns the :class:`~choreo_utils.stats.Interval` of
    ``(baseline - model) / mean(baseline)`` from :func:`~choreo_utils.stats.paired_bootstrap` (seeds and units
    resampled): its mean is ``1 - mean(model) / mean(baseline)``, positive when the model is better.
    """
    from choreo_utils import stats  # noqa: PLC0415

    model, baseline = np.atleast_2d(np.asarray(model, float)), np.atleast_2d(np.asarray(baseline, float))
    if baseline.shape[0] == 1 and model.shape[0] > 1:
        baseline = np.repeat(baseline, model.shape[0], axis=0)
    if model.shape[0] == 1 and baseline.shape[0] > 1:
        model = np.repeat(model, baseline.shape[0], axis=0)
    ref = float(baseline.mean())
    if not ref > 0:
        raise ValueError(f"the baseline's mean error must be positive to compare against it; got {ref}")
    return stats.paired_bootstrap(baseline / ref, model / ref, **bootstrap)


def gain_table(errors: dict[str, np.ndarray], baseline: str, scale: float = 100.0) -> pd.DataFrame:
    """Mean error of each predictor, the range of its per-seed means, and its relative gain over ``baseline``
    in % (:func:`relative_gain`, with its 95% interval ``gain_low``..``gain_high``), one row each.

    ``errors`` maps a name to (seeds, units) or (units,) errors, all on the same units."""
    rows = {}
    for name, err in errors.items():
        err = np.atleast_2d(np.asarray(err, float))
        row = {"seeds": err.shape[0], "units": err.shape[1], "mse": err.mean(),
               "mse_seed_min": err.mean(axis=1).min(), "mse_seed_max": err.mean(axis=1).max()}
        if name != baseline:
            gain = relative_gain(err, errors[baseline])
            row.update(gain=gain.mean * scale, gain_low=gain.low * scale, gain_high=gain.high * scale)
        rows[name] = row
    return pd.DataFrame(rows).T.astype({"seeds": int, "units": int}).rename_axis("predictor")


def one_step_over_seeds(model: Any, runs: Sequence[SeedRun], x: np.ndarray, y: np.ndarray,
                        summary: bool = False) -> tuple[np.ndarray, pd.DataFrame | None]:
    """One-step MSE of every sequence and position under each run's weights: (seeds, N, T) — and, with
    ``summary``, a table of mean MSE, PSNR and SSIM per seed (``summarize``)."""
    from choreo_utils.prediction.metrics import summarize  # noqa: PLC0415
    from choreo_utils.prediction.rollouts import predict_next  # noqa: PLC0415

    errors, rows = [], {}
    for run in runs:
        pred = predict_next(with_weights(model, run), x)
        errors.append(mse_per_sequence(pred, y))
        if summary:
            rows[run.seed] = summarize(pred, y)
    table = pd.DataFrame(rows).T.rename_axis("seed") if summary else None
    return np.stack(errors), table


def rollouts_over_seeds(model: Any, runs: Sequence[SeedRun], context: np.ndarray, future: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Rollout MSE of every sequence and horizon under each run's weights, (seeds, N, horizon), and the first
    run's predicted frames (for figures)."""
    from choreo_utils.prediction.rollouts import rollout  # noqa: PLC0415

    errors, first = [], None
    for run in runs:
        pred = rollout(with_weights(model, run), context, future.shape[1])
        errors.append(mse_per_sequence(pred, future))
        first = pred if first is None else first
    return np.stack(errors), first
