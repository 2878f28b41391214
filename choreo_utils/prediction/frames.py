"""Frame arrays as the next-frame models take them: check and convert them, shift them into (input, target)
pairs, cut a video into sequences and crop sequences around the motion.

Frames are float32 in [0, 1], shaped ``(T, H, W, C)`` for one sequence or ``(N, T, H, W, C)`` for many;
C is 1 (grayscale, the paper's setting) unless you build a model for colour.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from choreo_utils.checks import positive_int

#: The paper's frame size (height, width).
PAPER_SIZE: tuple[int, int] = (60, 90)


def to_unit(frames: np.ndarray, name: str = "frames", dtype: type = np.float32) -> np.ndarray:
    """uint8 0..255 → floats 0..1 (``dtype``, float32 by default); float frames are checked to lie in [0, 1] and
    returned as ``dtype``."""
    frames = np.asarray(frames)
    if frames.dtype == np.uint8:
        return frames.astype(dtype) / dtype(255.0)
    if not np.issubdtype(frames.dtype, np.floating):
        raise TypeError(f"{name} must be uint8 (0..255) or float (0..1); got dtype {frames.dtype}")
    if frames.size and (np.nanmin(frames) < -1e-6 or np.nanmax(frames) > 1 + 1e-6):
        raise ValueError(f"{name} are floats outside [0, 1] (min {np.nanmin(frames):.3g}, max "
                         f"{np.nanmax(frames):.3g}); divide uint8 frames by 255 (or pass the uint8 array)")
    return frames.astype(dtype, copy=False)


def check_frames(frames: np.ndarray, channels: int | None = None, name: str = "frames",
                 ndim: Sequence[int] = (4, 5)) -> np.ndarray:
    """Check a (T, H, W, C) or (N, T, H, W, C) array, and its channel count against ``channels``."""
    frames = np.asarray(frames)
    if frames.ndim not in ndim:
        shapes = " or ".join({4: "(T, H, W, C)", 5: "(N, T, H, W, C)"}[d] for d in ndim)
        no_channel = frames.ndim in (3, 4) and frames.shape[-1] > 4
        hint = " — add a channel axis with frames[..., None]" if no_channel else ""
        raise ValueError(f"{name} must be shaped {shapes}; got shape {frames.shape}{hint}")
    c = frames.shape[-1]
    if channels is not None and c != channels:
        kinds = {1: "grayscale (1 channel)", 3: "colour (3 channels)"}
        want, got = kinds.get(channels, f"{channels} channels"), kinds.get(c, f"{c} channels")
        fix = ("read them with gray=True or convert with choreo_utils.video.to_gray(frames)" if channels == 1
               else "read them with gray=False, or build the model with frame_shape=(H, W, 1)")
        raise ValueError(f"{name} are {got} but the model expects {want}: {fix}")
    return frames


def shift_frames(seq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and next-frame targets: ``x = frames 0..n-2``, ``y = frames 1..n-1`` (time axis: -4).

    Works on one sequence (T, H, W, C) or a batch (N, T, H, W, C). The original code used ``y = x``:
    a model trained that way learns the identity, not the future.
    """
    seq = check_frames(seq, name="sequence")
    n = seq.shape[-4]
    if n < 2:
        raise ValueError(f"shift_frames needs at least 2 frames along the time axis; got {n} (shape {seq.shape})")
    return seq[..., :-1, :, :, :], seq[..., 1:, :, :, :]


def frames_to_sequences(frames: np.ndarray, seq_len: int, stride: int | None = None,
                        name: str = "video") -> np.ndarray:
    """Cut one video's frames (T, H, W, C) into windows (N, seq_len, H, W, C); stride defaults to seq_len."""
    frames = check_frames(frames, name=name, ndim=(4,))
    seq_len = positive_int(seq_len, "seq_len", 2)
    stride = seq_len if stride is None else positive_int(stride, "stride")
    t = frames.shape[0]
    if t < seq_len:
        raise ValueError(f"{name} has only {t} frames but sequences of seq_len={seq_len} were requested; "
                         f"use a shorter sequence length (PRED_SEQ_LEN <= {t}) or a longer video")
    starts = range(0, t - seq_len + 1, stride)
    return np.stack([frames[s:s + seq_len] for s in starts])


def motion_crop(sequences: np.ndarray, width: int | None = None, height: int | None = None) -> np.ndarray:
    """Crop each sequence (N, T, H, W, C) to ``height`` × ``width`` around where its frames change the most.

    Most pixels of a dance video never change. The models are fully convolutional, so they can *train* on the
    window where the dancer moves (the centroid of the squared frame differences, clamped inside the frame)
    and still predict whole frames; cost scales with pixels. None keeps that dimension whole.
    """
    sequences = check_frames(sequences, ndim=(5,), name="sequences")
    n, t, h, w, _ = sequences.shape
    ch = h if height is None else positive_int(height, "height")
    cw = w if width is None else positive_int(width, "width")
    if ch > h or cw > w:
        raise ValueError(f"crop {ch}x{cw} is larger than the frames ({h}x{w}); use a smaller crop or None")
    if (ch, cw) == (h, w):
        return sequences
    energy = (np.diff(sequences.astype(np.float32), axis=1) ** 2).sum(axis=(1, 4)) if t > 1 else \
        np.ones((n, h, w), np.float32)
    out = np.empty((n, t, ch, cw, sequences.shape[-1]), sequences.dtype)
    for i, e in enumerate(energy):
        total = e.sum()
        cy = (e.sum(axis=1) @ np.arange(h)) / total if total > 0 else (h - 1) / 2
        cx = (e.sum(axis=0) @ np.arange(w)) / total if total > 0 else (w - 1) / 2
        y0 = int(np.clip(round(cy - ch / 2), 0, h - ch))
        x0 = int(np.clip(round(cx - cw / 2), 0, w - cw))
        out[i] = sequences[i, :, y0:y0 + ch, x0:x0 + cw]
    return out
