"""Scoring predicted frames: MSE, PSNR and SSIM per frame (scikit-image), their means, their value at each
rollout horizon, model vs copy-last-frame rollouts, and the relative improvement over the baseline."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from choreo_utils.prediction.frames import check_frames
from choreo_utils.prediction.rollouts import copy_last_rollout, rollout, split_context

METRICS: tuple[str, ...] = ("mse", "psnr", "ssim")
#: PSNR (dB) given to a frame predicted exactly (MSE 0, where PSNR is infinite) — and the most any frame gets.
PSNR_MAX: float = 100.0


def _unit_frames(frames: Any, name: str) -> np.ndarray:
    """``frames`` as float64 if they are floats in [0, 1] (1e-6 tolerance); else a ValueError saying how to fix it."""
    frames = np.asarray(frames)
    fix = "convert them with choreo_utils.prediction.to_unit(frames) (uint8 0..255 → float 0..1)"
    if not np.issubdtype(frames.dtype, np.floating):
        raise ValueError(f"{name} frames must be floats in [0, 1]; got dtype {frames.dtype}: {fix}")
    if frames.size:
        if np.isnan(frames).any():
            raise ValueError(f"{name} frames contain NaN; check the model's output (did training diverge?)")
        lo, hi = float(frames.min()), float(frames.max())
        if lo < -1e-6 or hi > 1 + 1e-6:
            raise ValueError(f"{name} frames must be floats in [0, 1]; they range from {lo:.3g} to {hi:.3g}: {fix}, "
                             "or clip predictions with np.clip(pred, 0, 1)")
    return frames.astype(np.float64, copy=False)


def frame_metrics(pred: np.ndarray, true: np.ndarray) -> dict[str, np.ndarray]:
    """Per-frame MSE, PSNR (dB) and SSIM from scikit-image, data range [0, 1].

    ``pred`` and ``true`` are float frames in [0, 1], (..., H, W, C) with the same shape; results have the
    leading shape (...). uint8 frames (or floats outside [0, 1]) raise ValueError: convert them with
    :func:`~choreo_utils.prediction.to_unit`. PSNR is computed per frame and capped at :data:`PSNR_MAX`
    (100 dB): a frame predicted exactly (MSE 0, infinite PSNR for scikit-image) scores 100 dB, so means stay
    finite. :func:`summarize` and :func:`metrics_by_horizon` average these per-frame PSNRs (the mean of the
    dB values, not the PSNR of the mean MSE).
    """
    from skimage.metrics import mean_squared_error, peak_signal_noise_ratio, structural_similarity  # noqa: PLC0415

    pred, true = _unit_frames(pred, "predicted"), _unit_frames(true, "true")
    if pred.shape != true.shape:
        raise ValueError(f"predicted and true frames must have the same shape; got {pred.shape} and {true.shape} "
                         "(is the prediction aligned with the right targets? see split_context/shift_frames)")
    if pred.ndim < 3:
        raise ValueError(f"frames must be (..., H, W, C); got shape {pred.shape}")
    lead = pred.shape[:-3]
    p = pred.reshape(-1, *pred.shape[-3:])
    q = true.reshape(-1, *true.shape[-3:])
    h, w = p.shape[1:3]
    win = min(7, h, w)
    win -= 1 - win % 2  # odd window, at most 7
    if win < 3:
        raise ValueError(f"frames of {h}x{w} are too small for SSIM (need at least 3x3)")
    mse = np.empty(len(p))
    psnr = np.empty(len(p))
    ssim = np.empty(len(p))
    with np.errstate(divide="ignore"):
        for i, (a, b) in enumerate(zip(p, q)):
            mse[i] = mean_squared_error(b, a)
            psnr[i] = PSNR_MAX if mse[i] == 0 else min(peak_signal_noise_ratio(b, a, data_range=1.0), PSNR_MAX)
            ssim[i] = structural_similarity(b, a, data_range=1.0, channel_axis=-1, win_size=win)
    return {"mse": mse.reshape(lead), "psnr": psnr.reshape(lead), "ssim": ssim.reshape(lead)}


def summarize(pred: np.ndarray, true: np.ndarray) -> dict[str, float]:
    """Mean MSE, PSNR and SSIM over all frames (the mean of per-frame PSNRs, each capped at ``PSNR_MAX``)."""
    m = frame_metrics(pred, true)
    return {k: float(np.mean(v)) for k, v in m.items()}


def metrics_by_horizon(pred: np.ndarray, true: np.ndarray) -> pd.DataFrame:
    """Mean MSE, PSNR and SSIM at each horizon of rollouts (N, k, H, W, C): one row per horizon 1…k.

    PSNR at a horizon is the mean of that horizon's per-frame PSNRs (see :func:`frame_metrics`)."""
    pred = check_frames(pred, ndim=(5,), name="predictions")
    m = frame_metrics(pred, true)
    table = pd.DataFrame({k: v.mean(axis=0) for k, v in m.items()})
    table.index = pd.RangeIndex(1, len(table) + 1, name="horizon")
    return table


def compare_rollouts(model: Any, sequences: np.ndarray, context: int, horizon: int,
                     batch_size: int = 16) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Model vs copy-last-frame rollouts on held-out ``sequences``: a long table (method, horizon, metrics).

    Also returns the arrays ``{"context", "true", "model", "copy_last"}`` for figures and GIFs.
    """
    ctx, future = split_context(sequences, context, horizon)
    preds = {"model": rollout(model, ctx, horizon, batch_size), "copy_last": copy_last_rollout(ctx, horizon)}
    tables = []
    for name, pred in preds.items():
        t = metrics_by_horizon(pred, future).reset_index()
        t.insert(0, "method", name)
        tables.append(t)
    return pd.concat(tables, ignore_index=True), {"context": ctx, "true": future, **preds}


def improvement(model_value: float, baseline_value: float) -> float:
    """Relative reduction of an error (positive = the model is better): 1 - model / baseline."""
    return float(1.0 - model_value / baseline_value) if baseline_value else math.nan
