"""The exception that marks a *configuration* error in tuning: wrong arguments, settings, data or project.

A configuration error will fail the same way however often it is retried, so the command line exits with
``EXIT_CONFIG`` and the distributed launcher does not restart the worker. Any other exception is a *runtime*
failure (a non-zero exit that the launcher restarts, up to ``max_restarts``). Every check of arguments,
settings, data files and project folders in this package raises :class:`ConfigurationError` (or a subclass).
"""
from __future__ import annotations

from choreo_utils.io_utils import CorruptFileError


class ConfigurationError(ValueError):
    """Wrong arguments, settings, data or project folder: fix the call, a retry cannot help."""


class UnknownSettingError(ConfigurationError, TypeError):
    """A keyword that is not a :class:`~choreo_utils.tuning.settings.SearchConfig` field (e.g. a typo)."""


class DataFileNotFoundError(ConfigurationError, FileNotFoundError):
    """The tuning arrays file (``.npz``) does not exist."""


class CorruptProjectError(ConfigurationError, CorruptFileError):
    """A keras-tuner file of a project folder (``oracle.json``, a ``trial.json``) is truncated or not JSON."""
