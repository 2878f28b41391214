"""The Let's Dance dataset: fetch the frame archive, extract a subset, index the frames.

Let's Dance (Castro et al., "Let's Dance: Learning From Online Dance Videos", arXiv:1801.07388; project page
https://www.cc.gatech.edu/cpl/projects/dance/) ships its RGB frames as one archive, ``rgb.tar.gz``, laid out as::

    rgb/<genre>/<ytid>_<NNN>_<FFFF>.jpg      e.g.  rgb/tap/2TU7dE_9Vi4_341_0195.jpg

* ``<genre>`` is one of the 16 names in :data:`choreo_utils.config.GENRES`;
* ``<ytid>`` is an 11-character YouTube id, which may itself contain ``_`` and ``-`` (parsed from the right);
* ``<NNN>`` is a 3-digit segment number: a *video* is ``<ytid>_<NNN>``, one clip of one upload;
* ``<FFFF>`` is a 4-digit frame index starting at ``0001``.

Typical use::

    from choreo_utils import letsdance
    archive = letsdance.download(URL_OR_LOCAL_PATH, data_dir() / letsdance.ARCHIVE_NAME)
    letsdance.extract_subset(archive, data_dir() / "letsdance", max_frames_per_video=30)
    frames = letsdance.index_frames(data_dir() / "letsdance")   # one row per frame

No download URL is hard-coded (it could not be verified offline): pass the one from the project page, or a local
path to an archive you already have, to :func:`download`.

Everything here is safe to interrupt and re-run: downloads resume from ``<dest>.part``, extraction
skips files already written, every file is written atomically (complete or absent), and
``letsdance_subset.json`` (written last) says whether an extraction finished, and with which settings
(:func:`subset_status`).
"""
from __future__ import annotations

import gzip
import os
import re
import shutil
import tarfile
import warnings
import zlib
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import NamedTuple

import pandas as pd

from choreo_utils import download as downloader
from choreo_utils.config import GENRES, relative_to_root
from choreo_utils.checks import positive_int
from choreo_utils.io_utils import atomic_path, read_json, write_json
from choreo_utils.progress import bar as progress_bar

#: File name of the frame archive distributed by the authors.
ARCHIVE_NAME = "rgb.tar.gz"
#: The dataset's project page (find the current download link there).
PROJECT_PAGE = "https://www.cc.gatech.edu/cpl/projects/dance/"
#: Top-level folder inside the archive and inside an extracted copy.
RGB_DIR = "rgb"
#: Image extensions accepted as frames (compared case-insensitively).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
#: Name of the JSON summary :func:`extract_subset` writes next to ``rgb/``.
SUMMARY_NAME = "letsdance_subset.json"

_EXAMPLE = "2TU7dE_9Vi4_341_0195.jpg"
_GRAMMAR = f"expected <11-char youtube id>_<NNN>_<FFFF>.jpg, e.g. {_EXAMPLE}"
_YOUTUBE_ID, _DIGITS = r"[A-Za-z0-9_-]{11}", r"[0-9]+"
# The grammar of parse_frame_name in one regex (digits hold no "_", so anchoring an 11-char id on the left
# is equivalent to rsplit from the right): the fast path for indexing 400k files.
_FRAME = re.compile(rf"(({_YOUTUBE_ID})_({_DIGITS}))_({_DIGITS})\.(?:jpe?g|png)", re.IGNORECASE)
_CHUNK = 1 << 20
_N_EXAMPLES = 5


class LetsDanceWarning(UserWarning):
    """Something in the data was skipped or looks odd; the message says what and how many."""


class UnsafeArchiveError(ValueError):
    """An archive member that tarfile's ``data`` filter refuses (it would land or link outside the destination,
    or is a device), or one with an absolute path."""


class FrameName(NamedTuple):
    """The parts of a frame file name such as ``2TU7dE_9Vi4_341_0195.jpg``."""

    youtube_id: str
    segment: int
    frame: int
    video_id: str


# ------------------------------------------------------------------ file names and the index

