"""Tests for choreo_utils.letsdance: every fixture is built in tmp_path, nothing touches the network."""
from __future__ import annotations

import hashlib
import io
import os
import re
import tarfile
from pathlib import Path

import pandas as pd
import pytest

from choreo_utils import letsdance
from choreo_utils.letsdance import LetsDanceWarning, UnsafeArchiveError

TRICKY_IDS = ("2TU7dE_9Vi4", "-x_Y_z-12_3", "abc-def_gh_", "___________")


# ------------------------------------------------------------------ parse_frame_name

@pytest.mark.parametrize("youtube_id", TRICKY_IDS)
def test_parse_tricky_ids(youtube_id):
    fn = letsdance.parse_frame_name(f"{youtube_id}_341_0195.jpg")
    assert fn == (youtube_id, 341, 195, f"{youtube_id}_341")
    assert fn.video_id == f"{fn.youtube_id}_{fn.segment:03d}"


def test_parse_accepts_paths_and_extensions():
    fn = letsdance.parse_frame_name(Path("rgb/tap/2TU7dE_9Vi4_007_0001.JPEG"))
    assert (fn.youtube_id, fn.segment, fn.frame, fn.video_id) == ("2TU7dE_9Vi4", 7, 1, "2TU7dE_9Vi4_007")
    assert letsdance.parse_frame_name("/x/y/-x_Y_z-12_3_000_0010.png").frame == 10


@pytest.mark.parametrize("name, why", [
    ("2TU7dE_9Vi4_341_0195.gif", "extension"),
    ("2TU7dE_9Vi4_341_0195", "extension"),
    ("2TU7dE_9Vi4_34a_0195.jpg", "segment"),
    ("2TU7dE_9Vi4_341_01x5.jpg", "frame"),
    ("2TU7dE_9Vi4_341_.jpg", "frame"),
    ("short_341_0195.jpg", "youtube id"),
    ("2TU7dE_9Vi4x_341_0195.jpg", "youtube id"),
    ("2TU7dE$9Vi4_341_0195.jpg", "youtube id"),
    ("0195.jpg", "underscores"),
])
def test_parse_bad_names(name, why):
    with pytest.raises(ValueError, match=re.escape(why)) as err:
        letsdance.parse_frame_name(name)
    assert name in str(err.value) and "2TU7dE_9Vi4_341_0195.jpg" in str(err.value)


# ------------------------------------------------------------------ index_frames

def _touch(path: Path, data: bytes = b"\xff\xd8jpeg") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_index_frames_sorted_numerically_and_typed(tmp_path):
    for frame in (10, 9, 1, 2):
        _touch(tmp_path / "rgb" / "tap" / f"-x_Y_z-12_3_002_{frame}.jpg")
    _touch(tmp_path / "rgb" / "tap" / "2TU7dE_9Vi4_341_0195.jpg")
    _touch(tmp_path / "rgb" / "ballet" / "abc-def_gh__001_0001.png")

    df = letsdance.index_frames(tmp_path)
    assert list(df.columns) == ["genre", "video_id", "youtube_id", "segment", "frame", "path"]
    assert df["segment"].dtype == "int64" and df["frame"].dtype == "int64"
    assert list(df["genre"]) == ["ballet"] + ["tap"] * 5
    tap = df[df["video_id"] == "-x_Y_z-12_3_002"]
    assert list(tap["frame"]) == [1, 2, 9, 10]
    assert all(os.path.isabs(p) and os.path.isfile(p) for p in df["path"])
    # the rgb/ folder itself is accepted too
    pd.testing.assert_frame_equal(letsdance.index_frames(tmp_path / "rgb"), df)


def test_index_frames_warns_about_everything_it_skips(tmp_path):
    rgb = tmp_path / "rgb"
    _touch(rgb / "tap" / "2TU7dE_9Vi4_341_0001.jpg")
    _touch(rgb / "tap" / "2TU7dE_9Vi4_341_0002.jpg")
    _touch(rgb / "tap" / ".2TU7dE_9Vi4_341_0003.jpg")      # hidden
    _touch(rgb / "tap" / ".DS_Store")                       # hidden
    _touch(rgb / "tap" / "notes.txt")                       # not an image
    _touch(rgb / "tap" / "cover.jpg")                       # image, unparseable
    _touch(rgb / "Disco" / "2TU7dE_9Vi4_341_0001.jpg")      # unknown genre
    (rgb / "waltz").mkdir()                                  # empty genre

    with pytest.warns(LetsDanceWarning) as record:
        df = letsdance.index_frames(tmp_path)
    assert len(df) == 2
    messages = [str(w.message) for w in record]
    assert len(messages) == 3
    skipped = next(m for m in messages if "skipped 4 file(s)" in m)
    assert "2 hidden" in skipped and "1 not an image" in skipped and "1 unparseable name" in skipped
    assert "tap/notes.txt" in skipped and "tap/cover.jpg" in skipped
    assert any("1 folder(s) that are not Let's Dance genres" in m and "'Disco'" in m for m in messages)
    assert any("1 genre folder(s) hold no frames" in m and "'waltz'" in m for m in messages)


