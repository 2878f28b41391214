"""Parameter files (``params/*.yaml``): the one reader every entry point outside a notebook uses.

A parameter file maps UPPER_CASE names — the variables of the notebooks' ``parameters`` cells — to values.
:func:`declared_parameters` reads a notebook's (``papermill.inspect_notebook``) and :func:`known` is every name the
notebooks declare — read from the notebooks themselves, never a list kept by hand. :func:`load` reads a parameter
file (``scripts/run_notebooks.py`` then checks each key is declared by some notebook);
:func:`tuning_export_kwargs` turns one into the keyword arguments of :func:`choreo_utils.pipeline.clip_data`
for ``make tune-distributed``, through the explicit table :data:`TUNING_EXPORT`: each key goes exactly where
notebook 04 sends it, every other parameter a notebook declares does not concern the export (ignored), and a key no
notebook declares is refused with its name — nothing is dropped or re-routed silently.

**Adding a notebook parameter**: declare it in the notebook's parameters cell; if notebook 04 passes it to
``pipeline.clip_data`` (which must then accept that keyword), add it to :data:`TUNING_EXPORT` too (e.g.
``"LETSDANCE_SHA256": "sha256"``) — ``tests/test_params.py`` reads notebook 04's ``clip_data`` call and fails
until the table holds every parameter it passes.
"""
from __future__ import annotations

import ast
import functools
import os
from pathlib import Path
from typing import Any, Iterable, Mapping

#: The notebooks whose ``parameters`` cells declare the names (the checkout this package lives in).
NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"

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

def declared_parameters(notebook: str | os.PathLike) -> dict[str, Any]:
    """Names assigned in the notebook's cell tagged ``parameters``, with their default values
    (``papermill.inspect_notebook``; a default that is not a Python literal is kept as its source text)."""
    import papermill as pm  # noqa: PLC0415  (a dev dependency: notebooks are run from a checkout)

    out = {}
    for name, info in pm.inspect_notebook(str(notebook)).items():
        try:
            out[name] = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError):
            out[name] = info["default"]
    return out


@functools.lru_cache(maxsize=None)
def known(notebooks_dir: str | os.PathLike = NOTEBOOKS_DIR) -> frozenset[str]:
    """Every parameter a parameter file may give: the names the numbered notebooks in ``notebooks_dir`` declare."""
    paths = sorted(Path(notebooks_dir).glob("[0-9]*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"no numbered notebooks in {notebooks_dir}: parameter names are read from their "
                                "parameters cells, so run this from a checkout of the project")
    return frozenset().union(*(declared_parameters(p) for p in paths))


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

    Other keys that a notebook declares are ignored; a key no notebook declares raises ValueError naming it (see the
    module docstring for where to add a new parameter)."""
    check_known(values, known(), path, "not a parameter any notebook's parameters cell declares: fix the spelling, "
                "or declare it in the notebook (and, if notebook 04 exports it, in TUNING_EXPORT in "
                "choreo_utils/params.py)")
    return {TUNING_EXPORT[k]: v for k, v in values.items() if k in TUNING_EXPORT}
