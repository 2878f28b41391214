"""How every model of the package is trained: :func:`fit` seeds, runs ``model.fit`` with an epoch timer and a
progress bar, and returns one :class:`TrainResult` (the model, its per-epoch history and seconds per epoch).

Many trainings of one architecture over seeds share one compiled model: :func:`seeded_model` builds it under the
first seed and re-initialises it for each later one (the one home of that rule), and :func:`over_seeds` is the loop
over seeds built on it (each seed's weights, history and epoch times as a :class:`SeedRun`).

``classifier.train`` (integer labels → one-hot) and ``prediction.train`` (frame shapes checked) are thin
wrappers over :func:`fit`. Keras is imported inside :func:`fit`: importing this module does not import TensorFlow.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Any, Callable, Sequence

import numpy as np

from choreo_utils.progress import keras_epochs, label


#: Training steps per call of the compiled step (``model.compile(steps_per_execution=...)``, for the package's
#: small classifiers): a whole epoch of notebook 03's clips runs in one call, so the per-batch work in Python is
#: paid once per epoch — the same batches, dropout masks and arithmetic (``benchmarks/bench_training.py``).
STEPS_PER_EXECUTION = 64


@dataclasses.dataclass
class TrainResult:
    """A trained model, its per-epoch history (losses, metrics) and the wall-clock seconds of each epoch."""

    model: Any
    history: dict[str, list[float]]
    epoch_seconds: list[float]

    @property
    def seconds(self) -> float:
        """Total training seconds: the sum over epochs."""
        return float(sum(self.epoch_seconds))

    def seconds_per_epoch(self, skip_first: bool = True) -> float:
        """Mean seconds per epoch; by default without the first epoch (graph tracing)."""
        times = self.epoch_seconds[1:] if skip_first and len(self.epoch_seconds) > 1 else self.epoch_seconds
        return float(np.mean(times))


def fit(model, x: Any, y: Any, *, epochs: int, batch_size: int, validation_data: tuple[Any, Any] | None = None,
        seed: int = 0, verbose: int = 0, callbacks: Sequence[Any] = (),
        progress: bool | str = True, validate: Callable[[Any], dict[str, float]] | None = None) -> TrainResult:
    """Seed everything with ``seed`` (``runtime.set_seed``), then ``model.fit(x, y)`` (shuffled each epoch), timing
    every epoch.

    ``callbacks`` run after the epoch timer. ``progress`` is the package's convention (``progress.label``): True, a
    bar over the epochs labelled "training"; a str, a bar with that label; False, none — none either when
    ``verbose`` makes Keras print its own. ``validate(model)``, instead of ``validation_data``: the epoch's
    validation numbers (``{"val_loss": ..., ...}``), computed at the end of each epoch before the timer stops and
    before ``callbacks`` (early stopping) and the history read them — for a small model, Keras' own validation pass
    (a dataset and a loop per epoch) can cost a third of the epoch (``classifier.train`` uses it).
    """
    import keras  # noqa: PLC0415

    if validate is not None and validation_data is not None:
        raise ValueError("fit takes validation_data or validate, not both")
    epoch_seconds: list[float] = []

    class Validation(keras.callbacks.Callback):
        """Adds ``validate(model)``'s numbers to the epoch's logs."""

        def on_epoch_end(self, epoch, logs=None):
            if logs is not None:
                logs.update({k: float(v) for k, v in validate(self.model).items()})

    class EpochTimer(keras.callbacks.Callback):
        """Appends each epoch's wall-clock seconds to ``epoch_seconds``."""

        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            epoch_seconds.append(time.perf_counter() - self.started)

    from choreo_utils.runtime import set_seed  # noqa: PLC0415

    set_seed(seed)   # data order and dropout masks (the weights were drawn when the model was built)
    desc = label(progress, "training")
    bar = [keras_epochs(epochs, desc)] if desc and not verbose else []
    first = [Validation()] if validate is not None else []     # inside the epoch's time, before early stopping
    hist = model.fit(x, y, epochs=epochs, batch_size=batch_size, validation_data=validation_data, shuffle=True,
                     verbose=verbose, callbacks=[*first, EpochTimer(), *callbacks, *bar])
    history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
    return TrainResult(model=model, history=history, epoch_seconds=epoch_seconds)


def seeded_model(model: Any, build: Callable[[], Any], seed: int) -> Any:
    """The model for a training under ``seed``: ``build()`` under ``runtime.set_seed(seed)`` when ``model`` is None,
    else ``model`` (same architecture) re-initialised to the weights such a build would have
    (``runtime.reinitialize``) — the same numbers as a fresh build, without tracing its graph again."""
    from choreo_utils import runtime  # noqa: PLC0415

    if model is None:
        runtime.set_seed(seed)
        return build()
    runtime.reinitialize(model, build, seed)
    return model


@dataclasses.dataclass
class SeedRun:
    """One training of one architecture under one seed: its trained weights, loss per epoch and seconds per epoch."""

    seed: int
    weights: list[np.ndarray]
    history: dict[str, list[float]]
    epoch_seconds: list[float]


def over_seeds(build: Callable[[], Any], seeds: Sequence[int], fit_one: Callable[[Any, int], Any],
               what: str = "over_seeds") -> tuple[Any, list[SeedRun]]:
    """Train one architecture once per seed: ``(model, runs)``, the model holding the last seed's weights.

    The model comes from :func:`seeded_model` (built and traced once, re-initialised for each later seed);
    ``fit_one(model, seed)`` trains it and returns a :class:`TrainResult`. ``build`` must not compile with a seed
    of its own. ``what`` names the caller in the error for an empty ``seeds``."""
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError(f"{what} needs at least one seed (e.g. seeds=[0, 1, 2])")
    model, runs = None, []
    for seed in seeds:
        model = seeded_model(model, build, seed)
        result = fit_one(model, seed)
        runs.append(SeedRun(seed, [np.array(w) for w in model.get_weights()], result.history, result.epoch_seconds))
    return model, runs
