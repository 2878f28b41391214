"""The paper's BiLSTM genre classifier over clips of per-frame features, its baselines and evaluation.

Architecture (paper, Table I/II): BatchNormalization → Bidirectional(LSTM) → Dropout → Dense → Dense →
Dense(16, linear) → softmax, trained with categorical cross-entropy and Adam on one-hot labels.
Evaluation is at clip level and at video level (clip probabilities averaged per video), always on a
split grouped by YouTube id.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from choreo_utils.checks import positive_int
from choreo_utils.config import GENRES
from choreo_utils.progress import label
from choreo_utils.training import STEPS_PER_EXECUTION, TrainResult, fit, seeded_model

#: The paper's two configurations. Table I is untuned; Table II is what its Hyperband search found.
PRESETS: dict[str, dict[str, Any]] = {
    "table1": {"lstm_units": 64, "dropout": 0.2, "dense1": 32, "dense2": 16, "activation": "relu",
               "learning_rate": 1e-3, "epochs": 20, "batch_size": 128},
    "table2": {"lstm_units": 448, "dropout": 0.2, "dense1": 320, "dense2": 160, "activation": "tanh",
               "learning_rate": 1e-4, "epochs": 20, "batch_size": 128},
}
_MODEL_KEYS = ("lstm_units", "dropout", "dense1", "dense2", "activation", "learning_rate", "bn_momentum")


def _units(value: Any, name: str) -> int:
    """Keras 3 rejects float units (the original ``Dense(fc_units/2)``): insist on whole numbers (32.0 is 32)."""
    if isinstance(value, (float, np.floating)):
        if not float(value).is_integer():
            raise ValueError(f"{name} must be a whole number of units, got {value} (use // for halving)")
        value = int(value)
    return positive_int(value, name)


def model_kwargs(preset_or_params: str | dict[str, Any]) -> dict[str, Any]:
    """The model-building subset of a preset name or a parameter dict."""
    params = PRESETS[preset_or_params] if isinstance(preset_or_params, str) else preset_or_params
    return {k: params[k] for k in _MODEL_KEYS if k in params}


def build_classifier(clip_len: int, feature_dim: int, n_classes: int = len(GENRES), lstm_units: int = 64,
                     dropout: float = 0.2, dense1: int = 32, dense2: int = 16, activation: str = "relu",
                     learning_rate: float = 1e-3, temporal: bool = True, name: str | None = None,
                     bn_momentum: float = 0.99):
    """The paper's classifier; ``temporal=False`` swaps the BiLSTM for a mean over frames (order-blind baseline).

    ``bn_momentum`` is the input BatchNorm's moving-average momentum (Keras default 0.99: with ~5 updates per
    epoch its moving statistics are still mostly initial values after a 2-epoch trial)."""
    import keras  # noqa: PLC0415
    from keras import layers  # noqa: PLC0415

    lstm_units, dense1, dense2 = (_units(lstm_units, "lstm_units"), _units(dense1, "dense1"),
                                  _units(dense2, "dense2"))
    inputs = keras.Input((int(clip_len), int(feature_dim)), name="clip_features")
    x = layers.BatchNormalization(momentum=bn_momentum, name="bn")(inputs)
    if temporal:
        x = layers.Bidirectional(layers.LSTM(lstm_units), name="bilstm")(x)
    else:
        x = layers.GlobalAveragePooling1D(name="mean_over_frames")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    x = layers.Dense(dense1, activation=activation, name="dense1")(x)
    x = layers.Dense(dense2, activation=activation, name="dense2")(x)
    x = layers.Dense(n_classes, name="logits")(x)            # linear
    outputs = layers.Softmax(name="softmax")(x)
    model = keras.Model(inputs, outputs, name=name or ("bilstm_classifier" if temporal else "mean_pool_baseline"))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="categorical_crossentropy",
                  metrics=["accuracy"], steps_per_execution=STEPS_PER_EXECUTION)
    return model


def loss_and_accuracy(probs: np.ndarray, labels: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Keras' categorical cross-entropy and accuracy of probabilities ``(..., clips, classes)`` for integer
    ``labels`` (clips,), each a mean over the clips axis — what ``model.fit`` reports as ``val_loss`` and
    ``val_accuracy``, for one model ``(clips, classes)`` or many towers ``(towers, clips, classes)``."""
    import keras  # noqa: PLC0415

    probs, labels = np.asarray(probs), np.asarray(labels, dtype=int)
    target = np.broadcast_to(one_hot(labels, probs.shape[-1]), probs.shape)
    loss = np.asarray(keras.losses.categorical_crossentropy(target, probs), np.float64)
    return loss.mean(axis=-1), (probs.argmax(axis=-1) == labels).mean(axis=-1)


