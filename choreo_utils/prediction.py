"""Next-frame prediction with ConvLSTM: shifted frames, causal models, baselines, metrics and rollouts.

The original project trained its ConvLSTM with ``y = x`` (the model learns to copy its input) and used
keras-io's architecture, whose final ``Conv3D(3×3×3, padding="same")`` lets the output for frame t see
frame t+1. Here:

* :func:`shift_frames` makes the targets: ``x = frames 0..n-2``, ``y = frames 1..n-1`` — the output at
  position t is the model's guess of frame t+1, having seen frames 0..t only;
* both models are **causal in time** (:func:`causal_leak` checks it): ConvLSTM2D with
  ``return_sequences=True`` is causal by itself, and the 3×3×3 output convolution is padded with two
  frames *before* the sequence only (:func:`causal_conv3d`);
* every number is compared with the **copy-last-frame** baseline (:func:`copy_last`), for one step and
  for autoregressive rollouts (:func:`rollout`) at horizons 1…k (:func:`metrics_by_horizon`);
* MSE, PSNR and SSIM come from scikit-image (:func:`frame_metrics`);
* the models are fully convolutional: train on windows around the motion (:func:`motion_crop`), predict
  whole frames (:func:`resize_model`); any video file works through :func:`video_sequences`.

Frames are float32 in [0, 1], shaped ``(T, H, W, C)`` for one sequence or ``(N, T, H, W, C)`` for many;
C is 1 (grayscale, the paper's setting) unless you build a model for colour.
"""
from __future__ import annotations

import dataclasses
import math
import numbers
import os
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from choreo_utils import clips, video

#: The paper's frame size (height, width) and sequence lengths.
PAPER_SIZE: tuple[int, int] = (60, 90)
PAPER_SEQ_LENS: tuple[int, ...] = (10, 20, 30)

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

PredictFn = Callable[[np.ndarray], np.ndarray]


# ------------------------------------------------------------------------------------- checking input
def _positive_int(value: Any, name: str, minimum: int = 1) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def to_unit(frames: np.ndarray, name: str = "frames") -> np.ndarray:
    """uint8 0..255 → float32 0..1; float frames are checked to lie in [0, 1] and returned as float32."""
    frames = np.asarray(frames)
    if frames.dtype == np.uint8:
        return frames.astype(np.float32) / 255.0
    if not np.issubdtype(frames.dtype, np.floating):
        raise TypeError(f"{name} must be uint8 (0..255) or float (0..1); got dtype {frames.dtype}")
    if frames.size and (np.nanmin(frames) < -1e-6 or np.nanmax(frames) > 1 + 1e-6):
        raise ValueError(f"{name} are floats outside [0, 1] (min {np.nanmin(frames):.3g}, max "
                         f"{np.nanmax(frames):.3g}); divide uint8 frames by 255 (or pass the uint8 array)")
    return frames.astype(np.float32, copy=False)


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


def _model_channels(model: Any) -> int | None:
    shape = getattr(model, "input_shape", None)
    if isinstance(shape, tuple) and shape and isinstance(shape[-1], int):
        return shape[-1]
    return None


# ------------------------------------------------------------------------------------- shifted frames
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
    seq_len = _positive_int(seq_len, "seq_len", 2)
    stride = seq_len if stride is None else _positive_int(stride, "stride")
    t = frames.shape[0]
    if t < seq_len:
        raise ValueError(f"{name} has only {t} frames but sequences of seq_len={seq_len} were requested; "
                         f"use a shorter sequence length (PRED_SEQ_LEN <= {t}) or a longer video")
    starts = range(0, t - seq_len + 1, stride)
    return np.stack([frames[s:s + seq_len] for s in starts])


def video_sequences(path: str | os.PathLike, seq_len: int = 20, size: tuple[int, int] | None = PAPER_SIZE,
                    gray: bool = True, stride: int | None = None, max_frames: int | None = None) -> np.ndarray:
    """Any video file (or frame folder) → float32 sequences (N, seq_len, H, W, C) in [0, 1], via ``read_video``.

    Use it on your own clip, e.g. a phone video: ``video_sequences("dance.mp4", 20)``. A file that cannot
    be decoded raises ValueError from :func:`choreo_utils.video.read_video` saying how to re-encode it.
    """
    frames = video.read_video(path, size=size, gray=gray, max_frames=max_frames)
    return to_unit(frames_to_sequences(frames, seq_len, stride, name=f"video {Path(path)}"))


