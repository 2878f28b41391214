"""The shared path from notebook parameters to training arrays, so notebooks 03 and 04 can run on their own.

frame index (``datasets``) → clips (``clips.make_clips``) → grouped train/val/test split → backbone with
BatchNorm re-estimated on *training* frames when offline → cached per-frame features → clip arrays.
Each step is cached or deterministic, so calling this from several notebooks costs little after the first.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from choreo_utils import clips, datasets, features


@dataclasses.dataclass
class ClipData:
    """Clip feature arrays for each split, their labels and videos, and where the features came from."""

    table: pd.DataFrame                 # one row per clip, with a ``split`` column (train/val/test)
    feature_set: features.FeatureSet
    extractor_label: str
    index: pd.DataFrame

    def arrays(self, split: str, table: pd.DataFrame | None = None,
               feature_set: features.FeatureSet | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(X, labels, video_ids) for one split of ``table`` (default: this object's grouped split), from
        ``feature_set`` (default: the CNN features; e.g. :func:`oracle_pose` for the positive control)."""
        t = self.table if table is None else table
        rows = t[t["split"] == split]
        fs = self.feature_set if feature_set is None else feature_set
        return fs.clips(rows), rows["label"].to_numpy(), rows["video_id"].to_numpy()

    def counts(self) -> dict[str, Any]:
        """Clips and videos per split (for honest reporting)."""
        g = self.table.groupby("split")
        return {f"{s}_clips": int(n) for s, n in g.size().items()} | \
               {f"{s}_videos": int(n) for s, n in g["video_id"].nunique().items()}


def build_extractor_for(index_train: pd.DataFrame, backbone: str, image_size, weights, seed: int = 0,
                        bn_frames: int = 512, layer: str | None = None) -> features.Extractor:
    """Build the backbone; with ``weights=None`` re-estimate BatchNorm on frames of the training videos."""
    ex = features.build_extractor(backbone, image_size, weights=None if weights in (None, "none") else weights,
                                  layer=layer)
    if ex.offline:
        frames = features.sample_frames(index_train, ex.image_size, n=bn_frames, seed=seed)
        # labelled by a hash of the sampled frames themselves (no second read of every training file: the cache
        # key already holds the frames' content and the re-estimated weights)
        features.reestimate_batchnorm(ex, frames)
    return ex


def feature_name(backbone: str, weights: str | None = None) -> str:
    """A short name for tables and figures: "random-init InceptionV3", "pose-pretext CNN", "ImageNet InceptionV3"."""
    if backbone == features.PRETEXT_BACKBONE:
        return "pose-pretext CNN"
    names = {"inception_v3": "InceptionV3", "mobilenet_v3_small": "MobileNetV3-Small"}
    name = names.get(backbone, backbone)
    if weights in (None, "none", "None"):
        return f"random-init {name}"
    return f"ImageNet {name}" if str(weights) == "imagenet" else f"{name} ({Path(str(weights)).name})"


def oracle_pose(index: pd.DataFrame) -> features.FeatureSet:
    """The generator's joints as per-frame features (48-d, body heights), in ``index`` order — the positive control.

    Synthetic data only (real videos have no joint labels): ``synthetic.oracle_pose_frames`` wrapped as a
    feature set, so the clip code serves it like any backbone's features."""
    from choreo_utils import synthetic  # noqa: PLC0415

    out = synthetic.oracle_pose_frames(index)
    root = Path(index["path"].iloc[0]).parents[2]          # root/rgb/<genre>/<file>.jpg
    return features.FeatureSet(out, root / synthetic.JOINTS,
                               {"label": f"oracle pose (generator joints), {out.shape[1]}-d"})


