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

Building a backbone is :mod:`choreo_utils.backbones` (the registry) and :mod:`choreo_utils.extractor` (what a
built one is, and BatchNorm re-estimation for a random-init one); their public names are re-exported here, so
``features.build_extractor`` and ``features.reestimate_batchnorm`` keep working.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from choreo_utils import checks, config, video
from choreo_utils.backbones import (BACKBONES, RANDOM_INCEPTION_LAYER, WeightsUnavailableError, block_extractor,
                                    build_extractor, load_extractor, save_extractor)
from choreo_utils.extractor import OFFLINE_LABEL, PRETEXT_BACKBONE, Extractor, reestimate_batchnorm
from choreo_utils.io_utils import CorruptFileError, read_json, write_json

__all__ = ["BACKBONES", "CACHE_VERSION", "OFFLINE_LABEL", "PRETEXT_BACKBONE", "RANDOM_INCEPTION_LAYER", "Extractor",
           "FeatureSet", "WeightsUnavailableError", "block_extractor", "build_extractor", "cache_dir_for",
           "cache_key", "cache_size_bytes", "dataset_fingerprint", "extract_features", "load_extractor",
           "reestimate_batchnorm", "sample_frames", "save_extractor"]

CACHE_VERSION = 4


# -------------------- Frame loading --------------------
def sample_frames(index: pd.DataFrame, size: Sequence[int], n: int = 512, seed: int = 0) -> np.ndarray:
    """``n`` frames drawn at random from ``index`` (pass the *training* rows), resized to ``size``."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(index), size=min(n, len(index)), replace=False)
    frames, bad = video.load_frame_batch(index["path"].iloc[np.sort(rows)].tolist(), checks.size(size, "size"))
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
    from choreo_utils.clips import require_columns  # noqa: PLC0415
    from choreo_utils.progress import bar as progress_bar  # noqa: PLC0415

    require_columns(index, ["path", "video_id"], "the frame index given to extract_features",
                    "Make one with datasets.load_frame_index(...) or letsdance.index_frames(root).")
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
        return video.load_frame_batch(paths[rows].tolist(), extractor.image_size, strict)

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
