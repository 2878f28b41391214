"""The run itself: seeding, TensorFlow's native start-up noise, versions behind a run."""
import numpy as np
import pytest

from choreo_utils import runtime


def test_seed_makes_numpy_repeatable():
    runtime.set_seed(5)
    a = np.random.rand(3)
    runtime.set_seed(5)
    assert np.array_equal(a, np.random.rand(3))



def test_filtered_native_stderr_drops_only_benign_lines(capfd):
    import os

    with runtime.filtered_native_stderr():
        os.write(2, b"I0000 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.\n")
        os.write(2, b"I0000 00:00:1796356756.215436 24670 device_compiler.h:208] Compiled cluster using XLA!  This "
                    b"line is logged at most once for the lifetime of the process.\n")
        os.write(2, b"E0000 real trouble: out of memory\n")
    err = capfd.readouterr().err
    assert "real trouble: out of memory" in err and "cudart_stub" not in err and "XLA" not in err


def test_filtered_native_stderr_restores_fd_after_an_exception(capfd):
    import os

    with pytest.raises(RuntimeError, match="boom"):
        with runtime.filtered_native_stderr():
            raise RuntimeError("boom")
    os.write(2, b"after the block\n")
    assert "after the block" in capfd.readouterr().err


def test_metrics_record_the_versions_that_made_them(project_tmp):
    import json

    from choreo_utils import runtime
    from choreo_utils.io_utils import save_metrics

    rel = save_metrics("demo", {"accuracy": 0.5})
    saved = json.loads((project_tmp / rel).read_text())
    assert saved["accuracy"] == 0.5 and saved["versions"] == runtime.versions()
    assert {"python", "tensorflow", "keras", "numpy"} <= set(saved["versions"])
    assert all(len(line) <= 100 for line in runtime.versions_line().splitlines())


def test_kernel_stderr_filter_drops_benign_native_lines_and_keeps_errors():
    import subprocess
    import sys

    code = (
        "import io, os, sys, time\n"
        "from choreo_utils import runtime\n"
        "sys.stderr = io.StringIO()          # as in a kernel: Python's stderr is not fd 2\n"
        "assert runtime.filter_native_stderr_in_kernel()\n"
        "os.write(2, b'E0000 node_def_util.cc:682] NodeDef mentions attribute use_unbounded_threadpool x\\n')\n"
        "os.write(2, b'E0000 real trouble: out of memory\\n')\n"
        "time.sleep(0.3)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "real trouble: out of memory" in done.stderr and "use_unbounded_threadpool" not in done.stderr


def test_kernel_stderr_filter_leaves_a_terminal_alone():
    import subprocess
    import sys

    code = "from choreo_utils import runtime\nprint(runtime.filter_native_stderr_in_kernel())\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr        # sys.stderr is fd 2 here: nothing installed


def test_set_seed_turns_op_determinism_on_for_cpu_and_only_notes_it_on_gpu(monkeypatch, capsys):
    import tensorflow as tf

    calls = []
    monkeypatch.setattr(tf.config.experimental, "enable_op_determinism", lambda: calls.append("on"))
    monkeypatch.setattr(runtime, "_DETERMINISM", {})
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: ["/physical_device:GPU:0"])
    runtime.set_seed(1)
    runtime.set_seed(2)
    assert calls == [] and capsys.readouterr().out.count("op determinism left off") == 1   # said once, no crash
    runtime.set_seed(3, deterministic=True)                                                 # forced on
    assert calls == ["on"]
    monkeypatch.setattr(runtime, "_DETERMINISM", {})
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [])
    runtime.set_seed(4)
    assert calls == ["on", "on"]


def test_seed_scope_restores_the_callers_random_state():
    import random

    runtime.set_seed(3)
    expected = (random.random(), float(np.random.rand()))
    runtime.set_seed(3)
    with runtime.seed_scope(99):
        inside = (random.random(), float(np.random.rand()))
    assert (random.random(), float(np.random.rand())) == expected and inside != expected
