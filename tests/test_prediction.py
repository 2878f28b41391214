"""Tests for choreo_utils.prediction: shifted targets, causality, baseline, metrics, rollouts, bad input."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from choreo_utils import prediction as P
from choreo_utils import video, viz

H, W = 8, 12
STEP = 0.05  # brightness added per frame in the ramp sequences below


def ramp(n: int = 2, t: int = 10, h: int = H, w: int = W, c: int = 1) -> np.ndarray:
    """Sequences whose frame i is a constant image of value i·STEP (+ a per-sequence offset)."""
    values = np.arange(t)[None, :] * STEP + np.arange(n)[:, None] * 0.01
    return np.broadcast_to(values[:, :, None, None, None], (n, t, h, w, c)).astype(np.float32).copy()


def oracle(x: np.ndarray) -> np.ndarray:
    """A perfect predictor for ramp sequences: frame t+1 = frame t + STEP."""
    return x + STEP


@pytest.fixture(scope="module")
def tiny_models():
    """Our default and the paper's configuration (causal and leaky) on 8×12 frames."""
    return {
        "default": P.build_model((H, W, 1), filters=4, encoder_filters=4, skip_filters=2, decoder_filters=4, seed=0),
        "paper": P.build_paper_model((H, W, 1), seed=0),
        "paper_leaky": P.build_paper_model((H, W, 1), causal=False, seed=0),
    }


# ------------------------------------------------------------------------------------------ shifting
def test_shift_frames_one_sequence_and_batch():
    seq = np.arange(5 * H * W, dtype=np.float32).reshape(5, H, W, 1)
    x, y = P.shift_frames(seq)
    assert x.shape == y.shape == (4, H, W, 1)
    np.testing.assert_array_equal(x, seq[:-1])
    np.testing.assert_array_equal(y, seq[1:])
    assert not np.array_equal(x, y)  # the original bug: y = x
    batch = ramp(3, 6)
    xb, yb = P.shift_frames(batch)
    assert xb.shape == yb.shape == (3, 5, H, W, 1)
    np.testing.assert_allclose(yb - xb, STEP, atol=1e-6)  # target t is input t+1


def test_shift_frames_needs_two_frames():
    with pytest.raises(ValueError, match="at least 2 frames"):
        P.shift_frames(np.zeros((1, H, W, 1), np.float32))


def test_frames_to_sequences_windows_and_too_short():
    frames = np.zeros((25, H, W, 1), np.uint8)
    assert P.frames_to_sequences(frames, 10).shape == (2, 10, H, W, 1)
    assert P.frames_to_sequences(frames, 10, stride=5).shape == (4, 10, H, W, 1)
    with pytest.raises(ValueError, match=r"only 25 frames.*seq_len=30"):
        P.frames_to_sequences(frames, 30, name="my clip")


# ------------------------------------------------------------------------------------------ bad input
def test_colour_vs_grayscale_mismatch_is_explained(tiny_models):
    rgb = np.zeros((1, 4, H, W, 3), np.float32)
    with pytest.raises(ValueError, match=r"colour \(3 channels\).*grayscale.*to_gray"):
        P.predict_next(tiny_models["default"], rgb)
    with pytest.raises(ValueError, match="grayscale"):
        P.check_frames(rgb, channels=1)
    with pytest.raises(ValueError, match=r"\(T, H, W, C\)"):
        P.shift_frames(np.zeros((4, H, W), np.float32))


def test_to_unit_scales_and_rejects_out_of_range():
    assert P.to_unit(np.array([0, 255], np.uint8)).tolist() == [0.0, 1.0]
    with pytest.raises(ValueError, match="divide uint8 frames by 255"):
        P.to_unit(np.array([0.0, 200.0]))


def test_video_file_round_trip_and_undecodable_file(tmp_path):
    frames = (np.linspace(0, 255, 24)[:, None, None, None] * np.ones((1, 32, 48, 3))).astype(np.uint8)
    path = video.write_video(tmp_path / "phone.avi", frames, fps=25)
    seqs = P.video_sequences(path, seq_len=10, size=(16, 24))
    assert seqs.shape == (2, 10, 16, 24, 1) and seqs.dtype == np.float32
    assert 0.0 <= seqs.min() and seqs.max() <= 1.0
    with pytest.raises(ValueError, match=r"only 24 frames.*seq_len=30"):
        P.video_sequences(path, seq_len=30)
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"this is not a video")
    with pytest.raises(ValueError, match="could not decode video"):
        P.video_sequences(bad, seq_len=10)


