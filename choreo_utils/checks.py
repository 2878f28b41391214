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


def size(value: Any, name: str = "size", allow_none: bool = False) -> tuple[int, int] | None:
    """``(height, width)`` from an int (square) or a pair of positive whole numbers (NumPy ints too); ``None``
    passes through when ``allow_none``. The one size check of the package: a ``ValueError`` naming ``name``."""
    if value is None and allow_none:
        return None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        hw: tuple = (value, value)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        hw = tuple(value)
    else:
        none = "None, " if allow_none else ""
        raise ValueError(f"{name} must be {none}an int (square) or (height, width); got {value!r}")
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v > 0 for v in hw):
        raise ValueError(f"{name} must contain positive integers (height, width); got {value!r}")
    return int(hw[0]), int(hw[1])
