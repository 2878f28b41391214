"""Child processes of tuning (choreo_utils.tuning.processes): environment, start, log, stop."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from choreo_utils.tuning import processes, tuners

ROOT = Path(__file__).resolve().parent.parent


def test_child_environment_drops_keras_tuner_roles_and_finds_this_checkout(monkeypatch):
    monkeypatch.setenv(tuners.ENV_TUNER_ID, "chief")
    monkeypatch.setenv(tuners.ENV_ORACLE_IP, "127.0.0.1")
    monkeypatch.setenv("PYTHONPATH", "elsewhere")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    env = processes.child_environment({"EXTRA": "1"})
    assert tuners.ENV_TUNER_ID not in env and tuners.ENV_ORACLE_IP not in env
    assert env["PYTHONPATH"].split(os.pathsep) == [str(ROOT), "elsewhere"]
    assert env["TF_CPP_MIN_LOG_LEVEL"] == "0" and env["EXTRA"] == "1"        # set values are kept


def test_a_started_process_logs_its_command_and_output(tmp_path):
    log = tmp_path / "child.log"
    log.write_text("earlier run\n")
    proc = processes.start_tuning_process(["--help"], log, processes.child_environment(), header="--- ", append=True)
    assert proc.wait(120) == 0
    text = log.read_text()
    assert text.startswith(f"earlier run\n--- {sys.executable} -m choreo_utils.tuning --help\n")
    assert "usage: python -m choreo_utils.tuning" in text
    assert processes.log_tail(log, 1) == text.splitlines()[-1]
    assert processes.log_tail(tmp_path / "missing.log") == "(no log)"
    processes.stop_process(proc)                                           # already exited: nothing to do


def test_stop_process_ends_a_running_child():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    processes.stop_process(proc, grace=5)
    assert proc.returncode is not None and proc.returncode != 0
