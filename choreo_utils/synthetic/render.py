"""Drawing the synthetic videos: a stage in a palette family, the dancers' stick figures posed by their genre's
motion program, lighting flicker, camera shake and sensor noise — one :class:`VideoSpec` in, uint8 RGB frames out.
"""
from __future__ import annotations

import dataclasses
import math

import cv2
import numpy as np

from choreo_utils.synthetic.genres import FAMILIES
from choreo_utils.synthetic.motion import BODY_LENGTHS, PROGRAMS


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
    neck = (math.sin(lean) * BODY_LENGTHS["torso"], math.cos(lean) * BODY_LENGTHS["torso"])
    head = (neck[0] + math.sin(lean) * (BODY_LENGTHS["neck"] + BODY_LENGTHS["head"]),
            neck[1] + math.cos(lean) * (BODY_LENGTHS["neck"] + BODY_LENGTHS["head"]))
    pts = {"hip": hip, "neck": neck, "head": head}
    for side, sign in (("l", -1.0), ("r", 1.0)):
        sh = pose[f"sh_{side}"]
        elbow = seg(neck, sign * sh + lean, BODY_LENGTHS["upper"])
        hand = seg(elbow, sign * (sh + pose[f"el_{side}"]) + lean, BODY_LENGTHS["fore"])
        hp = pose[f"hip_{side}"]
        knee = seg(hip, sign * hp, BODY_LENGTHS["thigh"])
        foot = seg(knee, sign * (hp + pose[f"kn_{side}"]), BODY_LENGTHS["shin"])
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
    cv2.circle(img, pt("head"), int(round(BODY_LENGTHS["head"] * height * 4)),
               tuple(int(c) for c in colour * 0.95), -1, cv2.LINE_AA, shift=2)


def _posed_frames(spec: VideoSpec, n_frames: int, size: tuple[int, int], fps: float, rng: np.random.Generator):
    """Yield ``(i, t, figures)`` per frame, ``figures`` = ``[(pose, role, joints, fig_h)]`` far figures first.

    The one place that places dancers: :func:`render_video` draws them, :func:`pose_sequence` only keeps their
    joints, so both see the same motion (camera shake included: it is the first draw from ``rng``)."""
    h, w = size
    program, _ = PROGRAMS[spec.motion]
    shake = np.cumsum(rng.normal(0, spec.shake, (n_frames, 2)), axis=0) * 0.35
    shake -= shake.mean(axis=0)
    height = spec.scale * h
    for i in range(n_frames):
        t = i / fps
        figures = sorted(program(t, spec.tempo, spec.phase), key=lambda fr: fr[0].get("depth", 0.0))
        placed = []
        for pose, role in figures:
            fig_h = height * pose.get("scale", 1.0)
            cx = spec.centre_x * w + pose["dx"] * height + shake[i, 0]
            cy = spec.base_y * h + pose["dy"] * height + shake[i, 1]
            placed.append((pose, role, _joints(pose, cx, cy, fig_h), fig_h))
        yield i, t, placed


def _stack_by_role(placed: list) -> np.ndarray:
    """(2 figures, J, 2) joints, lead first; a single dancer fills both slots."""
    by_role = {role: np.stack(list(joints.values())) for _, role, joints, _ in placed}
    lead = by_role.get("lead", next(iter(by_role.values())))
    return np.stack([lead, by_role.get("follow", lead)])


