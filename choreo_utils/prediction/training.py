"""Training the next-frame models on shifted pairs (:func:`train`, over :func:`choreo_utils.training.fit`) and
timing one training step (:func:`time_train_step`)."""
from __future__ import annotations

import time

import numpy as np

from choreo_utils.checks import positive_int
from choreo_utils.prediction.frames import check_frames, to_unit
from choreo_utils.prediction.models import model_channels
from choreo_utils.training import TrainResult, fit


def train(model, x: np.ndarray, y: np.ndarray, epochs: int = 5, batch_size: int = 8,
          validation_data: tuple[np.ndarray, np.ndarray] | None = None, seed: int = 0,
          verbose: int = 0, progress: bool | str = "training ConvLSTM") -> TrainResult:
    """``model.fit`` on shifted pairs with the shapes checked; returns losses and seconds per epoch.

    ``progress``: a bar over the epochs with this label (True: "training"), False: none (``progress.label``)."""
    channels = model_channels(model)
    x = to_unit(check_frames(x, channels, "x", ndim=(5,)), "x")
    y = to_unit(check_frames(y, channels, "y", ndim=(5,)), "y")
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape (y is x shifted by one frame); got {x.shape} and "
                         f"{y.shape} — make them with shift_frames(sequences)")
    return fit(model, x, y, epochs=positive_int(epochs, "epochs"), batch_size=positive_int(batch_size, "batch_size"),
               validation_data=validation_data, seed=seed, verbose=verbose, progress=progress)


def time_train_step(model, x: np.ndarray, y: np.ndarray, repeats: int = 2) -> float:
    """Seconds per training sequence for one ``train_on_batch`` on (x, y), after one untimed warm-up step."""
    from choreo_utils.runtime import filtered_native_stderr  # noqa: PLC0415

    x, y = to_unit(check_frames(x, ndim=(5,)), "x"), to_unit(check_frames(y, ndim=(5,)), "y")
    with filtered_native_stderr():   # tracing the paper model makes grappler log a benign remapper fallback
        model.train_on_batch(x, y)  # traces the graph
    start = time.perf_counter()
    for _ in range(positive_int(repeats, "repeats")):
        model.train_on_batch(x, y)
    return (time.perf_counter() - start) / (repeats * len(x))
