import numpy as np
import pandas as pd
import pytest

from choreo_utils import classifier as C
from choreo_utils import sweep as S


def _lstm_params(units: int, dim: int) -> int:
    return 4 * (units * (dim + units) + units)


@pytest.mark.parametrize("preset", ["table1", "table2"])
def test_paper_architecture_and_parameter_count(preset):
    p = C.PRESETS[preset]
    dim, clip = 2048, 30
    model = C.build_classifier(clip, dim, **C.model_kwargs(preset))
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["InputLayer", "BatchNormalization", "Bidirectional", "Dropout", "Dense", "Dense", "Dense",
                     "Softmax"]
    assert model.get_layer("logits").get_config()["activation"] == "linear"
    assert model.get_layer("dense1").get_config()["activation"] == p["activation"]
    u, d1, d2 = p["lstm_units"], p["dense1"], p["dense2"]
    expected = (4 * dim + 2 * _lstm_params(u, dim) + (2 * u * d1 + d1) + (d1 * d2 + d2) + (d2 * 16 + 16))
    assert model.count_params() == expected
    assert model.output_shape == (None, 16)
    assert model.loss == "categorical_crossentropy"


def test_float_units_rejected_and_integral_floats_accepted():
    with pytest.raises(ValueError, match="whole number"):
        C.build_classifier(10, 8, dense2=320 / 3)
    model = C.build_classifier(10, 8, dense1=64, dense2=64 / 2)
    assert model.get_layer("dense2").units == 32


def test_units_must_be_positive():
    with pytest.raises(ValueError, match="dense1 must be a positive integer"):
        C.build_classifier(10, 8, dense1=0)


def test_one_hot_rows_are_float32():
    out = C.one_hot([2, 0, 1], 3)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert C.one_hot([]).shape == (0, 16)


def test_mean_pool_baseline_ignores_order():
    model = C.build_classifier(6, 4, temporal=False, lstm_units=8, dense1=8, dense2=8)
    x = np.random.default_rng(0).normal(size=(5, 6, 4)).astype("float32")
    a = model.predict(x, verbose=0)
    b = model.predict(C.shuffle_frames(x, seed=3), verbose=0)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert "bilstm" not in [layer.name for layer in model.layers]


def test_shuffle_frames_permutes_within_clips_only():
    x = np.arange(2 * 5 * 3).reshape(2, 5, 3)
    s = C.shuffle_frames(x, seed=1)
    assert not np.array_equal(s, x)
    for i in range(2):
        assert sorted(map(tuple, s[i])) == sorted(map(tuple, x[i]))


def test_video_level_averages_clip_probabilities():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    vp = C.video_probabilities(probs, ["b", "a", "a", "b"])
    assert list(vp.index) == ["a", "b"]
    np.testing.assert_allclose(vp.loc["a"], [0.25, 0.75])
    np.testing.assert_allclose(vp.loc["b"], [0.75, 0.25])


def test_training_learns_a_temporal_task_the_baseline_cannot():
    """Class 0 ramps up over time, class 1 ramps down: same frames, only the order differs."""
    rng = np.random.default_rng(0)
    n, t, d = 200, 8, 4
    ramp = np.linspace(-1, 1, t)[None, :, None] * np.ones((n, t, d))
    y = rng.integers(0, 2, n)
    x = np.where(y[:, None, None] == 0, ramp, ramp[:, ::-1]) + rng.normal(0, 0.1, (n, t, d))
    x = x.astype("float32")
    vids = [f"v{i // 2}" for i in range(n)]
    kw = dict(n_classes=2, lstm_units=8, dense1=8, dense2=4, learning_rate=1e-2)
    lstm = C.train(C.build_classifier(t, d, **kw), x[:150], y[:150], epochs=15, batch_size=32, seed=0)
    mean = C.train(C.build_classifier(t, d, temporal=False, **kw), x[:150], y[:150], epochs=15, batch_size=32, seed=0)
    acc_lstm = C.evaluate(lstm.model, x[150:], y[150:], vids[150:])["clip_accuracy"]
    acc_mean = C.evaluate(mean.model, x[150:], y[150:], vids[150:])["clip_accuracy"]
    assert acc_lstm > 0.9 and acc_mean < 0.7
    assert len(lstm.history["loss"]) == 15


