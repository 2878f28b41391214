"""Figures: ``save_fig`` (the only way figures reach ``figures/``), frame grids, GIFs, plots, and the
original | predicted | error panels of next-frame prediction (``side_by_side``)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from choreo_utils import config
from choreo_utils.checks import positive_int


def save_fig(fig: plt.Figure, name: str, dpi: int = 110) -> str:
    """Save ``fig`` as ``figures/<name>.png`` (``artifacts/smoke/figures`` in smoke mode), atomically, and show it.

    In a notebook the saved PNG itself is displayed (so what you see is what ``figures/`` holds, at its size)
    and the figure is closed, so it is not drawn twice. Returns the path relative to the project root, e.g.
    ``'figures/01-genre-grid.png'``."""
    from choreo_utils.io_utils import atomic_path  # noqa: PLC0415

    path = config.figures_dir() / f"{name}.png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png", metadata={"Software": None})
    if _in_notebook():
        from IPython.display import Image, display  # noqa: PLC0415

        display(Image(data=path.read_bytes(), format="png"))
        plt.close(fig)
    return config.relative_to_root(path)


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, Colab, papermill, nbval), where figures are displayed inline."""
    try:
        from IPython import get_ipython  # noqa: PLC0415
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def frame_grid(frames: Sequence[np.ndarray], titles: Sequence[str] | None = None, ncols: int = 4,
               row_labels: Sequence[str] | None = None, cell_size: float = 1.6,
               suptitle: str | None = None) -> plt.Figure:
    """Show frames in a grid (RGB, or single-channel in grey); optional titles and row labels."""
    n = len(frames)
    nrows = int(np.ceil(n / ncols))
    h, w = frames[0].shape[:2]
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * cell_size * w / h, nrows * cell_size), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([]), ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        if i >= n:
            ax.set_visible(False)
            continue
        img = frames[i]
        if img.ndim == 3 and img.shape[-1] == 1:
            img = img[..., 0]
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=255 if img.dtype == np.uint8 else 1)
        if titles is not None:
            ax.set_title(titles[i], fontsize=8)
        if row_labels is not None and i % ncols == 0:
            ax.set_ylabel(row_labels[i // ncols], rotation=0, ha="right", va="center", fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def genre_grid(index: pd.DataFrame, frames_per_genre: int = 4, seed: int = 0, size=None) -> plt.Figure:
    """One row per genre: ``frames_per_genre`` frames spread through one randomly chosen video."""
    from choreo_utils.video import load_frame  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    frames, labels, titles = [], [], []
    for genre, rows in index.groupby("genre", sort=True):
        video = rng.choice(sorted(rows["video_id"].unique()))
        vid = rows[rows["video_id"] == video]
        picks = np.linspace(0, len(vid) - 1, frames_per_genre).round().astype(int)
        for j, k in enumerate(picks):
            frames.append(load_frame(vid["path"].iloc[k], size=size))
            titles.append(f"{video} #{vid['frame'].iloc[k]}" if j == 0 else f"#{vid['frame'].iloc[k]}")
        labels.append(genre)
    return frame_grid(frames, titles, ncols=frames_per_genre, row_labels=labels, cell_size=1.2)


def bar_counts(table: pd.DataFrame, columns: Sequence[str], title: str, ylabel: str) -> plt.Figure:
    """Grouped bar chart of ``columns`` of a per-genre table."""
    fig, ax = plt.subplots(figsize=(10, 3.2))
    table[list(columns)].plot.bar(ax=ax, width=0.8)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def save_gif(frames: np.ndarray, name_or_path: str | os.PathLike, fps: float = 10, loop: int = 0) -> Path:
    """Write frames (T, H, W[, C]) uint8 as an animated GIF (into ``figures/`` when given a bare name)."""
    import imageio.v3 as iio  # noqa: PLC0415

    from choreo_utils.io_utils import atomic_path  # noqa: PLC0415

    path = Path(name_or_path)
    if path.suffix.lower() != ".gif":
        path = config.figures_dir() / f"{path.name}.gif"
    frames = np.asarray(frames)
    if frames.ndim == 4 and frames.shape[-1] == 1:
        frames = frames[..., 0]
    if frames.dtype != np.uint8:
        raise ValueError(f"save_gif expects uint8 frames, got {frames.dtype}; scale to 0..255 first")
    with atomic_path(path) as tmp:
        iio.imwrite(tmp, frames, extension=".gif", duration=1000 / fps, loop=loop)
    return path


# ------------------------------------------------------------------------- hyperparameter search (nb 04)
_TUNER_NAMES = {"hyperband": "Hyperband", "random": "RandomSearch"}


def plot_tuner_comparison(progress: pd.DataFrame, budget_epochs: float | None = None,
                          ylabel: str = "best val accuracy so far", title: str | None = None) -> plt.Figure:
    """The paper's Fig 3: best-so-far score against cumulative epochs (left) and wall time (right).

    One step line per tuner (colour) and seed (line style). ``progress`` needs columns tuner, seed,
    cum_epochs, wall_seconds, best_so_far — ``tuning.Comparison.progress`` has them. ``budget_epochs`` marks
    the shared epoch budget on the left panel.
    """
    need = {"tuner", "seed", "cum_epochs", "wall_seconds", "best_so_far"}
    if not need <= set(progress.columns):
        raise ValueError(f"progress table lacks {sorted(need - set(progress.columns))}; use tuning.Comparison.progress")
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    tuners = list(dict.fromkeys(progress["tuner"]))
    styles = ["-", "--", ":", "-."]
    for ax, x, xlabel in zip(axes, ("cum_epochs", "wall_seconds"),
                             ("cumulative training epochs", "wall-clock time since the search started (s)")):
        for (tuner, seed), run in progress.groupby(["tuner", "seed"], sort=False):
            run = run.dropna(subset=["best_so_far"])
            seeds = sorted(progress.loc[progress["tuner"] == tuner, "seed"].unique())
            ax.step(run[x], run["best_so_far"], where="post", color=f"C{tuners.index(tuner)}",
                    ls=styles[seeds.index(seed) % len(styles)], marker="o", ms=2.5, lw=1.3, alpha=0.85,
                    label=f"{_TUNER_NAMES.get(tuner, tuner)}, seed {seed}")
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
    if budget_epochs:
        axes[0].axvline(budget_epochs, color="grey", lw=0.8, ls=":")
        axes[0].annotate("epoch budget", (budget_epochs, 0.02), xycoords=("data", "axes fraction"), fontsize=7,
                         ha="right", rotation=90, color="grey")
    axes[0].set_ylabel(ylabel)
    axes[1].legend(fontsize=7, loc="lower right", ncol=2 if progress.groupby(["tuner", "seed"]).ngroups > 6 else 1)
    fig.suptitle(title or "Hyperband vs random search at the same epoch budget")
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------------
# Classifier plots (notebooks 02–03)
# ------------------------------------------------------------------------------------------------
def plot_history(history: dict, title: str) -> plt.Figure:
    """Accuracy and loss per epoch, train vs validation (the paper's Fig 2 / Fig 4)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    for ax, key in zip(axes, ("accuracy", "loss")):
        epochs = np.arange(1, len(history[key]) + 1)
        ax.plot(epochs, history[key], "o-", ms=3, label="train")
        if f"val_{key}" in history:
            ax.plot(epochs, history[f"val_{key}"], "s-", ms=3, label="validation (grouped train videos)")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
    axes[0].set_ylim(0, 1.02)
    axes[0].legend(loc="lower right", fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_recipes(histories: dict[str, dict], title: str) -> plt.Figure:
    """Training accuracy (left) and validation loss (right) per epoch for several trainings of one model, one
    line colour per training (e.g. the same seed under two recipes): where one run's validation loss stalls
    while its training accuracy climbs, that run is scored on something other than what it trains on."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    for (label, h), colour in zip(histories.items(), plt.rcParams["axes.prop_cycle"].by_key()["color"]):
        epochs = np.arange(1, len(h["loss"]) + 1)
        axes[0].plot(epochs, h["accuracy"], "o-", ms=3, color=colour, label=f"{label}: train")
        axes[0].plot(epochs, h["val_accuracy"], "s--", ms=3, color=colour, alpha=0.7, label=f"{label}: validation")
        axes[1].plot(epochs, h["val_loss"], "s--", ms=3, color=colour, label=f"{label}: validation")
    axes[0].set_ylim(0, 1.02)
    axes[0].set_ylabel("accuracy")
    axes[1].set_ylabel("validation loss")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    axes[0].legend(loc="lower right", fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_confusion(y_true, y_pred, labels: Sequence[str], title: str) -> plt.Figure:
    """Row-normalised confusion matrix (scikit-learn's ``ConfusionMatrixDisplay``) with counts in the cells."""
    from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix  # noqa: PLC0415

    cm = confusion_matrix(y_true, y_pred, labels=np.arange(len(labels)))
    norm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(7, 6))
    ConfusionMatrixDisplay(norm, display_labels=list(labels)).plot(
        ax=ax, cmap="Blues", include_values=False, colorbar=False, xticks_rotation=60, im_kw={"vmin": 0, "vmax": 1})
    plt.setp(ax.get_xticklabels(), ha="right", fontsize=8)
    plt.setp(ax.get_yticklabels(), fontsize=8)
    for i, j in zip(*np.nonzero(cm)):   # counts, in the non-empty cells only
        ax.text(j, i, cm[i, j], ha="center", va="center", fontsize=7, color="white" if norm[i, j] > 0.6 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def bar_probabilities(probs: pd.Series, title: str, top: int = 16) -> plt.Figure:
    """Horizontal bars of class probabilities, largest on top."""
    s = probs.sort_values().tail(top)
    fig, ax = plt.subplots(figsize=(5, 0.25 * len(s) + 1))
    ax.barh(s.index, s.values, color=["tab:gray"] * (len(s) - 1) + ["tab:green"])
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------ 05: next-frame prediction
def to_uint8(frames: np.ndarray) -> np.ndarray:
    """[0, 1] floats → uint8 0..255 (rounded, clipped)."""
    return np.clip(np.rint(np.asarray(frames, np.float32) * 255.0), 0, 255).astype(np.uint8)


def side_by_side(true: np.ndarray, pred: np.ndarray, gap: int = 2, error_gain: float = 2.0, scale: int = 1,
                 levels: int = 256) -> np.ndarray:
    """Aligned frames (T, H, W, C) → uint8 panels (T, s·H, s·(3W + 2·gap), C): original | predicted | |error|.

    ``true[i]`` and ``pred[i]`` must be the same moment (the keras-io GIF loop paired each prediction with the
    wrong original); arrays of different lengths are refused. The error panel is amplified by ``error_gain``
    so small mistakes stay visible. For small GIFs: ``scale`` repeats pixels, ``levels`` < 256 quantises grey
    levels (noise-free panels compress much better).
    """
    from choreo_utils.prediction.frames import check_frames, to_unit  # noqa: PLC0415

    true = check_frames(true, ndim=(4,), name="true frames")
    pred = check_frames(pred, true.shape[-1], "predicted frames", ndim=(4,))
    if true.shape != pred.shape:
        raise ValueError(f"side_by_side needs aligned frames of one shape; got {true.shape} and {pred.shape}")
    scale = positive_int(scale, "scale")
    if not 2 <= levels <= 256:
        raise ValueError(f"levels must be between 2 and 256; got {levels!r}")
    true, pred = to_unit(true, "true frames"), to_unit(pred, "predicted frames")
    err = np.clip(np.abs(true - pred) * error_gain, 0, 1)
    t, h, _, c = true.shape
    sep = np.ones((t, h, gap, c), np.float32)
    panels = np.concatenate([true, sep, pred, sep, err], axis=2)
    if levels < 256:
        panels = np.round(panels * (levels - 1)) / (levels - 1)
    panels = to_uint8(panels)
    return np.repeat(np.repeat(panels, scale, axis=1), scale, axis=2) if scale > 1 else panels


def prediction_grid(true: np.ndarray, pred: np.ndarray, names: Sequence[str] | None = None,
                    max_frames: int = 8, cell_size: float = 1.1) -> plt.Figure:
    """Fig 6 of the paper: for each sequence, a row of original frames above a row of predicted frames.

    ``true`` and ``pred`` are aligned (N, k, H, W, 1) arrays in [0, 1]; column j is horizon j + 1."""
    true, pred = np.asarray(true), np.asarray(pred)
    if true.shape != pred.shape:
        raise ValueError(f"prediction_grid needs aligned arrays of one shape; got {true.shape} and {pred.shape}")
    n, k = true.shape[:2]
    k = min(k, max_frames)
    h, w = true.shape[2:4]
    fig, axes = plt.subplots(2 * n, k, figsize=(k * cell_size * w / h, 2 * n * cell_size), squeeze=False)
    for i in range(n):
        for j in range(k):
            for r, (arr, kind) in enumerate(((true, "original"), (pred, "predicted"))):
                ax = axes[2 * i + r, j]
                ax.imshow(arr[i, j, ..., 0], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
                ax.set_xticks([]), ax.set_yticks([])
                if i == 0 and r == 0:
                    ax.set_title(f"t+{j + 1}", fontsize=8)
                if j == 0:
                    label = f"{names[i]}\n{kind}" if names is not None and r == 0 else kind
                    ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=7)
    fig.tight_layout(h_pad=0.2, w_pad=0.1)
    return fig


def plot_seed_points(table: pd.DataFrame, panels: str, groups: str, value: str, title: str, ylabel: str,
                     intervals: dict | None = None, reference: tuple[float, str] | None = None) -> plt.Figure:
    """One point per seed for each group, side by side in one panel per value of ``panels``; a bar marks the
    mean and, where ``intervals[(panel, group)]`` is given (``stats.Interval``), its 95% interval.
    ``reference``: (value, label) of a dashed line in every panel (chance, a coin flip, ...)."""
    panel_names = list(dict.fromkeys(table[panels]))
    group_names = list(dict.fromkeys(table[groups]))
    fig, axes = plt.subplots(1, len(panel_names), figsize=(3.6 * len(panel_names) + 0.6, 3.6), sharey=True,
                             squeeze=False)
    rng = np.random.default_rng(0)                     # horizontal jitter only, so the points do not overlap
    for ax, panel in zip(axes[0], panel_names):
        for i, group in enumerate(group_names):
            vals = table.loc[(table[panels] == panel) & (table[groups] == group), value].to_numpy(float)
            if not len(vals):
                continue
            ax.scatter(i + rng.uniform(-0.12, 0.12, len(vals)), vals, s=18, alpha=0.7, color=f"C{i}")
            iv = (intervals or {}).get((panel, group))
            mean = iv.mean if iv is not None else vals.mean()
            ax.hlines(mean, i - 0.3, i + 0.3, color="k", lw=2)
            if iv is not None:
                ax.vlines(i + 0.33, iv.low, iv.high, color="k", lw=1.2)
        ax.set_xticks(range(len(group_names)), [g.replace(", ", ",\n") for g in group_names], fontsize=8)
        ax.set_title(panel, fontsize=9)
        ax.grid(alpha=0.3, axis="y")
        if reference is not None:
            ax.axhline(reference[0], color="0.4", ls="--", lw=1, label=reference[1])
    axes[0][0].set_ylabel(ylabel)
    if reference is not None:
        axes[0][0].legend(fontsize=7, loc="lower left")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def show_source(*objects):
    """The code of functions or methods as one highlighted block (Markdown: GitHub and the course site render it),
    without their docstrings — the key calls a notebook teaches, read from the package itself, never copied."""
    import ast  # noqa: PLC0415
    import inspect  # noqa: PLC0415
    import textwrap  # noqa: PLC0415

    from IPython.display import Markdown  # noqa: PLC0415

    blocks = []
    for obj in objects:
        try:
            lines = inspect.getsource(obj).splitlines()
        except (TypeError, OSError) as err:
            raise TypeError(f"show_source needs functions or methods defined in Python files, got {obj!r}") from err
        source = textwrap.dedent("\n".join(lines))
        body = ast.parse(source).body[0].body
        if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                and isinstance(body[0].value.value, str):
            first, last = body[0].lineno, body[0].end_lineno      # 1-based lines of the docstring
            source = "\n".join(line for i, line in enumerate(source.splitlines(), 1) if not first <= i <= last)
        blocks.append(source.rstrip())
    return Markdown("```python\n" + "\n\n".join(blocks) + "\n```")


def in_numbers(*lines: str, title: str = "This run, in numbers"):
    """A notebook's closing numbers as a Markdown list (GitHub and the course site render it): each line formatted
    by the notebook from its ``metrics``, so "What we learned" states what this run measured, never a typed copy."""
    from IPython.display import Markdown  # noqa: PLC0415

    items = [str(line).strip() for line in lines if str(line).strip()]
    if not items:
        raise ValueError("in_numbers needs at least one line to show")
    return Markdown(f"**{title}** (from this run's `metrics`):\n\n" + "\n".join(f"- {item}" for item in items))
