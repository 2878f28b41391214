"""Test-only fault injection into ``python -m choreo_utils.tuning worker`` processes (nothing in the package).

Python imports ``sitecustomize`` at start-up from the first folder on ``sys.path`` that holds one; a test puts
this folder first on a worker's ``PYTHONPATH`` (:func:`fault_injection.crash_worker_env`). With
:data:`CRASH_TUNER_ENV` (a keras-tuner id such as ``tuner1``) and :data:`CRASH_MARKER_ENV` (a file path) set, it
wraps ``choreo_utils.tuning.tuners.fit_callbacks`` so that the worker with that id dies, exit code
:data:`EXIT_CRASH`, at the end of the first epoch it trains: mid-trial, the trial still running on the chief.
It writes the marker first and never crashes once the marker exists, so the restarted worker runs on. Without
the variables it only runs the ``sitecustomize`` it shadows, if there is one.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path

CRASH_TUNER_ENV, CRASH_MARKER_ENV = "CHOREO_FAULT_CRASH_TUNER", "CHOREO_FAULT_CRASH_MARKER"
#: Not 0 and not a usage or configuration error (``distributed.EXIT_USAGE``/``EXIT_CONFIG``), which the launcher
#: does not retry, nor one the package's command line exits with (1-4): a process that died on its own.
EXIT_CRASH = 17
HERE = Path(__file__).resolve().parent


def _crash_once(marker: str):
    """A Keras callback that writes ``marker`` and ends this process with :data:`EXIT_CRASH` after an epoch,
    unless ``marker`` exists."""
    import keras

    class CrashOnce(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if not os.path.exists(marker):
                Path(marker).write_text(f"crashed pid {os.getpid()}\n")
                sys.stdout.flush()
                os._exit(EXIT_CRASH)

    return CrashOnce()


def install(tuner_id: str, marker: str) -> None:
    """Make the searches of worker ``tuner_id`` in this process train with :func:`_crash_once` (the worker's
    id is keras-tuner's ``KERASTUNER_TUNER_ID``, which ``run_worker`` sets before it builds the callbacks)."""
    from choreo_utils.tuning import tuners

    original = tuners.fit_callbacks

    def fit_callbacks(config, tb_dir):
        callbacks = original(config, tb_dir)
        return [*callbacks, _crash_once(marker)] if os.environ.get(tuners.ENV_TUNER_ID) == tuner_id else callbacks

    fit_callbacks.fault_injection = (tuner_id, marker)
    tuners.fit_callbacks = fit_callbacks


def _run_shadowed_sitecustomize() -> None:
    """Run the ``sitecustomize`` further down ``sys.path`` (a distribution's) that this one hides, if any."""
    path = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", path)
    if spec is not None and spec.loader is not None:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))


if __name__ == "sitecustomize":                  # at interpreter start-up; not when a test imports the constants
    _run_shadowed_sitecustomize()
    if os.environ.get(CRASH_TUNER_ENV) and os.environ.get(CRASH_MARKER_ENV):
        install(os.environ[CRASH_TUNER_ENV], os.environ[CRASH_MARKER_ENV])
