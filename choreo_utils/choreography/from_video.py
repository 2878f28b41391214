"""From a video to its continuation: the course's two halves meet. The pose-pretext CNN of notebook 02 was trained
to regress exactly the joints the choreographer dances (the oracle pose, held-out R² 0.95); its head reads a
video's first frames as a pose context, and the generator continues from there.

The frames can come from anywhere (``sources.synthetic_frames`` renders the synthetic default's, as the course's
videos are drawn); nothing here knows how they were made.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from choreo_utils.choreography.poses import check_poses

#: the pose layout the pretext CNN regresses (``synthetic.pose_vectors``): 24 points × 2, the root at index 22
ROOT = 22


def _pretrained(pretrained: Any):
    if pretrained is not None:
        return pretrained
    from choreo_utils import pretext  # noqa: PLC0415

    return pretext.pretrain(progress=False)         # the shipped weights of notebook 02 (tiny ones in smoke mode)


def estimate_poses(frames: np.ndarray, pretrained: Any = None, batch_size: int = 256) -> np.ndarray:
    """Video frames (videos, frames, H, W, 3) uint8 RGB → poses (videos, frames, 24, 2) in body heights, the
    choreographer's layout: the pretext CNN's standardised prediction brought back with the statistics it was
    trained with, and the root (the lead's hip travel) measured from each video's first frame, as
    ``sources.synthetic_dances`` measures it. ``pretrained``: a :class:`choreo_utils.pretext.Pretrained` (default:
    the weights notebook 02 uses)."""
    from choreo_utils.video import resize_frames  # noqa: PLC0415

    frames = np.asarray(frames)
    if frames.ndim != 5 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be uint8 RGB shaped (videos, frames, height, width, 3); got {frames.dtype} "
                         f"{frames.shape}")
    pre = _pretrained(pretrained)
    size = tuple(pre.meta["settings"]["image_size"])
    n, t = frames.shape[:2]
    flat = frames.reshape(n * t, *frames.shape[2:])
    if flat.shape[1:3] != size:
        flat = resize_frames(flat, size)
    pred = pre.model.predict(flat, batch_size=batch_size, verbose=0)
    pose = pred * np.asarray(pre.meta["target_std"], np.float32) + np.asarray(pre.meta["target_mean"], np.float32)
    if pose.shape[1] != 2 * (ROOT + 2):
        raise ValueError(f"these pretext weights regress {pose.shape[1]} values, not the 48 of the synthetic layout")
    poses = pose.reshape(n, t, -1, 2).astype(np.float32)
    poses[:, :, ROOT] -= poses[:, :1, ROOT]
    return check_poses(poses, "estimated poses")


def pose_r2(estimated: np.ndarray, oracle: np.ndarray) -> float:
    """R² of estimated against true poses over every joint coordinate, each coordinate's own mean as the
    baseline (1: exact; 0: no better than each coordinate's average). The root is left out: both start at zero."""
    est, true = (check_poses(a).astype(np.float64) for a in (estimated, oracle))
    if est.shape != true.shape:
        raise ValueError(f"estimated {est.shape} and oracle {true.shape} poses must have one shape")
    keep = [j for j in range(est.shape[2]) if j != ROOT]
    e, y = est[:, :, keep].reshape(-1, 2 * len(keep)), true[:, :, keep].reshape(-1, 2 * len(keep))
    return float(1 - ((e - y) ** 2).sum() / ((y - y.mean(axis=0)) ** 2).sum())