def test_index_frames_missing_root(tmp_path):
    with pytest.raises(FileNotFoundError, match="extract_subset.*generate_dataset") as err:
        letsdance.index_frames(tmp_path / "nowhere")
    assert "nowhere" in str(err.value)


def test_index_frames_no_frames(tmp_path):
    (tmp_path / "rgb" / "tap").mkdir(parents=True)
    with pytest.warns(LetsDanceWarning, match="hold no frames"), pytest.raises(ValueError, match="no frames found"):
        letsdance.index_frames(tmp_path)


def test_index_frames_duplicate_frame_is_an_error(tmp_path):
    _touch(tmp_path / "rgb" / "tap" / "2TU7dE_9Vi4_341_0001.jpg")
    _touch(tmp_path / "rgb" / "tap" / "2TU7dE_9Vi4_341_1.png")
    with pytest.raises(ValueError, match="share a frame number") as err:
        letsdance.index_frames(tmp_path)
    assert "2TU7dE_9Vi4_341_1.png" in str(err.value)


# ------------------------------------------------------------------ extract_subset

def _frame_bytes(name: str) -> bytes:
    return hashlib.sha256(name.encode()).digest() * (1 + len(name) % 5)


def _add(tar: tarfile.TarFile, name: str, data: bytes | None = None, **attrs) -> None:
    info = tarfile.TarInfo(name)
    for key, value in attrs.items():
        setattr(info, key, value)
    if data is None:
        tar.addfile(info)
    else:
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


#: the archive's frames, deliberately out of order (frame 10 before 2, genres interleaved)
FRAMES = [
    *(f"rgb/tap/-x_Y_z-12_3_002_{f:04d}.jpg" for f in (10, 3, 1, 2)),
    *(f"rgb/ballet/2TU7dE_9Vi4_341_{f:04d}.jpg" for f in (1, 2, 3)),
    "rgb/tap/2TU7dE_9Vi4_007_0001.jpg",
    *(f"rgb/waltz/abc-def_gh__001_{f:04d}.jpg" for f in (2, 1)),
]


def _make_archive(path: Path, extra=None) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        _add(tar, "rgb", type=tarfile.DIRTYPE)
        for name in FRAMES:
            _add(tar, name, _frame_bytes(name))
        _add(tar, "rgb/tap/readme.txt", b"not a frame")
        _add(tar, "rgb/disco/2TU7dE_9Vi4_341_0001.jpg", b"unknown genre")
        _add(tar, "other/2TU7dE_9Vi4_341_0001.jpg", b"outside rgb/")
        if extra:
            extra(tar)
    return path


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_extract_everything(tmp_path):
    archive = _make_archive(tmp_path / "rgb.tar.gz")
    dest = tmp_path / "out"
    summary = letsdance.extract_subset(archive, dest, progress=False)
    assert summary["extracted"] == len(FRAMES) and summary["skipped_existing"] == 0
    assert summary["skipped_other"] == 3
    assert summary["per_genre"]["tap"] == 5 and summary["per_genre"]["ballet"] == 3
    assert summary["per_genre"]["waltz"] == 2 and summary["per_genre"]["samba"] == 0
    assert _files(dest / "rgb") == {n.removeprefix("rgb/") for n in FRAMES}
    for name in FRAMES:
        assert (dest / name).read_bytes() == _frame_bytes(name)
    assert (dest / letsdance.SUMMARY_NAME).is_file()
    df = letsdance.index_frames(dest)
    assert len(df) == len(FRAMES)
    assert list(df[df.video_id == "-x_Y_z-12_3_002"].frame) == [1, 2, 3, 10]


