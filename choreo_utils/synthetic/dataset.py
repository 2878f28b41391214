"""The synthetic dataset on disk: plan the videos (ids, segments, one :class:`VideoSpec` each), render and write
them as JPEGs in the Let's Dance layout with a manifest, and read a written set's per-video ground truth back.

The output is a pure function of the arguments: same arguments, same bytes.

Crash safety (a run killed at any point, even by SIGKILL): frames are rendered into a hidden
``root/.rgb.partial-<pid>-*`` folder; then a hidden ``root/.synthetic.json.pending`` records the finished folder
and its manifest, the old ``rgb/`` is moved aside, the new folder renamed to ``rgb/`` and the manifest
``synthetic.json`` written (atomically). The next run first finishes a commit that was cut short (from the
pending record) and removes the leftovers of dead runs, so ``root`` always holds the old set or the complete new
one — never frames without their manifest — and ``letsdance.index_frames`` never sees a temporary folder.
"""
from __future__ import annotations

import dataclasses
import math
import multiprocessing
import os
import shutil
import string
import tempfile
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from choreo_utils.config import GENRES, genre_index
from choreo_utils.io_utils import CorruptFileError, read_json, write_json
from choreo_utils.synthetic.genres import FAMILY_NAMES, GENRE_STYLE
from choreo_utils.synthetic.motion import PROGRAMS
from choreo_utils.synthetic.render import VideoSpec, pose_sequence, render_video

#: Bumped whenever the rendering changes, so cached data and features are regenerated.
GENERATOR_VERSION = 2
#: The manifest written next to ``rgb/``: the generator, its version and the arguments (see generate_dataset).
MANIFEST = "synthetic.json"
#: Every frame's joint coordinates, next to the manifest (see :func:`pose_features`).
JOINTS = "joints.npz"
_PENDING = ".synthetic.json.pending"       # a commit under way: {"staged": folder name, "pid", "manifest"}
_PARTIAL = ".rgb.partial-"                 # + "<pid>-<random>": frames being rendered
_OLD = ".rgb.old-"                         # + "<pid>": the previous rgb/ while the new one is renamed in
_ID_ALPHABET = string.ascii_letters + string.digits + "-_"


def _draw_video_spec(genre: str, rng: np.random.Generator, motion_cue: float, appearance_cue: float) -> VideoSpec:
    """One video's spec, drawn from its genre's random stream: with probability ``motion_cue`` it dances its own
    genre's motion and with probability ``appearance_cue`` it wears its own genre's palette family."""
    motion = genre if rng.random() < motion_cue else GENRES[rng.integers(len(GENRES))]
    own_family = GENRE_STYLE[genre][0]
    family = own_family if rng.random() < appearance_cue else FAMILY_NAMES[rng.integers(len(FAMILY_NAMES))]
    _, tempo = PROGRAMS[motion]
    return VideoSpec(
        genre=genre, motion=motion, family=family,
        tempo=float(tempo * rng.uniform(0.92, 1.08)), phase=float(rng.uniform(0, 2 * math.pi)),
        scale=float(rng.uniform(0.62, 0.74)), centre_x=float(rng.uniform(0.4, 0.6)),
        base_y=float(rng.uniform(0.56, 0.6)), light=float(rng.uniform(0.75, 1.15)),
        flicker=float(rng.uniform(0.0, 0.08)), shake=float(rng.uniform(0.0, 1.5)),
        noise=float(rng.uniform(2.0, 6.0)), colour_jitter=tuple(float(v) for v in rng.uniform(-22, 22, 3)),
        seed=int(rng.integers(2**31)),
    )


def _youtube_id(rng: np.random.Generator, force: str = "") -> str:
    chars = [_ID_ALPHABET[i] for i in rng.integers(0, 62, 11)]   # letters and digits
    if force:
        chars[int(rng.integers(1, 10))] = force
    return "".join(chars)


