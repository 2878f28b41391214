"""Tests for the notebook-05 study: linear-extrapolation baseline, the no-memory ablation, seeds, paired gains."""
from __future__ import annotations

import numpy as np
import pytest

from choreo_utils import prediction as P

H, W = 8, 12
STEP = 0.05
TINY = dict(filters=4, encoder_filters=4, skip_filters=2, decoder_filters=4)


def ramp(n: int = 2, t: int = 10, step: float = STEP) -> np.ndarray:
    values = np.arange(t)[None, :] * step + np.arange(n)[:, None] * 0.01
    return np.broadcast_to(values[:, :, None, None, None], (n, t, H, W, 1)).astype(np.float32).copy()


# ------------------------------------------------------------------------------------ linear extrapolation
def test_linear_extrapolation_is_exact_on_linear_motion_and_copies_at_the_start():
    x, y = P.shift_frames(ramp(2, 8))
    pred = P.linear_extrapolation(x)
    np.testing.assert_allclose(pred[:, 1:], y[:, 1:], atol=1e-6)        # 2·f_t − f_{t−1} = f_{t+1}
    np.testing.assert_array_equal(pred[:, 0], x[:, 0])                   # no frame before 0: copy it
    one = P.linear_extrapolation(x[0])                                   # (T, H, W, C) works too
    np.testing.assert_array_equal(one, pred[0])
    bright = np.stack([np.full((H, W, 1), 0.5), np.full((H, W, 1), 0.9)]).astype(np.float32)
    assert P.linear_extrapolation(bright)[1].max() == 1.0               # 2·0.9 − 0.5 = 1.3, clipped


def test_linear_rollout_continues_the_last_two_frames():
    seqs = ramp(2, 12)
    context, future = P.split_context(seqs, context=5, horizon=4)
    np.testing.assert_allclose(P.linear_rollout(context, 4), future, atol=1e-5)
    fast = ramp(1, 12, step=0.2)
    ctx, _ = P.split_context(fast, context=3, horizon=5)
    out = P.linear_rollout(ctx, 5)
    assert out.max() == 1.0 and np.all(np.diff(out[0, :, 0, 0, 0]) >= 0)   # clipped at 1, never past it
    np.testing.assert_array_equal(P.linear_rollout(ctx[:, :1], 2), np.repeat(ctx[:, :1], 2, axis=1))


# ------------------------------------------------------------------------------------ the no-memory ablation
@pytest.fixture(scope="module")
def pair():
    """The default architecture with and without memory, same seed (so the same initial weights)."""
    mem = P.build_model((H, W, 1), seed=3, **TINY)
    nomem = P.build_model((H, W, 1), memory=False, seed=3, **TINY)
    rng = np.random.default_rng(0)
    for model in (mem, nomem):   # non-zero output layer: the untrained model would be copy-last exactly
        model.get_layer("delta").set_weights([w + rng.normal(0, 0.3, w.shape) for w in
                                              model.get_layer("delta").get_weights()])
        rng = np.random.default_rng(0)
    return mem, nomem


def test_no_memory_model_has_the_same_weights_and_is_causal(pair):
    mem, nomem = pair
    assert [w.shape for w in mem.get_weights()] == [w.shape for w in nomem.get_weights()]
    for a, b in zip(mem.get_weights(), nomem.get_weights()):
        np.testing.assert_array_equal(a, b)                               # one seed → one initialisation
    x = np.random.default_rng(1).random((2, 6, H, W, 1)).astype(np.float32)
    for t in (0, 2, 4):
        assert P.causal_leak(nomem, x, t) == 0.0


def test_no_memory_model_sees_only_frames_t_minus_1_and_t(pair):
    mem, nomem = pair
    x = np.random.default_rng(2).random((2, 6, H, W, 1)).astype(np.float32)
    changed = x.copy()
    changed[:, 0] = 1 - changed[:, 0]                                     # change frame 0 only
    out = {name: (np.asarray(m(x, training=False)), np.asarray(m(changed, training=False)))
           for name, m in (("mem", mem), ("nomem", nomem))}
    a, b = out["nomem"]
    np.testing.assert_allclose(a[:, 2:], b[:, 2:], atol=1e-6)            # frames ≥ 2 never see frame 0
    assert np.abs(a[:, :2] - b[:, :2]).max() > 0
    a, b = out["mem"]
    assert np.abs(a[:, 2:] - b[:, 2:]).max() > 1e-4                       # the ConvLSTM remembers frame 0
    np.testing.assert_allclose(out["mem"][0][:, 0], out["nomem"][0][:, 0], atol=1e-6)  # t = 0: no past either way


