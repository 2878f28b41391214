"""The real-data route, offline: a small archive in the exact Let's Dance layout, run through every notebook
with DATA_SOURCE="letsdance" (download → extract → index → clips → features → classifier → tuning → ConvLSTM)."""
import tarfile
from pathlib import Path

import papermill as pm
import pytest
import yaml

from choreo_utils import letsdance, synthetic
from choreo_utils import params as params_file

ROOT = Path(__file__).resolve().parent.parent


def _letsdance_archive(tmp_path: Path) -> Path:
    """rgb.tar.gz with rgb/<genre>/<ytid>_<NNN>_<FFFF>.jpg, ids containing '_' and '-', several segments per id."""
    src = synthetic.generate_dataset(tmp_path / "src", videos_per_genre=3, frames_per_video=32, size=(48, 72),
                                     seed=11, progress=False)
    archive = tmp_path / "download" / "rgb.tar.gz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(src / "rgb", arcname="rgb")
    return archive


@pytest.mark.notebooks
def test_every_notebook_runs_on_a_lets_dance_archive(tmp_path, monkeypatch):
    archive = _letsdance_archive(tmp_path)
    names = [letsdance.parse_frame_name(m) for m in tarfile.open(archive).getnames() if m.endswith(".jpg")]
    assert any("_" in n.youtube_id for n in names) and any("-" in n.youtube_id for n in names)

    monkeypatch.setenv("CHOREO_ROOT", str(tmp_path / "project"))   # data/ and artifacts/ of this run
    monkeypatch.setenv("CHOREO_SMOKE", "1")
    params = yaml.safe_load((ROOT / "params" / "smoke.yaml").read_text())
    params.update(DATA_SOURCE="letsdance", LETSDANCE_ARCHIVE=f"file://{archive}",
                  LETSDANCE_ROOT=str(tmp_path / "project" / "data" / "letsdance"), WEIGHTS=None)
    for path in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")):
        declared = params_file.declared_parameters(path)
        passed = {k: v for k, v in params.items() if k in declared}
        assert passed.get("DATA_SOURCE") == "letsdance", f"{path.name} does not take DATA_SOURCE"
        pm.execute_notebook(str(path), str(tmp_path / path.name), parameters=passed, cwd=str(path.parent),
                            progress_bar=False, kernel_name="python3")
    # the archive was downloaded (file:// URL), checksummed and extracted once
    data = tmp_path / "project" / "data"
    assert (data / "rgb.tar.gz.sha256").is_file()
    assert len(letsdance.index_frames(data / "letsdance")) == 16 * 3 * 32
