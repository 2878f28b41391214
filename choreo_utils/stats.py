"""Comparisons that hold: means over seeds, paired differences with 95% intervals, and the one verdict rule.

Every comparison in the notebooks runs each model over several seeds (initialisation and data order) on the
*same* test videos, so the two models are paired twice over: by seed and by video. :func:`paired_bootstrap`
resamples both (seeds and videos, with replacement, the same draw for both models) and gives the mean
difference with a percentile interval that holds both sources of noise — the ±10 points that 79 test videos
give on their own, and the spread between seeds. :func:`verdict` turns an interval into the sentence the
notebooks print and the README repeats ("helps by 5.1 points (95% CI +2.0 to +8.2, …)", "makes no measurable
difference (…)"): it is the only place that decides.

**One outlying seed never decides.** A training that collapsed in one seed of five widens an interval enough to
turn a 10-point effect into "no measurable difference". So every interval over three or more seeds also records
each seed's own mean (``per_seed``) and what the interval says with that seed left out (``leave_one_out``, a
jackknife over seeds). When, among five or more seeds, one is an outlier (modified z-score above 3.5, Iglewicz &
Hoaglin)
and leaving it out alone changes the verdict — an undecided one becomes decided, or a decided one changes
direction — :func:`verdict` says "cannot be called: one seed decides (…)" and :func:`sign` gives 0. Losing a
verdict because one seed fewer gives a wider interval does not count (that is fewer seeds, not an outlier). The
cure is stated: more seeds, or a recipe that does not collapse — never dropping the seed.
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
    #: each seed's own mean (over its units), and the interval's sign class (+1 above zero, -1 below, 0 holding
    #: zero) with that seed left out; both empty under three seeds (see :func:`one_seed_decides`)
    per_seed: tuple[float, ...] = ()
    leave_one_out: tuple[int, ...] = ()

    @property
    def half_width(self) -> float:
        """Half the interval's width (the ``± Y`` of ``X ± Y``; intervals need not be symmetric)."""
        return (self.high - self.low) / 2

    def as_dict(self) -> dict[str, float]:
        """Plain numbers for a metrics file."""
        out = dataclasses.asdict(self)
        out["per_seed"], out["leave_one_out"] = list(self.per_seed), list(self.leave_one_out)
        return out

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

    def t_interval(v: np.ndarray) -> tuple[float, float]:
        half = float(stats.t.ppf(0.5 + confidence / 2, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size))
        return float(v.mean()) - half, float(v.mean()) + half

    low, high = t_interval(x)
    if x.size < 3:
        return Interval(m, low, high, int(x.size), 0, confidence)
    loo = tuple(_sign_class(float(np.delete(x, k).mean()), *t_interval(np.delete(x, k))) for k in range(x.size))
    return Interval(m, low, high, int(x.size), 0, confidence, tuple(float(v) for v in x), loo)


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
    lo, hi = _bootstrap(d, n_boot, confidence, seed)
    if n_seeds < 3:
        return Interval(float(d.mean()), lo, hi, int(n_seeds), int(n_units), confidence)
    loo = tuple(_sign_class(float(np.delete(d, k, axis=0).mean()),
                            *_bootstrap(np.delete(d, k, axis=0), n_boot, confidence, seed)) for k in range(n_seeds))
    return Interval(float(d.mean()), lo, hi, int(n_seeds), int(n_units), confidence,
                    tuple(float(v) for v in d.mean(axis=1)), loo)


def _bootstrap(d: np.ndarray, n_boot: int, confidence: float, seed: int) -> tuple[float, float]:
    """Percentile interval of the mean of ``d`` (seeds, units), resampling seeds and units with replacement."""
    n_seeds, n_units = d.shape
    rng = np.random.default_rng(seed)
    si = rng.integers(0, n_seeds, (n_boot, n_seeds))
    ui = rng.integers(0, n_units, (n_boot, n_units))
    # mean over a resampled (seeds × units) grid = mean over seeds of the per-seed unit means at the drawn units
    unit_means = np.stack([d[:, u].mean(axis=1) for u in ui])          # (n_boot, n_seeds)
    boots = np.take_along_axis(unit_means, si, axis=1).mean(axis=1)
    lo, hi = np.quantile(boots, [0.5 - confidence / 2, 0.5 + confidence / 2])
    return float(lo), float(hi)


