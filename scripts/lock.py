#!/usr/bin/env python
"""Write the constraints file (``make lock``): ``pip freeze`` of this environment, minus the project itself."""
from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

HEADER = """\
# The exact versions behind the committed results (notebooks, figures/, README's results table).
# `make install` installs with `-c requirements/constraints.txt`; regenerate with `make lock` after a deliberate
# upgrade, then run `make figures` so the committed numbers match. Python {python}, {machine} Linux.
"""


def main(out: str) -> int:
    frozen = subprocess.run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"], check=True,
                            capture_output=True, text=True).stdout.splitlines()
    pins = [line for line in frozen if line and not line.lower().startswith(("choreo", "-e "))]
    text = HEADER.format(python=platform.python_version(), machine=platform.machine()) + "\n".join(pins) + "\n"
    Path(out).write_text(text)
    print(f"{out}: {len(pins)} pinned packages")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "requirements/constraints.txt"))
