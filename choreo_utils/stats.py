"""Comparisons that hold: means over seeds, paired differences with 95% intervals, and the one verdict rule.

Every comparison in the notebooks runs each model over several seeds (initialisation and data order) on the
*same* test videos, so the two models are paired twice over: by seed and by video. :func:`paired_bootstrap`
resamples both (seeds and videos, with replacement, the same draw for both models) and gives the mean
difference with a percentile interval that holds both sources of noise — the ±10 points that 79 test videos
give on their own, and the spread between seeds. :func:`verdict` turns an interval into the sentence the
notebooks print and the README repeats ("helps by 5.1 points (95% CI +2.0 to +8.2, …)", "makes no measurable
difference (…)"): it is the
only place that decides.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

#: The interval every comparison reports.
CONFIDENCE = 0.95


@dataclasses.dataclass(frozen=True)
class Interval:
    """A mean (or mean difference) with its ``confidence`` interval ``[low, high]`` and what it rests on."""

    mean: float
    low: float
    high: float
    n_seeds: int
    n_units: int = 0            # test videos (or sequences) per seed; 0 when the interval is over seeds only
    confidence: float = CONFIDENCE

    @property
    def half_width(self) -> float:
        """Half the interval's width (the ``± Y`` of ``X ± Y``; intervals need not be symmetric)."""
        return (self.high - self.low) / 2

    def as_dict(self) -> dict[str, float]:
        """Plain numbers for a metrics file."""
        return dataclasses.asdict(self)

    def format(self, scale: float = 100.0, unit: str = " pts", digits: int = 1) -> str:
        """``"+5.1 pts [95% CI +2.0, +8.2]"``."""
        return (f"{self.mean * scale:+.{digits}f}{unit} [{self.confidence:.0%} CI {self.low * scale:+.{digits}f}, "
                f"{self.high * scale:+.{digits}f}]")


def _as_matrix(values, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.size == 0:
        raise ValueError(f"{name} must be a (seeds, units) or (seeds,) array of scores, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} holds NaN or infinite scores: check the runs that produced it")
    return arr


def mean_interval(values: Sequence[float] | np.ndarray, confidence: float = CONFIDENCE) -> Interval:
    """Mean over seeds with a Student-t interval (``scipy.stats``); one seed gives a zero-width interval."""
    from scipy import stats  # noqa: PLC0415

    x = np.asarray(values, dtype=float).ravel()
    if x.size == 0 or not np.isfinite(x).all():
        raise ValueError(f"need at least one finite value, got {x.tolist()}")
    m = float(x.mean())
    if x.size < 2:
        return Interval(m, m, m, 1, 0, confidence)
    half = float(stats.t.ppf(0.5 + confidence / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return Interval(m, m - half, m + half, int(x.size), 0, confidence)


def paired_difference(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray,
                      confidence: float = CONFIDENCE) -> Interval:
    """Mean of ``a - b`` over paired seeds with a Student-t interval (when only one score per seed exists)."""
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if a.shape != b.shape:
        raise ValueError(f"paired scores need the same seeds: got {a.size} and {b.size} values")
    return mean_interval(a - b, confidence)


def paired_bootstrap(a, b=None, n_boot: int = 4000, confidence: float = CONFIDENCE, seed: int = 0) -> Interval:
    """Mean of ``a - b`` (or of ``a`` alone) with a bootstrap interval over seeds *and* test units.

    ``a`` and ``b`` are (seeds, units) arrays — e.g. 1.0/0.0 for each test video's correct/wrong prediction under
    each seed — paired: row ``i`` of both comes from seed ``i``, column ``j`` from the same video. Each bootstrap
    draw resamples seeds and units with replacement (one draw shared by ``a`` and ``b``) and averages; the
    interval is the percentile interval of those means. Its own ``seed`` makes it repeatable.
    """
    a = _as_matrix(a, "a")
    if b is not None:
        b = _as_matrix(b, "b")
        if a.shape != b.shape:
            raise ValueError(f"paired scores need the same seeds and units: got {a.shape} and {b.shape}")
        d = a - b
    else:
        d = a
    n_seeds, n_units = d.shape
    rng = np.random.default_rng(seed)
    si = rng.integers(0, n_seeds, (n_boot, n_seeds))
    ui = rng.integers(0, n_units, (n_boot, n_units))
    # mean over a resampled (seeds × units) grid = mean over seeds of the per-seed unit means at the drawn units
    unit_means = np.stack([d[:, u].mean(axis=1) for u in ui])          # (n_boot, n_seeds)
    boots = np.take_along_axis(unit_means, si, axis=1).mean(axis=1)
    lo, hi = np.quantile(boots, [0.5 - confidence / 2, 0.5 + confidence / 2])
    return Interval(float(d.mean()), float(lo), float(hi), int(n_seeds), int(n_units), confidence)


def no_spread(diff: Interval) -> bool:
    """Whether ``diff`` has no width around a non-zero mean: every seed (and test unit) gave the same difference,
    or there was one seed. (No width = below 1e-6, the rounding of float32 scores.) Such an "interval" measures
    no noise, so it cannot carry a verdict. It happens with few seeds and coarse scores: two seeds that each
    differ by one of 74 validation clips give "+1.4 to +1.4"."""
    return diff.high - diff.low <= 1e-6 * max(1.0, abs(diff.mean)) and diff.mean != 0     # float32 scores


def verdict(diff: Interval, better: str = "helps", worse: str = "hurts", scale: float = 100.0,
            unit: str = " points", digits: int = 1) -> str:
    """The one rule: an interval above zero → ``"helps by X points (95% CI lo to hi, …)"``, below → ``"hurts by
    …"``, across zero → ``"makes no measurable difference (X, 95% CI lo to hi, …)"``; always with the interval
    (bootstrap intervals need not be symmetric, so no "± Y") and the seeds it rests on. An interval with
    :func:`no_spread` gets no verdict: ``"cannot be called: …; run more seeds"``."""
    n = f"{diff.n_seeds} seed{'s' if diff.n_seeds != 1 else ''}"
    if diff.n_units:
        n += f" × {diff.n_units} test units"
    ci = (f"{diff.confidence:.0%} CI {diff.low * scale:+.{digits}f} to {diff.high * scale:+.{digits}f}")
    if no_spread(diff):
        return (f"cannot be called ({diff.mean * scale:+.{digits}f}{unit} in every one of {n}: no spread to build "
                "an interval from; run more seeds)")
    if diff.low > 0:
        return f"{better} by {diff.mean * scale:.{digits}f}{unit} ({ci}, {n})"
    if diff.high < 0:
        return f"{worse} by {-diff.mean * scale:.{digits}f}{unit} ({ci}, {n})"
    return f"makes no measurable difference ({diff.mean * scale:+.{digits}f}{unit}, {ci}, {n})"


def sign(diff: Interval) -> int:
    """+1 if the interval is above zero, -1 if below, 0 if it holds zero or has :func:`no_spread` (for tests and
    tables: the sign :func:`verdict` states)."""
    if no_spread(diff):
        return 0
    return 1 if diff.low > 0 else -1 if diff.high < 0 else 0


def say(*lines: str, width: int = 100) -> None:
    """Print each line wrapped at ``width`` characters (later parts indented), so verdicts stay readable in a
    notebook and on GitHub."""
    import textwrap  # noqa: PLC0415

    for line in lines:
        print(textwrap.fill(line, width=width, subsequent_indent="    ", break_on_hyphens=False))
