"""Does a generated dance keep its genre? ConvLSTM rollouts judged the way generative video models are judged.

Pixel errors (MSE, PSNR, SSIM) say how far a predicted frame is from the real one; they do not say whether the
prediction still *looks like* the dance it continues. Generative video models are judged on that instead:

* a **classifier trained on real videos** labels the generated ones — if the genre survives, it is recognised
  as often as in the real continuation (the idea behind the Inception Score and "classifier accuracy");
* the **Fréchet distance** between the classifier's embeddings of real and of generated windows (FVD's recipe,
  here with our own small classifier instead of an I3D network) compares whole distributions: it grows when
  generated windows look unlike real ones, even where the label is still right.

This module holds every step, so notebook 06 only calls it:

* :func:`load_predictors` — the per-seed ConvLSTMs notebook 05 saved, refused with a clear message when missing
  or trained with other parameters;
* :func:`assign_videos` — videos neither model has seen, split by YouTube id into a classifier set and an
  evaluation set (disjointness checked); :func:`spread_rows` keeps a few evenly spaced windows per video;
* :func:`build_genre_classifier`, :func:`train_classifiers`, :func:`classify_windows` — a small 3-D CNN over
  grayscale windows (by default over their frame differences: it judges motion, so a frozen window cannot pass on
  its looks) with a low-dimensional ``embedding`` layer before its softmax, trained once per seed;
* :func:`fast_rollout` — the same rollout as :func:`~choreo_utils.prediction.rollout`, one frame per step
  (the ConvLSTM's state is carried instead of re-running the whole sequence), checked equal to it;
* :func:`horizon_windows`, :func:`evaluate_rollouts` — windows of the predicted frames (never the context),
  classified for the real continuation, the ConvLSTM and the two baselines, by horizon, in a tidy table (with
  each window's :func:`motion_energy`);
* :func:`frechet_distance`, :func:`frechet_distance_from_features`, :func:`halves`, :func:`frechet_by_horizon` —
  the distance, and its real-vs-real floor at the same sample sizes;
* :func:`unit_accuracy`, :func:`accuracy_table`, :func:`compare_accuracy`, :func:`above_chance`,
  :func:`frechet_table`, :func:`compare_frechet`, :func:`keeps_genre` — intervals over seeds and YouTube ids
  (:mod:`choreo_utils.stats`) and the plain answer.

Keras and SciPy are imported inside the functions: importing this module does not import TensorFlow.
"""
from __future__ import annotations

import dataclasses
import json
import os
import warnings
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from choreo_utils.checks import positive_int
from choreo_utils.config import GENRES
from choreo_utils.prediction.frames import check_frames, to_unit
from choreo_utils.prediction.study import SeedRun, over_seeds

#: Where each window of frames comes from: the real continuation, our model, and the two baselines.
WINDOW_SOURCES: tuple[str, ...] = ("real", "ConvLSTM", "copy-last", "linear")
#: Fewer samples per embedding dimension than this and a Fréchet distance is mostly noise (warned).
MIN_SAMPLES_PER_DIM = 5
#: The two ways of choosing videos (``GEN_VIDEOS``): see :func:`assign_videos`.
VIDEO_MODES = ("unseen", "05-split")
_RUN_05 = "run notebook 05 first with the same parameters"


class FrechetSampleWarning(UserWarning):
    """A Fréchet distance computed from fewer than ``MIN_SAMPLES_PER_DIM`` samples per dimension."""


