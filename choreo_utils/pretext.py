"""Transfer learning you can run offline: a small CNN pretrained on a *pose* pretext task, used as a backbone.

No pretrained weights can be downloaded offline, and a random-init InceptionV3 does not expose motion. But the
synthetic generator knows every joint of every frame, which makes an honest source task possible:

1. :func:`pretext_index` renders a **separate** synthetic set (its own seed, never the videos notebooks 03/04
   train or test on); the genre labels are not used;
2. :func:`pretrain` fits a small CNN (:func:`build_model`, sized for 2 CPU cores) to regress each frame's 48-d
   oracle pose (:func:`choreo_utils.synthetic.pose_features`, standardised) and measures its pose R² on held-out
   pretext videos;
3. the trained network is frozen and its globally average-pooled last block becomes the backbone:
   ``features.build_extractor("pose_pretext", image_size, weights=None | folder)`` (the registry in
   :mod:`choreo_utils.backbones` calls :func:`build_extractor`).

The weights are cached under ``artifacts/models/pretext-<key>/`` (written atomically), where the key names what
produced them: generator version, seed, set size, frame and input sizes, architecture, epochs, batch, learning
rate. :func:`linear_probe` and :func:`pose_r2` measure what any features say about pose (notebook 02).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from choreo_utils import config

BACKBONE = "pose_pretext"
#: what ``Extractor.layer`` records for the pretext backbone: the pooled block
LAYER = "gap"
#: the pretext set's seed offset: far from every seed the notebooks use for their own data (0-10)
DEFAULT_SEED = 1000
#: the weights shipped with the repository (default settings only), made by ``python -m choreo_utils.pretext --ship``
SHIPPED_ROOT = Path(__file__).resolve().parent / "weights"


@dataclasses.dataclass(frozen=True)
class PretextSettings:
    """Everything that produces the pretext weights (the cache key is made of these plus the generator version)."""

    seed: int = DEFAULT_SEED
    videos_per_genre: int = 12
    frames_per_video: int = 64
    frame_size: tuple[int, int] = (96, 144)       # the rendered pretext frames
    image_size: tuple[int, int] = (75, 112)       # the CNN's input (frames are resized to it, as for extraction)
    filters: tuple[int, ...] = (16, 32, 64, 96, 128)
    head_units: int = 128
    epochs: int = 16
    batch_size: int = 32
    learning_rate: float = 2e-3
    holdout: float = 0.2                          # fraction of pretext videos held out for the pose R²
    frame_stride: int = 2                         # train on every n-th frame (neighbours are near-duplicates)

    @property
    def architecture(self) -> str:
        """Short name of the CNN: conv blocks' widths, then the regression head."""
        return f"cnn{len(self.filters)}s-{'.'.join(map(str, self.filters))}-head{self.head_units}"

    def key(self) -> dict[str, Any]:
        """The fields that name the cached weights."""
        from choreo_utils import synthetic  # noqa: PLC0415

        d = dataclasses.asdict(self)
        d = {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}
        return {"generator_version": synthetic.GENERATOR_VERSION, "architecture": self.architecture, **d}

    def folder_name(self) -> str:
        """``pretext-g<gen>-seed<S>-v<V>x<F>-<h>x<w>-<arch>-e<epochs>-<hash of the whole key>``."""
        key = self.key()
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:10]
        h, w = self.image_size
        return (f"pretext-g{key['generator_version']}-seed{self.seed}-v{self.videos_per_genre}x{self.frames_per_video}"
                f"-{h}x{w}-{self.architecture}-e{self.epochs}-{digest}")


def default_settings(**overrides: Any) -> PretextSettings:
    """The settings ``build_extractor("pose_pretext", weights=None)`` uses: the default ones, or tiny ones in smoke
    mode (``config.smoke_mode()``); ``overrides`` replace any field."""
    base = PretextSettings(videos_per_genre=1, frames_per_video=16, frame_size=(48, 72), epochs=1,
                           filters=(8, 16, 32, 32, 64), head_units=32) if config.smoke_mode() else PretextSettings()
    overrides = {k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()}
    return dataclasses.replace(base, **overrides)


