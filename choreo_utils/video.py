"""Read and write dance videos as NumPy arrays: video files, folders of frame images, single frames.

Every array this module returns or accepts is ``uint8`` in **RGB** order (OpenCV works in BGR; the
conversion happens here, once), shaped ``(T, H, W, 3)`` — or ``(T, H, W, 1)`` for grayscale.

:func:`decode_frame` is the one JPEG/PNG decoder of the package: :func:`read_frames` (and so
:func:`read_video` on a frame folder) and feature extraction (``features.extract_features``) both use it, then
:func:`resize_frames` (``cv2.INTER_AREA``).

**Undecodable frames — one policy everywhere.** A frame image that cannot be read, is empty, is not an image
or is a JPEG cut short is replaced by **zeros** (a black frame) in its place, so every other frame keeps its
position and a clip keeps its length; the bad files are **counted** and named in **one** warning per call
(:func:`bad_frames_message`: the count, the first few files with the reason, then "and N more"). The same
message comes from :func:`read_frames`, :func:`read_video` and ``features.extract_features`` (which also records
the files in its cache's ``meta.json``). Pass ``strict=True`` to raise instead, naming the first bad file.
:func:`read_frames` still raises when *no* frame decodes (there is nothing to read), and :func:`load_frame`,
which reads one image, always raises.
"""
from __future__ import annotations

import numbers
import os
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any, Sequence

import cv2
import numpy as np

from choreo_utils import checks
from choreo_utils.checks import positive_int

#: Video containers ``read_video`` decodes with ``cv2.VideoCapture``.
VIDEO_EXTS: tuple[str, ...] = (".mp4", ".avi", ".mov", ".mkv", ".webm")
#: Frame image formats (in a folder, or for ``read_frames`` / ``load_frame``).
IMAGE_EXTS: tuple[str, ...] = (".jpg", ".jpeg", ".png")
#: Containers ``write_video`` can write, with the FourCC codec used for each.
WRITE_CODECS: dict[str, str] = {".mp4": "mp4v", ".avi": "MJPG"}

Size = int | tuple[int, int] | None

_REENCODE_HINT = "try re-encoding it with: ffmpeg -i in.mov -c:v libx264 -pix_fmt yuv420p out.mp4"


# ----------------------------------------------------------------------------------------- helpers
def natural_key(name: str) -> tuple:
    """Sort key that orders the numbers inside a name numerically: ``frame_9`` < ``frame_10``."""
    parts = re.split(r"(\d+)", name)
    return tuple(int(p) if i % 2 else p.lower() for i, p in enumerate(parts))


def _resize_one(img: np.ndarray, hw: tuple[int, int] | None) -> np.ndarray:
    if hw is None or img.shape[:2] == hw:
        return img
    out = cv2.resize(img, (hw[1], hw[0]), interpolation=cv2.INTER_AREA)
    if img.ndim == 3 and out.ndim == 2:  # cv2 drops a trailing channel axis of size 1
        out = out[..., None]
    return out


def _gray_one(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)[..., None]


def _postprocess(rgb: np.ndarray, hw: tuple[int, int] | None, gray: bool) -> np.ndarray:
    """Resize (INTER_AREA) then optionally convert one RGB frame to (H, W, 1) gray."""
    img = _resize_one(rgb, hw)
    return _gray_one(img) if gray else img


def resize_frames(frames: np.ndarray, size: Size) -> np.ndarray:
    """Resize a (T, H, W, C) stack (or one (H, W, C) frame) to ``size`` with ``cv2.INTER_AREA``."""
    hw = checks.size(size, allow_none=True)
    frames = np.asarray(frames)
    if frames.ndim == 3 and frames.shape[-1] not in (1, 3):
        raise ValueError(f"expected (T, H, W, C) or (H, W, C) frames; got shape {frames.shape}")
    if frames.ndim == 3:
        return _resize_one(frames, hw)
    if frames.ndim != 4:
        raise ValueError(f"expected (T, H, W, C) or (H, W, C) frames; got shape {frames.shape}")
    if hw is None:
        return frames
    return np.stack([_resize_one(f, hw) for f in frames]) if len(frames) else frames.reshape(
        (0, *hw, frames.shape[-1]))


