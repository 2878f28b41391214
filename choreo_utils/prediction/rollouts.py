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


def _step_layers(model: Any) -> dict[str, Any] | None:
    """The layers of a ``build_model`` ConvLSTM (with memory) by role, or None for any other model."""
    try:
        names = {layer.name: layer for layer in model.layers}
    except AttributeError:
        return None
    need = ("previous_frame", "encoder", "convlstm", "squeeze", "local_motion", "decoder")
    if not all(n in names for n in need) or type(names["convlstm"]).__name__ != "ConvLSTM2D":
        return None
    if "delta" not in names and "next_frame" not in names:
        return None
    return {**{n: names[n] for n in need}, "upsample": names.get("upsample"),
            "out": names.get("delta", names.get("next_frame")), "residual": "delta" in names}


def fast_rollout(model: Any, context: np.ndarray, horizon: int, batch_size: int = 64) -> np.ndarray:
    """The rollout of :func:`~choreo_utils.prediction.rollout` (same frames), one frame per step.

    ``prediction.rollout`` re-runs the whole sequence for every new frame (exact for any causal model, but its cost
    grows with the square of the length). For our default ConvLSTM (``build_model``, with memory) this steps its
    layers instead: the encoder sees frames t-1 and t, the ConvLSTM cell carries its state (h, c) from frame to
    frame, the decoder predicts frame t+1, which is clipped to [0, 1] and fed back. Any other model (or a
    callable) falls back to ``prediction.rollout``."""
    parts = _step_layers(model)
    context = to_unit(check_frames(context, ndim=(5,), name="context"), "context")
    horizon = positive_int(horizon, "horizon")
    expected = tuple(getattr(model, "input_shape", (None,) * 5)[2:])
    if all(isinstance(d, int) for d in expected) and tuple(context.shape[2:]) != expected:
        raise ValueError(f"context frames are {context.shape[2:]} (H, W, C) but the model takes {expected}: resize the "
                         "frames (PRED_SIZE) or the model (prediction.resize_model)")
    if parts is None:
        return rollout(model, context, horizon)
    import tensorflow as tf  # noqa: PLC0415
    from keras import ops  # noqa: PLC0415

    cell = parts["convlstm"].cell

    @tf.function(reduce_retracing=True)
    def step(prev, cur, h, c):
        pair = ops.concatenate([prev, cur], axis=-1)[:, None]
        e = parts["encoder"](pair)[:, 0]
        out, (h, c) = cell(e, [h, c])
        m = parts["squeeze"](out[:, None])
        if parts["upsample"] is not None:
            m = parts["upsample"](m)
        d = parts["decoder"](ops.concatenate([m, parts["local_motion"](pair), cur[:, None]], axis=-1))
        y = parts["out"](d)[:, 0]
        return (cur + y if parts["residual"] else y), h, c

    n, c_len = context.shape[:2]
    out = np.empty((n, horizon, *context.shape[2:]), np.float32)
    for i in range(0, n, batch_size):
        ctx = context[i:i + batch_size]
        e_shape = parts["encoder"].compute_output_shape((None, 1, *ctx.shape[2:-1], 2 * ctx.shape[-1]))
        state = np.zeros((len(ctx), *e_shape[2:-1], cell.filters), np.float32)
        h, c = tf.constant(state), tf.constant(state)
        prev = ctx[:, 0]
        for t in range(c_len + horizon - 1):
            cur = ctx[:, t] if t < c_len else out[i:i + batch_size, t - c_len]
            y, h, c = step(tf.constant(prev), tf.constant(cur), h, c)
            if t >= c_len - 1:
                out[i:i + batch_size, t - c_len + 1] = np.clip(y.numpy(), 0.0, 1.0)
            prev = cur
    return out