# -------------------- data --------------------
def pretext_index(settings: PretextSettings, progress: bool = True) -> pd.DataFrame:
    """Frame index of the pretext set (generated once under ``data/synthetic/``, with its own seed)."""
    from choreo_utils import datasets  # noqa: PLC0415

    return datasets.load_frame_index("synthetic", videos_per_genre=settings.videos_per_genre,
                                     frames_per_video=settings.frames_per_video, size=settings.frame_size,
                                     seed=settings.seed, progress=progress)


def heldout_videos(index: pd.DataFrame, fraction: float, seed: int) -> set[str]:
    """A seeded random ``fraction`` of the videos (at least one), held out from pretraining."""
    videos = np.array(sorted(index["video_id"].unique()))
    n = max(1, int(round(fraction * len(videos))))
    if n >= len(videos):
        raise ValueError(f"holding out {n} of {len(videos)} pretext videos leaves none to train on: "
                         "use more videos per genre or a smaller holdout")
    return set(np.random.default_rng(seed).permutation(videos)[:n])


def load_frames(index: pd.DataFrame, image_size: Sequence[int], batch: int = 256) -> np.ndarray:
    """Every frame of ``index`` as uint8 RGB (N, h, w, 3), decoded and resized like extraction does."""
    from choreo_utils.video import load_frame_batch  # noqa: PLC0415

    size = (int(image_size[0]), int(image_size[1]))
    paths = index["path"].tolist()
    out = np.empty((len(paths), *size, 3), np.uint8)
    for i in range(0, len(paths), batch):
        frames, _ = load_frame_batch(paths[i:i + batch], size, strict=True)
        out[i:i + batch] = frames
    return out


# -------------------- model --------------------
def build_model(settings: PretextSettings, n_targets: int = 48):
    """The pretext CNN: a 5×5 stride-2 stem (conv, BatchNorm, ReLU), then blocks of 3×3 conv, BatchNorm, ReLU and
    2×2 max-pool, global average pooling (layer ``gap``: the backbone's features), then a small dense head
    regressing the standardised pose. Takes uint8-range RGB (0-255) and rescales it itself."""
    import keras  # noqa: PLC0415
    from keras import layers  # noqa: PLC0415

    h, w = settings.image_size
    inp = keras.Input((h, w, 3), name="frames")
    x = layers.Rescaling(1 / 255.0)(inp)
    for k, f in enumerate(settings.filters):
        stem = k == 0          # full resolution is where the cost is: stride 2 there, no pooling
        x = layers.Conv2D(f, 5 if stem else 3, strides=2 if stem else 1, padding="same", use_bias=False,
                          name=f"conv{k + 1}")(x)
        x = layers.BatchNormalization(name=f"bn{k + 1}")(x)
        x = layers.ReLU()(x)
        if not stem:
            x = layers.MaxPooling2D(2, padding="same")(x)
    feats = layers.GlobalAveragePooling2D(name=LAYER)(x)
    x = layers.Dense(settings.head_units, activation="relu", name="head")(feats)
    out = layers.Dense(n_targets, name="pose")(x)
    return keras.Model(inp, out, name=f"pose_pretext_{settings.architecture}".replace(".", "_").replace("-", "_"))


def encoder(model):
    """The frozen backbone: ``model`` up to its pooled block (shares its weights)."""
    import keras  # noqa: PLC0415

    enc = keras.Model(model.input, model.get_layer(LAYER).output, name="pose_pretext_backbone")
    enc.trainable = False
    return enc


# -------------------- metrics --------------------
def pose_r2(y_true: np.ndarray, y_pred: np.ndarray, scale: np.ndarray | None = None) -> float:
    """R² over all pose dimensions together: ``1 - Σ squared error / Σ squared deviation from the mean``, each
    dimension first divided by ``scale`` (pass the *training* standard deviations; default 1: ``y`` is already
    standardised), i.e. ``sklearn.metrics.r2_score(..., multioutput="variance_weighted")`` on standardised pose.
    Dimensions
    that never vary (a hip's own hip-relative coordinates) are left out. Pooling keeps a dimension that barely
    moves in a few test videos from dominating, as a per-dimension average would."""
    from sklearn.metrics import r2_score  # noqa: PLC0415

    y_true, y_pred = np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64)
    scale = np.ones(y_true.shape[1]) if scale is None else np.asarray(scale, np.float64)
    keep = (scale > 1e-6) & (y_true.std(axis=0) > 1e-6)
    return float(r2_score(y_true[:, keep] / scale[keep], y_pred[:, keep] / scale[keep],
                          multioutput="variance_weighted"))


