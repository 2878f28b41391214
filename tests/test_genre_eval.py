"""Tests for notebook 06's modules (prediction.selection, judge, frechet, genre_eval and fast_rollout): Fréchet
distance, fair video splits, windows that exclude the context, the genre classifier, the fast rollout, the evaluation
loop and its numbers."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from choreo_utils import prediction as P
from choreo_utils import stats
from choreo_utils import prediction as G

H, W = 8, 12


def spd(d: int, rng: np.random.Generator) -> np.ndarray:
    """A random symmetric positive-definite matrix."""
    a = rng.normal(size=(d, d))
    return a @ a.T + 0.5 * np.eye(d)


# ------------------------------------------------------------------------------------------ Fréchet distance
def test_frechet_equal_covariances_is_squared_mean_distance():
    rng = np.random.default_rng(0)
    s = spd(4, rng)
    mu1, mu2 = rng.normal(size=4), rng.normal(size=4)
    assert G.frechet_distance(mu1, s, mu2, s) == pytest.approx(((mu1 - mu2) ** 2).sum(), rel=1e-6)


def test_frechet_diagonal_and_commuting_covariances_have_closed_forms():
    s1, s2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    mu1, mu2 = np.zeros(3), np.array([1.0, 2.0, 0.0])
    closed = 5.0 + ((np.sqrt(s1) - np.sqrt(s2)) ** 2).sum()            # |mu1-mu2|² + Σ (√s1 - √s2)²
    assert G.frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(closed, rel=1e-9)
    q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(3, 3)))  # same eigenvectors: the matrices commute
    assert G.frechet_distance(mu1, q @ np.diag(s1) @ q.T, mu2, q @ np.diag(s2) @ q.T) == pytest.approx(closed, rel=1e-6)


def test_frechet_is_symmetric_and_zero_for_identical_inputs():
    rng = np.random.default_rng(2)
    mu1, mu2, s1, s2 = rng.normal(size=5), rng.normal(size=5), spd(5, rng), spd(5, rng)
    assert G.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(G.frechet_distance(mu2, s2, mu1, s1), rel=1e-6)
    assert G.frechet_distance(mu1, s1, mu1, s1) == pytest.approx(0.0, abs=1e-8)
    a = rng.normal(size=(50, 3))
    assert G.frechet_distance_from_features(a, a) == pytest.approx(0.0, abs=1e-8)


def test_frechet_from_features_estimates_the_gaussians_and_handles_a_frozen_set():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(40_000, 2)) * [1.0, 2.0]                     # N(0, diag(1, 4))
    b = rng.normal(size=(40_000, 2)) * [3.0, 1.0] + [1.0, 0.0]        # N((1, 0), diag(9, 1))
    assert G.frechet_distance_from_features(a, b) == pytest.approx(1.0 + 4.0 + 1.0, rel=0.03)
    frozen = np.ones((30, 2))                                        # copy-last: one embedding repeated
    small = a[:30]
    expected = ((small.mean(0) - 1.0) ** 2).sum() + np.trace(np.cov(small, rowvar=False))
    assert G.frechet_distance_from_features(small, frozen) == pytest.approx(expected, rel=1e-6)


def test_frechet_refuses_bad_inputs_and_warns_on_few_samples():
    rng = np.random.default_rng(4)
    with pytest.raises(ValueError, match="different dimensions"):
        G.frechet_distance_from_features(rng.normal(size=(50, 3)), rng.normal(size=(50, 4)))
    with pytest.raises(ValueError, match="3 samples for 4 dimensions"):
        G.frechet_distance_from_features(rng.normal(size=(3, 4)), rng.normal(size=(50, 4)))
    with pytest.raises(ValueError, match=r"\(samples, dims\)"):
        G.frechet_distance_from_features(rng.normal(size=50), rng.normal(size=50))
    with pytest.warns(G.FrechetSampleWarning, match="12 samples for 4 dimensions"):
        G.frechet_distance_from_features(rng.normal(size=(12, 4)), rng.normal(size=(50, 4)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")                                   # 5 per dimension: no warning
        G.frechet_distance_from_features(rng.normal(size=(20, 4)), rng.normal(size=(20, 4)))
    with pytest.raises(ValueError, match="shape"):
        G.frechet_distance(np.zeros(2), np.eye(3), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="NaN"):
        G.frechet_distance(np.array([np.nan, 0.0]), np.eye(2), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="not positive semi-definite|negative|no accurate"):
        G.frechet_distance(np.zeros(2), -np.eye(2), np.zeros(2), np.eye(2))


# ---------------------------------------------------------------------------------------------- videos
def fake_index(genres=("ballet", "tap"), ids_per_genre=6, frames=12) -> pd.DataFrame:
    """A frame index (no files): per genre, YouTube ids with one video each, the first id with two segments."""
    rows = []
    for g in genres:
        for i in range(ids_per_genre):
            yt = f"{g[:2]}{i:09d}"
            for seg in ((0, 1) if i == 0 else (0,)):
                for f in range(frames):
                    rows.append({"genre": g, "video_id": f"{yt}_{seg:03d}", "youtube_id": yt, "segment": seg,
                                 "frame": f, "path": f"{g}/{yt}_{seg:03d}_{f:04d}.jpg"})
    return pd.DataFrame(rows)


def test_assign_videos_unseen_keeps_every_touched_youtube_id_out():
    index = fake_index()
    used = {"train": ["ba000000000_000", "ta000000001_000"], "val": ["ba000000001_000"], "test": ["ta000000002_000"]}
    videos = G.assign_videos(index, used, "unseen", eval_ratio=0.5, seed=0)
    touched = {"ba000000000", "ta000000001", "ba000000001", "ta000000002"}
    roles = dict(zip(videos.video_id, videos.role))
    assert roles["ba000000000_001"] == "unused"          # the other segment of a YouTube id 05 trained on
    assert roles["ba000000000_000"] == "05 train" and roles["ta000000002_000"] == "05 test"
    ev = set(videos.loc[videos.role == "evaluation", "youtube_id"])
    cl = set(videos.loc[videos.role == "classifier", "youtube_id"])
    assert ev and cl and not ev & cl and not (ev | cl) & touched
    assert videos.loc[videos.role == "evaluation", "genre"].nunique() == 2   # every genre evaluated
    assert len(ev) + len(cl) == 12 - len(touched)


def test_assign_videos_05_split_and_its_errors():
    index = fake_index()
    used = {"train": ["ba000000002_000", "ta000000002_000"], "val": ["ba000000003_000"],
            "test": ["ba000000004_000", "ta000000004_000"]}
    videos = G.assign_videos(index, used, "05-split")
    assert sorted(videos.loc[videos.role == "classifier", "video_id"]) == used["train"]
    assert sorted(videos.loc[videos.role == "evaluation", "video_id"]) == used["test"]
    every = {"train": sorted(index.video_id.unique())}
    with pytest.raises(ValueError, match="GEN_VIDEOS = '05-split'"):
        G.assign_videos(index, every, "unseen")
    with pytest.raises(ValueError, match="not in this frame index.*run notebook 05 first with the same parameters"):
        G.assign_videos(index, {"train": ["zz000000000_000"]}, "unseen")
    with pytest.raises(ValueError, match="GEN_VIDEOS must be one of"):
        G.assign_videos(index, used, "all")


def test_check_disjoint_catches_a_leak():
    videos = pd.DataFrame({"youtube_id": ["a", "b", "c"], "role": ["evaluation", "classifier", "05 train"]})
    G.check_disjoint(videos, {"train": {"c"}}, "unseen")
    with pytest.raises(RuntimeError, match="evaluation videos are also among notebook 05's training videos"):
        G.check_disjoint(videos, {"train": {"a"}}, "05-split")
    leaky = pd.DataFrame({"youtube_id": ["a", "a"], "role": ["evaluation", "classifier"]})
    with pytest.raises(RuntimeError, match="the classifier's videos"):
        G.check_disjoint(leaky, {}, "unseen")


def test_spread_rows_and_halves():
    table = pd.DataFrame({"video_id": ["v"] * 9 + ["w"] * 2, "start": list(range(9)) + [0, 1]})
    kept = G.spread_rows(table, 3)
    assert kept[kept.video_id == "v"].start.tolist() == [0, 4, 8]
    assert kept[kept.video_id == "w"].start.tolist() == [0, 1]
    units = ["a", "a", "b", "c", "d", "d", "e", "f"]
    labels = [0, 0, 0, 1, 2, 2, 3, 4]                                 # genres 1, 3, 4 have a single unit
    half = G.halves(units, labels, seed=0)
    assert set(half) == {0, 1}
    assert all(len(set(half[np.array(units) == u])) == 1 for u in set(units))   # a unit is never split
    assert abs((half == 0).sum() - (half == 1).sum()) <= 2


# ------------------------------------------------------------------------------------------------- windows
def test_horizon_windows_hold_only_frames_after_the_context():
    t, c, w, k = 12, 3, 3, 3
    seq = np.broadcast_to((np.arange(t) / 100.0)[None, :, None, None, None], (2, t, H, W, 1)).astype(np.float32)
    context, future = P.split_context(seq, c, w * k)
    wins = G.horizon_windows(future, w, k)
    assert wins.shape == (k, 2, w, H, W, 1)
    for j in range(k):                                                  # window j = frames c + j·w .. c + (j+1)·w - 1
        np.testing.assert_allclose(wins[j, 0, :, 0, 0, 0], (c + j * w + np.arange(w)) / 100.0, rtol=1e-6)
    assert wins.min() >= c / 100.0 - 1e-7                               # no context frame in any window
    assert G.window_labels(w, k) == ["1–3", "4–6", "7–9"]
    with pytest.raises(ValueError, match="need 12 predicted frames"):
        G.horizon_windows(future, 4, 3)


def test_motion_energy_is_zero_for_a_frozen_window():
    frozen = np.repeat(np.random.default_rng(0).random((2, 1, H, W, 1)), 4, axis=1)
    moving = np.random.default_rng(1).random((2, 4, H, W, 1))
    assert np.all(G.motion_energy(frozen) == 0) and np.all(G.motion_energy(moving) > 0.1)


# ---------------------------------------------------------------------------------------------- classifier
def toy_windows(n_per_class: int = 24, t: int = 4, seed: int = 0):
    """Class 0: a bright bar moving right; class 1: moving down; random positions, dark noisy background."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 0.1, (2 * n_per_class, t, H, W, 1)).astype(np.float32)
    y = np.repeat([0, 1], n_per_class)
    for i, label in enumerate(y):
        r0, c0 = rng.integers(0, H - 4), rng.integers(0, W - 4)
        for f in range(t):
            if label == 0:
                x[i, f, r0:r0 + 3, (c0 + f) % W] = 1.0
            else:
                x[i, f, (r0 + f) % H, c0:c0 + 3] = 1.0
    return x, y


