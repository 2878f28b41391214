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
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import string
import tempfile
import warnings
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from choreo_utils.config import GENRES, genre_index

#: Bumped whenever the rendering changes, so cached data and features are regenerated.
GENERATOR_VERSION = 2
MANIFEST = "synthetic.json"
_ID_ALPHABET = string.ascii_letters + string.digits + "-_"

# ----------------------------------------------------------------------------------------------
# Appearance: eight palette families, each shared by two genres.
# Colours are RGB. ``bg`` is the stage, ``floor`` the floor band, ``lead``/``follow`` the costumes.
# ----------------------------------------------------------------------------------------------
FAMILIES: dict[str, dict[str, tuple[int, int, int]]] = {
    "ballroom gold": {"bg": (92, 30, 38), "floor": (150, 110, 60), "lead": (250, 210, 90), "follow": (240, 240, 230)},
    "ballroom blue": {"bg": (25, 40, 95), "floor": (90, 90, 120), "lead": (235, 235, 245), "follow": (230, 60, 90)},
    "latin red": {"bg": (150, 25, 30), "floor": (60, 20, 20), "lead": (255, 225, 60), "follow": (30, 30, 30)},
    "latin orange": {"bg": (235, 130, 40), "floor": (120, 60, 20), "lead": (90, 30, 140), "follow": (20, 130, 120)},
    "street": {"bg": (70, 75, 80), "floor": (35, 35, 40), "lead": (60, 220, 90), "follow": (250, 120, 30)},
    "theatre": {"bg": (15, 15, 25), "floor": (70, 60, 80), "lead": (245, 170, 210), "follow": (200, 200, 255)},
    "pastel": {"bg": (245, 190, 205), "floor": (180, 140, 160), "lead": (20, 110, 140), "follow": (90, 60, 130)},
    "barn": {"bg": (200, 170, 110), "floor": (110, 70, 40), "lead": (170, 20, 30), "follow": (30, 60, 150)},
}

#: genre → (family, one-line motion description, partner dance?)
GENRE_STYLE: dict[str, tuple[str, str, bool]] = {
    "ballet": ("theatre", "pirouettes: whole-body turns, arms overhead, one leg in retiré", False),
    "break": ("street", "on the floor: body horizontal, legs windmilling", False),
    "cha": ("latin red", "rumba's sway and arm sweep at double speed (2.8 Hz)", False),
    "flamenco": ("theatre", "arms curved overhead, fast alternating stamps (3.2 Hz)", False),
    "foxtrot": ("ballroom gold", "couple in closed hold travelling smoothly, no rotation", True),
    "jive": ("street", "couple apart, fast kicks (3.2 Hz) and bounce", True),
    "latin": ("latin orange", "wide arms, figure-of-eight hip sway (1.8 Hz)", False),
    "pasodoble": ("barn", "couple marching, lead's arm raised like a cape, leaning back", True),
    "quickstep": ("ballroom blue", "tango played backwards: sharp extension, slow return (1.6 Hz)", True),
    "rumba": ("latin red", "slow hip sway (1.3 Hz) with a triple step and one arm sweeping", False),
    "samba": ("latin orange", "strong bounce (2.4 Hz), alternating arms", False),
    "square": ("barn", "a dancer walking around a square path", False),
    "swing": ("pastel", "couple orbiting each other, joined hands, bounce", True),
    "tango": ("ballroom blue", "couple in hold: slow stalking extension, sharp snap back (1.6 Hz)", True),
    "tap": ("pastel", "upright, arms down, fast small steps (4 Hz)", False),
    "waltz": ("ballroom gold", "couple in hold rotating while rising and falling in 3/4", True),
}

_FAMILY_NAMES = tuple(FAMILIES)

