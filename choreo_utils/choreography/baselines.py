"""The baselines a generator must beat, on pose arrays only (no motion program, no genre table):

* :func:`zero_velocity` — repeat the last context pose (Martinez et al. 2017: often as good as a teacher-forced
  network, and it never moves);
* :func:`repeat_last_cycle` — loop the context's last period, the period taken from its autocorrelation;
* :func:`nearest_neighbour` — the continuation of the training window whose start best matches the context (the
  memorisation baseline; with ``noise``, a copy in disguise). The not-a-copy test must catch it.
"""
from __future__ import annotations

import numpy as np

from choreo_utils.checks import positive_int
from choreo_utils.choreography.poses import check_poses


def zero_velocity(context: np.ndarray, horizon: int) -> np.ndarray:
    """``horizon`` frames, each the last context pose: (sequences, horizon, joints, 2)."""
    context = check_poses(context, "context")
    return np.repeat(context[:, -1:], positive_int(horizon, "horizon"), axis=1)


def cycle_period(context: np.ndarray, min_period: int = 2) -> np.ndarray:
    """Per sequence, the period of its movement in frames: the shortest lag in ``min_period .. frames − 2`` whose
    autocorrelation (joint tracks, means removed, per overlapping frame) comes within 10% of the best lag's (so a
    cycle, not a multiple of it). A still context gets ``min_period``."""
    context = check_poses(context, "context", min_frames=min_period + 2).astype(np.float64)
    x = context - context.mean(axis=1, keepdims=True)
    n = x.shape[1]
    lags = np.arange(int(min_period), n - 1)
    scores = np.stack([(x[:, lag:] * x[:, :-lag]).sum(axis=(1, 2, 3)) / (n - lag) for lag in lags], axis=1)
    best = scores.max(axis=1, keepdims=True)
    near = scores >= np.where(best > 0, 0.9 * best, np.inf)
    return np.where(near.any(axis=1), lags[near.argmax(axis=1)], int(min_period))


def repeat_last_cycle(context: np.ndarray, horizon: int, min_period: int = 2) -> np.ndarray:
    """``horizon`` frames looping each context's last :func:`cycle_period` frames."""
    context = check_poses(context, "context", min_frames=min_period + 2)
    horizon = positive_int(horizon, "horizon")
    out = np.empty((len(context), horizon, *context.shape[2:]), np.float32)
    for i, period in enumerate(cycle_period(context, min_period)):
        cycle = context[i, -int(period):]
        out[i] = cycle[np.arange(horizon) % len(cycle)]
    return out


def nearest_neighbour(context: np.ndarray, library: np.ndarray, horizon: int, noise: float = 0.0,
                      seed: int = 0) -> np.ndarray:
    """For each context (N, c, joints, 2), the frames that follow the best-matching c frames of any training
    sequence in ``library`` (M, T, joints, 2) at any offset (squared error), shifted so they start from the
    context's last pose. A horizon longer than a library sequence can follow (T − c frames) is retrieved in pieces,
    each matched to the last c frames so far (a memorised dance stitched from training clips). ``noise`` adds
    Gaussian noise of that standard deviation (the same units)."""
    from scipy.spatial import cKDTree  # noqa: PLC0415

    context = check_poses(context, "context")
    library = check_poses(library, "library")
    c, horizon = context.shape[1], positive_int(horizon, "horizon")
    if library.shape[1] < c + 1:
        raise ValueError(f"library sequences of {library.shape[1]} frames cannot hold a {c}-frame match and one "
                         "more frame: use a shorter context, or longer library sequences")
    if library.shape[2:] != context.shape[2:]:
        raise ValueError(f"context joints {context.shape[2:]} and library joints {library.shape[2:]} differ")
    starts = library.shape[1] - c                      # every offset that leaves at least one frame to follow
    keys = np.stack([library[:, s:s + c] for s in range(starts)], axis=1).reshape(-1, c * np.prod(context.shape[2:]))
    tree = cKDTree(keys)
    out = np.empty((len(context), horizon, *context.shape[2:]), np.float32)
    for i in range(len(context)):
        recent, done = context[i, -c:], 0
        while done < horizon:
            _, best = tree.query(recent.reshape(-1).astype(np.float64), k=1)
            m, s = divmod(int(best), starts)
            piece = library[m, s + c:s + c + horizon - done]
            out[i, done:done + len(piece)] = piece - library[m, s + c - 1] + recent[-1]
            done += len(piece)
            recent = np.concatenate([context[i], out[i, :done]])[-c:]
    if noise:
        out += np.random.default_rng(seed).normal(0.0, float(noise), out.shape).astype(np.float32)
    return out