def tiny_classifier(seed=None):
    return G.build_genre_classifier(4, (H, W, 1), n_classes=2, embed_dim=2, filters=(8, 8, 8), learning_rate=0.01,
                                    seed=seed)


@pytest.fixture(scope="module")
def toy_classifier():
    x, y = toy_windows()
    model, runs = G.train_classifiers(tiny_classifier, x, y, seeds=[0, 1], epochs=25, batch_size=16, progress=False)
    return model, runs


def test_the_classifier_learns_a_separable_toy_set(toy_classifier):
    model, runs = toy_classifier
    xt, yt = toy_windows(20, seed=9)                                    # held-out windows
    for run in runs:
        probs, emb = G.classify_windows(P.with_weights(model, run), xt)
        assert probs.shape == (40, 2) and emb.shape == (40, 2)
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
        assert (probs.argmax(axis=1) == yt).mean() >= 0.9
    assert [r.seed for r in runs] == [0, 1] and runs[0].weights[0].shape == runs[1].weights[0].shape
    assert not np.allclose(runs[0].weights[0], runs[1].weights[0])     # two seeds, two classifiers


def test_a_motion_only_classifier_cannot_tell_frozen_windows_apart(toy_classifier):
    model, _ = toy_classifier
    rng = np.random.default_rng(5)
    frozen = np.repeat(rng.random((3, 1, H, W, 1)).astype(np.float32), 4, axis=1)   # three different still images
    _, emb = G.classify_windows(model, frozen)
    np.testing.assert_allclose(emb, np.broadcast_to(emb[0], emb.shape), atol=1e-6)
    with pytest.raises(ValueError, match="the classifier takes"):
        G.classify_windows(model, np.zeros((1, 5, H, W, 1), np.float32))


