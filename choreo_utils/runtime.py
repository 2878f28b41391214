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


_DETERMINISM: dict[str, bool] = {}


def set_seed(seed: int, deterministic: bool | None = None) -> None:
    """The one seeding entry point: Python, NumPy, Keras/TensorFlow and (on CPU) TensorFlow op determinism.

    Call it before a model is *built*: Keras 3 draws initialiser and Dropout seeds when a layer is constructed.
    With the same seed and versions, two runs on one machine then give identical weights and metrics.
    ``deterministic=None`` turns op determinism on where it is safe (no GPU visible); on a GPU, where some
    kernels have no deterministic version and would raise, it stays off and a note says so once.
    ``True`` forces it on, ``False`` leaves it as it is. It stays on for the rest of the process.
    """
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    try:
        with filtered_native_stderr():  # the first TensorFlow import prints CUDA-probe chatter
            import keras  # noqa: PLC0415  (heavy; only when available)
            import tensorflow as tf  # noqa: PLC0415
    except ImportError:  # pragma: no cover - keras is a dependency, but config must not need it
        return
    keras.utils.set_random_seed(seed)
    if deterministic is False or _DETERMINISM.get("enabled"):
        return
    with filtered_native_stderr():       # the first device query probes CUDA and says so on fd 2
        gpus = tf.config.list_physical_devices("GPU")
    if deterministic is None and gpus:
        if not _DETERMINISM.get("gpu_noted"):
            _DETERMINISM["gpu_noted"] = True
            print("Note: GPU found — TensorFlow op determinism left off (some GPU kernels have no deterministic "
                  "version); runs repeat to within float noise, so compare over seeds. "
                  "runtime.set_seed(seed, deterministic=True) forces it on.")
        return
    tf.config.experimental.enable_op_determinism()
    _DETERMINISM["enabled"] = True


@contextlib.contextmanager
def seed_scope(seed: int) -> Iterator[None]:
    """Seed Python, NumPy and Keras inside the block, then put every global random state back as it was.

    For library code that must build *the same* random thing every time (the offline random-init backbone)
    without reseeding the caller's global state behind their back."""
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        from keras.src.backend.common import global_state  # noqa: PLC0415
    except ImportError:  # pragma: no cover
        global_state = None
    keras_gen = global_state.get_global_attribute("global_seed_generator") if global_state else None
    try:
        import keras  # noqa: PLC0415

        keras.utils.set_random_seed(int(seed))
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        if global_state is not None:
            global_state.set_global_attribute("global_seed_generator", keras_gen)


def reinitialize(model, build, seed: int) -> None:
    """Give a built, compiled ``model`` the weights (Dropout seed state included) it would have had if it had
    been built under ``seed``, and a fresh optimizer state — without tracing its training graph again.

    ``build()`` must construct the same architecture (it is called under ``set_seed(seed)``; it need not
    compile). Measured here: a new small BiLSTM costs ~5 s of graph tracing before its first epoch, a reused
    one none — what makes many short trainings over seeds affordable."""
    set_seed(seed)
    fresh = build()
    if [v.shape for v in fresh.variables] != [v.shape for v in model.variables]:
        raise ValueError("reinitialize: build() made a different architecture from the model to reinitialise")
    for target, source in zip(model.variables, fresh.variables):
        target.assign(source.value)
    opt = getattr(model, "optimizer", None)
    if opt is not None and opt.variables:
        lr = getattr(opt, "_learning_rate", None)
        for v in opt.variables:
            if v is not lr:
                v.assign(np.zeros(v.shape, dtype=v.dtype))
    set_seed(seed)   # data order and dropout masks of the coming fit: the same as for a freshly built model


