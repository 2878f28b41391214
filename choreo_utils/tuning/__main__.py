"""``python -m choreo_utils.tuning ...``: runs the command line of :mod:`choreo_utils.tuning.cli`."""
import sys

from choreo_utils.tuning.cli import main

sys.exit(main())