# ------------------------------------------------------------------------------------------------ rollouts
@pytest.mark.parametrize("residual", [True, False])
def test_fast_rollout_gives_the_frames_of_rollout(residual):
    model = P.build_model((H, W, 1), filters=4, encoder_filters=4, skip_filters=2, decoder_filters=4,
                          residual=residual, seed=0)
    rng = np.random.default_rng(0)
    model.set_weights([w + 0.1 * rng.standard_normal(w.shape).astype(w.dtype) for w in model.get_weights()])
    context = rng.random((5, 4, H, W, 1)).astype(np.float32)
    slow = P.rollout(model, context, 5)
    fast = G.fast_rollout(model, context, 5, batch_size=2)             # several batches, one ragged
    assert fast.shape == slow.shape == (5, 5, H, W, 1)
    np.testing.assert_allclose(fast, slow, atol=1e-5)
    assert np.abs(np.diff(fast, axis=1)).max() > 0                       # it moves: not a copy of the context


def test_fast_rollout_refuses_frames_of_another_size():
    model = P.build_model((H, W, 1), filters=4, encoder_filters=4, skip_filters=2, decoder_filters=4, seed=0)
    context = np.zeros((1, 3, H + 2, W, 1), np.float32)
    with pytest.raises(ValueError, match=rf"context frames are \({H + 2}, {W}, 1\).*takes \({H}, {W}, 1\).*resize"):
        G.fast_rollout(model, context, 2)


