import hashlib
import io
import json
import tarfile

import pytest

from choreo_utils import datasets, letsdance


def test_synthetic_source_generates_once_and_indexes(project_tmp):
    kw = dict(videos_per_genre=1, frames_per_video=3, size=(40, 60), seed=2, progress=False)
    index = datasets.load_frame_index("synthetic", **kw)
    assert len(index) == 16 * 3
    root = datasets.synthetic_root(1, 3, (40, 60), 2)
    assert root.is_relative_to(project_tmp / "data" / "synthetic")
    again = datasets.load_frame_index("synthetic", **kw)
    assert again.equals(index)
    summary = datasets.dataset_summary(index)
    assert summary["videos"].sum() == 16 and summary["frames"].sum() == 48


def test_unknown_source():
    with pytest.raises(ValueError, match="DATA_SOURCE"):
        datasets.load_frame_index("kinetics")


def test_letsdance_without_archive_says_what_to_do(project_tmp):
    with pytest.raises(FileNotFoundError, match="LETSDANCE_ARCHIVE"):
        datasets.load_frame_index("letsdance")


# ------------------------------------------------------------------ the Let's Dance route: resume, settings, sha256

FRAMES = [f"rgb/{g}/2TU7dE_9Vi4_00{v}_{f:04d}.jpg" for g in ("tap", "waltz") for v in (1, 2) for f in (1, 2, 3, 4)]


def _archive(path, frames=FRAMES, salt=b""):
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name in frames:
            data = hashlib.sha256(salt + name.encode()).digest() * 3
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_interrupted_extraction_is_resumed_not_indexed_partially(project_tmp, capsys):
    archive = _archive(project_tmp / "data" / "rgb.tar.gz")
    root = project_tmp / "data" / "letsdance"
    letsdance.extract_subset(archive, root, progress=False)
    full = _tree(root / "rgb")
    for name in FRAMES[3:]:                                   # as if killed after three frames
        (root / name).unlink()
    record = json.loads((root / letsdance.SUMMARY_NAME).read_text())
    (root / letsdance.SUMMARY_NAME).write_text(json.dumps({**record, "complete": False}))
    index = datasets.load_frame_index("letsdance", letsdance_archive="data/rgb.tar.gz", progress=False)
    assert "resuming the extraction of data/letsdance" in capsys.readouterr().out
    assert len(index) == len(FRAMES) and _tree(root / "rgb") == full
    assert json.loads((root / letsdance.SUMMARY_NAME).read_text())["complete"] is True


def test_interrupted_extraction_without_archive_says_so(project_tmp):
    root = project_tmp / "data" / "letsdance"
    letsdance.extract_subset(_archive(project_tmp / "a" / "rgb.tar.gz"), root, progress=False)
    record = json.loads((root / letsdance.SUMMARY_NAME).read_text())
    (root / letsdance.SUMMARY_NAME).write_text(json.dumps({**record, "complete": False}))
    with pytest.raises(FileNotFoundError, match="resuming the extraction of data/letsdance.*LETSDANCE_ARCHIVE"):
        datasets.load_frame_index("letsdance")


def test_changed_settings_extract_again_keeping_what_is_still_valid(project_tmp, capsys):
    archive = _archive(project_tmp / "data" / "rgb.tar.gz")
    root = project_tmp / "data" / "letsdance"
    kw = dict(letsdance_archive=str(archive), progress=False)
    assert len(datasets.load_frame_index("letsdance", max_frames_per_video=2, **kw)) == len(FRAMES) // 2
    capsys.readouterr()
    kept = root / FRAMES[0]
    stamp = kept.stat().st_mtime_ns, kept.stat().st_ino
    index = datasets.load_frame_index("letsdance", **kw)
    out = capsys.readouterr().out
    assert "data/letsdance was extracted with max_frames_per_video=2; now max_frames_per_video=None: " \
           "extracting again" in out
    assert len(index) == len(FRAMES) and (kept.stat().st_mtime_ns, kept.stat().st_ino) == stamp   # not rewritten

    index = datasets.load_frame_index("letsdance", genres=["waltz"], max_frames_per_video=3, **kw)
    assert "extracted with max_frames_per_video=None, all 16 genres; now max_frames_per_video=3, " \
           "genres=['waltz']: extracting again" in capsys.readouterr().out
    assert set(index.genre) == {"waltz"} and len(index) == 2 * 3
    assert sorted(_tree(root / "rgb")) == sorted(n.removeprefix("rgb/") for n in FRAMES
                                                 if "/waltz/" in n and int(n[-8:-4]) <= 3)
    again = datasets.load_frame_index("letsdance", genres="waltz", max_frames_per_video=3, **kw)
    assert again.equals(index) and capsys.readouterr().out == ""              # complete: nothing redone