def test_extract_max_frames_and_genres(tmp_path):
    archive = _make_archive(tmp_path / "rgb.tar.gz")
    dest = tmp_path / "out"
    summary = letsdance.extract_subset(archive, dest, max_frames_per_video=2, genres=["tap", "waltz"],
                                       progress=False)
    assert summary["extracted"] == 5 and set(summary["per_genre"]) == {"tap", "waltz"}
    assert _files(dest / "rgb") == {
        "tap/-x_Y_z-12_3_002_0001.jpg", "tap/-x_Y_z-12_3_002_0002.jpg", "tap/2TU7dE_9Vi4_007_0001.jpg",
        "waltz/abc-def_gh__001_0001.jpg", "waltz/abc-def_gh__001_0002.jpg"}


def test_extract_validates_arguments(tmp_path):
    archive = _make_archive(tmp_path / "rgb.tar.gz")
    with pytest.raises(ValueError, match="unknown genre.*'Tango'.*ballet"):
        letsdance.extract_subset(archive, tmp_path / "out", genres=["tap", "Tango"], progress=False)
    with pytest.raises(ValueError, match="max_frames_per_video"):
        letsdance.extract_subset(archive, tmp_path / "out", max_frames_per_video=0, progress=False)
    with pytest.raises(FileNotFoundError, match="download"):
        letsdance.extract_subset(tmp_path / "missing.tar.gz", tmp_path / "out", progress=False)


