"""Procedural dancers written in the Let's Dance layout — the embedded default dataset.

Every genre has a *motion signature* (tempo, limb pattern, turns, travel, bounce, partner) and an
*appearance family* (stage and costume palette). Families are shared by pairs of genres, so a
single frame narrows a video down to two genres at best: telling waltz from foxtrot, or rumba from
cha-cha, needs the motion. Two knobs make the cues switchable, so the notebooks can show what a
classifier relies on:

* ``motion_cue`` — probability that a video dances its own genre's motion (else a random genre's);
* ``appearance_cue`` — probability that a video wears its own genre's palette family (else a random
  family's).

At 0 a cue carries no information about the label; at 1 it always does.

Files are written exactly like the real archive: ``root/rgb/<genre>/<ytid>_<NNN>_<FFFF>.jpg`` with
11-character YouTube-like ids (some containing ``_`` and ``-``), several segments per id for some
ids, and frame numbers from 0001. The output is a pure function of the arguments: same arguments,
same bytes.

Modules (every public name is re-exported here, so ``synthetic.generate_dataset`` etc. work as before):

* :mod:`~choreo_utils.synthetic.genres` — the genre catalogue: palette families, each genre's family,
  motion in words and partner flag (``FAMILIES``, ``GENRE_STYLE``, ``describe_genres``);
* :mod:`~choreo_utils.synthetic.motion` — how each genre moves: the stick figure's pose and one motion
  program per genre (``PROGRAMS``);
* :mod:`~choreo_utils.synthetic.render` — drawing one video from its :class:`VideoSpec` (``render_video``), or given
  joints in a video's style (``render_joints``);
* :mod:`~choreo_utils.synthetic.dataset` — the dataset on disk: plan the videos, write the JPEGs and the
  manifest, read the ground truth back (``plan_dataset``, ``generate_dataset``, ``video_specs``).
"""
from choreo_utils.synthetic.dataset import (GENERATOR_VERSION, JOINTS, MANIFEST, dance_poses, generate_dataset,
                                           oracle_pose_frames, plan_dataset, pose_features, pose_vectors,
                                           video_specs)
from choreo_utils.synthetic.genres import FAMILIES, FAMILY_NAMES, GENRE_STYLE, describe_genres
from choreo_utils.synthetic.motion import BODY_LENGTHS, PROGRAMS, Program
from choreo_utils.synthetic.render import VideoSpec, figure_count, pose_sequence, render_joints, render_video

__all__ = ["BODY_LENGTHS", "FAMILIES", "FAMILY_NAMES", "GENERATOR_VERSION", "GENRE_STYLE", "JOINTS", "MANIFEST",
           "PROGRAMS", "Program", "VideoSpec", "dance_poses", "describe_genres", "figure_count", "generate_dataset",
           "oracle_pose_frames", "plan_dataset", "pose_features", "pose_sequence", "pose_vectors", "render_joints",
           "render_video", "video_specs"]