# ----------------------------------------------------------------------------------------------
# The stick figure. Lengths are in body heights; angles in radians from "hanging straight down",
# positive = towards the figure's own outside. A pose is a dict of angles plus placement.
# ----------------------------------------------------------------------------------------------
_LEN = {"torso": 0.30, "neck": 0.05, "head": 0.075, "upper": 0.15, "fore": 0.14, "thigh": 0.24, "shin": 0.24}
_BASE_POSE = {
    "lean": 0.0, "sh_l": 0.25, "el_l": 0.15, "sh_r": 0.25, "el_r": 0.15,
    "hip_l": 0.12, "kn_l": 0.0, "hip_r": 0.12, "kn_r": 0.0,
    "dx": 0.0, "dy": 0.0, "turn": 0.0, "roll": 0.0,
}


def _pos(phase: float) -> float:
    return max(0.0, math.sin(phase))


def _pose(**kw: float) -> dict[str, float]:
    pose = dict(_BASE_POSE)
    pose.update(kw)
    return pose


# Each program maps (t seconds, tempo Hz, per-video phase) → list of (pose, role) for the figures.
# Couples return two figures: the lead and the follow, facing each other.
Program = Callable[[float, float, float], list]


def _couple(t: float, centre_dx: float, pose_l: dict, pose_f: dict, gap: float = 0.17,
            orbit: float | None = None) -> list:
    """Place a lead and a follow side by side (or orbiting each other when ``orbit`` is an angle)."""
    if orbit is None:
        off_l, off_f, depth = -gap, gap, 0.0
    else:
        off_l, off_f = -gap * math.cos(orbit), gap * math.cos(orbit)
        depth = math.sin(orbit)
    pose_l = dict(pose_l, dx=pose_l.get("dx", 0.0) + centre_dx + off_l, depth=depth)
    pose_f = dict(pose_f, dx=pose_f.get("dx", 0.0) + centre_dx + off_f, depth=-depth)
    return [(pose_l, "lead"), (pose_f, "follow")]


def _ballet(t, f, p):
    ph = 2 * math.pi * f * t + p
    return [(_pose(turn=2 * math.pi * 0.9 * t + p, sh_l=2.75, el_l=0.5, sh_r=2.75, el_r=0.5,
                   hip_l=1.0, kn_l=-1.9, hip_r=0.02, dy=-0.025 * (1 + math.sin(ph))), "lead")]


def _break(t, f, p):
    ph = 2 * math.pi * f * t + p
    return [(_pose(roll=math.pi / 2 + 0.35 * math.sin(ph / 2), dy=0.33,
                   hip_l=1.3 + 1.2 * math.sin(ph), hip_r=1.3 + 1.2 * math.sin(ph + math.pi),
                   kn_l=0.2, kn_r=0.2, sh_l=1.6, el_l=1.2, sh_r=0.5, el_r=0.3), "lead")]


def _sway(t, f, p):
    """Hip sway with a triple step and one arm sweeping. Rumba and cha-cha share it exactly, at two tempos:
    the same poses in the same proportions, so only the speed of the motion tells them apart."""
    ph = 2 * math.pi * f * t + p
    return [(_pose(dx=0.08 * math.sin(ph) + 0.03 * math.sin(3 * ph), lean=0.16 * math.sin(ph), sh_l=1.35, el_l=1.0,
                   sh_r=1.3 + 0.9 * math.sin(ph), el_r=0.3, hip_l=0.12 + 0.3 * _pos(ph), hip_r=0.12 + 0.3 * _pos(ph + math.pi),
                   kn_l=-0.4 * _pos(ph), kn_r=-0.4 * _pos(ph + math.pi)), "lead")]


def _cha(t, f, p):
    return _sway(t, f, p)


def _rumba(t, f, p):
    return _sway(t, f, p)


def _flamenco(t, f, p):
    ph = 2 * math.pi * f * t + p
    return [(_pose(lean=-0.12, sh_l=2.45 + 0.15 * math.sin(ph / 4), el_l=1.0, sh_r=2.45 - 0.15 * math.sin(ph / 4),
                   el_r=1.0, hip_l=0.1 + 0.55 * _pos(ph), kn_l=-1.0 * _pos(ph),
                   hip_r=0.1 + 0.55 * _pos(ph + math.pi), kn_r=-1.0 * _pos(ph + math.pi),
                   turn=0.5 * math.sin(2 * math.pi * 0.3 * t + p)), "lead")]