def parse_frame_name(name: str | os.PathLike) -> FrameName:
    """Split ``<ytid>_<NNN>_<FFFF>.jpg`` (a bare name or a path) into its parts; ValueError if it doesn't fit.

    Segment and frame are parsed as integers (any number of digits is accepted, so ``_10`` sorts
    after ``_9``); ``video_id`` is the original text before the last underscore.
    """
    base = os.path.basename(os.fspath(name))
    stem, ext = os.path.splitext(base)
    if ext.lower() not in IMAGE_EXTENSIONS:
        raise ValueError(f"cannot parse frame name {base!r}: extension {ext or '(none)'!r} is not one of "
                         f"{', '.join(IMAGE_EXTENSIONS)}; {_GRAMMAR}")
    parts = stem.rsplit("_", 2)
    if len(parts) != 3:
        raise ValueError(f"cannot parse frame name {base!r}: it needs two underscores after the youtube id; "
                         f"{_GRAMMAR}")
    youtube_id, segment, frame = parts
    for label, value in (("segment", segment), ("frame", frame)):
        if not re.fullmatch(_DIGITS, value):
            raise ValueError(f"cannot parse frame name {base!r}: {label} {value!r} is not a number; {_GRAMMAR}")
    if not re.fullmatch(_YOUTUBE_ID, youtube_id):
        raise ValueError(f"cannot parse frame name {base!r}: youtube id {youtube_id!r} is not 11 characters "
                         f"of A-Z a-z 0-9 _ -; {_GRAMMAR}")
    return FrameName(youtube_id, int(segment), int(frame), stem.rsplit("_", 1)[0])


def _rgb_folder(root: Path) -> Path:
    """``root/rgb`` if it exists, else ``root`` itself (the caller passed the ``rgb/`` folder)."""
    if not root.exists():
        raise FileNotFoundError(f"Let's Dance frames not found: {root} does not exist. Extract them first with "
                                f"letsdance.extract_subset('{ARCHIVE_NAME}', '{root}') or build a stand-in with "
                                f"synthetic.generate_dataset('{root}').")
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is a file; pass the folder that holds {RGB_DIR}/ (or the {RGB_DIR}/ "
                                 "folder itself)")
    return root / RGB_DIR if (root / RGB_DIR).is_dir() else root


def _examples(items: Iterable[str]) -> str:
    items = list(items)
    shown = ", ".join(repr(i) for i in items[:_N_EXAMPLES])
    return shown + (f" and {len(items) - _N_EXAMPLES} more" if len(items) > _N_EXAMPLES else "")


def index_frames(root: str | os.PathLike) -> pd.DataFrame:
    """One row per frame under ``root`` (the folder holding ``rgb/``, or ``rgb/``), sorted by genre, video, frame.

    Columns: genre, video_id, youtube_id, segment (int), frame (int), path (absolute str).
    Hidden files, non-images, unparseable names, unknown genre folders and genres without frames
    are skipped with a :class:`LetsDanceWarning` each (counts and examples in the message).
    Two files for the same frame of the same video raise ValueError.
    """
    rgb = _rgb_folder(Path(root)).resolve()
    rows: list[tuple[str, str, str, int, int, str]] = []
    skipped: defaultdict[str, list[str]] = defaultdict(list)      # reason -> relative paths
    unknown_genres: list[str] = []                                 # folders that are not genres
    empty_genres: list[str] = []                                   # genre folders without frames
    for genre_entry in sorted(os.scandir(rgb), key=lambda e: e.name):   # sorted() exhausts (closes) the scan
        genre = genre_entry.name
        if genre.startswith(".") or not genre_entry.is_dir():
            skipped["hidden" if genre.startswith(".") else "not inside a genre folder"].append(genre)
            continue
        if genre not in GENRES:
            unknown_genres.append(genre)
            continue
        n_before = len(rows)
        folder = genre_entry.path + os.sep
        with os.scandir(genre_entry.path) as files:
            for entry in files:
                rel = f"{genre}/{entry.name}"
                if entry.name.startswith("."):
                    skipped["hidden"].append(rel)
                elif not entry.is_file():
                    skipped["not a regular file"].append(rel)
                elif match := _FRAME.fullmatch(entry.name):
                    video_id, youtube_id, segment, frame = match.groups()
                    rows.append((genre, video_id, youtube_id, int(segment), int(frame), f"{folder}{entry.name}"))
                elif os.path.splitext(entry.name)[1].lower() not in IMAGE_EXTENSIONS:
                    skipped["not an image"].append(rel)
                else:
                    skipped["unparseable name"].append(rel)
        if len(rows) == n_before:
            empty_genres.append(genre)

    where = f"index_frames({str(rgb)!r})"
    if skipped:
        detail = "; ".join(f"{len(v)} {reason} (e.g. {_examples(v)})" for reason, v in skipped.items())
        warnings.warn(f"{where}: skipped {sum(map(len, skipped.values()))} file(s) that are not frames: {detail}. "
                      f"Frames must be named {_GRAMMAR}", LetsDanceWarning, stacklevel=2)
    if unknown_genres:
        warnings.warn(f"{where}: skipped {len(unknown_genres)} folder(s) that are not Let's Dance genres: "
                      f"{_examples(unknown_genres)}. Known genres: {', '.join(GENRES)}; rename or remove the "
                      "folder(s).", LetsDanceWarning, stacklevel=2)
    if empty_genres:
        warnings.warn(f"{where}: {len(empty_genres)} genre folder(s) hold no frames: "
                      f"{_examples(empty_genres)}.", LetsDanceWarning, stacklevel=2)
    if not rows:
        raise ValueError(f"no frames found under {rgb}: expected {RGB_DIR}/<genre>/<name> with <genre> one of "
                         f"{', '.join(GENRES)} and names {_GRAMMAR}. Re-run letsdance.extract_subset(...) or "
                         "synthetic.generate_dataset(...).")

    by = ["genre", "video_id", "frame"]
    df = pd.DataFrame(rows, columns=["genre", "video_id", "youtube_id", "segment", "frame", "path"]).astype(
        {"segment": "int64", "frame": "int64"}).sort_values(by, kind="stable", ignore_index=True)
    dup = df.duplicated(by, keep=False)
    if dup.any():
        shown = _examples(df.loc[dup, "path"].map(lambda p: os.path.relpath(p, rgb)))
        raise ValueError(f"{int(dup.sum())} files under {rgb} share a frame number with another file of the "
                         f"same video ({shown}); keep one file per frame and delete the others.")
    return df


