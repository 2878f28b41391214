"""A search's project folder on disk and the resume guard.

keras-tuner **resumes** an existing project unless ``overwrite=True`` — even one made with another search
space or other data. Every project here gets a fingerprint (:data:`FINGERPRINT_FILE`: search settings + data
shape + data hash); :func:`check_project` raises :class:`SearchMismatchError` when a resume would mix two
searches. :func:`prepare_project` (a local search or a chief) and :func:`prepare_worker_project` (a distributed
worker) run that check before a tuner touches the folder.
"""
from __future__ import annotations

import json
import os
import shutil
import time
import warnings
from pathlib import Path
from typing import Any, Mapping

from choreo_utils.io_utils import CorruptFileError, read_json
from choreo_utils.tuning.data import TuningData
from choreo_utils.tuning.errors import ConfigurationError, CorruptProjectError
from choreo_utils.tuning.settings import SearchConfig

FINGERPRINT_FILE = "choreo_search.json"


class SearchMismatchError(ConfigurationError):
    """A project directory holds a search made with other settings or other data."""


def default_directory() -> Path:
    """``artifacts/tuning`` (``artifacts/smoke/tuning`` in smoke mode)."""
    from choreo_utils.config import artifacts_dir  # noqa: PLC0415

    return artifacts_dir() / "tuning"


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` → ``{"a.b": 1}`` (so a mismatch names the setting that differs)."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, Mapping):
            out |= _flatten(v, f"{prefix}{k}.")
        else:
            out[f"{prefix}{k}"] = v
    return out


def read_project_json(path: Path, what: str, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A keras-tuner JSON file of a project; :class:`CorruptProjectError` (naming the file and the fix) if it is
    truncated or not JSON. This package writes them atomically (``tuners.save_state_atomic``), but keras-tuner's
    own writer, used by older versions, emptied a file before writing it, so a kill could leave it empty."""
    try:
        return read_json(path, what, "the search cannot be resumed from this project; start it again with "
                         "overwrite=True (CLI: --overwrite) or under another project_name", required=required)
    except CorruptFileError as exc:
        raise CorruptProjectError(str(exc)) from exc.__cause__


def _project_has_search(project_dir: Path) -> bool:
    """Whether keras-tuner has written anything in ``project_dir``."""
    return project_dir.is_dir() and any(p.name == "oracle.json" or p.name.startswith(("trial_", "tuner"))
                                        for p in project_dir.iterdir())


def check_project(project_dir: str | os.PathLike, config: SearchConfig, data: TuningData) -> bool:
    """Raise :class:`SearchMismatchError` if ``project_dir`` holds a search with other settings or data.

    Returns True when there is a matching search to resume, False when the folder is new or empty.
    """
    project_dir = Path(project_dir)
    if not _project_has_search(project_dir):
        return False
    fp_path = project_dir / FINGERPRINT_FILE
    fix = ("pass overwrite=True (CLI: --overwrite) to start a new search there, or choose another project_name / "
           "directory")
    if not fp_path.is_file():
        raise SearchMismatchError(f"{project_dir} holds a keras-tuner project without {FINGERPRINT_FILE}, so it was "
                                  f"not made by choreo_utils.tuning and may use another space or data: {fix}")
    try:
        stored = json.loads(fp_path.read_text())
    except json.JSONDecodeError as exc:
        raise SearchMismatchError(f"{fp_path} is unreadable ({exc}): {fix}") from exc
    want = _flatten({"search": config.identity(), "data": data.describe()})
    have = _flatten({"search": stored.get("search", {}), "data": stored.get("data", {})})
    diffs = [f"{k}: project has {have.get(k, '—')!r}, this call has {want.get(k, '—')!r}"
             for k in sorted(set(want) | set(have)) if have.get(k) != want.get(k)]
    if diffs:
        what = "data" if all(d.startswith("data.") for d in diffs) else "search settings"
        raise SearchMismatchError(f"{project_dir} holds a search made with different {what} — resuming would mix "
                                  f"two searches:\n  " + "\n  ".join(diffs[:8]) + f"\n{fix}")
    if (project_dir / "oracle.json").is_file():          # keras-tuner would stop on a bare JSONDecodeError
        read_project_json(project_dir / "oracle.json", "keras-tuner oracle state")
    return True


def write_fingerprint(project_dir: Path, config: SearchConfig, data: TuningData) -> None:
    """Write ``project_dir``/:data:`FINGERPRINT_FILE` (keeping its first ``created`` time)."""
    from choreo_utils.io_utils import write_json  # noqa: PLC0415

    path = project_dir / FINGERPRINT_FILE
    created = json.loads(path.read_text()).get("created") if path.is_file() else time.strftime("%Y-%m-%dT%H:%M:%S")
    write_json(path, {"created_by": "choreo_utils.tuning", "created": created, "search": config.identity(),
                      "data": data.describe(), "config": config.to_dict(), "data_source": data.source})

def tensorboard_dir(directory: str | os.PathLike, project_name: str) -> Path:
    """Where a project's TensorBoard logs go: ``<directory>/tensorboard/<project_name>``."""
    return Path(directory) / "tensorboard" / project_name


def _project_paths(directory, project_name: str, tensorboard: bool) -> tuple[Path, Path, Path | None]:
    """(tuner directory, project folder, TensorBoard folder or None); ``directory`` defaults to artifacts/tuning."""
    directory = Path(directory) if directory is not None else default_directory()
    return directory, directory / project_name, tensorboard_dir(directory, project_name) if tensorboard else None


def prepare_project(config: SearchConfig, data: TuningData, directory, project_name: str, overwrite: bool,
                    tensorboard: bool) -> tuple[Path, Path | None]:
    """Get the folder ready for a local search or a chief: ``(project_dir, tensorboard_dir or None)``.

    ``overwrite`` deletes the project and its TensorBoard logs first; otherwise an existing project must match
    (:func:`check_project`). Then the fingerprint is (re)written, so workers can check theirs against it.
    """
    directory, project_dir, tb_dir = _project_paths(directory, project_name, tensorboard)
    if overwrite:
        for path in (project_dir, tensorboard_dir(directory, project_name)):
            if path.exists():
                shutil.rmtree(path)
    check_project(project_dir, config, data)
    project_dir.mkdir(parents=True, exist_ok=True)
    write_fingerprint(project_dir, config, data)
    return project_dir, tb_dir


def prepare_worker_project(config: SearchConfig, data: TuningData, directory, project_name: str,
                           tensorboard: bool) -> tuple[Path, Path | None]:
    """A worker's view of the chief's folder: ``(project_dir, tensorboard_dir or None)``.

    A worker never overwrites or writes the fingerprint (the chief owns the project); it checks its data and
    settings against the chief's fingerprint when it can see it, and warns when it cannot.
    """
    _, project_dir, tb_dir = _project_paths(directory, project_name, tensorboard)
    if (project_dir / FINGERPRINT_FILE).is_file():
        check_project(project_dir, config, data)
    else:
        warnings.warn(f"{project_dir / FINGERPRINT_FILE} not found: cannot check that this worker's data and "
                      "settings match the chief's. Workers on other machines need the chief's --directory on a "
                      "shared file system (Hyperband loads earlier trials' checkpoints from it).", stacklevel=3)
    return project_dir, tb_dir


def reload_if_needed(tuner, project_dir: Path) -> None:
    """Make ``tuner`` resume the trials stored in ``project_dir``.

    keras-tuner reloads a project only if ``<tuner_id>.json`` exists; a project written under another tuner id
    (e.g. a distributed chief's) would otherwise restart from trial 0 and overwrite it."""
    if not tuner.oracle.trials and (project_dir / "oracle.json").is_file() and any(project_dir.glob("trial_*")):
        tuner.oracle.reload()
