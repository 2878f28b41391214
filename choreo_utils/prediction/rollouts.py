"""Predicting frames: one step ahead for every position, autoregressive rollouts, and the two baselines every
number is compared with: copy the last frame, and extrapolate the last two frames linearly."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from choreo_utils.checks import positive_int
from choreo_utils.prediction.frames import check_frames, to_unit
from choreo_utils.prediction.models import model_channels

PredictFn = Callable[[np.ndarray], np.ndarray]


def as_predict_fn(model: Any, batch_size: int = 16) -> PredictFn:
    """A function (N, T, H, W, C) → (N, T, H, W, C) clipped to [0, 1], from a Keras model or a callable."""
    import keras  # noqa: PLC0415

    if isinstance(model, keras.Model):
        channels = model_channels(model)

        def fn(x: np.ndarray) -> np.ndarray:
            x = check_frames(x, channels, "x", ndim=(5,))
            out = [np.asarray(model.predict_on_batch(x[i:i + batch_size])) for i in range(0, len(x), batch_size)]
            return np.clip(np.concatenate(out), 0.0, 1.0)
        return fn
    if callable(model):
        return lambda x: np.clip(np.asarray(model(x)), 0.0, 1.0)
    raise TypeError(f"expected a Keras model or a callable; got {type(model).__name__}")


def predict_next(model: Any, x: np.ndarray, batch_size: int = 16) -> np.ndarray:
    """One-step predictions for every position: output t is the guess of frame t+1 (frames 0..t seen)."""
    x = to_unit(check_frames(x, ndim=(5,)), "x")
    return as_predict_fn(model, batch_size)(x)


def copy_last(x: np.ndarray) -> np.ndarray:
    """The copy-last-frame baseline: predict frame t+1 = frame t (so, for shifted pairs, the prediction is x)."""
    return to_unit(check_frames(x), "x").copy()


def linear_extrapolation(x: np.ndarray) -> np.ndarray:
    """The linear baseline: predict frame t+1 = clip(2·frame t − frame t-1, 0, 1), pixel by pixel.

    For shifted pairs (x = frames 0..n-2) output t is the guess of frame t+1; at t = 0 there is no earlier
    frame, so it copies frame 0 (like :func:`copy_last`). Works on (T, H, W, C) or (N, T, H, W, C)."""
    x = to_unit(check_frames(x), "x")
    prev = np.concatenate([x[..., :1, :, :, :], x[..., :-1, :, :, :]], axis=-4)
    return np.clip(2.0 * x - prev, 0.0, 1.0)


def linear_rollout(context: np.ndarray, horizon: int) -> np.ndarray:
    """The linear baseline's rollout: extrapolate from the last two frames, feed the guess back, repeat.

    Out ``[:, h-1]`` is compared with ``sequence[:, c + h - 1]``, like :func:`rollout`; a context of one frame
    has no motion to extend, so it is copied."""
    context = to_unit(check_frames(context, ndim=(5,), name="context"), "context")
    horizon = positive_int(horizon, "horizon")
    prev, last = context[:, -2 if context.shape[1] > 1 else -1], context[:, -1]
    preds = []
    for _ in range(horizon):
        prev, last = last, np.clip(2.0 * last - prev, 0.0, 1.0)
        preds.append(last)
    return np.stack(preds, axis=1)


def rollout(model: Any, context: np.ndarray, horizon: int, batch_size: int = 16) -> np.ndarray:
    """Autoregressive rollout: from ``context`` (N, c, H, W, C) predict frames c … c+horizon-1.

    Step h feeds the context plus the h-1 frames predicted so far and keeps the model's last output, so
    ``out[:, h-1]`` is compared with ``sequence[:, c + h - 1]`` (see :func:`split_context`). The whole
    sequence is re-run each step: exact for any causal model, including BatchNorm and causal Conv3D.
    """
    context = to_unit(check_frames(context, ndim=(5,), name="context"), "context")
    horizon = positive_int(horizon, "horizon")
    fn = as_predict_fn(model, batch_size)
    frames = context
    preds = []
    for _ in range(horizon):
        nxt = fn(frames)[:, -1:]
        preds.append(nxt)
        frames = np.concatenate([frames, nxt], axis=1)
    return np.concatenate(preds, axis=1)


def copy_last_rollout(context: np.ndarray, horizon: int) -> np.ndarray:
    """The baseline's rollout: the last context frame repeated ``horizon`` times."""
    context = to_unit(check_frames(context, ndim=(5,), name="context"), "context")
    horizon = positive_int(horizon, "horizon")
    return np.repeat(context[:, -1:], horizon, axis=1)


def split_context(sequences: np.ndarray, context: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """(context frames 0..c-1, future frames c..c+horizon-1) of sequences (N, T, H, W, C)."""
    sequences = check_frames(sequences, ndim=(5,), name="sequences")
    context = positive_int(context, "context")
    horizon = positive_int(horizon, "horizon")
    t = sequences.shape[1]
    if context + horizon > t:
        raise ValueError(f"context {context} + horizon {horizon} = {context + horizon} frames, but the sequences "
                         f"have only {t}; use longer sequences (PRED_SEQ_LEN) or a shorter context/horizon")
    return sequences[:, :context], sequences[:, context:context + horizon]