def validation_numbers(model, x: np.ndarray, labels: Sequence[int], chunk: int = 1024) -> dict[str, float]:
    """``val_loss`` and ``val_accuracy`` of a softmax classifier on clips ``x`` (:func:`loss_and_accuracy`), from
    one ``predict_on_batch`` per ``chunk`` clips instead of Keras' per-epoch evaluation loop."""
    loss, accuracy = loss_and_accuracy(predict_proba(model, x, batch_size=chunk), labels)
    return {"val_loss": float(loss), "val_accuracy": float(accuracy)}


def init_input_statistics(model, x: np.ndarray) -> None:
    """Start the input BatchNorm's moving statistics at the per-feature mean and variance of the training clips
    ``x`` (clips, frames, features), instead of Keras' initial 0 and 1.

    Why: with momentum 0.99 and ~17 batches per epoch the moving statistics need ~20 epochs to forget their
    initial values, and until then the model is *scored* (validation, early stopping, test) on inputs scaled
    differently from those it is *trained* on. Where the features are far from mean 0 / variance 1 (the oracle
    pose: per-feature spread ~0.1 body heights) validation loss stays high while training accuracy climbs, and
    early stopping ends the run on that plateau, keeping near-initial weights: the "collapsed" seeds of notebook
    03. Started at the data's statistics, training and scoring see the same scale from the first epoch. Uses
    training data only (unlabelled statistics, as BatchNorm itself would after enough batches)."""
    bn = model.get_layer("bn")
    flat = np.asarray(x, dtype=np.float64).reshape(-1, x.shape[-1])
    if not len(flat):
        raise ValueError("init_input_statistics needs at least one training clip")
    bn.moving_mean.assign(flat.mean(axis=0).astype(np.float32))
    bn.moving_variance.assign(flat.var(axis=0).astype(np.float32))


def one_hot(labels: Sequence[int], n_classes: int = len(GENRES)) -> np.ndarray:
    """One-hot rows (float32) for integer labels (``keras.utils.to_categorical``)."""
    import keras  # noqa: PLC0415

    return keras.utils.to_categorical(np.asarray(labels, dtype=int), n_classes).astype(np.float32)


def shuffle_frames(x: np.ndarray, seed: int = 0) -> np.ndarray:
    """Permute the frames inside every clip independently (destroys temporal order, keeps content)."""
    rng = np.random.default_rng(seed)
    order = np.argsort(rng.random(x.shape[:2]), axis=1)
    return np.take_along_axis(x, order[..., None], axis=1)


def train(model, x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray | None = None,
          y_val: np.ndarray | None = None, epochs: int = 20, batch_size: int = 128, seed: int = 0,
          verbose: int = 0, callbacks: Sequence[Any] = (), progress: bool | str = True) -> TrainResult:
    """Fit with one-hot targets (``y_*`` are integer labels); validation data are *grouped* training videos.

    ``progress``: True, a bar over the epochs; a str, a bar with that label; False, none (``progress.label``).
    Returns a :class:`~choreo_utils.training.TrainResult`
    (model, history, seconds per epoch; ``.seconds`` is the total)."""
    n_classes = model.output_shape[-1]
    validate = None
    if x_val is not None and len(x_val):
        x_v, y_v = np.asarray(x_val, np.float32), np.asarray(y_val, dtype=int)
        validate = lambda m: validation_numbers(m, x_v, y_v)  # noqa: E731
    return fit(model, x_train, one_hot(y_train, n_classes), epochs=epochs, batch_size=batch_size,
               validate=validate, seed=seed, verbose=verbose, callbacks=callbacks, progress=progress)


