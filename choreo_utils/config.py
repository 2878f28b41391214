"""Paths, the 16 genre names, seeding and the smoke-mode switch.

Nothing here touches the file system at import time: every path is computed when you ask for it.
"""
from __future__ import annotations

import contextlib
import os
import random
import re
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Iterator

import numpy as np

#: The 16 Let's Dance genres, alphabetical (the label order used everywhere).
GENRES: tuple[str, ...] = (
    "ballet", "break", "cha", "flamenco", "foxtrot", "jive", "latin", "pasodoble",
    "quickstep", "rumba", "samba", "square", "swing", "tango", "tap", "waltz",
)

#: Environment variable that overrides the project root (useful on Colab or in tests).
ROOT_ENV = "CHOREO_ROOT"
#: Environment variable that switches smoke mode on ("1", "true", "yes").
SMOKE_ENV = "CHOREO_SMOKE"


def project_root() -> Path:
    """The repository root: $CHOREO_ROOT, else the nearest parent of the cwd holding ``pyproject.toml``
    and ``choreo_utils/``, else the folder above the installed package, else the cwd."""
    env = os.environ.get(ROOT_ENV)
    if env:
        return Path(env).expanduser().resolve()
    cwd = Path.cwd().resolve()
    for folder in (cwd, *cwd.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "choreo_utils").is_dir():
            return folder
    pkg_parent = Path(__file__).resolve().parent.parent
    if (pkg_parent / "pyproject.toml").is_file():
        return pkg_parent
    return cwd


def data_dir() -> Path:
    """``<root>/data``: downloads, extracted frames and the synthetic set (gitignored)."""
    return project_root() / "data"


def artifacts_dir() -> Path:
    """``<root>/artifacts``: feature caches, models, tuner runs, metrics (gitignored).

    In smoke mode everything goes to ``artifacts/smoke`` so a CI run never overwrites real results."""
    base = project_root() / "artifacts"
    return base / "smoke" if smoke_mode() else base


def figures_dir() -> Path:
    """``<root>/figures``: report figures, committed; in smoke mode ``artifacts/smoke/figures``."""
    return artifacts_dir() / "figures" if smoke_mode() else project_root() / "figures"


def metrics_path(name: str) -> Path:
    """Where a notebook's headline numbers go: ``artifacts/metrics/<name>.json``."""
    return artifacts_dir() / "metrics" / f"{name}.json"


def models_dir() -> Path:
    """``artifacts/models``: trained models saved by the notebooks, with what produced them."""
    return artifacts_dir() / "models"


def relative_to_root(path: str | os.PathLike) -> str:
    """``path`` relative to the project root (what notebooks print: the same on every machine); else as given."""
    try:
        return str(Path(path).resolve().relative_to(project_root().resolve()))
    except ValueError:
        return str(path)


def genre_index(genre: str) -> int:
    """Integer label of a genre name; clear error for unknown names."""
    try:
        return GENRES.index(genre)
    except ValueError:
        raise ValueError(f"unknown genre {genre!r}; expected one of: {', '.join(GENRES)}") from None


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and (if already importable) Keras/TensorFlow in one call."""
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    try:
        with filtered_native_stderr():  # the first TensorFlow import prints CUDA-probe chatter
            import keras  # noqa: PLC0415  (heavy; only when available)
    except ImportError:  # pragma: no cover - keras is a dependency, but config must not need it
        return
    keras.utils.set_random_seed(seed)


def smoke_mode() -> bool:
    """True when $CHOREO_SMOKE is set (CI and ``make test`` set it): tiny sizes, minutes not hours."""
    return os.environ.get(SMOKE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


#: TensorFlow's start-up chatter on a machine without CUDA: printed by native code straight to file
#: descriptor 2 (so ``TF_CPP_MIN_LOG_LEVEL`` cannot silence the first two), harmless, and repeated in every
#: notebook. ``device_note`` says the same thing in one line.
BENIGN_TF_STDERR = re.compile(
    r"All log messages before absl::InitializeLog|cudart_stub\.cc.*Could not find cuda drivers"
    r"|cuda_platform\.cc.*failed call to cuInit|Unable to register cu(DNN|FFT|BLAS) factory"
    r"|computation placer already registered|oneDNN custom operations are on"
    r"|This TensorFlow binary is optimized to use available CPU instructions"
    r"|rebuild TensorFlow with the appropriate compiler flags"
    r"|meta_optimizer\.cc.*remapper failed")


@contextlib.contextmanager
def filtered_native_stderr(benign: re.Pattern = BENIGN_TF_STDERR) -> Iterator[None]:
    """Capture what native code writes to fd 2 inside the block; replay every line not matching ``benign``.

    Nothing is lost: unknown lines (real errors) are written back to ``sys.stderr`` when the block ends,
    and a Python exception raised inside the block propagates unchanged."""
    fd = 2  # native code writes to the process's fd 2, whatever sys.stderr is (Jupyter pipes it to the cell)
    try:
        saved = os.dup(fd)
    except OSError:  # no fd 2 at all (some embedded consoles): leave it alone
        yield
        return
    sys.stderr.flush()
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), fd)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, fd)
            os.close(saved)
            tmp.seek(0)
            kept = [line for line in tmp.read().decode(errors="replace").splitlines(keepends=True)
                    if line.strip() and not benign.search(line)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


def device_note() -> str:
    """One line saying whether TensorFlow sees a GPU (for the notebooks' Setup section).

    Imports TensorFlow with its benign CUDA-probe messages filtered out (see ``filtered_native_stderr``), and
    silences two known-benign repeated messages (see below)."""
    with filtered_native_stderr():
        import tensorflow as tf  # noqa: PLC0415

        gpus = tf.config.list_physical_devices("GPU")
    # Two known, benign messages the notebooks would otherwise repeat (errors and other warnings still show):
    # TensorFlow's "retracing" warning — the notebooks build many small models on purpose (seeds, baselines,
    # trials) — and Keras's note that it skipped a checkpoint's optimizer state, which keras-tuner's Hyperband
    # triggers each time it restores a promoted trial's weights into a freshly compiled model.
    tf.get_logger().setLevel("ERROR")
    warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
    if gpus:
        return f"TensorFlow {tf.__version__}: running on {len(gpus)} GPU(s) ({gpus[0].name})."
    return (f"TensorFlow {tf.__version__}: no GPU found, running on {os.cpu_count()} CPU core(s) — "
            "the default parameters are sized for that.")
