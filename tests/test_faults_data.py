"""Fault injection on the data route: a real subprocess killed with SIGKILL part-way, then the same job run again
to completion must equal an uninterrupted run — same bytes, same arrays, nothing lost or duplicated."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from choreo_utils import features, letsdance, synthetic

REPO = Path(__file__).resolve().parents[1]
GEN_ARGS = dict(videos_per_genre=2, frames_per_video=24, size=(64, 96), seed=5, progress=False, workers=1)


def _start(code: str, root: Path) -> subprocess.Popen:
    env = {**os.environ, "CHOREO_ROOT": str(root), "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 120) -> None:
    """SIGKILL ``proc`` as soon as ``ready()`` is true (it must not finish first)."""
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None:
            pytest.fail(f"the job ended (rc {proc.returncode}) before it could be killed part-way:\n"
                        f"{proc.stdout.read()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the job did no work to interrupt in time")
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(30) == -signal.SIGKILL


def _finish(code: str, root: Path) -> str:
    proc = _start(code, root)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out
    return out


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_synthetic_generation_killed_while_rendering_then_rerun_equals_an_uninterrupted_run(tmp_path):
    clean = _files(synthetic.generate_dataset(tmp_path / "clean", **GEN_ARGS))
    project = tmp_path / "project"
    root = project / "data" / "synth"
    code = f"""
        from choreo_utils import config, synthetic
        synthetic.generate_dataset(config.data_dir() / "synth", **{GEN_ARGS!r})
    """

    def rendered_some() -> bool:
        return len(list(root.glob(".rgb.partial-*/*/*.jpg"))) >= 5 * GEN_ARGS["frames_per_video"]

    _kill_when(_start(code, project), rendered_some)
    assert list(root.glob(".rgb.partial-*")) and not (root / "synthetic.json").exists()   # killed mid-render
    _finish(code, project)
    assert _files(root) == clean                              # every file byte-identical, manifest included
    assert sorted(p.name for p in root.iterdir()) == ["joints.npz", "rgb", "synthetic.json"]   # nothing stray
    with warnings.catch_warnings():
        warnings.simplefilter("error")                        # index_frames warns about any hidden/stray entry
        index = letsdance.index_frames(root)
    assert len(index) == len(index.drop_duplicates("path")) == 16 * 2 * GEN_ARGS["frames_per_video"]


EXTRACT = """
    import json, sys, time
    from choreo_utils import config, features, letsdance
    index = letsdance.index_frames(config.data_dir() / "synth")
    ex = features.build_extractor("mobilenet_v3_small", (32, 48), weights=None)
    features.reestimate_batchnorm(ex, features.sample_frames(index, (32, 48), n=32))
    if "slow" in sys.argv:          # give the test time to kill it part-way
        call = features.Extractor.__call__
        features.Extractor.__call__ = lambda self, x: (time.sleep(0.1), call(self, x))[1]
    fs = features.extract_features(index, ex, batch_size=8, flush_every=1, progress=False)
    print("META " + json.dumps({"frames_computed": fs.meta["frames_computed"], "folder": fs.path.parent.name}))
"""


@pytest.mark.slow
def test_feature_extraction_killed_after_some_videos_then_rerun_resumes_and_equals_an_uninterrupted_run(tmp_path):
    project = tmp_path / "project"
    data = synthetic.generate_dataset(project / "data" / "synth", **{**GEN_ARGS, "frames_per_video": 12})
    index = letsdance.index_frames(data)
    ex = features.build_extractor("mobilenet_v3_small", (32, 48), weights=None)
    features.reestimate_batchnorm(ex, features.sample_frames(index, (32, 48), n=32))
    clean = features.extract_features(index, ex, cache_root=tmp_path / "clean", batch_size=8, progress=False)
    cache = project / "artifacts" / "features" / clean.path.parent.name     # same key in the subprocess
    progress = cache / "progress.json"

    def some_videos_flushed() -> bool:
        try:
            return len(json.loads(progress.read_text())["done"]) >= 3
        except (OSError, ValueError):
            return False

    proc = _start(EXTRACT.replace('"slow" in sys.argv', "True"), project)
    _kill_when(proc, some_videos_flushed, timeout=240)
    done = set(json.loads(progress.read_text())["done"])
    assert not (cache / "meta.json").exists() and 3 <= len(done) < index.video_id.nunique()
    out = _finish(EXTRACT, project)
    line = next(ln for ln in out.splitlines() if ln.startswith("META "))
    meta = json.loads(line[len("META "):])
    assert meta["folder"] == clean.path.parent.name
    assert meta["frames_computed"] == int((~index.video_id.isin(done)).sum())   # finished videos not redone
    resumed = np.load(cache / "features.npy")
    np.testing.assert_array_equal(resumed, np.asarray(clean.features))         # nothing lost, exactly equal
    assert sorted(p.name for p in cache.iterdir()) == ["features.npy", "meta.json"]
