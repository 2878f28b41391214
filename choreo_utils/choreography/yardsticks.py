"""How generated dances are judged beside real ones, on pose arrays (sequences, frames, joints, 2) only.

ACTOR's protocol (Petrovich et al. 2021) for action-conditioned generation, and AIST++'s kinetic statistics:

* :func:`motion_energy` and :func:`acceleration` — mean per-frame joint change and mean second difference:
  generated ÷ real near 1 means no fading (a frozen figure has energy 0) and no jitter;
* :func:`diversity` — mean distance between random pairs of embeddings over all samples;
* :func:`multimodality` — mean distance between random pairs *within* one genre (or one context);
* :func:`nearest_distance` — each sample's distance to its nearest training window (a copy has 0);
* :func:`dominant_frequency` — the tempo of a dance: the peak of its joint tracks' power spectrum.

The counts of pairs drawn are returned with each number, so a notebook can print them.
"""
from __future__ import annotations

import numpy as np

from choreo_utils.choreography.poses import check_poses


def motion_energy(poses: np.ndarray) -> np.ndarray:
    """Mean distance a joint moves from one frame to the next, per sequence: (sequences,)."""
    poses = check_poses(poses, min_frames=2).astype(np.float64)
    return np.linalg.norm(np.diff(poses, axis=1), axis=-1).mean(axis=(1, 2))


def acceleration(poses: np.ndarray) -> np.ndarray:
    """Mean length of a joint's second difference (p[t+1] − 2 p[t] + p[t−1]), per sequence: (sequences,)."""
    poses = check_poses(poses, min_frames=3).astype(np.float64)
    return np.linalg.norm(np.diff(poses, n=2, axis=1), axis=-1).mean(axis=(1, 2))


def _pairs(n: int, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    a = rng.integers(0, n, count)
    b = (a + rng.integers(1, n, count)) % n          # never a sample with itself
    return a, b


def diversity(embeddings: np.ndarray, pairs: int = 200, seed: int = 0) -> tuple[float, int]:
    """ACTOR's diversity: the mean Euclidean distance between ``pairs`` random pairs of distinct samples, and the
    number of pairs drawn."""
    x = np.asarray(embeddings, dtype=np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"diversity needs (samples, dims) embeddings of at least 2 samples; got shape {x.shape}")
    a, b = _pairs(len(x), int(pairs), np.random.default_rng(seed))
    return float(np.linalg.norm(x[a] - x[b], axis=1).mean()), int(pairs)


def multimodality(embeddings: np.ndarray, labels: np.ndarray, pairs_per_label: int = 20,
                  seed: int = 0) -> tuple[float, int]:
    """ACTOR's multimodality: for each label with at least 2 samples, the mean distance between
    ``pairs_per_label`` random pairs of its samples; the mean over labels, and the number of pairs drawn."""
    x, labels = np.asarray(embeddings, dtype=np.float64), np.asarray(labels)
    if len(x) != len(labels):
        raise ValueError(f"one label per sample is needed: {len(x)} samples, {len(labels)} labels")
    rng = np.random.default_rng(seed)
    means, drawn = [], 0
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        if len(rows) < 2:
            continue
        a, b = _pairs(len(rows), int(pairs_per_label), rng)
        means.append(np.linalg.norm(x[rows[a]] - x[rows[b]], axis=1).mean())
        drawn += int(pairs_per_label)
    if not means:
        raise ValueError("multimodality needs a label with at least 2 samples")
    return float(np.mean(means)), drawn


def nearest_distance(queries: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Euclidean distance from each query (N, ...) to its nearest reference (M, ...) (flattened): (N,)."""
    from scipy.spatial import cKDTree  # noqa: PLC0415

    q = np.asarray(queries, dtype=np.float64).reshape(len(queries), -1)
    r = np.asarray(reference, dtype=np.float64).reshape(len(reference), -1)
    if q.shape[1] != r.shape[1]:
        raise ValueError(f"queries ({q.shape[1]} values each) and reference ({r.shape[1]}) must have one shape")
    return cKDTree(r).query(q, k=1)[0]


def dominant_frequency(poses: np.ndarray, fps: float) -> np.ndarray:
    """The tempo of each sequence in Hz: the peak (above 0 Hz) of the power spectrum of its joint tracks, each
    track's mean removed and the spectra summed over joints and coordinates. Resolution: fps / frames."""
    poses = check_poses(poses, min_frames=4).astype(np.float64)
    tracks = poses - poses.mean(axis=1, keepdims=True)
    power = (np.abs(np.fft.rfft(tracks * np.hanning(poses.shape[1])[None, :, None, None], axis=1)) ** 2).sum(
        axis=(2, 3))
    freqs = np.fft.rfftfreq(poses.shape[1], d=1.0 / float(fps))
    return freqs[1:][power[:, 1:].argmax(axis=1)]
