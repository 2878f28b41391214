"""The yardstick of notebook 07: a pose-space genre judge (notebook 03's BiLSTM on pose windows) trained on ids of
its own, and the evaluation of generated dances window by window against the real continuation of the same dances.

* :func:`split_ids` — three disjoint id sets per genre: the generator's, the judge's and the evaluation's;
* :func:`train_judge` / :func:`judge` — the judge, its probabilities and its embedding (the layer before the
  logits, where the Fréchet distance is measured, as FID uses a recogniser's features);
* :func:`evaluate` — recognition (by requested genre), energy and acceleration ratios, FID with its real-vs-real
  floor, diversity, multimodality and nearest-training distance, per source and window.
"""
from __future__ import annotations

import warnings
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from choreo_utils.choreography.poses import Dances, check_disjoint, check_poses
from choreo_utils.choreography.yardsticks import (acceleration, diversity, motion_energy, multimodality,
                                                  nearest_distance)


def split_ids(dances: Dances, shares: Sequence[float] = (0.5, 0.25, 0.25), seed: int = 0) -> list[np.ndarray]:
    """Per genre, its ids shuffled under ``seed`` and cut in ``shares``: disjoint id arrays (checked), each holding
    every genre (a ValueError names a genre with too few ids)."""
    rng = np.random.default_rng(seed)
    shares = np.asarray(shares, float) / np.sum(shares)
    out: list[list[str]] = [[] for _ in shares]
    for g in np.unique(dances.genres):
        ids = np.unique(dances.ids[dances.genres == g])
        if len(ids) < len(shares):
            raise ValueError(f"genre {dances.genre_names[g]!r} has {len(ids)} ids; {len(shares)} disjoint sets "
                             "need one each: generate more videos per genre")
        rng.shuffle(ids)
        exact = shares * len(ids)
        counts = np.floor(exact).astype(int)
        counts[np.argsort(counts - exact)[:len(ids) - counts.sum()]] += 1   # largest remainders get the rest
        while (counts == 0).any():                           # every set holds every genre
            counts[counts.argmax()] -= 1
            counts[np.flatnonzero(counts == 0)[0]] += 1
        for part, chunk in zip(out, np.split(ids, np.cumsum(counts)[:-1])):
            part.extend(chunk)
    check_disjoint(**{f"set {i}": ids for i, ids in enumerate(out)})
    return [np.array(sorted(p)) for p in out]


def judged(windows: np.ndarray) -> np.ndarray:
    """What the judge sees of pose windows (N, T, joints, 2): each joint's track relative to its place in the
    window's first frame, flattened per frame (N, T, values). So it judges how the dancers move, not where they
    stand: a frozen dance is all zeros, and the drift of the hip's travel over a long dance does not matter."""
    windows = check_poses(windows, "windows")
    return (windows - windows[:, :1]).reshape(len(windows), windows.shape[1], -1)


def window_arrays(dances: Dances, length: int, stride: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every ``length``-frame window at ``stride`` of every dance: (windows, length, joints, 2), their genre
    labels and ids."""
    starts = range(0, dances.poses.shape[1] - int(length) + 1, int(stride))
    x = np.concatenate([dances.poses[:, s:s + int(length)] for s in starts])
    reps = len(starts)
    return x, np.tile(dances.genres, reps), np.tile(dances.ids, reps)


def train_judge(train: Dances, val: Dances, window: int = 30, stride: int = 10, seed: int = 0, epochs: int = 60,
                patience: int = 10, progress: bool | str = False):
    """Notebook 03's Table I BiLSTM trained on ``window``-frame pose windows of ``train`` (as :func:`judged`
    sees them; early stopping on
    ``val``, best weights kept; input BatchNorm started at the data's statistics): the Keras model."""
    import keras  # noqa: PLC0415

    from choreo_utils import classifier  # noqa: PLC0415
    from choreo_utils.training import seeded_model  # noqa: PLC0415

    (x, y, _), (xv, yv, _) = window_arrays(train, window, stride), window_arrays(val, window, stride)
    x, xv = judged(x), judged(xv)
    n = len(train.genre_names)
    model = seeded_model(None, lambda: classifier.build_classifier(
        window, x.shape[2], n_classes=n, **classifier.model_kwargs(dict(classifier.PRESETS["table1"],
                                                                         learning_rate=3e-3))), seed)
    classifier.init_input_statistics(model, x)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=int(patience), restore_best_weights=True)
    classifier.train(model, x, y, xv, yv, epochs=int(epochs), batch_size=32, seed=seed, callbacks=[stop],
                     progress=progress)
    return model


