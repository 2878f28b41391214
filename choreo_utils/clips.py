"""Clips (fixed-length windows over a video's frames) and train/val/test splits that do not leak.

A *frame index* has one row per frame (columns genre, video_id, youtube_id, segment, frame, path), rows
ordered by genre, video_id, frame — what ``letsdance.index_frames`` returns. ``make_clips`` cuts each
video into windows of ``clip_len`` frames; each clip row keeps ``row``, the position in the index of
its first frame, so features stored in index order are sliced as ``feats[row:row + clip_len]``, and the
frame numbers of its first and last frames. A window never spans missing frame numbers (videos are cut
at such gaps, with a warning).

Several Let's Dance videos are cut from the same YouTube video, so splitting clips at random puts
near-identical frames in train and test. ``grouped_split`` keeps every YouTube id on one side;
``naive_split`` is the paper's clip-level shuffle, kept to show the leak (``leakage_report``).
"""
from __future__ import annotations

import numbers
import warnings
import zlib
from typing import Any

import numpy as np
import pandas as pd

from choreo_utils.checks import positive_int
from choreo_utils.config import GENRES, genre_index

#: Columns ``make_clips`` needs in the frame index.
INDEX_COLUMNS: tuple[str, ...] = ("genre", "video_id", "youtube_id", "frame")
#: Columns of the clip table, in order.
CLIP_COLUMNS: tuple[str, ...] = ("clip_id", "genre", "label", "video_id", "youtube_id", "start",
                                 "clip_len", "row", "first_frame", "last_frame")
#: Order of the values of the ``split`` column in summaries.
SPLITS: tuple[str, ...] = ("train", "val", "test")


def _ratio(value: Any, name: str) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0 < value < 1:
        raise ValueError(f"{name} must be a number strictly between 0 and 1; got {value!r}")
    return float(value)


def require_columns(df: pd.DataFrame, columns: tuple[str, ...] | list[str], what: str, hint: str) -> None:
    """Raise a TypeError unless ``df`` is a DataFrame, a ValueError naming the missing ones unless it has ``columns``.

    ``what`` names the table in the message (e.g. "frame index"), ``hint`` says how to make a correct one."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame; got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} is missing column(s) {missing}; it has {list(df.columns)}. {hint}")


def _preview(items: list[str], n: int = 5) -> str:
    shown = ", ".join(map(str, items[:n]))
    return shown + (f", ... ({len(items) - n} more)" if len(items) > n else "")


# ------------------------------------------------------------------------------------------- clips
def _check_index_order(index: pd.DataFrame) -> None:
    """Each video's rows contiguous, frames strictly increasing, one genre / youtube id per video."""
    vid = index["video_id"].to_numpy()
    frame = pd.to_numeric(index["frame"], errors="coerce").to_numpy()
    if np.isnan(frame.astype(float)).any():
        bad = index.loc[np.isnan(frame.astype(float)), "frame"].iloc[0]
        raise ValueError(f"frame index column 'frame' must hold frame numbers; found {bad!r}")
    sort_hint = "sort it with index.sort_values(['genre', 'video_id', 'frame'], ignore_index=True)"
    starts = np.r_[True, vid[1:] != vid[:-1]]
    if starts.sum() != pd.unique(vid).size:
        run_ids = pd.Series(vid[starts])
        split_vid = run_ids[run_ids.duplicated()].iloc[0]
        raise ValueError(f"frame index is not grouped by video: the rows of video {split_vid!r} are not "
                         f"contiguous; {sort_hint}")
    same = ~starts[1:]
    not_increasing = same & (np.diff(frame) <= 0)
    if not_increasing.any():
        i = int(np.flatnonzero(not_increasing)[0]) + 1
        raise ValueError(f"frame index is not sorted by frame within video {vid[i]!r}: frame {frame[i - 1]:g} "
                         f"is followed by {frame[i]:g} (frames must be strictly increasing, no duplicates); "
                         f"{sort_hint}")
    for col in ("genre", "youtube_id"):
        per_video = index.groupby("video_id", sort=False)[col].nunique()
        if (per_video > 1).any():
            v = per_video.index[per_video > 1][0]
            values = sorted(map(str, index.loc[index["video_id"] == v, col].unique()))
            raise ValueError(f"video {v!r} has several {col} values {values} in the frame index; each video "
                             f"must have exactly one — check how the index was built")


