"""Per-frame features from a pretrained CNN backbone: batched, compiled, cached on disk, resumable.

The paper turns every frame into InceptionV3's 2048-d average-pooled vector (ImageNet weights,
``include_top=False``). Here that is :func:`build_extractor` + :func:`extract_features`:

* frames are decoded and resized in a background thread pool while the model computes;
* the model runs as a compiled graph (``tf.function``) on fixed-size batches — never one ``predict``
  call per frame, which costs ~35 ms of overhead each;
* features are stored as float16 in a memory-mapped ``.npy`` under ``artifacts/features/<name>-<hash>/``,
  where the hash covers everything that produced them — a digest of every frame file's bytes, the backbone,
  layer, image size, and a digest of the network's actual weights at extraction time (BatchNorm statistics
  included) — so a stale cache is never reused; an interrupted run resumes at the first unfinished video.

Frames are decoded with :func:`choreo_utils.video.decode_frame` and resized with
:func:`choreo_utils.video.resize_frames`, like every frame the package reads; an undecodable one follows
:mod:`choreo_utils.video`'s one policy (zeros in its place, one warning naming the files, ``strict=True`` raises).
Measuring a backbone (FLOPs, throughput, feature smoothness) lives in :mod:`choreo_utils.profiling`.

Offline, ImageNet weights cannot be downloaded. :func:`build_extractor` then says so and names the two ways
out; with ``weights=None`` (opt-in) the backbone is randomly initialised and its BatchNorm statistics must be
re-estimated on training frames (:func:`reestimate_batchnorm`) — every output is labelled
"random-init backbone (offline stand-in)".
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import socket
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from choreo_utils import config, video
from choreo_utils.io_utils import CorruptFileError, read_json, write_json

CACHE_VERSION = 4
OFFLINE_LABEL = "random-init backbone (offline stand-in)"

#: name → (keras.applications constructor, preprocess module, feature dim, default size, weights file name)
BACKBONES: dict[str, dict[str, Any]] = {
    "inception_v3": {"ctor": "InceptionV3", "module": "inception_v3", "dim": 2048, "min_size": 75,
                     "weights_file": "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"},
    "mobilenet_v3_small": {"ctor": "MobileNetV3Small", "module": "mobilenet_v3", "dim": 576, "min_size": 32,
                           "weights_file": "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5"},
    "efficientnet_b0": {"ctor": "EfficientNetB0", "module": "efficientnet", "dim": 1280, "min_size": 32,
                        "weights_file": "efficientnetb0_notop.h5"},
}


#: the offline backbone with learned weights (:mod:`choreo_utils.pretext`), built by :func:`build_extractor` too
PRETEXT_BACKBONE = "pose_pretext"
#: the block a *random-init* InceptionV3 is pooled at (notebook 02 measures why: deeper random blocks forget which
#: frames are neighbours, so motion becomes invisible)
RANDOM_INCEPTION_LAYER = "mixed2"


class WeightsUnavailableError(RuntimeError):
    """ImageNet weights could not be loaded (offline and not cached)."""


@dataclasses.dataclass
class Extractor:
    """A backbone ready to turn uint8 RGB frames into pooled feature vectors."""

    backbone: str
    image_size: tuple[int, int]
    weights_label: str               # "imagenet", the weights file's path, or "none (init seed N)"
    model: Any
    preprocess: Callable[[Any], Any]
    dim: int
    layer: str | None = None            # pooled intermediate block (None: the backbone's last block)
    bn_reestimated: str | None = None   # fingerprint of the frames used to re-estimate BatchNorm, if any
    description: str | None = None      # what produced a backbone of our own (the pose pretext CNN), for its label
    _compiled: Any = dataclasses.field(default=None, repr=False)

    @property
    def offline(self) -> bool:
        """True for a randomly initialised backbone (no pretrained weights)."""
        return self.weights_label.startswith("none")

    @property
    def label(self) -> str:
        """Human-readable description, used in every plot and table made from these features."""
        h, w = self.image_size
        name = f"{self.backbone}[{self.layer}]" if self.layer else self.backbone
        if self.description:
            return f"{self.description}, {self.dim}-d @ {h}×{w}"
        if self.offline:
            bn = ", BatchNorm re-estimated" if self.bn_reestimated else ", BatchNorm NOT re-estimated"
            return f"{name} @ {h}×{w}, {self.dim}-d — {OFFLINE_LABEL}{bn}"
        return f"{name} @ {h}×{w}, {self.dim}-d — {self.weights_label} weights"

    def cache_fields(self) -> dict[str, Any]:
        """Everything about the extractor that changes the features (part of the cache key): the readable
        description plus :meth:`weights_digest`, the network as it is *now*."""
        return {"backbone": self.backbone, "layer": self.layer, "image_size": list(self.image_size),
                "weights": self.weights_label, "bn_reestimated": self.bn_reestimated,
                "weights_digest": self.weights_digest()}

    def weights_digest(self) -> str:
        """SHA-256 of every weight array (shape, dtype, bytes; BatchNorm statistics included), in order. Catches
        what a label cannot: a weights file edited in place, a random init drawn differently by another library
        version, BatchNorm re-estimated through a block extractor sharing the layers. ~0.1 s for InceptionV3."""
        h = hashlib.sha256()
        for w in self.model.weights:
            a = np.ascontiguousarray(w.numpy())
            h.update(f"{a.shape}{a.dtype}".encode())
            h.update(a.tobytes())
        return h.hexdigest()[:20]

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        """Features (N, dim) float32 for uint8 RGB frames (N, H, W, 3) already at ``image_size``."""
        import tensorflow as tf  # noqa: PLC0415

        if self._compiled is None:
            model, preprocess = self.model, self.preprocess

            @tf.function(reduce_retracing=True)
            def run(x):
                return model(preprocess(tf.cast(x, tf.float32)), training=False)

            self._compiled = run
        return self._compiled(frames).numpy()


def _size(image_size: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(image_size, (int, np.integer)):
        return int(image_size), int(image_size)
    h, w = image_size
    return int(h), int(w)


def _home_relative(path: Path) -> str:
    """``~/...`` for a path under the user's home (what messages show: the same on every machine)."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def build_extractor(backbone: str = "inception_v3", image_size: int | Sequence[int] = 299,
                    weights: str | os.PathLike | None = "imagenet", layer: str | None = None,
                    init_seed: int = 0, download_timeout: float = 20.0) -> Extractor:
    """Build a headless backbone with average pooling (InceptionV3: 2048-d) and its own preprocessing.

    ``weights`` is ``"imagenet"`` (downloaded once into the Keras cache, ``~/.keras/models``), a local
    ``.h5``/``.weights.h5`` file for this backbone, or ``None`` for a random-init offline stand-in whose
    weights are drawn from ``init_seed`` (so the same call always builds the same network — part of the cache key).

    ``backbone="pose_pretext"`` is the offline alternative with learned weights: a small CNN pretrained to regress
    pose on a separate synthetic set (:mod:`choreo_utils.pretext`); ``weights`` is then ``None`` (the cached
    default pretraining, trained now if missing) or a folder ``pretext.pretrain`` wrote.
    """
    import keras  # noqa: PLC0415

    if backbone == PRETEXT_BACKBONE:
        from choreo_utils import pretext  # noqa: PLC0415

        if layer not in (None, pretext.LAYER):
            raise ValueError(f"{backbone} has one pooled block ({pretext.LAYER!r}); got layer={layer!r}")
        if str(weights).lower() == "imagenet":
            raise ValueError(f"{backbone} has no ImageNet weights (it is pretrained on a synthetic pose task): pass "
                             "weights=None (the cached default pretraining, trained now if missing) or a folder "
                             "written by pretext.pretrain")
        return pretext.build_extractor(image_size, weights)
    if backbone not in BACKBONES:
        raise ValueError(f"unknown backbone {backbone!r}; choose one of {sorted([*BACKBONES, PRETEXT_BACKBONE])}")
    spec = BACKBONES[backbone]
    h, w = _size(image_size)
    if min(h, w) < spec["min_size"]:
        raise ValueError(f"{backbone} needs frames of at least {spec['min_size']}×{spec['min_size']} px, got {h}×{w}")
    ctor = getattr(keras.applications, spec["ctor"])
    module = getattr(keras.applications, spec["module"])
    kwargs = dict(include_top=False, pooling="avg", input_shape=(h, w, 3))
    if backbone == "mobilenet_v3_small":
        kwargs["include_preprocessing"] = True

    if weights is None or str(weights).lower() == "none":
        from choreo_utils.runtime import seed_scope  # noqa: PLC0415

        with seed_scope(init_seed):     # a random network, but always the same one; the caller's RNGs untouched
            model = ctor(weights=None, **kwargs)
        label = f"none (init seed {init_seed})"
    elif str(weights) == "imagenet":
        cached = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models" / spec["weights_file"]
        old_timeout = socket.getdefaulttimeout()
        socket.setdefaulttimeout(download_timeout)
        try:
            model = ctor(weights="imagenet", **kwargs)
        except Exception as exc:
            raise WeightsUnavailableError(
                f"could not load ImageNet weights for {backbone}: {type(exc).__name__}: {exc}\n"
                f"Offline? Two ways out:\n"
                f"  1. put the weights file at {_home_relative(cached)} (copy it from a machine with internet), "
                f"or pass its path: "
                f"build_extractor({backbone!r}, weights='path/to/{spec['weights_file']}');\n"
                f"  2. opt into a random-init backbone: build_extractor({backbone!r}, weights=None) and re-estimate "
                f"its BatchNorm statistics on training frames (features.reestimate_batchnorm) — results are then "
                f"labelled '{OFFLINE_LABEL}'.") from exc
        finally:
            socket.setdefaulttimeout(old_timeout)
        label = "imagenet"
    else:
        path = Path(weights)
        if not path.is_file():
            raise FileNotFoundError(f"weights file {path} does not exist "
                                    f"(expected {spec['weights_file']} for {backbone})")
        model = ctor(weights=None, **kwargs)
        try:
            with warnings.catch_warnings(record=True) as caught:   # Keras 3 may only *warn* on a partial match
                warnings.simplefilter("always")
                model.load_weights(str(path))
            skipped = [str(w.message) for w in caught if "Skipping" in str(w.message) or "mismatch" in str(w.message)]
            if skipped:
                raise ValueError(f"{len(skipped)} parts of the file did not fit, e.g. {skipped[0][:120]}")
        except Exception as exc:
            raise ValueError(f"weights file {path} does not match backbone {backbone} "
                             f"(expected something like {spec['weights_file']}, include_top=False): {exc}") from exc
        label = str(path.resolve())
    dim = spec["dim"]
    if layer:   # pool an intermediate block instead of the last one
        model, dim = _pooled_block(model, layer, backbone)
    model.trainable = False
    return Extractor(backbone=backbone, image_size=(h, w), weights_label=label, model=model,
                     preprocess=module.preprocess_input, dim=dim, layer=layer)


