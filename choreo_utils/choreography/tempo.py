"""Asking for a tempo. The generator has no tempo input: what a dance's context leaves open — its variation, its
tempo within the genre's range — lives in the per-sequence latent. Steering the latent is the simplest honest
control: draw several latents, dance each, measure each dance's tempo (the dominant frequency of its joint
tracks) and keep the one nearest the request. It can only reach tempos the latent covers; the notebook measures
how far that is.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from choreo_utils.checks import positive_int
from choreo_utils.choreography.yardsticks import dominant_frequency


def sample(generator, context: np.ndarray | None, genres: Sequence[str | int], horizon: int, fps: float,
               k: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``k`` dances per asked genre, each under its own latent (all drawn under ``seed`` in one call), and the tempo
    of each: ``(dances (N, k, horizon, joints, 2), tempo (N, k) Hz)``. ``context``: (N, c, joints, 2) real frames,
    or None for the genre-only route."""
    k = positive_int(k, "candidates")
    n = len(genres) if context is None else len(context)
    tiled = None if context is None else np.repeat(np.asarray(context), k, axis=0)
    dances = generator.generate(tiled, list(np.repeat(np.asarray(list(genres), dtype=object), k)), horizon, seed=seed)
    dances = dances.reshape(n, k, *dances.shape[1:])
    return dances, dominant_frequency(dances.reshape(n * k, *dances.shape[2:]), fps).reshape(n, k)


def at_tempo(generator, context: np.ndarray | None, genres: Sequence[str | int], tempo_hz: Sequence[float] | float,
             horizon: int, fps: float, candidates: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """For each asked dance, the best of ``candidates`` latents (drawn under ``seed``) for the asked tempo:
    ``(dances (N, horizon, joints, 2), measured tempo (N,) Hz)``. ``context``: (N, c, joints, 2) real frames, or
    None for the genre-only route; ``tempo_hz``: one tempo for all or one per dance (> 0)."""
    n = len(genres) if context is None else len(context)
    want = np.broadcast_to(np.asarray(tempo_hz, dtype=np.float64), (n,))
    if not np.all(np.isfinite(want)) or np.any(want <= 0):
        raise ValueError(f"tempo_hz must be positive frequencies in Hz; got {tempo_hz!r}")
    dances, hz = sample(generator, context, genres, horizon, fps, candidates, seed)
    best = nearest(hz, want)
    rows = np.arange(n)
    return dances[rows, best], hz[rows, best]


def nearest(hz: np.ndarray, want: np.ndarray) -> np.ndarray:
    """For each row of candidate tempos (N, k), the index of the one nearest the asked tempo (N,)."""
    return np.abs(np.asarray(hz) - np.asarray(want, dtype=np.float64)[:, None]).argmin(axis=1)