def comparison_feature_sets(data: ClipData, data_source: str = "synthetic", **clip_data_kwargs: Any
                            ) -> dict[str, tuple]:
    """Notebook 03's feature types for the same clips: ``{name: (train, val, test)}`` splits of (X, labels, videos).

    ``data`` (from :func:`clip_data`) gives the main features. On synthetic data two more come with it: the other
    offline backbone (random-init InceptionV3 pooled after ``mixed2`` when ``data`` is the pose-pretext CNN, else
    the pose-pretext CNN), built by :func:`clip_data` with ``clip_data_kwargs`` (the same data arguments as
    ``data``; ``backbone``, ``weights`` and ``layer`` are replaced), and the oracle pose (:func:`oracle_pose`).
    The clips, split and test videos are checked to be the same for all of them."""
    splits = ("train", "val", "test")
    backbone = clip_data_kwargs.pop("backbone", features.PRETEXT_BACKBONE)
    weights = clip_data_kwargs.pop("weights", None)
    clip_data_kwargs.pop("layer", None)
    sets = {feature_name(backbone, weights): tuple(data.arrays(s) for s in splits)}
    if data_source != "synthetic":          # real videos have no joints, and only the requested backbone
        return sets
    other = (("inception_v3", features.RANDOM_INCEPTION_LAYER) if backbone == features.PRETEXT_BACKBONE
             else (features.PRETEXT_BACKBONE, None))
    other_data = clip_data(data_source, **clip_data_kwargs, backbone=other[0], weights=None, layer=other[1])
    if not other_data.table.equals(data.table):
        raise RuntimeError("the second backbone's clips differ from the first's: pass the same data arguments")
    sets[feature_name(other[0])] = tuple(other_data.arrays(s) for s in splits)
    pose = oracle_pose(data.index)
    sets["oracle pose"] = tuple(data.arrays(s, feature_set=pose) for s in splits)
    return sets


def split_clips(index: pd.DataFrame, *, clip_len: int = 30, test_ratio: float = 1 / 11, val_ratio: float = 0.1,
                seed: int = 0) -> pd.DataFrame:
    """Non-overlapping clips with the grouped train/val/test split that every notebook uses.

    Test videos are grouped by YouTube id; validation videos are carved from the rest (also grouped)."""
    table = clips.make_clips(index, clip_len=clip_len)
    table = clips.grouped_split(table, test_ratio=test_ratio, seed=seed)
    return clips.validation_split(table, val_ratio=val_ratio, seed=seed)


def training_frames(index: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``index`` from the *training* videos of ``table`` (offline BatchNorm statistics come only from these).

    Notebook 02 and :func:`clip_data` both call this, so they re-estimate BatchNorm on the same frames and share
    one feature cache."""
    train_videos = set(table.loc[table["split"] == "train", "video_id"])
    return index[index["video_id"].isin(train_videos)]


def clip_data(data_source: str = "synthetic", *, videos_per_genre: int = 24, frames_per_video: int = 64,
              frame_size=(96, 144), seed: int = 0, clip_len: int = 30, train_stride: int | None = None,
              test_ratio: float = 1 / 11, val_ratio: float = 0.1, backbone: str = "inception_v3",
              image_size=(75, 112), weights: str | None = None, letsdance_archive: str | None = None,
              letsdance_root: str | None = None, max_frames_per_video: int | None = None,
              sha256: str | None = None, genres=None, layer: str | None = None, progress: bool = True,
              batch_size: int = 64) -> ClipData:
    """Everything notebooks 03/04 need: grouped train/val/test clips and their cached features.

    ``train_stride`` < ``clip_len`` adds overlapping clips inside the *training* split only (more training
    windows; test clips stay non-overlapping, as in the paper).
    """
    index = datasets.load_frame_index(data_source, videos_per_genre=videos_per_genre,
                                      frames_per_video=frames_per_video, size=tuple(frame_size), seed=seed,
                                      letsdance_archive=letsdance_archive, letsdance_root=letsdance_root,
                                      max_frames_per_video=max_frames_per_video, sha256=sha256, genres=genres,
                                      progress=progress)
    table = split_clips(index, clip_len=clip_len, test_ratio=test_ratio, val_ratio=val_ratio, seed=seed)
    if train_stride and train_stride < clip_len:
        dense = clips.make_clips(index, clip_len=clip_len, stride=train_stride)
        split_of = table.drop_duplicates("video_id").set_index("video_id")["split"]
        dense["split"] = dense["video_id"].map(split_of)
        table = pd.concat([dense[dense["split"] == "train"], table[table["split"] != "train"]], ignore_index=True)
    ex = build_extractor_for(training_frames(index, table), backbone, image_size, weights, seed=seed, layer=layer)
    fs = features.extract_features(index, ex, progress=progress, batch_size=batch_size)
    return ClipData(table=table, feature_set=fs, extractor_label=fs.label, index=index)
