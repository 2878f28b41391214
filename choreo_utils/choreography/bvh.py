"""Motion capture in, pose arrays out: a reader for BVH, the standard motion-capture format, with a short
forward-kinematics routine (SciPy's rotations), projected to 2-D joints in body heights at a chosen frame rate.

* :func:`read_bvh` — one file: its joints' 3-D positions over time, the hierarchy, the frame time;
* :func:`project` — 3-D positions → the choreographer's layout: the root's travel from its first place, every
  other joint relative to the root, seen from the front (x right, y down), in body heights, resampled;
* :func:`bvh_dances` — a folder ``<genre>/<name>.bvh`` → :class:`~choreo_utils.choreography.poses.Dances`,
  each file cut into dances of one length (the file's name is the id a split keeps together).

A BVH file has a ``HIERARCHY`` (``ROOT``/``JOINT``/``End Site`` blocks with ``OFFSET`` and ``CHANNELS``) and a
``MOTION`` section (``Frames:``, ``Frame Time:``, one line of channel values per frame). Rotations are Euler angles
in degrees, applied in the order the channels list them (intrinsic, as every BVH exporter writes them).
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from choreo_utils.choreography.poses import Dances, Skeleton

_AXES = {"Xrotation": "X", "Yrotation": "Y", "Zrotation": "Z"}
_POSITIONS = ("Xposition", "Yposition", "Zposition")


class BVHError(ValueError):
    """A BVH file this reader cannot use, with the file, the line and what to do."""


@dataclasses.dataclass
class Motion:
    """One BVH file: ``positions`` (frames, joints, 3) in the file's units, joint ``names``, ``parents`` (−1 for
    the root), ``frame_time`` in seconds."""

    positions: np.ndarray
    names: tuple[str, ...]
    parents: tuple[int, ...]
    frame_time: float


def _parse(path: Path):
    tokens = []
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        tokens.extend((tok, number) for tok in line.replace("{", " { ").replace("}", " } ").split())
    words = [t for t, _ in tokens]
    if "MOTION" not in words:
        raise BVHError(f"{path}: no MOTION section — the file holds a skeleton but no frames; export the take "
                       "with its motion")
    if "HIERARCHY" not in words[:1]:
        raise BVHError(f"{path}: does not start with HIERARCHY: is it a BVH file?")
    joints, stack, i = [], [], 1
    while words[i] != "MOTION":
        word = words[i]
        if word in ("ROOT", "JOINT", "End"):
            name = words[i + 1] if word != "End" else f"{joints[stack[-1]]['name']}_end"
            joints.append({"name": name, "parent": stack[-1] if stack else -1, "channels": [], "offset": None})
            i += 2
        elif word == "{":
            stack.append(len(joints) - 1)
            i += 1
        elif word == "}":
            stack.pop()
            i += 1
        elif word == "OFFSET":
            joints[stack[-1]]["offset"] = np.array([float(v) for v in words[i + 1:i + 4]])
            i += 4
        elif word == "CHANNELS":
            count = int(words[i + 1])
            channels = words[i + 2:i + 2 + count]
            bad = [c for c in channels if c not in _AXES and c not in _POSITIONS]
            if bad:
                raise BVHError(f"{path}, line {tokens[i][1]}: channel {bad[0]!r} of joint "
                               f"{joints[stack[-1]]['name']!r} is not one this reader knows (X/Y/Z rotation and "
                               "position): convert the file with your motion-capture tool")
            joints[stack[-1]]["channels"] = channels
            i += 2 + count
        else:
            raise BVHError(f"{path}, line {tokens[i][1]}: unexpected {word!r} in HIERARCHY")
    rest = words[i + 1:]
    try:
        frames = int(rest[rest.index("Frames:") + 1])
        frame_time = float(rest[rest.index("Time:") + 1])
        values = np.array(rest[rest.index("Time:") + 2:], dtype=np.float64)
    except (ValueError, IndexError) as err:
        raise BVHError(f"{path}: the MOTION section needs 'Frames: N', 'Frame Time: seconds' and N lines of "
                       f"numbers ({err})") from None
    width = sum(len(j["channels"]) for j in joints)
    if frames < 1 or values.size != frames * width:
        raise BVHError(f"{path}: MOTION says {frames} frames of {width} channels ({frames * width} numbers) but "
                       f"holds {values.size}: the file is truncated or its channels do not match the hierarchy")
    return joints, values.reshape(frames, width), frame_time


def read_bvh(path: str | os.PathLike) -> Motion:
    """Every joint's (and end site's) 3-D position in every frame, by forward kinematics."""
    from scipy.spatial.transform import Rotation  # noqa: PLC0415

    path = Path(path)
    joints, values, frame_time = _parse(path)
    n = len(values)
    world_rot = [None] * len(joints)
    world_pos = np.zeros((n, len(joints), 3))
    column = 0
    for j, joint in enumerate(joints):
        chans = joint["channels"]
        data = values[:, column:column + len(chans)]
        column += len(chans)
        offset = np.broadcast_to(joint["offset"] if joint["offset"] is not None else np.zeros(3), (n, 3))
        axes = "".join(_AXES[c] for c in chans if c in _AXES)
        local = (Rotation.from_euler(axes, data[:, [k for k, c in enumerate(chans) if c in _AXES]], degrees=True)
                 if axes else Rotation.identity(n))
        moved = np.zeros((n, 3))
        for k, c in enumerate(chans):
            if c in _POSITIONS:
                moved[:, _POSITIONS.index(c)] = data[:, k]
        parent = joint["parent"]
        if parent < 0:
            world_pos[:, j] = offset + moved
            world_rot[j] = local
        else:
            world_pos[:, j] = world_pos[:, parent] + world_rot[parent].apply(offset + moved)
            world_rot[j] = world_rot[parent] * local
    return Motion(world_pos, tuple(j["name"] for j in joints), tuple(j["parent"] for j in joints), frame_time)


def project(motion: Motion, fps: float = 25.0, up: str = "y", depth: str = "z") -> tuple[np.ndarray, Skeleton]:
    """``(poses (frames, joints, 2), skeleton)`` in the choreographer's layout: joint 0 (the root) as its travel
    from its first place, every other joint relative to the root (the skeleton's offsets put them back), seen
    along the ``depth`` axis with ``up`` up, in body heights (the first frame's extent along ``up``), resampled
    to ``fps`` by linear interpolation."""
    axes = {"x": 0, "y": 1, "z": 2}
    if up not in axes or depth not in axes or up == depth:
        raise ValueError(f"up and depth must be two different axes of x, y, z; got {up!r} and {depth!r}")
    across = ({0, 1, 2} - {axes[up], axes[depth]}).pop()
    p = motion.positions
    height = float(np.ptp(p[0, :, axes[up]]))
    if height <= 0:
        raise BVHError("every joint of the first frame is at one height: the body height (the unit of the pose "
                       "arrays) cannot be measured; check the up axis")
    flat = np.stack([p[..., across], -p[..., axes[up]]], axis=-1) / height        # x right, y down
    t_in = np.arange(len(flat)) * motion.frame_time
    t_out = np.arange(0.0, t_in[-1] + 1e-9, 1.0 / float(fps))
    flat = np.stack([np.stack([np.interp(t_out, t_in, flat[:, j, k]) for k in range(2)], axis=-1)
                     for j in range(flat.shape[1])], axis=1)
    poses = flat - flat[:, :1]
    poses[:, 0] = flat[:, 0] - flat[0, 0]
    edges = tuple((parent, j) for j, parent in enumerate(motion.parents) if parent >= 0)
    skeleton = Skeleton(names=motion.names, edges=edges, roots=(0,),
                        offsets=tuple((j, (0,)) for j in range(1, len(motion.names))))
    return poses.astype(np.float32), skeleton


def bvh_dances(folder: str | os.PathLike, frames: int, fps: float = 25.0, up: str = "y", depth: str = "z",
               genres: Sequence[str] | None = None) -> Dances:
    """Every ``<folder>/<genre>/*.bvh``, projected (:func:`project`) and cut into consecutive dances of ``frames``
    frames (a shorter rest is dropped, and counted in a warning). The files must share one skeleton. ``genres``
    fixes the label order (default: the sub-folder names, sorted)."""
    import warnings  # noqa: PLC0415

    folder = Path(folder)
    files = sorted(folder.glob("*/*.bvh"))
    if not files:
        raise FileNotFoundError(f"no <genre>/<name>.bvh files under {folder}: put each genre's files in a folder "
                                "named after it")
    names = tuple(genres) if genres is not None else tuple(sorted({f.parent.name for f in files}))
    poses, labels, ids, skeleton, dropped = [], [], [], None, 0
    for f in files:
        if f.parent.name not in names:
            raise ValueError(f"{f}: genre folder {f.parent.name!r} is not one of {', '.join(names)}")
        arr, sk = project(read_bvh(f), fps, up, depth)
        if skeleton is None:
            skeleton = sk
        elif sk.names != skeleton.names or sk.edges != skeleton.edges:
            raise BVHError(f"{f}: its skeleton differs from {files[0].name}'s: one choreographer learns one skeleton")
        count = len(arr) // int(frames)
        dropped += len(arr) - count * int(frames)
        for k in range(count):
            piece = arr[k * frames:(k + 1) * frames].copy()
            piece[:, 0] -= piece[0, 0]                                     # each dance's travel from its start
            poses.append(piece)
            labels.append(names.index(f.parent.name))
            ids.append(f"{f.parent.name}/{f.stem}")
    if not poses:
        raise ValueError(f"no file under {folder} holds {frames} frames at {fps:g} fps: record longer takes or ask "
                         "for shorter dances")
    if dropped:
        warnings.warn(f"{dropped} frame(s) at the ends of files did not fill a dance of {frames} frames and were "
                      "left out", stacklevel=2)
    return Dances(np.stack(poses), labels, ids, names, skeleton, float(fps))