# ------------------------------------------------------------------------------------ seeds
def test_same_seed_same_weights_and_metrics_different_seed_different():
    x, y = P.shift_frames(ramp(4, 5) + np.random.default_rng(0).uniform(0, 0.2, (4, 5, H, W, 1)).astype("float32"))

    def build(shape):
        return P.build_model(shape, **TINY)

    runs = P.train_seeds(build, x, y, seeds=[0, 1, 0], epochs=1, batch_size=2, progress=False)
    full = build((H, W, 1))   # (seed 0 reinitialised for the third run: the same as building it afresh)

    def score(run):
        return P.mse_per_sequence(np.clip(np.asarray(P.with_weights(full, run)(x, training=False)), 0, 1), y)

    for a, b in zip(runs[0].weights, runs[2].weights):
        np.testing.assert_array_equal(a, b)                               # same seed: identical weights
    np.testing.assert_array_equal(score(runs[0]), score(runs[2]))         # ... and identical metrics
    assert runs[0].history == runs[2].history
    assert any(not np.array_equal(a, b) for a, b in zip(runs[0].weights, runs[1].weights))
    assert not np.array_equal(score(runs[0]), score(runs[1]))             # different seed: different model
    with pytest.raises(ValueError, match="at least one seed"):
        P.train_seeds(build, x, y, seeds=[], epochs=1, batch_size=2)


# ------------------------------------------------------------------------------------ scores and gains
def test_mse_per_sequence_matches_frame_metrics_and_by_unit_averages():
    rng = np.random.default_rng(0)
    true = rng.random((3, 4, H, W, 1))
    pred = np.clip(true + rng.normal(0, 0.1, true.shape), 0, 1)
    np.testing.assert_allclose(P.mse_per_sequence(pred, true), P.frame_metrics(pred, true)["mse"], rtol=1e-12)
    per = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    np.testing.assert_array_equal(P.by_unit(per, ["b", "a", "b"]), [[3.0, 4.0], [3.0, 4.0]])   # a, then b
    with pytest.raises(ValueError, match="one unit per sequence"):
        P.by_unit(per, ["a"])


def test_relative_gain_is_the_share_of_the_baseline_error_saved():
    base = np.array([1.0, 2.0, 3.0, 2.0])
    model = np.stack([0.8 * base, 0.7 * base, 0.75 * base])               # 3 seeds, 25% lower on average
    gain = P.relative_gain(model, base)
    assert gain.mean == pytest.approx(0.25) and gain.low > 0 and gain.n_seeds == 3 and gain.n_units == 4
    assert P.relative_gain(base, model).mean == pytest.approx(1 - 1 / 0.75)   # baseline with seeds, model without
    same = P.relative_gain(base + np.array([0.1, -0.1, 0.1, -0.1]), base)
    assert same.low < 0 < same.high
    table = P.gain_table({"copy": base, "model": model}, baseline="copy")
    assert table.loc["model", "gain"] == pytest.approx(25.0) and np.isnan(table.loc["copy", "gain"])


def test_validation_split_comes_from_training_ids_and_leaves_test_alone():
    import pandas as pd

    table = pd.DataFrame([{"genre": g, "youtube_id": f"{g}{i}", "video_id": f"{g}{i}_001", "start": s}
                          for g in ("tap", "waltz") for i in range(6) for s in (0, 5)])
    two = P.split_sequences(table, test_ratio=0.2, seed=0)
    three = P.split_sequences(table, test_ratio=0.2, seed=0, val_ratio=0.25)
    assert set(three["split"]) == {"train", "val", "test"}
    assert (three["split"] == "test").equals(two["split"] == "test")
    ids = {s: set(three.loc[three.split == s, "youtube_id"]) for s in ("train", "val", "test")}
    assert not ids["train"] & ids["val"] and not ids["val"] & ids["test"] and not ids["train"] & ids["test"]
    assert all(set(three.loc[three.split == s, "genre"]) == {"tap", "waltz"} for s in ids)   # every genre in each


def test_errors_and_motion_are_on_the_unit_scale_whatever_the_frame_dtype():
    """uint8 frames give the numbers of the same frames / 255 (not 255² times them); floats outside [0, 1] are
    refused with the fix, so the metrics keep their scale at every entry point."""
    rng = np.random.default_rng(0)
    a, b = (rng.integers(0, 256, (2, 3, 4, 5, 1), dtype=np.uint8) for _ in range(2))
    np.testing.assert_allclose(P.mse_per_sequence(a, b), P.mse_per_sequence(a / 255.0, b / 255.0), rtol=1e-6)
    np.testing.assert_allclose(P.motion_energy(a), P.motion_energy(a / 255.0), rtol=1e-6)
    with pytest.raises(ValueError, match=r"predictions are floats outside \[0, 1\].*divide uint8 frames by 255"):
        P.mse_per_sequence(a.astype(np.float32), b / 255.0)
    with pytest.raises(ValueError, match=r"windows are floats outside \[0, 1\]"):
        P.motion_energy(a.astype(np.float32))
