"""The genre catalogue of the synthetic set: eight palette families, and each genre's family, motion (in words)
and partner flag; :func:`describe_genres` shows it as a table.

Families are shared by pairs of genres, so a single frame narrows a video down to two genres at best.
"""
from __future__ import annotations

from choreo_utils.config import GENRES
from choreo_utils.synthetic.motion import PROGRAMS

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

#: Family names in a fixed order (a video with the appearance cue off draws one of them by position).
FAMILY_NAMES = tuple(FAMILIES)


def describe_genres() -> "pd.DataFrame":  # noqa: F821
    """A table of the synthetic genres: palette family, motion description, tempo, couple or solo."""
    import pandas as pd  # noqa: PLC0415

    rows = [{"genre": g, "family": GENRE_STYLE[g][0], "motion": GENRE_STYLE[g][1],
             "tempo_hz": PROGRAMS[g][1], "couple": GENRE_STYLE[g][2]} for g in GENRES]
    return pd.DataFrame(rows).set_index("genre")
