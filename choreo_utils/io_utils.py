"""Atomic writes: a file (or a folder of files) is either complete or absent, never half-written."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator, Sequence


class CorruptFileError(ValueError):
    """A file a later run trusts (a manifest, a cache's metadata) exists but cannot be used: truncated,
    not JSON, or not the expected shape. The message names the file and what to do."""


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)      # mkstemp makes 0600 files; give the usual permissions
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty temporary folder next to ``path``; it replaces ``path`` (whole) only if the block succeeds.

    For artifacts made of several files (a saved model and its description): a crash leaves the old folder, or
    none, never a mix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent))
    try:
        yield tmp
        old = None
        if path.exists():
            old = path.with_name(f".{path.name}.old-{os.getpid()}")
            os.replace(path, old)
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


@contextlib.contextmanager
def without_optimizer_warning() -> Iterator[None]:
    """Load a saved Keras model for prediction (``compile=False``) without Keras warning that it skipped the
    optimizer's saved state — skipping it is the point."""
    import warnings  # noqa: PLC0415

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        yield


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as pretty JSON, atomically (NumPy scalars and arrays are converted)."""

    def default(o: Any) -> Any:
        if hasattr(o, "tolist"):
            return o.tolist()
        if isinstance(o, Path):
            return str(o)
        raise TypeError(f"cannot write {type(o).__name__} to JSON")

    text = json.dumps(obj, indent=2, sort_keys=True, default=default) + "\n"
    return write_bytes_atomic(path, text.encode())


def read_json(path: str | os.PathLike, what: str = "file", fix: str = "delete it and run again",
              required: Sequence[str] = ()) -> dict[str, Any]:
    """Read a JSON object that an earlier run wrote and a later run trusts.

    ``what`` says what the file is (``"feature-cache metadata"``), ``fix`` what to do when it is unusable,
    ``required`` the keys it must hold. A missing file raises FileNotFoundError; a truncated or non-JSON file,
    or one of the wrong shape (not an object, a required key missing), raises :class:`CorruptFileError`:
    ``"<path> (<what>) is corrupt (JSONDecodeError: ...): <fix>"``."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} ({what}) does not exist") from None
    try:
        obj = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:    # ValueError subclasses: truncated, binary junk
        raise CorruptFileError(f"{path} ({what}) is corrupt ({type(exc).__name__}: {exc}): {fix}") from exc
    if not isinstance(obj, dict):
        raise CorruptFileError(f"{path} ({what}) is corrupt (expected a JSON object, found "
                               f"{type(obj).__name__}): {fix}")
    missing = [k for k in required if k not in obj]
    if missing:
        raise CorruptFileError(f"{path} ({what}) is corrupt (missing {', '.join(map(repr, missing))}): {fix}")
    return obj


def save_metrics(name: str, metrics: dict[str, Any]) -> str:
    """Write a notebook's headline numbers to ``artifacts/metrics/<name>.json``, with the package versions
    that produced them (``"versions"``, from :func:`choreo_utils.runtime.versions`).

    Returns the path relative to the project root, e.g. ``'artifacts/metrics/03_classifier_training.json'``."""
    from choreo_utils.config import metrics_path, relative_to_root  # noqa: PLC0415
    from choreo_utils.runtime import versions  # noqa: PLC0415

    return relative_to_root(write_json(metrics_path(name), {**metrics, "versions": versions()}))
