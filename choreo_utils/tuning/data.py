"""The arrays a search trains and scores on (:class:`TuningData`): training clips and validation clips from
held-out *training* videos (never the test split), with a fingerprint and ``.npz`` save/load so distributed
workers and search processes load the same arrays instead of recomputing features.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from choreo_utils.tuning.errors import ConfigurationError, DataFileNotFoundError
from choreo_utils.config import GENRES


def _class_ids(labels, name: str) -> np.ndarray:
    """``labels`` as int64 class ids (clips,); a ConfigurationError for one-hot rows or float labels."""
    y = np.asarray(labels)
    if y.ndim != 1:
        raise ConfigurationError(f"{name} must be integer class ids, one per clip (clips,); got shape {y.shape}"
                                 + (" — one-hot rows? pass labels.argmax(1)" if y.ndim == 2 else ""))
    if y.size and not np.issubdtype(y.dtype, np.integer):
        raise ConfigurationError(f"{name} must be integer class ids; got {y.dtype} values (e.g. {y[:3].tolist()}): "
                                 "pass the genre indices (config.genre_index), not probabilities or floats")
    return y.astype(np.int64)


@dataclasses.dataclass
class TuningData:
    """Training and validation clips for a search — validation videos are held-out *training* videos.

    The test split never enters tuning. Labels are integers; ``n_classes`` sets the one-hot width.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    n_classes: int = len(GENRES)
    source: str = ""

    def __post_init__(self) -> None:
        self.x_train, self.x_val = np.asarray(self.x_train), np.asarray(self.x_val)
        self.y_train, self.y_val = _class_ids(self.y_train, "y_train"), _class_ids(self.y_val, "y_val")
        if self.x_train.ndim != 3 or self.x_val.ndim != 3 or self.x_train.shape[1:] != self.x_val.shape[1:]:
            raise ConfigurationError(f"x_train/x_val must be (clips, clip_len, feature_dim) with equal clip "
                                     f"shapes, got "
                                     f"{self.x_train.shape} and {self.x_val.shape}")
        if len(self.x_train) != len(self.y_train) or len(self.x_val) != len(self.y_val):
            raise ConfigurationError(f"{len(self.x_train)}/{len(self.x_val)} clips but "
                                     f"{len(self.y_train)}/{len(self.y_val)} "
                                     "labels (train/val)")
        if len(self.x_train) == 0:
            raise ConfigurationError("no training clips")
        if len(self.x_val) == 0:
            raise ConfigurationError("no validation clips: the search scores trials on held-out *training* videos — "
                                     "use clip_data(val_ratio=...) > 0 so some training videos are held out")
        labels = np.concatenate([self.y_train, self.y_val])
        if labels.min() < 0 or labels.max() >= self.n_classes:
            raise ConfigurationError(f"labels must lie in [0, {self.n_classes}), found {labels.min()}..{labels.max()}")

    @property
    def input_shape(self) -> tuple[int, int]:
        """(clip_len, feature_dim)."""
        return int(self.x_train.shape[1]), int(self.x_train.shape[2])

    @classmethod
    def from_clip_data(cls, data, n_classes: int = len(GENRES)) -> "TuningData":
        """From a ``pipeline.ClipData``: its ``train`` and ``val`` splits (checked to share no video)."""
        x_tr, y_tr, v_tr = data.arrays("train")
        x_va, y_va, v_va = data.arrays("val")
        shared = set(map(str, v_tr)) & set(map(str, v_va))
        if shared:
            raise ConfigurationError(f"{len(shared)} videos are in both train and val (e.g. {sorted(shared)[:3]}): the "
                                     "validation split must be grouped — use clips.validation_split")
        return cls(x_tr, y_tr, x_va, y_va, n_classes=n_classes, source=getattr(data, "extractor_label", ""))

    def fingerprint(self) -> str:
        """sha256 over shapes, dtypes, all labels and up to 64 evenly spaced clips of each split."""
        h = hashlib.sha256(f"n_classes={self.n_classes}".encode())
        for name in ("x_train", "y_train", "x_val", "y_val"):
            a = getattr(self, name)
            h.update(f"{name}{a.shape}{a.dtype.str}".encode())
            if a.ndim > 1 and len(a) > 64:
                a = a[np.linspace(0, len(a) - 1, 64).round().astype(int)]
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()

    def describe(self) -> dict[str, Any]:
        """Shape and fingerprint (what a project's ``choreo_search.json`` records about its data)."""
        return {"input_shape": list(self.input_shape), "n_classes": int(self.n_classes),
                "n_train": int(len(self.x_train)), "n_val": int(len(self.x_val)), "sha256": self.fingerprint()[:20]}

    def save(self, path: str | os.PathLike, meta: Mapping[str, Any] | None = None) -> Path:
        """Write an ``.npz`` (atomically) that distributed workers load instead of recomputing features."""
        from choreo_utils.io_utils import atomic_path  # noqa: PLC0415

        path = Path(path)
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, x_train=self.x_train, y_train=self.y_train, x_val=self.x_val, y_val=self.y_val,
                     n_classes=np.int64(self.n_classes), meta=np.array(json.dumps(dict(meta or {}))),
                     source=np.array(self.source))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "TuningData":
        """Read an ``.npz`` written by :meth:`save` (clear error for anything else)."""
        path = Path(path)
        if not path.is_file():
            raise DataFileNotFoundError(f"no tuning arrays at {path}: write them with TuningData.from_clip_data(...)"
                                    f".save('{path}') or `python -m choreo_utils.tuning export --out {path}`")
        try:
            z = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:      # not an .npz at all (e.g. a truncated or foreign file)
            raise ConfigurationError(f"{path} is not a readable .npz file (numpy: {exc}); write it again with "
                                     f"TuningData.save "
                                     "or `python -m choreo_utils.tuning export --force`") from exc
        with z:
            missing = {"x_train", "y_train", "x_val", "y_val"} - set(z.files)
            if missing:
                raise ConfigurationError(f"{path} is not a tuning arrays file (missing {sorted(missing)}); "
                                         f"write it with "
                                         "TuningData.save or `python -m choreo_utils.tuning export`")
            n_classes = int(z["n_classes"]) if "n_classes" in z.files else len(GENRES)
            return cls(z["x_train"], z["y_train"], z["x_val"], z["y_val"], n_classes=n_classes,
                       source=str(z["source"]) if "source" in z.files else str(path))

    @staticmethod
    def meta(path: str | os.PathLike) -> dict[str, Any]:
        """The ``meta`` dict stored by :meth:`save` ({} if none)."""
        with np.load(path, allow_pickle=False) as z:
            return json.loads(str(z["meta"])) if "meta" in z.files else {}
