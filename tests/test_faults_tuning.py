"""Fault injection for the tuning search: SIGKILL a ``python -m choreo_utils.tuning search`` process mid-search,
run the same command again, and check that the resumed search is the uninterrupted one.

The search is a matched-budget random search (Hyperband(3, 3)'s 11 epochs at 2 per trial: five trials of 2
epochs and a last one cut to 1) on tiny arrays with ``--run-eagerly``; ``--patience`` above the epochs, so no
trial stops early and epochs are deterministic.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from choreo_utils import tuning as T
from choreo_utils.tuning import cli, processes

SEARCH = ["--tuner", "random", "--seed", "3", "--max-epochs", "3", "--factor", "3", "--epochs", "2", "--patience", "10",
          "--units", "4", "16", "4", "--dense", "6", "22", "4", "--batch-size", "64", "--run-eagerly",
          "--no-tensorboard",
          "--project-name", "p"]
#: What an interrupted-and-resumed search must share with an uninterrupted one (scores: see the test).
SAME = ["trial_id", "status", "lstm_units", "dense1", "dense2", "activation", "learning_rate", "dropout",
        "epochs_planned", "epochs_run"]


def _completed(project) -> list[str]:
    done = []
    for path in project.glob("trial_*/trial.json"):
        try:
            if json.loads(path.read_text()).get("status") == "COMPLETED":
                done.append(path.read_text())
        except (OSError, ValueError):          # being written right now
            pass
    return done


@pytest.mark.slow
def test_a_killed_search_resumes_with_the_trials_of_an_uninterrupted_run(tmp_path, tuning_data):
    data_path = str(tuning_data().save(tmp_path / "d.npz"))
    project = tmp_path / "runs" / "p"
    cmd = [sys.executable, "-m", "choreo_utils.tuning", "search", "--data", data_path,
           "--directory", str(tmp_path / "runs"), *SEARCH]
    env = processes.child_environment()
    with open(tmp_path / "first.log", "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 240
        while len(_completed(project)) < 2:
            assert proc.poll() is None, f"search ended before the kill:\n{processes.log_tail(tmp_path / 'first.log')}"
            assert time.monotonic() < deadline, "no 2 finished trials within 240 s"
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    before = T.trial_table(project)
    finished = before[before["status"] == "COMPLETED"]
    assert 2 <= len(finished) < 6                             # killed mid-search
    kept = {tid: (project / f"trial_{tid}" / "trial.json").read_text() for tid in finished["trial_id"]}

    rerun = subprocess.run(cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=300)
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    resumed = T.trial_table(project)
    assert resumed["trial_id"].is_unique and (resumed["status"] == "COMPLETED").all()
    for tid, text in kept.items():                            # finished trials kept, not re-run
        assert (project / f"trial_{tid}" / "trial.json").read_text() == text
    assert resumed.set_index("trial_id").loc[list(kept), "attempts"].eq(1).all()

    config = cli.config_from_args(cli.build_parser().parse_args(["search", "--data", data_path, *SEARCH]))
    reference = T.run_search(T.TuningData.load(data_path), config, directory=tmp_path / "ref", project_name="p",
                             progress=False, tensorboard=False).trials
    assert resumed[SAME].reset_index(drop=True).equals(reference[SAME].reset_index(drop=True))
    assert resumed["epochs_planned"].tolist() == [2, 2, 2, 2, 2, 1] and resumed["epochs_run"].sum() == 11
    # Each trial seeds Keras from (seed, trial id), so on this CPU even the re-run trial scores the same.
    assert resumed["score"].tolist() == pytest.approx(reference["score"].tolist(), abs=1e-6)