def test_evaluate_empty_split_is_a_clear_error():
    model = C.build_classifier(4, 3, n_classes=2, lstm_units=2, dense1=2, dense2=2)
    with pytest.raises(ValueError, match="no clips"):
        C.evaluate(model, np.zeros((0, 4, 3), "float32"), [], [])


def test_missing_test_classes_are_reported():
    split = pd.DataFrame({"genre": ["tap", "waltz", "tap"], "split": ["test", "train", "train"]})
    missing = C.check_split_classes(split)
    assert "waltz" in missing and "tap" not in missing and len(missing) == 15


def test_per_class_report_at_clip_and_video_level():
    model = C.build_classifier(4, 3, lstm_units=2, dense1=2, dense2=2)
    x = np.random.default_rng(0).normal(size=(6, 4, 3)).astype("float32")
    result = C.evaluate(model, x, [0, 0, 1, 1, 2, 2], ["a", "a", "b", "b", "c", "c"])
    clip, video = C.per_class_report(result, level="clip"), C.per_class_report(result)
    assert clip["support"].sum() == 6 and video["support"].sum() == 3
    assert list(clip.index[:3]) == ["ballet", "break", "cha"]


# ------------------------------------------------------------------------------ saved models, fresh sessions
@pytest.fixture(scope="module")
def saved_classifier(tmp_path_factory):
    """A small classifier trained for one epoch on random-init features of random frames, saved as notebook 03 does."""
    import os

    from choreo_utils import features

    root = tmp_path_factory.mktemp("project")
    old = os.environ.get("CHOREO_ROOT")
    os.environ["CHOREO_ROOT"] = str(root)
    try:
        rng = np.random.default_rng(0)
        ex = features.build_extractor("inception_v3", (75, 75), weights=None, layer="mixed2")
        features.reestimate_batchnorm(ex, rng.integers(0, 255, (16, 75, 75, 3), dtype=np.uint8))
        model = C.build_classifier(8, ex.dim, lstm_units=8, dense1=8, dense2=8)
        C.train(model, rng.normal(size=(32, 8, ex.dim)).astype("float32"), rng.integers(0, 16, 32), epochs=1,
                batch_size=16, progress=False)
        folder = C.save_classifier(model, ex, "03_classifier", seed=0)
    finally:
        if old is None:
            os.environ.pop("CHOREO_ROOT")
        else:
            os.environ["CHOREO_ROOT"] = old
    return {"root": root, "folder": folder, "model": model, "extractor": ex}


def test_saved_classifier_round_trip(saved_classifier):
    folder = saved_classifier["folder"]
    assert folder == saved_classifier["root"] / "artifacts" / "models" / "03_classifier"
    assert sorted(p.name for p in folder.iterdir()) == ["classifier.keras", "extractor.json", "extractor.keras",
                                                        "model.json"]
    model, ex, meta = C.load_classifier(folder)
    assert meta["clip_len"] == 8 and meta["genres"] == list(C.GENRES) and meta["seed"] == 0
    assert meta["features"] == saved_classifier["extractor"].label and "tensorflow" in meta["versions"]
    frames = np.random.default_rng(1).integers(0, 255, (8, 75, 75, 3), dtype=np.uint8)
    np.testing.assert_array_equal(ex(frames), saved_classifier["extractor"](frames))   # BatchNorm stats kept
    x = ex(frames)[None]
    np.testing.assert_allclose(model.predict(x, verbose=0), saved_classifier["model"].predict(x, verbose=0), atol=1e-6)