def linear_probe(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
                 alphas: Sequence[float] = (0.1, 1.0, 10.0, 100.0, 1000.0)) -> dict[str, float]:
    """Ridge regression from features to pose (features standardised, ``alpha`` picked by leave-one-out CV on the
    training rows only); returns its R² on the test rows (:func:`pose_r2`, pose scaled by the training rows'
    standard deviations), the train R² and the alpha."""
    from sklearn.linear_model import RidgeCV  # noqa: PLC0415
    from sklearn.pipeline import make_pipeline  # noqa: PLC0415
    from sklearn.preprocessing import StandardScaler  # noqa: PLC0415

    probe = make_pipeline(StandardScaler(), RidgeCV(alphas=list(alphas)))
    probe.fit(np.asarray(x_train, np.float64), np.asarray(y_train, np.float64))
    scale = np.asarray(y_train, np.float64).std(axis=0)
    return {"test_r2": pose_r2(y_test, probe.predict(np.asarray(x_test, np.float64)), scale),
            "train_r2": pose_r2(y_train, probe.predict(np.asarray(x_train, np.float64)), scale),
            "alpha": float(probe[-1].alpha_)}


# -------------------- pretraining and the weights cache --------------------


@dataclasses.dataclass
class Pretrained:
    """Cached pretext weights: the regression model, its folder and what produced it (``meta``: settings, curve,
    held-out R², seconds)."""

    model: Any
    folder: Path
    meta: dict[str, Any]

    @property
    def r2(self) -> float:
        """Pose R² on the held-out pretext videos."""
        return float(self.meta["heldout_r2"])

    @property
    def description(self) -> str:
        """What every output made with this backbone says about it."""
        m = self.meta
        return (f"pose-pretext CNN (pretrained on {m['train_videos']} synthetic videos, seed {m['settings']['seed']}, "
                f"held-out pose R² {m['heldout_r2']:.2f})")


def models_root() -> Path:
    """``artifacts/models`` (``artifacts/smoke/models`` in smoke mode)."""
    return config.models_dir()


def cached_folder(settings: PretextSettings, root: str | os.PathLike | None = None) -> Path:
    """Where :func:`pretrain` keeps the weights for ``settings``."""
    return (Path(root) if root else models_root()) / settings.folder_name()


def shipped_folder(settings: PretextSettings | None = None) -> Path:
    """Where the repository ships the weights for ``settings`` (default: the default settings):
    ``choreo_utils/weights/<key>/``. They exist for the default settings only; :func:`pretrain` uses them instead of
    training, and ``python -m choreo_utils.pretext --ship`` (``make pretext-weights``) remakes them."""
    return SHIPPED_ROOT / (settings or PretextSettings()).folder_name()


def load(folder: str | os.PathLike) -> Pretrained:
    """The pretext weights :func:`pretrain` wrote to ``folder`` (``model.keras`` + ``pretext.json``)."""
    from choreo_utils import bundle  # noqa: PLC0415

    folder = Path(folder)
    models, meta = bundle.load(folder, ["model"], "pretext.json", what="pretext weights",
                               missing="make them with pretext.pretrain(settings) or "
                               "features.build_extractor('pose_pretext', weights=None)",
                               required=("settings", "heldout_r2"),
                               fix=f"delete {folder} and run pretext.pretrain again")
    return Pretrained(model=models["model"], folder=folder, meta=meta)