# ------------------------------------------------------------------------------- frame index → arrays
def test_sequence_table_split_and_load(tiny_dataset):
    from choreo_utils import letsdance

    index = letsdance.index_frames(tiny_dataset)
    table = P.sequence_table(index, seq_len=5, videos_per_genre=2)
    assert (table["clip_len"] == 5).all() and len(table) == 16 * 2 * 2  # 12 frames → 2 windows of 5
    split = P.split_sequences(table, test_ratio=0.5, seed=0)
    train_ids = set(split.loc[split.split == "train", "youtube_id"])
    test_ids = set(split.loc[split.split == "test", "youtube_id"])
    assert train_ids and test_ids and not train_ids & test_ids
    one = table[table["video_id"] == table["video_id"].iloc[0]]
    seqs = P.load_sequences(index, one, size=(12, 18))
    assert seqs.shape == (2, 5, 12, 18, 1) and seqs.dtype == np.float32
    rows = index[index["video_id"] == one["video_id"].iloc[0]]
    direct = video.read_frames(rows["path"].tolist()[5:10], size=(12, 18), gray=True) / 255.0
    np.testing.assert_allclose(seqs[1], direct, atol=1e-6)  # second window = frames 5..9, in order
    with pytest.raises(ValueError, match=r"shorter than the requested sequence length 40.*PRED_SEQ_LEN"):
        P.sequence_table(index, seq_len=40)


def test_sequences_never_span_missing_frames(tiny_dataset):
    from choreo_utils import letsdance

    full = letsdance.index_frames(tiny_dataset)
    vid = full["video_id"].iloc[0]
    frames = full.loc[full["video_id"] == vid, "frame"].tolist()          # 12 frames
    gapped = full.drop(full.index[(full["video_id"] == vid) & full["frame"].isin(frames[3:4])]).reset_index(drop=True)
    with pytest.warns(UserWarning, match=r"1 gap\(s\).*1 window\(s\) of clip_len=5 that would have spanned a gap"):
        table = P.sequence_table(gapped, seq_len=5)
    ours = table[table["video_id"] == vid]
    assert list(zip(ours["first_frame"], ours["last_frame"])) == [(frames[4], frames[8])]   # not frames 0-2, 4, 5
    seqs = P.load_sequences(gapped, ours, size=(12, 18))
    paths = full.loc[full["video_id"] == vid, "path"].tolist()
    np.testing.assert_allclose(seqs[0], video.read_frames(paths[4:9], size=(12, 18), gray=True) / 255.0, atol=1e-6)
    stale = P.sequence_table(full, seq_len=5)                            # made before the frames went missing
    with pytest.raises(ValueError, match=r"spans missing frames.*rebuild the table"):
        P.load_sequences(gapped, stale[stale["video_id"] == vid])
    moved = ours.assign(first_frame=ours["first_frame"] + 1)
    with pytest.raises(ValueError, match=r"was made for frames.*rebuild the table"):
        P.load_sequences(gapped, moved)
    with pytest.raises(ValueError, match=r"longest run of consecutive frames: 12.*PRED_SEQ_LEN"):
        P.sequence_table(gapped, seq_len=13)


# ------------------------------------------------------------------------------------------ causality
@pytest.mark.parametrize("name", ["default", "paper"])
def test_models_are_causal(tiny_models, name):
    x = np.random.default_rng(1).random((2, 6, H, W, 1)).astype(np.float32)
    for t in (0, 2, 4):
        assert P.causal_leak(tiny_models[name], x, t) == 0.0  # perturbing frames > t leaves outputs ≤ t alone


def test_keras_io_output_layer_leaks(tiny_models):
    x = np.random.default_rng(1).random((2, 6, H, W, 1)).astype(np.float32)
    assert P.causal_leak(tiny_models["paper_leaky"], x, 2) > 0.0


