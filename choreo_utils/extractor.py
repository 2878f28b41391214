"""What a per-frame backbone is once built: an :class:`Extractor` (uint8 RGB frames in, pooled vectors out), and
BatchNorm re-estimation for one whose statistics were never trained (:func:`reestimate_batchnorm`).

Layer 2, below the two kinds of backbone (:mod:`choreo_utils.backbones` builds Keras applications and the
pose-pretext CNN of :mod:`choreo_utils.pretext` behind one registry) and below :mod:`choreo_utils.features`
(extraction and cache). Importing it does not import TensorFlow.
"""
from __future__ import annotations

import dataclasses
import hashlib
from typing import Any, Callable

import numpy as np

from choreo_utils import bundle

#: how every output of a random-init backbone is labelled
OFFLINE_LABEL = "random-init backbone (offline stand-in)"
#: the offline backbone with learned weights (:mod:`choreo_utils.pretext`), built by ``backbones.build_extractor``
PRETEXT_BACKBONE = "pose_pretext"


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
        """:func:`choreo_utils.bundle.weights_digest` of the network, its first 20 hex digits (the feature cache's key
        holds it; the length the caches written so far were keyed with)."""
        return bundle.weights_digest(self.model)[:20]

    def check_frames(self, frames: Any, name: str = "frames") -> np.ndarray:
        """``frames`` as an array if they are what this extractor reads — uint8 RGB 0–255, (N, H, W, 3) at
        ``image_size`` — else a ValueError saying what was wrong and what to do (float frames in [0, 1], the
        prediction notebooks' convention, are the usual mistake)."""
        x = np.asarray(frames)
        h, w = self.image_size
        if x.ndim != 4 or x.shape[1:] != (h, w, 3):
            raise ValueError(f"{name} must be RGB frames (N, {h}, {w}, 3) at this extractor's image size; got shape "
                             f"{x.shape}: resize them with video.resize_frames(frames, ({h}, {w}))")
        if x.dtype != np.uint8:
            if np.issubdtype(x.dtype, np.floating) and x.size and float(np.nanmax(x)) <= 1.0:
                raise ValueError(f"{name} are float in [0, 1]; this extractor wants uint8 0–255: pass "
                                 "viz.to_uint8(frames)")
            if not (np.issubdtype(x.dtype, np.number) and x.size and 0 <= float(x.min()) and float(x.max()) <= 255):
                raise ValueError(f"{name} must be uint8 RGB 0–255; got {x.dtype} values: convert them first")
        return x

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        """Features (N, dim) float32 for uint8 RGB frames (N, H, W, 3) already at ``image_size``."""
        import tensorflow as tf  # noqa: PLC0415

        frames = self.check_frames(frames)
        if self._compiled is None:
            model, preprocess = self.model, self.preprocess

            @tf.function(reduce_retracing=True)
            def run(x):
                return model(preprocess(tf.cast(x, tf.float32)), training=False)

            self._compiled = run
        return self._compiled(frames).numpy()


def reestimate_batchnorm(extractor: Extractor, frames: np.ndarray, batch_size: int = 128,
                         fingerprint: str | None = None) -> Extractor:
    """Replace every BatchNorm layer's moving mean/variance by statistics measured on ``frames``.

    A randomly initialised network has moving mean 0 / variance 1 in every BatchNorm layer, which are wrong
    for real activations: pooled features shrink to ~1e-4 and carry no usable signal. Running the frames in
    training mode with a cumulative-average momentum sets each layer's statistics to the average batch
    statistics of its actual inputs. Use *training* frames only. Returns the same extractor, marked.
    """
    import keras  # noqa: PLC0415

    frames = extractor.check_frames(frames)
    if not len(frames):
        raise ValueError("reestimate_batchnorm needs frames to measure statistics on; got none: pass training "
                         "frames (e.g. features.sample_frames(index, size))")
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
