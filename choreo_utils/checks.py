"""Argument checks shared by every module: one place for the messages a learner sees on bad input."""
from __future__ import annotations

import numbers
from typing import Any


def positive_int(value: Any, name: str, minimum: int = 1) -> int:
    """``value`` as an ``int`` if it is a whole number ≥ ``minimum`` (not a bool); else a ``ValueError`` naming it."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {what}; got {value!r}")
    return int(value)
