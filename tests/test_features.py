import os
import urllib.error

import cv2
import keras
import numpy as np
import pytest

from choreo_utils import bundle, features, io_utils, letsdance, video


@pytest.fixture(scope="module")
def tiny_index(tiny_dataset):
    return letsdance.index_frames(tiny_dataset)


def _small_extractor(index, size=(32, 48)):
    ex = features.build_extractor("mobilenet_v3_small", size, weights=None)
    return features.reestimate_batchnorm(ex, features.sample_frames(index, size, n=32))


def test_offline_imagenet_error_names_both_ways_out(monkeypatch):
    def offline(*args, **kwargs):
        if kwargs.get("weights") == "imagenet":
            raise urllib.error.URLError("no network")
        return real(*args, **kwargs)

    real = keras.applications.InceptionV3
    monkeypatch.setattr(keras.applications, "InceptionV3", offline)
    with pytest.raises(features.WeightsUnavailableError) as err:
        features.build_extractor("inception_v3", 75, weights="imagenet")
    msg = str(err.value)
    assert "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5" in msg
    assert "weights=None" in msg and features.OFFLINE_LABEL in msg


def test_weights_file_for_another_backbone_is_refused(tmp_path):
    other = keras.applications.MobileNetV3Small(weights=None, include_top=False, input_shape=(32, 32, 3))
    path = tmp_path / "mobilenet.weights.h5"
    other.save_weights(path)
    with pytest.raises(ValueError, match="does not match backbone inception_v3"):
        features.build_extractor("inception_v3", 75, weights=path)
    with pytest.raises(FileNotFoundError):
        features.build_extractor("inception_v3", 75, weights=tmp_path / "missing.h5")


def test_bad_backbone_size_and_layer():
    with pytest.raises(ValueError, match="unknown backbone"):
        features.build_extractor("resnet9000", 75, weights=None)
    with pytest.raises(ValueError, match="at least 75"):
        features.build_extractor("inception_v3", 64, weights=None)
    with pytest.raises(ValueError, match="candidates: mixed0"):
        features.build_extractor("inception_v3", 75, weights=None, layer="nope")


def test_batchnorm_reestimation_restores_the_feature_scale(tiny_index):
    ex = features.build_extractor("inception_v3", 75, weights=None)
    frames = features.sample_frames(tiny_index, 75, n=24)
    before = np.abs(ex(frames)).mean()
    assert before < 1e-2                       # untrained BatchNorm: the signal has collapsed
    features.reestimate_batchnorm(ex, frames)
    after = np.abs(ex(frames)).mean()
    assert after > 100 * before and 0.05 < after < 20
    assert ex.bn_reestimated and "BatchNorm re-estimated" in ex.label and features.OFFLINE_LABEL in ex.label
    # moving statistics were written and the momentum restored
    bn = next(layer for layer in ex.model.layers if isinstance(layer, keras.layers.BatchNormalization))
    assert bn.momentum == pytest.approx(0.99) and not np.allclose(bn.moving_variance.numpy(), 1.0)


def test_intermediate_layer_pooling_has_that_layers_width():
    ex = features.build_extractor("inception_v3", 75, weights=None, layer="mixed2")
    assert ex.dim == 288 and ex(np.zeros((2, 75, 75, 3), np.uint8)).shape == (2, 288)


def test_block_extractor_equals_a_backbone_built_at_that_block():
    """Probing a depth of the full re-estimated backbone == building the backbone cut there and re-estimating it."""
    frames = np.random.default_rng(0).integers(0, 255, (24, 75, 75, 3), dtype=np.uint8)
    full = features.reestimate_batchnorm(features.build_extractor("inception_v3", 75, weights=None), frames)
    probe = features.block_extractor(full, "mixed1")
    cut = features.reestimate_batchnorm(features.build_extractor("inception_v3", 75, weights=None, layer="mixed1"),
                                        frames)
    assert probe.dim == cut.dim == 288 and probe.layer == "mixed1" and full.layer is None
    np.testing.assert_allclose(probe(frames[:4]), cut(frames[:4]), rtol=1e-3, atol=1e-4)
    assert full(frames[:2]).shape == (2, 2048)                          # the full extractor is unchanged
    with pytest.raises(ValueError, match="full backbone"):
        features.block_extractor(cut, "mixed0")