def _hold(ph: float, **kw) -> dict:
    """A partner in closed hold: inner arm forward and up, outer arm round."""
    base = dict(sh_l=1.2, el_l=0.9, sh_r=1.45, el_r=-0.2,
                hip_l=0.12 + 0.3 * _pos(ph), kn_l=-0.3 * _pos(ph),
                hip_r=0.12 + 0.3 * _pos(ph + math.pi), kn_r=-0.3 * _pos(ph + math.pi))
    base.update(kw)
    return _pose(**base)


def _foxtrot(t, f, p):
    ph = 2 * math.pi * f * t + p
    travel = 0.3 * math.sin(2 * math.pi * 0.22 * t + p)
    return _couple(t, travel, _hold(ph, dy=-0.01 * math.sin(ph)), _hold(ph + math.pi, dy=-0.01 * math.sin(ph)))


def _waltz(t, f, p):
    ph = 2 * math.pi * f * t + p
    bar = (f * t + p / (2 * math.pi)) / 3.0          # three beats to a bar
    rise = -0.06 * (0.5 - 0.5 * math.cos(2 * math.pi * bar))
    spin = 2 * math.pi * 0.55 * t + p
    travel = 0.12 * math.sin(2 * math.pi * 0.15 * t + p)
    lead = _hold(ph, dy=rise, turn=spin)
    follow = _hold(ph + math.pi, dy=rise, turn=spin + math.pi)
    return _couple(t, travel, lead, follow, gap=0.15, orbit=spin)


def _glide_and_snap(u: float) -> dict:
    """A couple's figure as a function of u in [0, 1): travel, a leg extension and a lean all grow with u."""
    lead = _hold(0.0, hip_l=0.1 + 0.7 * u, kn_l=-0.2 * u, lean=0.25 * u - 0.1, sh_r=1.45 + 0.5 * u)
    follow = _hold(math.pi, hip_r=0.1 + 0.7 * u, kn_r=-0.2 * u, lean=0.1 - 0.25 * u, sh_l=1.2 + 0.5 * u)
    return _couple(0.0, -0.18 + 0.36 * u, lead, follow, gap=0.15)


def _sawtooth(t: float, f: float, p: float) -> float:
    """Rises slowly over 80% of each beat, then snaps back in the last 20%."""
    x = (f * t + p / (2 * math.pi)) % 1.0
    return x / 0.8 if x < 0.8 else (1.0 - x) / 0.2


def _tango(t, f, p):
    # a slow, stalking extension, then a sharp snap back
    return _glide_and_snap(_sawtooth(t, f, p))


def _quickstep(t, f, p):
    # tango's movement played backwards: a sharp extension, then a slow return. Same poses, same proportions;
    # only the order of the frames tells the two apart.
    return _glide_and_snap(_sawtooth(-t, f, p))


def _jive(t, f, p):
    ph = 2 * math.pi * f * t + p
    bounce = -0.04 * abs(math.sin(ph))
    lead = _pose(dy=bounce, sh_r=1.55, el_r=0.0, sh_l=0.8, el_l=1.3,
                 hip_l=0.2 + 0.7 * _pos(ph), kn_l=1.2 * _pos(ph), hip_r=0.15)
    follow = _pose(dy=bounce, sh_l=1.55, el_l=0.0, sh_r=0.8, el_r=1.3,
                   hip_r=0.2 + 0.7 * _pos(ph + math.pi), kn_r=1.2 * _pos(ph + math.pi), hip_l=0.15)
    return _couple(t, 0.0, lead, follow, gap=0.28)


