"""The package's one pool of worker processes: trainings side by side on a machine's cores (notebook 03's seed
sweep, notebook 07's generators). Started once per session with ``spawn`` (safe after TensorFlow has started
threads), each worker with its share of the CPU threads and the notebook's log filters; stopped at exit.

From a script, call what uses it under ``if __name__ == "__main__":`` (``spawn`` imports the main module);
notebooks need nothing.
"""
from __future__ import annotations

import os
from typing import Any

_POOL: dict[str, Any] = {}               # the worker processes, started once per session


def _worker_init(threads: int) -> None:
    """A worker: quiet TensorFlow start, ``threads`` CPU threads (the cores shared between workers)."""
    import signal  # noqa: PLC0415

    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C / kernel interrupt is the parent's; it stops the pool
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from choreo_utils import runtime  # noqa: PLC0415

    with runtime.filtered_native_stderr():
        import tensorflow as tf  # noqa: PLC0415

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    runtime.device_note()        # the same log filters as the notebook's kernel


def pool(jobs: int):
    """The process pool of ``jobs`` workers (a ``concurrent.futures.ProcessPoolExecutor``), reused across calls;
    asking for another size replaces it."""
    import multiprocessing  # noqa: PLC0415
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    if _POOL.get("jobs") != jobs:
        shutdown_pool()
        if not _POOL.get("atexit"):
            import atexit  # noqa: PLC0415

            atexit.register(shutdown_pool)      # the workers end with the session, not as orphans after it
            _POOL["atexit"] = True
        threads = max(1, (os.cpu_count() or 1) // jobs)
        _POOL.update(jobs=jobs, pool=ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                                                         initializer=_worker_init, initargs=(threads,)))
    return _POOL["pool"]


def shutdown_pool() -> None:
    """Stop the worker processes, if any (they are started again by the next call that needs them)."""
    pool = _POOL.pop("pool", None)
    _POOL.pop("jobs", None)
    if pool is not None:
        pool.shutdown()
