"""Repeatable trials and what a tuner comparison says (choreo_utils.tuning.assess / plots, bn_momentum).

Trials run eagerly on tiny arrays (see test_tuning.py): a graph per trial would cost seconds each.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from choreo_utils import stats
from choreo_utils import tuning as T
from choreo_utils.tuning.cli import build_parser, config_from_args


@pytest.fixture()
def one_trial(tmp_path, tuning_data, tiny_space):
    """``one_trial(name, seed)``: one random-search trial on the tiny data (conftest.py); its result and weights."""
    def run(name: str, seed: int):
        res = T.run_search(tuning_data(), "random", directory=tmp_path, project_name=name, seed=seed, max_trials=1,
                           epochs=2, space=tiny_space, batch_size=40, run_eagerly=True, progress=False,
                           tensorboard=False)
        return res, [w.copy() for w in res.best_model().get_weights()]

    return run


def test_one_tuning_trial_repeats_exactly_with_its_seed_and_differs_with_another(one_trial):
    """Same seed → identical weights and metrics for one trial; another seed → different ones."""
    a, wa = one_trial("a", seed=3)
    b, wb = one_trial("b", seed=3)
    c, wc = one_trial("c", seed=4)
    cols = ["score", "val_loss", "accuracy", "loss", "lstm_units", "dense1", "activation", "learning_rate"]
    pd.testing.assert_frame_equal(a.trials[cols], b.trials[cols])
    assert len(wa) == len(wb) and all(np.array_equal(x, y) for x, y in zip(wa, wb))
    assert a.trials["val_loss"].iloc[0] != c.trials["val_loss"].iloc[0]
    assert any(x.shape != y.shape or not np.array_equal(x, y) for x, y in zip(wa, wc))


def test_bn_momentum_reaches_the_model_the_fingerprint_and_the_cli():
    model = T.build_hypermodel((4, 8), 2, T.SearchSpace(units_min=4, units_max=4, dense_min=6, dense_max=6,
                                                          bn_momentum=0.7))
    import keras_tuner as kt

    built = model.build(kt.HyperParameters())
    assert built.get_layer("bn").momentum == pytest.approx(0.7)
    assert T.SearchConfig(space=T.SearchSpace(bn_momentum=0.7)).identity() != T.SearchConfig().identity()
    assert "input BatchNorm momentum" in T.PAPER_SPACE.describe().index
    with pytest.raises(T.ConfigurationError, match="bn_momentum"):
        T.SearchSpace(bn_momentum=1.0)
    args = build_parser().parse_args(["search", "--data", "x.npz", "--bn-momentum", "0.5"])
    assert config_from_args(args).space.bn_momentum == 0.5
    assert T.SearchSpace.from_dict(T.SearchSpace(bn_momentum=0.5).to_dict()).bn_momentum == 0.5


def _progress() -> pd.DataFrame:
    """Two seeds: seed 0, Hyperband finds 0.6 at epoch 4 and random 0.5 at 6; seed 1, random wins (0.8)."""
    rows = []
    for seed, tuner, epochs, scores in [(0, "hyperband", [2, 2, 4], [0.4, 0.6, 0.55]),
                                        (0, "random", [6, 2], [0.5, 0.45]),
                                        (1, "hyperband", [2, 2, 4], [0.3, 0.35, 0.7]),
                                        (1, "random", [6, 2], [0.8, 0.2])]:
        cum = np.cumsum(epochs)
        best = np.maximum.accumulate(scores)
        for e, c, s, b in zip(epochs, cum, scores, best):
            rows.append({"tuner": tuner, "seed": seed, "epochs_run": e, "cum_epochs": c, "score": s,
                         "best_so_far": b, "wall_seconds": float(c)})
    return pd.DataFrame(rows)


def test_best_so_far_grid_reach_and_paired_verdicts():
    grids = T.best_so_far_grid(_progress(), 8)
    hb = grids["hyperband"]
    assert list(hb.columns) == list(range(1, 9)) and list(hb.index) == [0, 1]
    assert np.isnan(hb.loc[0, 1]) and hb.loc[0, 2] == 0.4 and hb.loc[0, 4] == 0.6 and hb.loc[0, 8] == 0.6
    reach = T.reach_table(grids)
    assert reach.loc[0, "hyperband_epochs_to_random_best"] == 4       # 0.6 ≥ random's 0.5 at epoch 4
    assert reach.loc[0, "random_epochs_to_hyperband_best"] != reach.loc[0, "random_epochs_to_hyperband_best"]
    assert reach.loc[1, "random_epochs_to_hyperband_best"] == 6 and np.isnan(
        reach.loc[1, "hyperband_epochs_to_random_best"])
    summary = T.reach_summary(reach)
    assert summary.loc["hyperband", "reached_other_best"] == 1 and summary.loc["hyperband", "fraction"] == 0.5
    assert summary.loc["hyperband", "median_epochs"] == np.inf                   # never counts as beyond
    lines = T.describe_reach(summary, 8)
    assert lines[0].startswith("Hyperband reached random search's best in 1 of 2 seeds")
    verdicts = T.tuner_verdicts(grids)
    final = verdicts["final_best"]
    assert final["hyperband"] == [0.6, 0.7] and final["random"] == [0.5, 0.8]
    assert final["interval"].mean == pytest.approx(0.0) and final["sign"] == 0
    assert final["verdict"] == stats.verdict(final["interval"], better="Hyperband ahead",
                                             worse="random search ahead")
    anytime = verdicts["anytime"]      # over epochs 6-8, where both searches of a seed have a result
    assert anytime["hyperband"] == pytest.approx([0.6, (0.35 + 0.35 + 0.7) / 3])
    assert anytime["random"] == pytest.approx([0.5, 0.8])
    fig = T.plot_best_so_far({"a": grids, "b": grids}, 8)
    assert len(fig.axes) == 2
    assert all(not c.get_paths() for ax in fig.axes for c in ax.collections)      # 2 seeds: no band drawn
    assert all(len(ax.lines) >= 2 * (2 + 1) for ax in fig.axes)                   # each seed's line and the mean
    three = {k: pd.concat([g, g.iloc[[0]].rename(index=lambda i: 99)]) for k, g in grids.items()}
    fig = T.plot_best_so_far({"a": three}, 8)
    assert sum(bool(c.get_paths()) for c in fig.axes[0].collections) == 2         # 3 seeds: one band per tuner
    band = T.mean_band(hb)
    assert band["seeds"].tolist()[0] == 2 and (band["low"] <= band["mean"]).all()
    assert band["low"].min() >= 0 and band["high"].max() <= 1      # an accuracy's range (2 seeds: wide t)


def test_batchnorm_lag():
    assert T.batchnorm_lag(536, 128, 0.99, 2) == pytest.approx(0.99 ** 10)
    assert T.batchnorm_lag(536, 128, 0.7, 2) < 0.05 < T.batchnorm_lag(536, 128, 0.99, 20)


def _trials(shift: float, lr: float = 1e-3) -> pd.DataFrame:
    rows = []
    for seed in (0, 1, 2):
        for i, (bracket, rnd) in enumerate([(1, 0), (1, 0), (1, 1), (0, 0)]):
            rows.append({"tuner": "hyperband", "seed": seed, "trial_id": f"000{i}", "status": "COMPLETED",
                         "score": 0.3 + 0.1 * i + shift + 0.01 * seed, "bracket": bracket, "round": rnd,
                         "lstm_units": 8, "dense1": 10 + i, "activation": "relu", "learning_rate": lr,
                         "dropout": 0.2, "epoch_to": 2 if rnd == 0 else 6})
    return pd.DataFrame(rows)


def test_short_trial_effect_pairs_the_same_first_round_trials():
    table, effect = T.short_trial_effect(_trials(0.0), _trials(0.05))
    assert list(table.index) == [0, 1, 2] and (table["trials"] == 2).all() and (table["epochs"] == 2).all()
    assert effect.mean == pytest.approx(0.05) and effect.n_seeds == 3
    with pytest.raises(ValueError, match="not paired"):
        T.short_trial_effect(_trials(0.0), _trials(0.0, lr=1e-2))


def test_retrain_over_seeds_pairs_the_same_test_videos():
    rng = np.random.default_rng(0)

    def split(n, videos):
        y = rng.integers(0, 2, n)
        return (rng.normal(size=(n, 4, 8)) + y[:, None, None]).astype("float32"), y, np.repeat(
            [f"v{i}" for i in range(videos)], n // videos)

    train, val, test = split(32, 8), split(8, 4), split(12, 6)
    params = {"lstm_units": 4, "dense1": 6, "dense2": 3, "batch_size": 16}
    out = T.retrain_over_seeds(train, val, test, params, seeds=[0, 1], epochs=1)
    assert out.correct().shape == (2, 6) and out.videos == sorted(set(test[2]))
    assert list(out.table.index) == [0, 1] and (out.table["epochs_run"] == 1).all()
    assert "val_accuracy" in out.history["BiLSTM"] and "train_accuracy_curve" in out.table