def _swing(t, f, p):
    ph = 2 * math.pi * f * t + p
    orbit = 2 * math.pi * 0.7 * t + p
    bounce = -0.035 * abs(math.sin(ph))
    lead = _pose(dy=bounce, sh_r=1.3 + 0.4 * math.sin(ph), el_r=0.1, sh_l=0.6, turn=orbit,
                 hip_l=0.15 + 0.3 * _pos(ph), hip_r=0.15 + 0.3 * _pos(ph + math.pi))
    follow = _pose(dy=bounce, sh_l=1.3 + 0.4 * math.sin(ph), el_l=0.1, sh_r=0.6, turn=orbit + math.pi,
                   hip_l=0.15 + 0.3 * _pos(ph + math.pi), hip_r=0.15 + 0.3 * _pos(ph))
    return _couple(t, 0.0, lead, follow, gap=0.22, orbit=orbit)


def _pasodoble(t, f, p):
    ph = 2 * math.pi * f * t + p
    march = 0.25 * math.sin(2 * math.pi * 0.3 * t + p)
    lead = _pose(lean=-0.2, sh_r=2.7, el_r=0.1, sh_l=1.0, el_l=1.4,
                 hip_l=0.1 + 0.65 * _pos(ph), kn_l=-0.9 * _pos(ph), hip_r=0.1 + 0.65 * _pos(ph + math.pi),
                 kn_r=-0.9 * _pos(ph + math.pi))
    follow = _pose(lean=0.1, sh_l=2.0, el_l=0.6, sh_r=2.0, el_r=0.6, turn=0.8 * math.sin(ph / 2))
    return _couple(t, march, lead, follow, gap=0.2)


def _latin(t, f, p):
    ph = 2 * math.pi * f * t + p
    return [(_pose(dx=0.05 * math.sin(ph), lean=0.22 * math.sin(2 * ph), sh_l=1.65, el_l=0.3 * math.sin(ph),
                   sh_r=1.65, el_r=-0.3 * math.sin(ph), hip_l=0.25, hip_r=0.25,
                   kn_l=-0.35 * _pos(2 * ph), kn_r=-0.35 * _pos(2 * ph + math.pi)), "lead")]


def _samba(t, f, p):
    ph = 2 * math.pi * f * t + p
    return [(_pose(dy=-0.07 * abs(math.sin(ph)), lean=0.15 * math.sin(ph), sh_l=1.2 + 0.9 * math.sin(ph),
                   el_l=0.4, sh_r=1.2 - 0.9 * math.sin(ph), el_r=0.4,
                   hip_l=0.15 + 0.3 * _pos(ph), hip_r=0.15 + 0.3 * _pos(ph + math.pi)), "lead")]


def _square(t, f, p):
    ph = 2 * math.pi * f * t + p
    s = (0.45 * t + p / (2 * math.pi)) % 4.0            # position along the four sides
    side, u = int(s), s - int(s)
    corners = [(-0.3, -0.07), (0.3, -0.07), (0.3, 0.07), (-0.3, 0.07)]
    (x0, y0), (x1, y1) = corners[side], corners[(side + 1) % 4]
    dx, dy = x0 + (x1 - x0) * u, y0 + (y1 - y0) * u
    facing = [1.2, 0.0, -1.2, math.pi][side]
    return [(_pose(dx=dx, dy=dy, scale=1.0 + 0.6 * dy, turn=facing, sh_l=0.35 + 0.3 * math.sin(ph),
                   sh_r=0.35 - 0.3 * math.sin(ph), hip_l=0.12 + 0.35 * _pos(ph), kn_l=-0.5 * _pos(ph),
                   hip_r=0.12 + 0.35 * _pos(ph + math.pi), kn_r=-0.5 * _pos(ph + math.pi)), "lead")]


def _tap(t, f, p):
    ph = 2 * math.pi * f * t + p
    return [(_pose(dy=-0.008 * abs(math.sin(ph)), sh_l=0.12, el_l=0.1, sh_r=0.12, el_r=0.1, hip_l=0.1, hip_r=0.1,
                   kn_l=0.5 * _pos(ph), kn_r=0.5 * _pos(ph + math.pi)), "lead")]