def plan_dataset(videos_per_genre: int = 24, seed: int = 0, motion_cue: float = 1.0,
                 appearance_cue: float = 1.0, genres=GENRES) -> list[dict]:
    """The list of videos that ``generate_dataset`` will write: ids, segments and specs (no rendering)."""
    if videos_per_genre < 1:
        raise ValueError(f"videos_per_genre must be ≥ 1, got {videos_per_genre}")
    for name, value in (("motion_cue", motion_cue), ("appearance_cue", appearance_cue)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1 (a probability), got {value}")
    plan = []
    used_ids: set[str] = set()
    for genre in genres:
        g = genre_index(genre)
        rng = np.random.default_rng([seed, g])
        v = 0
        id_count = 0
        while v < videos_per_genre:
            # one id in four has two segments, like Let's Dance's YouTube videos cut into several clips
            n_seg = min(2 if rng.random() < 0.25 else 1, videos_per_genre - v)
            force = "_" if id_count % 3 == 1 else "-" if id_count % 5 == 2 else ""
            ytid = _youtube_id(rng, force)
            while ytid in used_ids:
                ytid = _youtube_id(rng, force)
            used_ids.add(ytid)
            id_count += 1
            segments = sorted(rng.choice(999, size=n_seg, replace=False) + 1)
            for seg in segments:
                spec = _draw_video_spec(genre, rng, motion_cue, appearance_cue)
                plan.append({"genre": genre, "youtube_id": ytid, "segment": int(seg),
                             "video_id": f"{ytid}_{int(seg):03d}", "spec": spec})
                v += 1
    return plan


def _write_video(job: tuple) -> None:
    """Render one planned video and write its frames as JPEGs (runs in a worker process)."""
    item, folder, frames_per_video, size, fps, jpeg_quality = job
    frames = render_video(item["spec"], frames_per_video, size, fps)
    stem = Path(folder) / item["genre"] / item["video_id"]
    for i, frame in enumerate(frames, start=1):
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
        if not ok:  # pragma: no cover - OpenCV failure
            raise RuntimeError(f"OpenCV could not encode a JPEG for {stem}")
        Path(f"{stem}_{i:04d}.jpg").write_bytes(buf.tobytes())


def _manifest(args: dict) -> dict:
    """The manifest's fields for these arguments (``videos`` and ``frames`` are added once written)."""
    return {"generator": "choreo_utils.synthetic", "version": GENERATOR_VERSION, **args}


def _alive(pid: int) -> bool:
    """Whether another process ``pid`` (that may be generating in the same root) is still running."""
    if pid == os.getpid():     # our own earlier call, interrupted: not running any more
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:      # pragma: no cover - someone else's live process
        return True
    return True


def _pid_of(name: str, prefix: str) -> int:
    try:
        return int(name[len(prefix):].split("-")[0])
    except ValueError:
        return -1


def _commit(root: Path, staged: Path, manifest: dict) -> None:
    """Make the rendered folder ``staged`` the dataset: each step is atomic, and :func:`_recover` can finish the
    sequence from any point where it was cut short."""
    rgb, old = root / "rgb", root / f"{_OLD}{os.getpid()}"
    if staged.exists():
        if rgb.exists():
            if old.exists():
                shutil.rmtree(old)
            os.replace(rgb, old)
        os.replace(staged, rgb)
    write_json(root / MANIFEST, manifest)
    (root / _PENDING).unlink(missing_ok=True)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def _recover(root: Path) -> None:
    """Finish a commit a killed run left half done, and delete what dead runs left behind (hidden folders)."""
    pending_path = root / _PENDING
    if pending_path.is_file():
        try:
            pending = read_json(pending_path, what="unfinished commit record", required=("staged", "pid", "manifest"))
        except CorruptFileError:            # cannot be half-written (atomic); damaged: the commit never started
            pending_path.unlink()
        else:
            if not _alive(int(pending["pid"])):
                staged = root / pending["staged"]
                if staged.is_dir() or (root / "rgb").is_dir():
                    _commit(root, staged, pending["manifest"])
                else:
                    pending_path.unlink()
    if root.is_dir():
        for entry in root.iterdir():
            for prefix in (_PARTIAL, _OLD):
                if entry.name.startswith(prefix) and entry.is_dir() and not _alive(_pid_of(entry.name, prefix)):
                    shutil.rmtree(entry, ignore_errors=True)


def _read_manifest(path: Path) -> dict:
    rgb = path.parent / "rgb"
    return read_json(path, what="synthetic dataset manifest", required=("generator", "version", "videos_per_genre",
                                                                         "seed", "motion_cue", "appearance_cue"),
                     fix=f"delete it and {rgb}, then run synthetic.generate_dataset again (or pass overwrite=True)")


def generate_dataset(root: str | os.PathLike, videos_per_genre: int = 24, frames_per_video: int = 64,
                     size: tuple[int, int] = (96, 144), seed: int = 0, motion_cue: float = 1.0,
                     appearance_cue: float = 1.0, fps: float = 25.0, jpeg_quality: int = 90,
                     overwrite: bool = False, progress: bool = True, workers: int | None = None) -> Path:
    """Write the synthetic dance dataset to ``root/rgb/<genre>/<ytid>_<NNN>_<FFFF>.jpg`` and return ``root``.

    Re-running with the same arguments returns at once (the manifest ``root/synthetic.json`` matches);
    different arguments over an existing set raise unless ``overwrite=True``. Frames are written to a
    temporary folder first and renamed into place at the end with the manifest (see the module docstring), so an
    interrupted run leaves the old set or the complete new one, and the next run picks up cleanly.
    """
    from choreo_utils.progress import bar as progress_bar  # noqa: PLC0415

    root = Path(root)
    size = (int(size[0]), int(size[1])) if not isinstance(size, int) else (int(size), int(size))
    if min(size) < 32:
        raise ValueError(f"size {size} is too small to draw a dancer; use at least 32×32 pixels")
    if frames_per_video < 1:
        raise ValueError(f"frames_per_video must be ≥ 1, got {frames_per_video}")
    args = {"videos_per_genre": int(videos_per_genre), "frames_per_video": int(frames_per_video),
            "size": list(size), "seed": int(seed), "motion_cue": float(motion_cue),
            "appearance_cue": float(appearance_cue), "fps": float(fps), "jpeg_quality": int(jpeg_quality)}
    manifest = _manifest(args)
    manifest_path = root / MANIFEST
    rgb = root / "rgb"
    _recover(root)
    if manifest_path.is_file() and rgb.is_dir():
        try:
            old = _read_manifest(manifest_path)
        except CorruptFileError:
            if not overwrite:
                raise
            old = {}
        if all(old.get(k) == v for k, v in manifest.items()):
            pose_features(root)      # made by an older version of this code, or lost: written now
            return root
        same_args = all(old.get(k) == v for k, v in manifest.items() if k != "version")
        if same_args and old.get("generator") == manifest["generator"]:
            # our own output from an older generator: a stale cache, regenerated in place
            warnings.warn(f"{root} was made by synthetic generator version {old.get('version')}; "
                          f"regenerating it with version {GENERATOR_VERSION}", stacklevel=2)
        elif not overwrite:
            changed = sorted(k for k in manifest if old.get(k) != manifest[k])
            raise FileExistsError(
                f"{root} already holds a synthetic dataset made with different settings ({', '.join(changed)}). "
                "Pass overwrite=True to replace it, or choose another root.")
    elif rgb.exists() and not overwrite:
        raise FileExistsError(f"{rgb} exists but was not written by generate_dataset (no {MANIFEST}); "
                              "refusing to mix datasets. Choose another root or pass overwrite=True.")

    plan = plan_dataset(videos_per_genre, seed, motion_cue, appearance_cue)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{_PARTIAL}{os.getpid()}-", dir=root))
    committing = False
    try:
        for genre in GENRES:
            (tmp / genre).mkdir()

        jobs = [(item, str(tmp), frames_per_video, size, fps, jpeg_quality) for item in plan]
        workers = workers or os.cpu_count() or 1
        if workers > 1:
            ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
            with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
                list(progress_bar(pool.map(_write_video, jobs, chunksize=4), total=len(jobs), desc="rendering videos",
                          unit="video", disable=not progress))
        else:
            for job in progress_bar(jobs, desc="rendering videos", unit="video", disable=not progress):
                _write_video(job)
        manifest["videos"] = len(plan)
        manifest["frames"] = len(plan) * frames_per_video
        write_json(root / _PENDING, {"staged": tmp.name, "pid": os.getpid(), "manifest": manifest})
        committing = True           # from here on, an interrupted commit is finished by the next run
        _commit(root, tmp, manifest)
    finally:
        if not committing and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    pose_features(root)      # the joints of every frame, stored with the set (the positive control's features)
    return root


def video_specs(root: str | os.PathLike) -> "pd.DataFrame":  # noqa: F821
    """The per-video ground truth of a generated set (motion danced, palette worn, tempo, …)."""
    import pandas as pd  # noqa: PLC0415

    manifest_path = Path(root) / MANIFEST
    if not manifest_path.is_file():
        raise FileNotFoundError(f"no {MANIFEST} under {root}: generate the set with synthetic.generate_dataset")
    m = _read_manifest(manifest_path)
    plan = plan_dataset(m["videos_per_genre"], m["seed"], m["motion_cue"], m["appearance_cue"])
    return pd.DataFrame([{**{k: v for k, v in item.items() if k != "spec"},
                          **dataclasses.asdict(item["spec"])} for item in plan]).set_index("video_id")


def pose_vectors(joints: np.ndarray, body_height: float, hip_origin: str = "mean") -> np.ndarray:
    """(T, 2, J, 2) pixel joints (``pose_sequence``) → (T, 4J + 4) oracle-pose vectors in body heights.

    Each figure's joints relative to its own hip (its pose), the lead's hip relative to its mean position over the
    video (``hip_origin="mean"``, the oracle pose of notebook 03) or to its first position (``"first"``: the same
    numbers for a frame whatever the length of the dance, as a generator needs), and the follower's hip relative
    to the lead's (the couple's hold)."""
    if hip_origin not in ("mean", "first"):
        raise ValueError(f"hip_origin must be 'mean' or 'first'; got {hip_origin!r}")
    hips = joints[:, :, :1, :]                                      # joint 0 is the hip
    pose = (joints - hips).reshape(len(joints), -1)
    lead = joints[:, 0, 0, :]
    lead_hip = lead - (lead.mean(axis=0) if hip_origin == "mean" else lead[0])
    follow_rel = joints[:, 1, 0, :] - joints[:, 0, 0, :]
    return (np.concatenate([pose, lead_hip, follow_rel], axis=1) / body_height).astype(np.float32)


def dance_poses(spec: VideoSpec, n_frames: int, size: tuple[int, int] = (96, 144), fps: float = 25.0,
                hip_origin: str = "mean") -> np.ndarray:
    """The oracle pose of video ``spec`` danced for ``n_frames`` (any length, more than the video on disk has):
    (n_frames, 48) float32 in body heights (:func:`pose_vectors`; with ``hip_origin="first"`` frame ``t`` has the
    same numbers whatever ``n_frames`` is)."""
    return pose_vectors(pose_sequence(spec, int(n_frames), tuple(size), float(fps)), spec.scale * size[0],
                        hip_origin)


def oracle_pose_frames(index) -> np.ndarray:
    """The oracle pose (:func:`pose_features`) of every frame of a frame index, in its order: (frames, 48)
    float32. ``index`` is a frame table with ``path`` (``root/rgb/<genre>/<file>.jpg``), ``video_id`` and
    ``frame`` (numbered from 1) columns, as ``datasets.load_frame_index`` returns."""
    if len(index) == 0:
        raise ValueError("the frame index is empty: no frames to attach poses to")
    root = Path(index["path"].iloc[0]).parents[2]          # root/rgb/<genre>/<file>.jpg
    per_video = pose_features(root)
    missing = sorted(set(index["video_id"]) - set(per_video))
    if missing:
        raise ValueError(f"{len(missing)} videos of the index have no oracle pose under {root} (e.g. {missing[0]}): "
                         "oracle pose exists only for synthetic data generated by synthetic.generate_dataset")
    frames = index["frame"].to_numpy().astype(int) - 1            # frame numbers start at 1
    out = np.empty((len(index), next(iter(per_video.values())).shape[1]), np.float32)
    for vid, pos in index.groupby("video_id", sort=False).indices.items():
        out[pos] = per_video[vid][frames[pos]]
    return out


def pose_features(root: str | os.PathLike, progress: bool = False) -> dict[str, np.ndarray]:
    """The "oracle pose" of every video of a generated set: ``{video_id: (frames, 48) float32}`` in body heights.

    The generator knows every joint of every frame; these features are what a model that *sees* the motion
    perfectly would get (the positive control of notebook 03). They are stored with the set in ``root/joints.npz``
    (written atomically, together with the manifest it belongs to) and recomputed, without drawing, when that file
    is missing or belongs to other settings."""
    from choreo_utils.io_utils import atomic_path  # noqa: PLC0415
    from choreo_utils.progress import bar as progress_bar  # noqa: PLC0415

    root = Path(root)
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        raise FileNotFoundError(f"no {MANIFEST} under {root}: oracle pose exists only for a synthetic set "
                                "(generate it with synthetic.generate_dataset); real videos have no joint labels")
    m = _read_manifest(manifest_path)
    key = f"{m['generator']} v{m['version']} " + " ".join(f"{k}={m.get(k)}" for k in sorted(m) if k not in (
        "generator", "version", "videos", "frames"))
    path = root / JOINTS
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as saved:
                if str(saved["_key"]) == key:
                    return {k: saved[k] for k in saved.files if k != "_key"}
        except (OSError, ValueError, KeyError, EOFError):
            pass                                             # damaged or older: recompute below
    size, fps, n = tuple(m["size"]), float(m["fps"]), int(m["frames_per_video"])
    plan = plan_dataset(m["videos_per_genre"], m["seed"], m["motion_cue"], m["appearance_cue"])
    out = {item["video_id"]: dance_poses(item["spec"], n, size, fps)
           for item in progress_bar(plan, desc="oracle pose", unit="video", disable=not progress)}
    with atomic_path(path) as tmp:
        _write_npz(tmp, {"_key": np.array(key), **out})
    return out


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """``np.savez`` with fixed zip timestamps: the same arrays give the same bytes (the set's promise)."""
    import io  # noqa: PLC0415
    import zipfile  # noqa: PLC0415

    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.save(buf, arr, allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), buf.getvalue())