def pretrain(settings: PretextSettings | None = None, root: str | os.PathLike | None = None, progress: bool = True,
             force: bool = False) -> Pretrained:
    """Pretrain the pose CNN for ``settings`` (default: :func:`default_settings`), or load it from its cache.

    Seeded with ``settings.seed`` inside :func:`choreo_utils.runtime.seed_scope` (the caller's random state is left
    alone). Writes ``model.keras`` and ``pretext.json`` (settings, generator version, curve, held-out R², seconds)
    atomically into :func:`cached_folder`."""
    from choreo_utils import bundle, extractor, runtime, synthetic, training  # noqa: PLC0415

    settings = settings or default_settings()
    folder = cached_folder(settings, root)
    if not force and (folder / "pretext.json").is_file():
        return load(folder)
    if not force and root is None and (shipped_folder(settings) / "pretext.json").is_file():
        return load(shipped_folder(settings))       # the weights this repository ships (same key: same settings)

    index, is_held = _pretext_rows(settings, progress)
    start = time.perf_counter()
    frames = load_frames(index, settings.image_size)
    pose = synthetic.oracle_pose_frames(index)
    load_seconds = time.perf_counter() - start
    mean, std = pose[~is_held].mean(0), pose[~is_held].std(0)
    std = np.where(std > 1e-6, std, 1.0)
    y = ((pose - mean) / std).astype(np.float32)

    import keras  # noqa: PLC0415

    with runtime.seed_scope(settings.seed):
        runtime.set_seed(settings.seed)
        model = build_model(settings, y.shape[1])
        model.compile(optimizer=keras.optimizers.Adam(settings.learning_rate), loss="mse")
        result = training.fit(model, frames[~is_held], y[~is_held], epochs=settings.epochs,
                              batch_size=settings.batch_size, validation_data=(frames[is_held], y[is_held]),
                              seed=settings.seed, progress="pose pretext" if progress else False)
    train_seconds = result.seconds
    # few optimiser steps leave BatchNorm's moving statistics near their initial values: measure them instead
    extractor.reestimate_batchnorm(extractor.Extractor(
        backbone=BACKBONE, image_size=settings.image_size, weights_label="pretext", model=model, preprocess=identity,
        dim=y.shape[1]), frames[~is_held][::max(1, int((~is_held).sum()) // 1024)][:1024])
    pred_held = model.predict(frames[is_held], batch_size=256, verbose=0)
    pred_train = model.predict(frames[~is_held][::2], batch_size=256, verbose=0)
    meta = {"settings": settings.key(), "folder": settings.folder_name(),
            "train_videos": int(index.loc[~is_held, "video_id"].nunique()),
            "heldout_videos": int(index.loc[is_held, "video_id"].nunique()),
            "train_frames": int((~is_held).sum()), "heldout_frames": int(is_held.sum()),
            "heldout_r2": pose_r2(y[is_held], pred_held), "train_r2": pose_r2(y[~is_held][::2], pred_train),
            "history": result.history, "epoch_seconds": result.epoch_seconds, "train_seconds": train_seconds,
            "load_seconds": load_seconds, "target_mean": mean.tolist(), "target_std": std.tolist(),
            "params": int(model.count_params()), "weights_sha256": bundle.weights_digest(model)}
    bundle.save(folder, {"model": model}, meta, "pretext.json")
    return Pretrained(model=model, folder=folder, meta=meta)


def _pretext_rows(settings: PretextSettings, progress: bool = True) -> tuple[pd.DataFrame, np.ndarray]:
    """The pretext frames used (every ``frame_stride``-th) and which of them belong to held-out videos."""
    index = pretext_index(settings, progress=progress)
    held = heldout_videos(index, settings.holdout, settings.seed)
    is_held = index["video_id"].isin(held).to_numpy()
    used = (index["frame"].to_numpy().astype(int) - 1) % settings.frame_stride == 0
    return index[used], is_held[used]


def heldout_r2(pre: Pretrained, progress: bool = False) -> float:
    """Measure ``pre``'s pose R² again on its held-out pretext videos (rendered again from the pretext seed if they
    are not on disk), standardised with the training statistics it recorded — the check that shipped or cached
    weights still do what their description says."""
    from choreo_utils import synthetic  # noqa: PLC0415

    fields = {f.name for f in dataclasses.fields(PretextSettings)}
    settings = PretextSettings(**{k: tuple(v) if isinstance(v, list) else v
                                  for k, v in pre.meta["settings"].items() if k in fields})
    index, is_held = _pretext_rows(settings, progress)
    held = index[is_held]
    pose = synthetic.oracle_pose_frames(held)
    y = (pose - np.asarray(pre.meta["target_mean"])) / np.asarray(pre.meta["target_std"])
    pred = pre.model.predict(load_frames(held, settings.image_size), batch_size=256, verbose=0)
    return pose_r2(y, pred)


# -------------------- the backbone --------------------
def identity(x):
    """The pretext backbone's preprocessing: none (the model rescales 0-255 RGB itself)."""
    return x


def build_extractor(image_size: int | Sequence[int] | None = None, weights: str | os.PathLike | None = None):
    """A :class:`choreo_utils.extractor.Extractor` made of the pretext CNN's frozen pooled block.

    ``weights`` is ``None`` (the cached default pretraining, :func:`default_settings` at ``image_size``, trained
    now if missing), a folder :func:`pretrain` wrote, or a :class:`Pretrained`. Its label says what produced it;
    its weights label is the folder's name (the key); the feature cache key holds the weights' digest as well."""
    from choreo_utils import checks, extractor  # noqa: PLC0415

    if isinstance(weights, Pretrained):
        pre = weights
    elif weights is None or str(weights).lower() == "none":
        overrides = {} if image_size is None else {"image_size": checks.size(image_size, "image_size")}
        pre = pretrain(default_settings(**overrides))
    else:
        pre = load(weights)
    size = tuple(pre.meta["settings"]["image_size"])
    asked = checks.size(image_size, "image_size", allow_none=True)
    if asked is not None and asked != size:
        raise ValueError(f"the pretext weights in {pre.folder.name} were trained at {size[0]}×{size[1]} px, not "
                         f"{asked}: pretrain for that size (pretext.default_settings(image_size=...)) or pass "
                         "image_size=None")
    enc = encoder(pre.model)
    return extractor.Extractor(backbone=BACKBONE, image_size=size, weights_label=pre.folder.name, model=enc,
                              preprocess=identity, dim=int(enc.output.shape[-1]), layer=LAYER,
                              description=pre.description)


# -------------------- plots --------------------
def plot_curve(meta: dict[str, Any]):
    """The pretext training curve: MSE on standardised pose per epoch, training vs held-out pretext videos."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    hist = meta["history"]
    epochs = np.arange(1, len(hist["loss"]) + 1)
    fig, ax = plt.subplots(figsize=(6, 3.4))
    ax.plot(epochs, hist["loss"], "o-", ms=3, label=f"training ({meta['train_videos']} videos)")
    if "val_loss" in hist:
        ax.plot(epochs, hist["val_loss"], "s-", ms=3, label=f"held-out ({meta['heldout_videos']} videos)")
    ax.axhline(1.0, color="grey", lw=0.8, ls="--", label="predicting the mean (MSE 1)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("MSE (standardised pose)")
    ax.set_ylim(0, max(1.1, min(3.0, max(hist["loss"]) * 1.05)))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(f"Pose pretext pretraining — held-out R² {meta['heldout_r2']:.2f}", fontsize=10)
    fig.tight_layout()
    return fig


def plot_projections(panels: dict[str, np.ndarray], labels: Sequence[str], title: str = ""):
    """One 2-D scatter per feature type (e.g. PCA of clip means), coloured by ``labels``, side by side. Sixteen
    genres get eight well-separated hues × two markers (circle, triangle), so no two look alike."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    labels = np.asarray(labels)
    names = sorted(set(labels))
    hues = [plt.get_cmap("tab10")(i) for i in (0, 1, 2, 3, 4, 5, 6, 9)]   # tab10 without its grey and olive
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 1.6, 4.0), squeeze=False)
    for ax, (name, pts) in zip(axes[0], panels.items()):
        for k, g in enumerate(names):
            sel = labels == g
            ax.scatter(*pts[sel, :2].T, s=11, color=hues[k % 8], label=g, alpha=0.8, marker="o^sD"[k // 8 % 4])
        ax.set_title(name, fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
    axes[0][-1].legend(fontsize=7, ncol=1, bbox_to_anchor=(1.01, 1), loc="upper left")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