#: genre → (motion program, tempo in Hz). Tempos are ≥ 1.3 Hz so one 30-frame clip at 25 fps
#: holds at least one and a half cycles: motion must be identifiable inside a single clip.
PROGRAMS: dict[str, tuple[Program, float]] = {
    "ballet": (_ballet, 1.5), "break": (_break, 1.6), "cha": (_cha, 2.8), "flamenco": (_flamenco, 3.2),
    "foxtrot": (_foxtrot, 1.6), "jive": (_jive, 3.2), "latin": (_latin, 1.8), "pasodoble": (_pasodoble, 2.0),
    "quickstep": (_quickstep, 1.6), "rumba": (_rumba, 1.3), "samba": (_samba, 2.4), "square": (_square, 2.0),
    "swing": (_swing, 2.2), "tango": (_tango, 1.6), "tap": (_tap, 4.0), "waltz": (_waltz, 1.5),
}


def _joints(pose: dict, cx: float, cy: float, height: float) -> dict[str, np.ndarray]:
    """2-D joint positions (pixels) of one figure; ``cx, cy`` is the hip centre."""
    yaw = math.cos(pose["turn"])
    roll = pose["roll"]
    cr, sr = math.cos(roll), math.sin(roll)

    def place(x: float, y: float) -> np.ndarray:
        # body frame (x right, y up, in body heights) → yaw squash → roll → image pixels (y down)
        x *= yaw
        xr, yr = cr * x - sr * y, sr * x + cr * y
        return np.array([cx + xr * height, cy - yr * height])

    def seg(origin: tuple[float, float], angle: float, length: float) -> tuple[float, float]:
        return origin[0] + length * math.sin(angle), origin[1] - length * math.cos(angle)

    hip = (0.0, 0.0)
    lean = pose["lean"]
    neck = (math.sin(lean) * _LEN["torso"], math.cos(lean) * _LEN["torso"])
    head = (neck[0] + math.sin(lean) * (_LEN["neck"] + _LEN["head"]),
            neck[1] + math.cos(lean) * (_LEN["neck"] + _LEN["head"]))
    pts = {"hip": hip, "neck": neck, "head": head}
    for side, sign in (("l", -1.0), ("r", 1.0)):
        sh = pose[f"sh_{side}"]
        elbow = seg(neck, sign * sh + lean, _LEN["upper"])
        hand = seg(elbow, sign * (sh + pose[f"el_{side}"]) + lean, _LEN["fore"])
        hp = pose[f"hip_{side}"]
        knee = seg(hip, sign * hp, _LEN["thigh"])
        foot = seg(knee, sign * (hp + pose[f"kn_{side}"]), _LEN["shin"])
        pts.update({f"elbow_{side}": elbow, f"hand_{side}": hand, f"knee_{side}": knee, f"foot_{side}": foot})
    return {name: place(*xy) for name, xy in pts.items()}


_LIMBS = [("hip", "knee", "thigh"), ("knee", "foot", "shin"), ("neck", "elbow", "upper"), ("elbow", "hand", "fore")]


def _draw_figure(img: np.ndarray, joints: dict[str, np.ndarray], colour: np.ndarray, height: float,
                 turn: float) -> None:
    """Draw one figure: far side first, darker, so turns are visible."""
    thick = max(2, int(round(height * 0.06)))
    near_is_right = math.sin(turn) >= 0
    shade = {"r": 1.0 if near_is_right else 0.62, "l": 0.62 if near_is_right else 1.0}
    order = ["l", "r"] if near_is_right else ["r", "l"]

    def pt(name: str) -> tuple[int, int]:
        x, y = joints[name]
        return int(round(x * 4)), int(round(y * 4))   # 2 bits of sub-pixel precision

    def line(a: str, b: str, col: np.ndarray, th: int) -> None:
        cv2.line(img, pt(a), pt(b), tuple(int(c) for c in col), th, cv2.LINE_AA, shift=2)

    far, near = order
    for a, b, _ in _LIMBS:
        line(a if a in ("hip", "neck") else f"{a}_{far}", f"{b}_{far}", colour * shade[far], thick)
    line("hip", "neck", colour * 0.85, int(thick * 1.8))
    for a, b, _ in _LIMBS:
        line(a if a in ("hip", "neck") else f"{a}_{near}", f"{b}_{near}", colour * shade[near], thick)
    cv2.circle(img, pt("head"), int(round(_LEN["head"] * height * 4)),
               tuple(int(c) for c in colour * 0.95), -1, cv2.LINE_AA, shift=2)


