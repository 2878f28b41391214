"""Pictures of notebook 07: dances drawn as stick figures (frames for GIFs, a strip of key frames) and the
yardsticks by window. Pose arrays are in body heights, x to the right and y downwards (image coordinates).

Matplotlib is imported only inside the figure functions; :func:`draw` needs only OpenCV.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from choreo_utils.choreography.poses import Skeleton, check_poses

#: Colours of the sources (matplotlib's cycle), the same in every figure of notebook 07.
COLOURS = {"real": "C0", "choreographer": "C3", "teacher-forced": "C1", "no genre": "C4", "zero-velocity": "C7",
           "repeat-last-cycle": "C2", "nearest-neighbour": "C5", "nearest-neighbour + noise": "C8",
           "from genre only": "C6"}


def _bounds(sequences: Sequence[np.ndarray], margin: float) -> tuple[np.ndarray, float]:
    pts = np.concatenate([s.reshape(-1, 2) for s in sequences])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre, span = (lo + hi) / 2, float(max(hi - lo)) * (1 + 2 * margin)
    return centre, max(span, 1e-3)


def _colour(name: str) -> str:
    """A source's colour; a name like ``"tap: choreographer"`` takes its source's."""
    return COLOURS.get(name, COLOURS.get(name.rsplit(": ", 1)[-1], "C3"))


def draw(dances: Mapping[str, np.ndarray], skeleton: Skeleton | None, size: int = 96, margin: float = 0.08,
         label: bool = True, reference: str | None = None) -> np.ndarray:
    """Each named dance (frames, joints, 2) drawn as stick figures, side by side on one shared scale: uint8 RGB
    frames (frames, size, size · dances, 3), the name written at the top of each panel. The dances must have one
    length; a ``None`` skeleton draws the joints as dots. The scale fits every dance, or only the dance named
    ``reference`` (with a wider margin): a dance that drifts away then walks out of its panel instead of
    shrinking every other one."""
    import cv2  # noqa: PLC0415

    names = list(dances)
    if not names:
        raise ValueError("draw needs at least one dance")
    arrays = [check_poses(np.asarray(dances[n])[None], f"dance {n!r}")[0] for n in names]
    if len({len(a) for a in arrays}) != 1:
        raise ValueError(f"the dances to draw side by side must have one length; got "
                         f"{ {n: len(a) for n, a in zip(names, arrays)} }")
    placed = [skeleton.positions(a) if skeleton is not None else a for a in arrays]
    drawn = sorted({j for e in skeleton.edges for j in e}) if skeleton is not None else range(arrays[0].shape[1])
    if reference is not None and reference not in dances:
        raise ValueError(f"reference {reference!r} is not one of the dances drawn: {', '.join(names)}")
    fit = [placed[names.index(reference)]] if reference is not None else placed
    centre, span = _bounds([p[:, list(drawn)] for p in fit], margin if reference is None else 3 * margin)
    scale = (size - 1) / span
    out = np.full((len(arrays[0]), size, size * len(names), 3), 255, np.uint8)
    for k, (name, pos) in enumerate(zip(names, placed)):
        rgb = np.array(_rgb(_colour(name))) * 255
        px = ((pos - centre) * scale + size / 2) * 4                 # 2 bits of sub-pixel precision
        px[..., 0] += k * size * 4
        for t in range(len(pos)):
            img = out[t]
            for a, b in (skeleton.edges if skeleton is not None else ()):
                cv2.line(img, tuple(int(v) for v in px[t, a]), tuple(int(v) for v in px[t, b]),
                         tuple(int(c) for c in rgb), 2, cv2.LINE_AA, shift=2)
            if skeleton is None:
                for j in drawn:
                    cv2.circle(img, tuple(int(v) for v in px[t, j]), 8, tuple(int(c) for c in rgb), -1, cv2.LINE_AA,
                               shift=2)
            if label:
                cv2.putText(img, name[:18], (k * size + 3, 10), cv2.FONT_HERSHEY_PLAIN, 0.7, (60, 60, 60), 1,
                            cv2.LINE_AA)
    return out


def _rgb(colour: str) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb  # noqa: PLC0415

    return to_rgb(colour)


def plot_strip(dances: Mapping[str, np.ndarray], skeleton: Skeleton | None, frames: Sequence[int],
               title: str = "", size: int = 96):
    """A figure: one row per named dance, one column per frame index in ``frames`` (the generated frame number
    under each column). Rows named ``"<group>: <source>"`` share the scale of their group's first row (the real
    dance, say), so sizes compare within a group."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    names = list(dances)
    frames = [int(f) for f in frames]
    groups: dict[str, list[str]] = {}
    for n in names:
        groups.setdefault(n.rsplit(": ", 1)[0], []).append(n)
    pictures = {}
    for members in groups.values():              # drawn side by side on the first's scale, then cut apart
        together = draw({n: np.asarray(dances[n]) for n in members}, skeleton, size=size, label=False,
                        reference=members[0])
        pictures.update({n: together[:, :, k * size:(k + 1) * size] for k, n in enumerate(members)})
    fig, axes = plt.subplots(len(names), len(frames), figsize=(1.15 * len(frames) + 1.4, 1.2 * len(names) + 0.4),
                             squeeze=False)
    for i, n in enumerate(names):
        for j, f in enumerate(frames):
            ax = axes[i][j]
            ax.imshow(pictures[n][f])
            ax.set_xticks([])
            ax.set_yticks([])
            if i == len(names) - 1:
                ax.set_xlabel(f"frame {f + 1}", fontsize=8)
        axes[i][0].set_ylabel(n, fontsize=8, rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_by_window(table, values: Sequence[tuple[str, str]], intervals: Mapping, labels: Sequence[str],
                   sources: Sequence[str], references: Mapping[str, float] | None = None, title: str = ""):
    """One panel per (column, axis label) in ``values``: each source's per-seed values by window (dots; ``table``
    has columns source, seed, window and the value columns) and, where ``intervals[(column, source, window
    label)]`` is given, the mean with its 95% interval. ``references[column]`` draws a dashed line (1 for a
    ratio)."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, axes = plt.subplots(1, len(values), figsize=(4.3 * len(values), 3.6), squeeze=False)
    x = np.arange(len(labels))
    for ax, (column, ylabel) in zip(axes[0], values):
        for j, source in enumerate(sources):
            rows = table[table.source == source]
            if not len(rows):
                continue
            dx = (j - (len(sources) - 1) / 2) * 0.09
            colour = COLOURS.get(source, f"C{j}")
            for k, lab in enumerate(labels):
                v = rows.loc[rows.window == lab, column].to_numpy(float)
                ax.plot(np.full(len(v), k + dx), v, ".", color=colour, ms=4, alpha=0.45)
            ivs = [intervals.get((column, source, lab)) for lab in labels]
            if all(iv is not None for iv in ivs):
                mean = np.array([iv.mean for iv in ivs])
                err = np.abs(np.array([[iv.mean - iv.low, iv.high - iv.mean] for iv in ivs]).T)
                ax.errorbar(x + dx, mean, yerr=err, color=colour, marker="o", ms=3.5, lw=1.1, capsize=2.5,
                            label=source)
            else:
                means = [rows.loc[rows.window == lab, column].mean() for lab in labels]
                ax.plot(x + dx, means, "o-", color=colour, ms=3.5, lw=1.1, label=source)
        if references and column in references:
            ax.axhline(references[column], color="gray", ls="--", lw=1)
        ax.set_xticks(x, labels)
        ax.set_xlabel("generated frames")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