def sequence_table(index: pd.DataFrame, seq_len: int = 20, stride: int | None = None,
                   videos_per_genre: int | None = None, seed: int = 0) -> pd.DataFrame:
    """One row per sequence of ``seq_len`` consecutive frames (``clips.make_clips`` columns).

    ``videos_per_genre`` keeps that many videos of each genre (chosen by ``seed``; None keeps all).
    Videos shorter than ``seq_len`` give no sequence (warned); if none is long enough: ValueError.
    """
    seq_len = _positive_int(seq_len, "seq_len", 2)
    clips._require_columns(index, clips.INDEX_COLUMNS + ("path",), "frame index",
                           "Build it with choreo_utils.datasets.load_frame_index(...).")
    if videos_per_genre is not None:
        videos_per_genre = _positive_int(videos_per_genre, "videos_per_genre")
        rng = np.random.default_rng(seed)
        keep = []
        for _, vids in index.groupby("genre", sort=True)["video_id"]:
            ids = sorted(vids.unique())
            keep.extend(ids[i] for i in sorted(rng.permutation(len(ids))[:videos_per_genre]))
        index = index[index["video_id"].isin(keep)]
    longest = int(index.groupby("video_id").size().max())
    if longest < seq_len:
        raise ValueError(f"every video is shorter than the requested sequence length {seq_len} (longest: "
                         f"{longest} frames); lower PRED_SEQ_LEN to at most {longest} or use longer videos")
    return clips.make_clips(index.reset_index(drop=True), clip_len=seq_len, stride=stride)


def split_sequences(table: pd.DataFrame, test_ratio: float = 0.1, seed: int = 0) -> pd.DataFrame:
    """9:1 (``test_ratio``) train/test split of a sequence table that keeps each YouTube id on one side."""
    return clips.grouped_split(table, test_ratio=test_ratio, seed=seed, group="youtube_id", stratify="genre")


def load_sequences(index: pd.DataFrame, table: pd.DataFrame, size: tuple[int, int] = PAPER_SIZE,
                   gray: bool = True) -> np.ndarray:
    """Read the frames of each row of ``table`` (from :func:`sequence_table`) → float32 (N, T, H, W, C) in [0, 1].

    Each video is decoded once (``video.read_frames``, resized with INTER_AREA, grayscale by default).
    """
    clips._require_columns(table, ["video_id", "start", "clip_len"], "sequence table",
                           "Make it with prediction.sequence_table(index, seq_len).")
    if len(table) == 0:
        raise ValueError("sequence table is empty; nothing to load")
    seq_len = int(table["clip_len"].iloc[0])
    if (table["clip_len"] != seq_len).any():
        raise ValueError("sequence table mixes sequence lengths; make it with one seq_len")
    paths_by_video = {v: rows["path"].tolist() for v, rows in index.groupby("video_id", sort=False)}
    out: np.ndarray | None = None
    for video_id, rows in table.groupby("video_id", sort=False):
        if video_id not in paths_by_video:
            raise ValueError(f"video {video_id!r} of the sequence table is not in the frame index")
        frames = video.read_frames(paths_by_video[video_id], size=size, gray=gray)
        for pos, start in zip(rows.index, rows["start"]):
            if start + seq_len > len(frames):
                raise ValueError(f"sequence {video_id}@{start} needs frames {start}..{start + seq_len - 1} but the "
                                 f"video has {len(frames)}; rebuild the table from this index")
            if out is None:
                out = np.empty((len(table), seq_len, *frames.shape[1:]), np.float32)
            out[table.index.get_loc(pos)] = frames[start:start + seq_len].astype(np.float32) / 255.0
    assert out is not None
    return out


def motion_crop(sequences: np.ndarray, width: int | None = None, height: int | None = None) -> np.ndarray:
    """Crop each sequence (N, T, H, W, C) to ``height`` × ``width`` around where its frames change the most.

    Most pixels of a dance video never change. The models are fully convolutional, so they can *train* on the
    window where the dancer moves (the centroid of the squared frame differences, clamped inside the frame)
    and still predict whole frames; cost scales with pixels. None keeps that dimension whole.
    """
    sequences = check_frames(sequences, ndim=(5,), name="sequences")
    n, t, h, w, _ = sequences.shape
    ch = h if height is None else _positive_int(height, "height")
    cw = w if width is None else _positive_int(width, "width")
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


# ---------------------------------------------------------------------------------------------- models
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
        keras.utils.set_random_seed(seed)
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


_LAYERS: dict[str, Any] = {}


