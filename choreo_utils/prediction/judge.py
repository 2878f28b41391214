"""Notebook 06's genre judge: a small 3-D CNN over grayscale windows of real videos (by default over their frame
differences: it judges motion, so a frozen window cannot pass on its looks), with a low-dimensional ``embedding``
layer before its softmax (where :mod:`~choreo_utils.prediction.frechet` measures distances).

* :func:`build_genre_classifier` — the network; :func:`train_classifiers` — once per seed, compiled once;
* :func:`classify_windows` — genre probabilities and embeddings of windows.

Keras is imported inside the functions: importing this module does not import TensorFlow.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from choreo_utils.checks import positive_int
from choreo_utils.config import GENRES
from choreo_utils.prediction.frames import check_frames, to_unit
from choreo_utils.training import STEPS_PER_EXECUTION, SeedRun, over_seeds


def build_genre_classifier(window: int, frame_shape: tuple[int, int, int], n_classes: int = len(GENRES),
                           embed_dim: int = 16, filters: Sequence[int] = (16, 32, 32), motion_only: bool = True,
                           learning_rate: float = 2e-3, seed: int | None = None):
    """A small 3-D CNN over grayscale windows (window, H, W, C) in [0, 1] → genre probabilities.

    Frames are averaged down 2×, three 3×3×3 convolutions (stride 2 in space, and once in time) see motion
    and appearance, global average pooling makes it shift-invariant, a linear ``embedding`` layer of
    ``embed_dim`` units feeds the softmax (the Fréchet distance is computed there). Compiled with sparse
    categorical cross-entropy and Adam. ``seed`` seeds the weights (``runtime.set_seed``)."""
    import keras  # noqa: PLC0415
    from keras import layers  # noqa: PLC0415

    from choreo_utils.prediction.layers import FrameDifferences  # noqa: PLC0415

    if seed is not None:
        from choreo_utils.runtime import set_seed  # noqa: PLC0415

        set_seed(seed)
    window = positive_int(window, "window", 2)
    embed_dim = positive_int(embed_dim, "embed_dim")
    inp = keras.Input((window, *frame_shape), name="window")
    x = layers.AveragePooling3D((1, 2, 2), padding="same", name="half_size")(inp)
    if motion_only:
        x = FrameDifferences(name="frame_differences")(x)
    for i, f in enumerate(filters):
        x = layers.Conv3D(int(f), 3, strides=(2 if i == 1 else 1, 2, 2), padding="same", activation="relu",
                          name=f"conv{i + 1}")(x)
    x = layers.GlobalAveragePooling3D(name="pool")(x)
    emb = layers.Dense(embed_dim, name="embedding")(x)
    out = layers.Dense(n_classes, activation="softmax", name="genre")(emb)
    model = keras.Model(inp, out, name="genre_classifier")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], steps_per_execution=STEPS_PER_EXECUTION)
    return model


def train_classifiers(build: Callable[[], Any], x: np.ndarray, labels: Sequence[int], seeds: Sequence[int],
                      epochs: int, batch_size: int = 32, progress: bool = True) -> tuple[Any, list[SeedRun]]:
    """Train ``build()`` on windows ``x`` with integer genre ``labels`` once per seed; ``(model, runs)``.

    Built (and traced) once under the first seed; later seeds get the weights a fresh build under them would have
    (``runtime.reinitialize``). The model ends with the last seed's weights; ``prediction.with_weights(model, run)``
    switches."""
    from choreo_utils.training import fit  # noqa: PLC0415

    x = to_unit(check_frames(x, ndim=(5,), name="windows"), "windows")
    y = np.asarray(labels, dtype=np.int64)
    if len(y) != len(x):
        raise ValueError(f"one label per window is needed: {len(x)} windows, {len(y)} labels")
    epochs, batch_size = positive_int(epochs, "epochs"), positive_int(batch_size, "batch_size")
    return over_seeds(build, seeds, lambda model, seed: fit(
        model, x, y, epochs=epochs, batch_size=batch_size, seed=seed,
        progress=f"genre classifier, seed {seed}" if progress else False), what="train_classifiers")


def classify_windows(model: Any, windows: np.ndarray, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """``(probabilities (N, classes), embeddings (N, d))`` of the genre classifier for windows (N, T, H, W, C)."""
    import keras  # noqa: PLC0415

    windows = to_unit(check_frames(windows, ndim=(5,), name="windows"), "windows")
    expected = tuple(model.input_shape[1:])
    if tuple(windows.shape[1:]) != expected:
        raise ValueError(f"windows are shaped {windows.shape[1:]} but the classifier takes {expected} (window, H, W, "
                         "C): cut windows of its length from frames of its size")
    both = keras.Model(model.input, [model.output, model.get_layer("embedding").output])
    probs, emb = [], []
    for i in range(0, len(windows), batch_size):
        p, e = both.predict_on_batch(windows[i:i + batch_size])
        probs.append(np.asarray(p))
        emb.append(np.asarray(e))
    return np.concatenate(probs), np.concatenate(emb).astype(np.float64)
