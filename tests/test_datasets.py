import pytest

from choreo_utils import datasets


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