def test_extract_features_shape_dtype_and_cache_reuse(tiny_index, tmp_path, monkeypatch):
    ex = _small_extractor(tiny_index)
    fs = features.extract_features(tiny_index, ex, cache_root=tmp_path, batch_size=16, progress=False)
    assert fs.features.shape == (len(tiny_index), ex.dim) and fs.features.dtype == np.float16
    assert isinstance(fs.features, np.memmap) and (fs.path.parent / "meta.json").is_file()
    direct = ex(features.sample_frames(tiny_index.iloc[:4], (32, 48), n=4))   # same frames, same order
    np.testing.assert_allclose(fs.features[:4].astype(np.float32), direct, rtol=2e-2, atol=2e-2)

    monkeypatch.setattr(features.Extractor, "__call__", lambda self, x: pytest.fail("cache not used"))
    again = features.extract_features(tiny_index, ex, cache_root=tmp_path, batch_size=16, progress=False)
    assert again.path == fs.path
    np.testing.assert_array_equal(np.asarray(again.features), np.asarray(fs.features))


def test_cache_key_names_everything_that_produced_the_features(tiny_index, tmp_path):
    ex = _small_extractor(tiny_index)
    base = features.cache_dir_for(features.cache_key(tiny_index, ex), tmp_path)
    other_size = _small_extractor(tiny_index, size=(40, 48))
    assert features.cache_dir_for(features.cache_key(tiny_index, other_size), tmp_path) != base
    ex2 = _small_extractor(tiny_index)
    ex2.bn_reestimated = "other frames"
    assert features.cache_dir_for(features.cache_key(tiny_index, ex2), tmp_path) != base
    assert features.cache_dir_for(features.cache_key(tiny_index.iloc[:-1], ex), tmp_path) != base


def test_changed_dataset_under_an_existing_cache_is_not_reused(tiny_index, tmp_path):
    index = tiny_index.iloc[:24].copy()
    copies = tmp_path / "frames"
    copies.mkdir()
    paths = []
    for p in index.path:
        dst = copies / p.split("/")[-1]
        dst.write_bytes(open(p, "rb").read())
        paths.append(str(dst))
    index["path"] = paths
    ex = _small_extractor(tiny_index)
    first = features.extract_features(index, ex, cache_root=tmp_path / "cache", batch_size=8, progress=False)
    other = open(tiny_index.path.iloc[100], "rb").read()       # a different frame's bytes
    (copies / paths[0].split("/")[-1]).write_bytes(other)
    second = features.extract_features(index, ex, cache_root=tmp_path / "cache", batch_size=8, progress=False)
    assert second.path != first.path
    assert not np.array_equal(np.asarray(second.features[0]), np.asarray(first.features[0]))


