"""Figures: ``save_fig`` (the only way figures reach ``figures/``), frame grids, GIFs and plots."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from choreo_utils import config


def save_fig(fig: plt.Figure, name: str, dpi: int = 110) -> str:
    """Save ``fig`` as ``figures/<name>.png`` (``artifacts/smoke/figures`` in smoke mode), atomically.

    Returns the path relative to the project root, e.g. ``'figures/01-genre-grid.png'``."""
    from choreo_utils.io_utils import atomic_path  # noqa: PLC0415

    path = config.figures_dir() / f"{name}.png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png", metadata={"Software": None})
    return _relative(path)


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(config.project_root()))
    except ValueError:
        return str(path)


def frame_grid(frames: Sequence[np.ndarray], titles: Sequence[str] | None = None, ncols: int = 4,
               row_labels: Sequence[str] | None = None, cell_size: float = 1.6, suptitle: str | None = None) -> plt.Figure:
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
