"""One entry point for every notebook: the frame index of the chosen data source.

``DATA_SOURCE = "synthetic"`` generates (or reuses) the procedural set; ``"letsdance"`` uses the real
archive, downloading and extracting it when you give a URL or a local path. Either way the result is
the same table (genre, video_id, youtube_id, segment, frame, path), so everything downstream is shared.
"""
from __future__ import annotations

import os
import urllib.parse
import warnings
from pathlib import Path

import pandas as pd

from choreo_utils import config, download, letsdance, synthetic

SOURCES = ("synthetic", "letsdance")


def synthetic_root(videos_per_genre: int, frames_per_video: int, size: tuple[int, int], seed: int,
                   motion_cue: float = 1.0, appearance_cue: float = 1.0) -> Path:
    """``data/synthetic/<settings>``: one folder per setting, so notebooks never clobber each other's data."""
    name = f"v{videos_per_genre}_f{frames_per_video}_{size[0]}x{size[1]}_seed{seed}"
    if motion_cue != 1.0 or appearance_cue != 1.0:
        name += f"_m{motion_cue:g}_a{appearance_cue:g}"
    return config.data_dir() / "synthetic" / name


def load_frame_index(source: str = "synthetic", *, videos_per_genre: int = 24, frames_per_video: int = 64,
                     size: tuple[int, int] = (96, 144), seed: int = 0, motion_cue: float = 1.0,
                     appearance_cue: float = 1.0, letsdance_root: str | os.PathLike | None = None,
                     letsdance_archive: str | None = None, sha256: str | None = None,
                     max_frames_per_video: int | None = None, genres=None, progress: bool = True) -> pd.DataFrame:
    """Return the frame index for ``source``, generating or extracting the data first if needed.

    * ``"synthetic"``: ``synthetic.generate_dataset`` under :func:`synthetic_root` (cached by settings).
    * ``"letsdance"``: frames under ``letsdance_root`` (default ``data/letsdance``), extracted from
      ``letsdance_archive`` (a URL, downloaded resumably to ``data/rgb.tar.gz``, or a local ``rgb.tar.gz``)
      unless ``letsdance_subset.json`` there records a complete extraction with the same
      ``max_frames_per_video`` and ``genres``. An interrupted extraction is resumed, one with other settings
      redone (keeping the frames still wanted). ``sha256`` checks the archive, downloaded or local (its digest
      is recorded in ``<archive>.sha256``). Relative paths are taken from the project root.
    """
    if source not in SOURCES:
        raise ValueError(f"DATA_SOURCE must be one of {SOURCES}, got {source!r}")
    if source == "synthetic":
        size = (int(size[0]), int(size[1]))
        root = synthetic_root(videos_per_genre, frames_per_video, size, seed, motion_cue, appearance_cue)
        synthetic.generate_dataset(root, videos_per_genre=videos_per_genre, frames_per_video=frames_per_video,
                                   size=size, seed=seed, motion_cue=motion_cue, appearance_cue=appearance_cue,
                                   progress=progress)
        return letsdance.index_frames(root)

    root = config.resolve_path(letsdance_root) if letsdance_root else config.data_dir() / "letsdance"
    state, why = letsdance.subset_status(root, max_frames_per_video, genres, sha256)
    if state == "complete":
        return letsdance.index_frames(root)
    if not letsdance_archive:
        if state == "unrecorded":
            warnings.warn(f"{why}; indexing it as it is. Set LETSDANCE_ARCHIVE to the URL or path of "
                          f"{letsdance.ARCHIVE_NAME} to check and complete it.", letsdance.LetsDanceWarning,
                          stacklevel=2)
            return letsdance.index_frames(root)
        raise FileNotFoundError(
            f"{why}. Set LETSDANCE_ARCHIVE to the URL or local path of {letsdance.ARCHIVE_NAME} (see "
            f"{letsdance.PROJECT_PAGE}), or extract it yourself with letsdance.extract_subset(archive, dest).")
    if state != "missing":
        print(why)
    archive, digest = _archive(letsdance_archive, sha256, progress)
    letsdance.extract_subset(archive, root, max_frames_per_video=max_frames_per_video, genres=genres,
                             progress=progress, sha256=digest)
    return letsdance.index_frames(root)


def _archive(url_or_path: str | os.PathLike, sha256: str | None, progress: bool) -> tuple[Path, str]:
    """The archive on disk, checked against ``sha256`` (and its digest recorded next to it); with its digest.

    A URL is downloaded to ``data/rgb.tar.gz``; a local path (relative to the project root) is used where it is."""
    text = os.fspath(url_or_path)
    if urllib.parse.urlparse(text).scheme.lower() in {"http", "https", "file"}:
        archive = letsdance.download(text, config.data_dir() / letsdance.ARCHIVE_NAME, sha256=sha256,
                                     progress=progress)
    else:
        local = config.resolve_path(text)
        if not local.is_file():
            raise FileNotFoundError(f"LETSDANCE_ARCHIVE={text!r}: {local} is not a file (a relative path is taken "
                                    f"from the project root, {config.project_root()}). Give the path or URL of "
                                    f"{letsdance.ARCHIVE_NAME} (see {letsdance.PROJECT_PAGE}).")
        archive = letsdance.download(local, local, sha256=sha256, progress=progress)   # verify in place
    return archive, download.recorded_sha256(archive)


def dataset_summary(index: pd.DataFrame) -> pd.DataFrame:
    """Videos, YouTube ids and frames per genre (plus frames per video range)."""
    per_video = index.groupby(["genre", "video_id"]).size().rename("frames").reset_index()
    table = per_video.groupby("genre").agg(videos=("video_id", "nunique"), frames=("frames", "sum"),
                                           min_frames=("frames", "min"), max_frames=("frames", "max"))
    table.insert(1, "youtube_ids", index.groupby("genre")["youtube_id"].nunique())
    return table