def _pooled_block(model, layer: str, backbone: str):
    """(model average-pooling ``layer``'s output, its width); shares ``model``'s weights."""
    import keras  # noqa: PLC0415

    try:
        out = model.get_layer(layer).output
    except ValueError:
        blocks = [lay.name for lay in model.layers if lay.name.startswith(("mixed", "block", "expanded_conv"))]
        raise ValueError(f"{backbone} has no layer {layer!r}; candidates: {', '.join(blocks[:20])}") from None
    pooled = keras.Model(model.input, keras.layers.GlobalAveragePooling2D(name=f"{layer}_avg_pool")(out),
                         name=f"{backbone}_{layer}")
    return pooled, int(out.shape[-1])


def block_extractor(extractor: Extractor, layer: str) -> Extractor:
    """An extractor pooling the intermediate block ``layer`` of ``extractor``'s (full) backbone, sharing its weights.

    BatchNorm statistics re-estimated on the full backbone carry over unchanged (each layer's statistics only
    depend on the layers before it), so probing several depths costs one build and one re-estimation. The layers
    are shared: re-estimating one extractor changes the other — its cache key follows, because the key holds a
    digest of the weights at extraction time."""
    if extractor.layer is not None:
        raise ValueError("block_extractor needs a full backbone (layer=None), got one already cut at "
                         f"{extractor.layer!r}")
    model, dim = _pooled_block(extractor.model, layer, extractor.backbone)
    model.trainable = False
    return dataclasses.replace(extractor, model=model, dim=dim, layer=layer, _compiled=None)


