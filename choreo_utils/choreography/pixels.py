"""The pixel route: notebook 07's dances judged on notebook 06's yardstick. Dances drawn as the videos they
continue (``sources.synthetic_redraw``) become grayscale windows like notebook 06's (INTER_AREA to its size,
[0, 1]); notebook 06's motion-only 3-D CNN genre classifier, trained here on the real videos of the judge's ids,
recognises them window by window — the ConvLSTM's rollouts, from the same videos' first frames, on the same
windows.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from choreo_utils.checks import positive_int


def gray_windows(frames: np.ndarray, size: Sequence[int]) -> np.ndarray:
    """uint8 RGB videos (N, T, H, W, 3) → float32 (N, T, h, w, 1) grayscale in [0, 1] at ``size`` (h, w), resized
    (INTER_AREA) and converted as ``prediction.load_sequences`` reads frames from disk."""
    import cv2  # noqa: PLC0415

    from choreo_utils.video import resize_frames  # noqa: PLC0415

    frames = np.asarray(frames)
    if frames.ndim != 5 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be uint8 RGB videos (N, T, H, W, 3); got {frames.dtype} {frames.shape}")
    n, t = frames.shape[:2]
    small = resize_frames(frames.reshape(n * t, *frames.shape[2:]), tuple(int(v) for v in size))
    gray = np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in small])
    return (gray.reshape(n, t, *gray.shape[1:], 1).astype(np.float32) / 255.0)


def training_windows(videos: np.ndarray, labels: Sequence[int], window: int, per_video: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """``per_video`` windows of ``window`` frames spread evenly over each video (N, T, h, w, 1), with their labels."""
    window, per_video = positive_int(window, "window", 2), positive_int(per_video, "per_video")
    if videos.shape[1] < window:
        raise ValueError(f"videos of {videos.shape[1]} frames hold no window of {window}")
    starts = np.unique(np.linspace(0, videos.shape[1] - window, per_video).round().astype(int))
    x = np.stack([videos[:, s:s + window] for s in starts], axis=1).reshape(-1, window, *videos.shape[2:])
    return x, np.repeat(np.asarray(labels, dtype=np.int64), len(starts))


def train_video_judge(videos: np.ndarray, labels: Sequence[int], window: int, seed: int, epochs: int,
                      per_video: int = 12, batch_size: int = 32, embed_dim: int = 16, learning_rate: float = 2e-3,
                      n_classes: int | None = None, progress: bool = True) -> Any:
    """Notebook 06's genre classifier (``prediction.build_genre_classifier``, motion only: it sees frame
    differences) trained under ``seed`` on ``per_video`` windows of each real video (N, T, h, w, 1)."""
    from choreo_utils import prediction  # noqa: PLC0415
    from choreo_utils.config import GENRES  # noqa: PLC0415

    x, y = training_windows(videos, labels, window, per_video)

    def build():
        return prediction.build_genre_classifier(window, tuple(videos.shape[2:]), n_classes=n_classes or len(GENRES),
                                                 embed_dim=embed_dim, motion_only=True, learning_rate=learning_rate)

    model, _ = prediction.train_classifiers(build, x, y, [seed], epochs, batch_size, progress=progress)
    return model


def recognition(model: Any, future: np.ndarray, genres: Sequence[int], window: int, count: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """For continuations (N, T ≥ window·count, h, w, 1) of dances of ``genres`` (N,): ``(correct (N, count) bool,
    motion (N, count))`` — whether the classifier names the genre in each window of generated frames (horizons
    1..window, window+1..2·window, ...), and each window's motion energy (mean absolute frame change)."""
    from choreo_utils import prediction  # noqa: PLC0415

    wins = prediction.horizon_windows(future, window, count)                     # (count, N, window, h, w, 1)
    genres = np.asarray(genres, dtype=np.int64)
    correct = np.empty((len(genres), count), bool)
    motion = np.empty((len(genres), count))
    for k in range(count):
        probs, _ = prediction.classify_windows(model, wins[k])
        correct[:, k] = probs.argmax(axis=1) == genres
        motion[:, k] = prediction.motion_energy(wins[k])
    return correct, motion
