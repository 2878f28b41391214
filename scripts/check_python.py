#!/usr/bin/env python3
"""Fail early, with a clear message, when the interpreter is outside pyproject.toml's ``requires-python``.

``make install`` runs it with the Python it is about to build ``.venv`` from. Deliberately free of imports
newer than Python 3.6 (no tomllib), so it can speak on the interpreters it rejects.
"""
import re
import sys
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def bounds(text):
    """(lowest, first unsupported) as (major, minor) tuples, from ``requires-python = ">=3.11,<3.14"``."""
    spec = re.search(r'^requires-python\s*=\s*"([^"]+)"', text, re.M).group(1)
    low = re.search(r">=\s*(\d+)\.(\d+)", spec)
    high = re.search(r"<\s*(\d+)\.(\d+)", spec)
    return (tuple(map(int, low.groups())) if low else (0, 0),
            tuple(map(int, high.groups())) if high else (99, 0), spec)


def supported(version, text):
    """True when ``version`` (major, minor) satisfies the ``requires-python`` line of pyproject ``text``."""
    low, high, _ = bounds(text)
    return low <= tuple(version[:2]) < high


def main():
    text = PYPROJECT.read_text()
    low, high, spec = bounds(text)
    here = sys.version_info[:2]
    if supported(here, text):
        return 0
    supported_list = ", ".join("3.%d" % m for m in range(low[1], high[1])) if low[0] == high[0] == 3 else spec
    sys.stderr.write(
        "\nPython %d.%d (%s) is not supported: this project needs Python %s (%s), the versions TensorFlow "
        "and the pinned packages exist for.\nInstall one (e.g. `pyenv install 3.11`, or conda: "
        "`conda env create -f environment.yml`) and run\n  make install PYTHON=python3.11\n\n"
        % (here[0], here[1], sys.executable, spec, supported_list))
    return 1


if __name__ == "__main__":
    sys.exit(main())
