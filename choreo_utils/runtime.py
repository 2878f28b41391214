"""The software a run used: package versions, printed in every notebook's Setup and stored with every metrics file.

Numbers are only repeatable with the same versions (``requirements/constraints.txt`` pins the ones behind the
committed results); this module says which ones actually ran.
"""
from __future__ import annotations

import platform
from importlib import metadata

#: Distributions whose versions can change a result (import name differs for some: see PyPI names).
TRACKED = ("tensorflow", "keras", "keras-tuner", "numpy", "pandas", "scikit-learn", "scikit-image",
           "opencv-python-headless", "matplotlib", "choreo-utils")


def versions() -> dict[str, str]:
    """``{"python": "3.11.7", "tensorflow": "2.21.0", ...}`` for the tracked packages that are installed."""
    out = {"python": platform.python_version()}
    for name in TRACKED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            if name == "opencv-python-headless":   # Colab ships opencv-python instead
                try:
                    out["opencv-python"] = metadata.version("opencv-python")
                except metadata.PackageNotFoundError:
                    pass
    return out


def versions_line(width: int = 100) -> str:
    """One line for a notebook's Setup section, e.g. ``Python 3.11.7 · tensorflow 2.21.0 · keras 3.15.1 · ...``."""
    v = versions()
    parts = [f"Python {v.pop('python')}"] + [f"{k} {val}" for k, val in v.items()]
    lines, line = [], ""
    for part in parts:   # wrapped at 100 characters, never inside a name
        if line and len(line) + 3 + len(part) > width:
            lines.append(line)
            line = part
        else:
            line = f"{line} · {part}" if line else part
    return "\n".join([*lines, line])