def test_corrupt_subset_record_names_the_file(project_tmp):
    root = project_tmp / "data" / "letsdance"
    letsdance.extract_subset(_archive(project_tmp / "data" / "rgb.tar.gz"), root, progress=False)
    record = root / letsdance.SUMMARY_NAME
    record.write_text(record.read_text()[:20])                 # truncated
    with pytest.raises(ValueError, match="extraction record.*is corrupt") as err:
        datasets.load_frame_index("letsdance", letsdance_archive="data/rgb.tar.gz", progress=False)
    assert str(record) in str(err.value) and "delete letsdance_subset.json and run again" in str(err.value)


def test_hand_extracted_folder_without_record_warns(project_tmp):
    root = project_tmp / "data" / "letsdance"
    with tarfile.open(_archive(project_tmp / "a" / "rgb.tar.gz")) as tar:
        tar.extractall(root, filter="data")
    with pytest.warns(letsdance.LetsDanceWarning, match="no letsdance_subset.json.*LETSDANCE_ARCHIVE"):
        assert len(datasets.load_frame_index("letsdance")) == len(FRAMES)


def test_relative_archive_path_is_taken_from_the_project_root(project_tmp, monkeypatch):
    _archive(project_tmp / "data" / "rgb.tar.gz")
    (project_tmp / "notebooks").mkdir()
    monkeypatch.chdir(project_tmp / "notebooks")               # where papermill runs the notebooks
    index = datasets.load_frame_index("letsdance", letsdance_archive="data/rgb.tar.gz",
                                      letsdance_root="data/ld", progress=False)
    assert len(index) == len(FRAMES) and (project_tmp / "data" / "ld" / "rgb").is_dir()
    with pytest.raises(FileNotFoundError, match="from the project root"):
        datasets.load_frame_index("letsdance", letsdance_archive="data/missing.tar.gz", progress=False)


def test_local_archive_is_checked_against_sha256(project_tmp):
    archive = _archive(project_tmp / "data" / "rgb.tar.gz")
    actual = hashlib.sha256(archive.read_bytes()).hexdigest()
    with pytest.raises(ValueError) as err:
        datasets.load_frame_index("letsdance", letsdance_archive=str(archive), sha256="0" * 64, progress=False)
    assert "0" * 64 in str(err.value) and actual in str(err.value) and "download it again" in str(err.value)
    assert not (project_tmp / "data" / "letsdance" / "rgb").exists()         # nothing extracted from it
    index = datasets.load_frame_index("letsdance", letsdance_archive=str(archive), sha256=actual, progress=False)
    assert len(index) == len(FRAMES)
    assert (project_tmp / "data" / "rgb.tar.gz.sha256").read_text().split()[0] == actual


def test_another_archive_is_extracted_again_in_full(project_tmp, capsys):
    root = project_tmp / "data" / "letsdance"
    first = _archive(project_tmp / "v1" / "rgb.tar.gz")
    datasets.load_frame_index("letsdance", letsdance_archive=str(first), progress=False)
    second = _archive(project_tmp / "v2" / "rgb.tar.gz", salt=b"v2")          # same names and sizes, new bytes
    digest = hashlib.sha256(second.read_bytes()).hexdigest()
    datasets.load_frame_index("letsdance", letsdance_archive=str(second), sha256=digest, progress=False)
    assert f"now archive_sha256={digest}: extracting again" in capsys.readouterr().out
    assert _tree(root / "rgb") == {n.removeprefix("rgb/"): hashlib.sha256(b"v2" + n.encode()).digest() * 3
                                   for n in FRAMES}
