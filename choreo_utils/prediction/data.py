"""Sequences from disk: any video file, or the frame index of a dataset cut into sequences, split by YouTube id
and loaded as float32 arrays (N, T, H, W, C) in [0, 1]."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from choreo_utils import clips, video
from choreo_utils.checks import positive_int
from choreo_utils.prediction.frames import PAPER_SIZE, frames_to_sequences, to_unit


def video_sequences(path: str | os.PathLike, seq_len: int = 20, size: tuple[int, int] | None = PAPER_SIZE,
                    gray: bool = True, stride: int | None = None, max_frames: int | None = None) -> np.ndarray:
    """Any video file (or frame folder) → float32 sequences (N, seq_len, H, W, C) in [0, 1], via ``read_video``.

    Use it on your own clip, e.g. a phone video: ``video_sequences("dance.mp4", 20)``. A file that cannot
    be decoded raises ValueError from :func:`choreo_utils.video.read_video` saying how to re-encode it.
    """
    frames = video.read_video(path, size=size, gray=gray, max_frames=max_frames)
    return to_unit(frames_to_sequences(frames, seq_len, stride, name=f"video {Path(path)}"))


def sequence_table(index: pd.DataFrame, seq_len: int = 20, stride: int | None = None,
                   videos_per_genre: int | None = None, seed: int = 0) -> pd.DataFrame:
    """One row per sequence of ``seq_len`` consecutive frames (``clips.make_clips`` columns).

    ``videos_per_genre`` keeps that many videos of each genre (chosen by ``seed``; None keeps all).
    Videos shorter than ``seq_len`` give no sequence (warned); if none is long enough: ValueError. A sequence
    never spans missing frame numbers: videos are cut at such gaps (warned; see ``clips.make_clips``), and the
    table records each sequence's ``first_frame`` and ``last_frame``.
    """
    seq_len = positive_int(seq_len, "seq_len", 2)
    clips.require_columns(index, clips.INDEX_COLUMNS + ("path",), "frame index",
                          "Build it with choreo_utils.datasets.load_frame_index(...).")
    if videos_per_genre is not None:
        videos_per_genre = positive_int(videos_per_genre, "videos_per_genre")
        rng = np.random.default_rng(seed)
        keep = []
        for _, vids in index.groupby("genre", sort=True)["video_id"]:
            ids = sorted(vids.unique())
            keep.extend(ids[i] for i in sorted(rng.permutation(len(ids))[:videos_per_genre]))
        index = index[index["video_id"].isin(keep)]
    longest = clips.longest_stretch(index)
    if longest < seq_len:
        raise ValueError(f"every video is shorter than the requested sequence length {seq_len} (longest run of "
                         f"consecutive frames: {longest}); lower PRED_SEQ_LEN to at most {longest} or use longer "
                         "videos")
    return clips.make_clips(index.reset_index(drop=True), clip_len=seq_len, stride=stride)


def split_sequences(table: pd.DataFrame, test_ratio: float = 0.1, seed: int = 0,
                    val_ratio: float | None = None) -> pd.DataFrame:
    """9:1 (``test_ratio``) train/test split of a sequence table that keeps each YouTube id on one side.

    With ``val_ratio``, that share of the *training* YouTube ids (per genre, at least one) becomes a ``"val"``
    split for design choices; the test split is the same as without it, and is kept for the final numbers.
    """
    out = clips.grouped_split(table, test_ratio=test_ratio, seed=seed, group="youtube_id", stratify="genre")
    if val_ratio:
        out = clips.validation_split(out, val_ratio=val_ratio, seed=seed, group="youtube_id", stratify="genre")
    return out


def load_sequences(index: pd.DataFrame, table: pd.DataFrame, size: tuple[int, int] = PAPER_SIZE,
                   gray: bool = True) -> np.ndarray:
    """Read the frames of each row of ``table`` (from :func:`sequence_table`) → float32 (N, T, H, W, C) in [0, 1].

    Each video is decoded once (``video.read_frames``, resized with INTER_AREA, grayscale by default). Before
    anything is decoded, every row is checked against ``index``: a window that runs past its video, spans missing
    frame numbers or (``first_frame`` / ``last_frame``) was made from another index raises ValueError.
    """
    clips.require_columns(table, ["video_id", "start", "clip_len"], "sequence table",
                          "Make it with prediction.sequence_table(index, seq_len).")
    if len(table) == 0:
        raise ValueError("sequence table is empty; nothing to load")
    seq_len = int(table["clip_len"].iloc[0])
    if (table["clip_len"] != seq_len).any():
        raise ValueError("sequence table mixes sequence lengths; make it with one seq_len")
    by_video = {v: rows for v, rows in index.groupby("video_id", sort=False)}
    for video_id, rows in table.groupby("video_id", sort=False):   # check every row before decoding anything
        if video_id not in by_video:
            raise ValueError(f"video {video_id!r} of the sequence table is not in the frame index")
        _check_windows(video_id, pd.to_numeric(by_video[video_id]["frame"]).to_numpy(), rows, seq_len)
    out: np.ndarray | None = None
    for video_id, rows in table.groupby("video_id", sort=False):
        frames = video.read_frames(by_video[video_id]["path"].tolist(), size=size, gray=gray)
        for pos, start in zip(rows.index, rows["start"]):
            if out is None:
                out = np.empty((len(table), seq_len, *frames.shape[1:]), np.float32)
            out[table.index.get_loc(pos)] = frames[start:start + seq_len].astype(np.float32) / 255.0
    assert out is not None
    return out


def _check_windows(video_id: object, frame: np.ndarray, rows: pd.DataFrame, seq_len: int) -> None:
    """Each row's window lies inside the video, spans no missing frame numbers and (when the table records them)
    starts and ends on the frames it was made from; else a ValueError saying to rebuild the table."""
    rebuild = "rebuild the table from this index with prediction.sequence_table(index, seq_len)"
    cuts = clips.gap_positions(frame)
    for row in rows.itertuples():
        start = int(row.start)
        if start + seq_len > len(frame):
            raise ValueError(f"sequence {video_id}@{start} needs frames {start}..{start + seq_len - 1} but the "
                             f"video has {len(frame)}; {rebuild}")
        inside = cuts[(cuts > start) & (cuts < start + seq_len)]
        if len(inside):
            raise ValueError(f"sequence {video_id}@{start} spans missing frames (frame {frame[inside[0] - 1]:g} is "
                             f"followed by {frame[inside[0]]:g}), so it would jump in time; {rebuild} (it cuts "
                             "videos at such gaps)")
        recorded = (getattr(row, "first_frame", None), getattr(row, "last_frame", None))
        actual = (frame[start], frame[start + seq_len - 1])
        if recorded[0] is not None and (recorded[0] != actual[0] or recorded[1] != actual[1]):
            raise ValueError(f"sequence {video_id}@{start} was made for frames {recorded[0]}..{recorded[1]} but the "
                             f"frame index has frames {actual[0]}..{actual[1]} there; {rebuild}")
