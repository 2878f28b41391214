"""The choreographer (notebook 07): genre-conditioned dance generation in pose space.

* :mod:`~choreo_utils.choreography.poses` — the one pose layout (sequences, frames, joints, 2), checked; the
  :class:`Skeleton` that draws it; labelled :class:`Dances`; disjoint id sets; windows;
* :mod:`~choreo_utils.choreography.sources` — pose arrays of the synthetic default at any length (the only module
  here that imports the synthetic package);
* :mod:`~choreo_utils.choreography.baselines` — zero-velocity, repeat-the-last-cycle, nearest-neighbour retrieval;
* :mod:`~choreo_utils.choreography.yardsticks` — motion energy, acceleration, diversity, multimodality,
  nearest-training distance, tempo;
* :mod:`~choreo_utils.choreography.generator` — the generator: velocity GRU conditioned on genre and a
  per-sequence latent (CVAE), trained closed-loop (auto-conditioning), with its ablations;
* :mod:`~choreo_utils.choreography.judging` — the yardstick: disjoint generator / judge / evaluation ids, a
  pose-space genre judge (notebook 03's BiLSTM), and the window-by-window evaluation of generated dances;
* :mod:`~choreo_utils.choreography.bvh` — motion capture (BVH) to pose arrays: forward kinematics, projection;
* :mod:`~choreo_utils.choreography.from_video` — a video's first frames read as a pose context by the pose-pretext
  CNN's head (notebook 02's backbone), for the generator to continue;
* :mod:`~choreo_utils.choreography.tempo` — asking for a tempo: the best of several latents;
* :mod:`~choreo_utils.choreography.study` — notebook 07's study: variants over seeds, every source's dances,
  intervals, targets and verdicts;
* :mod:`~choreo_utils.choreography.plots` — stick-figure frames and strips, the yardsticks by window.

Importing it does not import TensorFlow.
"""
from choreo_utils.choreography.bvh import BVHError, bvh_dances, read_bvh
from choreo_utils.choreography.baselines import cycle_period, nearest_neighbour, repeat_last_cycle, zero_velocity
from choreo_utils.choreography.generator import Generator, GeneratorConfig, build_generator
from choreo_utils.choreography.poses import Dances, Skeleton, check_disjoint, check_poses, windows
from choreo_utils.choreography.sources import SYNTHETIC_SKELETON, synthetic_dances, synthetic_frames, synthetic_redraw
from choreo_utils.choreography.yardsticks import (acceleration, diversity, dominant_frequency, motion_energy,
                                                  multimodality, nearest_distance)

__all__ = ["BVHError", "Dances", "Generator", "GeneratorConfig", "SYNTHETIC_SKELETON", "Skeleton", "acceleration",
           "build_generator", "bvh_dances", "check_disjoint", "check_poses", "cycle_period", "diversity",
           "dominant_frequency", "motion_energy", "multimodality", "nearest_distance", "nearest_neighbour",
           "read_bvh", "repeat_last_cycle", "synthetic_dances", "synthetic_frames", "synthetic_redraw", "windows",
           "zero_velocity"]