def test_interrupted_extraction_resumes_without_recomputing_finished_videos(tiny_index, tmp_path, monkeypatch):
    ex = _small_extractor(tiny_index)
    clean = np.asarray(features.extract_features(tiny_index, ex, cache_root=tmp_path / "clean", batch_size=12,
                                                 progress=False).features)
    real_call = features.Extractor.__call__
    calls = {"n": 0}

    def crash_after_ten(self, x):
        calls["n"] += 1
        if calls["n"] > 10:
            raise KeyboardInterrupt
        return real_call(self, x)

    monkeypatch.setattr(features.Extractor, "__call__", crash_after_ten)
    with pytest.raises(KeyboardInterrupt):
        features.extract_features(tiny_index, ex, cache_root=tmp_path / "run", batch_size=12, progress=False,
                                  flush_every=2)
    folder = next((tmp_path / "run").iterdir())
    assert not (folder / "meta.json").exists()          # incomplete caches never look complete

    frames_seen = {"n": 0}

    def counting(self, x):
        frames_seen["n"] += 1
        return real_call(self, x)

    monkeypatch.setattr(features.Extractor, "__call__", counting)
    resumed = features.extract_features(tiny_index, ex, cache_root=tmp_path / "run", batch_size=12, progress=False)
    total_batches = -(-len(tiny_index) // 12)
    assert 0 < frames_seen["n"] < total_batches - 5
    np.testing.assert_array_equal(np.asarray(resumed.features), clean)


def test_undecodable_frames_are_counted_not_silent(tiny_index, tmp_path):
    index = tiny_index.iloc[:8].copy()
    bad = tmp_path / "broken_0001.jpg"
    bad.write_bytes(b"not a jpeg")
    index.iloc[3, index.columns.get_loc("path")] = str(bad)
    ex = _small_extractor(tiny_index)
    with pytest.warns(UserWarning, match="1 of 8 frame images could not be decoded and were replaced by zeros"):
        fs = features.extract_features(index, ex, cache_root=tmp_path, batch_size=4, progress=False)
    assert fs.meta["n_bad_frames"] == 1 and str(bad) in fs.meta["bad_frames"]
    with pytest.raises(ValueError, match="broken_0001.jpg.*strict=True"):
        features.extract_features(index, ex, cache_root=tmp_path / "strict", batch_size=4, progress=False,
                                  strict=True)


def test_truncated_jpeg_is_reported_and_zero_filled_like_any_bad_frame(tiny_index, tmp_path):
    """Extraction decodes with video.decode_frame: a JPEG cut short (cv2.imread alone decodes it, grey-filled) is
    bad."""
    index = tiny_index.iloc[:4].copy()
    cut = tmp_path / "cut_0001.jpg"
    data = open(index.path.iloc[1], "rb").read()
    cut.write_bytes(data[:len(data) * 3 // 4])
    assert cv2.imread(str(cut), cv2.IMREAD_COLOR) is not None and video.decode_frame(cut)[0] is None
    index.iloc[1, index.columns.get_loc("path")] = str(cut)
    frames, bad = video.load_frame_batch(index.path.tolist(), (32, 48))
    assert [b[:2] for b in bad] == [(1, str(cut))] and not frames[1].any() and frames[0].any()
    ex = _small_extractor(tiny_index)
    with pytest.warns(UserWarning, match="1 of 4 frame images could not be decoded and were replaced by zeros"):
        fs = features.extract_features(index, ex, cache_root=tmp_path, batch_size=4, progress=False)
    assert fs.meta["bad_frames"] == [str(cut)]


def test_frames_for_features_are_decoded_and_resized_like_video_reads_them(tiny_index):
    paths = tiny_index.path.iloc[:6].tolist()
    frames, bad = video.load_frame_batch(paths, (32, 48))
    assert not bad
    np.testing.assert_array_equal(frames, video.read_frames(paths, size=(32, 48)))


def test_extractor_records_a_weights_label_not_weights():
    ex = features.build_extractor("mobilenet_v3_small", (32, 48), weights=None, init_seed=4)
    assert ex.weights_label == "none (init seed 4)" and ex.offline
    assert ex.cache_fields()["weights"] == ex.weights_label       # the cache key's field keeps its name


def test_random_init_without_reestimation_warns(tiny_index, tmp_path):
    ex = features.build_extractor("mobilenet_v3_small", (32, 48), weights=None)
    with pytest.warns(UserWarning, match="not re-estimated"):
        features.extract_features(tiny_index.iloc[:4], ex, cache_root=tmp_path, batch_size=4, progress=False)


def test_clips_are_sliced_from_frame_features(tiny_index, tmp_path):
    import pandas as pd

    fs = features.FeatureSet(np.arange(20 * 3, dtype=np.float16).reshape(20, 3), tmp_path / "f.npy", {})
    table = pd.DataFrame({"row": [0, 10], "clip_len": [4, 4]})
    x = fs.clips(table)
    assert x.shape == (2, 4, 3) and x[1, 0, 0] == 30
    with pytest.raises(ValueError, match="different frame index"):
        fs.clips(pd.DataFrame({"row": [18], "clip_len": [4]}))


def test_random_init_backbone_is_reproducible_and_its_seed_is_in_the_cache_key(tiny_index, tmp_path):
    frames = features.sample_frames(tiny_index, (32, 48), n=8)
    a = features.build_extractor("mobilenet_v3_small", (32, 48), weights=None)
    b = features.build_extractor("mobilenet_v3_small", (32, 48), weights=None)
    c = features.build_extractor("mobilenet_v3_small", (32, 48), weights=None, init_seed=1)
    np.testing.assert_array_equal(a(frames), b(frames))
    assert not np.array_equal(a.model.get_weights()[0], c.model.get_weights()[0])
    key_a, key_c = features.cache_key(tiny_index, a), features.cache_key(tiny_index, c)
    assert features.cache_dir_for(key_a, tmp_path) != features.cache_dir_for(key_c, tmp_path)


def test_one_undecodable_frame_policy_same_warning_from_read_frames_and_extraction(tiny_index, tmp_path):
    """read_frames and extract_features: zeros in place, ONE warning, word for word the same (first 5 + "and N
    more")."""
    index = tiny_index.iloc[:12].copy()
    for i in (1, 3, 4, 6, 7, 9, 10):
        bad = tmp_path / f"bad_{i:04d}.jpg"
        bad.write_bytes(b"" if i % 2 else b"not a jpeg")
        index.iloc[i, index.columns.get_loc("path")] = str(bad)
    with pytest.warns(UserWarning) as read_warnings:
        frames = video.read_frames(index.path.tolist(), size=(32, 48))
    ex = _small_extractor(tiny_index)
    with pytest.warns(UserWarning) as extract_warnings:
        fs = features.extract_features(index, ex, cache_root=tmp_path / "cache", batch_size=4, progress=False)
    read_msgs = [str(w.message) for w in read_warnings]
    extract_msgs = [str(w.message) for w in extract_warnings]
    assert len(read_msgs) == 1 and extract_msgs == read_msgs
    assert read_msgs[0].startswith("7 of 12 frame images") and "and 2 more" in read_msgs[0]
    assert not frames[1].any() and fs.meta["n_bad_frames"] == 7


def test_block_extractor_gets_a_new_key_when_its_shared_parent_is_reestimated(tiny_index, tmp_path):
    parent = _small_extractor(tiny_index)
    block = features.block_extractor(parent, "expanded_conv_2_add")
    index = tiny_index.iloc[:8]
    first = features.extract_features(index, block, cache_root=tmp_path, batch_size=8, progress=False)
    # re-estimate the PARENT on other frames: the block shares its BatchNorm layers, so its network changed
    features.reestimate_batchnorm(parent, features.sample_frames(tiny_index, (32, 48), n=16, seed=5))
    second = features.extract_features(index, block, cache_root=tmp_path, batch_size=8, progress=False)
    assert second.path != first.path
    assert not np.array_equal(np.asarray(second.features), np.asarray(first.features))


def test_frame_replaced_by_same_size_bytes_with_mtime_kept_changes_the_fingerprint(tiny_index, tmp_path):
    src = tmp_path / "f_0001.jpg"
    src.write_bytes(open(tiny_index.path.iloc[0], "rb").read())
    index = tiny_index.iloc[:1].copy()
    index["path"] = [str(src)]
    before = features.dataset_fingerprint(index)
    st = src.stat()
    data = bytearray(src.read_bytes())
    data[len(data) // 2] ^= 0xFF                                  # same size, one byte different
    src.write_bytes(bytes(data))
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))           # modification time preserved (cp -p, a backup)
    assert src.stat().st_size == st.st_size and src.stat().st_mtime_ns == st.st_mtime_ns
    assert features.dataset_fingerprint(index) != before


def test_cache_key_holds_the_weights_digest_and_folder_name_stays_readable(tiny_index, tmp_path):
    ex = _small_extractor(tiny_index)
    key = features.cache_key(tiny_index, ex)
    assert key["version"] == features.CACHE_VERSION >= 4 and key["weights_digest"] == ex.weights_digest()
    assert features.cache_dir_for(key, tmp_path).name.startswith("mobilenet_v3_small-32x48-random-")
    w = ex.model.weights[0]
    w.assign(w.numpy() + 1.0)                                     # same label, different network
    assert features.cache_key(tiny_index, ex)["weights_digest"] != key["weights_digest"]


@pytest.mark.parametrize("damage", ["meta_truncated", "meta_list", "features_truncated", "progress_truncated"])
def test_corrupt_cache_files_name_the_file_and_what_to_do(tiny_index, tmp_path, damage):
    index = tiny_index.iloc[:8]
    ex = _small_extractor(tiny_index)
    fs = features.extract_features(index, ex, cache_root=tmp_path, batch_size=4, progress=False)
    folder = fs.path.parent
    del fs
    meta = (folder / "meta.json").read_bytes()
    name = {"meta_truncated": "meta.json", "meta_list": "meta.json", "features_truncated": "features.npy",
            "progress_truncated": "progress.json"}[damage]
    if damage == "meta_truncated":
        (folder / "meta.json").write_bytes(meta[:len(meta) // 2])
    elif damage == "meta_list":
        (folder / "meta.json").write_text("[]")
    elif damage == "features_truncated":
        data = (folder / "features.npy").read_bytes()
        (folder / "features.npy").write_bytes(data[:len(data) // 2])
    else:
        (folder / "meta.json").unlink()
        (folder / "progress.json").write_text('{"key": {"vers')
    with pytest.raises(io_utils.CorruptFileError) as err:
        features.extract_features(index, ex, cache_root=tmp_path, batch_size=4, progress=False)
    msg = str(err.value)
    assert str(folder / name) in msg and "is corrupt" in msg and f"delete the folder {folder} and run again" in msg


def test_random_init_backbone_leaves_the_callers_random_state_alone():
    import random

    from choreo_utils import runtime

    runtime.set_seed(11)
    expected = (random.random(), np.random.rand())
    runtime.set_seed(11)
    features.build_extractor("mobilenet_v3_small", (32, 48), weights=None, init_seed=0)
    assert (random.random(), np.random.rand()) == expected     # not reseeded behind the caller's back
    a = features.build_extractor("mobilenet_v3_small", (32, 48), weights=None, init_seed=0)
    b = features.build_extractor("mobilenet_v3_small", (32, 48), weights=None, init_seed=0)
    assert all(np.array_equal(x, y) for x, y in zip(a.model.get_weights(), b.model.get_weights()))


def test_other_backbones_keep_their_labels_and_cache_fields_with_the_pretext_option_added():
    # the pose-pretext option must not change what existing feature caches are keyed by
    ex = features.build_extractor("mobilenet_v3_small", (32, 48), weights=None)
    assert set(ex.cache_fields()) == {"backbone", "layer", "image_size", "weights", "bn_reestimated", "weights_digest"}
    assert ex.description is None
    assert ex.label == f"mobilenet_v3_small @ 32×48, 576-d — {features.OFFLINE_LABEL}, BatchNorm NOT re-estimated"
    with pytest.raises(ValueError, match="pose_pretext"):
        features.build_extractor("resnet9000", 75, weights=None)


def _toy_extractor(size=(8, 8)):
    inp = keras.Input((*size, 3))
    x = keras.layers.BatchNormalization()(keras.layers.Conv2D(4, 3, padding="same")(inp))
    out = keras.layers.GlobalAveragePooling2D()(x)
    return features.Extractor("toy", size, "none (init seed 0)", keras.Model(inp, out), lambda x: x / 255.0, 4)


def test_an_extractor_names_float_frames_and_wrong_sizes():
    ex = _toy_extractor()
    with pytest.raises(ValueError, match=r"float in \[0, 1\]; this extractor wants uint8 0–255: pass viz.to_uint8"):
        ex(np.random.default_rng(0).random((2, 8, 8, 3)).astype(np.float32))
    with pytest.raises(ValueError, match=r"\(N, 8, 8, 3\) at this extractor's image size; got shape \(2, 6, 8, 3\)"):
        ex(np.zeros((2, 6, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="must be uint8 RGB 0–255"):
        ex(np.full((1, 8, 8, 3), -5, np.int16))
    assert ex(np.zeros((2, 8, 8, 3), np.uint8)).shape == (2, 4)


def test_reestimate_batchnorm_refuses_float_frames_and_no_frames():
    ex = _toy_extractor()
    with pytest.raises(ValueError, match=r"float in \[0, 1\]"):
        features.reestimate_batchnorm(ex, np.full((4, 8, 8, 3), 0.5, np.float32))
    with pytest.raises(ValueError, match="needs frames to measure statistics on; got none"):
        features.reestimate_batchnorm(ex, np.zeros((0, 8, 8, 3), np.uint8))
    assert features.reestimate_batchnorm(ex, np.zeros((4, 8, 8, 3), np.uint8)).bn_reestimated


def test_extract_features_names_missing_index_columns(tmp_path):
    import pandas as pd

    with pytest.raises(ValueError,
                       match=r"frame index given to extract_features is missing column\(s\) \['video_id'\]"):
        features.extract_features(pd.DataFrame({"path": ["a.jpg"]}), _toy_extractor(), cache_root=tmp_path,
                                  progress=False)


def test_a_truncated_model_file_in_a_saved_extractor_is_named(tmp_path):
    ex = features.build_extractor("mobilenet_v3_small", 32, weights=None)
    folder = features.save_extractor(ex, tmp_path / "saved")
    again = features.load_extractor(folder)
    frames = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    np.testing.assert_allclose(again(frames), ex(frames), rtol=1e-5, atol=1e-6)
    data = (folder / "extractor.keras").read_bytes()
    (folder / "extractor.keras").write_bytes(data[: len(data) // 2])
    with pytest.raises(bundle.BundleError, match=r"extractor.keras \(saved extractor\) cannot be loaded.*notebook"):
        features.load_extractor(folder)