def save_extractor(extractor: Extractor, folder: str | os.PathLike) -> Path:
    """Write ``extractor`` as used (weights, re-estimated BatchNorm statistics included) to ``folder``:
    ``extractor.keras`` plus ``extractor.json`` describing it. Reload with :func:`load_extractor`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    extractor.model.save(folder / "extractor.keras")
    meta = {"backbone": extractor.backbone, "image_size": list(extractor.image_size),
            "weights": extractor.weights_label,
            "dim": extractor.dim, "layer": extractor.layer, "bn_reestimated": extractor.bn_reestimated,
            "label": extractor.label}
    if extractor.description:
        meta["description"] = extractor.description
    write_json(folder / "extractor.json", meta)
    return folder


def load_extractor(folder: str | os.PathLike) -> Extractor:
    """The extractor :func:`save_extractor` wrote to ``folder``, ready to call (no network, no re-estimation)."""
    import keras  # noqa: PLC0415

    folder = Path(folder)
    meta_path, model_path = folder / "extractor.json", folder / "extractor.keras"
    if not (meta_path.is_file() and model_path.is_file()):
        raise FileNotFoundError(f"{folder} holds no saved extractor (extractor.json + extractor.keras): save one "
                                "with features.save_extractor, or run notebook 03, which saves its own")
    meta = read_json(meta_path, what="saved extractor description", required=("backbone", "image_size", "dim",
                     "weights"), fix=f"delete {folder} and re-run the notebook that saved it (save_extractor)")
    if meta["backbone"] == PRETEXT_BACKBONE:
        from choreo_utils.pretext import identity as preprocess  # noqa: PLC0415
    else:
        preprocess = getattr(keras.applications, BACKBONES[meta["backbone"]]["module"]).preprocess_input
    model = keras.models.load_model(model_path, compile=False)   # saved uncompiled: no optimizer to restore
    model.trainable = False
    return Extractor(backbone=meta["backbone"], image_size=tuple(meta["image_size"]), weights_label=meta["weights"],
                     model=model, preprocess=preprocess, dim=int(meta["dim"]), layer=meta.get("layer"),
                     bn_reestimated=meta.get("bn_reestimated"), description=meta.get("description"))


# -------------------- BatchNorm re-estimation (needed for weights=None) --------------------
def reestimate_batchnorm(extractor: Extractor, frames: np.ndarray, batch_size: int = 128,
                         fingerprint: str | None = None) -> Extractor:
    """Replace every BatchNorm layer's moving mean/variance by statistics measured on ``frames``.

    A randomly initialised network has moving mean 0 / variance 1 in every BatchNorm layer, which are wrong
    for real activations: pooled features shrink to ~1e-4 and carry no usable signal. Running the frames in
    training mode with a cumulative-average momentum sets each layer's statistics to the average batch
    statistics of its actual inputs. Use *training* frames only. Returns the same extractor, marked.
    """
    import keras  # noqa: PLC0415

    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[1:3] != extractor.image_size:
        raise ValueError(f"expected frames (N, {extractor.image_size[0]}, {extractor.image_size[1]}, 3), "
                         f"got {frames.shape}; resize them with video.resize_frames first")
    bns = [layer for layer in extractor.model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    if not bns:
        raise ValueError(f"{extractor.backbone} has no BatchNormalization layers to re-estimate")
    old = [layer.momentum for layer in bns]
    batches = [frames[i:i + batch_size] for i in range(0, len(frames), batch_size)]
    extractor.model.trainable = True      # a frozen BatchNorm layer ignores training=True in Keras 3
    try:
        for k, batch in enumerate(batches):
            for layer in bns:
                layer.momentum = k / (k + 1)       # cumulative average over batches
            x = extractor.preprocess(batch.astype("float32"))
            extractor.model(x, training=True)
    finally:
        extractor.model.trainable = False
        for layer, m in zip(bns, old):
            layer.momentum = m
    extractor._compiled = None
    if fingerprint is None:
        fingerprint = hashlib.sha256(frames.tobytes()).hexdigest()[:16]
    extractor.bn_reestimated = f"{len(frames)} frames {fingerprint}"
    return extractor


# -------------------- Frame loading --------------------
def _load_frame_batch(paths: Sequence[str], size: tuple[int, int], strict: bool = False
                      ) -> tuple[np.ndarray, list[tuple[int, str, str]]]:
    """RGB frames (N, H, W, 3) resized to ``size``, and (position, path, reason) for each that did not decode
    (zeros in its place; ``strict``: raise instead, as ``video.read_frames`` does)."""
    out = np.zeros((len(paths), *size, 3), np.uint8)
    bad = []
    for i, p in enumerate(paths):
        rgb, reason = video.decode_frame(p)
        if rgb is None:
            if strict:
                raise video.bad_frame_error(p, reason)
            bad.append((i, str(p), reason))
            continue
        out[i] = video.resize_frames(rgb, size)
    return out, bad


def sample_frames(index: pd.DataFrame, size: Sequence[int], n: int = 512, seed: int = 0) -> np.ndarray:
    """``n`` frames drawn at random from ``index`` (pass the *training* rows), resized to ``size``."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(index), size=min(n, len(index)), replace=False)
    frames, bad = _load_frame_batch(index["path"].iloc[np.sort(rows)].tolist(), _size(size))
    if bad:
        raise ValueError(f"{len(bad)} sampled frames could not be decoded, e.g. {bad[0][1]} ({bad[0][2]}): "
                         "re-extract or regenerate them")
    return frames