@dataclasses.dataclass(frozen=True)
class VideoSpec:
    """Everything that defines one synthetic video (drawn from the per-video random stream)."""

    genre: str
    motion: str          # genre whose motion is danced (== genre unless the motion cue is switched off)
    family: str          # palette family worn
    tempo: float
    phase: float
    scale: float         # body height as a fraction of the frame height
    centre_x: float      # hip centre, fraction of the width
    base_y: float        # hip centre, fraction of the height
    light: float         # global brightness gain
    flicker: float       # amplitude of slow lighting flicker
    shake: float         # camera shake (pixels)
    noise: float         # sensor noise (grey levels, std)
    colour_jitter: tuple[float, float, float]
    seed: int


def _video_spec(genre: str, rng: np.random.Generator, motion_cue: float, appearance_cue: float,
                fps: float) -> VideoSpec:
    motion = genre if rng.random() < motion_cue else GENRES[rng.integers(len(GENRES))]
    own_family = GENRE_STYLE[genre][0]
    family = own_family if rng.random() < appearance_cue else _FAMILY_NAMES[rng.integers(len(_FAMILY_NAMES))]
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


def render_video(spec: VideoSpec, n_frames: int, size: tuple[int, int] = (96, 144), fps: float = 25.0,
                 return_joints: bool = False):
    """Render one video as uint8 RGB frames (T, H, W, 3); optionally also the joints (T, figures, J, 2)."""
    h, w = size
    rng = np.random.default_rng(spec.seed)
    fam = FAMILIES[spec.family]
    jitter = np.array(spec.colour_jitter)
    bg = np.clip(np.array(fam["bg"]) + jitter, 0, 255)
    floor = np.clip(np.array(fam["floor"]) + jitter * 0.5, 0, 255)
    costumes = {role: np.clip(np.array(fam[role]) + jitter * 0.3, 0, 255) for role in ("lead", "follow")}
    # static stage: background, a soft spotlight and the floor band
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    spot = np.exp(-(((xx - spec.centre_x * w) / (0.45 * w)) ** 2 + ((yy - 0.45 * h) / (0.7 * h)) ** 2))
    stage = bg[None, None, :] * (0.75 + 0.4 * spot[..., None])
    floor_top = int(h * (spec.base_y + spec.scale * 0.45))
    stage[floor_top:] = floor
    stage = np.clip(stage, 0, 255).astype(np.float32)

    program, _ = PROGRAMS[spec.motion]
    shake = np.cumsum(rng.normal(0, spec.shake, (n_frames, 2)), axis=0) * 0.35
    shake -= shake.mean(axis=0)
    frames = np.empty((n_frames, h, w, 3), np.uint8)
    all_joints = []
    height = spec.scale * h
    for i in range(n_frames):
        t = i / fps
        canvas = stage.copy()
        figures = program(t, spec.tempo, spec.phase)
        figures = sorted(figures, key=lambda fr: fr[0].get("depth", 0.0))  # far figures first
        joints_i = []
        for pose, role in figures:
            fig_h = height * pose.get("scale", 1.0)
            cx = spec.centre_x * w + pose["dx"] * height + shake[i, 0]
            cy = spec.base_y * h + pose["dy"] * height + shake[i, 1]
            joints = _joints(pose, cx, cy, fig_h)
            _draw_figure(canvas, joints, costumes[role], fig_h, pose["turn"])
            joints_i.append(np.stack(list(joints.values())))
        light = spec.light * (1 + spec.flicker * math.sin(2 * math.pi * 0.5 * t + spec.phase))
        canvas = canvas * light + rng.normal(0, spec.noise, canvas.shape)
        frames[i] = np.clip(canvas, 0, 255).astype(np.uint8)
        if return_joints:
            joints_i = joints_i + [joints_i[0]] * (2 - len(joints_i))   # pad single dancers to 2 figures
            all_joints.append(np.stack(joints_i))
    if return_joints:
        return frames, np.stack(all_joints).astype(np.float32)
    return frames


