"""The run itself: seeding, the device note, TensorFlow's start-up noise, and the package versions behind a run.

Numbers are only repeatable with the same versions (``requirements/constraints.txt`` pins the ones behind the
committed results): :func:`versions` says which ones actually ran; every notebook's Setup prints them and every
metrics file stores them.
"""
from __future__ import annotations

import contextlib
import os
import platform
import random
import re
import sys
import tempfile
import warnings
from importlib import metadata
from typing import Iterator

import numpy as np

#: Distributions whose versions can change a result (import name differs for some: see PyPI names).
TRACKED = ("tensorflow", "keras", "keras-tuner", "numpy", "pandas", "scikit-learn", "scikit-image",
           "opencv-python-headless", "matplotlib", "choreo-utils")


def versions() -> dict[str, str]:
    """``{"python": "3.11.7", "tensorflow": "2.21.0", ...}`` for the tracked packages that are installed."""
    out = {"python": platform.python_version()}
    for name in TRACKED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            if name == "opencv-python-headless":   # Colab ships opencv-python instead
                try:
                    out["opencv-python"] = metadata.version("opencv-python")
                except metadata.PackageNotFoundError:
                    pass
    return out


def versions_line(width: int = 100) -> str:
    """One line for a notebook's Setup section, e.g. ``Python 3.11.7 · tensorflow 2.21.0 · keras 3.15.1 · ...``."""
    v = versions()
    parts = [f"Python {v.pop('python')}"] + [f"{k} {val}" for k, val in v.items()]
    lines, line = [], ""
    for part in parts:   # wrapped at 100 characters, never inside a name
        if line and len(line) + 3 + len(part) > width:
            lines.append(line)
            line = part
        else:
            line = f"{line} · {part}" if line else part
    return "\n".join([*lines, line])


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
