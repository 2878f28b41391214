"""Pose arrays for the choreographer: one checked layout, (sequences, frames, joints, 2), in body heights.

Any skeleton fits: the synthetic default's 48-d oracle pose is 24 points × (x, y) — the two figures' 11 joints
each relative to its own hip, the lead's hip travel and the follower's hip relative to the lead's
(``synthetic.pose_features``) — and a motion-capture file gives its own joints (a loader projects them to 2-D).
Nothing here imports the synthetic package: the generator, its baselines and its yardsticks see only arrays, so
generation cannot call the motion programs that made the training data (``synthetic_dances`` lives in
:mod:`choreo_utils.choreography.sources`).
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np


def check_poses(poses: np.ndarray, name: str = "poses", min_frames: int = 1) -> np.ndarray:
    """``poses`` as float32 (sequences, frames, joints, 2), or a ValueError naming what is wrong and the fix.

    A flat (sequences, frames, 2·joints) array is accepted and reshaped (x, y of each joint side by side)."""
    poses = np.asarray(poses)
    if poses.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be numbers (joint coordinates); got dtype {poses.dtype}")
    if poses.ndim == 3 and poses.shape[-1] > 2 and poses.shape[-1] % 2 == 0:
        poses = poses.reshape(*poses.shape[:2], -1, 2)
    if poses.ndim != 4 or poses.shape[-1] != 2:
        raise ValueError(f"{name} must be shaped (sequences, frames, joints, 2) — or (sequences, frames, 2·joints) "
                         f"— got shape {poses.shape}; add a sequence axis with poses[None] for one dance")
    if poses.shape[1] < int(min_frames):
        raise ValueError(f"{name} have {poses.shape[1]} frames but at least {min_frames} are needed (the "
                         "context the model starts from): give longer sequences or a shorter context")
    if not np.isfinite(poses).all():
        bad = np.argwhere(~np.isfinite(poses).all(axis=(1, 2, 3))).ravel()
        raise ValueError(f"{name} hold NaN or infinite coordinates in {len(bad)} sequence(s) (first: index "
                         f"{bad[0]}): fill or drop missing joints before training or judging")
    return poses.astype(np.float32, copy=False)


@dataclasses.dataclass(frozen=True)
class Skeleton:
    """How to draw a pose layout: joint ``names``, the ``edges`` (bones) between joints, the ``roots`` (joints that
    are places in the world, such as a hip's travel, not parts of a shape) and ``offsets``: joint → the joints
    whose coordinates are added to place it (the synthetic layout stores each figure's joints relative to its
    hip). Joints in no edge are not drawn."""

    names: tuple[str, ...]
    edges: tuple[tuple[int, int], ...]
    roots: tuple[int, ...] = ()
    offsets: tuple[tuple[int, tuple[int, ...]], ...] = ()

    def __post_init__(self):
        n = len(self.names)
        used = [j for e in self.edges for j in e] + list(self.roots) + [
            j for joint, anchors in self.offsets for j in (joint, *anchors)]
        if any(not 0 <= int(j) < n for j in used):
            raise ValueError(f"a skeleton of {n} joints names a joint outside 0..{n - 1} in its edges, roots or "
                             "offsets")

    def positions(self, poses: np.ndarray) -> np.ndarray:
        """Where each joint is drawn: (..., joints, 2) with every offset applied."""
        poses = np.asarray(poses, dtype=np.float32)
        if poses.shape[-2] != len(self.names):
            raise ValueError(f"poses have {poses.shape[-2]} joints; this skeleton has {len(self.names)}")
        out = poses.copy()
        for joint, anchors in self.offsets:
            out[..., joint, :] += poses[..., list(anchors), :].sum(axis=-2)
        return out


@dataclasses.dataclass
class Dances:
    """Pose sequences with their labels: ``poses`` (sequences, frames, joints, 2), ``genres`` (sequences,) integer
    labels into ``genre_names``, ``ids`` (sequences,) the unit a split keeps together (e.g. a YouTube id), and the
    :class:`Skeleton` that draws them (None: joints as dots). ``fps``: frames per second."""

    poses: np.ndarray
    genres: np.ndarray
    ids: np.ndarray
    genre_names: tuple[str, ...]
    skeleton: Skeleton | None = None
    fps: float = 25.0

    def __post_init__(self):
        self.poses = check_poses(self.poses)
        self.genres = np.asarray(self.genres, dtype=np.int64)
        self.ids = np.asarray(self.ids).astype(str)
        n = len(self.poses)
        if self.genres.shape != (n,) or self.ids.shape != (n,):
            raise ValueError(f"one genre and one id per sequence are needed: {n} sequences, {self.genres.shape} "
                             f"genres, {self.ids.shape} ids")
        if self.skeleton is not None and len(self.skeleton.names) != self.poses.shape[2]:
            raise ValueError(f"the poses have {self.poses.shape[2]} joints but the skeleton names "
                             f"{len(self.skeleton.names)}")
        if n and (self.genres.min() < 0 or self.genres.max() >= len(self.genre_names)):
            raise ValueError(f"genre labels must lie in 0..{len(self.genre_names) - 1} (genre_names); got "
                             f"{self.genres.min()}..{self.genres.max()}")

    def __len__(self) -> int:
        return len(self.poses)

    def subset(self, mask_or_index) -> "Dances":
        """The sequences selected by a boolean mask or an index array."""
        return dataclasses.replace(self, poses=self.poses[mask_or_index], genres=self.genres[mask_or_index],
                                   ids=self.ids[mask_or_index])

    def first(self, frames: int) -> "Dances":
        """Every sequence's first ``frames`` frames (a ValueError if they are shorter)."""
        check_poses(self.poses, "dances", min_frames=frames)
        return dataclasses.replace(self, poses=self.poses[:, :int(frames)])

    def with_ids(self, ids: Sequence[str]) -> "Dances":
        """The sequences whose id is in ``ids``."""
        return self.subset(np.isin(self.ids, np.asarray(list(ids)).astype(str)))

    def genre_index(self, genre: str | int) -> int:
        """The label of ``genre`` (a name or a label), or a ValueError listing the genres these dances hold."""
        if isinstance(genre, (int, np.integer)) and 0 <= int(genre) < len(self.genre_names):
            return int(genre)
        if isinstance(genre, str) and genre in self.genre_names:
            return self.genre_names.index(genre)
        raise ValueError(f"genre {genre!r} is not one of the {len(self.genre_names)} genres these dances were "
                         f"labelled with: {', '.join(self.genre_names)}")


def check_disjoint(**id_sets: Sequence[str]) -> None:
    """Raise a ValueError if any two of the named id sets share an id (e.g. the generator's training ids, the
    judge's and the evaluation ids), naming the pair and an example."""
    names = list(id_sets)
    sets = {k: set(map(str, v)) for k, v in id_sets.items()}
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            shared = sorted(sets[a] & sets[b])
            if shared:
                raise ValueError(f"{a} and {b} share {len(shared)} id(s) (e.g. {shared[0]}): they must be disjoint, "
                                 "or the score measures memory")


def windows(poses: np.ndarray, length: int, starts: Sequence[int]) -> np.ndarray:
    """Windows of ``length`` frames at each start: (len(starts), sequences, length, joints, 2)."""
    poses = check_poses(poses)
    starts = [int(s) for s in starts]
    if any(s < 0 or s + int(length) > poses.shape[1] for s in starts):
        raise ValueError(f"windows of {length} frames at {starts} do not fit in {poses.shape[1]} frames")
    return np.stack([poses[:, s:s + int(length)] for s in starts])