def to_gray(frames: np.ndarray) -> np.ndarray:
    """Convert RGB frames (T, H, W, 3) or one (H, W, 3) frame to gray with a channel axis of 1."""
    frames = np.asarray(frames)
    if frames.shape[-1] == 1:
        return frames
    if frames.shape[-1] != 3 or frames.ndim not in (3, 4):
        raise ValueError(f"to_gray expects RGB frames shaped (T, H, W, 3) or (H, W, 3); got {frames.shape}")
    if frames.ndim == 3:
        return _gray_one(frames)
    out = np.empty(frames.shape[:3] + (1,), dtype=frames.dtype)
    for i, f in enumerate(frames):
        out[i] = _gray_one(f)
    return out


def decode_frame(path: str | os.PathLike) -> tuple[np.ndarray | None, str]:
    """Decode one image file to an RGB uint8 array (H, W, 3): ``(image, "")``, or ``(None, reason)`` when it
    cannot be read, is empty, does not decode, or is a JPEG cut short (no end-of-image marker).

    Never raises for a bad file: what to do with one (raise, skip, fill) is the caller's choice.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, f"could not be read ({exc.strerror or exc})"
    if not data:
        return None, "is empty (0 bytes)"
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        return None, "is not a decodable image"
    # A JPEG cut short still decodes (the missing part comes out gray), but it has no end marker.
    if path.suffix.lower() in (".jpg", ".jpeg") and b"\xff\xd9" not in data:
        return None, "is a truncated JPEG (no end-of-image marker)"
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB), ""


def _list_frame_images(folder: Path) -> list[Path]:
    """Frame images in ``folder`` in natural order; hidden entries skipped, other files warned about."""
    images, others = [], []
    for entry in folder.iterdir():
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix.lower() in IMAGE_EXTS:
            images.append(entry)
        else:
            others.append(entry.name)
    if others:
        shown = ", ".join(sorted(others, key=natural_key)[:5])
        warnings.warn(f"{folder}: ignored {len(others)} entr{'y' if len(others) == 1 else 'ies'} that are "
                      f"not {'/'.join(IMAGE_EXTS)} frame images (e.g. {shown})", stacklevel=3)
    return sorted(images, key=lambda p: natural_key(p.name))


# -------------------------------------------------------------------------------------------- read
def load_frame(path: str | os.PathLike, size: Size = None, gray: bool = False) -> np.ndarray:
    """Read one image file as an RGB uint8 array (H, W, 3), or (H, W, 1) when ``gray``."""
    path = Path(path)
    hw = checks.size(size, allow_none=True)
    if not path.exists():
        raise FileNotFoundError(f"frame image not found: {path}")
    img, reason = decode_frame(path)
    if img is None:
        raise ValueError(f"frame image {path} {reason}; re-extract or delete this frame")
    return _postprocess(img, hw, gray)


def bad_frames_message(bad: Sequence[tuple[str | os.PathLike, str]], total: int, shown: int = 5) -> str:
    """The one warning about undecodable frames (``bad``: (path, reason) pairs, out of ``total`` frames):
    the count, the first ``shown`` files with their reason, then "and N more", and what to do."""
    listed = "; ".join(f"{p} ({r})" for p, r in bad[:shown])
    more = f"; ... and {len(bad) - shown} more" if len(bad) > shown else ""
    return (f"{len(bad)} of {total} frame images could not be decoded and were replaced by zeros (black frames): "
            f"{listed}{more}. Check or re-extract those files, or pass strict=True to stop at the first one")


def bad_frame_error(path: str | os.PathLike, reason: str) -> Exception:
    """What ``strict=True`` raises for an undecodable frame (FileNotFoundError when it does not exist)."""
    if not Path(path).exists():
        return FileNotFoundError(f"frame image not found: {path}")
    return ValueError(f"frame image {path} {reason}; re-extract or delete it, or drop strict=True to replace "
                      "undecodable frames by zeros (with one warning)")


def read_frames(paths: Sequence[str | os.PathLike], size: Size = None, gray: bool = False, strict: bool = False,
                return_info: bool = False) -> np.ndarray | tuple[np.ndarray, dict[str, Any]]:
    """Decode a list of image files into one (T, H, W, C) RGB uint8 array, in the given order.

    An undecodable (or missing) file becomes a frame of zeros and ONE warning names the bad files (see the
    module docstring); ``strict=True`` raises instead (ValueError naming the file, FileNotFoundError for a
    missing one). If no file decodes, ValueError. With ``return_info=True`` the result is
    ``(frames, {"n_frames", "n_bad", "bad_paths", "bad_reasons"})``.
    """
    if not isinstance(strict, bool):
        raise TypeError(f"strict must be True or False; got {strict!r}")
    hw = checks.size(size, allow_none=True)
    paths = [Path(p) for p in paths]
    if not paths:
        raise ValueError("read_frames got an empty list of paths; nothing to read")

    decoded: list[np.ndarray | None] = []
    bad: list[tuple[Path, str]] = []
    first_good: tuple[Path, tuple[int, ...]] | None = None
    for p in paths:
        img, reason = decode_frame(p)
        if img is None:
            if strict:
                raise bad_frame_error(p, reason)
            bad.append((p, reason))
            decoded.append(None)
            continue
        img = _postprocess(img, hw, gray)
        if first_good is None:
            first_good = (p, img.shape)
        elif img.shape != first_good[1]:
            raise ValueError(
                f"frames have different sizes: {first_good[0]} is {first_good[1][0]}x{first_good[1][1]} "
                f"but {p} is {img.shape[0]}x{img.shape[1]} (height x width); pass size=(height, width) "
                "to resize them all to one size")
        decoded.append(img)

    if first_good is None:
        raise ValueError(f"none of the {len(paths)} frame images could be decoded (first: {paths[0]} "
                         f"{bad[0][1]}); check the files or re-extract the frames")
    out = np.zeros((len(paths), *first_good[1]), dtype=np.uint8)
    for i, img in enumerate(decoded):
        if img is not None:
            out[i] = img
    if bad:
        warnings.warn(bad_frames_message(bad, len(paths)), stacklevel=2)
    if return_info:
        info = {"n_frames": len(paths), "n_bad": len(bad), "bad_paths": [str(p) for p, _ in bad],
                "bad_reasons": [r for _, r in bad]}
        return out, info
    return out


def _read_video_file(path: Path, hw: tuple[int, int] | None, gray: bool, max_frames: int | None) -> np.ndarray:
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise ValueError(f"could not decode video {path} — is it a valid {'/'.join(VIDEO_EXTS)} file? "
                             f"{_REENCODE_HINT}")
        frames: list[np.ndarray] = []
        while max_frames is None or len(frames) < max_frames:
            ok, bgr = cap.read()
            if not ok or bgr is None:
                break
            frames.append(_postprocess(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), hw, gray))
    finally:
        cap.release()
    if not frames:
        raise ValueError(f"could not decode video {path}: it opened but gave zero frames — is it a valid "
                         f"video? {_REENCODE_HINT}")
    return np.stack(frames)


def read_video(path: str | os.PathLike, size: Size = None, gray: bool = False,
               max_frames: int | None = None, strict: bool = False) -> np.ndarray:
    """Read a video file or a folder of frame images into a (T, H, W, 3) RGB uint8 array.

    ``size``: None (keep), an int (square) or (height, width), resized with INTER_AREA. ``gray=True``
    gives (T, H, W, 1). ``max_frames`` stops after that many frames (the rest is never decoded).
    Frame folders are read in natural order (``frame_9`` before ``frame_10``); hidden files are skipped, and an
    undecodable frame image becomes zeros with one warning (``strict=True``: raise; see the module docstring).
    """
    path = Path(path)
    hw = checks.size(size, allow_none=True)
    if max_frames is not None:
        max_frames = positive_int(max_frames, "max_frames")
    if not path.exists():
        raise FileNotFoundError(f"video or frame folder not found: {path}")
    if path.is_dir():
        images = _list_frame_images(path)
        if not images:
            raise ValueError(f"frame folder {path} has no {'/'.join(IMAGE_EXTS)} images; point read_video "
                             "at a video file or a folder of extracted frames")
        if max_frames is not None:
            images = images[:max_frames]
        return read_frames(images, size=hw, gray=gray, strict=strict)
    ext = path.suffix.lower()
    if ext in IMAGE_EXTS:
        raise ValueError(f"{path} is a single image, not a video; use load_frame() for one image, or pass "
                         "the folder that holds the frames to read_video()")
    if ext not in VIDEO_EXTS:
        raise ValueError(f"unsupported video extension {path.suffix!r} for {path}; supported: "
                         f"{', '.join(VIDEO_EXTS)} files, or a folder of {'/'.join(IMAGE_EXTS)} frames")
    return _read_video_file(path, hw, gray, max_frames)


# ------------------------------------------------------------------------------------------- write
def write_video(path: str | os.PathLike, frames: np.ndarray, fps: float = 25) -> Path:
    """Write uint8 RGB frames (T, H, W, 3), (T, H, W, 1) or (T, H, W) to .mp4 (mp4v) or .avi (MJPG), atomically."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in WRITE_CODECS:
        raise ValueError(f"write_video cannot write {path}: use one of {', '.join(WRITE_CODECS)}")
    frames = np.asarray(frames)
    if frames.dtype != np.uint8:
        raise TypeError(f"write_video needs uint8 frames, got {frames.dtype}; convert with "
                        "np.clip(frames, 0, 255).astype(np.uint8) (scale [0, 1] floats by 255 first)")
    if frames.ndim == 3:
        frames = frames[..., None]
    if frames.ndim != 4 or frames.shape[-1] not in (1, 3):
        raise ValueError(f"write_video expects (T, H, W, 3), (T, H, W, 1) or (T, H, W) frames; got {frames.shape}")
    if frames.shape[0] == 0:
        raise ValueError(f"write_video got zero frames for {path}; nothing to write")
    if not (isinstance(fps, numbers.Real) and fps > 0):
        raise ValueError(f"fps must be a positive number; got {fps!r}")
    height, width = frames.shape[1:3]

    path.parent.mkdir(parents=True, exist_ok=True)
    # cv2 picks the container from the extension, so the temporary file keeps it.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".part{ext}", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        codec = WRITE_CODECS[ext]
        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*codec), float(fps), (width, height))
        if not writer.isOpened():
            raise RuntimeError(f"cv2.VideoWriter could not open {path} with codec {codec!r} "
                               f"({width}x{height} @ {fps} fps); check that the folder is writable, or try "
                               "the other container (.mp4 / .avi)")
        try:
            for frame in frames:
                bgr = (cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR) if frame.shape[-1] == 1
                       else cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
                writer.write(np.ascontiguousarray(bgr))
        finally:
            writer.release()
        if tmp.stat().st_size == 0:
            raise RuntimeError(f"cv2.VideoWriter wrote an empty file for {path} (codec {codec!r}); "
                               "try the other container (.mp4 / .avi)")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def load_frame_batch(paths: Sequence[str], size: tuple[int, int], strict: bool = False
                     ) -> tuple[np.ndarray, list[tuple[int, str, str]]]:
    """uint8 RGB frames (N, H, W, 3) of the files ``paths``, resized to ``size``, and (position, path, reason) for
    each that did not decode (zeros in its place; ``strict``: raise instead, as :func:`read_frames` does). What
    feature extraction and the pretext CNN's training read their batches with."""
    out = np.zeros((len(paths), *size, 3), np.uint8)
    bad = []
    for i, p in enumerate(paths):
        rgb, reason = decode_frame(p)
        if rgb is None:
            if strict:
                raise bad_frame_error(p, reason)
            bad.append((i, str(p), reason))
            continue
        out[i] = resize_frames(rgb, size)
    return out, bad