def _sign_class(mean: float, low: float, high: float) -> int:
    """+1 / -1 / 0 for an interval above zero / below zero / holding zero or without spread (as :func:`sign`)."""
    if _flat(mean, low, high):
        return 0
    return 1 if low > 0 else -1 if high < 0 else 0


def _flat(mean: float, low: float, high: float) -> bool:
    """No width (below 1e-6, the rounding of float32 scores) around a non-zero mean."""
    return high - low <= 1e-6 * max(1.0, abs(mean)) and mean != 0


def no_spread(diff: Interval) -> bool:
    """Whether ``diff`` has no width around a non-zero mean: every seed (and test unit) gave the same difference,
    or there was one seed. (No width = below 1e-6, the rounding of float32 scores.) Such an "interval" measures
    no noise, so it cannot carry a verdict. It happens with few seeds and coarse scores: two seeds that each
    differ by one of 74 validation clips give "+1.4 to +1.4"."""
    return _flat(diff.mean, diff.low, diff.high)


#: Modified z-score above which a seed is an outlier among the seeds (Iglewicz & Hoaglin's 3.5).
OUTLIER_Z = 3.5
#: Fewest seeds for which an outlier among them means anything: with three, the median absolute deviation is set
#: by the two closest seeds, so whichever seed lies apart "is an outlier" (and one more or less bit of float
#: noise decides which). Under five seeds no seed is judged an outlier.
MIN_SEEDS_FOR_OUTLIERS = 5


def outlying_seeds(values: Sequence[float]) -> list[int]:
    """Positions of outliers in ``values`` by the modified z-score ``0.6745 (x - median) / MAD`` > 3.5
    (Iglewicz & Hoaglin); where the MAD is 0 (most seeds equal), ``(x - median) / (1.2533 · mean absolute
    deviation)`` instead. Robust to the outlier itself, unlike a z-score from the mean and standard deviation."""
    x = np.asarray(values, dtype=float)
    med = np.median(x)
    mad = np.median(np.abs(x - med))
    if mad > 0:
        z = 0.6745 * (x - med) / mad
    else:
        mean_ad = np.mean(np.abs(x - med))
        if mean_ad == 0:
            return []
        z = (x - med) / (1.253314 * mean_ad)
    return [int(i) for i in np.flatnonzero(np.abs(z) > OUTLIER_Z)]


def deciding_seeds(diff: Interval) -> list[int]:
    """Positions of the seeds that decide ``diff`` alone: outliers (:func:`outlying_seeds`) whose leaving out
    turns an undecided interval into a decided one or reverses a decided one's direction."""
    if not diff.leave_one_out or no_spread(diff) or diff.n_seeds < MIN_SEEDS_FOR_OUTLIERS:
        return []
    full = _sign_class(diff.mean, diff.low, diff.high)
    changes = [k for k, c in enumerate(diff.leave_one_out) if (full == 0 and c != 0) or (full != 0 and c == -full)]
    outliers = set(outlying_seeds(diff.per_seed))
    return [k for k in changes if k in outliers]


def one_seed_decides(diff: Interval) -> bool:
    """Whether an outlying seed decides ``diff`` alone (:func:`deciding_seeds`): then its verdict rests on one
    training — typically a collapsed run that widens the interval by itself — not on the seeds as a sample."""
    return bool(deciding_seeds(diff))


_CLASS_WORDS = {1: "'{better}'", -1: "'{worse}'", 0: "'makes no measurable difference'"}


