"""Tests for choreo_utils.profiling: FLOPs, throughput and temporal smoothness of a feature backbone."""
import keras
import numpy as np

from choreo_utils import features, profiling


def _toy_extractor() -> features.Extractor:
    inp = keras.Input((8, 8, 3))
    out = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3, padding="same", use_bias=False)(inp))
    return features.Extractor("toy", (8, 8), "none", keras.Model(inp, out), lambda x: x, 4)


def test_count_flops_matches_a_hand_count():
    ex = _toy_extractor()
    macs = 8 * 8 * 4 * 3 * 3 * 3
    assert 2 * macs <= profiling.count_flops(ex) <= 2 * macs + 8 * 8 * 4 * 2


def test_throughput_counts_frames_per_second_both_ways(monkeypatch):
    # every call costs the same 2 ms: one frame per model.predict call, batch_size frames per batched call
    import time

    ex = _toy_extractor()
    shapes = {"predict": set(), "batched": set()}

    def predict(x, verbose=0):
        shapes["predict"].add(x.shape)
        time.sleep(0.002)

    def batched(self, x):
        shapes["batched"].add(x.shape)
        time.sleep(0.002)

    monkeypatch.setattr(ex.model, "predict", predict)
    monkeypatch.setattr(features.Extractor, "__call__", batched)
    frames = np.zeros((5, 8, 8, 3), np.uint8)
    fast = profiling.throughput(ex, frames, batch_size=8, min_seconds=0.1)
    slow = profiling.throughput(ex, frames, per_frame_predict=True, min_seconds=0.1)
    assert shapes == {"predict": {(1, 8, 8, 3)}, "batched": {(8, 8, 8, 3)}}   # one frame vs a padded batch
    assert slow <= 500 and fast <= 4000                  # at most 1 frame / 2 ms and 8 frames / 2 ms
    assert fast / slow > 4                               # frames are counted per call: batching is not swapped


def test_temporal_smoothness_separates_smooth_from_random():
    rng = np.random.default_rng(0)
    smooth = [np.cumsum(rng.normal(size=(10, 16)), axis=0) * 0.1 + rng.normal(size=16) for _ in range(6)]
    noisy = [rng.normal(size=(10, 16)) for _ in range(6)]
    s, n = profiling.temporal_smoothness(smooth), profiling.temporal_smoothness(noisy)
    assert s["consecutive_frames"] > 0.5 > n["consecutive_frames"]


def test_classifier_training_flops_are_counted_from_the_layers():
    from choreo_utils import classifier

    t, d, u, d1, d2, k = 10, 6, 4, 5, 3, 16
    model = classifier.build_classifier(t, d, lstm_units=u, dense1=d1, dense2=d2)
    by_hand = (2 * t * d                                          # input BatchNorm
               + 2 * t * (2 * 4 * u * (d + u) + 4 * u)            # two directions, four gates, every frame
               + (2 * 2 * u * d1 + d1) + (2 * d1 * d2 + d2) + (2 * d2 * k + k))
    assert profiling.classifier_train_flops(model) == 3 * by_hand
    longer = classifier.build_classifier(2 * t, d, lstm_units=u, dense1=d1, dense2=d2)
    assert profiling.classifier_train_flops(longer) > 1.9 * profiling.classifier_train_flops(model)
    blind = classifier.build_classifier(t, d, lstm_units=u, dense1=d1, dense2=d2, temporal=False)
    assert profiling.classifier_train_flops(blind) == 3 * (2 * t * d + t * d + (2 * d * d1 + d1) + (2 * d1 * d2 + d2)
                                                           + (2 * d2 * k + k))


def test_cpu_model_names_the_processor_and_the_core_count():
    import os

    from choreo_utils import profiling

    text = profiling.cpu_model()
    assert text.endswith(f", {os.cpu_count()} logical cores") and len(text) > len(", 1 logical cores")