def gap_positions(frame: np.ndarray) -> np.ndarray:
    """Positions ``i`` (within one video) where frame ``i`` does not follow frame ``i - 1``: the step from
    ``frame[i - 1]`` exceeds the video's smallest step (frames numbered 1, 2, 3 … or 1, 4, 7 … have none)."""
    if len(frame) < 2:
        return np.empty(0, np.int64)
    step = np.diff(frame)
    return np.flatnonzero(step > step.min()) + 1


def longest_stretch(index: pd.DataFrame) -> int:
    """Frames in the longest gap-free stretch of any video of a frame index (see :func:`make_clips`)."""
    require_columns(index, ["video_id", "frame"], "frame index",
                    "Build it with choreo_utils.letsdance.index_frames(root).")
    frames = pd.to_numeric(index["frame"])
    return max((int(np.diff(np.r_[0, gap_positions(f.to_numpy()), len(f)]).max())
                for _, f in frames.groupby(index["video_id"].to_numpy(), sort=False)), default=0)


def _windows(n: int, clip_len: int, stride: int) -> range:
    return range(0, n - clip_len + 1, stride)


def make_clips(index: pd.DataFrame, clip_len: int = 30, stride: int | None = None) -> pd.DataFrame:
    """One row per ``clip_len``-frame window of each video (stride defaults to clip_len: no overlap).

    Columns: clip_id (``f"{video_id}@{start:04d}"``), genre, label, video_id, youtube_id, start (position
    of the first frame within the video), clip_len, row (position in ``index`` of the first frame —
    positional, whatever the DataFrame's index labels are), first_frame and last_frame (the frame numbers
    of the clip's first and last frames). Trailing frames that do not fill a whole window are not used;
    videos shorter than ``clip_len`` give no clip and are counted in one warning.

    A clip never spans missing frames: where a video's frame numbers jump (a step larger than its smallest
    step, e.g. frames 1–40 then 61–90), the video is cut into gap-free stretches and windows are cut in each
    stretch from its first frame; the gaps and the windows they cost are counted in one warning. A video
    without gaps gives exactly the clips it always did.
    """
    clip_len = positive_int(clip_len, "clip_len")
    stride = clip_len if stride is None else positive_int(stride, "stride")
    require_columns(index, INDEX_COLUMNS, "frame index",
                     "Build it with choreo_utils.letsdance.index_frames(root).")
    if len(index) == 0:
        raise ValueError("frame index is empty; there are no frames to cut into clips")
    _check_index_order(index)

    vid = index["video_id"].to_numpy()
    frame = pd.to_numeric(index["frame"]).to_numpy()
    starts = np.flatnonzero(np.r_[True, vid[1:] != vid[:-1]])
    lengths = np.diff(np.r_[starts, len(index)])
    genres = index["genre"].to_numpy()
    ytids = index["youtube_id"].to_numpy()
    labels = {g: genre_index(g) for g in pd.unique(genres)}  # clear error for unknown genres

    rows: list[tuple] = []
    short: list[str] = []
    gaps: list[tuple[str, Any, Any]] = []     # (video, frame before, frame after) of each gap
    spanning = 0                              # windows that cutting by position would have laid across a gap
    longest = 0
    for first, n in zip(starts, lengths):
        v, first, n = vid[first], int(first), int(n)
        f = frame[first:first + n]
        cuts = gap_positions(f)
        gaps.extend((str(v), f[c - 1], f[c]) for c in cuts)
        if len(cuts):
            spanning += sum(1 for s in _windows(n, clip_len, stride)
                            if np.any((cuts > s) & (cuts < s + clip_len)))
        bounds = np.r_[0, cuts, n]
        longest = max(longest, int(np.diff(bounds).max()))
        g, y = genres[first], ytids[first]
        before = len(rows)
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            for s in _windows(int(hi - lo), clip_len, stride):
                p = int(lo) + s
                rows.append((f"{v}@{p:04d}", g, labels[g], v, y, p, clip_len, first + p,
                             f[p], f[p + clip_len - 1]))
        if len(rows) == before:
            short.append(str(v))
    if gaps:
        n_videos = len({g[0] for g in gaps})
        shown = "; ".join(f"video {v}: frame {a:g} → {b:g}" for v, a, b in gaps[:3])
        warnings.warn(f"{len(gaps)} gap(s) in the frame numbers of {n_videos} video(s) ({shown}"
                      f"{' ...' if len(gaps) > 3 else ''}): each such video is cut at its gaps so that no clip spans "
                      f"missing frames; {spanning} window(s) of clip_len={clip_len} that would have spanned a gap "
                      "were not made. Re-extract the missing frames to use every window.", stacklevel=2)
    if short:
        what = "frames" if not gaps else "frames in one gap-free stretch"
        warnings.warn(f"{len(short)} of {len(starts)} videos have fewer than clip_len={clip_len} {what} and give "
                      f"no clips: {_preview(short)}. Lower clip_len to keep them.", stacklevel=2)
    if not rows:
        raise ValueError(f"no video has at least clip_len={clip_len} frames"
                         f"{' in one gap-free stretch' if gaps else ''} (longest: {longest}); lower clip_len")
    clips = pd.DataFrame(rows, columns=list(CLIP_COLUMNS))
    for col in ("label", "start", "clip_len", "row"):
        clips[col] = clips[col].astype(np.int64)
    return clips


