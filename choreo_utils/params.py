"""Parameter files (``params/*.yaml``): the one reader every entry point outside a notebook uses.

A parameter file maps UPPER_CASE names — the variables of the notebooks' ``parameters`` cells — to values.
:func:`load` reads one (``scripts/run_notebooks.py`` then checks each key is declared by some notebook);
:func:`tuning_export_kwargs` turns one into the keyword arguments of :func:`choreo_utils.pipeline.clip_data`
for ``make tune-distributed``, through the explicit table :data:`TUNING_EXPORT`: each key goes exactly where
notebook 04 sends it, keys that do not concern the export are listed in :data:`NOT_EXPORTED`, and any other key
is refused with its name — nothing is dropped or re-routed silently.

**Adding a notebook parameter**: declare it in the notebooks' parameters cells, then add it here — to
:data:`TUNING_EXPORT` (e.g. ``"LETSDANCE_SHA256": "sha256"``) if notebook 04 passes
it to ``pipeline.clip_data`` (which must then accept that keyword), else to :data:`NOT_EXPORTED`.
``tests/test_params.py`` fails until the two tables cover exactly the notebooks' parameters.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Mapping

#: Parameter → keyword of ``pipeline.clip_data`` for the tuning export, as notebook 04's ``clip_data`` call has it.
TUNING_EXPORT: dict[str, str] = {
    "DATA_SOURCE": "data_source",
    "SEED": "seed",
    "VIDEOS_PER_GENRE": "videos_per_genre",
    "FRAMES_PER_VIDEO": "frames_per_video",
    "FRAME_SIZE": "frame_size",
    "CLIP_LEN": "clip_len",
    "TEST_RATIO": "test_ratio",
    "LETSDANCE_ARCHIVE": "letsdance_archive",
    "LETSDANCE_ROOT": "letsdance_root",
    "MAX_FRAMES_PER_VIDEO": "max_frames_per_video",
    "LETSDANCE_SHA256": "sha256",          # the archive's expected SHA-256 (checked for a URL or a local file)
    "LETSDANCE_GENRES": "genres",          # extract only these genres (None: all 16)
    "BACKBONE": "backbone",
    "WEIGHTS": "weights",
    "IMAGE_SIZE": "image_size",
    "FEATURE_LAYER": "layer",               # notebooks 02-04: the block whose features are pooled
    "EXTRACT_BATCH": "batch_size",          # frames per extraction call (not BATCH_SIZE, the training batch)
    "TUNE_TRAIN_STRIDE": "train_stride",    # notebook 04's stride (not TRAIN_STRIDE, notebook 03's)
}

#: Known parameters that do not change the exported features (training, search and prediction settings).
NOT_EXPORTED: frozenset[str] = frozenset({
    # 02 / 03: speed comparison and training
    "THROUGHPUT_FRAMES", "TRAIN_STRIDE", "PRESET", "EPOCHS", "BATCH_SIZE", "PATIENCE", "MIN_DELTA", "LEARNING_RATE",
    "SEEDS",
    "SPLIT_SEEDS", "LEAK_SEEDS", "SWEEP_JOBS", "PRETEXT_RETRAIN",
    # 04: the search itself (the tuning CLI takes these as flags: see the Makefile's TUNE_ARGS)
    "TUNE_UNITS", "TUNE_DENSE", "TUNE_MAX_EPOCHS", "TUNE_FACTOR", "TUNE_SEEDS", "TUNE_PATIENCE", "TUNE_JOBS",
    "TUNE_BN_MOMENTUM", "FINAL_EPOCHS", "FINAL_SEEDS",
    # 05: next-frame prediction
    "PRED_SIZE", "PRED_SEQ_LEN", "PRED_VIDEOS_PER_GENRE", "PRED_TEST_RATIO", "PRED_TRAIN_SEQS", "PRED_TRAIN_CROP",
    "PRED_EPOCHS", "PRED_BATCH_SIZE", "PRED_LEARNING_RATE", "PRED_CONTEXT", "PRED_HORIZON", "PRED_ROLLOUT_SEQS",
    "PRED_SHOW", "PRED_GIF_SCALE", "PRED_VIDEO_FILE", "PRED_VAL_RATIO", "PRED_SEEDS", "PRED_DESIGN_SEEDS",
    # 06: does the generated motion keep its genre?
    "GEN_VIDEOS", "GEN_EVAL_RATIO", "GEN_WINDOWS", "GEN_EVAL_SEQS_PER_VIDEO", "GEN_TRAIN_WINDOWS_PER_VIDEO",
    "GEN_MOTION_ONLY", "GEN_EMBED_DIM", "GEN_EPOCHS", "GEN_BATCH_SIZE", "GEN_LEARNING_RATE",
})

#: Every parameter a parameter file may give.
KNOWN: frozenset[str] = frozenset(TUNING_EXPORT) | NOT_EXPORTED


def load(path: str | os.PathLike, known: Iterable[str] | None = None, where: str = "") -> dict[str, Any]:
    """The parameters of the YAML file at ``path``, as a dict (an empty file gives ``{}``).

    Raises FileNotFoundError if there is no such file, ValueError if it is not YAML, not a mapping, or has a key
    that is not an UPPER_CASE name — and, when ``known`` is given, if it has a key outside ``known`` (all such
    keys are named; ``where`` says where known keys are declared, for the message).
    """
    import yaml  # noqa: PLC0415

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"parameter file {path} not found; pass one of params/*.yaml (e.g. "
                                "params/default.yaml) or a copy of one")
    try:
        values = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ValueError(f"parameter file {path} is not valid YAML: {exc}") from exc
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ValueError(f"parameter file {path} must map NAMES to values (KEY: value lines); got a "
                         f"{type(values).__name__}")
    bad = [k for k in values if not (isinstance(k, str) and k.isidentifier() and k == k.upper())]
    if bad:
        raise ValueError(f"parameter file {path}: keys must be UPPER_CASE names like the notebooks' parameters "
                         f"(CLIP_LEN, SEED, ...); got {', '.join(map(repr, bad))}")
    if known is not None:
        check_known(values, known, path, where)
    return dict(values)


def check_known(values: Mapping[str, Any], known: Iterable[str], path: str | os.PathLike, where: str = "") -> None:
    """ValueError naming every key of ``values`` (read from ``path``) that is not in ``known``."""
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"parameter file {path} has unknown key(s) {', '.join(unknown)}"
                         f"{' (' + where + ')' if where else ''}: fix the spelling or remove them")


def tuning_export_kwargs(values: Mapping[str, Any], path: str | os.PathLike = "the parameter file") -> dict[str, Any]:
    """``pipeline.clip_data`` keyword arguments for the tuning export, mapped through :data:`TUNING_EXPORT`.

    Keys in :data:`NOT_EXPORTED` are ignored; any other key raises ValueError naming it (see the module
    docstring for where to add a new parameter)."""
    check_known(values, KNOWN, path, "not a parameter any notebook declares; a new notebook parameter must also "
                "be added to TUNING_EXPORT or NOT_EXPORTED in choreo_utils/params.py")
    return {TUNING_EXPORT[k]: v for k, v in values.items() if k in TUNING_EXPORT}