# -------------------- Cache --------------------
def dataset_fingerprint(index: pd.DataFrame) -> str:
    """SHA-256 over every frame's path and the full bytes of its file, in index order (a missing one as such).

    Content, not size/mtime: a frame replaced by one of the same size with its mtime kept (``cp -p``, a restored
    backup) changes it. Cost: one read of every frame — measured on the default synthetic set (24,576 JPEGs,
    130 MB): 0.9 s with the files in the page cache on a 2-core machine; from a cold disk, the time to read
    130 MB. Small next to extracting their features (minutes)."""
    h = hashlib.sha256()
    for p in index["path"]:
        try:
            data = Path(p).read_bytes()
        except OSError as exc:
            data = f"<unreadable: {type(exc).__name__}>".encode()
        h.update(f"{p}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()[:20]


def cache_key(index: pd.DataFrame, extractor: Extractor) -> dict[str, Any]:
    """The fields that name a feature cache: the frames' content and the network's weights as they are now."""
    return {"version": CACHE_VERSION, "dataset": dataset_fingerprint(index), "frames": len(index),
            "dtype": "float16", **extractor.cache_fields()}


def cache_dir_for(key: dict[str, Any], root: str | os.PathLike | None = None) -> Path:
    """``artifacts/features/<backbone>[-<layer>]-<h>x<w>-<random|pretrained>-<hash of the whole key>``."""
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    h, w = key["image_size"]
    base = Path(root) if root else config.artifacts_dir() / "features"
    name = key["backbone"] + (f"-{key['layer']}" if key.get("layer") else "")
    return base / f"{name}-{h}x{w}-{'random' if key['weights'].startswith('none') else 'pretrained'}-{digest}"


@dataclasses.dataclass
class FeatureSet:
    """Features in frame-index order (memory-mapped float16) plus where they came from."""

    features: np.ndarray
    path: Path
    meta: dict[str, Any]

    @property
    def label(self) -> str:
        """The extractor label recorded with the cache."""
        return self.meta["label"]

    def clips(self, clip_table: pd.DataFrame, dtype=np.float32) -> np.ndarray:
        """Stack clip windows (n_clips, clip_len, dim) from the per-frame features."""
        if len(clip_table) == 0:
            return np.zeros((0, 0, self.features.shape[1]), dtype)
        lens = clip_table["clip_len"].unique()
        if len(lens) != 1:
            raise ValueError(f"clips have mixed lengths {sorted(lens)}; use one clip length per array")
        rows = clip_table["row"].to_numpy()
        if rows.max() + lens[0] > len(self.features):
            raise ValueError(f"clip rows run past the feature cache ({len(self.features)} frames): the clip table was "
                             "made from a different frame index than these features — rebuild one of them")
        idx = rows[:, None] + np.arange(lens[0])[None, :]
        return np.asarray(self.features[idx], dtype=dtype)


def _open_cache_file(path: Path, folder: Path, shape: tuple[int, int], mode: str) -> np.ndarray:
    """``features.npy`` memory-mapped, checked to be float16 of ``shape``; CorruptFileError naming it if not."""
    try:
        arr = np.load(path, mmap_mode=mode)
        problem = "" if arr.shape == shape and arr.dtype == np.float16 else f"holds {arr.dtype} {arr.shape}"
    except (OSError, ValueError) as exc:     # missing, truncated, not an .npy
        problem = f"{type(exc).__name__}: {exc}"
    if problem:
        raise CorruptFileError(f"{path} (feature cache) is corrupt ({problem}; expected float16 {shape}): delete the "
                               f"folder {folder} and run again")
    return arr


def extract_features(index: pd.DataFrame, extractor: Extractor, cache_root: str | os.PathLike | None = None,
                     batch_size: int = 64, workers: int = 2, progress: bool = True,
                     flush_every: int = 20, strict: bool = False) -> FeatureSet:
    """Features for every frame of ``index`` (in index order), from the cache when it matches.

    Resumable: finished videos (and their bad frames) go to ``progress.json`` after their rows are flushed to
    disk; a re-run skips them. The cache is complete once ``meta.json`` exists (JSON written atomically; a corrupt
    file raises CorruptFileError naming it and the folder to delete). Undecodable frames: zeros and one warning,
    as ``video.read_frames``; ``strict=True`` raises.
    """
    from choreo_utils.progress import bar as progress_bar  # noqa: PLC0415

    if extractor.offline and not extractor.bn_reestimated:
        warnings.warn("extracting with a random-init backbone whose BatchNorm statistics were not re-estimated: "
                      "features will be tiny and near-useless; call features.reestimate_batchnorm first",
                      stacklevel=2)
    key = cache_key(index, extractor)
    folder = cache_dir_for(key, cache_root)
    feats_path, meta_path, prog_path = folder / "features.npy", folder / "meta.json", folder / "progress.json"
    shape = (len(index), extractor.dim)
    fix = f"delete the folder {folder} and run again"
    if meta_path.is_file():
        meta = read_json(meta_path, what="feature-cache metadata", fix=fix, required=("key", "label"))
        if meta["key"] == key:
            return FeatureSet(_open_cache_file(feats_path, folder, shape, "r"), feats_path, meta)
        shutil.rmtree(folder)   # pragma: no cover - a hash collision; never reuse a mismatched cache

    folder.mkdir(parents=True, exist_ok=True)
    done_videos, store = set(), None
    bad_frames: list[tuple[int, str, str]] = []          # (row, path, reason) in finished videos
    if feats_path.is_file() and prog_path.is_file():
        prog = read_json(prog_path, what="feature-extraction progress", fix=fix, required=("key", "done", "bad"))
        if prog["key"] == key:
            store = _open_cache_file(feats_path, folder, shape, "r+")
            done_videos = set(prog["done"])
            bad_frames = [tuple(b) for b in prog["bad"]]
    if store is None:
        store = np.lib.format.open_memmap(feats_path, mode="w+", dtype=np.float16, shape=shape)

    videos = index["video_id"].to_numpy()
    todo = np.flatnonzero(~np.isin(videos, list(done_videos))) if done_videos else np.arange(len(index))
    last_row = pd.Series(np.arange(len(index))).groupby(videos).max().to_dict()
    paths = index["path"].to_numpy()
    batches = [todo[i:i + batch_size] for i in range(0, len(todo), batch_size)]
    pending_bad: list[tuple[int, str, str]] = []          # bad frames of videos not finished yet
    start = time.perf_counter()

    def load(rows: np.ndarray):
        return _load_frame_batch(paths[rows].tolist(), extractor.image_size, strict)

    bar = progress_bar(total=len(todo), desc=f"features ({extractor.backbone})", unit="frame", disable=not progress)
    with ThreadPoolExecutor(max(1, workers)) as pool:
        pending = [pool.submit(load, b) for b in batches[:2]]
        for k, rows in enumerate(batches):
            frames, bad = pending.pop(0).result()
            if k + 2 < len(batches):
                pending.append(pool.submit(load, batches[k + 2]))
            pending_bad.extend((int(rows[i]), p, r) for i, p, r in bad)
            n = len(frames)
            if n < batch_size:       # pad to a fixed batch shape: one compiled graph for every batch
                frames = np.concatenate([frames, np.zeros((batch_size - n, *frames.shape[1:]), np.uint8)])
            store[rows] = extractor(frames)[:n].astype(np.float16)
            bar.update(n)
            finished = [v for v in set(videos[rows]) if last_row[v] <= rows[-1]]
            done_videos.update(finished)
            if (k + 1) % flush_every == 0 or k == len(batches) - 1:
                store.flush()
                bad_frames += [b for b in pending_bad if videos[b[0]] in done_videos]
                pending_bad = [b for b in pending_bad if videos[b[0]] not in done_videos]
                write_json(prog_path, {"key": key, "done": sorted(done_videos), "bad": bad_frames})
    bar.close()
    seconds = time.perf_counter() - start
    bad_frames.sort()
    if bad_frames:
        warnings.warn(video.bad_frames_message([(p, r) for _, p, r in bad_frames], len(index)), stacklevel=2)
    store.flush()
    del store
    meta = {"key": key, "label": extractor.label, "frames": len(index), "dim": extractor.dim,
            "seconds": round(seconds, 2), "frames_computed": len(todo),
            "frames_per_second": round(len(todo) / max(seconds, 1e-9), 1),
            "bad_frames": [p for _, p, _ in bad_frames[:100]], "n_bad_frames": len(bad_frames)}
    write_json(meta_path, meta)
    prog_path.unlink(missing_ok=True)
    return FeatureSet(_open_cache_file(feats_path, folder, shape, "r"), feats_path, meta)


def cache_size_bytes(feature_set: FeatureSet) -> int:
    """Bytes used on disk by a feature cache folder."""
    return sum(p.stat().st_size for p in feature_set.path.parent.iterdir() if p.is_file())
