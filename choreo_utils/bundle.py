"""A saved model folder — Keras models (``<name>.keras``) beside a JSON description — written and read one way.

Every model the package saves (a feature extractor, the BiLSTM classifier, the next-frame predictor, the
pose-pretext CNN) is such a bundle: :func:`save` writes it atomically (a crash leaves the old folder or none,
never a mix), :func:`write_into` adds one to a folder that is itself being written atomically, and :func:`load`
checks that the files are there, that the description is readable and holds what it must, and that every model
actually loads — a missing, truncated or foreign file is a :class:`BundleError` naming the folder, the file and
what to do, not a traceback from inside Keras' zip reader.

Layer 0 (it knows files, not what the models are); Keras is imported when a model is loaded. The one digest of a
model's weights, :func:`weights_digest`, lives here too.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from choreo_utils.io_utils import CorruptFileError, atomic_dir, atomic_path, read_json, write_json


def weights_digest(model: Any) -> str:
    """SHA-256 (hex) of every weight array of a Keras model — shape, dtype and bytes, BatchNorm statistics
    included, in the model's order. Equal digests are identical networks, whatever file they were saved in (a
    ``.keras`` zip also records when it was written); it also catches what a label cannot: a weights file edited in
    place, a random initialisation drawn differently by another library version, BatchNorm statistics re-estimated
    through another model sharing the layers. ~0.1 s for InceptionV3."""
    h = hashlib.sha256()
    for w in model.get_weights():
        a = np.ascontiguousarray(w)
        h.update(f"{a.shape}{a.dtype}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


class BundleError(CorruptFileError):
    """A saved model folder whose model file cannot be loaded (truncated, not a ``.keras`` archive, another
    model's file). The message names the folder, the file and the fix."""


def write_into(folder: str | os.PathLike, models: Mapping[str, Any], description: Mapping[str, Any],
               description_name: str) -> Path:
    """Write ``models`` (``{file stem: Keras model}``) and ``description`` (``<description_name>``) into the
    existing ``folder``, each file atomically. For a bundle inside another bundle being written; else use
    :func:`save`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, model in models.items():
        with atomic_path(folder / f"{name}.keras") as tmp:
            staged = tmp.with_suffix(".keras")          # Keras insists on the .keras ending
            try:
                model.save(staged)
                os.replace(staged, tmp)
            finally:
                if staged.exists():
                    staged.unlink()
    write_json(folder / description_name, dict(description))
    return folder


def save(folder: str | os.PathLike, models: Mapping[str, Any], description: Mapping[str, Any],
         description_name: str, extra: Any = None) -> Path:
    """Write a bundle to ``folder`` atomically: the whole folder is replaced only once every file is written.
    ``extra(tmp)`` may add more files (another bundle, say) to the temporary folder first. Returns ``folder``."""
    folder = Path(folder)
    with atomic_dir(folder) as tmp:
        write_into(tmp, models, description, description_name)
        if extra is not None:
            extra(tmp)
    return folder


def load(folder: str | os.PathLike, models: Sequence[str], description_name: str, *, what: str, missing: str,
         fix: str, required: Sequence[str] = ()) -> tuple[dict[str, Any], dict[str, Any]]:
    """``({file stem: model}, description)`` from a bundle; models are loaded uncompiled (for prediction).

    ``what`` names the bundle in messages ("saved classifier"), ``missing`` says where one comes from (when the
    folder holds none), ``fix`` what to do with a damaged one, ``required`` the description's keys. Raises
    FileNotFoundError, :class:`~choreo_utils.io_utils.CorruptFileError` (the description) or
    :class:`BundleError` (a model file)."""
    import keras  # noqa: PLC0415

    from choreo_utils.io_utils import without_optimizer_warning  # noqa: PLC0415

    folder = Path(folder)
    files = [f"{name}.keras" for name in models] + [description_name]
    if not all((folder / f).is_file() for f in files):
        raise FileNotFoundError(f"{folder} holds no {what} ({' + '.join(files)}): {missing}")
    description = read_json(folder / description_name, what=f"{what} description", fix=fix, required=required)
    loaded = {}
    for name in models:
        path = folder / f"{name}.keras"
        try:
            with without_optimizer_warning():
                loaded[name] = keras.models.load_model(path, compile=False)
        except Exception as exc:     # zip, HDF5 and Keras errors alike: the file is unusable
            raise BundleError(f"{path} ({what}) cannot be loaded ({type(exc).__name__}: {str(exc)[:200]}): "
                              f"{fix}") from exc
    return loaded, description