def predict_proba(model, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Class probabilities (n, classes) for clips ``x``, ``batch_size`` clips per call of the compiled model
    (``predict_on_batch``: the same numbers as ``model.predict``, without its per-call dataset and loop, which
    for a few hundred clips cost more than the model itself)."""
    if len(x) == 0:
        return np.zeros((0, model.output_shape[-1]), np.float32)
    x = np.asarray(x, np.float32)
    return np.concatenate([np.asarray(model.predict_on_batch(x[i:i + batch_size]))
                           for i in range(0, len(x), batch_size)])


def video_probabilities(probs: np.ndarray, video_ids: Sequence[str]) -> pd.DataFrame:
    """Average clip probabilities per video (rows: videos, columns: classes)."""
    frame = pd.DataFrame(probs)
    frame["video_id"] = np.asarray(video_ids)
    return frame.groupby("video_id", sort=True).mean()


def _log_loss(probs: np.ndarray, labels: np.ndarray) -> float:
    from sklearn.metrics import log_loss  # noqa: PLC0415

    probs = np.clip(probs, 1e-7, 1.0)
    return float(log_loss(labels, probs / probs.sum(1, keepdims=True), labels=np.arange(probs.shape[1])))


def evaluate(model, x: np.ndarray, labels: Sequence[int], video_ids: Sequence[str]) -> dict[str, Any]:
    """Clip- and video-level accuracy and cross-entropy on ``x``; video level averages clip probabilities."""
    if len(labels) == 0:
        raise ValueError("no clips to evaluate: the split is empty — check the split or the clip length")
    return evaluate_probs(predict_proba(model, x), labels, video_ids)


def evaluate_probs(probs: np.ndarray, labels: Sequence[int], video_ids: Sequence[str]) -> dict[str, Any]:
    """:func:`evaluate` from clip probabilities (clips, classes) already computed (e.g. by ``towers``)."""
    labels = np.asarray(labels, dtype=int)
    if len(labels) == 0:
        raise ValueError("no clips to evaluate: the split is empty — check the split or the clip length")
    if len(probs) != len(labels):
        raise ValueError(f"one row of probabilities per clip is needed: {len(probs)} rows, {len(labels)} labels")
    vp = video_probabilities(probs, video_ids)
    vlabels = pd.Series(labels, index=np.asarray(video_ids)).groupby(level=0).first().loc[vp.index].to_numpy()
    return {
        "clip_accuracy": float((probs.argmax(1) == labels).mean()), "clip_loss": _log_loss(probs, labels),
        "video_accuracy": float((vp.to_numpy().argmax(1) == vlabels).mean()),
        "video_loss": _log_loss(vp.to_numpy(), vlabels), "n_clips": int(len(labels)), "n_videos": int(len(vp)),
        "clip_probs": probs, "clip_labels": labels, "video_probs": vp, "video_labels": vlabels,
    }


def per_class_report(result: dict[str, Any], level: str = "video") -> pd.DataFrame:
    """Precision/recall/F1/support per genre (scikit-learn), at ``"video"`` or ``"clip"`` level."""
    from sklearn.metrics import precision_recall_fscore_support  # noqa: PLC0415

    if level == "video":
        y_true, y_pred = result["video_labels"], result["video_probs"].to_numpy().argmax(1)
    else:
        y_true, y_pred = result["clip_labels"], result["clip_probs"].argmax(1)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=np.arange(len(GENRES)), zero_division=0)
    return pd.DataFrame({"precision": p, "recall": r, "f1": f, "support": s}, index=list(GENRES))


def check_split_classes(split_clips: pd.DataFrame, split: str = "test") -> list[str]:
    """Genres with no clips in ``split`` (warned about: their recall is undefined)."""
    present = set(split_clips.loc[split_clips["split"] == split, "genre"])
    return [g for g in GENRES if g not in present]


def save_classifier(model, extractor, name: str = "03_classifier", **meta: Any) -> Path:
    """Save what a fresh session needs to classify videos: the trained ``model`` (``classifier.keras``), the
    feature ``extractor`` as used (:func:`features.save_extractor`) and ``model.json`` (genres, clip length,
    image size, features, package versions, plus ``meta``), atomically, under ``artifacts/models/<name>/``.

    Returns the folder; pass it to :func:`load_classifier` or straight to :func:`classify_video`."""
    from choreo_utils import bundle, config, features, runtime  # noqa: PLC0415

    description = {"genres": list(GENRES)[:model.output_shape[-1]], "clip_len": int(model.input_shape[1]),
                   "feature_dim": int(model.input_shape[2]), "image_size": list(extractor.image_size),
                   "features": extractor.label, "versions": runtime.versions(), **meta}
    return bundle.save(config.models_dir() / name, {"classifier": model}, description, "model.json",
                       extra=lambda tmp: features.save_extractor(extractor, tmp))


def load_classifier(folder) -> tuple[Any, Any, dict[str, Any]]:
    """``(model, extractor, description)`` from a folder written by :func:`save_classifier`."""
    from choreo_utils import bundle, features  # noqa: PLC0415

    folder = Path(folder)
    models, meta = bundle.load(folder, ["classifier"], "model.json", what="saved classifier",
                               missing="run notebook 03, which saves its trained model to "
                               "artifacts/models/03_classifier, or pass that folder",
                               fix=f"delete {folder} and run notebook 03 again (it saves its trained model there)")
    return models["classifier"], features.load_extractor(folder), meta


def classify_video(path, model, extractor=None, clip_len: int | None = None, stride: int | None = None,
                   batch_size: int = 64) -> pd.DataFrame:
    """Genre probabilities for a video file or frame folder: slide clips, extract features, average.

    ``model`` is a trained Keras model (then pass its ``extractor``), or the folder :func:`save_classifier`
    wrote (e.g. ``"artifacts/models/03_classifier"``), which brings its own extractor. ``clip_len`` defaults to
    the model's. Returns one row per clip (start frame, probabilities) plus a final ``"video"`` row with the mean.
    """
    from choreo_utils.video import read_video  # noqa: PLC0415

    if model is None:
        raise ValueError("model is None: pass a trained Keras model, or the folder save_classifier wrote "
                         "(e.g. 'artifacts/models/03_classifier')")
    if not hasattr(model, "predict"):           # a saved classifier's folder
        model, saved_extractor, _ = load_classifier(model)
        extractor = extractor or saved_extractor
    if extractor is None:
        raise ValueError("a Keras model needs the extractor its features came from: classify_video(path, model, "
                         "extractor), or pass the saved folder as model")
    clip_len = clip_len or model.input_shape[1]
    stride = stride or clip_len
    frames = read_video(path, size=extractor.image_size)
    expected = model.input_shape[1:]
    if expected[0] != clip_len or expected[1] != extractor.dim:
        raise ValueError(f"the model expects clips of {expected[0]} frames × {expected[1]} features, but "
                         f"clip_len={clip_len} and the extractor gives {extractor.dim}: use the same clip length and "
                         "backbone the model was trained with")
    if len(frames) < clip_len:
        raise ValueError(f"{path} has {len(frames)} frames, fewer than one clip of {clip_len}: use a longer video "
                         f"or a model trained on shorter clips")
    feats = np.concatenate([extractor(_pad(frames[i:i + batch_size], batch_size))[:len(frames[i:i + batch_size])]
                            for i in range(0, len(frames), batch_size)])
    starts = list(range(0, len(frames) - clip_len + 1, stride))
    clips = np.stack([feats[s:s + clip_len] for s in starts])
    probs = predict_proba(model, clips)
    table = pd.DataFrame(probs, columns=list(GENRES)[:probs.shape[1]],
                         index=[f"frames {s}–{s + clip_len - 1}" for s in starts])
    table.loc["video"] = table.mean()
    return table


def _pad(x: np.ndarray, n: int) -> np.ndarray:
    return x if len(x) == n else np.concatenate([x, np.zeros((n - len(x), *x.shape[1:]), x.dtype)])


#: A split as the functions below take it: (X (clips, frames, features), integer labels, video ids).
Split = tuple[np.ndarray, np.ndarray, np.ndarray]


def fit_evaluate(train_split: Split, val_split: Split | None, test_split: Split, params: str | dict = "table1",
                 temporal: bool = True, shuffle: bool = False, seed: int = 0, epochs: int | None = None,
                 verbose: int = 0, progress: bool | str = True, patience: int | None = None,
                 min_delta: float = 0.0, model: Any = None, bn_from_data: bool = True) -> dict[str, Any]:
    """Build (seeded), train and evaluate one variant on (X, labels, video_ids) splits; ``shuffle`` permutes frames.

    The model is built under ``runtime.set_seed(seed)``, so the same seed gives the same weights, Dropout masks,
    data order and metrics. Pass ``model`` (an earlier run's, same architecture) to reuse it: it is
    re-initialised exactly as a new one built under ``seed`` would be (``runtime.reinitialize``), without paying
    for graph tracing again. ``patience`` adds early stopping on validation loss (best weights restored);
    ``epochs`` is then the most it may run. ``progress``: True, a bar over the epochs labelled with the variant;
    a str, a bar with that label; False, none (``progress.label``).
    ``bn_from_data`` starts the input BatchNorm's moving statistics at the training clips' own
    (:func:`init_input_statistics`); ``False`` keeps Keras' 0 and 1 — the recipe under which some seeds collapsed.

    Returns the model, its history, training seconds, epochs run, and evaluations on the train, validation (when
    given) and test splits.
    """
    import keras  # noqa: PLC0415

    p = PRESETS[params] if isinstance(params, str) else params
    prep = (lambda x, k: shuffle_frames(x, seed + k)) if shuffle else (lambda x, k: x)
    (xtr, ytr, vtr), (xte, yte, vte) = train_split, test_split
    xva, yva = (prep(val_split[0], 1), val_split[1]) if val_split is not None else (None, None)

    def build():
        return build_classifier(xtr.shape[1], xtr.shape[2], temporal=temporal, **model_kwargs(p))

    model = seeded_model(model, build, seed)
    if bn_from_data:
        init_input_statistics(model, xtr)
    variant = ("BiLSTM" if temporal else "mean over frames") + (", shuffled frames" if shuffle else "")
    progress = label(progress, variant)
    callbacks = []
    if patience and xva is not None and len(xva):
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=int(patience),
                                                       min_delta=float(min_delta), restore_best_weights=True))
    result = train(model, prep(xtr, 0), ytr, xva, yva, epochs=epochs or p.get("epochs", 20),
                   batch_size=p.get("batch_size", 128), seed=seed, verbose=verbose, callbacks=callbacks,
                   progress=progress or False)
    out = {"model": model, "history": result.history, "seconds": result.seconds,
           "epochs_run": len(result.epoch_seconds),
           "train": evaluate(model, prep(xtr, 0), ytr, vtr), "test": evaluate(model, prep(xte, 2), yte, vte)}
    if xva is not None and len(xva):
        out["val"] = evaluate(model, xva, yva, val_split[2])
    return out


#: Order-blind and order-aware variants of the classifier compared in notebook 03.
VARIANTS: dict[str, dict[str, bool]] = {
    "BiLSTM": {"temporal": True, "shuffle": False},
    "mean over frames": {"temporal": False, "shuffle": False},
    "BiLSTM, shuffled frames": {"temporal": True, "shuffle": True},
}


@dataclasses.dataclass
class SeedScores:
    """Test scores of one or more variants trained once per seed on the same splits — what
    ``sweep.seed_sweep`` and ``tuning.retrain_over_seeds`` return, and what ``stats.paired_bootstrap`` compares.

    ``table``: one row per (variant, seed) run (accuracies, epochs run, seconds); ``video_correct``: per variant a
    (seeds, test videos) 0/1 array, columns in the order of ``videos``; ``seeds``: the rows' order; ``recall``: per
    variant a (seeds, genres) video-level recall, when computed; ``history``: the first seed's training history
    per variant, when kept."""

    table: pd.DataFrame
    video_correct: dict[str, np.ndarray]
    videos: list[str]
    seeds: list[int]
    recall: dict[str, np.ndarray] | None = None
    history: dict[str, dict[str, list[float]]] | None = None

    def correct(self, variant: str | None = None) -> np.ndarray:
        """The (seeds, videos) 0/1 array of ``variant`` — of the only variant when None."""
        if variant is None:
            if len(self.video_correct) != 1:
                raise ValueError(f"these scores hold {len(self.video_correct)} variants "
                                 f"({', '.join(self.video_correct)}): name the one you want")
            return next(iter(self.video_correct.values()))
        if variant not in self.video_correct:
            raise KeyError(f"no variant {variant!r}; these scores hold {', '.join(self.video_correct)}")
        return self.video_correct[variant]


def summary_row(run: dict[str, Any]) -> dict[str, float]:
    """Train/test accuracy and loss (clip and video level) of a ``fit_evaluate`` run, for results tables."""
    out = {}
    for split in ("train", "test"):
        for k in ("clip_accuracy", "clip_loss", "video_accuracy", "video_loss", "n_clips", "n_videos"):
            out[f"{split}_{k}"] = run[split][k]
    out["seconds"] = run["seconds"]
    return out
