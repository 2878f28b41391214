"""choreo_utils.towers: K trainings of the classifier at once, each tower an independent training of its seed."""
import numpy as np
import pytest

from choreo_utils import classifier as C
from choreo_utils import towers

PARAMS = dict(C.PRESETS["table1"], lstm_units=8, dense1=8, dense2=8, epochs=4, batch_size=16)


def _splits(seed: int = 0, n: int = 48, t: int = 6, d: int = 8):
    rng = np.random.default_rng(seed)

    def split(k):
        x = rng.normal(size=(k, t, d)).astype(np.float32) * 0.3 + 1.0      # far from mean 0 / variance 1
        y = rng.integers(0, 4, k)
        return x, y, np.array([f"v{i // 2}" for i in range(k)])

    return split(n), split(16), split(16)


@pytest.mark.parametrize("temporal", [True, False])
def test_a_tower_trains_like_keras_when_nothing_random_differs(temporal):
    """No dropout and one batch per epoch (so batch order does not matter): the tower's losses and its final
    predictions are Keras' own — the same BatchNorm, LSTM, Adam and loss."""
    train, val, test = _splits()
    params = dict(PARAMS, dropout=0.0, batch_size=len(train[0]))
    keras_run = C.fit_evaluate(train, val, test, params, seed=3, temporal=temporal, progress=False)
    tower = towers.fit_evaluate_towers(train, val, test, params, seeds=[3], temporal=temporal, progress=False,
                                       jit_compile=False)[0]
    np.testing.assert_allclose(tower["history"]["loss"], keras_run["history"]["loss"], rtol=2e-4)
    np.testing.assert_allclose(tower["history"]["val_loss"], keras_run["history"]["val_loss"], rtol=2e-4)
    np.testing.assert_allclose(tower["test"]["clip_probs"], keras_run["test"]["clip_probs"], atol=2e-5)
    model = C.build_classifier(6, 8, temporal=temporal, **C.model_kwargs(params))    # the weights as a Keras model
    towers.to_keras(model, tower["weights"], temporal)
    np.testing.assert_allclose(C.predict_proba(model, test[0]), tower["test"]["clip_probs"], atol=1e-5)


def test_a_seeds_training_does_not_depend_on_the_other_towers():
    train, val, test = _splits()
    group = towers.fit_evaluate_towers(train, val, test, PARAMS, seeds=[0, 1, 2], progress=False)
    alone = towers.fit_evaluate_towers(train, val, test, PARAMS, seeds=[1], progress=False)[0]
    np.testing.assert_allclose(group[1]["history"]["loss"], alone["history"]["loss"], rtol=1e-4)
    np.testing.assert_allclose(group[1]["test"]["clip_probs"], alone["test"]["clip_probs"], atol=1e-4)
    assert not np.allclose(group[0]["history"]["loss"], group[1]["history"]["loss"])   # own init, order, dropout


def test_each_tower_stops_on_its_own_and_keeps_its_best_epoch():
    train, val, test = _splits(1)
    runs = towers.fit_evaluate_towers(train, val, test, dict(PARAMS, epochs=30, learning_rate=0.05),
                                      seeds=[0, 1, 2, 3], patience=2, progress=False)
    for run in runs:
        val_loss = run["history"]["val_loss"]
        assert run["epochs_run"] == len(val_loss) <= 30
        best = int(np.argmin(val_loss))
        if run["epochs_run"] < 30:                      # stopped: `patience` epochs without improvement
            assert run["epochs_run"] - 1 - best >= 2
        assert run["val"]["clip_loss"] == pytest.approx(val_loss[best], rel=1e-3)   # the best epoch's weights
    assert len({run["epochs_run"] for run in runs}) > 1   # they did not all stop together


def test_shuffled_frames_towers_see_their_own_permutation_and_flags_are_checked():
    train, val, test = _splits()
    runs = towers.fit_evaluate_towers(train, val, test, PARAMS, seeds=[0, 0], shuffle=[False, True], progress=False)
    assert not np.allclose(runs[0]["history"]["loss"], runs[1]["history"]["loss"])
    with pytest.raises(ValueError, match="one flag per seed: 2 seeds, 1 flags"):
        towers.fit_evaluate_towers(train, val, test, PARAMS, seeds=[0, 1], shuffle=[True], progress=False)
    with pytest.raises(ValueError, match="at least one seed"):
        towers.fit_evaluate_towers(train, val, test, PARAMS, seeds=[], progress=False)


def test_a_sweep_as_towers_pairs_the_same_test_videos_and_matches_fit_evaluate_towers():
    from choreo_utils import sweep

    train, val, test = _splits()
    scores = sweep.seed_sweep(train, val, test, PARAMS, seeds=[0, 1], patience=2, towers=True)
    assert list(scores.table["variant"]) == [v for v in C.VARIANTS for _ in (0, 1)]
    assert scores.videos == sorted(set(test[2]))
    mean = towers.fit_evaluate_towers(train, val, test, PARAMS, seeds=[0, 1], temporal=False, patience=2,
                                      progress=False)
    table = scores.table.set_index(["variant", "seed"])
    for seed, run in zip((0, 1), mean):
        assert table.loc[("mean over frames", seed), "video_accuracy"] == pytest.approx(run["test"]["video_accuracy"])
        assert table.loc[("mean over frames", seed), "epochs_run"] == run["epochs_run"]
