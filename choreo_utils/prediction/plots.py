"""Figures of the next-frame study: gain over the copy-last baseline against position or horizon (notebook 05), and
genre accuracy and Fréchet distance of rollouts by horizon (notebook 06) — every seed shown (dots) around the mean
over seeds. Kept here, next to the study, rather than in ``viz``."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def plot_gain_curves(panels: Sequence[tuple[str, str, dict[str, np.ndarray]]], xs: Sequence[Sequence[int]],
                     ylabel: str = "MSE reduction vs copy-last (%)", floor: float | None = None,
                     intervals: dict | None = None):
    """One panel per ``(title, xlabel, curves)``; ``curves`` maps a label to a (seeds, k) or (k,) array of gains
    in % at ``xs[i]``: a line for the mean over seeds, a dot per seed. Zero (= copy-last) is drawn dashed.
    ``intervals[label]``: one ``stats.Interval`` (a fraction) per x, drawn as a band — only where it rests on at
    least 3 seeds (fewer give no interval worth drawing).

    ``floor`` clips the y axis from below (a curve below it is drawn at the edge, and its label says so)."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, axes = plt.subplots(1, len(panels), figsize=(5.4 * len(panels), 3.4), squeeze=False)
    for ax, (title, xlabel, curves), x in zip(axes[0], panels, xs):
        x = np.asarray(x)
        for i, (label, values) in enumerate(curves.items()):
            v = np.atleast_2d(np.asarray(values, float))
            mean = v.mean(axis=0)
            color = f"C{i}"
            below = floor is not None and (mean < floor).any()
            if below:
                label += f" (min {mean.min():.0f}%, clipped)"
            shown = np.maximum(mean, floor) if floor is not None else mean
            ax.plot(x, shown, color=color, marker="o" if v.shape[0] == 1 else None, ms=3,
                    label=label + (f" — {v.shape[0]} seeds" if v.shape[0] > 1 else ""))
            ivs = (intervals or {}).get(label.split(" (min ")[0])
            if ivs is not None and min(iv.n_seeds for iv in ivs) >= 3:
                low, high = (np.array([getattr(iv, k) for iv in ivs]) * 100 for k in ("low", "high"))
                if floor is not None:
                    low, high = np.maximum(low, floor), np.maximum(high, floor)
                ax.fill_between(x, low, high, color=color, alpha=0.15, lw=0)
            if v.shape[0] > 1:
                for row in v:
                    ax.plot(x, np.maximum(row, floor) if floor is not None else row, ".", color=color, ms=5,
                            alpha=0.6)
        ax.axhline(0, color="gray", ls="--", lw=1)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=7.5)
    fig.tight_layout()
    return fig


#: Colours and legend names of the window sources of notebook 06 (the real continuation first).
SOURCE_STYLE: dict[str, tuple[str, str]] = {
    "real": ("C0", "real continuation"), "ConvLSTM": ("C1", "ConvLSTM rollout"),
    "copy-last": ("C2", "copy last frame"), "linear": ("C3", "linear extrapolation"),
}


def plot_genre_by_horizon(accuracy: dict[str, np.ndarray], accuracy_intervals: dict, frechet: dict[str, np.ndarray],
                          frechet_intervals: dict, labels: Sequence[str], chance: float, title: str = ""):
    """Notebook 06's figure: genre accuracy (left) and Fréchet distance to real windows (right) by horizon window.

    ``accuracy`` and ``frechet`` map a source (``real``, ``ConvLSTM``, ``copy-last``, ``linear``) to a (seeds,
    windows) array: one dot per seed, a bar for the mean with its 95% interval from ``*_intervals[(source,
    window)]`` (``stats.Interval``; windows count from 1). Chance accuracy is a dashed line. On the right, source
    ``"real"`` is the real-vs-real floor, drawn as a band (its interval) around a line; the axis is logarithmic
    when the distances span more than a factor of 20."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    x = np.arange(1, len(labels) + 1)
    for ax, values, intervals, scale in ((axes[0], accuracy, accuracy_intervals, 100.0),
                                         (axes[1], frechet, frechet_intervals, 1.0)):
        shown = [s for s in SOURCE_STYLE if s in values and not (ax is axes[1] and s == "real")]
        for j, source in enumerate(shown):
            color, name = SOURCE_STYLE[source]
            v = np.atleast_2d(np.asarray(values[source], float)) * scale
            dx = (j - (len(shown) - 1) / 2) * 0.12
            for row in v:
                ax.plot(x + dx, row, ".", color=color, ms=5, alpha=0.5)
            ivs = [intervals[(source, int(k))] for k in x]
            mean = np.array([iv.mean for iv in ivs]) * scale
            err = np.array([[iv.mean - iv.low, iv.high - iv.mean] for iv in ivs]).T * scale
            ax.errorbar(x + dx, mean, yerr=err, color=color, marker="o", ms=4, lw=1.2, capsize=3,
                        label=f"{name} — {v.shape[0]} seed{'s' if v.shape[0] > 1 else ''}")
        ax.set_xticks(x, labels)
        ax.set_xlabel("horizon window (frames after the context)")
        ax.grid(alpha=0.3)
    axes[0].axhline(100 * chance, color="gray", ls="--", lw=1, label=f"chance ({100 * chance:.1f}%)")
    axes[0].set_ylabel("genre accuracy (%)")
    axes[0].set_ylim(0, 100)
    axes[0].set_title("Is the genre recognised?", fontsize=10)
    if "real" in frechet:
        floor = [frechet_intervals[("real", int(k))] for k in x]
        axes[1].fill_between(x, [iv.low for iv in floor], [iv.high for iv in floor], color="C0", alpha=0.2, lw=0)
        axes[1].plot(x, [iv.mean for iv in floor], color="C0", lw=1.5,
                     label="floor: real vs real (95% interval)")
    every = np.concatenate([np.ravel(v) for v in frechet.values()])
    every = every[every > 0]
    if every.size and every.max() / every.min() > 20:
        axes[1].set_yscale("log")
    axes[1].set_ylabel("Fréchet distance to real windows")
    axes[1].set_title("How far from real windows? (classifier embedding)", fontsize=10)
    for ax in axes:
        ax.legend(fontsize=7.5)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