# ------------------------------------------------------------------------------------------ splits
def _group_strata(df: pd.DataFrame, group: str, stratify: str) -> pd.Series:
    """Map each group to one stratum; a group spanning several strata goes to its majority one (warned)."""
    counts = df.groupby([group, stratify], sort=True).size().rename("n").reset_index()
    n_strata = counts.groupby(group, sort=False)[stratify].transform("size")
    mixed = sorted(map(str, counts.loc[n_strata > 1, group].unique()))
    if mixed:
        warnings.warn(f"{len(mixed)} {group} value(s) have clips in several {stratify} values ({_preview(mixed)}); "
                      f"each is kept whole on one side and stratified by the {stratify} holding most of its clips",
                      stacklevel=3)
    # sort: most clips first, ties broken by the stratum name, so the result is deterministic
    counts = counts.sort_values([group, "n", stratify], ascending=[True, False, True], kind="stable")
    return counts.drop_duplicates(group).set_index(group)[stratify]


def _pick_groups(df: pd.DataFrame, ratio: float, seed: int, group: str, stratify: str,
                 held_name: str, scope: str = "") -> np.ndarray:
    """Boolean mask over ``df``'s rows: True for rows whose group is held out (test or val).

    Per stratum, ``round(ratio * n_groups)`` groups are held out, clamped to at least one and at most
    ``n_groups - 1``; a stratum with a single group keeps it (warned). Deterministic from ``seed``: each
    stratum draws from its own generator, seeded by (seed, crc32 of the stratum name).
    """
    require_columns(df, [group, stratify], "clip table", "Make it with make_clips(index).")
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
    if df[group].isna().any() or df[stratify].isna().any():
        raise ValueError(f"clip table has missing values in {group!r} or {stratify!r}; fill or drop those rows")
    strata = _group_strata(df, group, stratify)
    held: list[Any] = []
    single: list[str] = []
    for stratum in sorted(strata.unique(), key=str):
        groups = sorted(strata.index[strata == stratum], key=str)
        n = len(groups)
        if n < 2:
            single.append(str(stratum))
            continue
        n_held = min(max(int(np.floor(ratio * n + 0.5)), 1), n - 1)
        rng = np.random.default_rng([int(seed), zlib.crc32(str(stratum).encode())])
        held.extend(groups[i] for i in rng.permutation(n)[:n_held])
    if single:
        warnings.warn(f"{len(single)} {stratify} value(s) with a single {group}: "
                      + "; ".join(f"{stratify} {s} has a single {group}{scope}; it will have no {held_name} clips"
                                  for s in single[:5]) + (" ..." if len(single) > 5 else ""), stacklevel=3)
    return df[group].isin(held).to_numpy()