def _stage(spec: VideoSpec, size: tuple[int, int]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The static stage of a video (background, a soft spotlight, the floor band) as float32, and its costumes."""
    h, w = size
    fam = FAMILIES[spec.family]
    jitter = np.array(spec.colour_jitter)
    bg = np.clip(np.array(fam["bg"]) + jitter, 0, 255)
    floor = np.clip(np.array(fam["floor"]) + jitter * 0.5, 0, 255)
    costumes = {role: np.clip(np.array(fam[role]) + jitter * 0.3, 0, 255) for role in ("lead", "follow")}
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    spot = np.exp(-(((xx - spec.centre_x * w) / (0.45 * w)) ** 2 + ((yy - 0.45 * h) / (0.7 * h)) ** 2))
    stage = bg[None, None, :] * (0.75 + 0.4 * spot[..., None])
    floor_top = int(h * (spec.base_y + spec.scale * 0.45))
    stage[floor_top:] = floor
    return np.clip(stage, 0, 255).astype(np.float32), costumes


def _expose(canvas: np.ndarray, spec: VideoSpec, t: float, rng: np.random.Generator) -> np.ndarray:
    """Lighting flicker and sensor noise on a drawn canvas → one uint8 frame."""
    light = spec.light * (1 + spec.flicker * math.sin(2 * math.pi * 0.5 * t + spec.phase))
    return np.clip(canvas * light + rng.normal(0, spec.noise, canvas.shape), 0, 255).astype(np.uint8)


def render_video(spec: VideoSpec, n_frames: int, size: tuple[int, int] = (96, 144), fps: float = 25.0,
                 return_joints: bool = False):
    """Render one video as uint8 RGB frames (T, H, W, 3); optionally also the joints (T, figures, J, 2),
    in pixels, lead dancer first (a single dancer fills both slots)."""
    h, w = size
    rng = np.random.default_rng(spec.seed)
    stage, costumes = _stage(spec, size)
    frames = np.empty((n_frames, h, w, 3), np.uint8)
    all_joints = []
    for i, t, placed in _posed_frames(spec, n_frames, size, fps, rng):
        canvas = stage.copy()
        for pose, role, joints, fig_h in placed:
            _draw_figure(canvas, joints, costumes[role], fig_h, pose["turn"])
        frames[i] = _expose(canvas, spec, t, rng)
        if return_joints:
            all_joints.append(_stack_by_role(placed))
    if return_joints:
        return frames, np.stack(all_joints).astype(np.float32)
    return frames


#: the joints of one figure, in the order :func:`render_video` returns them
JOINT_NAMES = ("hip", "neck", "head", "elbow_l", "hand_l", "knee_l", "foot_l", "elbow_r", "hand_r", "knee_r", "foot_r")


def figure_count(spec: VideoSpec) -> int:
    """How many dancers the video ``spec`` shows (1 or 2): what :func:`render_joints` needs to know."""
    program, _ = PROGRAMS[spec.motion]
    return len(program(0.0, spec.tempo, spec.phase))


def render_joints(spec: VideoSpec, joints: np.ndarray, size: tuple[int, int] = (96, 144), fps: float = 25.0,
                  figures: int = 2, start_frame: int = 0) -> np.ndarray:
    """Draw given joints (T, 2, 11, 2) pixels — lead first, as :func:`render_video` returns them — in the style of
    the video ``spec``: its stage, palette, body size, lighting and sensor noise. uint8 RGB (T, H, W, 3).

    The joints can come from anywhere (a generator's dance, brought to pixels): nothing of the motion program is
    used. Joints carry no turn, so the right side is always drawn as the near one, and the follower is drawn
    behind the lead; ``figures=1`` draws the lead only (:func:`figure_count` says which a video has). For a dancer
    who never turns, the frames are :func:`render_video`'s own (same noise stream). ``start_frame``: the video frame
    the first joints belong to (lighting and noise follow the video's clock)."""
    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 4 or joints.shape[1:] != (2, len(JOINT_NAMES), 2):
        raise ValueError(f"joints must be (frames, 2 figures, {len(JOINT_NAMES)}, 2) pixels; got {joints.shape}")
    if not np.isfinite(joints).all():
        raise ValueError("joints hold NaN or infinite values: nothing can be drawn there")
    if figures not in (1, 2):
        raise ValueError(f"figures must be 1 or 2; got {figures!r}")
    h, w = size
    rng = np.random.default_rng(spec.seed)
    rng.normal(0, spec.shake, (start_frame + len(joints), 2))   # render_video's first draw: its camera shake
    for _ in range(start_frame):                                   # and the noise of the frames before these
        rng.normal(0, spec.noise, (h, w, 3))
    stage, costumes = _stage(spec, size)
    height = spec.scale * h
    roles = ("follow", "lead")[2 - figures:]
    frames = np.empty((len(joints), h, w, 3), np.uint8)
    for i in range(len(joints)):
        canvas = stage.copy()
        for role in roles:
            placed = dict(zip(JOINT_NAMES, joints[i, 0 if role == "lead" else 1]))
            _draw_figure(canvas, placed, costumes[role], height, 0.0)
        frames[i] = _expose(canvas, spec, (start_frame + i) / fps, rng)
    return frames


def pose_sequence(spec: VideoSpec, n_frames: int, size: tuple[int, int] = (96, 144),
                  fps: float = 25.0) -> np.ndarray:
    """The joints :func:`render_video` would draw, without drawing: (T, 2 figures, J, 2) pixels, lead first."""
    rng = np.random.default_rng(spec.seed)
    return np.stack([_stack_by_role(placed) for _, _, placed in _posed_frames(spec, n_frames, size, fps, rng)]
                    ).astype(np.float32)