# ------------------------------------------------------------------ extracting a subset from the archive

def _check_settings(genres: str | Iterable[str] | None, max_frames: int | None) -> tuple[tuple[str, ...], int | None]:
    """The genres (in :data:`GENRES` order) and ``max_frames_per_video`` (an int or None); a ValueError naming
    the argument that is wrong."""
    max_frames = None if max_frames is None else positive_int(max_frames, "max_frames_per_video")
    if genres is None:
        return GENRES, max_frames
    if not isinstance(genres, (str, Iterable)):
        raise ValueError(f"genres must be None (all 16), a genre name or a list of names; got {genres!r}")
    wanted = (genres,) if isinstance(genres, str) else tuple(genres)
    unknown = [g for g in wanted if g not in GENRES]
    if unknown or not wanted:
        raise ValueError(f"genres={genres!r}: {'unknown genre(s) ' + _examples(unknown) if unknown else 'empty'}; "
                         f"choose from {', '.join(GENRES)}")
    return tuple(g for g in GENRES if g in wanted), max_frames


def _check_member(member: tarfile.TarInfo, archive: Path, dest: Path) -> None:
    """Raise UnsafeArchiveError for a member that tarfile's ``data`` filter refuses (a path escaping ``dest``, a
    link pointing outside it, a device or FIFO) or has to re-root (an absolute path)."""
    try:
        problem = None if tarfile.data_filter(member, str(dest)).name == member.name else "it has an absolute path"
    except tarfile.FilterError as exc:
        problem = str(exc)
    if problem:
        raise UnsafeArchiveError(
            f"unsafe member {member.name!r} in {archive}: {problem} (refused by tarfile's 'data' filter). "
            f"Extraction stopped there (nothing was written outside {dest}); get a clean copy of {ARCHIVE_NAME} "
            f"(see {PROJECT_PAGE}).")


def _select(member: tarfile.TarInfo, genres: tuple[str, ...], max_frames: int | None) -> tuple[str, str] | None:
    """``(genre, file name)`` if this member is a wanted frame (a regular file), else None."""
    parts = PurePosixPath(member.name).parts
    if not member.isfile() or len(parts) != 3 or parts[0] != RGB_DIR or parts[1] not in genres:
        return None
    match = _FRAME.fullmatch(parts[2])
    if match is None or (max_frames is not None and int(match[4]) > max_frames):
        return None
    return parts[1], parts[2]


def read_subset_record(dest: str | os.PathLike) -> dict | None:
    """The record :func:`extract_subset` keeps in ``dest/letsdance_subset.json`` (None if there is none).

    It holds the settings (``max_frames_per_video``, ``genres``, the archive's SHA-256 as ``archive_sha256``)
    and ``complete``: False from the start of an extraction, True only once every wanted frame is in place
    (written last, atomically)."""
    path = Path(dest) / SUMMARY_NAME
    if not path.exists():
        return None
    return read_json(path, what="Let's Dance extraction record, which says whether the extraction of "
                     f"{Path(dest)} finished", required=("genres", "max_frames_per_video", "complete"),
                     fix=f"delete {path.name} and run again with LETSDANCE_ARCHIVE set: frames already extracted "
                     "are kept, missing ones are extracted")


