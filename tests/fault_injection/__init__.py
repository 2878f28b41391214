"""Test support: faults injected into the child processes the package starts (see ``sitecustomize.py`` here).

A monkeypatch in the test process cannot reach a worker process, and the package carries no test hooks, so
the fault travels as this folder first on the worker's ``PYTHONPATH`` plus two environment variables.
"""
from __future__ import annotations

import os

from choreo_utils.tuning.processes import child_environment

from .sitecustomize import CRASH_MARKER_ENV, CRASH_TUNER_ENV, EXIT_CRASH, HERE

__all__ = ["CRASH_MARKER_ENV", "CRASH_TUNER_ENV", "EXIT_CRASH", "HERE", "crash_worker_env"]


def crash_worker_env(tuner_id: str, marker: str | os.PathLike) -> dict[str, str]:
    """``extra_env`` for ``launch_distributed``: worker ``tuner_id`` dies (exit code :data:`EXIT_CRASH`) after its
    first epoch, once; ``marker`` is written when it does. ``PYTHONPATH`` keeps what the launcher would set."""
    pythonpath = os.pathsep.join([str(HERE), child_environment()["PYTHONPATH"]])
    return {"PYTHONPATH": pythonpath, CRASH_TUNER_ENV: tuner_id, CRASH_MARKER_ENV: os.fspath(marker)}
