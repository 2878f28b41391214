"""Notebook 07 on motion capture: a folder of <genre>/<name>.bvh files (written here) through the whole notebook
with DATA_SOURCE="bvh" — the command README gives for training the choreographer on one's own BVH files."""
import json
from pathlib import Path

import numpy as np
import papermill as pm
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.notebooks
def test_notebook_07_trains_the_choreographer_on_bvh_files(tmp_path, monkeypatch, write_bvh):
    for g, (genre, hz) in enumerate((("salsa", 2.0), ("tango", 0.7))):
        for k in range(6):                                        # six takes (ids) per genre, 60 frames at 50 fps
            write_bvh(tmp_path / "mocap" / genre / f"take{k}.bvh", frames=60, travel=0.05 * (k + 1),
                      spine_z=lambda t, hz=hz, k=k: 90 + 25 * np.sin(2 * np.pi * hz * t / 50 + k))
    monkeypatch.setenv("CHOREO_ROOT", str(tmp_path / "project"))
    monkeypatch.setenv("CHOREO_SMOKE", "1")
    smoke = yaml.safe_load((ROOT / "params" / "smoke.yaml").read_text())
    params = {k: v for k, v in smoke.items() if k.startswith("CHOREO_") or k == "SEED"}
    params.update(DATA_SOURCE="bvh", CHOREO_BVH_DIR=str(tmp_path / "mocap"), CHOREO_CONTEXT=4, CHOREO_HORIZON=10,
                  CHOREO_WINDOW=5, CHOREO_TRAIN_FRAMES=14)
    pm.execute_notebook(str(ROOT / "notebooks" / "07_choreographer.ipynb"), str(tmp_path / "07.ipynb"),
                        parameters=params, cwd=str(ROOT / "notebooks"), progress_bar=False, kernel_name="python3")
    found = list((tmp_path / "project" / "artifacts").rglob("metrics/07_choreographer.json"))
    assert len(found) == 1, found
    metrics = json.loads(found[0].read_text())
    assert metrics["data_source"] == "bvh" and metrics["counts"]["generator_dances"] > 0
    assert {r["source"] for r in metrics["table"]} >= {"real", "choreographer", "zero-velocity"}
