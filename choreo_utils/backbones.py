"""The backbone registry: :func:`build_extractor` builds any backbone the package knows — a Keras application
(InceptionV3, MobileNetV3-Small, EfficientNet-B0; ImageNet weights, a local file, or random-init offline) or the
pose-pretext CNN (:mod:`choreo_utils.pretext`) — as an :class:`~choreo_utils.extractor.Extractor`;
:func:`block_extractor` pools an intermediate block; :func:`save_extractor` / :func:`load_extractor` keep one.

Offline, ImageNet weights cannot be downloaded. :func:`build_extractor` then says so and names the two ways
out; with ``weights=None`` (opt-in) the backbone is randomly initialised and its BatchNorm statistics must be
re-estimated on training frames (``extractor.reestimate_batchnorm``) — every output is labelled
"random-init backbone (offline stand-in)". Keras is imported inside the functions that build or load.
"""
from __future__ import annotations

import dataclasses
import os
import socket
import warnings
from pathlib import Path
from typing import Any, Sequence

from choreo_utils import bundle, checks, pretext
from choreo_utils.extractor import OFFLINE_LABEL, PRETEXT_BACKBONE, Extractor

#: name → (keras.applications constructor, preprocess module, feature dim, default size, weights file name)
BACKBONES: dict[str, dict[str, Any]] = {
    "inception_v3": {"ctor": "InceptionV3", "module": "inception_v3", "dim": 2048, "min_size": 75,
                     "weights_file": "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"},
    "mobilenet_v3_small": {"ctor": "MobileNetV3Small", "module": "mobilenet_v3", "dim": 576, "min_size": 32,
                           "weights_file": "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5"},
    "efficientnet_b0": {"ctor": "EfficientNetB0", "module": "efficientnet", "dim": 1280, "min_size": 32,
                        "weights_file": "efficientnetb0_notop.h5"},
}

#: the block a *random-init* InceptionV3 is pooled at (notebook 02 measures why: deeper random blocks forget which
#: frames are neighbours, so motion becomes invisible)
RANDOM_INCEPTION_LAYER = "mixed2"


class WeightsUnavailableError(RuntimeError):
    """ImageNet weights could not be loaded (offline and not cached)."""


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
    h, w = checks.size(image_size, "image_size")
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
                f"its BatchNorm statistics on training frames (extractor.reestimate_batchnorm) — results are then "
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
    """Write ``extractor`` as used (weights, re-estimated BatchNorm statistics included) into ``folder``:
    ``extractor.keras`` plus ``extractor.json`` describing it, each file atomically (:func:`bundle.write_into`;
    a classifier's folder holds one). Reload with :func:`load_extractor`."""
    meta = {"backbone": extractor.backbone, "image_size": list(extractor.image_size),
            "weights": extractor.weights_label,
            "dim": extractor.dim, "layer": extractor.layer, "bn_reestimated": extractor.bn_reestimated,
            "label": extractor.label}
    if extractor.description:
        meta["description"] = extractor.description
    return bundle.write_into(folder, {"extractor": extractor.model}, meta, "extractor.json")


def load_extractor(folder: str | os.PathLike) -> Extractor:
    """The extractor :func:`save_extractor` wrote to ``folder``, ready to call (no network, no re-estimation)."""
    import keras  # noqa: PLC0415

    folder = Path(folder)
    models, meta = bundle.load(folder, ["extractor"], "extractor.json", what="saved extractor",
                               missing="save one with features.save_extractor, or run notebook 03, which saves its "
                               "own", required=("backbone", "image_size", "dim", "weights"),
                               fix=f"delete {folder} and re-run the notebook that saved it (save_extractor)")
    if meta["backbone"] == PRETEXT_BACKBONE:
        preprocess = pretext.identity
    else:
        preprocess = getattr(keras.applications, BACKBONES[meta["backbone"]]["module"]).preprocess_input
    model = models["extractor"]           # saved uncompiled: no optimizer to restore
    model.trainable = False
    return Extractor(backbone=meta["backbone"], image_size=tuple(meta["image_size"]), weights_label=meta["weights"],
                     model=model, preprocess=preprocess, dim=int(meta["dim"]), layer=meta.get("layer"),
                     bn_reestimated=meta.get("bn_reestimated"), description=meta.get("description"))