def _describe(key: str, value) -> str:
    if key == "genres":
        return "all 16 genres" if tuple(value) == GENRES else f"genres={list(value)}"
    return f"{key}={value}"


def subset_status(dest: str | os.PathLike, max_frames_per_video: int | None = None,
                  genres: str | Iterable[str] | None = None, sha256: str | None = None) -> tuple[str, str]:
    """Whether ``dest`` holds a complete extraction with these settings: ``(state, message)``.

    ``state`` is ``"complete"``, ``"missing"`` (nothing extracted), ``"resume"`` (an extraction with these
    settings was interrupted), ``"changed"`` (extracted, or begun, with other settings or from another
    archive) or ``"unrecorded"`` (``rgb/`` exists without a record, e.g. unpacked by hand). Decided by the
    record :func:`extract_subset` writes, never by the mere existence of ``rgb/``."""
    dest = Path(dest)
    where = relative_to_root(dest)
    wanted, max_frames_per_video = _check_settings(genres, max_frames_per_video)
    record = read_subset_record(dest)
    if record is None:
        if (dest / RGB_DIR).is_dir():
            return "unrecorded", (f"{where} has no {SUMMARY_NAME}, so whether its frames are complete is unknown "
                                  "(an interrupted or hand-made extraction)")
        return "missing", f"no Let's Dance frames under {where}"
    old = {"max_frames_per_video": record["max_frames_per_video"], "genres": tuple(record["genres"])}
    new = {"max_frames_per_video": max_frames_per_video, "genres": wanted}
    changed = [k for k in old if old[k] != new[k]]
    if sha256 and record.get("archive_sha256") and record["archive_sha256"] != sha256.lower():
        changed.append("archive_sha256")
        old["archive_sha256"], new["archive_sha256"] = record["archive_sha256"], sha256.lower()
    if changed:
        verb = "was extracted" if record["complete"] else "was being extracted (interrupted)"
        return "changed", (f"{where} {verb} with {', '.join(_describe(k, old[k]) for k in changed)}; now "
                           f"{', '.join(_describe(k, new[k]) for k in changed)}: extracting again")
    if not record["complete"]:
        return "resume", f"resuming the extraction of {where} (it was interrupted)"
    return "complete", f"{where} is complete"


def _remove_unwanted(dest: Path, kept: set[tuple[str, str]], wanted: tuple[str, ...]) -> int:
    """Delete frames under ``dest/rgb`` that these settings do not select (left by other settings)."""
    removed = 0
    for folder in sorted(p for p in (dest / RGB_DIR).glob("*") if p.is_dir() and p.name in GENRES):
        for path in folder.iterdir():
            if path.is_file() and _FRAME.fullmatch(path.name) and (folder.name, path.name) not in kept:
                path.unlink()
                removed += 1
        if folder.name not in wanted and not any(folder.iterdir()):
            folder.rmdir()
    return removed


