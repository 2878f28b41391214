"""Tests for choreo_utils.clips: cutting clips and splitting them without leakage."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from choreo_utils import clips as C
from choreo_utils.config import GENRES, genre_index


def frame_index(videos: list[tuple[str, str, int]], frame_step: int = 1) -> pd.DataFrame:
    """A frame index like letsdance.index_frames: videos = [(genre, video_id, n_frames), ...]."""
    rows = []
    for genre, vid, n in videos:
        ytid, segment = vid.rsplit("_", 1)
        for k in range(n):
            frame = 1 + k * frame_step
            rows.append((genre, vid, ytid, segment, frame, f"/data/{genre}/{vid}_{frame}.jpg"))
    return pd.DataFrame(rows, columns=["genre", "video_id", "youtube_id", "segment", "frame", "path"])


def yt(i: int) -> str:
    """An 11-character YouTube-like id."""
    return f"yt{i:09d}"


def big_clip_table(n_genres: int = 16, groups_per_genre: int = 22, videos_per_group: int = 2,
                   clips_per_video: int = 3) -> pd.DataFrame:
    rows = []
    for g in GENRES[:n_genres]:
        for k in range(groups_per_genre):
            y = f"{g[:3]}{k:08d}"
            for v in range(videos_per_group):
                vid = f"{y}_{v:03d}"
                for c in range(clips_per_video):
                    rows.append({"clip_id": f"{vid}@{c * 30:04d}", "genre": g, "label": genre_index(g),
                                 "video_id": vid, "youtube_id": y, "start": c * 30, "clip_len": 30, "row": 0})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------ make_clips
def test_make_clips_counts_and_short_video_warning() -> None:
    index = frame_index([("ballet", f"{yt(1)}_001", 65), ("ballet", f"{yt(2)}_001", 20)])
    with pytest.warns(UserWarning, match=rf"1 of 2 videos.*clip_len=30.*{yt(2)}_001") as record:
        clips = C.make_clips(index, clip_len=30)
    assert len(record) == 1
    assert list(clips.columns) == list(C.CLIP_COLUMNS)
    assert clips["clip_id"].tolist() == [f"{yt(1)}_001@0000", f"{yt(1)}_001@0030"]
    assert clips["start"].tolist() == [0, 30] and clips["row"].tolist() == [0, 30]
    assert (clips["label"] == genre_index("ballet")).all() and (clips["clip_len"] == 30).all()
    assert (clips["youtube_id"] == yt(1)).all()


def test_make_clips_stride_overlap_and_default() -> None:
    index = frame_index([("tango", f"{yt(1)}_000", 10)])
    assert C.make_clips(index, clip_len=4)["start"].tolist() == [0, 4]
    assert C.make_clips(index, clip_len=4, stride=2)["start"].tolist() == [0, 2, 4, 6]
    assert C.make_clips(index, clip_len=10)["start"].tolist() == [0]


def test_row_indices_slice_the_right_frames() -> None:
    index = frame_index([("ballet", f"{yt(1)}_000", 50), ("jive", f"{yt(2)}_003", 37),
                         ("jive", f"{yt(2)}_004", 41)], frame_step=3)
    index.index = index.index + 1000  # row is positional, whatever the DataFrame's labels are
    feats = np.arange(len(index))  # "features" stored in index order
    clips = C.make_clips(index, clip_len=8, stride=5)
    for clip in clips.itertuples():
        window = index.iloc[clip.row:clip.row + clip.clip_len]
        assert (window["video_id"] == clip.video_id).all()
        video_frames = index.loc[index["video_id"] == clip.video_id, "frame"].tolist()
        assert window["frame"].tolist() == video_frames[clip.start:clip.start + clip.clip_len]
        assert feats[clip.row:clip.row + clip.clip_len].tolist() == list(range(clip.row, clip.row + 8))
        assert clip.label == genre_index(clip.genre)


def test_make_clips_validation() -> None:
    index = frame_index([("ballet", f"{yt(1)}_000", 10), ("ballet", f"{yt(2)}_000", 10)])
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="clip_len"):
            C.make_clips(index, clip_len=bad)
    with pytest.raises(ValueError, match="stride"):
        C.make_clips(index, clip_len=5, stride=0)
    with pytest.raises(ValueError, match="missing column.*youtube_id"):
        C.make_clips(index.drop(columns="youtube_id"), clip_len=5)
    with pytest.raises(ValueError, match="not sorted by frame"):
        C.make_clips(index.iloc[::-1].reset_index(drop=True), clip_len=5)
    interleaved = index.iloc[[0, 10, 1, 11] + list(range(2, 10)) + list(range(12, 20))]
    with pytest.raises(ValueError, match="not contiguous"):
        C.make_clips(interleaved, clip_len=5)
    duplicated = pd.concat([index.iloc[:3], index.iloc[2:]], ignore_index=True)
    with pytest.raises(ValueError, match="strictly increasing"):
        C.make_clips(duplicated, clip_len=5)
    with pytest.raises(ValueError, match="unknown genre"):
        C.make_clips(index.assign(genre="disco"), clip_len=5)
    with pytest.raises(ValueError, match="lower clip_len"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        C.make_clips(index, clip_len=50)
    with pytest.raises(ValueError, match="empty"):
        C.make_clips(index.iloc[:0], clip_len=5)


def _positional_clips(index: pd.DataFrame, clip_len: int, stride: int) -> list[tuple]:
    """The clips cutting by position gives (make_clips before gaps were handled): (clip_id, start, row)."""
    out, row = [], 0
    for vid, n in index.groupby("video_id", sort=False).size().items():
        out.extend((f"{vid}@{s:04d}", s, row + s) for s in range(0, n - clip_len + 1, stride))
        row += n
    return out


def test_gap_free_videos_give_the_same_clips_and_split() -> None:
    index = frame_index([(GENRES[i % 4], f"{yt(i)}_{k:03d}", 20 + 3 * i + k) for i in range(12) for k in range(2)])
    for clip_len, stride in ((8, None), (8, 3), (20, 20)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")                       # no gap warning on gap-free videos
            clips = C.make_clips(index, clip_len=clip_len, stride=stride)
        expected = _positional_clips(index, clip_len, stride or clip_len)
        assert list(zip(clips["clip_id"], clips["start"], clips["row"])) == expected
        frames = index["frame"].to_numpy()
        assert clips["first_frame"].tolist() == [frames[r] for r in clips["row"]]
        assert clips["last_frame"].tolist() == [frames[r + clip_len - 1] for r in clips["row"]]
        old_table = clips.drop(columns=["first_frame", "last_frame"])
        assert C.grouped_split(clips, 0.3, seed=2)["split"].tolist() == \
            C.grouped_split(old_table, 0.3, seed=2)["split"].tolist()


def test_clips_never_span_missing_frames() -> None:
    vid = f"{yt(1)}_000"
    full = frame_index([("ballet", vid, 90), ("tango", f"{yt(2)}_000", 30)])
    index = full[~full["frame"].between(41, 60) | (full["video_id"] != vid)].reset_index(drop=True)  # 1-40, 61-90
    with pytest.warns(UserWarning, match=r"1 gap\(s\) in the frame numbers of 1 video.*frame 40 → 61.*"
                                         r"1 window\(s\) of clip_len=30 that would have spanned a gap") as record:
        clips = C.make_clips(index, clip_len=30)
    assert len(record) == 1
    ours = clips[clips["video_id"] == vid]
    assert list(zip(ours["first_frame"], ours["last_frame"])) == [(1, 30), (61, 90)]
    assert ours["start"].tolist() == [0, 40] and ours["row"].tolist() == [0, 40]
    for clip in clips.itertuples():                                # every clip: consecutive frame numbers
        window = index["frame"].iloc[clip.row:clip.row + clip.clip_len].to_numpy()
        assert (np.diff(window) == 1).all() and (window[0], window[-1]) == (clip.first_frame, clip.last_frame)
    assert C.longest_stretch(index) == 40
    with warnings.catch_warnings(record=True) as caught, pytest.raises(ValueError, match="gap-free stretch"):
        warnings.simplefilter("always")
        C.make_clips(index[index["video_id"] == vid], clip_len=45)
    assert any("gap-free stretch" in str(w.message) for w in caught)


# --------------------------------------------------------------------------------- grouped split
def test_grouped_split_keeps_groups_whole_and_every_genre_tested() -> None:
    clips = big_clip_table()
    split = C.grouped_split(clips, seed=3)
    assert len(split) == len(clips) and "split" not in clips.columns  # a copy
    assert set(split["split"]) == {"train", "test"}
    train_yt = set(split.loc[split["split"] == "train", "youtube_id"])
    test_yt = set(split.loc[split["split"] == "test", "youtube_id"])
    assert not train_yt & test_yt
    for genre, part in split.groupby("genre"):
        assert (part["split"] == "test").any() and (part["split"] == "train").any(), genre
        n_test_groups = part.loc[part["split"] == "test", "youtube_id"].nunique()
        assert n_test_groups == 2  # round(22 / 11)


def test_grouped_split_ratio_roughly_right() -> None:
    clips = big_clip_table()
    frac = (C.grouped_split(clips)["split"] == "test").mean()
    assert abs(frac - 1 / 11) < 0.02
    frac = (C.grouped_split(clips, test_ratio=0.25)["split"] == "test").mean()
    assert abs(frac - 0.25) < 0.04


def test_grouped_split_deterministic_by_seed() -> None:
    clips = big_clip_table()
    a = C.grouped_split(clips, seed=7)["split"]
    assert a.equals(C.grouped_split(clips, seed=7)["split"])
    assert not a.equals(C.grouped_split(clips, seed=8)["split"])
    # a genre's choice does not depend on which other genres are in the table
    only_ballet = clips[clips["genre"] == "ballet"]
    assert C.grouped_split(only_ballet, seed=7)["split"].equals(a[clips["genre"] == "ballet"])


def uneven_clip_table() -> pd.DataFrame:
    """Genres with 6 … 21 YouTube ids; ids with 1-3 videos of 2-4 clips each (like Let's Dance, unlike
    big_clip_table)."""
    rows = []
    for gi, g in enumerate(GENRES):
        for k in range(6 + gi):
            y = f"{g[:3]}{k:08d}"
            for v in range(1 + k % 3):
                for c in range(2 + (k + v) % 3):
                    rows.append({"clip_id": f"{y}_{v:03d}@{c * 30:04d}", "genre": g, "label": genre_index(g),
                                 "video_id": f"{y}_{v:03d}", "youtube_id": y, "start": c * 30, "clip_len": 30,
                                 "row": 0})
    return pd.DataFrame(rows)


def test_grouped_split_against_scikit_learn() -> None:
    """Same guarantee as GroupShuffleSplit / StratifiedGroupKFold (no YouTube id on both sides); what ours adds:
    every genre holds out exactly round(ratio × its ids) ids, which neither of them does on uneven groups."""
    from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold

    clips = uneven_clip_table()
    ratio = 0.2                                   # = one fold of 5, so StratifiedGroupKFold can express it
    n_ids = clips.groupby("genre")["youtube_id"].nunique()
    wanted = n_ids.map(lambda n: min(max(int(np.floor(ratio * n + 0.5)), 1), n - 1))

    def held_out_ids(test: np.ndarray) -> pd.Series:
        return clips[test].groupby("genre")["youtube_id"].nunique().reindex(n_ids.index, fill_value=0)

    def no_shared_id(test: np.ndarray) -> bool:
        return not set(clips["youtube_id"][test]) & set(clips["youtube_id"][~test])

    def mask(positions: np.ndarray) -> np.ndarray:
        out = np.zeros(len(clips), bool)
        out[positions] = True
        return out

    for seed in range(3):
        ours = (C.grouped_split(clips, test_ratio=ratio, seed=seed)["split"] == "test").to_numpy()
        _, test = next(GroupShuffleSplit(n_splits=1, test_size=ratio, random_state=seed)
                       .split(clips, groups=clips["youtube_id"]))
        shuffled = mask(test)
        _, test = next(StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed)
                       .split(clips, clips["genre"], groups=clips["youtube_id"]))
        stratified = mask(test)
        assert no_shared_id(ours) and no_shared_id(shuffled) and no_shared_id(stratified)
        assert held_out_ids(ours).equals(wanted)
        assert not held_out_ids(shuffled).equals(wanted) and not held_out_ids(stratified).equals(wanted)


def test_grouped_split_small_genres() -> None:
    clips = big_clip_table(n_genres=3, groups_per_genre=2)
    single = big_clip_table(n_genres=4, groups_per_genre=1).query("genre == 'flamenco'")
    clips = pd.concat([clips, single], ignore_index=True)
    with pytest.warns(UserWarning, match="flamenco has a single youtube_id; it will have no test clips"):
        split = C.grouped_split(clips)
    for genre, part in split.groupby("genre"):
        n_train = part.loc[part["split"] == "train", "youtube_id"].nunique()
        n_test = part.loc[part["split"] == "test", "youtube_id"].nunique()
        assert (n_train, n_test) == ((1, 0) if genre == "flamenco" else (1, 1))


def test_grouped_split_group_spanning_genres_stays_whole() -> None:
    clips = big_clip_table(n_genres=2, groups_per_genre=4)
    shared = clips["youtube_id"].iloc[0]
    extra = clips[clips["youtube_id"] == shared].iloc[:1].assign(genre="break", clip_id="extra")
    clips = pd.concat([clips, extra], ignore_index=True)
    with pytest.warns(UserWarning, match="several genre"):
        split = C.grouped_split(clips, test_ratio=0.5)
    assert split.loc[split["youtube_id"] == shared, "split"].nunique() == 1


def test_split_argument_validation() -> None:
    clips = big_clip_table(n_genres=2, groups_per_genre=4)
    for bad in (0, 1, -0.1, 1.5):
        with pytest.raises(ValueError, match="test_ratio"):
            C.grouped_split(clips, test_ratio=bad)
        with pytest.raises(ValueError, match="test_ratio"):
            C.naive_split(clips, test_ratio=bad)
    with pytest.raises(ValueError, match="missing column"):
        C.grouped_split(clips.drop(columns="youtube_id"))
    with pytest.raises(ValueError, match="grouped_split"):
        C.validation_split(clips)


# ---------------------------------------------------------------------------------- naive / leakage
def test_naive_split_leaks_grouped_does_not() -> None:
    clips = big_clip_table()
    naive = C.naive_split(clips, seed=0)
    assert set(naive["split"]) == {"train", "test"}
    assert abs((naive["split"] == "test").mean() - 1 / 11) < 0.01
    assert naive.groupby("genre")["split"].apply(lambda s: (s == "test").any()).all()  # stratified
    leak = C.leakage_report(naive)
    assert leak["n_test_clips"] == (naive["split"] == "test").sum()
    assert leak["n_test_clips_with_sibling_in_train"] > 0 and leak["fraction"] > 0.5
    assert leak["n_test_clips_sharing_youtube_id"] >= leak["n_test_clips_sharing_video_id"] > 0

    grouped = C.leakage_report(C.grouped_split(clips))
    assert grouped["n_test_clips_with_sibling_in_train"] == 0 and grouped["fraction"] == 0
    assert grouped["n_test_clips_sharing_youtube_id"] == 0 and grouped["n_shared_youtube_ids"] == 0
    by_yt = C.leakage_report(naive, group="youtube_id")
    assert by_yt["n_test_clips_with_sibling_in_train"] == leak["n_test_clips_sharing_youtube_id"]


def test_naive_split_too_small_is_clear() -> None:
    clips = big_clip_table(n_genres=3, groups_per_genre=1, videos_per_group=1, clips_per_video=1)
    with pytest.raises(ValueError, match="naive_split could not"):
        C.naive_split(clips)


def test_leakage_report_needs_test_rows() -> None:
    clips = big_clip_table(n_genres=1, groups_per_genre=3).assign(split="train")
    with pytest.raises(ValueError, match="no 'test'"):
        C.leakage_report(clips)


# ------------------------------------------------------------------------------------ validation
def test_validation_split_keeps_test_and_is_grouped() -> None:
    clips = big_clip_table()
    split = C.grouped_split(clips, seed=1)
    val = C.validation_split(split, val_ratio=0.1, seed=1)
    assert set(val["split"]) == {"train", "val", "test"}
    assert val["split"].eq("test").equals(split["split"].eq("test"))  # test untouched
    sides = val.groupby("youtube_id")["split"].nunique()
    assert (sides == 1).all()  # every YouTube id on exactly one side
    assert val.groupby("genre")["split"].apply(lambda s: set(s) == {"train", "val", "test"}).all()
    assert val["split"].equals(C.validation_split(split, val_ratio=0.1, seed=1)["split"])
    n_val_groups = val.loc[val["split"] == "val"].groupby("genre")["youtube_id"].nunique()
    assert (n_val_groups == 2).all()  # round(0.1 * 20 train groups)


def test_split_summary() -> None:
    clips = big_clip_table(n_genres=2, groups_per_genre=11, videos_per_group=2, clips_per_video=3)
    summary = C.split_summary(C.grouped_split(clips))
    assert list(summary.index) == ["ballet", "break", "all"]
    assert summary.loc["ballet", "clips_test"] == 1 * 2 * 3
    assert summary.loc["ballet", "videos_train"] == 10 * 2
    assert summary.loc["all", "youtube_ids_test"] == 2
    assert summary.loc["all", ["clips_train", "clips_test"]].sum() == len(clips)
    assert "clips_val" not in summary.columns


def test_leakage_splits_share_test_clips_and_training_size():
    rows = []
    for g, genre in enumerate(["tap", "waltz"]):
        for v in range(6):
            for k in range(3):
                rows.append({"clip_id": f"{genre}{v}@{k}", "genre": genre, "label": g, "video_id": f"{genre}{v}_001",
                             "youtube_id": f"{genre}{v}", "split": "test" if v == 0 else "val" if v == 1 else "train"})
    table = pd.DataFrame(rows)
    out = C.leakage_splits(table, seed=0)
    g, leak = out["grouped"], out["leaky"]
    assert g.loc[g["split"] == "test", "clip_id"].tolist() == leak.loc[leak["split"] == "test", "clip_id"].tolist()
    assert (g["split"] == "test").sum() == 2                                  # one clip per test video
    assert (g["split"] == "train").sum() == (leak["split"] == "train").sum()  # same amount of training
    assert g.loc[g["split"] == "val"].equals(leak.loc[leak["split"] == "val"])
    assert C.leakage_report(g)["fraction"] == 0.0 and C.leakage_report(leak)["fraction"] == 1.0
    single = table.drop_duplicates("video_id")
    with pytest.raises(ValueError, match="no sibling to leak"):
        C.leakage_splits(single)
