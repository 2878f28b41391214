"""Child Python processes for tuning: one way to start ``python -m choreo_utils.tuning ...`` with the package's
environment and a log file, and to stop it and read the end of its log.

Both the parallel comparison (``compare.compare_tuners(jobs=N)``) and the distributed launcher
(``distributed.launch_distributed``) start their searches and workers through :func:`start_tuning_process`.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Mapping, Sequence

from choreo_utils.tuning.tuners import ENV_ORACLE_IP, ENV_ORACLE_PORT, ENV_TUNER_ID


def child_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment for a child: without keras-tuner's ``KERASTUNER_*`` variables (a child sets
    its own role), with this checkout first on ``PYTHONPATH``, TensorFlow's log noise down, plus ``extra``."""
    env = dict(os.environ)
    for k in (ENV_TUNER_ID, ENV_ORACLE_IP, ENV_ORACLE_PORT):
        env.pop(k, None)
    root = str(Path(__file__).resolve().parents[2])   # the folder that holds the package
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    env.update(extra or {})
    return env


def start_tuning_process(args: Sequence[str], log_path: str | os.PathLike, env: Mapping[str, str], *,
                         header: str = "", append: bool = False, new_session: bool = False) -> subprocess.Popen:
    """Start ``python -m choreo_utils.tuning <args>`` with ``env``, its output going to ``log_path``.

    The log starts with ``header`` followed by the command line. ``append`` keeps what the log already holds (a
    restarted worker); ``new_session`` detaches the child from this terminal's signals (Ctrl-C stops the parent,
    which then stops its children).
    """
    cmd = [sys.executable, "-m", "choreo_utils.tuning", *args]
    with open(log_path, "a" if append else "w") as log:
        log.write(f"{header}{' '.join(cmd)}\n")
        log.flush()
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=dict(env), stdin=subprocess.DEVNULL,
                                start_new_session=new_session)


def stop_process(proc: subprocess.Popen, grace: float = 5.0) -> None:
    """Terminate ``proc`` if it still runs; kill it if it has not exited ``grace`` seconds later."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(grace)


def log_tail(path: Path, n: int = 25) -> str:
    """The last ``n`` lines of the log at ``path`` (``"(no log)"`` if it cannot be read)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"