def _custom_layers() -> dict[str, Any]:
    """Two small Keras layers for :func:`build_model`, defined on first use (importing this module must not
    import Keras)."""
    if _LAYERS:
        return _LAYERS
    import keras  # noqa: PLC0415
    from keras import ops  # noqa: PLC0415

    @keras.saving.register_keras_serializable(package="choreo_utils")
    class PreviousFrame(keras.layers.Layer):
        """Output at t is the input at t-1 (t = 0 repeats frame 0): a causal one-frame delay."""

        def call(self, x):
            return ops.concatenate([x[:, :1], x[:, :-1]], axis=1)

    @keras.saving.register_keras_serializable(package="choreo_utils")
    class FrameConv2D(keras.layers.Conv2D):
        """``Conv2D`` on every frame of (N, T, H, W, C), time folded into the batch: one big convolution,
        faster on CPU than ``Conv3D`` with a temporal kernel of 1 or ``TimeDistributed`` (which loops)."""

        def build(self, input_shape):
            super().build((None, *input_shape[2:]))

        def call(self, x):
            n_t = ops.shape(x)[:2]
            y = super().call(ops.reshape(x, (-1, *x.shape[2:])))
            return ops.reshape(y, (n_t[0], n_t[1], *y.shape[1:]))

        def compute_output_shape(self, input_shape):
            if len(input_shape) == 4:  # Conv2D.build asks about one frame
                return super().compute_output_shape(input_shape)
            return (*input_shape[:2], *super().compute_output_shape((None, *input_shape[2:]))[1:])

    _LAYERS.update(PreviousFrame=PreviousFrame, FrameConv2D=FrameConv2D)
    return _LAYERS


