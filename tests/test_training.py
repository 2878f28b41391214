"""Tests for choreo_utils.training: the one ``fit`` both ``classifier.train`` and ``prediction.train`` wrap."""
from __future__ import annotations

import numpy as np
import pytest

from choreo_utils import training
from choreo_utils.training import TrainResult


def tiny_regression(seed: int = 0):
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def data(n: int = 16):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


def test_train_result_seconds():
    result = TrainResult(model=None, history={}, epoch_seconds=[5.0, 1.0, 2.0])
    assert result.seconds == 8.0
    assert result.seconds_per_epoch() == 1.5                     # the first epoch (graph tracing) left out
    assert result.seconds_per_epoch(skip_first=False) == pytest.approx(8.0 / 3)
    assert TrainResult(None, {}, [4.0]).seconds_per_epoch() == 4.0   # one epoch: nothing to leave out


def test_fit_times_every_epoch_and_returns_the_model():
    model = tiny_regression()
    x, y = data()
    result = training.fit(model, x, y, epochs=3, batch_size=8, validation_data=(x[:4], y[:4]), progress=False)
    assert result.model is model
    assert set(result.history) == {"loss", "val_loss"} and len(result.history["loss"]) == 3
    assert all(isinstance(v, float) for v in result.history["loss"])
    assert len(result.epoch_seconds) == 3 and all(s > 0 for s in result.epoch_seconds)
    assert result.seconds == pytest.approx(sum(result.epoch_seconds))


def test_fit_seeds_before_fitting():
    """Same weights, same seed: the same shuffles, so the same losses; another seed shuffles differently."""
    x, y = data()
    runs = [training.fit(tiny_regression(), x, y, epochs=2, batch_size=4, seed=seed, progress=False).history["loss"]
            for seed in (1, 1, 2)]
    assert runs[0] == runs[1] and runs[0] != runs[2]


def test_fit_runs_callbacks_and_shows_one_bar(capsys):
    import keras

    seen = []
    spy = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    x, y = data()
    training.fit(tiny_regression(), x, y, epochs=2, batch_size=8, callbacks=[spy], progress="fit test")
    assert seen == [0, 1]
    assert "fit test: 100%" in capsys.readouterr().out
    training.fit(tiny_regression(), x, y, epochs=1, batch_size=8, progress=False)
    assert "epoch" not in capsys.readouterr().out
    training.fit(tiny_regression(), x, y, epochs=1, batch_size=8)                  # True: the default label
    assert "training: 100%" in capsys.readouterr().out


def test_one_progress_convention():
    from choreo_utils.progress import label

    assert label(True, "BiLSTM") == "BiLSTM" and label("mine", "BiLSTM") == "mine"
    assert label(False, "BiLSTM") is None and label("", "BiLSTM") is None
    for bad in (None, 1, 0.5):
        with pytest.raises(TypeError, match="progress must be True .* False .* or a str"):
            label(bad, "BiLSTM")


def _build():
    """The architecture of ``tiny_regression``, built under whatever seed is set (as ``over_seeds`` needs)."""
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def test_over_seeds_gives_each_seed_the_numbers_of_a_fresh_build():
    """Seeds 3, 4, 3 on one reused model: the second seed-3 run repeats the first exactly (re-initialised, fresh
    optimizer state), and seed 4 trains to other weights."""
    x, y = data()

    def fit_one(model, seed):
        return training.fit(model, x, y, epochs=2, batch_size=4, seed=seed, progress=False)

    model, runs = training.over_seeds(_build, [3, 4, 3], fit_one)
    assert [r.seed for r in runs] == [3, 4, 3]
    assert runs[0].history == runs[2].history and runs[0].history != runs[1].history
    assert all(np.array_equal(a, b) for a, b in zip(runs[0].weights, runs[2].weights))
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), runs[2].weights))
    from choreo_utils import runtime

    runtime.set_seed(3)
    fresh = _build()
    assert fit_one(fresh, 3).history == runs[0].history           # the same as a model built afresh under seed 3
    with pytest.raises(ValueError, match="my_study needs at least one seed"):
        training.over_seeds(_build, [], fit_one, what="my_study")


def test_seeded_model_refuses_another_architecture():
    import keras

    model = training.seeded_model(None, _build, 0)
    other = lambda: keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])   # noqa: E731
    with pytest.raises(ValueError, match="different architecture"):
        training.seeded_model(model, other, 1)