def _youtube_id(rng: np.random.Generator, force: str = "") -> str:
    chars = [_ID_ALPHABET[i] for i in rng.integers(0, 62, 11)]   # letters and digits
    if force:
        chars[int(rng.integers(1, 10))] = force
    return "".join(chars)


def plan_dataset(videos_per_genre: int = 24, seed: int = 0, motion_cue: float = 1.0,
                 appearance_cue: float = 1.0, fps: float = 25.0, genres=GENRES) -> list[dict]:
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
                spec = _video_spec(genre, rng, motion_cue, appearance_cue, fps)
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
    return {"generator": "choreo_utils.synthetic", "version": GENERATOR_VERSION, **args}


def generate_dataset(root: str | os.PathLike, videos_per_genre: int = 24, frames_per_video: int = 64,
                     size: tuple[int, int] = (96, 144), seed: int = 0, motion_cue: float = 1.0,
                     appearance_cue: float = 1.0, fps: float = 25.0, jpeg_quality: int = 90,
                     overwrite: bool = False, progress: bool = True, workers: int | None = None) -> Path:
    """Write the synthetic dance dataset to ``root/rgb/<genre>/<ytid>_<NNN>_<FFFF>.jpg`` and return ``root``.

    Re-running with the same arguments returns at once (the manifest ``root/synthetic.json`` matches);
    different arguments over an existing set raise unless ``overwrite=True``. Frames are written to a
    temporary folder first and renamed into place at the end, so an interrupted run never leaves a
    partial dataset that looks complete.
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
    if manifest_path.is_file() and rgb.is_dir():
        old = json.loads(manifest_path.read_text())
        if all(old.get(k) == v for k, v in manifest.items()):
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

    plan = plan_dataset(videos_per_genre, seed, motion_cue, appearance_cue, fps)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".rgb.partial-", dir=root))
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
        if rgb.exists():
            shutil.rmtree(rgb)
        manifest_path.unlink(missing_ok=True)
        os.replace(tmp, rgb)
        manifest["videos"] = len(plan)
        manifest["frames"] = len(plan) * frames_per_video
        (root / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return root


def describe_genres() -> "pd.DataFrame":  # noqa: F821
    """A table of the synthetic genres: palette family, motion description, tempo, couple or solo."""
    import pandas as pd  # noqa: PLC0415

    rows = [{"genre": g, "family": GENRE_STYLE[g][0], "motion": GENRE_STYLE[g][1],
             "tempo_hz": PROGRAMS[g][1], "couple": GENRE_STYLE[g][2]} for g in GENRES]
    return pd.DataFrame(rows).set_index("genre")


def video_specs(root: str | os.PathLike) -> "pd.DataFrame":  # noqa: F821
    """The per-video ground truth of a generated set (motion danced, palette worn, tempo, …)."""
    import pandas as pd  # noqa: PLC0415

    manifest_path = Path(root) / MANIFEST
    if not manifest_path.is_file():
        raise FileNotFoundError(f"no {MANIFEST} under {root}: generate the set with synthetic.generate_dataset")
    m = json.loads(manifest_path.read_text())
    plan = plan_dataset(m["videos_per_genre"], m["seed"], m["motion_cue"], m["appearance_cue"], m["fps"])
    return pd.DataFrame([{**{k: v for k, v in item.items() if k != "spec"},
                          **dataclasses.asdict(item["spec"])} for item in plan]).set_index("video_id")