def test_frame_differences_is_a_layer_of_its_own():
    from choreo_utils.prediction.layers import FrameDifferences

    x = np.arange(2 * 4 * 1 * 1 * 1, dtype=np.float32).reshape(2, 4, 1, 1, 1) ** 2
    np.testing.assert_array_equal(np.asarray(FrameDifferences()(x)), x[:, 1:] - x[:, :-1])
    assert FrameDifferences().compute_output_shape((None, 5, 8, 12, 1)) == (None, 4, 8, 12, 1)


def test_fast_rollout_falls_back_for_other_predictors():
    # a predictor whose every output depends on its input: a fallback that ignored it (copy-last, say) differs
    context = np.random.default_rng(0).random((2, 3, H, W, 1)).astype(np.float32)
    darken = lambda x: np.asarray(x) * 0.5 + 0.1  # noqa: E731  (each next frame: half the last one, plus 0.1)
    fast = G.fast_rollout(darken, context, 2)
    np.testing.assert_array_equal(fast, P.rollout(darken, context, 2))
    np.testing.assert_allclose(fast[:, 0], context[:, -1] * 0.5 + 0.1, rtol=1e-6)
    np.testing.assert_allclose(fast[:, 1], (context[:, -1] * 0.5 + 0.1) * 0.5 + 0.1, rtol=1e-6)
    assert not np.allclose(fast, P.copy_last_rollout(context, 2))


# ---------------------------------------------------------------------------------------- evaluation loop
def test_evaluate_rollouts_pairs_seeds_and_keeps_every_window(toy_classifier):
    model, runs = toy_classifier
    x, y = toy_windows(4, t=10, seed=3)                                 # 8 sequences: 2 context + 2 windows of 4
    context, future = P.split_context(x, 2, 8)
    predictors = {0: lambda s: np.roll(s, 1, axis=2), 1: lambda s: s}  # seed 0 moves, seed 1 copies
    units = [f"yt{i // 2}" for i in range(8)]
    result = G.evaluate_rollouts(model, runs, predictors, context, future, y, units, window=4, count=2,
                                 progress=False)
    s = result.scores
    assert len(s) == 2 * 4 * 2 * 8 and set(s.source) == set(G.WINDOW_SOURCES)
    assert set(result.embeddings) == {(seed, src, w) for seed in (0, 1) for src in G.WINDOW_SOURCES for w in (1, 2)}
    conv = s[s.source == "ConvLSTM"]
    assert (conv[conv.seed == 1].motion == 0).all() and (conv[conv.seed == 0].motion > 0).all()   # seed s ↔ model s
    assert (s[s.source == "copy-last"].motion == 0).all()
    real = s[s.source == "real"]
    np.testing.assert_array_equal(real[real.seed == 0].motion, real[real.seed == 1].motion)
    assert G.unit_accuracy(s, "real", 1).shape == (2, 4)                # (seeds, YouTube ids)
    with pytest.raises(ValueError, match=r"no ConvLSTM for seed\(s\) \[1\]"):
        G.evaluate_rollouts(model, runs, {0: predictors[0]}, context, future, y, units, 4, 2, progress=False)


