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
        os.write(2, b"E0000 real trouble: out of memory\n")
    err = capfd.readouterr().err
    assert "real trouble: out of memory" in err and "cudart_stub" not in err


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
