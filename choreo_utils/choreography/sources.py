"""Where the choreographer's pose arrays come from. The synthetic default: the oracle pose of the same videos the
course renders (``synthetic.dance_poses``), at any length — a dance of 130 frames is the real reference for a
120-frame generation from a 10-frame context, though the videos on disk hold 64.

This is the only choreography module that imports the synthetic package; the generator, the baselines and the
yardsticks take the arrays it returns.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from choreo_utils.choreography.poses import Dances, Skeleton
from choreo_utils.config import GENRES

_FIGURE = ("hip", "neck", "head", "elbow_l", "hand_l", "knee_l", "foot_l", "elbow_r", "hand_r", "knee_r", "foot_r")
_BONES = ((0, 1), (1, 2), (1, 3), (3, 4), (0, 5), (5, 6), (1, 7), (7, 8), (0, 9), (9, 10))
#: The synthetic layout (``synthetic.pose_vectors``): 11 joints of the lead relative to its hip, 11 of the follower
#: relative to its own, the lead's hip travel (the root), the follower's hip relative to the lead's.
SYNTHETIC_SKELETON = Skeleton(
    names=tuple(f"lead_{j}" for j in _FIGURE) + tuple(f"follow_{j}" for j in _FIGURE) + ("travel", "follow_offset"),
    edges=_BONES + tuple((a + 11, b + 11) for a, b in _BONES), roots=(22,),
    offsets=tuple((j, (22,)) for j in range(11)) + tuple((j, (22, 23)) for j in range(11, 22)))


def synthetic_dances(videos_per_genre: int = 24, seed: int = 0, n_frames: int = 64,
                     size: Sequence[int] = (96, 144), fps: float = 25.0, motion_cue: float = 1.0,
                     appearance_cue: float = 1.0, video_ids: Sequence[str] | None = None) -> Dances:
    """The oracle pose of every video of the synthetic set these arguments plan (``synthetic.plan_dataset``, the
    same videos as ``generate_dataset`` writes), danced for ``n_frames``.

    Returns :class:`Dances` drawn by :data:`SYNTHETIC_SKELETON`: (videos, n_frames, 24, 2) poses in body heights
    (``synthetic.pose_vectors``, the lead's hip travel measured from its first position, so a frame's numbers do
    not depend on the length asked for), genre labels into ``GENRES``, and YouTube ids as the unit a grouped split
    keeps together. ``video_ids`` keeps only those videos (a ValueError names any not planned)."""
    from choreo_utils import synthetic  # noqa: PLC0415

    plan = _plan(videos_per_genre, seed, motion_cue, appearance_cue)
    if video_ids is not None:
        wanted = set(map(str, video_ids))
        missing = sorted(wanted - {item["video_id"] for item in plan})
        if missing:
            raise ValueError(f"{len(missing)} video id(s) are not in this synthetic set (e.g. {missing[0]}): pass "
                             "the videos_per_genre and seed the set was generated with")
        plan = [item for item in plan if item["video_id"] in wanted]
    poses = np.stack([synthetic.dance_poses(item["spec"], n_frames, tuple(size), fps, hip_origin="first")
                      for item in plan])
    return Dances(poses.reshape(len(plan), int(n_frames), -1, 2), [GENRES.index(item["genre"]) for item in plan],
                  [item["youtube_id"] for item in plan], tuple(GENRES), SYNTHETIC_SKELETON, float(fps))


def synthetic_frames(videos_per_genre: int = 24, seed: int = 0, n_frames: int = 10,
                     size: Sequence[int] = (96, 144), fps: float = 25.0, motion_cue: float = 1.0,
                     appearance_cue: float = 1.0, ids: Sequence[str] | None = None,
                     jpeg_quality: int = 90) -> np.ndarray:
    """The first ``n_frames`` video frames of the same synthetic set as :func:`synthetic_dances` (same arguments,
    same order), drawn as ``generate_dataset`` draws them and passed through JPEG at its quality, as the files on
    disk are: (videos, n_frames, H, W, 3) uint8 RGB. ``ids`` keeps the videos of those YouTube ids, in the order
    ``Dances.with_ids`` keeps them (a ValueError names any id not in the set)."""
    from choreo_utils import synthetic  # noqa: PLC0415

    plan = _plan(videos_per_genre, seed, motion_cue, appearance_cue, ids)
    return np.stack([_through_jpeg(synthetic.render_video(item["spec"], int(n_frames), tuple(size), fps),
                                   jpeg_quality) for item in plan])


def synthetic_redraw(poses: np.ndarray, videos_per_genre: int = 24, seed: int = 0, first_frame: int = 0,
                     dance_frames: int | None = None, size: Sequence[int] = (96, 144), fps: float = 25.0,
                     motion_cue: float = 1.0, appearance_cue: float = 1.0, ids: Sequence[str] | None = None,
                     jpeg_quality: int = 90) -> np.ndarray:
    """Dances in the synthetic layout (videos, frames, 24, 2) — generated or real — drawn as the videos they
    continue: video v's stage, palette, body size, lighting and noise (``synthetic.render_joints``), its dancers
    placed where its real dancers stood at the dance's first frame. Row v of ``poses`` belongs to the v-th video of
    :func:`synthetic_frames`'s selection (same arguments); its frame 0 is frame ``first_frame`` of the dance (e.g.
    the context length, for generated frames), and the dance's hip travel is measured from the dance's frame 0, as
    :func:`synthetic_dances` made of ``dance_frames`` frames measures it. (videos, frames, H, W, 3) uint8, through
    JPEG like the files on disk."""
    from choreo_utils import synthetic  # noqa: PLC0415

    plan = _plan(videos_per_genre, seed, motion_cue, appearance_cue, ids)
    poses = np.asarray(poses, dtype=np.float64)
    if poses.ndim != 4 or poses.shape[2:] != (24, 2) or len(poses) != len(plan):
        raise ValueError(f"poses must be ({len(plan)} videos, frames, 24, 2) in the synthetic layout (one dance per "
                         f"selected video); got {poses.shape}")
    size = (int(size[0]), int(size[1]))
    total = int(dance_frames or first_frame + poses.shape[1])
    out = np.empty((*poses.shape[:2], *size, 3), np.uint8)
    for v, item in enumerate(plan):
        spec = item["spec"]
        height = spec.scale * size[0]
        hip0 = synthetic.pose_sequence(spec, total, size, fps)[0, 0, 0]          # the lead's hip at frame 0
        lead_hip = hip0 + poses[v, :, 22] * height
        follow_hip = lead_hip + poses[v, :, 23] * height
        joints = np.stack([poses[v, :, :11] * height + lead_hip[:, None], poses[v, :, 11:22] * height
                           + follow_hip[:, None]], axis=1)
        drawn = synthetic.render_joints(spec, joints, size, fps, figures=synthetic.figure_count(spec),
                                        start_frame=first_frame)
        out[v] = _through_jpeg(drawn, jpeg_quality)
    return out


def _through_jpeg(frames: np.ndarray, quality: int) -> np.ndarray:
    import cv2  # noqa: PLC0415

    out = np.empty_like(frames)
    for t, frame in enumerate(frames):
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
        out[t] = cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return out


def _plan(videos_per_genre: int, seed: int, motion_cue: float, appearance_cue: float,
          ids: Sequence[str] | None = None) -> list[dict]:
    """The synthetic set's plan, or only the videos of the YouTube ``ids`` (in plan order, as ``Dances.with_ids``)."""
    from choreo_utils import synthetic  # noqa: PLC0415

    plan = synthetic.plan_dataset(videos_per_genre, seed, motion_cue, appearance_cue)
    if ids is None:
        return plan
    wanted = set(map(str, ids))
    missing = sorted(wanted - {item["youtube_id"] for item in plan})
    if missing:
        raise ValueError(f"{len(missing)} YouTube id(s) are not in this synthetic set (e.g. {missing[0]}): pass the "
                         "videos_per_genre and seed the dances were made with")
    return [item for item in plan if item["youtube_id"] in wanted]
