"""Shared fixtures: a tiny synthetic dataset, tiny tuning arrays and search space, and isolation of the
project's output folders."""
from __future__ import annotations

import matplotlib
import numpy as np
import pytest

# No kernel runs in unit tests: draw off-screen. (Set here, not as MPLBACKEND in the environment, which the
# notebook kernels that some tests start would inherit — and then show no figures.)
matplotlib.use("Agg")

from choreo_utils import synthetic


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory):
    """2 videos per genre, 12 frames of 48×72: generated once per test session."""
    root = tmp_path_factory.mktemp("synthetic")
    return synthetic.generate_dataset(root, videos_per_genre=2, frames_per_video=12, size=(48, 72), seed=3,
                                      progress=False, workers=1)


@pytest.fixture()
def project_tmp(tmp_path, monkeypatch):
    """Point the project root at a temporary folder (data/, artifacts/, figures/ all land there)."""
    monkeypatch.setenv("CHOREO_ROOT", str(tmp_path))
    monkeypatch.delenv("CHOREO_SMOKE", raising=False)
    return tmp_path


@pytest.fixture(scope="session")
def tiny_space():
    """The tuning tests' search space: 4–16 LSTM units, dense layers of 6–22, in steps of 4."""
    from choreo_utils import tuning

    return tuning.SearchSpace(units_min=4, units_max=16, units_step=4, dense_min=6, dense_max=22, dense_step=4)


@pytest.fixture(scope="session")
def tuning_data():
    """Tiny search arrays, made on call: ``tuning_data(seed=0, n_train=40, n_val=16)`` is a ``TuningData`` of
    clips × 4 frames × 8 features, 2 classes (class 1 shifted by 0.5, so a trial has something to learn)."""
    from choreo_utils import tuning

    def make_data(seed: int = 0, n_train: int = 40, n_val: int = 16) -> tuning.TuningData:
        rng = np.random.default_rng(seed)

        def make(n):
            y = rng.integers(0, 2, n)
            return (rng.normal(size=(n, 4, 8)) + y[:, None, None] * 0.5).astype("float32"), y

        (xt, yt), (xv, yv) = make(n_train), make(n_val)
        return tuning.TuningData(xt, yt, xv, yv, n_classes=2, source="tiny")

    return make_data


# ----------------------------------------------------------------------------------------- BVH files
_BVH = """HIERARCHY
ROOT Hips
{
  OFFSET 0.0 0.0 0.0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Spine
  {
    OFFSET 0.0 10.0 0.0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0.0 5.0 0.0
    }
  }
  JOINT Leg
  {
    OFFSET 2.0 0.0 0.0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0.0 -8.0 0.0
    }
  }
}
MOTION
Frames: {frames}
Frame Time: 0.02
{rows}
"""


def _write_bvh(path, frames=50, spine_z=None, travel=0.1):
    """A BVH file of a hip, a spine and a leg (with end sites) at 50 frames/s; the spine's z angle per frame."""
    rows = []
    for t in range(frames):
        spine = 90.0 if spine_z is None else spine_z(t)
        rows.append(f"{travel * t} 0 0 0 0 0 {spine} 0 0 0 0 0")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_BVH.replace("{frames}", str(frames)).replace("{rows}", "\n".join(rows)))
    return path




@pytest.fixture
def write_bvh():
    """A function writing a small BVH file (``write_bvh(path, frames=50, spine_z=None, travel=0.1)``); its
    ``template`` attribute is the file's text with {frames} and {rows} to fill."""
    _write_bvh.template = _BVH
    return _write_bvh