def test_default_model_starts_as_copy_last_and_trains(tiny_models):
    model = P.build_model((H, W, 1), filters=4, encoder_filters=4, skip_filters=2, decoder_filters=4, seed=0)
    x, y = P.shift_frames(ramp(4, 5))
    np.testing.assert_allclose(P.predict_next(model, x), P.copy_last(x), atol=1e-6)  # delta starts at zero
    result = P.train(model, x, y, epochs=2, batch_size=2)
    assert len(result.epoch_seconds) == 2 and len(result.history["loss"]) == 2
    with pytest.raises(ValueError, match="same shape"):
        P.train(model, x, y[:, :-1], epochs=1)


def test_build_model_checks_frame_size():
    with pytest.raises(ValueError, match="divisible by downsample=2"):
        P.build_model((7, 12, 1))


# -------------------------------------------------------------------------------- baseline & metrics
def test_copy_last_baseline():
    x, y = P.shift_frames(ramp(2, 6))
    np.testing.assert_array_equal(P.copy_last(x), x)
    assert P.summarize(P.copy_last(x), y)["mse"] == pytest.approx(STEP ** 2, rel=1e-5)


def test_metrics_on_known_inputs():
    rng = np.random.default_rng(0)
    a = rng.random((3, 16, 16, 1))
    same = P.frame_metrics(a, a)
    assert np.all(same["mse"] == 0) and np.all(same["psnr"] == 100.0) and np.allclose(same["ssim"], 1)
    shifted = P.frame_metrics(np.clip(a * 0.8 + 0.1, 0, 1), a)
    b = np.full((16, 16, 1), 0.5)
    off = P.frame_metrics(b[None] + 0.1, b[None])
    assert off["mse"][0] == pytest.approx(0.01) and off["psnr"][0] == pytest.approx(20.0)
    assert np.all(shifted["ssim"] < 1) and np.all(shifted["mse"] > 0)
    with pytest.raises(ValueError, match="same shape"):
        P.frame_metrics(a, a[:2])


def test_metrics_reject_frames_outside_unit_range_and_stay_finite_on_exact_frames():
    from skimage.metrics import peak_signal_noise_ratio

    rng = np.random.default_rng(1)
    true = rng.random((2, 3, 16, 16, 1))
    pred = np.clip(true + rng.normal(0, 0.05, true.shape), 0, 1)
    by_hand = [[peak_signal_noise_ratio(true[n, k], pred[n, k], data_range=1.0) for k in range(3)] for n in range(2)]
    assert P.summarize(pred, true)["psnr"] == pytest.approx(np.mean(by_hand), rel=1e-12)   # unchanged numbers
    np.testing.assert_allclose(P.metrics_by_horizon(pred, true)["psnr"], np.mean(by_hand, axis=0), rtol=1e-12)
    exact = pred.copy()
    exact[:, 0] = true[:, 0]                                      # horizon 1 predicted exactly
    summary, table = P.summarize(exact, true), P.metrics_by_horizon(exact, true)
    assert np.isfinite(summary["psnr"]) and table["psnr"].iloc[0] == P.metrics.PSNR_MAX
    frames = (true * 255).astype(np.uint8)
    with pytest.raises(ValueError, match=r"dtype uint8.*prediction\.to_unit"):
        P.frame_metrics(frames, frames)
    with pytest.raises(ValueError, match=r"predicted frames must be floats in \[0, 1\].*range from 0 to 25\d"):
        P.summarize(frames.astype(np.float32), true)
    with pytest.raises(ValueError, match="NaN"):
        P.frame_metrics(np.full_like(true, np.nan), true)


def test_improvement():
    assert P.improvement(0.8, 1.0) == pytest.approx(0.2)
    assert P.improvement(1.2, 1.0) == pytest.approx(-0.2)


# --------------------------------------------------------------------------------- rollout alignment
def test_rollout_is_aligned_with_future_frames():
    seqs = ramp(2, 12)
    context, future = P.split_context(seqs, context=5, horizon=4)
    assert context.shape[1] == 5 and future.shape[1] == 4
    np.testing.assert_array_equal(future, seqs[:, 5:9])
    pred = P.rollout(oracle, context, horizon=4)
    np.testing.assert_allclose(pred, future, atol=1e-6)  # prediction h is frame c + h - 1
    table = P.metrics_by_horizon(pred, future)
    assert list(table.index) == [1, 2, 3, 4] and np.allclose(table["mse"], 0, atol=1e-10)
    base = P.metrics_by_horizon(P.copy_last_rollout(context, 4), future)
    np.testing.assert_allclose(base["mse"], [(h * STEP) ** 2 for h in range(1, 5)], rtol=1e-4)
    with pytest.raises(ValueError, match="context 10 \\+ horizon 4"):
        P.split_context(seqs, 10, 4)


