"""The Fréchet distance (FID's and FVD's formula) between real and generated windows, in a judge's embedding,
and its real-vs-real floor at the same sample sizes (notebook 06; the choreographer's yardstick too).

* :func:`frechet_distance` — between two Gaussians; :func:`frechet_distance_from_features` — between the Gaussians
  fitted to two sets of feature vectors (too few samples per dimension are refused or warned);
* :func:`halves` — the sequences split by YouTube id into two halves of about equal size per genre, so that
  generated windows of one half are compared with real windows of the other, and the floor is real A vs real B;
* :func:`frechet_by_horizon`, :func:`frechet_table`, :func:`compare_frechet` — per seed, source and window, with
  intervals over seeds (:mod:`choreo_utils.stats`).

SciPy is imported inside :func:`frechet_distance`: importing this module does not import it.
"""
from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np
import pandas as pd

from choreo_utils.prediction.genre_eval import WINDOW_SOURCES, GenreEval

#: Fewer samples per embedding dimension than this and a Fréchet distance is mostly noise (warned).
MIN_SAMPLES_PER_DIM = 5


class FrechetSampleWarning(UserWarning):
    """A Fréchet distance computed from fewer than ``MIN_SAMPLES_PER_DIM`` samples per dimension."""


# --------------------------------------------------------------------------------------- Fréchet distance
def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Fréchet (2-Wasserstein) distance between the Gaussians N(mu1, sigma1) and N(mu2, sigma2):
    ``||mu1 - mu2||² + Tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^½)`` — FID's and FVD's formula.

    The matrix square root comes from ``scipy.linalg.sqrtm``. Round-off can give it tiny imaginary parts (dropped)
    or, for singular covariances, an inaccurate or non-finite root (then both covariances get ``1e-6·I`` added, as
    in FID's reference code); a large imaginary part or a root that is still wrong raises ValueError.
    """
    from scipy import linalg  # noqa: PLC0415

    mu1, mu2 = np.atleast_1d(np.asarray(mu1, float)), np.atleast_1d(np.asarray(mu2, float))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, float)), np.atleast_2d(np.asarray(sigma2, float))
    d = mu1.shape[0]
    if mu1.shape != (d,) or mu2.shape != (d,) or sigma1.shape != (d, d) or sigma2.shape != (d, d):
        raise ValueError(f"frechet_distance needs two means of shape (d,) and two covariances of shape (d, d) with "
                         f"one d; got {mu1.shape}, {sigma1.shape}, {mu2.shape}, {sigma2.shape}")
    for name, arr in (("mu1", mu1), ("sigma1", sigma1), ("mu2", mu2), ("sigma2", sigma2)):
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} holds NaN or infinite values: check the features it was computed from")
    def root(product: np.ndarray) -> np.ndarray | None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")    # SciPy warns on singular input; the root is checked here instead
            r = linalg.sqrtm(product)
        ok = np.isfinite(r).all() and np.abs(r @ r - product).max() <= 1e-4 * max(1.0, float(np.abs(product).max()))
        return r if ok else None

    covmean = root(sigma1 @ sigma2)
    if covmean is None:
        eps = 1e-6 * np.eye(d)
        covmean = root((sigma1 + eps) @ (sigma2 + eps))
        if covmean is None:
            raise ValueError("no accurate matrix square root of sigma1·sigma2, even after adding 1e-6·I: "
                             "the covariances are degenerate (constant features?); use more samples or fewer "
                             "dimensions")
    if np.iscomplexobj(covmean):
        scale = max(1.0, float(np.abs(covmean.real).max()))
        if np.abs(covmean.imag).max() > 1e-3 * scale:
            raise ValueError(f"the matrix square root of sigma1·sigma2 has an imaginary part of "
                             f"{np.abs(covmean.imag).max():.3g} (more than round-off): a covariance is not positive "
                             "semi-definite; compute them with np.cov from real features")
        covmean = covmean.real
    diff = mu1 - mu2
    value = float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))
    tol = 1e-6 * max(1.0, float(np.trace(sigma1) + np.trace(sigma2)))
    if value < -tol:
        raise ValueError(f"Fréchet distance came out negative ({value:.3g}): the covariances are not valid "
                         "(positive semi-definite) matrices")
    return max(value, 0.0)


def frechet_distance_from_features(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between the Gaussians fitted to two sets of feature vectors, ``a`` (n1, d) and ``b`` (n2, d).

    Each set needs more samples than dimensions (else its covariance is singular: ValueError); fewer than
    ``MIN_SAMPLES_PER_DIM`` per dimension is warned (:class:`FrechetSampleWarning`). The estimate is biased
    upwards by an amount that shrinks with n, so compare distances only at equal sample sizes.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"features must be (samples, dims) arrays; got shapes {a.shape} and {b.shape}")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"the two feature sets have different dimensions ({a.shape[1]} and {b.shape[1]}): compute "
                         "them with the same network and layer")
    d = a.shape[1]
    for name, x in (("a", a), ("b", b)):
        if x.shape[0] <= d:
            raise ValueError(f"feature set {name} has {x.shape[0]} samples for {d} dimensions: a covariance needs "
                             f"more samples than dimensions (at least {MIN_SAMPLES_PER_DIM * d} for a stable "
                             "estimate); use more windows or a smaller embedding")
        if not np.isfinite(x).all():
            raise ValueError(f"feature set {name} holds NaN or infinite values")
    n = min(len(a), len(b))
    if n < MIN_SAMPLES_PER_DIM * d:
        warnings.warn(f"Fréchet distance from {n} samples for {d} dimensions (< {MIN_SAMPLES_PER_DIM} per "
                      "dimension): the estimate is noisy and biased upwards", FrechetSampleWarning, stacklevel=2)
    return frechet_distance(a.mean(axis=0), np.cov(a, rowvar=False), b.mean(axis=0), np.cov(b, rowvar=False))


def halves(units: Sequence[Any], labels: Sequence[int], seed: int = 0) -> np.ndarray:
    """0/1 for each row (sequence): its unit (YouTube id) is in half A (0) or B (1).

    Genre by genre, each unit (in an order drawn from ``seed``) joins the half that holds fewer rows so far, so every
    genre is split about evenly and the halves hold about as many rows — a genre with a single unit too. The Fréchet
    floor compares the real windows of one half with those of the other; generated windows of one half are compared
    with the real windows of the other, so both use the same sample sizes."""
    units, labels = np.asarray(list(units), dtype=object), np.asarray(labels)
    if len(units) != len(labels):
        raise ValueError(f"one unit per label is needed: {len(units)} units, {len(labels)} labels")
    rng = np.random.default_rng(seed)
    side: dict[Any, int] = {}
    rows = [0, 0]
    for genre in sorted(set(labels.tolist())):
        ids = sorted({u for u in units[labels == genre] if u not in side})
        for u in (ids[i] for i in rng.permutation(len(ids))):
            side[u] = int(rows[1] < rows[0])
            rows[side[u]] += int((units == u).sum())
    return np.array([side[u] for u in units], dtype=int)


def frechet_by_horizon(result: GenreEval, half: Sequence[int]) -> pd.DataFrame:
    """Fréchet distance between real and generated windows, per seed, source and window, on the classifier's
    embedding — next to the real-vs-real floor at the same sample sizes.

    ``half`` (0/1 per sequence, :func:`halves`) splits the sequences by YouTube id into A and B. For a generated
    source: the mean of FD(generated A, real B) and FD(generated B, real A). For ``"real"`` (the floor):
    FD(real A, real B) — the distance two sets of real windows of these sizes have anyway."""
    half = np.asarray(half, int)
    a, b = half == 0, half == 1
    if a.sum() == 0 or b.sum() == 0:
        raise ValueError("both halves need sequences: split them with genre_eval.halves(units, labels)")
    rows = []
    for (seed, source, w), emb in result.embeddings.items():
        real = result.embeddings[(seed, "real", w)]
        if source == "real":
            fd = frechet_distance_from_features(real[a], real[b])
        else:
            fd = 0.5 * (frechet_distance_from_features(emb[a], real[b])
                        + frechet_distance_from_features(emb[b], real[a]))
        rows.append({"seed": seed, "source": source, "window": w, "fd": fd, "n_a": int(a.sum()), "n_b": int(b.sum()),
                     "d": emb.shape[1]})
    return pd.DataFrame(rows)


def frechet_table(fd: pd.DataFrame, labels: Sequence[str] | None = None) -> tuple[pd.DataFrame, dict]:
    """Mean Fréchet distance over seeds of each source at each window, with a 95% Student-t interval over seeds
    (``stats.mean_interval``); ``(table, {(source, window): Interval})``. Source ``"real"`` is the floor."""
    from choreo_utils import stats  # noqa: PLC0415

    rows, intervals = [], {}
    for source in [s for s in WINDOW_SOURCES if s in set(fd["source"])]:
        for w in sorted(fd["window"].unique()):
            vals = fd.loc[(fd["source"] == source) & (fd["window"] == w)].sort_values("seed")["fd"].to_numpy()
            iv = stats.mean_interval(vals)
            intervals[(source, int(w))] = iv
            rows.append({"source": source, "window": int(w),
                         "horizons": labels[int(w) - 1] if labels is not None else str(w),
                         "fd": iv.mean, "low": iv.low, "high": iv.high, "seeds": iv.n_seeds})
    return pd.DataFrame(rows), intervals


def compare_frechet(fd: pd.DataFrame, a: str, b: str, window: int):
    """How much lower ``a``'s Fréchet distance is than ``b``'s at ``window`` (``b - a``, paired by seed), with a
    Student-t interval over seeds (``stats.paired_difference``): positive when ``a`` is closer to real windows."""
    from choreo_utils import stats  # noqa: PLC0415

    def per_seed(source):
        return fd.loc[(fd["source"] == source) & (fd["window"] == window)].sort_values("seed")["fd"].to_numpy()

    return stats.paired_difference(per_seed(b), per_seed(a))
