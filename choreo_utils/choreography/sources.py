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

    plan = synthetic.plan_dataset(videos_per_genre, seed, motion_cue, appearance_cue)
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
