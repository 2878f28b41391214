"""Figures of the next-frame study: gain over the copy-last baseline against position or horizon, with every
seed shown (dots) around the mean over seeds (line). Kept here, next to the study, rather than in ``viz``."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def plot_gain_curves(panels: Sequence[tuple[str, str, dict[str, np.ndarray]]], xs: Sequence[Sequence[int]],
                     ylabel: str = "MSE reduction vs copy-last (%)", floor: float | None = None):
    """One panel per ``(title, xlabel, curves)``; ``curves`` maps a label to a (seeds, k) or (k,) array of gains
    in % at ``xs[i]``: a line for the mean over seeds, a dot per seed. Zero (= copy-last) is drawn dashed.

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
