"""The tuner comparison's figure with its spread: mean best-so-far curves with 95% bands over seeds, and every
seed's own curve (``viz.plot_tuner_comparison`` draws the per-seed runs against epochs and wall time)."""
from __future__ import annotations

from typing import Mapping

import pandas as pd

from choreo_utils import stats

_NAMES = {"hyperband": "Hyperband", "random": "random search"}


def mean_band(curves: pd.DataFrame) -> pd.DataFrame:
    """Per epoch (column of ``curves``, one row per seed): mean and 95% t-interval over the seeds that have a
    value there (a seed has none before its first trial finished), clipped to [0, 1] — the range of an
    accuracy (with 2 seeds a t-interval is ±12.7 standard errors wide)."""
    rows = []
    for epoch in curves.columns:
        v = curves[epoch].dropna().to_numpy(float)
        if len(v):
            iv = stats.mean_interval(v)
            rows.append({"epoch": epoch, "mean": iv.mean, "low": max(iv.low, 0.0), "high": min(iv.high, 1.0),
                         "seeds": len(v)})
    return pd.DataFrame(rows)


def plot_best_so_far(panels: Mapping[str, Mapping[str, pd.DataFrame]], budget_epochs: int | None = None,
                     ylabel: str = "best validation accuracy so far", title: str | None = None):
    """One panel per setting: for each tuner, the mean best-so-far over seeds (thick), its 95% band where at
    least 3 seeds have a value, and each seed's curve (thin, dashed, drawn above the band).
    ``panels`` maps a panel title to ``assess.best_so_far_grid(...)``'s output."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.6), sharey=True, squeeze=False)
    for ax, (name, grids) in zip(axes[0], panels.items()):
        for i, (tuner, curves) in enumerate(grids.items()):
            color = f"C{i}"
            band = mean_band(curves)
            n = int(band["seeds"].max()) if len(band) else 0
            wide = band[band["seeds"] >= 3]            # an interval of 2 seeds says little: no band drawn there
            ax.fill_between(wide["epoch"], wide["low"], wide["high"], step="post", color=color, alpha=0.12, lw=0)
            for _, seed_curve in curves.iterrows():     # every seed visible above the band
                ax.step(curves.columns, seed_curve.to_numpy(float), where="post", color=color, lw=0.9, alpha=0.75,
                        ls=(0, (3, 2)))
            ax.step(band["epoch"], band["mean"], where="post", color=color, lw=2.2,
                    label=f"{_NAMES.get(tuner, tuner)} (mean of {n} seed{'s' if n != 1 else ''}; dashed: each seed)")
        if budget_epochs:
            ax.axvline(budget_epochs, color="grey", lw=0.8, ls=":")
        ax.set_ylim(0, 1)
        ax.set_xlabel("epochs spent (cumulative, all trials)")
        ax.set_title(name, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    axes[0][0].set_ylabel(ylabel)
    fig.suptitle(title or "Best validation accuracy so far: mean over seeds (95% band from 3 seeds), one dashed line "
                          "per seed", fontsize=10)
    fig.tight_layout()
    return fig

