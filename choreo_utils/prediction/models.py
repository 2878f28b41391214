"""The next-frame models: the paper's ConvLSTM and our default, both causal in time (:func:`causal_leak` checks
it), with their custom layers, and how to resize, save and load them.

The original project used keras-io's architecture, whose final ``Conv3D(3×3×3, padding="same")`` lets the
output for frame t see frame t+1. Here ConvLSTM2D with ``return_sequences=True`` is causal by itself, and the
3×3×3 output convolution is padded with two frames *before* the sequence only (:func:`causal_conv3d`). The
models are fully convolutional: train on crops, predict whole frames (:func:`resize_model`).
Keras is imported inside the functions: importing this module does not import TensorFlow.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from choreo_utils.prediction.frames import PAPER_SIZE, check_frames, to_unit

#: The paper's ConvLSTM (the keras-io example): 3 × ConvLSTM2D, 64 filters, kernels 5/3/1, relu,
#: BatchNorm after the first two, a 3×3×3 sigmoid Conv3D output, binary cross-entropy, Adam, batch 5.
PAPER_CONFIG: dict[str, Any] = {
    "filters": (64, 64, 64), "kernels": (5, 3, 1), "activation": "relu", "batchnorm": (True, True, False),
    "output_kernel": (3, 3, 3), "output_activation": "sigmoid", "loss": "binary_crossentropy",
    "optimizer": "adam", "epochs": 10, "batch_size": 5,
}

#: Our default (:func:`build_model`'s defaults), sized for 2 CPU cores: frames t-1 and t encoded at half
#: resolution, one small ConvLSTM there, a full-resolution decoder, and the *change* from the last frame
#: as output, trained with MSE.
DEFAULT_CONFIG: dict[str, Any] = {
    "filters": 32, "encoder_filters": 16, "skip_filters": 8, "decoder_filters": 16, "kernel": 3,
    "downsample": 2, "residual": True, "learning_rate": 2e-3,
}


def causal_conv3d(x, filters: int, kernel: tuple[int, int, int] = (3, 3, 3), activation: str | None = None,
                  strides: int = 1, name: str | None = None):
    """A Conv3D that only looks back in time: pad ``kt - 1`` frames *before* the sequence, none after.

    ``Conv3D(padding="same")`` pads one frame on each side, so its output at t mixes frames t-1, t, t+1 —
    the leak in keras-io's example. Spatial padding is "same" (with ``strides``, H and W are divided by it).
    """
    from keras import layers  # noqa: PLC0415

    kt, kh, kw = kernel
    pad = ((kt - 1, 0), ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2))
    if pad != ((0, 0), (0, 0), (0, 0)):
        x = layers.ZeroPadding3D(pad, name=None if name is None else f"{name}_pad")(x)
    return layers.Conv3D(filters, kernel, strides=(1, strides, strides), padding="valid", activation=activation,
                         name=name)(x)


def build_paper_model(frame_shape: tuple[int, int, int] = (*PAPER_SIZE, 1), causal: bool = True,
                      learning_rate: float = 1e-3, seed: int | None = None):
    """The paper's ConvLSTM (:data:`PAPER_CONFIG`), compiled with binary cross-entropy and Adam.

    ``causal=False`` rebuilds the original exactly — its ``Conv3D(padding="same")`` output sees the next
    frame; keep it only to demonstrate the leak.
    """
    import keras  # noqa: PLC0415
    from keras import layers  # noqa: PLC0415

    if seed is not None:
        from choreo_utils.runtime import set_seed  # noqa: PLC0415

        set_seed(seed)
    cfg = PAPER_CONFIG
    inp = keras.Input((None, *frame_shape), name="frames")
    x = inp
    for i, (f, k, bn) in enumerate(zip(cfg["filters"], cfg["kernels"], cfg["batchnorm"])):
        x = layers.ConvLSTM2D(f, (k, k), padding="same", return_sequences=True, activation=cfg["activation"],
                              name=f"convlstm{i + 1}")(x)
        if bn:
            x = layers.BatchNormalization(name=f"bn{i + 1}")(x)
    if causal:
        out = causal_conv3d(x, frame_shape[-1], cfg["output_kernel"], cfg["output_activation"], name="next_frame")
    else:
        out = layers.Conv3D(frame_shape[-1], cfg["output_kernel"], padding="same",
                            activation=cfg["output_activation"], name="next_frame")(x)
    model = keras.Model(inp, out, name="paper_convlstm" + ("" if causal else "_leaky"))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=cfg["loss"])
    return model


def build_model(frame_shape: tuple[int, int, int] = (*PAPER_SIZE, 1), filters: int = 32, encoder_filters: int = 16,
                skip_filters: int = 8, decoder_filters: int = 16, kernel: int = 3, downsample: int = 2,
                residual: bool = True, learning_rate: float = 2e-3, memory: bool = True, seed: int | None = None):
    """Our efficient default (:data:`DEFAULT_CONFIG`), causal in time, compiled with MSE and Adam.

    * each frame t is paired with frame t-1 (motion is visible from the first layer); a strided encoder
      hands ``downsample``-times smaller maps to one ``ConvLSTM2D(filters)`` — a ConvLSTM's cost is its eight
      gate convolutions at every pixel, so a quarter of the pixels is a quarter of the cost;
    * the memory is squeezed to ``skip_filters`` channels and upsampled; a full-resolution decoder combines
      it with a local-motion map of frames t-1, t and with frame t itself (fine detail);
    * ``residual=True`` predicts the *change* from frame t (output = frame t + delta, delta initialised at
      zero: the untrained model *is* the copy-last-frame baseline); else a sigmoid image;
    * ``memory=False`` is the ablation without recurrence: the same layers and weights, but the ConvLSTM's state
      is reset to zero before every frame (``NoMemoryConvLSTM2D``), so the prediction of frame t+1 sees frames
      t-1 and t only. Under one seed both variants start from identical weights.
    Per-frame layers fold time into the batch (``FrameConv2D``). Nothing but the ConvLSTM and the one-frame
    delay mixes time steps, and only with the past: the model is causal.
    """
    import keras  # noqa: PLC0415
    from keras import layers  # noqa: PLC0415

    h, w, c = frame_shape
    if h % downsample or w % downsample:
        raise ValueError(f"frame size {h}x{w} must be divisible by downsample={downsample}; resize the frames "
                         f"(e.g. PRED_SIZE = [{h - h % downsample}, {w - w % downsample}]) or use downsample=1")
    if seed is not None:
        from choreo_utils.runtime import set_seed  # noqa: PLC0415

        set_seed(seed)
    k = kernel

    from choreo_utils.prediction.layers import FrameConv2D, NoMemoryConvLSTM2D, PreviousFrame  # noqa: PLC0415

    def per_frame(filters_: int, name: str, size: int = k, strides: int = 1, **kw):
        return FrameConv2D(filters_, size, strides=strides, padding="same", name=name, **kw)

    inp = keras.Input((None, h, w, c), name="frames")
    pair = layers.Concatenate(name="frames_t-1_t")([PreviousFrame(name="previous_frame")(inp), inp])
    e = per_frame(encoder_filters, "encoder", strides=downsample, activation="relu")(pair)
    recurrent = layers.ConvLSTM2D if memory else NoMemoryConvLSTM2D
    m = recurrent(filters, (k, k), padding="same", return_sequences=True, name="convlstm")(e)
    m = per_frame(skip_filters, "squeeze", size=1, activation="relu")(m)
    if downsample > 1:
        m = layers.UpSampling3D((1, downsample, downsample), name="upsample")(m)
    local = per_frame(skip_filters, "local_motion", activation="relu")(pair)
    d = layers.Concatenate(name="skip")([m, local, inp])
    d = per_frame(decoder_filters, "decoder", activation="relu")(d)
    if residual:
        delta = per_frame(c, "delta", size=1, kernel_initializer="zeros")(d)
        out = layers.Add(name="next_frame")([inp, delta])
    else:
        out = per_frame(c, "next_frame", size=1, activation="sigmoid")(d)
    name = ("convlstm" if memory else "no_memory") + ("_residual" if residual else "_direct")
    model = keras.Model(inp, out, name=name)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    return model


def resize_model(model, frame_shape: tuple[int, int, int]):
    """The same model (same weights) for another frame size: convolutions do not care how big the image is.

    Train on small crops (:func:`motion_crop`), then predict full frames with ``resize_model(model, (60, 90, 1))``.
    """
    import keras  # noqa: PLC0415

    config = model.get_config()
    inputs = [layer for layer in config["layers"] if layer["class_name"] == "InputLayer"]
    if len(inputs) != 1:
        raise ValueError(f"resize_model expects a functional model with one input; {model.name} has {len(inputs)}")
    old = inputs[0]["config"]["batch_shape"]
    if frame_shape[-1] != old[-1]:
        raise ValueError(f"resize_model can change the frame size, not the channels: the model takes {old[-1]} "
                         f"channel(s), frame_shape has {frame_shape[-1]}")
    inputs[0]["config"]["batch_shape"] = [old[0], old[1], *frame_shape]
    for layer in config["layers"]:
        layer.pop("build_config", None)  # built for the old size; rebuild for the new one
    resized = keras.Model.from_config(config)
    resized.set_weights(model.get_weights())
    resized.compile(optimizer="adam", loss=model.loss)
    return resized


def save_predictor(model, name: str = "05_convlstm", **meta: Any) -> Path:
    """Save a trained next-frame model (``model.keras``) with ``model.json`` (its frame shape, package versions,
    plus ``meta``: sequence length, how frames were prepared) under ``artifacts/models/<name>/``, atomically."""
    from choreo_utils import bundle, config, runtime  # noqa: PLC0415

    return bundle.save(config.models_dir() / name, {"model": model}, {
        "frame_shape": list(model.input_shape[2:]), "versions": runtime.versions(), **meta}, "model.json")


def load_predictor(folder: str | os.PathLike) -> tuple[Any, dict[str, Any]]:
    """``(model, description)`` from a folder written by :func:`save_predictor` (custom layers registered)."""
    from choreo_utils import bundle  # noqa: PLC0415
    from choreo_utils.prediction import layers  # noqa: F401, PLC0415  (registers the custom layers with Keras)
    models, meta = bundle.load(folder, ["model"], "model.json", what="saved next-frame model",
                               missing="run notebook 05, which saves its trained model to "
                               "artifacts/models/05_convlstm, or pass that folder",
                               fix=f"delete {folder} and run notebook 05 again (it saves its trained model there)")
    return models["model"], meta   # for prediction; compile to train


def model_channels(model: Any) -> int | None:
    """The channel count a Keras model's frames must have (its input's last axis), or None if it does not say."""
    shape = getattr(model, "input_shape", None)
    if isinstance(shape, tuple) and shape and isinstance(shape[-1], int):
        return shape[-1]
    return None


def count_params(model) -> int:
    """Number of weights of a Keras model (trainable and not)."""
    return int(model.count_params())


def causal_leak(model: Any, x: np.ndarray, t: int, eps: float = 0.5) -> float:
    """Largest change of the output at positions 0..t when input frames t+1.. are perturbed (0 = causal).

    Runs the model in inference mode on ``x`` and on a copy whose frames after ``t`` are replaced by noise.
    """
    x = to_unit(check_frames(x, ndim=(5,)), "x")
    if not 0 <= t < x.shape[1] - 1:
        raise ValueError(f"t must be in 0..{x.shape[1] - 2} for sequences of {x.shape[1]} frames; got {t}")
    rng = np.random.default_rng(0)
    perturbed = x.copy()
    perturbed[:, t + 1:] = np.clip(perturbed[:, t + 1:] + rng.uniform(-eps, eps, perturbed[:, t + 1:].shape), 0, 1)
    call = (lambda a: np.asarray(model(a, training=False))) if hasattr(model, "layers") else model
    a, b = call(x), call(perturbed)
    return float(np.abs(a[:, :t + 1] - b[:, :t + 1]).max())
