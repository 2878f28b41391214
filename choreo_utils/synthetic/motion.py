"""How each synthetic genre moves: the stick figure's pose, and one motion program per genre (its signature of
tempo, limb pattern, turns, travel, bounce and partner), as poses over time.

A program maps ``(t seconds, tempo Hz, per-video phase)`` to the figures on stage, each a ``(pose, role)``;
drawing them is :mod:`choreo_utils.synthetic.render`'s job.
"""
from __future__ import annotations

import math
from typing import Callable

# ----------------------------------------------------------------------------------------------
# The stick figure. Lengths are in body heights; angles in radians from "hanging straight down",
# positive = towards the figure's own outside. A pose is a dict of angles plus placement.
# ----------------------------------------------------------------------------------------------
#: Segment lengths, in body heights.
BODY_LENGTHS = {"torso": 0.30, "neck": 0.05, "head": 0.075, "upper": 0.15, "fore": 0.14, "thigh": 0.24,
                "shin": 0.24}
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
                   sh_r=1.3 + 0.9 * math.sin(ph), el_r=0.3, hip_l=0.12 + 0.3 * _pos(ph),
                   hip_r=0.12 + 0.3 * _pos(ph + math.pi),
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