# --------------------------------------------------------------------------------------- Fréchet distance
def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Fréchet (2-Wasserstein) distance between the Gaussians N(mu1, sigma1) and N(mu2, sigma2):
    ``||mu1 - mu2||² + Tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^½)`` — FID's and FVD's formula.

    The matrix square root comes from ``scipy.linalg.sqrtm``. Round-off can give it tiny imaginary parts (dropped)
    or, for singular covariances, an inaccurate or non-finite root (then both covariances get ``1e-6·I`` added, as
    in FID's reference code); a large imaginary part or a root that is still wrong raises ValueError.
    """
    from scipy import linalg  # noqa: PLC0415

    mu1, mu2 = np.atleast_1d(np.asarray(mu1, float)), np.atleast_1d(np.asarray(mu2, float))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, float)), np.atleast_2d(np.asarray(sigma2, float))
    d = mu1.shape[0]
    if mu1.shape != (d,) or mu2.shape != (d,) or sigma1.shape != (d, d) or sigma2.shape != (d, d):
        raise ValueError(f"frechet_distance needs two means of shape (d,) and two covariances of shape (d, d) with "
                         f"one d; got {mu1.shape}, {sigma1.shape}, {mu2.shape}, {sigma2.shape}")
    for name, arr in (("mu1", mu1), ("sigma1", sigma1), ("mu2", mu2), ("sigma2", sigma2)):
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} holds NaN or infinite values: check the features it was computed from")
    def root(product: np.ndarray) -> np.ndarray | None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")    # SciPy warns on singular input; the root is checked here instead
            r = linalg.sqrtm(product)
        ok = np.isfinite(r).all() and np.abs(r @ r - product).max() <= 1e-4 * max(1.0, float(np.abs(product).max()))
        return r if ok else None

    covmean = root(sigma1 @ sigma2)
    if covmean is None:
        eps = 1e-6 * np.eye(d)
        covmean = root((sigma1 + eps) @ (sigma2 + eps))
        if covmean is None:
            raise ValueError("no accurate matrix square root of sigma1·sigma2, even after adding 1e-6·I: "
                             "the covariances are degenerate (constant features?); use more samples or fewer "
                             "dimensions")
    if np.iscomplexobj(covmean):
        scale = max(1.0, float(np.abs(covmean.real).max()))
        if np.abs(covmean.imag).max() > 1e-3 * scale:
            raise ValueError(f"the matrix square root of sigma1·sigma2 has an imaginary part of "
                             f"{np.abs(covmean.imag).max():.3g} (more than round-off): a covariance is not positive "
                             "semi-definite; compute them with np.cov from real features")
        covmean = covmean.real
    diff = mu1 - mu2
    value = float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))
    tol = 1e-6 * max(1.0, float(np.trace(sigma1) + np.trace(sigma2)))
    if value < -tol:
        raise ValueError(f"Fréchet distance came out negative ({value:.3g}): the covariances are not valid "
                         "(positive semi-definite) matrices")
    return max(value, 0.0)


def frechet_distance_from_features(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between the Gaussians fitted to two sets of feature vectors, ``a`` (n1, d) and ``b`` (n2, d).

    Each set needs more samples than dimensions (else its covariance is singular: ValueError); fewer than
    ``MIN_SAMPLES_PER_DIM`` per dimension is warned (:class:`FrechetSampleWarning`). The estimate is biased
    upwards by an amount that shrinks with n, so compare distances only at equal sample sizes.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"features must be (samples, dims) arrays; got shapes {a.shape} and {b.shape}")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"the two feature sets have different dimensions ({a.shape[1]} and {b.shape[1]}): compute "
                         "them with the same network and layer")
    d = a.shape[1]
    for name, x in (("a", a), ("b", b)):
        if x.shape[0] <= d:
            raise ValueError(f"feature set {name} has {x.shape[0]} samples for {d} dimensions: a covariance needs "
                             f"more samples than dimensions (at least {MIN_SAMPLES_PER_DIM * d} for a stable "
                             "estimate); use more windows or a smaller embedding")
        if not np.isfinite(x).all():
            raise ValueError(f"feature set {name} holds NaN or infinite values")
    n = min(len(a), len(b))
    if n < MIN_SAMPLES_PER_DIM * d:
        warnings.warn(f"Fréchet distance from {n} samples for {d} dimensions (< {MIN_SAMPLES_PER_DIM} per "
                      "dimension): the estimate is noisy and biased upwards", FrechetSampleWarning, stacklevel=2)
    return frechet_distance(a.mean(axis=0), np.cov(a, rowvar=False), b.mean(axis=0), np.cov(b, rowvar=False))


# -------------------------------------------------------------------------------- notebook 05's models
def predictor_folder(seed: int) -> Path:
    """``artifacts/models/05_convlstm_seed<seed>``: where notebook 05 saves the ConvLSTM trained under ``seed``."""
    from choreo_utils import config  # noqa: PLC0415

    return config.models_dir() / f"05_convlstm_seed{int(seed)}"


def _plain(value: Any) -> Any:
    """JSON's view of a value (tuples become lists), so a stored and a given parameter compare equal."""
    return json.loads(json.dumps(value))


def load_predictors(seeds: Sequence[int], parameters: Mapping[str, Any],
                    folder: Callable[[int], os.PathLike] = predictor_folder) -> tuple[dict[int, Any], dict[str, Any]]:
    """The ConvLSTM notebook 05 trained under each seed, ``({seed: model}, description of the first)``.

    ``parameters`` are this notebook's values of the notebook-05 parameters the models depend on (PRED_SIZE,
    PRED_SEQ_LEN, the data settings, ...); each saved model's ``model.json`` must record the same values under
    ``"parameters"``. A missing folder (FileNotFoundError) or any difference (ValueError, naming every differing
    parameter) says to run notebook 05 first with the same parameters. Every model must also record the same
    videos per split (one run of notebook 05)."""
    from choreo_utils import config  # noqa: PLC0415
    from choreo_utils.prediction.models import load_predictor  # noqa: PLC0415

    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("load_predictors needs at least one seed (PRED_SEEDS)")
    models, first = {}, None
    for seed in seeds:
        path = Path(folder(seed))
        where = config.relative_to_root(path)
        if not (path / "model.keras").is_file():
            raise FileNotFoundError(f"no ConvLSTM of seed {seed} in {where}: {_RUN_05} (it saves one model per seed "
                                    "of PRED_SEEDS there)")
        model, meta = load_predictor(path)
        saved = meta.get("parameters")
        if not isinstance(saved, dict):
            raise ValueError(f"{where} was saved by an older notebook 05 that did not record its parameters: {_RUN_05}")
        diffs = [f"{k} = {saved.get(k, '(not recorded)')!r} there, {_plain(v)!r} here" for k, v in parameters.items()
                 if _plain(saved.get(k, "(not recorded)")) != _plain(v)]
        if meta.get("seed") != seed:
            diffs.append(f"seed = {meta.get('seed')!r} there, {seed} here")
        if diffs:
            raise ValueError(f"the ConvLSTM in {where} was trained with other parameters ({'; '.join(diffs)}): "
                             f"{_RUN_05}")
        if first is not None and _plain(meta.get("videos")) != _plain(first.get("videos")):
            raise ValueError(f"the saved ConvLSTMs of seeds {seeds[0]} and {seed} come from different runs of notebook "
                             f"05 (different videos): {_RUN_05}")
        models[seed], first = model, first or meta
    return models, first


# ------------------------------------------------------------------------------------------------ videos
def video_table(index: pd.DataFrame) -> pd.DataFrame:
    """One row per video of a frame index: genre, video_id, youtube_id and its number of frames."""
    return (index.groupby("video_id", sort=True)
            .agg(genre=("genre", "first"), youtube_id=("youtube_id", "first"), frames=("frame", "size"))
            .reset_index()[["genre", "video_id", "youtube_id", "frames"]])


def assign_videos(index: pd.DataFrame, used: Mapping[str, Sequence[str]], mode: str = "unseen",
                  eval_ratio: float = 0.5, seed: int = 0) -> pd.DataFrame:
    """Every video with a ``role``: ``"classifier"`` (trains the genre classifier), ``"evaluation"`` (context and
    continuation to roll out), or ``"05 train"``/``"05 val"``/``"05 test"``/``"unused"`` (set aside).

    ``used`` maps notebook 05's splits (train, val, test) to the video ids it took (its saved description).
    ``mode="unseen"``: only YouTube ids notebook 05 never touched, split by YouTube id per genre
    (``clips.grouped_split``, ``eval_ratio`` of each genre's ids to evaluation). ``mode="05-split"`` (for sets
    where notebook 05 took every video): the classifier learns on 05's training videos (the genre classifier
    never sees an evaluation video, which is what matters), evaluation uses 05's test videos. Either way no
    YouTube id is on both sides, and no evaluation video was used to train or choose the ConvLSTM — checked here.
    """
    from choreo_utils import clips  # noqa: PLC0415

    if mode not in VIDEO_MODES:
        raise ValueError(f"GEN_VIDEOS must be one of {VIDEO_MODES}; got {mode!r}")
    videos = video_table(index)
    known = set(videos["video_id"])
    split_of = {}
    for split, ids in used.items():
        missing = sorted(set(ids) - known)
        if missing:
            raise ValueError(f"{len(missing)} video(s) notebook 05 used for {split} are not in this frame index (e.g. "
                             f"{missing[0]!r}): the data differ from notebook 05's; {_RUN_05}")
        split_of.update({v: split for v in ids})
    youtube = dict(zip(videos["video_id"], videos["youtube_id"]))
    seen = {split: {youtube[v] for v in ids} for split, ids in used.items()}
    touched = set().union(*seen.values()) if seen else set()
    role = np.array([f"05 {split_of[v]}" if v in split_of else "unused" for v in videos["video_id"]], dtype=object)
    if mode == "unseen":
        pool = ~videos["youtube_id"].isin(touched).to_numpy()
        if pool.sum() == 0:
            raise ValueError("notebook 05 used every YouTube id of this data set (PRED_VIDEOS_PER_GENRE), so no video "
                             "is left that neither model has seen: set GEN_VIDEOS = '05-split', or lower "
                             "PRED_VIDEOS_PER_GENRE and run notebook 05 again")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")        # a genre with a single unseen YouTube id: classifier only
            split = clips.grouped_split(videos[pool], test_ratio=eval_ratio, seed=seed, group="youtube_id",
                                        stratify="genre")["split"]
        role[pool] = np.where(split == "test", "evaluation", "classifier")
    else:
        role[role == "05 train"] = "classifier"
        role[role == "05 test"] = "evaluation"
    videos["role"] = role
    check_disjoint(videos, seen, mode)
    return videos


def check_disjoint(videos: pd.DataFrame, seen: Mapping[str, set], mode: str) -> None:
    """RuntimeError unless the evaluation videos share no YouTube id with the classifier's, nor with the videos
    notebook 05 trained or chose its model on — nor, for ``mode="unseen"``, with any video notebook 05 touched
    (and then the classifier's videos neither)."""
    ev = set(videos.loc[videos["role"] == "evaluation", "youtube_id"])
    cl = set(videos.loc[videos["role"] == "classifier", "youtube_id"])
    if not ev or not cl:
        raise RuntimeError(f"no {'evaluation' if not ev else 'classifier'} videos: the data set is too small for "
                           "this split; use more videos per genre (or GEN_EVAL_RATIO between 0 and 1)")
    checks = [("evaluation", ev, "the classifier's videos", cl),
              ("evaluation", ev, "notebook 05's training videos", seen.get("train", set())),
              ("evaluation", ev, "notebook 05's validation videos", seen.get("val", set()))]
    if mode == "unseen":
        checks += [("evaluation", ev, "notebook 05's test videos", seen.get("test", set())),
                   ("classifier", cl, "notebook 05's videos", set().union(set(), *seen.values()))]
    for role, ids, name, other in checks:
        shared = ids & set(other)
        if shared:
            raise RuntimeError(f"{len(shared)} YouTube id(s) of the {role} videos are also among {name} (e.g. "
                               f"{sorted(shared)[0]!r}): the split leaks")


def spread_rows(table: pd.DataFrame, per_video: int) -> pd.DataFrame:
    """At most ``per_video`` rows (windows) of each video of a sequence table, their starts evenly spread over the
    video (the first and the last window included)."""
    per_video = positive_int(per_video, "per_video")
    keep = []
    for _, rows in table.groupby("video_id", sort=False):
        rows = rows.sort_values("start")
        picks = np.unique(np.linspace(0, len(rows) - 1, min(per_video, len(rows))).round().astype(int))
        keep.extend(rows.index[picks])
    return table.loc[sorted(keep)].reset_index(drop=True)


def window_rows(index: pd.DataFrame, videos: pd.DataFrame, role: str, length: int, per_video: int) -> pd.DataFrame:
    """Sequence table of ``length``-frame windows of the videos with ``role``, ``per_video`` spread per video."""
    from choreo_utils.prediction.data import sequence_table  # noqa: PLC0415

    ids = videos.loc[videos["role"] == role, "video_id"]
    sub = index[index["video_id"].isin(ids)].reset_index(drop=True)
    return spread_rows(sequence_table(sub, length, stride=1), per_video)


def halves(units: Sequence[Any], labels: Sequence[int], seed: int = 0) -> np.ndarray:
    """0/1 for each row (sequence): its unit (YouTube id) is in half A (0) or B (1).

    Genre by genre, each unit (in an order drawn from ``seed``) joins the half that holds fewer rows so far, so every
    genre is split about evenly and the halves hold about as many rows — a genre with a single unit too. The Fréchet
    floor compares the real windows of one half with those of the other; generated windows of one half are compared
    with the real windows of the other, so both use the same sample sizes."""
    units, labels = np.asarray(list(units), dtype=object), np.asarray(labels)
    if len(units) != len(labels):
        raise ValueError(f"one unit per label is needed: {len(units)} units, {len(labels)} labels")
    rng = np.random.default_rng(seed)
    side: dict[Any, int] = {}
    rows = [0, 0]
    for genre in sorted(set(labels.tolist())):
        ids = sorted({u for u in units[labels == genre] if u not in side})
        for u in (ids[i] for i in rng.permutation(len(ids))):
            side[u] = int(rows[1] < rows[0])
            rows[side[u]] += int((units == u).sum())
    return np.array([side[u] for u in units], dtype=int)


# -------------------------------------------------------------------------------------- the classifier
_LAYERS: dict[str, Any] = {}


def _frame_differences():
    """A Keras layer ``x[:, 1:] - x[:, :-1]`` along time, defined on first use (importing this module must not
    import Keras)."""
    if not _LAYERS:
        import keras  # noqa: PLC0415

        @keras.saving.register_keras_serializable(package="choreo_utils")
        class FrameDifferences(keras.layers.Layer):
            """Frame t+1 minus frame t, for (N, T, H, W, C) → (N, T-1, H, W, C): what moved, not what is there."""

            def call(self, x):
                return x[:, 1:] - x[:, :-1]

            def compute_output_shape(self, input_shape):
                t = input_shape[1]
                return (input_shape[0], None if t is None else t - 1, *input_shape[2:])

        _LAYERS["FrameDifferences"] = FrameDifferences
    return _LAYERS["FrameDifferences"]


def build_genre_classifier(window: int, frame_shape: tuple[int, int, int], n_classes: int = len(GENRES),
                           embed_dim: int = 16, filters: Sequence[int] = (16, 32, 32), motion_only: bool = True,
                           learning_rate: float = 2e-3, seed: int | None = None):
    """A small 3-D CNN over grayscale windows (window, H, W, C) in [0, 1] → genre probabilities.

    Frames are averaged down 2×, three 3×3×3 convolutions (stride 2 in space, and once in time) see motion
    and appearance, global average pooling makes it shift-invariant, a linear ``embedding`` layer of
    ``embed_dim`` units feeds the softmax (the Fréchet distance is computed there). Compiled with sparse
    categorical cross-entropy and Adam. ``seed`` seeds the weights (``runtime.set_seed``)."""
    import keras  # noqa: PLC0415
    from keras import layers  # noqa: PLC0415

    if seed is not None:
        from choreo_utils.runtime import set_seed  # noqa: PLC0415

        set_seed(seed)
    window = positive_int(window, "window", 2)
    embed_dim = positive_int(embed_dim, "embed_dim")
    inp = keras.Input((window, *frame_shape), name="window")
    x = layers.AveragePooling3D((1, 2, 2), padding="same", name="half_size")(inp)
    if motion_only:
        x = _frame_differences()(name="frame_differences")(x)
    for i, f in enumerate(filters):
        x = layers.Conv3D(int(f), 3, strides=(2 if i == 1 else 1, 2, 2), padding="same", activation="relu",
                          name=f"conv{i + 1}")(x)
    x = layers.GlobalAveragePooling3D(name="pool")(x)
    emb = layers.Dense(embed_dim, name="embedding")(x)
    out = layers.Dense(n_classes, activation="softmax", name="genre")(emb)
    model = keras.Model(inp, out, name="genre_classifier")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def train_classifiers(build: Callable[[], Any], x: np.ndarray, labels: Sequence[int], seeds: Sequence[int],
                      epochs: int, batch_size: int = 32, progress: bool = True) -> tuple[Any, list[SeedRun]]:
    """Train ``build()`` on windows ``x`` with integer genre ``labels`` once per seed; ``(model, runs)``.

    Built (and traced) once under the first seed; later seeds get the weights a fresh build under them would have
    (``runtime.reinitialize``). The model ends with the last seed's weights; ``prediction.with_weights(model, run)``
    switches."""
    from choreo_utils.training import fit  # noqa: PLC0415

    x = to_unit(check_frames(x, ndim=(5,), name="windows"), "windows")
    y = np.asarray(labels, dtype=np.int64)
    if len(y) != len(x):
        raise ValueError(f"one label per window is needed: {len(x)} windows, {len(y)} labels")
    epochs, batch_size = positive_int(epochs, "epochs"), positive_int(batch_size, "batch_size")
    return over_seeds(build, seeds, lambda model, seed: fit(
        model, x, y, epochs=epochs, batch_size=batch_size, seed=seed,
        progress=f"genre classifier, seed {seed}" if progress else None), what="train_classifiers")


def classify_windows(model: Any, windows: np.ndarray, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """``(probabilities (N, classes), embeddings (N, d))`` of the genre classifier for windows (N, T, H, W, C)."""
    import keras  # noqa: PLC0415

    windows = to_unit(check_frames(windows, ndim=(5,), name="windows"), "windows")
    expected = tuple(model.input_shape[1:])
    if tuple(windows.shape[1:]) != expected:
        raise ValueError(f"windows are shaped {windows.shape[1:]} but the classifier takes {expected} (window, H, W, "
                         "C): cut windows of its length from frames of its size")
    both = keras.Model(model.input, [model.output, model.get_layer("embedding").output])
    probs, emb = [], []
    for i in range(0, len(windows), batch_size):
        p, e = both.predict_on_batch(windows[i:i + batch_size])
        probs.append(np.asarray(p))
        emb.append(np.asarray(e))
    return np.concatenate(probs), np.concatenate(emb).astype(np.float64)


# ------------------------------------------------------------------------------------------------ rollouts
def _step_layers(model: Any) -> dict[str, Any] | None:
    """The layers of a ``build_model`` ConvLSTM (with memory) by role, or None for any other model."""
    try:
        names = {layer.name: layer for layer in model.layers}
    except AttributeError:
        return None
    need = ("previous_frame", "encoder", "convlstm", "squeeze", "local_motion", "decoder")
    if not all(n in names for n in need) or type(names["convlstm"]).__name__ != "ConvLSTM2D":
        return None
    if "delta" not in names and "next_frame" not in names:
        return None
    return {**{n: names[n] for n in need}, "upsample": names.get("upsample"),
            "out": names.get("delta", names.get("next_frame")), "residual": "delta" in names}


def fast_rollout(model: Any, context: np.ndarray, horizon: int, batch_size: int = 64) -> np.ndarray:
    """The rollout of :func:`~choreo_utils.prediction.rollout` (same frames), one frame per step.

    ``prediction.rollout`` re-runs the whole sequence for every new frame (exact for any causal model, but its cost
    grows with the square of the length). For our default ConvLSTM (``build_model``, with memory) this steps its
    layers instead: the encoder sees frames t-1 and t, the ConvLSTM cell carries its state (h, c) from frame to
    frame, the decoder predicts frame t+1, which is clipped to [0, 1] and fed back. Any other model (or a
    callable) falls back to ``prediction.rollout``."""
    from choreo_utils.prediction.rollouts import rollout  # noqa: PLC0415

    parts = _step_layers(model)
    context = to_unit(check_frames(context, ndim=(5,), name="context"), "context")
    horizon = positive_int(horizon, "horizon")
    if parts is None:
        return rollout(model, context, horizon)
    import tensorflow as tf  # noqa: PLC0415
    from keras import ops  # noqa: PLC0415

    cell = parts["convlstm"].cell

    @tf.function(reduce_retracing=True)
    def step(prev, cur, h, c):
        pair = ops.concatenate([prev, cur], axis=-1)[:, None]
        e = parts["encoder"](pair)[:, 0]
        out, (h, c) = cell(e, [h, c])
        m = parts["squeeze"](out[:, None])
        if parts["upsample"] is not None:
            m = parts["upsample"](m)
        d = parts["decoder"](ops.concatenate([m, parts["local_motion"](pair), cur[:, None]], axis=-1))
        y = parts["out"](d)[:, 0]
        return (cur + y if parts["residual"] else y), h, c

    n, c_len = context.shape[:2]
    out = np.empty((n, horizon, *context.shape[2:]), np.float32)
    for i in range(0, n, batch_size):
        ctx = context[i:i + batch_size]
        e_shape = parts["encoder"].compute_output_shape((None, 1, *ctx.shape[2:-1], 2 * ctx.shape[-1]))
        state = np.zeros((len(ctx), *e_shape[2:-1], cell.filters), np.float32)
        h, c = tf.constant(state), tf.constant(state)
        prev = ctx[:, 0]
        for t in range(c_len + horizon - 1):
            cur = ctx[:, t] if t < c_len else out[i:i + batch_size, t - c_len]
            y, h, c = step(tf.constant(prev), tf.constant(cur), h, c)
            if t >= c_len - 1:
                out[i:i + batch_size, t - c_len + 1] = np.clip(y.numpy(), 0.0, 1.0)
            prev = cur
    return out


def horizon_windows(future: np.ndarray, window: int, count: int) -> np.ndarray:
    """Windows ``k = 0..count-1`` of ``window`` frames cut from predicted (or real) continuations (N, T, H, W, C):
    window k holds horizons ``k·window + 1 .. (k+1)·window``. Shape (count, N, window, H, W, C).

    Give it the frames *after* the context (``prediction.split_context``): a window never holds a context frame,
    so copy-last is not credited with the real frames it copies."""
    future = check_frames(future, ndim=(5,), name="future frames")
    window, count = positive_int(window, "window"), positive_int(count, "count")
    if future.shape[1] < window * count:
        raise ValueError(f"{count} windows of {window} frames need {window * count} predicted frames; got "
                         f"{future.shape[1]}")
    return np.stack([future[:, k * window:(k + 1) * window] for k in range(count)])


def motion_energy(windows: np.ndarray) -> np.ndarray:
    """How much each window (N, T, H, W, C) moves: the mean absolute difference between consecutive frames (0 for a
    frozen window such as copy-last's; grey levels in [0, 1])."""
    windows = check_frames(windows, ndim=(5,), name="windows")
    return np.abs(np.diff(windows.astype(np.float32), axis=1)).mean(axis=(1, 2, 3, 4)).astype(float)


def window_labels(window: int, count: int) -> list[str]:
    """``["1–10", "11–20", "21–30"]``: the horizons each window holds."""
    return [f"{k * window + 1}–{(k + 1) * window}" for k in range(count)]


@dataclasses.dataclass
class GenreEval:
    """What :func:`evaluate_rollouts` measured: one row per (seed, source, window, sequence) in ``scores`` (predicted
    genre, correct or not, probability of the true genre, :func:`motion_energy`), and the classifier's embeddings of
    every window, ``embeddings[(seed, source, window)]`` (N, d)."""

    scores: pd.DataFrame
    embeddings: dict[tuple[int, str, int], np.ndarray]
    window: int
    count: int


def evaluate_rollouts(classifier: Any, classifier_runs: Sequence[SeedRun], predictors: Mapping[int, Any],
                      context: np.ndarray, future: np.ndarray, labels: Sequence[int], units: Sequence[Any],
                      window: int, count: int, rollout: Callable[..., np.ndarray] = fast_rollout,
                      progress: bool = True) -> GenreEval:
    """Roll out every sequence with the ConvLSTM of each seed and with the two baselines, cut the real and the
    predicted continuations into ``count`` windows of ``window`` frames, and classify each window with the genre
    classifier of the same seed (``classifier`` takes ``classifier_runs[i].weights``; ConvLSTM seed i is judged by
    classifier seed i; the baselines and the real frames have no seed and are judged by every classifier).

    ``context`` (N, c, H, W, C) and ``future`` (N, ≥ count·window, H, W, C) are the real frames;
    ``labels`` the genre index and ``units`` the YouTube id of each sequence."""
    from choreo_utils.prediction.rollouts import copy_last_rollout, linear_rollout  # noqa: PLC0415
    from choreo_utils.progress import bar  # noqa: PLC0415

    context = to_unit(check_frames(context, ndim=(5,), name="context"), "context")
    future = to_unit(check_frames(future, ndim=(5,), name="future"), "future")
    labels, units = np.asarray(labels, int), np.asarray(list(units), dtype=object)
    n = len(context)
    if not (len(future) == len(labels) == len(units) == n):
        raise ValueError(f"one context, continuation, label and unit per sequence: got {n}, {len(future)}, "
                         f"{len(labels)}, {len(units)}")
    horizon = window * count
    seeds = [r.seed for r in classifier_runs]
    missing = [s for s in seeds if s not in predictors]
    if missing:
        raise ValueError(f"no ConvLSTM for seed(s) {missing}: the classifier of seed s judges the ConvLSTM of seed s, "
                         "so train both under the same seeds (PRED_SEEDS)")
    fixed = {"real": horizon_windows(future, window, count),
             "copy-last": horizon_windows(copy_last_rollout(context, horizon), window, count),
             "linear": horizon_windows(linear_rollout(context, horizon), window, count)}
    rows, embeddings = [], {}
    for run in bar(classifier_runs, desc="rollouts and windows per seed", unit="seed", disable=not progress):
        classifier.set_weights(run.weights)
        sources = {"real": fixed["real"],
                   "ConvLSTM": horizon_windows(rollout(predictors[run.seed], context, horizon), window, count),
                   "copy-last": fixed["copy-last"], "linear": fixed["linear"]}
        for source, wins in sources.items():
            for k in range(count):
                probs, emb = classify_windows(classifier, wins[k])
                embeddings[(run.seed, source, k + 1)] = emb
                pred = probs.argmax(axis=1)
                rows.append(pd.DataFrame({"seed": run.seed, "source": source, "window": k + 1,
                                          "sequence": np.arange(n), "youtube_id": units, "label": labels,
                                          "predicted": pred, "correct": (pred == labels).astype(float),
                                          "p_true": probs[np.arange(n), labels],
                                          "motion": motion_energy(wins[k])}))
    return GenreEval(pd.concat(rows, ignore_index=True), embeddings, window, count)


# ------------------------------------------------------------------------------------------ the numbers
def unit_accuracy(scores: pd.DataFrame, source: str, window: int) -> np.ndarray:
    """Genre accuracy of ``source`` at ``window``, averaged per YouTube id: a (seeds, units) array (sorted ids),
    what ``stats.paired_bootstrap`` resamples."""
    sel = scores[(scores["source"] == source) & (scores["window"] == window)]
    if sel.empty:
        raise ValueError(f"no scores for source {source!r} at window {window}")
    table = sel.pivot_table(index="seed", columns="youtube_id", values="correct", aggfunc="mean")
    return table.sort_index(axis=0).sort_index(axis=1).to_numpy()


def accuracy_table(scores: pd.DataFrame, labels: Sequence[str] | None = None) -> tuple[pd.DataFrame, dict]:
    """Mean genre accuracy of each source at each window with its 95% interval (seeds and YouTube ids resampled,
    ``stats.paired_bootstrap``); ``(table, {(source, window): Interval})``."""
    from choreo_utils import stats  # noqa: PLC0415

    rows, intervals = [], {}
    for source in [s for s in WINDOW_SOURCES if s in set(scores["source"])]:
        for w in sorted(scores["window"].unique()):
            iv = stats.paired_bootstrap(unit_accuracy(scores, source, w))
            intervals[(source, int(w))] = iv
            rows.append({"source": source, "window": int(w),
                         "horizons": labels[int(w) - 1] if labels is not None else str(w),
                         "accuracy": iv.mean, "low": iv.low, "high": iv.high, "seeds": iv.n_seeds, "units": iv.n_units})
    return pd.DataFrame(rows), intervals


def compare_accuracy(scores: pd.DataFrame, a: str, b: str, window: int):
    """Paired difference of genre accuracy, ``a`` minus ``b`` at ``window`` (same seeds, same YouTube ids), with its
    95% interval (``stats.paired_bootstrap``)."""
    from choreo_utils import stats  # noqa: PLC0415

    return stats.paired_bootstrap(unit_accuracy(scores, a, window), unit_accuracy(scores, b, window))


def frechet_by_horizon(result: GenreEval, half: Sequence[int]) -> pd.DataFrame:
    """Fréchet distance between real and generated windows, per seed, source and window, on the classifier's
    embedding — next to the real-vs-real floor at the same sample sizes.

    ``half`` (0/1 per sequence, :func:`halves`) splits the sequences by YouTube id into A and B. For a generated
    source: the mean of FD(generated A, real B) and FD(generated B, real A). For ``"real"`` (the floor):
    FD(real A, real B) — the distance two sets of real windows of these sizes have anyway."""
    half = np.asarray(half, int)
    a, b = half == 0, half == 1
    if a.sum() == 0 or b.sum() == 0:
        raise ValueError("both halves need sequences: split them with genre_eval.halves(units, labels)")
    rows = []
    for (seed, source, w), emb in result.embeddings.items():
        real = result.embeddings[(seed, "real", w)]
        if source == "real":
            fd = frechet_distance_from_features(real[a], real[b])
        else:
            fd = 0.5 * (frechet_distance_from_features(emb[a], real[b])
                        + frechet_distance_from_features(emb[b], real[a]))
        rows.append({"seed": seed, "source": source, "window": w, "fd": fd, "n_a": int(a.sum()), "n_b": int(b.sum()),
                     "d": emb.shape[1]})
    return pd.DataFrame(rows)


def frechet_table(fd: pd.DataFrame, labels: Sequence[str] | None = None) -> tuple[pd.DataFrame, dict]:
    """Mean Fréchet distance over seeds of each source at each window, with a 95% Student-t interval over seeds
    (``stats.mean_interval``); ``(table, {(source, window): Interval})``. Source ``"real"`` is the floor."""
    from choreo_utils import stats  # noqa: PLC0415

    rows, intervals = [], {}
    for source in [s for s in WINDOW_SOURCES if s in set(fd["source"])]:
        for w in sorted(fd["window"].unique()):
            vals = fd.loc[(fd["source"] == source) & (fd["window"] == w)].sort_values("seed")["fd"].to_numpy()
            iv = stats.mean_interval(vals)
            intervals[(source, int(w))] = iv
            rows.append({"source": source, "window": int(w),
                         "horizons": labels[int(w) - 1] if labels is not None else str(w),
                         "fd": iv.mean, "low": iv.low, "high": iv.high, "seeds": iv.n_seeds})
    return pd.DataFrame(rows), intervals


def compare_frechet(fd: pd.DataFrame, a: str, b: str, window: int):
    """How much lower ``a``'s Fréchet distance is than ``b``'s at ``window`` (``b - a``, paired by seed), with a
    Student-t interval over seeds (``stats.paired_difference``): positive when ``a`` is closer to real windows."""
    from choreo_utils import stats  # noqa: PLC0415

    def per_seed(source):
        return fd.loc[(fd["source"] == source) & (fd["window"] == window)].sort_values("seed")["fd"].to_numpy()

    return stats.paired_difference(per_seed(b), per_seed(a))


def above_chance(scores: pd.DataFrame, source: str, window: int, chance: float):
    """Genre accuracy of ``source`` at ``window`` minus ``chance``, with its 95% interval (``stats.paired_bootstrap``
    over seeds and YouTube ids): above zero when the genre is recognised more often than by guessing."""
    from choreo_utils import stats  # noqa: PLC0415

    return stats.paired_bootstrap(unit_accuracy(scores, source, window) - float(chance))


def keeps_genre(vs_real: Sequence[Any], above_chance: Sequence[Any]) -> dict[str, int]:
    """For how many windows, from the first, the generated dance keeps its genre, given one interval per window:

    * ``"as_real"``: its accuracy is not measurably below the real continuation's (``vs_real``, the paired difference
      generated − real, does not lie below zero: ``stats.sign >= 0``);
    * ``"above_chance"``: its accuracy lies measurably above chance (``above_chance``, accuracy − chance:
      ``stats.sign > 0``);
    * ``"kept"``: both at once — the definition notebook 06 answers with.

    Each count stops at the first window that fails its rule (0: not even the first window)."""
    from choreo_utils import stats  # noqa: PLC0415

    vs_real, above_chance = list(vs_real), list(above_chance)
    if len(vs_real) != len(above_chance):
        raise ValueError(f"one interval per window for both rules: got {len(vs_real)} and {len(above_chance)}")
    real_ok = [stats.sign(iv) >= 0 for iv in vs_real]
    chance_ok = [stats.sign(iv) > 0 for iv in above_chance]

    def first_run(ok: list[bool]) -> int:
        return next((i for i, good in enumerate(ok) if not good), len(ok))

    return {"as_real": first_run(real_ok), "above_chance": first_run(chance_ok),
            "kept": first_run([a and b for a, b in zip(real_ok, chance_ok)])}