#: TensorFlow's start-up chatter on a machine without CUDA: printed by native code straight to file
#: descriptor 2 (so ``TF_CPP_MIN_LOG_LEVEL`` cannot silence the first two), harmless, and repeated in every
#: notebook. ``device_note`` says the same thing in one line.
BENIGN_TF_STDERR = re.compile(
    r"All log messages before absl::InitializeLog|cudart_stub\.cc.*Could not find cuda drivers"
    r"|cuda_platform\.cc.*failed call to cuInit|Unable to register cu(DNN|FFT|BLAS) factory"
    r"|computation placer already registered|oneDNN custom operations are on"
    r"|This TensorFlow binary is optimized to use available CPU instructions"
    r"|rebuild TensorFlow with the appropriate compiler flags"
    r"|meta_optimizer\.cc.*remapper failed"
    # with op determinism on, tf.data runs Keras's parallel map sequentially and logs this once per dataset
    r"|node_def_util\.cc.*use_unbounded_threadpool"
    # grappler's notes when a graph is optimised for FLOP counting (profiling.count_flops)
    r"|devices\.cc.*Number of eligible GPUs|single_machine\.cc.*Starting new session"
    # XLA's notes when it compiles its first step (the choreographer's jit_compile=True training)
    r"|service\.cc.*XLA service .* initialized for platform|service\.cc.*StreamExecutor \[\d+\]: Host"
    r"|dump_mlir_util\.cc.*disabling MLIR crash reproducer|device_compiler\.h.*Compiled cluster using XLA")


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


_NATIVE_FILTER: dict[str, object] = {}


def filter_native_stderr_in_kernel(benign: re.Pattern = BENIGN_TF_STDERR) -> bool:
    """In a Jupyter kernel, pass everything native code writes to fd 2 through a line filter for good.

    ipykernel forwards the process's fd 2 into the cell's output, so TensorFlow's benign C++ log lines (and those
    of worker processes, which inherit fd 2) would land in the notebook. A daemon thread now reads fd 2 through a
    pipe and writes every line not matching ``benign`` on to the original fd 2 — real errors still show.
    Only where Python's ``sys.stderr`` is not fd 2 (a kernel), so a terminal's progress bars are untouched.
    Returns whether the filter is (now) installed."""
    import threading  # noqa: PLC0415

    if _NATIVE_FILTER.get("installed"):
        return True
    try:
        if sys.stderr.fileno() == 2:         # a terminal or a plain pipe: Python and native output share fd 2
            return False
    except (AttributeError, OSError, ValueError):   # ipykernel's OutStream has no real fileno
        pass
    try:
        original = os.dup(2)
        read_fd, write_fd = os.pipe()
    except OSError:
        return False
    os.dup2(write_fd, 2)
    os.close(write_fd)

    def pump() -> None:
        pending = b""
        with os.fdopen(read_fd, "rb", buffering=0) as src:
            while chunk := src.read(65536):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                keep = [line + b"\n" for line in lines
                        if line.strip() and not benign.search(line.decode(errors="replace"))]
                if keep:
                    os.write(original, b"".join(keep))

    threading.Thread(target=pump, name="native-stderr-filter", daemon=True).start()
    _NATIVE_FILTER["installed"] = True
    return True


def device_note() -> str:
    """One line saying whether TensorFlow sees a GPU (for the notebooks' Setup section).

    Imports TensorFlow with its benign CUDA-probe messages filtered out (see ``filtered_native_stderr``), and
    silences known-benign repeated messages (see below and :func:`filter_native_stderr_in_kernel`)."""
    with filtered_native_stderr():
        import tensorflow as tf  # noqa: PLC0415

        gpus = tf.config.list_physical_devices("GPU")
    # Two known, benign messages the notebooks would otherwise repeat (errors and other warnings still show):
    # TensorFlow's "retracing" warning — the notebooks build many small models on purpose (seeds, baselines,
    # trials) — and Keras's note that it skipped a checkpoint's optimizer state, which keras-tuner's Hyperband
    # triggers each time it restores a promoted trial's weights into a freshly compiled model.
    tf.get_logger().setLevel("ERROR")
    warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
    filter_native_stderr_in_kernel()
    if gpus:
        return f"TensorFlow {tf.__version__}: running on {len(gpus)} GPU(s) ({gpus[0].name})."
    return (f"TensorFlow {tf.__version__}: no GPU found, running on {os.cpu_count()} CPU core(s) — "
            "the default parameters are sized for that.")