def verdict(diff: Interval, better: str = "helps", worse: str = "hurts", scale: float = 100.0,
            unit: str = " points", digits: int = 1) -> str:
    """The one rule: an interval above zero → ``"helps by X points (95% CI lo to hi, …)"``, below → ``"hurts by
    …"``, across zero → ``"makes no measurable difference (X, 95% CI lo to hi, …)"``; always with the interval
    (bootstrap intervals need not be symmetric, so no "± Y") and the seeds (and units: videos, ids) it rests on.
    A decided verdict states a size, and its interval is that size's: ``"hurts by 5.0 points (95% CI 2.0 to
    8.0, …)"`` — never an unsigned size beside a signed interval. An interval with
    :func:`no_spread` gets no verdict: ``"cannot be called (…; run more seeds)"``; nor does one where
    :func:`one_seed_decides`: ``"cannot be called: one seed decides (…)"``."""
    n = f"{diff.n_seeds} seed{'s' if diff.n_seeds != 1 else ''}"
    if diff.n_units:
        n += f" × {diff.n_units} units"
    ci = (f"{diff.confidence:.0%} CI {diff.low * scale:+.{digits}f} to {diff.high * scale:+.{digits}f}")
    if no_spread(diff):
        return (f"cannot be called ({diff.mean * scale:+.{digits}f}{unit} in every one of {n}: no spread to build "
                "an interval from; run more seeds)")
    deciding = deciding_seeds(diff)
    if deciding:
        k = deciding[0]
        said = _CLASS_WORDS[diff.leave_one_out[k]].format(better=better, worse=worse)
        return (f"cannot be called: one seed decides ({diff.mean * scale:+.{digits}f}{unit}, {ci}, {n}; one seed "
                f"is an outlier at {diff.per_seed[k] * scale:+.{digits}f}{unit}, and without it this would say "
                f"{said}; run more seeds)")
    if diff.low > 0:
        size = f"{diff.confidence:.0%} CI {diff.low * scale:.{digits}f} to {diff.high * scale:.{digits}f}"
        return f"{better} by {diff.mean * scale:.{digits}f}{unit} ({size}, {n})"
    if diff.high < 0:
        size = f"{diff.confidence:.0%} CI {-diff.high * scale:.{digits}f} to {-diff.low * scale:.{digits}f}"
        return f"{worse} by {-diff.mean * scale:.{digits}f}{unit} ({size}, {n})"
    return f"makes no measurable difference ({diff.mean * scale:+.{digits}f}{unit}, {ci}, {n})"


def sign(diff: Interval) -> int:
    """+1 if the interval is above zero, -1 if below, 0 if it holds zero, has :func:`no_spread` or
    :func:`one_seed_decides` (for tests and tables: the sign :func:`verdict` states)."""
    if no_spread(diff) or one_seed_decides(diff):
        return 0
    return 1 if diff.low > 0 else -1 if diff.high < 0 else 0


#: What :func:`verdict` can say of an interval, as :func:`verdict_class` names it.
VERDICT_CLASSES = ("above zero", "below zero", "no measurable difference", "cannot be called: no spread",
                   "cannot be called: one seed decides")


def verdict_class(diff: Interval) -> str:
    """Which of :data:`VERDICT_CLASSES` :func:`verdict` states for ``diff`` (its sign and wording class, without
    the numbers): what must not change from one machine to another."""
    if no_spread(diff):
        return VERDICT_CLASSES[3]
    if one_seed_decides(diff):
        return VERDICT_CLASSES[4]
    return {1: VERDICT_CLASSES[0], -1: VERDICT_CLASSES[1], 0: VERDICT_CLASSES[2]}[sign(diff)]


def say(*lines: str, width: int = 100) -> None:
    """Print each line wrapped at ``width`` characters (later parts indented), so verdicts stay readable in a
    notebook and on GitHub."""
    import textwrap  # noqa: PLC0415

    for line in lines:
        print(textwrap.fill(line, width=width, subsequent_indent="    ", break_on_hyphens=False))
