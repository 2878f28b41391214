"""Measuring a feature backbone: its cost (FLOPs per frame, this machine's GEMM speed, frames per second) and
how smoothly its features follow a video (temporal smoothness).

Used by notebook 02 and ``benchmarks/bench_features.py``; extraction itself is :mod:`choreo_utils.features`.
TensorFlow is imported inside the functions that need it.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    from choreo_utils.features import Extractor


def count_flops(extractor: Extractor) -> float:
    """Exact float operations for one frame, counted by TensorFlow's profiler on the frozen graph."""
    import tensorflow as tf  # noqa: PLC0415
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2  # noqa: PLC0415

    h, w = extractor.image_size
    model = extractor.model
    fn = tf.function(lambda x: model(x, training=False))
    frozen = convert_variables_to_constants_v2(fn.get_concrete_function(tf.TensorSpec([1, h, w, 3], tf.float32)))
    opts = tf.compat.v1.profiler.ProfileOptionBuilder(tf.compat.v1.profiler.ProfileOptionBuilder.float_operation())
    opts = opts.with_empty_output().build()
    info = tf.compat.v1.profiler.profile(graph=frozen.graph, run_meta=tf.compat.v1.RunMetadata(), cmd="op",
                                         options=opts)
    return float(info.total_float_ops)


def classifier_train_flops(model) -> float:
    """Float operations to train one clip through the BiLSTM classifier (``classifier.build_classifier``), counted
    from its built layers: for each direction of the BiLSTM and each frame, the four gates' two matrix products
    (input and recurrent: ``2·4u·(d + u)``) and their biases; the dense layers' products and biases; the input
    BatchNorm's normalisation. Training costs forward + backward ≈ 3 × forward (the backward pass computes the
    gradients of both the inputs and the weights), the usual count. Element-wise gate activations are left out
    (they are not GEMM work), so the limit this gives is an upper bound on attainable speed."""
    forward = 0.0
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer":
            continue
        shape = layer.input.shape
        if kind == "Bidirectional":
            t, d = int(shape[1]), int(shape[2])
            u = int(layer.forward_layer.units)
            forward += 2 * t * (2 * 4 * u * (d + u) + 4 * u)
        elif kind == "Dense":
            forward += 2 * int(shape[-1]) * int(layer.units) + int(layer.units)
        elif kind == "BatchNormalization":
            forward += 2 * int(np.prod(shape[1:]))
        elif kind == "GlobalAveragePooling1D":
            forward += int(np.prod(shape[1:]))
    return 3.0 * forward


def cpu_model() -> str:
    """This machine's CPU model and logical core count, for printing beside speed figures."""
    import os  # noqa: PLC0415
    import platform  # noqa: PLC0415

    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            name = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), name)
    except OSError:
        pass
    return f"{name}, {os.cpu_count()} logical cores"


def gemm_gflops(n: int = 2048, repeats: int = 5) -> float:
    """This machine's float32 matrix-multiply speed right now (GFLOP/s, best of ``repeats``), via TensorFlow."""
    import tensorflow as tf  # noqa: PLC0415

    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    mm = tf.function(lambda x, y: tf.matmul(x, y))
    mm(a, b).numpy()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        mm(a, b).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def throughput(extractor: Extractor, frames: np.ndarray, batch_size: int = 64, per_frame_predict: bool = False,
               min_seconds: float = 3.0) -> float:
    """Frames/s on in-memory frames: our compiled batched call, or (``per_frame_predict``) the original
    one-``model.predict``-per-frame loop. Warm-up excluded; repeats until ``min_seconds`` have passed."""
    x = np.asarray(frames)
    if per_frame_predict:
        model, pre = extractor.model, extractor.preprocess
        model.predict(pre(x[:1].astype("float32")), verbose=0)
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < min_seconds or n < 3:
            model.predict(pre(x[n % len(x)][None].astype("float32")), verbose=0)
            n += 1
        return n / (time.perf_counter() - start)
    batch = np.resize(x, (batch_size, *x.shape[1:]))
    extractor(batch)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < min_seconds or n < 2 * batch_size:
        extractor(batch)
        n += batch_size
    return n / (time.perf_counter() - start)


def temporal_smoothness(feats_per_video: Sequence[np.ndarray]) -> dict[str, float]:
    """How much features of consecutive frames resemble each other, compared with frames of other videos.

    Returns mean cosine similarity of *centred* features between consecutive frames and between first
    frames of different videos. A backbone that can "see" motion needs the first clearly above the second.
    """
    allf = np.concatenate(feats_per_video)
    mu = allf.mean(0)
    cen = [f - mu for f in feats_per_video]

    def cos(a, b):
        return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1) + 1e-12)

    consecutive = float(np.mean([cos(f[:-1], f[1:]).mean() for f in cen]))
    firsts = np.stack([f[0] for f in cen])
    sims = cos(firsts[:, None], firsts[None, :])
    across = float(sims[np.triu_indices(len(firsts), 1)].mean())
    return {"consecutive_frames": consecutive, "different_videos": across}