def test_frechet_by_horizon_compares_with_a_floor_at_the_same_sizes():
    rng = np.random.default_rng(0)
    n = 80
    real = rng.normal(size=(n, 2))
    emb = {(0, "real", 1): real, (0, "ConvLSTM", 1): rng.normal(size=(n, 2)) + 3.0,
           (0, "copy-last", 1): rng.normal(size=(n, 2))}
    result = G.GenreEval(pd.DataFrame(), emb, window=3, count=1)
    half = np.repeat([0, 1], n // 2)
    fd = G.frechet_by_horizon(result, half).set_index("source")
    assert fd.loc["real", "fd"] == pytest.approx(G.frechet_distance_from_features(real[:40], real[40:]))
    assert fd.loc["ConvLSTM", "fd"] > 10 * fd.loc["real", "fd"]
    assert fd.loc["ConvLSTM", "fd"] == pytest.approx(18, rel=0.3)                  # |(3, 3)|² = 18
    assert (fd.n_a == 40).all() and (fd.n_b == 40).all() and (fd.d == 2).all()
    with pytest.raises(ValueError, match="both halves"):
        G.frechet_by_horizon(result, np.zeros(n, int))


def test_accuracy_numbers_and_the_keeps_genre_rule():
    scores = pd.DataFrame({"seed": [0] * 8 + [1] * 8, "source": (["real"] * 4 + ["ConvLSTM"] * 4) * 2,
                           "window": 1, "youtube_id": ["a", "a", "b", "c"] * 4,
                           "correct": [1, 0, 1, 1, 0, 0, 1, 0] * 2})
    np.testing.assert_allclose(G.unit_accuracy(scores, "real", 1), [[0.5, 1, 1], [0.5, 1, 1]])
    table, ivs = G.accuracy_table(scores, ["1–3"])
    assert table.set_index("source").loc["real", "accuracy"] == pytest.approx(2.5 / 3)
    diff = G.compare_accuracy(scores, "ConvLSTM", "real", 1)
    assert diff.mean == pytest.approx(1 / 3 - 2.5 / 3) and diff.n_units == 3
    iv = lambda lo, hi: stats.Interval((lo + hi) / 2, lo, hi, 3, 10)  # noqa: E731
    keeps = G.keeps_genre([iv(-0.1, 0.1), iv(-0.2, 0.05), iv(-0.3, -0.1)], [iv(0.2, 0.4), iv(-0.01, 0.3), iv(0.1, 0.2)])
    assert keeps == {"as_real": 2, "above_chance": 1, "kept": 1}
    assert G.keeps_genre([iv(-0.3, -0.1)], [iv(0.1, 0.2)])["kept"] == 0


def test_plot_genre_by_horizon_draws_both_panels():
    import matplotlib

    matplotlib.use("Agg")
    from choreo_utils.prediction import plots

    ivs = {(s, w): stats.Interval(0.5, 0.4, 0.6, 2) for s in G.WINDOW_SOURCES for w in (1, 2)}
    values = {s: np.full((2, 2), 0.5) for s in G.WINDOW_SOURCES}
    fig = plots.plot_genre_by_horizon(values, ivs, values, ivs, ["1–3", "4–6"], chance=1 / 16)
    assert len(fig.axes) == 2 and fig.axes[0].get_ylabel() == "genre accuracy (%)"


# ------------------------------------------------------------------------------- notebook 05's saved models
def test_load_predictors_says_to_run_notebook_05(project_tmp):
    params = {"PRED_SIZE": [H, W], "SEED": 0}
    with pytest.raises(FileNotFoundError, match=r"no ConvLSTM of seed 0 in artifacts/models/05_convlstm_seed0: "
                                                r"run notebook 05 first with the same parameters"):
        G.load_predictors([0], params)
    model = P.build_model((H, W, 1), filters=4, encoder_filters=4, skip_filters=2, decoder_filters=4, seed=0)
    videos = {"train": ["a"], "val": [], "test": ["b"]}
    for seed in (0, 1):
        P.save_predictor(model, f"05_convlstm_seed{seed}", seed=seed, parameters={"PRED_SIZE": [H, W], "SEED": 0},
                         videos=videos)
    models, meta = G.load_predictors([0, 1], params)
    assert set(models) == {0, 1} and meta["videos"] == videos
    with pytest.raises(ValueError, match=r"PRED_SIZE = \[8, 12\] there, \[60, 90\] here.*run notebook 05 first"):
        G.load_predictors([0], {"PRED_SIZE": (60, 90), "SEED": 0})
    P.save_predictor(model, "05_convlstm_seed2", seed=2)               # no parameters recorded: each one differs
    with pytest.raises(ValueError, match=r"PRED_SIZE = '\(not recorded\)' there.*SEED = '\(not recorded\)' there"):
        G.load_predictors([2], params)