@pytest.mark.parametrize("call", [
    lambda archive, dest: letsdance.extract_subset(archive, dest, genres=16, progress=False),
    lambda archive, dest: letsdance.subset_status(dest, genres=16),
])
def test_genres_must_be_names_not_a_number(tmp_path, call):
    with pytest.raises(ValueError, match=r"genres must be None \(all 16\), a genre name or a list of names; got 16"):
        call(_make_archive(tmp_path / "rgb.tar.gz"), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_extract_into_a_file_names_dest(tmp_path):
    archive = _make_archive(tmp_path / "rgb.tar.gz")
    dest = _touch(tmp_path / "out", b"a file, not a folder")
    with pytest.raises(NotADirectoryError, match=r"dest=.*out' is a file; pass the folder to extract into"):
        letsdance.extract_subset(archive, dest, progress=False)
    assert dest.read_bytes() == b"a file, not a folder"


def test_extract_resumes(tmp_path):
    archive = _make_archive(tmp_path / "rgb.tar.gz")
    dest = tmp_path / "out"
    letsdance.extract_subset(archive, dest, progress=False)
    again = letsdance.extract_subset(archive, dest, progress=False)
    assert again["extracted"] == 0 and again["skipped_existing"] == len(FRAMES)

    half = dest / FRAMES[0]
    half.write_bytes(_frame_bytes(FRAMES[0])[:7])          # an interrupted, wrong-size file
    (dest / FRAMES[1]).unlink()                             # a missing file
    third = letsdance.extract_subset(archive, dest, progress=False)
    assert third["extracted"] == 2 and third["skipped_existing"] == len(FRAMES) - 2
    assert half.read_bytes() == _frame_bytes(FRAMES[0])
    assert not [p for p in dest.rglob("*") if p.name.startswith(".")]   # no temp files left behind


def test_extract_truncated_archive(tmp_path):
    big = [f"rgb/tap/2TU7dE_9Vi4_341_{f:04d}.jpg" for f in range(1, 41)]
    full = tmp_path / "full.tar.gz"
    with tarfile.open(full, "w:gz") as tar:
        for name in big:
            _add(tar, name, os.urandom(4096))               # incompressible, so cutting hits frame data
    cut = tmp_path / "rgb.tar.gz"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    dest = tmp_path / "out"
    with pytest.raises(ValueError, match="re-download|Re-download") as err:
        letsdance.extract_subset(cut, dest, progress=False)
    assert str(cut) in str(err.value) and "truncated" in str(err.value)
    written = list((dest / "rgb" / "tap").iterdir())
    assert written and len(written) < len(big)
    assert all(p.stat().st_size == 4096 for p in written)   # only complete files, no temp leftovers


@pytest.mark.parametrize("content", [b"this is plain text, not gzip\n" * 10, b""])
def test_extract_not_an_archive(tmp_path, content):
    bogus = tmp_path / "rgb.tar.gz"
    bogus.write_bytes(content)
    with pytest.raises(ValueError, match="not a gzip-compressed tar") as err:
        letsdance.extract_subset(bogus, tmp_path / "out", progress=False)
    assert str(bogus) in str(err.value)


def test_extract_gzip_but_not_tar(tmp_path):
    import gzip
    bogus = tmp_path / "rgb.tar.gz"
    bogus.write_bytes(gzip.compress(os.urandom(3000)))
    with pytest.raises(ValueError, match="Re-download"):
        letsdance.extract_subset(bogus, tmp_path / "out", progress=False)


@pytest.mark.parametrize("evil, why", [
    (lambda t: _add(t, "rgb/tap/../../../evil.jpg", b"x"), "outside the destination"),
    (lambda t: _add(t, "../evil.jpg", b"x"), "outside the destination"),
    (lambda t: _add(t, "/tmp/evil_abs_letsdance.jpg", b"x"), "it has an absolute path"),
    (lambda t: _add(t, "/rgb/tap/2TU7dE_9Vi4_341_0097.jpg", b"x"), "it has an absolute path"),
    (lambda t: _add(t, "rgb/tap/2TU7dE_9Vi4_341_0099.jpg", type=tarfile.SYMTYPE, linkname="/etc/passwd"),
     "is a link to an absolute path"),
    (lambda t: _add(t, "rgb/tap/2TU7dE_9Vi4_341_0099.jpg", type=tarfile.SYMTYPE, linkname="../../../../../x"),
     "which is outside the destination"),
    (lambda t: _add(t, "rgb/tap/2TU7dE_9Vi4_341_0098.jpg", type=tarfile.LNKTYPE, linkname="../evil.jpg"),
     "which is outside the destination"),
    (lambda t: _add(t, "rgb/tap/dev", type=tarfile.CHRTYPE), "is a special file"),
    (lambda t: _add(t, "rgb/tap/blk", type=tarfile.BLKTYPE), "is a special file"),
    (lambda t: _add(t, "rgb/tap/fifo", type=tarfile.FIFOTYPE), "is a special file"),
])
def test_extract_refuses_unsafe_members(tmp_path, evil, why):
    work = tmp_path / "work"
    work.mkdir()
    archive = _make_archive(work / "rgb.tar.gz", extra=evil)
    dest = work / "a" / "b" / "out"
    before = _files(tmp_path)
    with pytest.raises(UnsafeArchiveError, match=re.escape(why)) as err:
        letsdance.extract_subset(archive, dest, progress=False)
    member = tarfile.open(archive).getmembers()[-1].name
    assert f"unsafe member {member!r} in {archive}" in str(err.value)
    assert "refused by tarfile's 'data' filter" in str(err.value) and letsdance.PROJECT_PAGE in str(err.value)
    assert not Path("/tmp/evil_abs_letsdance.jpg").exists()
    outside = {f for f in _files(tmp_path) - before if not f.startswith("work/a/b/out/")}
    assert outside == set()
    assert not [p for p in tmp_path.rglob("*") if p.is_symlink()]


def test_links_inside_the_destination_are_skipped_never_made(tmp_path):
    def links(tar):
        _add(tar, "rgb/tap/2TU7dE_9Vi4_341_0099.jpg", type=tarfile.SYMTYPE, linkname="-x_Y_z-12_3_002_0001.jpg")
        _add(tar, "rgb/tap/2TU7dE_9Vi4_341_0098.jpg", type=tarfile.LNKTYPE, linkname=FRAMES[0])

    dest = tmp_path / "out"
    summary = letsdance.extract_subset(_make_archive(tmp_path / "rgb.tar.gz", extra=links), dest, progress=False)
    assert summary["extracted"] == len(FRAMES) and summary["skipped_other"] == 3
    assert _files(dest / "rgb") == {n.removeprefix("rgb/") for n in FRAMES}
    assert not [p for p in dest.rglob("*") if p.is_symlink()]


# ------------------------------------------------------------------ download (choreo_utils.download, tested in
# test_download.py, with this dataset's hints)

def test_download_points_to_the_project_page(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        letsdance.download(tmp_path / "nope.tar.gz", tmp_path / "d", progress=False)
    assert "neither an existing file" in str(err.value)
    assert f"get {letsdance.ARCHIVE_NAME} via {letsdance.PROJECT_PAGE}" in str(err.value)
    data = os.urandom(1_000)
    src = _touch(tmp_path / "src.bin", data)
    dest = tmp_path / "data" / letsdance.ARCHIVE_NAME
    assert letsdance.download(src.as_uri(), dest, sha256=hashlib.sha256(data).hexdigest(), progress=False) == dest
    assert dest.read_bytes() == data


# ------------------------------------------------------------------ the completion record

def test_record_is_incomplete_until_the_end_and_complete_last(tmp_path, monkeypatch):
    archive = _make_archive(tmp_path / "rgb.tar.gz")
    dest = tmp_path / "out"
    assert letsdance.subset_status(dest)[0] == "missing"
    real_copy = letsdance.shutil.copyfileobj
    calls = []

    def copy_then_crash(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt                         # interrupted after two frames
        return real_copy(*args, **kwargs)

    monkeypatch.setattr(letsdance.shutil, "copyfileobj", copy_then_crash)
    with pytest.raises(KeyboardInterrupt):
        letsdance.extract_subset(archive, dest, progress=False)
    assert (dest / "rgb").is_dir()                           # rgb/ exists, but that no longer means "done"
    state, message = letsdance.subset_status(dest)
    assert state == "resume" and message.startswith(f"resuming the extraction of {dest}")
    assert letsdance.subset_status(dest, max_frames_per_video=2)[0] == "changed"
    monkeypatch.setattr(letsdance.shutil, "copyfileobj", real_copy)
    letsdance.extract_subset(archive, dest, progress=False)
    assert letsdance.subset_status(dest) == ("complete", f"{dest} is complete")
    record = letsdance.read_subset_record(dest)
    assert record["complete"] is True and record["frames"] == len(FRAMES)


def test_leftover_temp_files_of_a_killed_run_are_removed(tmp_path):
    archive = _make_archive(tmp_path / "rgb.tar.gz")
    dest = tmp_path / "out"
    _touch(dest / "rgb" / "tap" / ".2TU7dE_9Vi4_007_0001.jpg.abc123.part", b"half")   # SIGKILL mid-write
    _touch(dest / f".{letsdance.SUMMARY_NAME}.xyz.part", b"{")
    letsdance.extract_subset(archive, dest, progress=False)
    assert not [p for p in dest.rglob(".*")]
    assert _files(dest / "rgb") == {n.removeprefix("rgb/") for n in FRAMES}


def test_frames_no_longer_selected_are_removed_others_kept(tmp_path):
    archive = _make_archive(tmp_path / "rgb.tar.gz")
    dest = tmp_path / "out"
    letsdance.extract_subset(archive, dest, progress=False)
    kept = dest / "rgb" / "tap" / "-x_Y_z-12_3_002_0001.jpg"
    inode = kept.stat().st_ino
    summary = letsdance.extract_subset(archive, dest, max_frames_per_video=2, genres=["tap"], progress=False)
    assert summary["extracted"] == 0 and summary["removed"] == len(FRAMES) - 3
    assert _files(dest / "rgb") == {"tap/-x_Y_z-12_3_002_0001.jpg", "tap/-x_Y_z-12_3_002_0002.jpg",
                                    "tap/2TU7dE_9Vi4_007_0001.jpg"}
    assert kept.stat().st_ino == inode and sorted(p.name for p in (dest / "rgb").iterdir()) == ["tap"]


@pytest.mark.parametrize("content, why", [
    ("", "JSONDecodeError"), ("{\"genres\": [", "JSONDecodeError"), ("[]", "expected a JSON object"),
    ("{\"complete\": true}", "missing 'genres', 'max_frames_per_video'"),
    ("{\"genres\": [\"tap\"], \"max_frames_per_video\": null}", "missing 'complete'"),
])
def test_corrupt_record_says_which_file_and_what_to_do(tmp_path, content, why):
    _touch(tmp_path / letsdance.SUMMARY_NAME, content.encode())
    with pytest.raises(ValueError, match=f"extraction record.*is corrupt.*{re.escape(why)}") as err:
        letsdance.subset_status(tmp_path)
    assert str(tmp_path / letsdance.SUMMARY_NAME) in str(err.value) and "delete letsdance_subset.json" in str(err.value)


def test_max_frames_accepts_numpy_ints_and_names_bad_values(tmp_path):
    import numpy as np

    assert letsdance.subset_status(tmp_path, max_frames_per_video=np.int64(30))[0] == "missing"
    for bad in (0, -3, 2.5, True, "30"):
        with pytest.raises(ValueError, match="max_frames_per_video must be a positive integer"):
            letsdance.subset_status(tmp_path, max_frames_per_video=bad)
