import json

import numpy as np
import pytest

from choreo_utils import GENRES, config
from choreo_utils.io_utils import atomic_path, save_metrics, write_json


def test_genres_are_the_sixteen_alphabetical():
    assert len(GENRES) == 16 and list(GENRES) == sorted(GENRES)
    assert config.genre_index("waltz") == 15
    with pytest.raises(ValueError, match="unknown genre 'disco'"):
        config.genre_index("disco")


def test_paths_follow_root_and_smoke(project_tmp, monkeypatch):
    assert config.project_root() == project_tmp
    assert config.figures_dir() == project_tmp / "figures"
    assert config.artifacts_dir() == project_tmp / "artifacts"
    monkeypatch.setenv("CHOREO_SMOKE", "1")
    assert config.smoke_mode()
    assert config.figures_dir() == project_tmp / "artifacts" / "smoke" / "figures"
    assert config.metrics_path("x") == project_tmp / "artifacts" / "smoke" / "metrics" / "x.json"


def test_root_found_from_a_subfolder(tmp_path, monkeypatch):
    monkeypatch.delenv("CHOREO_ROOT", raising=False)
    (tmp_path / "choreo_utils").mkdir()
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    assert config.project_root() == tmp_path


def test_atomic_path_leaves_old_file_on_failure(tmp_path):
    target = tmp_path / "x.json"
    write_json(target, {"a": 1})
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_save_metrics_converts_numpy(project_tmp):
    path = save_metrics("demo", {"acc": np.float32(0.5), "counts": np.arange(3)})
    assert path == "artifacts/metrics/demo.json"                      # printed by notebooks: machine-independent
    saved = json.loads((project_tmp / path).read_text())
    assert saved.pop("versions")["python"]                              # the versions that made them
    assert saved == {"acc": 0.5, "counts": [0, 1, 2]}


def test_atomic_dir_replaces_whole_or_not_at_all(tmp_path):
    from choreo_utils.io_utils import atomic_dir

    target = tmp_path / "model"
    with atomic_dir(target) as tmp:
        (tmp / "a.txt").write_text("1")
    assert (target / "a.txt").read_text() == "1"
    with pytest.raises(RuntimeError):
        with atomic_dir(target) as tmp:
            (tmp / "b.txt").write_text("half")
            raise RuntimeError("crash mid-save")
    assert sorted(p.name for p in target.iterdir()) == ["a.txt"]          # the old save is intact
    assert [p.name for p in tmp_path.iterdir()] == ["model"]               # no temporary folder left behind
    with atomic_dir(target) as tmp:
        (tmp / "c.txt").write_text("2")
    assert sorted(p.name for p in target.iterdir()) == ["c.txt"]


def test_resolve_path_is_relative_to_the_project_root_not_the_cwd(project_tmp, tmp_path_factory, monkeypatch):
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))           # e.g. notebooks/ under papermill
    assert config.resolve_path("data/rgb.tar.gz") == project_tmp / "data" / "rgb.tar.gz"
    absolute = tmp_path_factory.mktemp("abs") / "x.tar.gz"
    assert config.resolve_path(absolute) == absolute
    assert config.resolve_path("~/x") == config.Path.home() / "x"