def test_classify_video_from_a_saved_folder(saved_classifier, tmp_path):
    from choreo_utils import synthetic, video

    spec = synthetic.plan_dataset(videos_per_genre=1, seed=5, genres=["tap"])[0]["spec"]
    path = video.write_video(tmp_path / "tap.mp4", synthetic.render_video(spec, 20, size=(48, 72)), fps=25)
    probs = C.classify_video(path, model=saved_classifier["folder"])
    assert list(probs.index) == ["frames 0–7", "frames 8–15", "video"]
    np.testing.assert_allclose(probs.drop(index="video").sum(axis=1), 1.0, atol=1e-5)
    with pytest.raises(FileNotFoundError, match="run notebook 03"):
        C.classify_video(path, model=tmp_path)
    with pytest.raises(ValueError, match="needs the extractor"):
        C.classify_video(path, saved_classifier["model"])
    by_position = C.classify_video(path, saved_classifier["model"], saved_classifier["extractor"])
    pd.testing.assert_frame_equal(by_position, probs)              # model second, its extractor third
    with pytest.raises(TypeError, match="model"):
        C.classify_video(path)                                     # the model is required


def test_readme_snippet_runs_in_a_fresh_python_session(saved_classifier):
    """README's "Classify your own video" code, verbatim, in a new interpreter next to a saved model."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    from choreo_utils import synthetic, video

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme[readme.index("## Classify your own video"):]
    snippet = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert "artifacts/models/03_classifier" in snippet and "my_dance.mp4" in snippet
    root = saved_classifier["root"]
    spec = synthetic.plan_dataset(videos_per_genre=1, seed=6, genres=["waltz"])[0]["spec"]
    video.write_video(root / "my_dance.mp4", synthetic.render_video(spec, 16, size=(48, 72)), fps=25)
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("CHOREO_ROOT", "CHOREO_SMOKE")}
    done = subprocess.run([sys.executable, "-c", snippet], cwd=root, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert any(g in done.stdout for g in C.GENRES), done.stdout


def test_training_shows_one_epoch_bar(capsys):
    """One text bar over the epochs; its final state (what a committed notebook keeps) says how far it got."""
    import re

    rng = np.random.default_rng(0)
    model = C.build_classifier(4, 3, lstm_units=4, dense1=4, dense2=4)
    C.train(model, rng.normal(size=(16, 4, 3)).astype("float32"), rng.integers(0, 16, 16), epochs=3, batch_size=8,
            progress="BiLSTM test")
    out = capsys.readouterr().out
    final = re.sub(r".*\r(?=[^\n])", "", out).strip()      # what nbclient's coalesce_streams keeps
    assert final.startswith("BiLSTM test: 100%") and " 3/3 [" in final and "epoch" in final
    assert "loss=" in final and "accuracy=" in final and "learning_rate" not in final
    assert final.count("\n") == 0                                      # one bar, no batch bars left behind
    C.train(model, rng.normal(size=(16, 4, 3)).astype("float32"), rng.integers(0, 16, 16), epochs=1, progress=False)
    assert "epoch" not in capsys.readouterr().out


def _tiny_splits(seed: int = 0, n: int = 48, t: int = 6, d: int = 8):
    rng = np.random.default_rng(seed)
    def split(k):
        x = rng.normal(size=(k, t, d)).astype(np.float32)
        y = rng.integers(0, 4, k)
        return x, y, np.array([f"v{i // 2}" for i in range(k)])
    return split(n), split(16), split(16)


def test_same_seed_same_weights_and_metrics_other_seed_differs():
    train, val, test = _tiny_splits()
    params = dict(C.PRESETS["table1"], lstm_units=8, dense1=8, dense2=8, epochs=3, batch_size=16)
    a = C.fit_evaluate(train, val, test, params, seed=0, progress=False)
    b = C.fit_evaluate(train, val, test, params, seed=0, progress=False)
    c = C.fit_evaluate(train, val, test, params, seed=1, progress=False)
    assert a["history"] == b["history"] and a["test"]["clip_loss"] == b["test"]["clip_loss"]
    assert all(np.array_equal(x, y) for x, y in zip(a["model"].get_weights(), b["model"].get_weights()))
    assert a["history"]["loss"] != c["history"]["loss"]
    # a reused model, re-initialised under seed 0, trains exactly like a freshly built one
    first = [w.copy() for w in a["model"].get_weights()]
    reused = C.fit_evaluate(train, val, test, params, seed=0, progress=False, model=c["model"])
    assert reused["history"] == a["history"]
    assert all(np.array_equal(x, y) for x, y in zip(reused["model"].get_weights(), first))


def test_seed_sweep_pairs_runs_on_the_same_test_videos():
    train, val, test = _tiny_splits()
    params = dict(C.PRESETS["table1"], lstm_units=8, dense1=8, dense2=8, epochs=2, batch_size=16)
    sweep = S.seed_sweep(train, val, test, params, seeds=[0, 1], patience=1)
    assert list(sweep.table["variant"].unique()) == list(C.VARIANTS)
    assert sweep.videos == sorted(set(test[2]))
    for name, correct in sweep.video_correct.items():
        assert correct.shape == (2, len(sweep.videos))
        acc = sweep.table.set_index(["variant", "seed"]).loc[(name, 0), "video_accuracy"]
        assert correct[0].mean() == pytest.approx(acc)
    single = C.fit_evaluate(train, val, test, params, seed=1, patience=1, progress=False)
    assert sweep.table.set_index(["variant", "seed"]).loc[("BiLSTM", 1), "video_accuracy"] == \
        single["test"]["video_accuracy"]


def test_seed_sweep_in_two_processes_gives_the_numbers_of_one():
    train, val, test = _tiny_splits()
    params = dict(C.PRESETS["table1"], lstm_units=8, dense1=8, dense2=8, epochs=2, batch_size=16)
    variants = {"BiLSTM": C.VARIANTS["BiLSTM"]}
    one = S.seed_sweep(train, val, test, params, seeds=[0, 1], variants=variants)
    two = S.seed_sweep(train, val, test, params, seeds=[0, 1], variants=variants, jobs=2)
    cols = ["variant", "seed", "video_accuracy", "clip_accuracy", "epochs_run"]
    pd.testing.assert_frame_equal(one.table[cols], two.table[cols])
    assert np.array_equal(one.video_correct["BiLSTM"], two.video_correct["BiLSTM"])


def test_input_batchnorm_starts_at_the_training_clips_statistics():
    # features far from Keras' initial mean 0 / variance 1, as the oracle pose's are (spread ~0.1)
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 0.05, (40, 8, 6)).astype(np.float32)
    model = C.build_classifier(8, 6, n_classes=4, lstm_units=4, dense1=4, dense2=4)
    bn = model.get_layer("bn")
    assert np.allclose(bn.moving_mean.numpy(), 0) and np.allclose(bn.moving_variance.numpy(), 1)
    before = bn(x, training=False).numpy()             # Keras' start: inputs scored ~20× smaller than trained
    C.init_input_statistics(model, x)
    assert np.allclose(bn.moving_mean.numpy(), x.mean((0, 1)), atol=1e-5)
    assert np.allclose(bn.moving_variance.numpy(), x.var((0, 1)), rtol=1e-4)
    # scored (inference mode) on the same scale as trained (batch statistics), from the first step
    scored, trained = bn(x, training=False).numpy(), bn(x, training=True).numpy()
    assert np.allclose(scored, trained, atol=1e-2)
    assert (before - before.mean((0, 1))).std() < 0.1 < 0.5 < scored.std()
    with pytest.raises(ValueError, match="at least one training clip"):
        C.init_input_statistics(model, x[:0])


def test_fit_evaluate_uses_the_data_statistics_unless_asked_not_to():
    train, val, test = _tiny_splits()
    shift = lambda s: (s[0] * 0.05 + 3.0, s[1], s[2])  # noqa: E731  (mean 3, small spread)
    train, val, test = shift(train), shift(val), shift(test)
    params = dict(C.PRESETS["table1"], lstm_units=8, dense1=8, dense2=8, epochs=1, batch_size=16)
    data_mean = train[0].reshape(-1, train[0].shape[-1]).mean(0)
    new = C.fit_evaluate(train, val, test, params, seed=0, progress=False)
    old = C.fit_evaluate(train, val, test, params, seed=0, progress=False, bn_from_data=False)
    assert np.allclose(new["model"].get_layer("bn").moving_mean.numpy(), data_mean, atol=0.05)
    assert np.abs(old["model"].get_layer("bn").moving_mean.numpy() - data_mean).min() > 1.0   # still near 0
    assert "val" in new and new["val"]["n_videos"] == len(set(val[2]))


def test_the_sweep_pool_is_shut_down_and_restarted_on_demand():
    train, val, test = _tiny_splits()
    params = dict(C.PRESETS["table1"], lstm_units=4, dense1=4, dense2=4, epochs=1, batch_size=16)
    variants = {"BiLSTM": C.VARIANTS["BiLSTM"]}
    S.seed_sweep(train, val, test, params, seeds=[0, 1], variants=variants, jobs=2)
    from choreo_utils import workers

    pool = workers._POOL["pool"]
    workers.shutdown_pool()
    assert "pool" not in workers._POOL and workers._POOL.get("atexit")
    with pytest.raises(RuntimeError):                 # a shut-down executor takes no more work
        pool.submit(int, 1)
    again = S.seed_sweep(train, val, test, params, seeds=[0, 1], variants=variants, jobs=2)
    assert len(again.table) == 2 and workers._POOL["pool"] is not pool
    workers.shutdown_pool()


@pytest.mark.parametrize("damaged", ["classifier.keras", "extractor.keras"])
def test_a_truncated_model_file_in_a_saved_classifier_is_named(saved_classifier, tmp_path, damaged):
    import shutil

    folder = shutil.copytree(saved_classifier["folder"], tmp_path / "copy")
    data = (folder / damaged).read_bytes()
    (folder / damaged).write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=rf"{damaged} \(saved (classifier|extractor)\) cannot be loaded.*delete"):
        C.load_classifier(folder)


def test_seed_scores_name_the_variant_when_more_than_one():
    one = C.SeedScores(pd.DataFrame(), {"BiLSTM": np.ones((2, 3))}, ["a", "b", "c"], [0, 1])
    assert one.correct().shape == (2, 3) and one.correct("BiLSTM") is one.video_correct["BiLSTM"]
    two = C.SeedScores(pd.DataFrame(), {"BiLSTM": np.ones((2, 3)), "mean": np.zeros((2, 3))}, ["a", "b", "c"], [0, 1])
    assert two.correct("mean").sum() == 0
    with pytest.raises(ValueError, match=r"2 variants \(BiLSTM, mean\): name the one"):
        two.correct()
    with pytest.raises(KeyError, match="no variant 'GRU'"):
        two.correct("GRU")


def test_the_fast_validation_reports_what_keras_validation_reports_and_trains_the_same_weights():
    """classifier.train computes val_loss / val_accuracy itself (one predict_on_batch per epoch); the same seed
    trained with Keras' own validation pass gives the same history (to float rounding) and the same weights."""
    from choreo_utils import runtime
    from choreo_utils.training import fit

    (xtr, ytr, _), (xva, yva, _), _ = _tiny_splits()

    def build():
        runtime.set_seed(0)
        return C.build_classifier(xtr.shape[1], xtr.shape[2], lstm_units=8, dense1=8, dense2=8)

    ours = C.train(build(), xtr, ytr, xva, yva, epochs=3, batch_size=16, progress=False)
    keras_way = fit(build(), xtr, C.one_hot(ytr), epochs=3, batch_size=16, progress=False,
                    validation_data=(xva, C.one_hot(yva)))
    assert set(ours.history) == set(keras_way.history) >= {"val_loss", "val_accuracy"}
    for key, values in keras_way.history.items():
        np.testing.assert_allclose(ours.history[key], values, rtol=1e-5, atol=1e-6, err_msg=key)
    for a, b in zip(ours.model.get_weights(), keras_way.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    numbers = C.validation_numbers(ours.model, xva, yva, chunk=3)     # chunks change nothing
    assert numbers["val_accuracy"] == pytest.approx(
        float((C.predict_proba(ours.model, xva).argmax(1) == np.asarray(yva)).mean()))
    with pytest.raises(ValueError, match="not both"):
        fit(build(), xtr, C.one_hot(ytr), epochs=1, batch_size=16, progress=False,
            validation_data=(xva, C.one_hot(yva)), validate=lambda m: {})