def grouped_split(clips: pd.DataFrame, test_ratio: float = 1 / 11, seed: int = 0,
                  group: str = "youtube_id", stratify: str = "genre") -> pd.DataFrame:
    """Copy of ``clips`` with a ``split`` column ("train"/"test") that keeps each ``group`` on one side.

    Per ``stratify`` value (genre), about ``test_ratio`` of its groups (YouTube ids) go to test — at least
    one when it has two or more groups, never all of them (paper ratio 10:1 train:test = 1/11). A genre
    with a single group is train only (warned). A group with clips in several genres stays whole and is
    stratified by its majority genre (warned). Deterministic from ``seed``.

    Why not scikit-learn? ``GroupShuffleSplit`` and ``StratifiedGroupKFold`` give the same guarantee (no
    YouTube id on both sides), but neither fixes how many groups of each genre are held out:
    ``GroupShuffleSplit`` draws groups from all genres at once, so a genre can get no test group at all (and
    another three), and ``StratifiedGroupKFold`` balances the share of *clips* per genre across k folds (so
    only ratios 1/k) and holds out more or fewer groups of a genre whose groups differ in size. Here every
    genre holds out exactly ``round(test_ratio × its groups)`` (clamped to 1 … n − 1), and each genre's draw
    depends only on ``seed`` and its own name, so adding or removing a genre leaves the others' split unchanged
    (``tests/test_clips.py`` compares it with both).
    """
    test_ratio = _ratio(test_ratio, "test_ratio")
    out = clips.copy()
    held = _pick_groups(out, test_ratio, seed, group, stratify, "test")
    out["split"] = np.where(held, "test", "train")
    return out


def naive_split(clips: pd.DataFrame, test_ratio: float = 1 / 11, seed: int = 0) -> pd.DataFrame:
    """Copy of ``clips`` with a clip-level shuffle ``split`` stratified by genre (the paper's split; it leaks)."""
    from sklearn.model_selection import train_test_split  # noqa: PLC0415

    test_ratio = _ratio(test_ratio, "test_ratio")
    require_columns(clips, ["genre"], "clip table", "Make it with make_clips(index).")
    out = clips.copy()
    positions = np.arange(len(out))
    try:
        _, test_pos = train_test_split(positions, test_size=test_ratio, random_state=seed,
                                       stratify=out["genre"].to_numpy())
    except ValueError as exc:
        raise ValueError(f"naive_split could not make a genre-stratified split of {len(out)} clips over "
                         f"{out['genre'].nunique()} genres with test_ratio={test_ratio:.3g}: {exc}. "
                         "Use more clips (or a larger test_ratio).") from exc
    split = np.full(len(out), "train", dtype=object)
    split[test_pos] = "test"
    out["split"] = split
    return out


def validation_split(clips: pd.DataFrame, val_ratio: float = 0.1, seed: int = 0,
                     group: str = "youtube_id", stratify: str = "genre") -> pd.DataFrame:
    """Copy of split ``clips`` where a grouped ``val_ratio`` share of the train groups becomes "val"; test untouched."""
    val_ratio = _ratio(val_ratio, "val_ratio")
    require_columns(clips, ["split"], "clip table",
                     "Split it first with grouped_split(clips) (validation is carved from the train rows).")
    out = clips.copy()
    train = (out["split"] == "train").to_numpy()
    if not train.any():
        raise ValueError("clip table has no 'train' rows to carve a validation set from")
    held = _pick_groups(out.loc[train], val_ratio, seed, group, stratify, "val", scope=" among the train rows")
    split = out["split"].to_numpy(dtype=object).copy()
    split[np.flatnonzero(train)[held]] = "val"
    out["split"] = split
    return out