def build_model(frame_shape: tuple[int, int, int] = (*PAPER_SIZE, 1), filters: int = 32, encoder_filters: int = 16,
                skip_filters: int = 8, decoder_filters: int = 16, kernel: int = 3, downsample: int = 2,
                residual: bool = True, learning_rate: float = 2e-3, seed: int | None = None):
    """Our efficient default (:data:`DEFAULT_CONFIG`), causal in time, compiled with MSE and Adam.

    * each frame t is paired with frame t-1 (motion is visible from the first layer); a strided encoder
      hands ``downsample``-times smaller maps to one ``ConvLSTM2D(filters)`` — a ConvLSTM's cost is its eight
      gate convolutions at every pixel, so a quarter of the pixels is a quarter of the cost;
    * the memory is squeezed to ``skip_filters`` channels and upsampled; a full-resolution decoder combines
      it with a local-motion map of frames t-1, t and with frame t itself (fine detail);
    * ``residual=True`` predicts the *change* from frame t (output = frame t + delta, delta initialised at
      zero: the untrained model *is* the copy-last-frame baseline); else a sigmoid image.
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
        keras.utils.set_random_seed(seed)
    k = kernel

    custom = _custom_layers()

    def per_frame(filters_: int, name: str, size: int = k, strides: int = 1, **kw):
        return custom["FrameConv2D"](filters_, size, strides=strides, padding="same", name=name, **kw)

    inp = keras.Input((None, h, w, c), name="frames")
    pair = layers.Concatenate(name="frames_t-1_t")([custom["PreviousFrame"](name="previous_frame")(inp), inp])
    e = per_frame(encoder_filters, "encoder", strides=downsample, activation="relu")(pair)
    m = layers.ConvLSTM2D(filters, (k, k), padding="same", return_sequences=True, name="convlstm")(e)
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
    model = keras.Model(inp, out, name="convlstm_residual" if residual else "convlstm_direct")
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
    from choreo_utils import config, runtime  # noqa: PLC0415
    from choreo_utils.io_utils import atomic_dir, write_json  # noqa: PLC0415

    folder = config.models_dir() / name
    with atomic_dir(folder) as tmp:
        model.save(tmp / "model.keras")
        write_json(tmp / "model.json", {"frame_shape": list(model.input_shape[2:]), "versions": runtime.versions(),
                                        **meta})
    return folder


def load_predictor(folder: str | os.PathLike) -> tuple[Any, dict[str, Any]]:
    """``(model, description)`` from a folder written by :func:`save_predictor` (custom layers registered)."""
    import json  # noqa: PLC0415

    import keras  # noqa: PLC0415

    folder = Path(folder)
    if not (folder / "model.keras").is_file():
        raise FileNotFoundError(f"{folder} holds no saved next-frame model (model.keras): run notebook 05, which "
                                "saves its trained model to artifacts/models/05_convlstm, or pass that folder")
    from choreo_utils.io_utils import without_optimizer_warning  # noqa: PLC0415

    _custom_layers()   # registers PreviousFrame and FrameConv2D with Keras before loading
    with without_optimizer_warning():
        model = keras.models.load_model(folder / "model.keras", compile=False)   # for prediction; compile to train
    return model, json.loads((folder / "model.json").read_text())


def count_params(model) -> int:
    """Number of weights of a Keras model (trainable and not)."""
    return int(model.count_params())


# -------------------------------------------------------------------------------------------- training
@dataclasses.dataclass
class TrainResult:
    """What :func:`train` measured: per-epoch losses and wall-clock seconds."""

    history: dict[str, list[float]]
    epoch_seconds: list[float]

    @property
    def seconds(self) -> float:
        return float(sum(self.epoch_seconds))

    def seconds_per_epoch(self, skip_first: bool = True) -> float:
        """Mean seconds per epoch; by default without the first epoch (graph tracing)."""
        times = self.epoch_seconds[1:] if skip_first and len(self.epoch_seconds) > 1 else self.epoch_seconds
        return float(np.mean(times))


def train(model, x: np.ndarray, y: np.ndarray, epochs: int = 5, batch_size: int = 8,
          validation_data: tuple[np.ndarray, np.ndarray] | None = None, seed: int = 0,
          verbose: int = 0, progress: str | None = "training ConvLSTM") -> TrainResult:
    """``model.fit`` on shifted pairs with the shapes checked; returns losses and seconds per epoch.

    ``progress`` names the epoch progress bar (``None``: no bar)."""
    import keras  # noqa: PLC0415

    from choreo_utils.progress import keras_epochs  # noqa: PLC0415

    channels = _model_channels(model)
    x = to_unit(check_frames(x, channels, "x", ndim=(5,)), "x")
    y = to_unit(check_frames(y, channels, "y", ndim=(5,)), "y")
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape (y is x shifted by one frame); got {x.shape} and "
                         f"{y.shape} — make them with shift_frames(sequences)")
    times: list[float] = []

    class _Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self._t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self._t)

    keras.utils.set_random_seed(seed)
    hist = model.fit(x, y, epochs=_positive_int(epochs, "epochs"), batch_size=_positive_int(batch_size, "batch_size"),
                     validation_data=validation_data, shuffle=True, verbose=verbose,
                     callbacks=[_Timer(), *([keras_epochs(epochs, progress)] if progress and not verbose else [])])
    history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
    return TrainResult(history=history, epoch_seconds=times)


# ---------------------------------------------------------------------------------- predicting & rollouts
def as_predict_fn(model: Any, batch_size: int = 16) -> PredictFn:
    """A function (N, T, H, W, C) → (N, T, H, W, C) clipped to [0, 1], from a Keras model or a callable."""
    import keras  # noqa: PLC0415

    if isinstance(model, keras.Model):
        channels = _model_channels(model)

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


def rollout(model: Any, context: np.ndarray, horizon: int, batch_size: int = 16) -> np.ndarray:
    """Autoregressive rollout: from ``context`` (N, c, H, W, C) predict frames c … c+horizon-1.

    Step h feeds the context plus the h-1 frames predicted so far and keeps the model's last output, so
    ``out[:, h-1]`` is compared with ``sequence[:, c + h - 1]`` (see :func:`split_context`). The whole
    sequence is re-run each step: exact for any causal model, including BatchNorm and causal Conv3D.
    """
    context = to_unit(check_frames(context, ndim=(5,), name="context"), "context")
    horizon = _positive_int(horizon, "horizon")
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
    horizon = _positive_int(horizon, "horizon")
    return np.repeat(context[:, -1:], horizon, axis=1)


def split_context(sequences: np.ndarray, context: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """(context frames 0..c-1, future frames c..c+horizon-1) of sequences (N, T, H, W, C)."""
    sequences = check_frames(sequences, ndim=(5,), name="sequences")
    context = _positive_int(context, "context")
    horizon = _positive_int(horizon, "horizon")
    t = sequences.shape[1]
    if context + horizon > t:
        raise ValueError(f"context {context} + horizon {horizon} = {context + horizon} frames, but the sequences "
                         f"have only {t}; use longer sequences (PRED_SEQ_LEN) or a shorter context/horizon")
    return sequences[:, :context], sequences[:, context:context + horizon]


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


# ---------------------------------------------------------------------------------------------- metrics
METRICS: tuple[str, ...] = ("mse", "psnr", "ssim")


def frame_metrics(pred: np.ndarray, true: np.ndarray) -> dict[str, np.ndarray]:
    """Per-frame MSE, PSNR (dB) and SSIM from scikit-image, data range [0, 1].

    ``pred`` and ``true`` are (..., H, W, C) with the same shape; results have the leading shape (...).
    PSNR of a perfect frame is infinite (scikit-image's convention).
    """
    from skimage.metrics import mean_squared_error, peak_signal_noise_ratio, structural_similarity  # noqa: PLC0415

    pred, true = np.asarray(pred, np.float64), np.asarray(true, np.float64)
    if pred.shape != true.shape:
        raise ValueError(f"predicted and true frames must have the same shape; got {pred.shape} and {true.shape} "
                         "(is the prediction aligned with the right targets? see split_context/shift_frames)")
    if pred.ndim < 3:
        raise ValueError(f"frames must be (..., H, W, C); got shape {pred.shape}")
    lead = pred.shape[:-3]
    p = pred.reshape(-1, *pred.shape[-3:])
    q = true.reshape(-1, *true.shape[-3:])
    h, w = p.shape[1:3]
    win = min(7, h, w)
    win -= 1 - win % 2  # odd window, at most 7
    if win < 3:
        raise ValueError(f"frames of {h}x{w} are too small for SSIM (need at least 3x3)")
    mse = np.empty(len(p))
    psnr = np.empty(len(p))
    ssim = np.empty(len(p))
    with np.errstate(divide="ignore"):
        for i, (a, b) in enumerate(zip(p, q)):
            mse[i] = mean_squared_error(b, a)
            psnr[i] = np.inf if mse[i] == 0 else peak_signal_noise_ratio(b, a, data_range=1.0)
            ssim[i] = structural_similarity(b, a, data_range=1.0, channel_axis=-1, win_size=win)
    return {"mse": mse.reshape(lead), "psnr": psnr.reshape(lead), "ssim": ssim.reshape(lead)}


def summarize(pred: np.ndarray, true: np.ndarray) -> dict[str, float]:
    """Mean MSE, PSNR and SSIM over all frames (PSNR averaged per frame)."""
    m = frame_metrics(pred, true)
    return {k: float(np.mean(v)) for k, v in m.items()}


def metrics_by_horizon(pred: np.ndarray, true: np.ndarray) -> pd.DataFrame:
    """Mean MSE, PSNR and SSIM at each horizon of rollouts (N, k, H, W, C): one row per horizon 1…k."""
    pred = check_frames(pred, ndim=(5,), name="predictions")
    m = frame_metrics(pred, true)
    table = pd.DataFrame({k: v.mean(axis=0) for k, v in m.items()})
    table.index = pd.RangeIndex(1, len(table) + 1, name="horizon")
    return table


def compare_rollouts(model: Any, sequences: np.ndarray, context: int, horizon: int,
                     batch_size: int = 16) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Model vs copy-last-frame rollouts on held-out ``sequences``: a long table (method, horizon, metrics).

    Also returns the arrays ``{"context", "true", "model", "copy_last"}`` for figures and GIFs.
    """
    ctx, future = split_context(sequences, context, horizon)
    preds = {"model": rollout(model, ctx, horizon, batch_size), "copy_last": copy_last_rollout(ctx, horizon)}
    tables = []
    for name, pred in preds.items():
        t = metrics_by_horizon(pred, future).reset_index()
        t.insert(0, "method", name)
        tables.append(t)
    return pd.concat(tables, ignore_index=True), {"context": ctx, "true": future, **preds}


def improvement(model_value: float, baseline_value: float) -> float:
    """Relative reduction of an error (positive = the model is better): 1 - model / baseline."""
    return float(1.0 - model_value / baseline_value) if baseline_value else math.nan


# ----------------------------------------------------------------------------------------------- visuals
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
    true = check_frames(true, ndim=(4,), name="true frames")
    pred = check_frames(pred, true.shape[-1], "predicted frames", ndim=(4,))
    if true.shape != pred.shape:
        raise ValueError(f"side_by_side needs aligned frames of one shape; got {true.shape} and {pred.shape}")
    scale = _positive_int(scale, "scale")
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


def time_train_step(model, x: np.ndarray, y: np.ndarray, repeats: int = 2) -> float:
    """Seconds per training sequence for one ``train_on_batch`` on (x, y), after one untimed warm-up step."""
    from choreo_utils.config import filtered_native_stderr  # noqa: PLC0415

    x, y = to_unit(check_frames(x, ndim=(5,)), "x"), to_unit(check_frames(y, ndim=(5,)), "y")
    with filtered_native_stderr():   # tracing the paper model makes grappler log a benign remapper fallback
        model.train_on_batch(x, y)  # traces the graph
    start = time.perf_counter()
    for _ in range(_positive_int(repeats, "repeats")):
        model.train_on_batch(x, y)
    return (time.perf_counter() - start) / (repeats * len(x))