def judge(model, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(probabilities (N, genres), embeddings (N, d))`` of the judge for pose windows (N, T, joints, 2)."""
    import keras  # noqa: PLC0415

    x = judged(windows)
    if tuple(x.shape[1:]) != tuple(model.input_shape[1:]):
        raise ValueError(f"windows are {x.shape[1:]} (frames, values) but the judge takes {model.input_shape[1:]}")
    both = keras.Model(model.input, [model.output, model.get_layer("dense2").output])
    probs, emb = both.predict(x, batch_size=256, verbose=0)
    return np.asarray(probs), np.asarray(emb, dtype=np.float64)


def _fid(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance of two embedding sets, NaN where either has no more samples than dimensions (the sample
    count per dimension is the caller's to print: the low-count warning is not repeated for every window)."""
    from choreo_utils.prediction.frechet import frechet_distance_from_features  # noqa: PLC0415

    if min(len(a), len(b)) <= a.shape[1]:
        return float("nan")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Fréchet distance from")
        return frechet_distance_from_features(a, b)


def copy_space(training_windows: np.ndarray, variance: float = 0.99):
    """The space the not-a-copy test measures in: each window's tracks about their own mean over the window (so a
    copy shifted anywhere on the stage is still a copy, and no single frame's noise shifts the whole window), in
    the principal components of the training windows that hold ``variance`` of their variance. Dancing lives in a
    few dozen directions; noise added to a copied clip spreads over all of them, so projecting drops nearly all of
    it — and a copy disguised with noise is still found to be a copy. Returns ``(project, reference)``: a function
    from windows to their coordinates, and the training windows' coordinates."""
    from sklearn.decomposition import PCA  # noqa: PLC0415

    def centred(windows: np.ndarray) -> np.ndarray:
        windows = check_poses(windows, "windows")
        return (windows - windows.mean(axis=1, keepdims=True)).reshape(len(windows), -1)

    pca = PCA(n_components=float(variance), svd_solver="full").fit(centred(training_windows))

    def project(windows: np.ndarray) -> np.ndarray:
        return pca.transform(centred(windows))

    return project, pca.transform(centred(training_windows))


def evaluate(model, real: np.ndarray, sources: Mapping[str, np.ndarray], genres: np.ndarray,
             training_windows: np.ndarray, window: int = 30, seed: int = 0) -> dict[str, Any]:
    """Judge each source's generated frames against the real continuation, window by window, seed by seed.

    ``real`` (N, H, joints, 2) is the real continuation of N evaluation dances; ``sources`` maps a name to
    (seeds, N, H, joints, 2) generated frames (a deterministic baseline has one seed); ``genres`` (N,) the asked
    genre. Windows of ``window`` frames at 0, window, 2·window, ... Returns ``{"correct": {source: (seeds, N,
    windows)}, "table": DataFrame (one row per source × seed × window: recognition, energy and acceleration ratios,
    FID, diversity, multimodality, median nearest-training distance), "floor": real-vs-real FID per window,
    "half": the dances of half A, "pairs": pairs drawn for diversity and multimodality}``; source ``"real"`` is the
    real continuation itself. FID is measured at equal sample sizes: the windows of one half of the dances
    (generated, or real for the floor) against the real windows of the other half (NaN where a half has no more
    windows than the embedding has dimensions). Nearest-training distances compare each window, in
    :func:`copy_space`, with every ``training_windows`` window (pass them at
    stride 1, so a copied clip finds itself): a copy scores about 0, with or without added noise."""
    real = check_poses(real, "real continuation")
    count = real.shape[1] // int(window)
    genres = np.asarray(genres)
    project, reference = copy_space(training_windows)
    cut = [slice(k * window, (k + 1) * window) for k in range(count)]
    real_out = [judge(model, real[:, c]) for c in cut]
    half = np.random.default_rng(seed).permutation(len(real)) < len(real) // 2
    floor = [_fid(e[half], e[~half]) for _, e in real_out]
    real_energy = [motion_energy(real[:, c]).mean() for c in cut]
    real_accel = [acceleration(real[:, c]).mean() for c in cut]
    rows, correct, pairs = [], {}, {}
    for name, frames in {"real": real[None], **dict(sources)}.items():
        frames = np.asarray(frames)
        if frames.ndim != 5 or frames.shape[1:3] != (len(real), real.shape[1]):
            raise ValueError(f"source {name!r} must be (seeds, {len(real)}, {real.shape[1]}, joints, 2) like the real "
                             f"continuation; got {frames.shape}")
        hits = np.zeros((frames.shape[0], frames.shape[1], count))
        for s in range(len(frames)):
            for k, c in enumerate(cut):
                w = frames[s, :, c]
                probs, emb = real_out[k] if name == "real" else judge(model, w)
                hits[s, :, k] = probs.argmax(1) == genres
                fid = floor[k] if name == "real" else (_fid(emb[half], real_out[k][1][~half])
                                                       + _fid(emb[~half], real_out[k][1][half])) / 2
                div, n_div = diversity(emb, seed=seed)
                multi, n_multi = multimodality(emb, genres, seed=seed)
                pairs = {"diversity": n_div, "multimodality": n_multi}
                rows.append({
                    "source": name, "seed": s, "window": f"{k * window + 1}-{(k + 1) * window}",
                    "recognition": float(hits[s, :, k].mean()),
                    "energy_ratio": float(motion_energy(w).mean() / real_energy[k]),
                    "acceleration_ratio": float(acceleration(w).mean() / real_accel[k]),
                    "fid": float(fid), "diversity": div, "multimodality": multi,
                    "nn_distance": float(np.median(nearest_distance(project(w), reference)))})
        correct[name] = hits
    return {"correct": correct, "table": pd.DataFrame(rows), "floor": floor, "half": half, "pairs": pairs,
            "copy_components": int(reference.shape[1])}