def test_rollout_feeds_predictions_back():
    seen = []

    def spy(x):
        seen.append(x.shape[1])
        return x + STEP

    P.rollout(spy, ramp(1, 4), horizon=3)
    assert seen == [4, 5, 6]  # each step sees the context plus the frames predicted so far


def test_compare_rollouts_with_a_keras_model(tiny_models):
    table, arrays = P.compare_rollouts(tiny_models["default"], ramp(2, 8), context=4, horizon=3)
    assert set(table["method"]) == {"model", "copy_last"} and len(table) == 6
    assert arrays["model"].shape == arrays["true"].shape == (2, 3, H, W, 1)


def test_side_by_side_panels_are_aligned():
    context, future = P.split_context(ramp(1, 8), 4, 3)
    panels = viz.side_by_side(future[0], P.rollout(oracle, context, 3)[0], gap=2)
    assert panels.shape == (3, H, 3 * W + 4, 1) and panels.dtype == np.uint8
    assert panels[:, :, 2 * W + 4:].max() == 0  # error panel: a perfect, aligned prediction
    off_by_one = viz.side_by_side(future[0, 1:], future[0, :-1])
    assert off_by_one[:, :, 2 * W + 4:].min() > 0  # the keras-io off-by-one shows up as error everywhere
    with pytest.raises(ValueError, match="aligned"):
        viz.side_by_side(future[0], future[0, :2])
    small = viz.side_by_side(future[0], future[0], gap=2, scale=2, levels=16)
    assert small.shape == (3, 2 * H, 2 * (3 * W + 4), 1) and len(np.unique(small)) <= 16


def test_metrics_table_is_a_dataframe():
    x, y = P.shift_frames(ramp(2, 5))
    table = P.metrics_by_horizon(x, y)
    assert isinstance(table, pd.DataFrame) and list(table.columns) == list(P.METRICS)


def test_default_config_matches_build_model():
    import inspect

    defaults = {k: v.default for k, v in inspect.signature(P.build_model).parameters.items()}
    assert {k: defaults[k] for k in P.DEFAULT_CONFIG} == P.DEFAULT_CONFIG


def test_motion_crop_follows_the_motion_and_resize_model_keeps_weights():
    seqs = np.zeros((1, 4, H, 24, 1), np.float32)
    seqs[0, ::2, 2:4, 18:20] = 1.0  # something blinks near the right edge
    crop = P.motion_crop(seqs, width=8)
    assert crop.shape == (1, 4, H, 8, 1) and crop.sum() == seqs.sum()
    with pytest.raises(ValueError, match="larger than the frames"):
        P.motion_crop(seqs, width=30)
    small = P.build_model((H, 8, 1), filters=4, encoder_filters=4, skip_filters=2, decoder_filters=4, seed=0)
    small.get_layer("delta").set_weights([w + 0.01 for w in small.get_layer("delta").get_weights()])
    big = P.resize_model(small, (H, 24, 1))
    assert big.input_shape == (None, None, H, 24, 1)
    back = P.resize_model(big, (H, 8, 1))
    np.testing.assert_allclose(P.predict_next(back, crop), P.predict_next(small, crop), atol=1e-6)
    with pytest.raises(ValueError, match="channels"):
        P.resize_model(small, (H, 8, 3))


def test_saved_predictor_round_trip(tiny_models, project_tmp):
    model = tiny_models["default"]
    folder = P.save_predictor(model, "05_convlstm", seq_len=6)
    assert folder == project_tmp / "artifacts" / "models" / "05_convlstm"
    loaded, meta = P.load_predictor(folder)
    assert meta["seq_len"] == 6 and meta["frame_shape"] == list(model.input_shape[2:])
    x = np.random.default_rng(0).random((1, 4, *model.input_shape[2:])).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    with pytest.raises(FileNotFoundError, match="run notebook 05"):
        P.load_predictor(project_tmp / "nothing")
    data = (folder / "model.keras").read_bytes()
    (folder / "model.keras").write_bytes(data[: len(data) // 2])          # a truncated copy
    with pytest.raises(ValueError, match=r"model.keras \(saved next-frame model\) cannot be loaded.*notebook 05"):
        P.load_predictor(folder)
