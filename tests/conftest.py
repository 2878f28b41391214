"""Shared fixtures: a tiny synthetic dataset, and isolation of the project's output folders."""
from __future__ import annotations

import matplotlib
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