def extract_subset(archive: str | os.PathLike, dest: str | os.PathLike, max_frames_per_video: int | None = None,
                   genres: str | Iterable[str] | None = None, progress: bool = True,
                   sha256: str | None = None) -> dict:
    """Stream frames from ``rgb.tar.gz`` into ``dest/rgb/<genre>/<name>``, optionally only the first N per video.

    ``max_frames_per_video=N`` keeps frames whose index is ``<= N``: frame numbers start at 0001, so these are
    each video's first N frames whatever order the archive stores them in (videos with gaps keep fewer).
    ``genres`` restricts the genres taken. The archive is read once as a stream, never unpacked whole.
    Re-running resumes: a file already in ``dest`` with the member's size is skipped (unless ``sha256``, the
    archive's digest, differs from the one recorded: another archive); frames the settings no longer select
    are deleted at the end.
    A member that tarfile's ``data`` filter refuses (a path escaping ``dest``, a link pointing outside it, a
    device) or an absolute path stops the extraction with :class:`UnsafeArchiveError`; links are never made.
    Returns ``{"extracted", "skipped_existing", "skipped_other", "removed", "per_genre": {genre: frames}}``.
    ``dest/letsdance_subset.json`` records the settings with ``complete: false`` first and, written last, the
    result with ``complete: true`` (see :func:`subset_status`).
    """
    archive, dest = Path(archive), Path(dest)
    if not archive.is_file():
        raise FileNotFoundError(f"archive {archive} not found; download it first with "
                                f"letsdance.download(URL_or_path, '{archive}') (see {PROJECT_PAGE}).")
    if dest.exists() and not dest.is_dir():
        raise NotADirectoryError(f"dest={str(dest)!r} is a file; pass the folder to extract into (made if missing)")
    if not hasattr(tarfile, "data_filter"):     # PEP 706
        raise RuntimeError("extract_subset needs Python 3.11.4 or newer: tarfile's 'data' filter checks each member")
    wanted, max_frames_per_video = _check_settings(genres, max_frames_per_video)
    try:
        previous = read_subset_record(dest) or {}
    except ValueError:                         # unreadable: we rewrite it anyway
        previous = {}
    new_sha = sha256.lower() if sha256 else None
    trust_existing = not (new_sha and previous.get("archive_sha256") and previous["archive_sha256"] != new_sha)
    settings = {"archive": str(archive.resolve()), "archive_sha256": new_sha,
                "max_frames_per_video": max_frames_per_video, "genres": list(wanted)}
    summary = {"extracted": 0, "skipped_existing": 0, "skipped_other": 0, "removed": 0,
               "per_genre": dict.fromkeys(wanted, 0)}
    dest.mkdir(parents=True, exist_ok=True)
    for tmp in [*dest.glob(".*.part"), *(dest / RGB_DIR).glob("*/.*.part")]:   # temp files of a killed run
        tmp.unlink(missing_ok=True)
    write_json(dest / SUMMARY_NAME, {**settings, "complete": False})
    kept: set[tuple[str, str]] = set()
    try:
        with archive.open("rb") as raw, tarfile.open(fileobj=raw, mode="r|gz") as tar, \
                progress_bar(total=archive.stat().st_size, unit="B", unit_scale=True, desc=f"extract {archive.name}",
                     disable=not progress) as bar:
            for member in tar:
                bar.update(raw.tell() - bar.n)
                _check_member(member, archive, dest)
                selected = _select(member, wanted, max_frames_per_video)
                if selected is None:
                    summary["skipped_other"] += member.isfile()
                    continue
                kept.add(selected)
                summary["per_genre"][selected[0]] += 1
                target = dest.joinpath(RGB_DIR, *selected)
                if trust_existing and target.is_file() and target.stat().st_size == member.size:
                    summary["skipped_existing"] += 1
                    continue
                with atomic_path(target) as tmp, tmp.open("wb") as out:
                    shutil.copyfileobj(tar.extractfile(member), out, _CHUNK)
                summary["extracted"] += 1
            bar.update(bar.total - bar.n)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise ValueError(
            f"cannot read {archive}: it is truncated, corrupt, or not a gzip-compressed tar ({exc}). "
            f"Re-download it (letsdance.download resumes and checks the SHA-256); the "
            f"{summary['extracted'] + summary['skipped_existing']} frame(s) already in {dest} are complete "
            "and will be skipped on the next run.") from exc

    if summary["extracted"] + summary["skipped_existing"] == 0:
        warnings.warn(f"extract_subset: no frames in {archive} matched {RGB_DIR}/<genre>/<name> for genres "
                      f"{_examples(wanted)}; is this the Let's Dance {ARCHIVE_NAME}?", LetsDanceWarning, stacklevel=2)
    summary["removed"] = _remove_unwanted(dest, kept, wanted)
    # the completion record, last: it describes the result (the same whether or not the run was resumed)
    write_json(dest / SUMMARY_NAME, {**settings, "complete": True, "frames": len(kept),
                                     "per_genre": summary["per_genre"], "skipped_other": summary["skipped_other"]})
    return summary


# ------------------------------------------------------------------ downloading the archive

def download(url_or_path: str | os.PathLike, dest: str | os.PathLike, sha256: str | None = None,
             progress: bool = True) -> Path:
    """Fetch the archive from a URL (http, https, file) or a local path to ``dest``, resuming and checking SHA-256.

    :func:`choreo_utils.download.download` (see there: ``<dest>.part``, ``<dest>.sha256``, ``<dest>.corrupt``)
    with error messages that point to the project page for the archive's URL. Returns ``dest``.
    """
    return downloader.download(url_or_path, dest, sha256=sha256, progress=progress, name=ARCHIVE_NAME,
                               page=PROJECT_PAGE)