# ----------------------------------------------------------------------------------------- reports
def leakage_splits(split_clips: pd.DataFrame, seed: int = 0) -> dict[str, pd.DataFrame]:
    """The leakage experiment on the *same* test clips: ``{"grouped": table, "leaky": table}``.

    From a grouped split (train/val/test), one clip of each test video is the test set of both protocols; the
    test videos' other clips (their siblings) are set aside ("unused") in ``grouped`` and moved into training in
    ``leaky`` — as a clip-level shuffle would — while as many training clips, drawn at random, are set aside, so
    both protocols train on the same number of clips and validate on the same videos. Only the leak differs.
    """
    require_columns(split_clips, ["split", "video_id"], "clip table", "Split it first with grouped_split(clips).")
    out = split_clips.reset_index(drop=True)
    test = out[out["split"] == "test"]
    if test.empty:
        raise ValueError("the clip table has no 'test' rows: split it with grouped_split first")
    chosen = test.groupby("video_id", sort=True).sample(1, random_state=seed).index
    siblings = test.index.difference(chosen)
    if len(siblings) == 0:
        raise ValueError("every test video holds a single clip, so there is no sibling to leak: use longer videos "
                         "(FRAMES_PER_VIDEO) or shorter clips (CLIP_LEN)")
    train = out.index[out["split"] == "train"]
    if len(train) <= len(siblings):
        raise ValueError(f"{len(train)} training clips cannot make room for {len(siblings)} sibling clips")
    grouped, leaky = out.copy(), out.copy()
    grouped.loc[siblings, "split"] = "unused"
    leaky.loc[siblings, "split"] = "train"
    drop = np.random.default_rng(seed).choice(train.to_numpy(), len(siblings), replace=False)
    leaky.loc[drop, "split"] = "unused"
    return {"grouped": grouped, "leaky": leaky}


def leakage_report(split_clips: pd.DataFrame, group: str = "video_id") -> dict[str, Any]:
    """How many test clips share a ``group`` (and separately a video_id / youtube_id) with a train clip.

    Keys: group, n_test_clips, n_test_clips_with_sibling_in_train, fraction (for ``group``), and for each
    of video_id / youtube_id present: n_test_clips_sharing_<col>, fraction_sharing_<col>, n_shared_<col>s.
    Only "train" rows count as train ("val" rows are ignored).
    """
    require_columns(split_clips, ["split", group], "split clip table",
                     "Split it first with grouped_split(clips) or naive_split(clips).")
    split = split_clips["split"].to_numpy()
    test, train = split == "test", split == "train"
    n_test = int(test.sum())
    if n_test == 0:
        raise ValueError("split clip table has no 'test' rows; nothing to check for leakage")

    def shared(col: str) -> tuple[int, int]:
        values = split_clips[col].to_numpy()
        common = set(values[test]) & set(values[train])
        return int(np.isin(values[test], list(common)).sum()), len(common)

    n_sib, _ = shared(group)
    report: dict[str, Any] = {"group": group, "n_test_clips": n_test,
                              "n_test_clips_with_sibling_in_train": n_sib, "fraction": n_sib / n_test}
    for col in ("video_id", "youtube_id"):
        if col in split_clips.columns:
            n, n_groups = shared(col)
            report[f"n_test_clips_sharing_{col}"] = n
            report[f"fraction_sharing_{col}"] = n / n_test
            report[f"n_shared_{col}s"] = n_groups
    return report


def split_summary(split_clips: pd.DataFrame) -> pd.DataFrame:
    """Clips, videos and YouTube ids per genre per split (columns like ``clips_train``), plus an ``all`` row."""
    require_columns(split_clips, ["split", "genre", "video_id", "youtube_id"], "split clip table",
                     "Split it first with grouped_split(clips) or naive_split(clips).")
    present = [s for s in SPLITS if s in set(split_clips["split"])]
    others = sorted(set(map(str, split_clips["split"])) - set(SPLITS))
    splits = present + others

    def table(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        return df.groupby(keys, sort=False).agg(clips=("video_id", "size"), videos=("video_id", "nunique"),
                                                 youtube_ids=("youtube_id", "nunique"))

    per_genre = table(split_clips, ["genre", "split"]).unstack("split")
    overall = table(split_clips.assign(genre="all"), ["genre", "split"]).unstack("split")
    both = pd.concat([per_genre, overall])
    columns = [(m, s) for m in ("clips", "videos", "youtube_ids") for s in splits]
    both = both.reindex(columns=pd.MultiIndex.from_tuples(columns)).fillna(0).astype(np.int64)
    both.columns = [f"{m}_{s}" for m, s in columns]
    order = [g for g in GENRES if g in both.index] + sorted(set(both.index) - set(GENRES) - {"all"}, key=str)
    both = both.loc[order + ["all"]]
    both.index.name = "genre"
    return both
