"""Hyperparameter search for the paper's BiLSTM: Hyperband vs RandomSearch on keras-tuner, at matched budgets.

The pieces, in the order notebook 04 uses them::

    data = tuning.TuningData.from_clip_data(pipeline.clip_data(...))   # train + *val* videos, never test
    space = dataclasses.replace(tuning.PAPER_SPACE, units_max=128, dense_max=128)   # smaller for a CPU
    tuning.hyperband_budget(10, 3)              # 30 trials, 120 epochs: what keras-tuner will really run
    hb = tuning.run_search(data, "hyperband", space=space, seed=0)
    rs = tuning.run_search(data, "random", space=space, seed=0)   # max_trials matched to Hyperband's epochs
    hb.trials, hb.progress                      # pandas tables read from ``tuner.oracle``
    cmp = tuning.compare_tuners(data, seeds=(0, 1, 2), space=space)
    fig = viz.plot_tuner_comparison(cmp.progress)   # the paper's Fig 3

What keras-tuner does behind your back, and how this module deals with it:

- **Hyperband ignores** ``search(epochs=...)``: each trial trains from ``tuner/initial_epoch`` to
  ``tuner/epochs``. :func:`hyperband_budget` reproduces keras-tuner's bracket arithmetic, and every trial
  reports the epochs it really ran (``epochs_run``, EarlyStopping may stop early).
- ``results_summary()`` only prints: :func:`trial_table` builds a DataFrame from ``tuner.oracle``.
- An existing project is **resumed** unless ``overwrite=True`` — even one made with another search space or
  other data. Every project gets a fingerprint (``choreo_search.json``: search settings + data shape + data
  hash); resuming with different settings raises :class:`SearchMismatchError` instead of mixing searches.
- keras-tuner reads ``seed=0`` as "no seed" (``seed or random.randint(...)``): we pass ``seed + 1``.
- Per-trial fixed costs: keras-tuner runs ``clear_session()`` + ``gc.collect()`` before each model (that keeps
  memory flat; we freeze pre-existing objects during a search so those collections stay cheap), and Keras
  traces a new TensorFlow graph for each model (seconds on a CPU). Hyperband runs more, shorter trials than
  random search, so it pays these more often — visible in the wall-time panel of Fig 3, not the epoch panel.
  ``run_eagerly=True`` avoids the tracing; it only pays off on tiny data (tests, demos).
- Distributed mode (``KERASTUNER_TUNER_ID`` / ``KERASTUNER_ORACLE_IP`` / ``KERASTUNER_ORACLE_PORT``): workers
  wait up to an hour for an absent chief and spin on "IDLE" answers; the chief polls for the end every
  20 s. :func:`wait_for_chief` fails fast with the address, idle workers back off, and the chief here uses
  keras-tuner's own gRPC servicer with a quicker exit check. See :func:`launch_distributed` and the CLI::

      python -m choreo_utils.tuning export --params params/default.yaml --out artifacts/tuning/default.npz
      python -m choreo_utils.tuning launch --data artifacts/tuning/default.npz --workers 2
      python -m choreo_utils.tuning chief  --data D.npz --host 0.0.0.0 --port 8470     # machine A
      python -m choreo_utils.tuning worker --data D.npz --host A --port 8470 --tuner-id tuner0  # B, C, ...
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import gc
import hashlib
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from choreo_utils.config import GENRES

#: keras-tuner's gRPC environment variables (worker mode is switched on by KERASTUNER_ORACLE_IP).
ENV_TUNER_ID, ENV_ORACLE_IP, ENV_ORACLE_PORT = "KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT"
#: Fault injection for tests and demos: the worker whose tuner id is in CRASH_TUNER_ENV dies (exit code 17)
#: after the first epoch of its trial, once — the marker file CRASH_MARKER_ENV records that it happened.
CRASH_TUNER_ENV, CRASH_MARKER_ENV = "CHOREO_TUNING_CRASH_TUNER", "CHOREO_TUNING_CRASH_MARKER"
FINGERPRINT_FILE = "choreo_search.json"
OBJECTIVE = "val_accuracy"
#: Worker exit codes: a configuration error is not retried by the launcher; anything else non-zero is.
EXIT_CONFIG, EXIT_CHIEF_LOST, EXIT_CRASH = 3, 4, 17
_REPORTED = ("epochs_run", "epochs_planned", "epoch_from", "epoch_to", "trial_seconds", "best_epoch")


class SearchMismatchError(ValueError):
    """A project directory holds a search made with other settings or other data."""


class ChiefUnreachableError(ConnectionError):
    """A worker could not reach (or lost) the chief oracle."""


class ChiefLostError(ChiefUnreachableError):
    """A worker lost the chief in the middle of a search."""


class WorkerFailedError(RuntimeError):
    """A distributed worker kept dying, or the launcher gave up waiting."""


# ------------------------------------------------------------------------------------------ search space
@dataclasses.dataclass(frozen=True)
class SearchSpace:
    """The hyperparameters tuned: BiLSTM units, first dense width (second = first // 2), activation, lr.

    Defaults are the paper's code (:data:`PAPER_SPACE`). Shrink it for a CPU with ``dataclasses.replace``,
    e.g. ``replace(PAPER_SPACE, units_max=128, dense_max=128)``. ``dropout`` is fixed unless you give a
    tuple of choices.
    """

    units_min: int = 32
    units_max: int = 512
    units_step: int = 32
    dense_min: int = 32
    dense_max: int = 512
    dense_step: int = 32
    activations: tuple[str, ...] = ("relu", "selu", "tanh")
    learning_rates: tuple[float, ...] = (1e-2, 1e-3, 1e-4)
    dropout: float | tuple[float, ...] = 0.2

    def __post_init__(self) -> None:
        for name in ("units", "dense"):
            lo, hi, step = (getattr(self, f"{name}_{k}") for k in ("min", "max", "step"))
            if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (lo, hi, step)):
                raise ValueError(f"{name}_min/max/step must be whole numbers, got {lo}, {hi}, {step}")
            if not 1 <= lo <= hi or step < 1:
                raise ValueError(f"need 1 ≤ {name}_min ≤ {name}_max and {name}_step ≥ 1, got {lo}, {hi}, {step}")
        if self.dense_min // 2 < 1:
            raise ValueError(f"dense_min={self.dense_min} leaves a second dense layer of {self.dense_min // 2} "
                             "units (it is half the first): use dense_min ≥ 2")
        object.__setattr__(self, "activations", tuple(self.activations))
        object.__setattr__(self, "learning_rates", tuple(float(v) for v in self.learning_rates))
        if isinstance(self.dropout, (list, tuple)):
            object.__setattr__(self, "dropout", tuple(float(v) for v in self.dropout))
        if not self.activations or not self.learning_rates:
            raise ValueError("activations and learning_rates need at least one value each")
        bad = [a for a in self.activations if a not in {"relu", "selu", "tanh", "elu", "gelu", "sigmoid", "swish"}]
        if bad:
            raise ValueError(f"unknown activation(s) {bad}; use Keras names such as relu, selu, tanh")
        drops = self.dropouts
        if not drops or not all(0.0 <= d < 1.0 for d in drops):
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")

    @property
    def dropouts(self) -> tuple[float, ...]:
        """The dropout values searched (one value means fixed)."""
        return tuple(self.dropout) if isinstance(self.dropout, tuple) else (float(self.dropout),)

    def values(self, name: str) -> list:
        """All values one hyperparameter can take (``lstm_units``, ``dense1``, ``activation``, …)."""
        grid = {"lstm_units": list(range(self.units_min, self.units_max + 1, self.units_step)),
                "dense1": list(range(self.dense_min, self.dense_max + 1, self.dense_step)),
                "activation": list(self.activations), "learning_rate": list(self.learning_rates),
                "dropout": list(self.dropouts)}
        return grid[name]

    @property
    def size(self) -> int:
        """Number of distinct configurations (the paper's space: 16 × 16 × 3 × 3 = 2,304)."""
        return math.prod(len(self.values(n)) for n in ("lstm_units", "dense1", "activation", "learning_rate",
                                                       "dropout"))

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (tuples become lists)."""
        d = dataclasses.asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "SearchSpace":
        """Inverse of :meth:`to_dict`."""
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})

    def describe(self) -> pd.DataFrame:
        """One row per hyperparameter: the values searched (for the notebook)."""
        rows = [("lstm_units", f"{self.units_min}–{self.units_max} step {self.units_step}"),
                ("dense1", f"{self.dense_min}–{self.dense_max} step {self.dense_step}"),
                ("dense2", "dense1 // 2 (not searched)"),
                ("activation", ", ".join(self.activations)),
                ("learning_rate", ", ".join(f"{v:g}" for v in self.learning_rates)),
                ("dropout", ", ".join(f"{v:g}" for v in self.dropouts))]
        return pd.DataFrame(rows, columns=["hyperparameter", "values"]).set_index("hyperparameter")


#: The search space of the paper's code: LSTM 32–512/32, dense 32–512/32 (+ half), relu/selu/tanh, 1e-2..1e-4.
PAPER_SPACE = SearchSpace()


def declare_hyperparameters(hp, space: SearchSpace) -> dict[str, Any]:
    """Register ``space`` on a keras-tuner ``HyperParameters`` and return the model kwargs it yields."""
    units = hp.Int("lstm_units", space.units_min, space.units_max, step=space.units_step)
    dense1 = hp.Int("dense1", space.dense_min, space.dense_max, step=space.dense_step)
    activation = hp.Choice("activation", list(space.activations))
    lr = hp.Choice("learning_rate", list(space.learning_rates))
    drops = space.dropouts
    dropout = hp.Fixed("dropout", drops[0]) if len(drops) == 1 else hp.Choice("dropout", list(drops))
    return model_params({"lstm_units": units, "dense1": dense1, "activation": activation, "learning_rate": lr,
                         "dropout": dropout})


def model_params(values: Mapping[str, Any]) -> dict[str, Any]:
    """``classifier.build_classifier`` kwargs from hyperparameter values; ``dense2 = dense1 // 2`` (an int)."""
    dense1 = int(values["dense1"])
    return {"lstm_units": int(values["lstm_units"]), "dense1": dense1, "dense2": dense1 // 2,
            "activation": str(values["activation"]), "learning_rate": float(values["learning_rate"]),
            "dropout": float(values.get("dropout", 0.2))}


@dataclasses.dataclass
class ClassifierHyperModel:
    """keras-tuner hypermodel: ``build(hp)`` declares :class:`SearchSpace` and calls ``classifier.build_classifier``.

    A plain callable (keras-tuner wraps it), so building needs no keras-tuner import. ``input_shape`` is
    ``(clip_len, feature_dim)``.
    """

    input_shape: tuple[int, int]
    n_classes: int = len(GENRES)
    space: SearchSpace = PAPER_SPACE
    run_eagerly: bool = False

    def build(self, hp):
        """A compiled BiLSTM for the hyperparameters in ``hp``."""
        from choreo_utils.classifier import build_classifier  # noqa: PLC0415

        params = declare_hyperparameters(hp, self.space)
        model = build_classifier(int(self.input_shape[0]), int(self.input_shape[1]), n_classes=self.n_classes,
                                 **params)
        model.run_eagerly = self.run_eagerly
        return model

    __call__ = build


def build_hypermodel(input_shape: Sequence[int], n_classes: int = len(GENRES), space: SearchSpace = PAPER_SPACE,
                     run_eagerly: bool = False) -> ClassifierHyperModel:
    """The hypermodel for clips of ``input_shape = (clip_len, feature_dim)``."""
    if len(input_shape) != 2:
        raise ValueError(f"input_shape must be (clip_len, feature_dim), got {tuple(input_shape)}")
    return ClassifierHyperModel((int(input_shape[0]), int(input_shape[1])), int(n_classes), space, run_eagerly)


def sample_hyperparameters(space: SearchSpace = PAPER_SPACE, n: int = 5, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` random configurations from ``space`` (as keras-tuner samples them), as model kwargs."""
    import keras_tuner  # noqa: PLC0415

    hp = keras_tuner.HyperParameters()
    declare_hyperparameters(hp, space)
    out = []
    for i in range(n):
        values = {p.name: p.random_sample(seed * 10_007 + i * len(hp.space) + j) for j, p in enumerate(hp.space)}
        out.append(model_params(values))
    return out


# --------------------------------------------------------------------------------------------- budgets
@dataclasses.dataclass(repr=False)
class HyperbandBudget:
    """What keras-tuner's Hyperband will run: trials and epochs in total, and per bracket/round (``table``)."""

    max_epochs: int
    factor: int
    hyperband_iterations: int
    trials: int
    epochs: int
    table: pd.DataFrame

    def __repr__(self) -> str:
        return (f"HyperbandBudget(max_epochs={self.max_epochs}, factor={self.factor}, iterations="
                f"{self.hyperband_iterations}: {self.trials} trials, {self.epochs} epochs, "
                f"{self.table['bracket'].nunique()} brackets)")

    def random_trials(self, epochs_per_trial: int | None = None) -> int:
        """RandomSearch ``max_trials`` that spends the same epochs (default: ``max_epochs`` per trial)."""
        return matched_random_trials(self.epochs, epochs_per_trial or self.max_epochs)


def hyperband_budget(max_epochs: int = 10, factor: int = 3, hyperband_iterations: int = 1) -> HyperbandBudget:
    """Trials and epochs of keras-tuner's Hyperband (same arithmetic as ``HyperbandOracle``).

    A round-r trial continues the best round-(r-1) model from epoch ``epoch_from`` to ``epoch_to``, so it
    *runs* ``epoch_to - epoch_from`` epochs. Paper settings (10, 3): 30 trials, 120 epochs. EarlyStopping and
    duplicate samples in a tiny space can only make the real run smaller (see ``trial_table``'s ``epochs_run``).
    """
    if int(max_epochs) < 1 or int(factor) < 2 or int(hyperband_iterations) < 1:
        raise ValueError(f"need max_epochs ≥ 1, factor ≥ 2, hyperband_iterations ≥ 1; got {max_epochs}, {factor}, "
                         f"{hyperband_iterations}")
    max_epochs, factor = int(max_epochs), int(factor)
    n_brackets, e = 0, float(max_epochs)
    while e >= 1:                                     # HyperbandOracle._get_num_brackets (min_epochs = 1)
        e /= factor
        n_brackets += 1
    end0 = math.ceil(1 + math.log(max_epochs, factor))

    def size(b: int, r: int) -> int:                  # HyperbandOracle._get_size
        return math.ceil(end0 / (b + 1) * factor ** (b - r))

    def epochs(b: int, r: int) -> int:                # HyperbandOracle._get_epochs
        return math.ceil(max_epochs / factor ** (b - r))

    rows = []
    for it in range(int(hyperband_iterations)):
        for b in range(n_brackets - 1, -1, -1):      # most aggressive bracket first, as keras-tuner does
            for r in range(b + 1):
                frm = 0 if r == 0 else epochs(b, r - 1)
                to = epochs(b, r)
                rows.append({"iteration": it, "bracket": b, "round": r, "trials": size(b, r), "epoch_from": frm,
                             "epoch_to": to, "epochs_per_trial": to - frm, "epochs": size(b, r) * (to - frm)})
    table = pd.DataFrame(rows)
    return HyperbandBudget(max_epochs, factor, int(hyperband_iterations), int(table["trials"].sum()),
                           int(table["epochs"].sum()), table)


def matched_random_trials(epoch_budget: int, epochs_per_trial: int) -> int:
    """RandomSearch trials that fit ``epoch_budget`` epochs at ``epochs_per_trial`` each (at least 1)."""
    if int(epochs_per_trial) < 1:
        raise ValueError(f"epochs_per_trial must be ≥ 1, got {epochs_per_trial}")
    return max(1, int(epoch_budget) // int(epochs_per_trial))


# ---------------------------------------------------------------------------------------- configuration
@dataclasses.dataclass(frozen=True)
class SearchConfig:
    """Everything that defines one search (besides data and folders).

    ``kind``: ``"hyperband"`` or ``"random"``. Hyperband uses ``max_epochs``/``factor``/``hyperband_iterations``.
    RandomSearch trains ``epochs`` per trial (default ``max_epochs``) for ``max_trials`` trials — by default as
    many as fit Hyperband's epoch budget for the same ``max_epochs``/``factor`` (the matched comparison).
    Both: EarlyStopping on ``val_loss`` with ``patience``; ``batch_size``; ``seed``.

    ``run_eagerly=True`` skips building a TensorFlow graph for each new model. That tracing costs seconds per
    trial on a CPU (about 3–6 s here for the BiLSTM) whatever the data size, so it dominates tiny searches (tests,
    demos) — and it is a fixed cost per trial that weighs on Hyperband's many short trials in wall time. It
    changes speed, not results, so a project may be resumed with either value.
    """

    kind: str = "hyperband"
    space: SearchSpace = PAPER_SPACE
    seed: int = 0
    max_epochs: int = 10
    factor: int = 3
    hyperband_iterations: int = 1
    max_trials: int | None = None
    epochs: int | None = None
    batch_size: int = 128
    patience: int = 5
    run_eagerly: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("hyperband", "random"):
            raise ValueError(f"kind must be 'hyperband' or 'random', got {self.kind!r}")
        if isinstance(self.space, Mapping):
            object.__setattr__(self, "space", SearchSpace.from_dict(self.space))
        for name in ("max_epochs", "factor", "hyperband_iterations", "batch_size", "patience"):
            if int(getattr(self, name)) < (2 if name == "factor" else 1):
                raise ValueError(f"{name} must be ≥ {2 if name == 'factor' else 1}, got {getattr(self, name)}")
        for name in ("max_trials", "epochs"):
            if getattr(self, name) is not None and int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be ≥ 1 or None, got {getattr(self, name)}")

    @property
    def budget(self) -> HyperbandBudget:
        """Hyperband's budget for ``max_epochs``/``factor``/``hyperband_iterations``."""
        return hyperband_budget(self.max_epochs, self.factor, self.hyperband_iterations)

    @property
    def epochs_per_trial(self) -> int:
        """RandomSearch epochs per trial."""
        return int(self.epochs or self.max_epochs)

    @property
    def trials(self) -> int:
        """Trials this search runs at most (Hyperband: from its brackets; random: ``max_trials`` or matched)."""
        if self.kind == "hyperband":
            return self.budget.trials
        return int(self.max_trials) if self.max_trials else self.budget.random_trials(self.epochs_per_trial)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        d = dataclasses.asdict(self)
        d["space"] = self.space.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "SearchConfig":
        """Inverse of :meth:`to_dict`."""
        d = dict(d)
        d["space"] = SearchSpace.from_dict(d.get("space", {}))
        return cls(**d)

    def identity(self) -> dict[str, Any]:
        """The settings a resumed project must share (``max_trials`` may grow; other-kind settings ignored)."""
        d = {"kind": self.kind, "space": self.space.to_dict(), "seed": self.seed, "batch_size": self.batch_size,
             "patience": self.patience, "objective": OBJECTIVE}
        if self.kind == "hyperband":
            d |= {"max_epochs": self.max_epochs, "factor": self.factor,
                  "hyperband_iterations": self.hyperband_iterations}
        else:
            d |= {"epochs_per_trial": self.epochs_per_trial}
        return d


def _config(config: SearchConfig | str, overrides: Mapping[str, Any]) -> SearchConfig:
    if isinstance(config, str):
        config = SearchConfig(kind=config)
    unknown = set(overrides) - {f.name for f in dataclasses.fields(SearchConfig)}
    if unknown:
        raise TypeError(f"unknown search setting(s) {sorted(unknown)}; SearchConfig has: "
                        f"{', '.join(f.name for f in dataclasses.fields(SearchConfig))}")
    return dataclasses.replace(config, **overrides) if overrides else config


# ------------------------------------------------------------------------------------------------ data
@dataclasses.dataclass
class TuningData:
    """Training and validation clips for a search — validation videos are held-out *training* videos.

    The test split never enters tuning. Labels are integers; ``n_classes`` sets the one-hot width.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    n_classes: int = len(GENRES)
    source: str = ""

    def __post_init__(self) -> None:
        self.x_train, self.x_val = np.asarray(self.x_train), np.asarray(self.x_val)
        self.y_train, self.y_val = np.asarray(self.y_train, dtype=np.int64), np.asarray(self.y_val, dtype=np.int64)
        if self.x_train.ndim != 3 or self.x_val.ndim != 3 or self.x_train.shape[1:] != self.x_val.shape[1:]:
            raise ValueError(f"x_train/x_val must be (clips, clip_len, feature_dim) with equal clip shapes, got "
                             f"{self.x_train.shape} and {self.x_val.shape}")
        if len(self.x_train) != len(self.y_train) or len(self.x_val) != len(self.y_val):
            raise ValueError(f"{len(self.x_train)}/{len(self.x_val)} clips but {len(self.y_train)}/{len(self.y_val)} "
                             "labels (train/val)")
        if len(self.x_train) == 0:
            raise ValueError("no training clips")
        if len(self.x_val) == 0:
            raise ValueError("no validation clips: the search scores trials on held-out *training* videos — "
                             "use clip_data(val_ratio=...) > 0 so some training videos are held out")
        labels = np.concatenate([self.y_train, self.y_val])
        if labels.min() < 0 or labels.max() >= self.n_classes:
            raise ValueError(f"labels must lie in [0, {self.n_classes}), found {labels.min()}..{labels.max()}")

    @property
    def input_shape(self) -> tuple[int, int]:
        """(clip_len, feature_dim)."""
        return int(self.x_train.shape[1]), int(self.x_train.shape[2])

    @classmethod
    def from_clip_data(cls, data, n_classes: int = len(GENRES)) -> "TuningData":
        """From a ``pipeline.ClipData``: its ``train`` and ``val`` splits (checked to share no video)."""
        x_tr, y_tr, v_tr = data.arrays("train")
        x_va, y_va, v_va = data.arrays("val")
        shared = set(map(str, v_tr)) & set(map(str, v_va))
        if shared:
            raise ValueError(f"{len(shared)} videos are in both train and val (e.g. {sorted(shared)[:3]}): the "
                             "validation split must be grouped — use clips.validation_split")
        return cls(x_tr, y_tr, x_va, y_va, n_classes=n_classes, source=getattr(data, "extractor_label", ""))

    def fingerprint(self) -> str:
        """sha256 over shapes, dtypes, all labels and up to 64 evenly spaced clips of each split."""
        h = hashlib.sha256(f"n_classes={self.n_classes}".encode())
        for name in ("x_train", "y_train", "x_val", "y_val"):
            a = getattr(self, name)
            h.update(f"{name}{a.shape}{a.dtype.str}".encode())
            if a.ndim > 1 and len(a) > 64:
                a = a[np.linspace(0, len(a) - 1, 64).round().astype(int)]
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()

    def describe(self) -> dict[str, Any]:
        """Shape and fingerprint (what a project's ``choreo_search.json`` records about its data)."""
        return {"input_shape": list(self.input_shape), "n_classes": int(self.n_classes),
                "n_train": int(len(self.x_train)), "n_val": int(len(self.x_val)), "sha256": self.fingerprint()[:20]}

    def save(self, path: str | os.PathLike, meta: Mapping[str, Any] | None = None) -> Path:
        """Write an ``.npz`` (atomically) that distributed workers load instead of recomputing features."""
        from choreo_utils.io_utils import atomic_path  # noqa: PLC0415

        path = Path(path)
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, x_train=self.x_train, y_train=self.y_train, x_val=self.x_val, y_val=self.y_val,
                     n_classes=np.int64(self.n_classes), meta=np.array(json.dumps(dict(meta or {}))),
                     source=np.array(self.source))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "TuningData":
        """Read an ``.npz`` written by :meth:`save` (clear error for anything else)."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no tuning arrays at {path}: write them with TuningData.from_clip_data(...)"
                                    f".save('{path}') or `python -m choreo_utils.tuning export --out {path}`")
        with np.load(path, allow_pickle=False) as z:
            missing = {"x_train", "y_train", "x_val", "y_val"} - set(z.files)
            if missing:
                raise ValueError(f"{path} is not a tuning arrays file (missing {sorted(missing)}); write it with "
                                 "TuningData.save or `python -m choreo_utils.tuning export`")
            n_classes = int(z["n_classes"]) if "n_classes" in z.files else len(GENRES)
            return cls(z["x_train"], z["y_train"], z["x_val"], z["y_val"], n_classes=n_classes,
                       source=str(z["source"]) if "source" in z.files else str(path))

    @staticmethod
    def meta(path: str | os.PathLike) -> dict[str, Any]:
        """The ``meta`` dict stored by :meth:`save` ({} if none)."""
        with np.load(path, allow_pickle=False) as z:
            return json.loads(str(z["meta"])) if "meta" in z.files else {}


# --------------------------------------------------------------------------------- keras-tuner classes
@functools.lru_cache(maxsize=None)
def _kt() -> dict[str, type]:
    """Our tuner/oracle subclasses, built on first use so importing this module stays light."""
    import keras_tuner as kt  # noqa: PLC0415

    RUNNING, IDLE = "RUNNING", "IDLE"

    class TimedOracleMixin:
        """Records, on the oracle (the chief in distributed mode), when each trial was handed out and ended."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.choreo_times: dict[str, dict[str, Any]] = {}

        @kt.synchronized
        def create_trial(self, tuner_id):
            trial = super().create_trial(tuner_id)
            if trial.status == RUNNING:
                now = time.time()
                rec = self.choreo_times.setdefault(trial.trial_id, {"started": now, "attempts": 0})
                rec.update(tuner_id=tuner_id, last_start=now, attempts=rec["attempts"] + 1)
                rec.pop("ended", None)
                self.save()
            return trial

        @kt.synchronized
        def end_trial(self, trial):
            self.choreo_times.setdefault(trial.trial_id, {"started": time.time(), "attempts": 1})["ended"] = time.time()
            return super().end_trial(trial)

        def get_state(self):
            return super().get_state() | {"choreo_times": self.choreo_times}

        def set_state(self, state):
            super().set_state(state)
            self.choreo_times = dict(state.get("choreo_times", {}))

    class RandomOracle(TimedOracleMixin, kt.oracles.RandomSearchOracle):
        pass

    class HyperbandOracle(TimedOracleMixin, kt.oracles.HyperbandOracle):
        pass

    class RecordingTunerMixin:
        """Seeds each trial and reports the epochs it ran and its seconds.

        Memory stays flat because keras-tuner calls ``keras.backend.clear_session()`` and ``gc.collect()`` before
        building each trial's model (``Tuner._try_build``); we do not repeat it (a ``gc.collect()`` costs
        0.2–0.4 s with TensorFlow loaded, per call).
        """

        def __init__(self, hypermodel, oracle, *, run_seed=0, idle_sleep=0.5, on_trial_end=None, **kwargs):
            kt.Tuner.__init__(self, oracle=oracle, hypermodel=hypermodel, **kwargs)
            self._run_seed, self._on_trial_end_cb = int(run_seed), on_trial_end
            if self._is_worker():                     # keras-tuner re-asks at once on IDLE: back off instead
                client, ask = self.oracle, self.oracle.create_trial

                def create_trial(tuner_id):
                    trial = ask(tuner_id)
                    if trial.status == IDLE:
                        time.sleep(idle_sleep)
                    return trial

                client.create_trial = create_trial

        def run_trial(self, trial, *args, **kwargs):
            import keras  # noqa: PLC0415

            keras.utils.set_random_seed((self._run_seed * 100_003 + int(trial.trial_id)) % 2**31)
            values = trial.hyperparameters.values
            frm = int(values.get("tuner/initial_epoch", kwargs.get("initial_epoch", 0)))
            to = int(values.get("tuner/epochs", kwargs.get("epochs", 1)))
            if os.environ.get(CRASH_TUNER_ENV) == self.tuner_id and os.environ.get(CRASH_MARKER_ENV):
                kwargs["callbacks"] = [*kwargs.get("callbacks", []), _crash_once_callback(os.environ[CRASH_MARKER_ENV])]
            start = time.perf_counter()
            with warnings.catch_warnings():   # Hyperband continues a model from its weights, not optimizer state
                warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
                warnings.filterwarnings("ignore", message="__array__ implementation doesn't accept a copy")  # eager
                histories = super().run_trial(trial, *args, **kwargs)
            seconds = time.perf_counter() - start
            metrics = _best_epoch_metrics(histories)
            metrics.update(epochs_run=float(sum(len(h.epoch) for h in histories)), epoch_from=float(frm),
                           epoch_to=float(to), epochs_planned=float(to - frm), trial_seconds=float(seconds))
            return metrics

        def on_trial_end(self, trial):
            super().on_trial_end(trial)
            if self._on_trial_end_cb is not None:
                self._on_trial_end_cb(self, trial)

    class RandomSearch(RecordingTunerMixin, kt.RandomSearch):
        pass

    class Hyperband(RecordingTunerMixin, kt.Hyperband):
        pass

    return {"RandomOracle": RandomOracle, "HyperbandOracle": HyperbandOracle, "RandomSearch": RandomSearch,
            "Hyperband": Hyperband}


def _crash_once_callback(marker: str):
    import keras  # noqa: PLC0415

    class CrashOnce(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if not os.path.exists(marker):
                Path(marker).write_text(f"crashed pid {os.getpid()}\n")
                sys.stdout.flush()
                os._exit(EXIT_CRASH)

    return CrashOnce()


def _best_epoch_metrics(histories) -> dict[str, float]:
    """Metrics of the best-``val_accuracy`` epoch (averaged over executions), plus that epoch's index."""
    rows = []
    for h in histories:
        hist = h.history
        if OBJECTIVE not in hist:
            raise ValueError(f"training reported no {OBJECTIVE}: is validation data given? (got {sorted(hist)})")
        i = int(np.nanargmax(hist[OBJECTIVE]))
        rows.append({k: float(v[i]) for k, v in hist.items()} | {"best_epoch": float(h.epoch[i])})
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}


@contextlib.contextmanager
def _frozen_gc() -> Iterator[None]:
    """Exempt objects that exist before a search from garbage collection while it runs.

    keras-tuner calls ``gc.collect()`` twice per trial; with TensorFlow loaded each call walks millions of
    objects (0.2–0.4 s on 2 cores). Collecting once, then ``gc.freeze()``, makes those calls scan only what
    the search creates; ``gc.unfreeze()`` afterwards returns everything to normal collection.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _oracle_seed(seed: int) -> int:
    """keras-tuner treats seed=0 as 'pick a random seed' (``seed or random.randint``): shift by one."""
    return int(seed) + 1


def make_tuner(config: SearchConfig, input_shape: Sequence[int], n_classes: int = len(GENRES), *,
               directory: str | os.PathLike, project_name: str, overwrite: bool = False,
               on_trial_end: Callable | None = None, tuner_id: str | None = None):
    """A keras-tuner ``Hyperband`` or ``RandomSearch`` for ``config`` (subclasses that record timing/epochs).

    Low level: :func:`run_search` adds the fingerprint check, callbacks and tables. ``tuner.oracle`` holds the
    trials; ``tuner.oracle.choreo_times`` when each started/ended.
    """
    classes = _kt()
    hypermodel = build_hypermodel(input_shape, n_classes, config.space, config.run_eagerly)
    common = {"directory": str(directory), "project_name": project_name, "overwrite": overwrite,
              "run_seed": config.seed, "on_trial_end": on_trial_end, "tuner_id": tuner_id}
    if config.kind == "hyperband":
        oracle = classes["HyperbandOracle"](objective=OBJECTIVE, max_epochs=config.max_epochs, factor=config.factor,
                                            hyperband_iterations=config.hyperband_iterations,
                                            seed=_oracle_seed(config.seed))
        return classes["Hyperband"](hypermodel, oracle, **common)
    oracle = classes["RandomOracle"](objective=OBJECTIVE, max_trials=config.trials, seed=_oracle_seed(config.seed))
    return classes["RandomSearch"](hypermodel, oracle, **common)


# ------------------------------------------------------------------------------- project fingerprints
def default_directory() -> Path:
    """``artifacts/tuning`` (``artifacts/smoke/tuning`` in smoke mode)."""
    from choreo_utils.config import artifacts_dir  # noqa: PLC0415

    return artifacts_dir() / "tuning"


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, Mapping):
            out |= _flatten(v, f"{prefix}{k}.")
        else:
            out[f"{prefix}{k}"] = v
    return out


def _project_has_search(project_dir: Path) -> bool:
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
    return True


def _write_fingerprint(project_dir: Path, config: SearchConfig, data: TuningData) -> None:
    from choreo_utils.io_utils import write_json  # noqa: PLC0415

    path = project_dir / FINGERPRINT_FILE
    created = json.loads(path.read_text()).get("created") if path.is_file() else time.strftime("%Y-%m-%dT%H:%M:%S")
    write_json(path, {"created_by": "choreo_utils.tuning", "created": created, "search": config.identity(),
                      "data": data.describe(), "config": config.to_dict(), "data_source": data.source})


def _tensorboard_dir(directory: Path, project_name: str) -> Path:
    return Path(directory) / "tensorboard" / project_name


# ------------------------------------------------------------------------------------------- searching
@dataclasses.dataclass(repr=False)
class SearchResult:
    """A finished (or resumed) search: the tuner, its trial table and best-so-far progress."""

    config: SearchConfig
    project_dir: Path
    tuner: Any
    seconds: float
    trials: pd.DataFrame
    tensorboard_dir: Path | None = None
    workers: dict[str, list[int]] | None = None   # launch_distributed: each worker's exit codes, in order

    def __repr__(self) -> str:
        t = self.trials
        return (f"SearchResult({self.kind}, seed {self.seed}: {len(t)} trials "
                f"({int((t['status'] == 'COMPLETED').sum())} completed), {int(t['epochs_run'].sum())} epochs run, "
                f"best {OBJECTIVE} {t['score'].max():.4f}, {self.seconds:.0f} s; {self.project_dir})")

    @property
    def kind(self) -> str:
        return self.config.kind

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def progress(self) -> pd.DataFrame:
        """Best-so-far ``val_accuracy`` against cumulative epochs and wall time (see :func:`progress_table`)."""
        return progress_table(self.trials)

    @property
    def best_params(self) -> dict[str, Any]:
        """``classifier.build_classifier`` kwargs of the best trial (``dense2 = dense1 // 2``)."""
        done = self.trials[self.trials["status"] == "COMPLETED"]
        if done.empty:
            raise ValueError(f"no completed trial in {self.project_dir}")
        return model_params(done.loc[done["score"].idxmax()])

    @property
    def best_score(self) -> float:
        """Best validation accuracy found."""
        return float(self.trials["score"].max())

    def best_model(self):
        """The best trial's model with its best-epoch weights (``tuner.get_best_models(1)[0]``)."""
        if self.tuner is None:
            raise ValueError(f"this search ran in another process, so there is no live tuner: reload it with "
                             f"run_search(data, config, project_name={self.project_dir.name!r}, overwrite=False) "
                             "(finished trials are not re-run)")
        return self.tuner.get_best_models(1)[0]


def _progress_bar(total: int, desc: str, enabled: bool):
    if not enabled:
        return None
    from choreo_utils.progress import bar  # noqa: PLC0415

    return bar(total=total, desc=desc, unit="trial")


def _role() -> str:
    if ENV_ORACLE_IP not in os.environ:
        return "local"
    if ENV_ORACLE_PORT not in os.environ or ENV_TUNER_ID not in os.environ:
        raise RuntimeError(f"{ENV_ORACLE_IP} is set, so keras-tuner runs distributed, but {ENV_ORACLE_PORT} and "
                           f"{ENV_TUNER_ID} must be set too (e.g. {ENV_TUNER_ID}=chief or tuner0)")
    return "chief" if "chief" in os.environ[ENV_TUNER_ID] else "worker"


def _prepare(config: SearchConfig, data: TuningData, directory, project_name, overwrite: bool, role: str,
             tensorboard: bool) -> tuple[Path, Path | None]:
    directory = Path(directory) if directory is not None else default_directory()
    project_dir = directory / project_name
    tb_dir = _tensorboard_dir(directory, project_name) if tensorboard else None
    if overwrite:
        if role == "worker":
            raise ValueError("a worker must not overwrite: it would delete the chief's trials — overwrite on the "
                             "chief (or the launcher) only")
        for path in (project_dir, _tensorboard_dir(directory, project_name)):
            if path.exists():
                shutil.rmtree(path)
    if role == "worker":
        if (project_dir / FINGERPRINT_FILE).is_file():
            check_project(project_dir, config, data)
        else:
            warnings.warn(f"{project_dir / FINGERPRINT_FILE} not found: cannot check that this worker's data and "
                          "settings match the chief's. Workers on other machines need the chief's --directory on a "
                          "shared file system (Hyperband loads earlier trials' checkpoints from it).", stacklevel=3)
    else:
        check_project(project_dir, config, data)
        project_dir.mkdir(parents=True, exist_ok=True)
        _write_fingerprint(project_dir, config, data)
    return project_dir, tb_dir


def _reload_if_needed(tuner, project_dir: Path) -> None:
    """keras-tuner reloads a project only if ``<tuner_id>.json`` exists; a project written under another tuner id
    (e.g. a distributed chief's) would otherwise restart from trial 0 and overwrite it."""
    if not tuner.oracle.trials and (project_dir / "oracle.json").is_file() and any(project_dir.glob("trial_*")):
        tuner.oracle.reload()


def _callbacks(config: SearchConfig, tb_dir: Path | None) -> list:
    import keras  # noqa: PLC0415

    cbs = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience)]
    if tb_dir is not None:        # keras-tuner gives each trial its own log dir and adds the HParams callback
        cbs.append(keras.callbacks.TensorBoard(log_dir=str(tb_dir), write_graph=False, profile_batch=0))
    return cbs


def _search_kwargs(config: SearchConfig, data: TuningData, tb_dir: Path | None, verbose: int) -> dict[str, Any]:
    from choreo_utils.classifier import one_hot  # noqa: PLC0415

    kw = {"x": data.x_train, "y": one_hot(data.y_train, data.n_classes),
          "validation_data": (data.x_val, one_hot(data.y_val, data.n_classes)), "batch_size": config.batch_size,
          "callbacks": _callbacks(config, tb_dir), "verbose": verbose, "shuffle": True}
    if config.kind == "random":
        kw["epochs"] = config.epochs_per_trial      # Hyperband sets epochs per trial itself (it ignores ours)
    return kw


def run_search(data: TuningData, config: SearchConfig | str = "hyperband", *, directory=None,
               project_name: str | None = None, overwrite: bool = False, tensorboard: bool = True,
               verbose: int = 0, progress: bool = True, **settings) -> SearchResult:
    """Run (or resume) one search and return its trials; scoring is on the *validation* (training) videos.

    ``config`` is a :class:`SearchConfig` or just its ``kind``; keyword ``settings`` override its fields
    (``space``, ``seed``, ``max_epochs``, ``factor``, ``max_trials``, ``epochs``, ``batch_size``, ``patience``…).
    ``directory`` defaults to ``artifacts/tuning``, ``project_name`` to ``"<kind>-seed<seed>"``. With
    ``overwrite=False`` an existing matching project resumes (finished trials are kept, an interrupted one is
    retried under the same id); a project from other settings or data raises :class:`SearchMismatchError`.
    TensorBoard logs with HParams go to ``<directory>/tensorboard/<project_name>``; in a notebook:
    ``%load_ext tensorboard`` then ``%tensorboard --logdir artifacts/tuning/tensorboard`` (HPARAMS tab).

    ``verbose=1`` shows keras-tuner's own per-trial display and Keras progress bars (keras-tuner clears the
    notebook cell between trials); ``progress`` shows a one-line trial counter instead.

    Distributed: under keras-tuner's environment variables (``KERASTUNER_TUNER_ID=chief`` or ``tuner0``…,
    ``KERASTUNER_ORACLE_IP``, ``KERASTUNER_ORACLE_PORT``) the same call serves as the chief or runs as a worker.
    """
    config = _config(config, settings)
    project_name = project_name or f"{config.kind}-seed{config.seed}"
    role = _role()
    if role == "chief":
        return serve_chief(data, config, host=os.environ[ENV_ORACLE_IP], port=int(os.environ[ENV_ORACLE_PORT]),
                           directory=directory, project_name=project_name, overwrite=overwrite,
                           tensorboard=tensorboard)
    if role == "worker":
        run_worker(data, config, host=os.environ[ENV_ORACLE_IP], port=int(os.environ[ENV_ORACLE_PORT]),
                   tuner_id=os.environ[ENV_TUNER_ID], directory=directory, project_name=project_name,
                   tensorboard=tensorboard, verbose=verbose)
        project_dir = Path(directory or default_directory()) / project_name
        return SearchResult(config, project_dir, None, 0.0, trial_table(project_dir))
    project_dir, tb_dir = _prepare(config, data, directory, project_name, overwrite, role, tensorboard)
    bar = _progress_bar(config.trials, f"{config.kind} seed {config.seed}", progress)

    def tick(tuner, trial):
        if bar is not None:
            bar.update(1)
            best = tuner.oracle.get_best_trials(1)
            if best and best[0].score is not None:
                bar.set_postfix(best=f"{best[0].score:.3f}")

    tuner = make_tuner(config, data.input_shape, data.n_classes, directory=project_dir.parent,
                       project_name=project_name, on_trial_end=tick)
    _reload_if_needed(tuner, project_dir)
    if bar is not None:
        bar.update(sum(t.status in ("COMPLETED", "FAILED") for t in tuner.oracle.trials.values()))
    start = time.perf_counter()
    try:
        with _frozen_gc():
            tuner.search(**_search_kwargs(config, data, tb_dir, verbose))
    finally:
        if bar is not None:
            bar.close()
    return SearchResult(config, project_dir, tuner, time.perf_counter() - start, trial_table(tuner), tb_dir)


# ------------------------------------------------------------------------------------------ trial tables
_HP_COLUMNS = ("lstm_units", "dense1", "dense2", "activation", "learning_rate", "dropout")
_TABLE_COLUMNS = ("trial_id", "status", "score", "val_loss", "accuracy", "loss", *_HP_COLUMNS, "bracket", "round",
                  "from_trial", "epoch_from", "epoch_to", "epochs_planned", "epochs_run", "best_epoch", "tuner_id",
                  "attempts", "start_s", "end_s", "seconds")


def _record(trial_id: str, status: str, score, values: Mapping[str, Any], metric: Callable[[str], float | None],
            times: Mapping[str, Any], t0: float | None) -> dict[str, Any]:
    rec: dict[str, Any] = {"trial_id": str(trial_id), "status": status,
                           "score": float(score) if score is not None else np.nan}
    for name in ("val_loss", "accuracy", "loss", *_REPORTED):
        v = metric(name)
        rec[name] = float(v) if v is not None else np.nan
    for name in ("lstm_units", "dense1", "activation", "learning_rate", "dropout"):
        rec[name] = values.get(name)
    rec["dense2"] = int(values["dense1"]) // 2 if values.get("dense1") is not None else None
    rec["bracket"], rec["round"] = values.get("tuner/bracket"), values.get("tuner/round")
    rec["from_trial"] = values.get("tuner/trial_id")
    rec["tuner_id"], rec["attempts"] = times.get("tuner_id"), times.get("attempts")
    started, ended = times.get("started"), times.get("ended")
    rec["start_s"] = started - t0 if started is not None and t0 is not None else np.nan
    rec["end_s"] = ended - t0 if ended is not None and t0 is not None else np.nan
    rec["seconds"] = rec.pop("trial_seconds")
    return rec


def _frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(records, columns=list(_TABLE_COLUMNS))
    for col in ("lstm_units", "dense1", "dense2", "epoch_from", "epoch_to", "epochs_planned", "epochs_run",
                "best_epoch", "bracket", "round", "attempts"):
        df[col] = pd.array(pd.to_numeric(df[col], errors="coerce").round(), dtype="Int64")
    for col in ("learning_rate", "dropout"):
        df[col] = pd.to_numeric(df[col], errors="coerce")
    if df[["bracket", "round", "from_trial"]].isna().all().all():
        df = df.drop(columns=["bracket", "round", "from_trial"])   # RandomSearch: no brackets
    return df


def trial_table(source) -> pd.DataFrame:
    """One row per trial, in start order: hyperparameters, score (best ``val_accuracy``), status, epochs, timing.

    ``source`` is a tuner (read from ``tuner.oracle``), a :class:`SearchResult`, or a project directory (read
    from the oracle's JSON files — for distributed searches or earlier sessions). Columns: trial_id, status,
    score, val_loss/accuracy/loss (best epoch), lstm_units, dense1, dense2, activation, learning_rate, dropout,
    Hyperband's bracket/round/from_trial (the trial it continues), epoch_from/epoch_to/epochs_planned (the
    planned epoch range), epochs_run (really run; EarlyStopping may stop early), best_epoch, tuner_id, attempts,
    start_s/end_s (wall-clock seconds since the first trial started) and seconds (training time).
    """
    if isinstance(source, SearchResult):
        return source.trials
    if isinstance(source, (str, os.PathLike)):
        return _table_from_files(Path(source))
    oracle = getattr(source, "oracle", source)
    times = getattr(oracle, "choreo_times", {})
    t0 = min((t["started"] for t in times.values() if "started" in t), default=None)
    order = list(dict.fromkeys([*oracle.start_order, *oracle.trials]))
    records = []
    for tid in order:
        trial = oracle.trials[tid]

        def metric(name, trial=trial):
            return trial.metrics.get_last_value(name) if trial.metrics.exists(name) else None

        records.append(_record(tid, trial.status, trial.score, trial.hyperparameters.values, metric,
                               times.get(tid, {}), t0))
    return _frame(records)


def _table_from_files(project_dir: Path) -> pd.DataFrame:
    if not (project_dir / "oracle.json").is_file():
        raise FileNotFoundError(f"no keras-tuner project at {project_dir} (no oracle.json) — check the directory "
                                "and project_name")
    state = json.loads((project_dir / "oracle.json").read_text())
    times = state.get("choreo_times", {})
    t0 = min((t["started"] for t in times.values() if "started" in t), default=None)
    trials = {}
    for path in sorted(project_dir.glob("trial_*/trial.json")):
        t = json.loads(path.read_text())
        trials[t["trial_id"]] = t
    order = list(dict.fromkeys([*state.get("start_order", []), *sorted(trials)]))
    records = []
    for tid in order:
        if tid not in trials:
            continue
        t = trials[tid]
        metrics = t.get("metrics", {}).get("metrics", {})

        def metric(name, metrics=metrics):
            obs = metrics.get(name, {}).get("observations", [])
            return float(np.mean(obs[-1]["value"])) if obs else None

        records.append(_record(tid, t["status"], t.get("score"), t["hyperparameters"]["values"], metric,
                               times.get(tid, {}), t0))
    return _frame(records)


def progress_table(trials: pd.DataFrame) -> pd.DataFrame:
    """Best-so-far score as trials finish: cumulative epochs, wall-clock and summed training seconds.

    Rows are finished trials in the order they ended. ``cum_epochs`` adds every trial's ``epochs_run``
    (failed trials count 0), ``wall_seconds`` is the end time since the first trial started (a resumed search
    includes its pause), ``compute_seconds`` sums trial training times (≠ wall time with parallel workers).
    """
    done = trials[trials["status"].isin(["COMPLETED", "FAILED", "INVALID"])].copy()
    if done["end_s"].notna().all():
        done = done.sort_values("end_s", kind="stable")
    epochs = pd.to_numeric(done["epochs_run"], errors="coerce").fillna(0).astype(float)
    score = done["score"].where(done["status"] == "COMPLETED")
    return pd.DataFrame({"trial_id": done["trial_id"].to_numpy(), "status": done["status"].to_numpy(),
                         "score": score.to_numpy(float), "epochs_run": epochs.to_numpy(),
                         "cum_epochs": epochs.cumsum().to_numpy(),
                         "wall_seconds": done["end_s"].to_numpy(float),
                         "compute_seconds": done["seconds"].fillna(0).cumsum().to_numpy(float),
                         "best_so_far": score.cummax().ffill().to_numpy(float)})


# ------------------------------------------------------------------------------------------ comparison
@dataclasses.dataclass(repr=False)
class Comparison:
    """Hyperband and matched RandomSearch runs over several seeds."""

    results: list[SearchResult]
    budget: HyperbandBudget

    def __repr__(self) -> str:
        runs = "\n  ".join(map(repr, self.results))
        return f"Comparison({self.budget!r}):\n  {runs}"

    @property
    def trials(self) -> pd.DataFrame:
        """All trial tables, with ``tuner`` and ``seed`` columns."""
        return pd.concat([r.trials.assign(tuner=r.kind, seed=r.seed) for r in self.results], ignore_index=True)

    @property
    def progress(self) -> pd.DataFrame:
        """All progress tables with ``tuner`` and ``seed`` columns (input of ``viz.plot_tuner_comparison``)."""
        return pd.concat([r.progress.assign(tuner=r.kind, seed=r.seed) for r in self.results], ignore_index=True)

    def summary(self) -> pd.DataFrame:
        """Per tuner and seed: trials, epochs run, seconds, best score, and epochs/seconds to reach it."""
        return summarize_progress(self.progress)


def summarize_progress(progress: pd.DataFrame) -> pd.DataFrame:
    """Per (tuner, seed): trials, epochs, wall seconds, best score, epochs_to_best, seconds_to_best."""
    rows = []
    for (tuner, seed), p in progress.groupby(["tuner", "seed"], sort=True):
        best = p["best_so_far"].max()
        first = p[p["best_so_far"] >= best].iloc[0] if np.isfinite(best) else p.iloc[-1]
        rows.append({"tuner": tuner, "seed": seed, "trials": len(p), "epochs_run": p["epochs_run"].sum(),
                     "wall_seconds": p["wall_seconds"].max(), "best_score": best,
                     "epochs_to_best": first["cum_epochs"], "seconds_to_best": first["wall_seconds"]})
    return pd.DataFrame(rows)


def compare_tuners(data: TuningData, seeds: Sequence[int] = (0, 1, 2), *, directory=None, overwrite: bool = True,
                   tensorboard: bool = True, verbose: int = 0, progress: bool = True, prefix: str = "",
                   jobs: int = 1, **settings) -> Comparison:
    """Hyperband vs RandomSearch at the same epoch budget, for each seed (runs interleaved: hb, rs, hb, rs…).

    ``settings`` are :class:`SearchConfig` fields shared by both (``space``, ``max_epochs``, ``factor``,
    ``hyperband_iterations``, ``epochs``, ``batch_size``, ``patience``); RandomSearch gets
    ``hyperband_budget(...).epochs // epochs`` trials. Projects are ``<prefix><kind>-seed<seed>``.

    With the same seed both keras-tuner oracles draw the *same* sequence of random configurations (Hyperband's
    first bracket starts with random search's first trials), so each seed is a paired comparison: the
    difference is how each tuner spends its epochs. Seeds give the spread.

    ``jobs`` > 1 runs that many searches at once, each in its own process (``python -m choreo_utils.tuning
    search``). Every new model costs seconds of single-threaded graph tracing, so on 2 cores two searches at a
    time finish about 1.7× sooner. Epoch counts are unaffected; wall-clock seconds are then measured on a shared
    CPU (compare tuners by epochs). Logs: ``<directory>/<prefix>compare-logs/``. The results carry no live
    ``tuner``: reload one with ``run_search(..., overwrite=False)``.
    """
    base = _config("hyperband", settings)
    configs = [dataclasses.replace(base, kind=kind, seed=int(seed)) for seed in seeds for kind in ("hyperband", "random")]
    if int(jobs) > 1 and len(configs) > 1:
        return Comparison(_searches_in_processes(data, configs, jobs=int(jobs), directory=directory, prefix=prefix,
                                                 overwrite=overwrite, tensorboard=tensorboard, progress=progress),
                          base.budget)
    results = [run_search(data, cfg, directory=directory, project_name=f"{prefix}{cfg.kind}-seed{cfg.seed}",
                          overwrite=overwrite, tensorboard=tensorboard, verbose=verbose, progress=progress)
               for cfg in configs]
    return Comparison(results, base.budget)


def _searches_in_processes(data: TuningData, configs: Sequence[SearchConfig], *, jobs: int, directory, prefix: str,
                           overwrite: bool, tensorboard: bool, progress: bool) -> list[SearchResult]:
    """Run each search in a ``python -m choreo_utils.tuning search`` subprocess, ``jobs`` at a time."""
    directory = Path(directory) if directory is not None else default_directory()
    log_dir = directory / f"{prefix}compare-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    data_path = data.save(log_dir / "arrays.npz")
    names = [f"{prefix}{c.kind}-seed{c.seed}" for c in configs]
    env = _package_env(None)
    pending = list(zip(names, configs))
    running: dict[str, tuple[subprocess.Popen, float]] = {}
    seconds: dict[str, float] = {}
    tables: dict[str, pd.DataFrame] = {}   # read once, when a search has finished
    bar = _progress_bar(sum(c.trials for c in configs), f"{len(configs)} searches, {jobs} at a time", progress)

    def start(name: str, cfg: SearchConfig) -> None:
        cfg_path = log_dir / f"{name}.config.json"
        cfg_path.write_text(json.dumps(cfg.to_dict(), indent=2) + "\n")
        cmd = [sys.executable, "-m", "choreo_utils.tuning", "search", "--config", str(cfg_path), "--data",
               str(data_path), "--directory", str(directory), "--project-name", name] + \
            (["--overwrite"] if overwrite else []) + ([] if tensorboard else ["--no-tensorboard"])
        with open(log_dir / f"{name}.log", "w") as log:
            log.write(" ".join(cmd) + "\n")
            log.flush()
            running[name] = (subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                              stdin=subprocess.DEVNULL), time.perf_counter())

    def finished_trials() -> int:
        n = sum(int(t["status"].isin(["COMPLETED", "FAILED", "INVALID"]).sum()) for t in tables.values())
        for name in running:   # searches still going: poll their trial files
            for path in (directory / name).glob("trial_*/trial.json"):
                try:
                    n += json.loads(path.read_text()).get("status") in ("COMPLETED", "FAILED", "INVALID")
                except (OSError, ValueError):   # being written right now: counted on the next poll
                    pass
        return n

    try:
        while pending or running:
            while pending and len(running) < jobs:
                start(*pending.pop(0))
            time.sleep(1.0)
            for name, (proc, t0) in list(running.items()):
                if proc.poll() is None:
                    continue
                del running[name]
                seconds[name] = time.perf_counter() - t0
                if proc.returncode != 0:
                    log = log_dir / f"{name}.log"
                    raise RuntimeError(f"search {name} failed (exit code {proc.returncode}); the end of {log}:\n"
                                       f"{_tail(log)}")
                tables[name] = trial_table(directory / name)
            if bar is not None:
                bar.update(finished_trials() - bar.n)
    finally:
        for proc, _ in running.values():   # an error or an interrupt: stop the others (their finished trials stay)
            _stop(proc)
        if bar is not None:
            bar.close()
    return [SearchResult(cfg, directory / name, None, seconds[name], tables[name],
                         _tensorboard_dir(directory, name) if tensorboard else None)
            for name, cfg in zip(names, configs)]


# ------------------------------------------------------------------------------------------ distributed
def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_for_chief(host: str, port: int, timeout: float = 60.0) -> None:
    """Block until a gRPC server answers at ``host:port``; :class:`ChiefUnreachableError` after ``timeout`` s."""
    import grpc  # noqa: PLC0415

    address = f"{host}:{port}"
    channel = grpc.insecure_channel(address)
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        raise ChiefUnreachableError(
            f"no keras-tuner chief oracle answered at {address} within {timeout:g} s. Start the chief first "
            f"(`python -m choreo_utils.tuning chief --host 0.0.0.0 --port {port} ...`) and check "
            f"{ENV_ORACLE_IP}/{ENV_ORACLE_PORT}, the port and any firewall between the machines.") from None
    finally:
        channel.close()


@contextlib.contextmanager
def _env(values: Mapping[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update({k: str(v) for k, v in values.items()})
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_worker(data: TuningData, config: SearchConfig | str = "hyperband", *, host: str, port: int,
               tuner_id: str, directory=None, project_name: str | None = None, tensorboard: bool = True,
               verbose: int = 0, connect_timeout: float = 60.0, rpc_timeout: float = 600.0, **settings) -> int:
    """Run trials for the chief at ``host:port`` until it says stop, as keras-tuner worker ``tuner_id``.

    Sets keras-tuner's ``KERASTUNER_*`` variables for the duration. Fails fast with
    :class:`ChiefUnreachableError` naming the address if no chief answers within ``connect_timeout`` s, or if
    the chief goes away (an RPC gets no answer within ``rpc_timeout`` s; keras-tuner's own limit is an hour).
    Returns the number of trials this worker ran.
    """
    import grpc  # noqa: PLC0415

    config = _config(config, settings)
    if "chief" in tuner_id:
        raise ValueError(f"worker tuner_id must not contain 'chief' (got {tuner_id!r}); use tuner0, tuner1, …")
    project_name = project_name or f"{config.kind}-seed{config.seed}"
    wait_for_chief(host, port, connect_timeout)
    with _env({ENV_TUNER_ID: tuner_id, ENV_ORACLE_IP: host, ENV_ORACLE_PORT: str(port)}):
        from keras_tuner.src.distribute import oracle_client  # noqa: PLC0415  (keras-tuner's gRPC client)

        oracle_client.TIMEOUT = rpc_timeout
        project_dir, tb_dir = _prepare(config, data, directory, project_name, False, "worker", tensorboard)
        ran = []

        def log(tuner, trial):
            ran.append(trial.trial_id)
            print(f"{tuner_id}: trial {trial.trial_id} {trial.status}", flush=True)

        try:
            tuner = make_tuner(config, data.input_shape, data.n_classes, directory=project_dir.parent,
                               project_name=project_name, on_trial_end=log)
            with _frozen_gc():
                tuner.search(**_search_kwargs(config, data, tb_dir, verbose))
        except grpc.RpcError as exc:
            raise ChiefLostError(
                f"{tuner_id} lost the chief at {host}:{port} ({exc.code().name}): it stopped or the network "
                "dropped. Restart the chief on the same directory without --overwrite, then the workers: the "
                "search resumes and this worker's interrupted trial is retried under the same id.") from exc
    return len(ran)


def _serve(oracle, host: str, port: int, *, poll: float = 0.2, on_ready: Callable[[int], None] | None = None,
           on_poll: Callable[[], None] | None = None) -> None:
    """Serve ``oracle`` to workers with keras-tuner's gRPC servicer until the search is over.

    Same as keras-tuner's ``oracle_chief.start_server`` but listening check and exit are ours: it raises if
    the port cannot be bound and checks for the end every ``poll`` s (keras-tuner: every 20 s).
    """
    from concurrent import futures  # noqa: PLC0415

    import grpc  # noqa: PLC0415
    from keras_tuner.src import protos  # noqa: PLC0415
    from keras_tuner.src.distribute import oracle_chief  # noqa: PLC0415

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = oracle_chief.OracleServicer(oracle)
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError as exc:
        bound, err = 0, exc
    else:
        err = None
    if not bound:
        raise OSError(f"the chief could not listen on {host}:{port} ({err or 'port in use?'}); choose another "
                      "--port (or 0 for a free one with `launch`)")
    server.start()
    try:
        if on_ready is not None:
            on_ready(bound)
        while not (servicer.stop_triggered and oracle_chief.exit_chief(oracle)):
            if on_poll is not None:
                on_poll()
            time.sleep(poll)
    finally:
        server.stop(grace=1.0)


def serve_chief(data: TuningData, config: SearchConfig | str = "hyperband", *, host: str = "127.0.0.1",
                port: int = 8470, directory=None, project_name: str | None = None, overwrite: bool = False,
                tensorboard: bool = True, on_ready: Callable[[int], None] | None = None,
                on_poll: Callable[[], None] | None = None, **settings) -> SearchResult:
    """Be the chief: hold the oracle, hand trials to workers over gRPC, return when every trial is done.

    Checks/writes the project fingerprint first (so workers can check theirs), resumes a matching project
    unless ``overwrite``. Bind ``host="0.0.0.0"`` to accept workers from other machines.
    """
    config = _config(config, settings)
    project_name = project_name or f"{config.kind}-seed{config.seed}"
    project_dir, tb_dir = _prepare(config, data, directory, project_name, overwrite, "chief", tensorboard)
    saved = {k: os.environ.pop(k) for k in (ENV_TUNER_ID, ENV_ORACLE_IP, ENV_ORACLE_PORT) if k in os.environ}
    os.environ[ENV_TUNER_ID] = "chief"      # without the IP keras-tuner builds a local oracle: the one we serve
    try:
        tuner = make_tuner(config, data.input_shape, data.n_classes, directory=project_dir.parent,
                           project_name=project_name, tuner_id="chief")
    finally:
        os.environ.pop(ENV_TUNER_ID, None)
        os.environ.update(saved)
    _reload_if_needed(tuner, project_dir)
    tuner.oracle.verbose = 0
    tuner.save()
    start = time.perf_counter()
    _serve(tuner.oracle, host, int(port), on_ready=on_ready, on_poll=on_poll)
    tuner.oracle.save()
    return SearchResult(config, project_dir, tuner, time.perf_counter() - start, trial_table(tuner), tb_dir)


def _tail(path: Path, n: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def _package_env(extra: Mapping[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    for k in (ENV_TUNER_ID, ENV_ORACLE_IP, ENV_ORACLE_PORT):
        env.pop(k, None)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    env.update(extra or {})
    return env


def _stop(proc: subprocess.Popen, grace: float = 5.0) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(grace)


def launch_distributed(data: TuningData | str | os.PathLike, config: SearchConfig | str = "hyperband", *,
                       n_workers: int = 2, directory=None, project_name: str | None = None,
                       host: str = "127.0.0.1", port: int = 0, overwrite: bool = False, timeout: float | None = None,
                       max_restarts: int = 2, threads_per_worker: int | None = None, tensorboard: bool = True,
                       connect_timeout: float = 120.0, extra_env: Mapping[str, str] | None = None,
                       quiet: bool = False, **settings) -> SearchResult:
    """Distributed search on this machine: this process is the chief, ``n_workers`` subprocesses are workers.

    Workers are ``python -m choreo_utils.tuning worker`` processes (``KERASTUNER_TUNER_ID=tuner0…``) talking to
    the chief over gRPC at ``host:port`` (``port=0``: a free one). ``data`` is a :class:`TuningData` (saved next
    to the project) or an ``.npz`` path, so workers never recompute features. A worker that dies is restarted
    with the same tuner id (up to ``max_restarts`` times) and re-runs its unfinished trial under the same
    trial id; a configuration error (mismatched project, unreachable chief) is reported, not retried. Worker
    logs are in ``<directory>/<project_name>-logs/``. Everything started is stopped on return or error.
    Returns the chief's :class:`SearchResult` (trial table with each trial's ``tuner_id``).
    """
    config = _config(config, settings)
    project_name = project_name or f"{config.kind}-seed{config.seed}-distributed"
    directory = Path(directory) if directory is not None else default_directory()
    if int(n_workers) < 1:
        raise ValueError(f"n_workers must be ≥ 1, got {n_workers}")
    log_dir = directory / f"{project_name}-logs"
    if overwrite and log_dir.exists():
        shutil.rmtree(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    if isinstance(data, TuningData):
        data_path = data.save(log_dir / "arrays.npz")
    else:
        data_path, data = Path(data), TuningData.load(data)
    config_path = log_dir / "search-config.json"
    config_path.write_text(json.dumps(config.to_dict(), indent=2) + "\n")
    threads = threads_per_worker or max(1, (os.cpu_count() or 1) // int(n_workers))
    env = _package_env(extra_env)
    workers: dict[str, subprocess.Popen] = {}
    restarts = {f"tuner{i}": 0 for i in range(int(n_workers))}
    finished: set[str] = set()
    exits: dict[str, list[int]] = {tid: [] for tid in restarts}
    recorded: set[int] = set()
    all_exited_at: list[float] = []
    deadline = time.monotonic() + timeout if timeout else None
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    bound = {"port": port}

    def start(tuner_id: str) -> None:
        cmd = [sys.executable, "-m", "choreo_utils.tuning", "worker", "--config", str(config_path), "--data",
               str(data_path), "--directory", str(directory), "--project-name", project_name, "--host", host,
               "--port", str(bound["port"]), "--tuner-id", tuner_id, "--connect-timeout", str(connect_timeout),
               "--threads", str(threads)] + ([] if tensorboard else ["--no-tensorboard"])
        with open(log_dir / f"{tuner_id}.log", "a") as log:
            log.write(f"--- start {time.strftime('%H:%M:%S')} (restart {restarts[tuner_id]}): {' '.join(cmd)}\n")
            log.flush()
            workers[tuner_id] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                                 stdin=subprocess.DEVNULL, start_new_session=True)

    def on_ready(port_bound: int) -> None:
        bound["port"] = port_bound
        say(f"chief listening on {host}:{port_bound}; starting {n_workers} worker(s), logs in {log_dir}")
        for tuner_id in restarts:
            start(tuner_id)

    def on_poll() -> None:
        if deadline is not None and time.monotonic() > deadline:
            raise WorkerFailedError(f"distributed search did not finish within {timeout:g} s; logs in {log_dir}. "
                                    "Re-run the same command without overwrite to resume.")
        for tuner_id, proc in list(workers.items()):
            rc = proc.poll()
            if rc is None or tuner_id in finished:
                continue
            exits[tuner_id].append(rc)
            recorded.add(proc.pid)
            if rc == 0:
                finished.add(tuner_id)
                continue
            log = log_dir / f"{tuner_id}.log"
            if rc == EXIT_CONFIG:
                raise WorkerFailedError(f"worker {tuner_id} refused to start (configuration error); its log "
                                        f"{log} ends with:\n{_tail(log, 8)}")
            if restarts[tuner_id] >= max_restarts:
                raise WorkerFailedError(f"worker {tuner_id} died {restarts[tuner_id] + 1} times (last exit code "
                                        f"{rc}); its log {log} ends with:\n{_tail(log)}\nRe-run without overwrite "
                                        "to resume: its unfinished trial is retried under the same id.")
            restarts[tuner_id] += 1
            say(f"worker {tuner_id} exited with code {rc} mid-search; restarting it ({restarts[tuner_id]}/"
                f"{max_restarts}) — it resumes its unfinished trial")
            start(tuner_id)
        if workers and len(finished) == len(restarts):      # the chief's end check may lag by one poll
            all_exited_at.append(time.monotonic())
            if all_exited_at[-1] - all_exited_at[0] > 5.0:
                raise WorkerFailedError("all workers exited but the chief still has trials marked running; "
                                        f"logs in {log_dir}")

    try:
        result = serve_chief(data, config, host=host, port=port, directory=directory, project_name=project_name,
                             overwrite=overwrite, tensorboard=tensorboard, on_ready=on_ready, on_poll=on_poll)
        for proc in workers.values():                  # they were told to stop; give them a moment to exit
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                pass
    finally:
        for tuner_id, proc in workers.items():
            _stop(proc)
            if proc.pid not in recorded:
                exits[tuner_id].append(proc.returncode)
    result.workers = exits
    trials = result.trials
    dup = trials["trial_id"][trials["trial_id"].duplicated()].tolist()
    if dup:
        raise RuntimeError(f"trials recorded twice: {dup}")
    by = trials.groupby("tuner_id").size().to_dict() if "tuner_id" in trials else {}
    say(f"{len(trials)} trials ({(trials['status'] == 'COMPLETED').sum()} completed) in {result.seconds:.1f} s; "
        f"per worker: {by}; best {OBJECTIVE} {trials['score'].max():.4f}")
    return result


# -------------------------------------------------------------------------------------------------- CLI
def _export(params: str, out: str, force: bool = False) -> Path:
    """Features for a parameter set (train + val clips only) → ``out`` .npz; skipped if already made from it."""
    import inspect  # noqa: PLC0415

    import yaml  # noqa: PLC0415

    text = Path(params).read_text()
    meta = {"params_file": str(params), "params_sha256": hashlib.sha256(text.encode()).hexdigest()}
    if not force and Path(out).is_file():
        try:
            if TuningData.meta(out).get("params_sha256") == meta["params_sha256"]:
                print(f"{out} is up to date with {params}")
                return Path(out)
        except (OSError, ValueError, KeyError):
            pass
    from choreo_utils import pipeline  # noqa: PLC0415

    values = {k.lower(): v for k, v in (yaml.safe_load(text) or {}).items()}
    accepted = set(inspect.signature(pipeline.clip_data).parameters)
    kwargs = {k: v for k, v in values.items() if k in accepted}
    data = TuningData.from_clip_data(pipeline.clip_data(**kwargs))
    path = data.save(out, meta | {"clip_data": {k: v for k, v in kwargs.items()}})
    print(f"wrote {path}: {len(data.x_train)} train + {len(data.x_val)} val clips of shape {data.input_shape} "
          "(the test split is not included)")
    return path


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    g = common.add_argument_group("search (same on chief and workers)")
    g.add_argument("--config", help="JSON of SearchConfig (written by `launch`); overrides the flags below")
    g.add_argument("--data", help=".npz from `export` or TuningData.save")
    g.add_argument("--tuner", choices=("hyperband", "random"), default="hyperband")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--max-epochs", type=int, default=10)
    g.add_argument("--factor", type=int, default=3)
    g.add_argument("--hyperband-iterations", type=int, default=1)
    g.add_argument("--max-trials", type=int, help="random: default = Hyperband's epoch budget // --epochs")
    g.add_argument("--epochs", type=int, help="random: epochs per trial (default --max-epochs)")
    g.add_argument("--batch-size", type=int, default=128)
    g.add_argument("--patience", type=int, default=5)
    g.add_argument("--units", type=int, nargs=3, metavar=("MIN", "MAX", "STEP"), default=(32, 512, 32))
    g.add_argument("--dense", type=int, nargs=3, metavar=("MIN", "MAX", "STEP"), default=(32, 512, 32))
    g.add_argument("--activations", nargs="+", default=["relu", "selu", "tanh"])
    g.add_argument("--learning-rates", type=float, nargs="+", default=[1e-2, 1e-3, 1e-4])
    g.add_argument("--dropout", type=float, nargs="+", default=[0.2])
    g.add_argument("--directory", help="tuner directory (default artifacts/tuning); shared across machines")
    g.add_argument("--project-name")
    g.add_argument("--no-tensorboard", action="store_true")
    g.add_argument("--run-eagerly", action="store_true", help="no graph tracing per trial (tiny data only)")
    net = argparse.ArgumentParser(add_help=False)
    net.add_argument("--host", default=os.environ.get(ENV_ORACLE_IP, "127.0.0.1"),
                     help=f"chief address (${ENV_ORACLE_IP}); a chief for other machines: 0.0.0.0")
    net.add_argument("--port", type=int, default=int(os.environ.get(ENV_ORACLE_PORT, 0) or 0),
                     help=f"chief port (${ENV_ORACLE_PORT}; launch: 0 = a free port)")

    p = argparse.ArgumentParser(prog="python -m choreo_utils.tuning", description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=(
        "one machine:   launch --data D.npz --workers 2\n"
        "many machines: chief --data D.npz --host 0.0.0.0 --port 8470   (machine A)\n"
        "               worker --data D.npz --host A --port 8470 --tuner-id tuner0   (each other machine)\n"
        "               with --directory on a file system all machines share."))
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("export", help="compute features for a params file and save train+val arrays (.npz)")
    e.add_argument("--params", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--force", action="store_true")
    la = sub.add_parser("launch", parents=[common, net], help="chief in this process + N local worker processes")
    la.add_argument("--workers", type=int, default=2)
    la.add_argument("--overwrite", action="store_true")
    la.add_argument("--timeout", type=float)
    la.add_argument("--max-restarts", type=int, default=2)
    la.add_argument("--threads", type=int, help="TensorFlow threads per worker (default cores // workers)")
    s = sub.add_parser("search", parents=[common], help="one search in this process (compare_tuners(jobs=N) runs these)")
    s.add_argument("--overwrite", action="store_true")
    c = sub.add_parser("chief", parents=[common, net], help="serve the oracle to workers (blocks until done)")
    c.add_argument("--overwrite", action="store_true")
    w = sub.add_parser("worker", parents=[common, net], help="run trials for a chief")
    w.add_argument("--tuner-id", default=os.environ.get(ENV_TUNER_ID), help=f"tuner0, tuner1, … (${ENV_TUNER_ID})")
    w.add_argument("--connect-timeout", type=float, default=60.0)
    w.add_argument("--threads", type=int, help="TensorFlow intra-op threads for this worker")
    return p


def _config_from_args(a: argparse.Namespace) -> SearchConfig:
    if a.config:
        return SearchConfig.from_dict(json.loads(Path(a.config).read_text()))
    space = SearchSpace(*a.units, *a.dense, activations=tuple(a.activations), learning_rates=tuple(a.learning_rates),
                        dropout=a.dropout[0] if len(a.dropout) == 1 else tuple(a.dropout))
    return SearchConfig(kind=a.tuner, space=space, seed=a.seed, max_epochs=a.max_epochs, factor=a.factor,
                        hyperband_iterations=a.hyperband_iterations, max_trials=a.max_trials, epochs=a.epochs,
                        batch_size=a.batch_size, patience=a.patience, run_eagerly=a.run_eagerly)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``export``, ``search``, ``launch``, ``chief``, ``worker`` (see ``--help``)."""
    a = _parser().parse_args(argv)
    if a.command == "export":
        _export(a.params, a.out, a.force)
        return 0
    if not a.data:
        print("error: --data is required (an .npz from `python -m choreo_utils.tuning export`)", file=sys.stderr)
        return 2
    try:
        config = _config_from_args(a)
        if a.command == "worker" and a.threads:
            import tensorflow as tf  # noqa: PLC0415

            tf.config.threading.set_intra_op_parallelism_threads(a.threads)
            tf.config.threading.set_inter_op_parallelism_threads(min(2, a.threads))
        kw = {"directory": a.directory, "project_name": a.project_name, "tensorboard": not a.no_tensorboard}
        data = a.data if a.command == "launch" else TuningData.load(a.data)
        if a.command == "search":
            res = run_search(data, config, overwrite=a.overwrite, progress=False, **kw)
        elif a.command == "launch":
            res = launch_distributed(data, config, n_workers=a.workers, host=a.host,
                                     port=a.port, overwrite=a.overwrite, timeout=a.timeout,
                                     max_restarts=a.max_restarts, threads_per_worker=a.threads, **kw)
        elif a.command == "chief":
            if not a.port:
                print("error: the chief needs a fixed --port (workers must know it)", file=sys.stderr)
                return 2
            print(f"chief: serving on {a.host}:{a.port}", flush=True)
            res = serve_chief(data, config, host=a.host, port=a.port, overwrite=a.overwrite, **kw)
        else:
            if not a.tuner_id or not a.port:
                print(f"error: a worker needs --tuner-id and --port (or ${ENV_TUNER_ID}, ${ENV_ORACLE_PORT})",
                      file=sys.stderr)
                return 2
            n = run_worker(data, config, host=a.host, port=a.port, tuner_id=a.tuner_id,
                           connect_timeout=a.connect_timeout, **kw)
            print(f"{a.tuner_id}: done after {n} trial(s)")
            return 0
    except ChiefLostError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CHIEF_LOST
    except (SearchMismatchError, ChiefUnreachableError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except WorkerFailedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(res.trials.drop(columns=["accuracy", "loss"], errors="ignore").to_string(index=False))
    print(f"project: {res.project_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


def hyperband_claim(progress: pd.DataFrame) -> pd.DataFrame:
    """Per seed: the epochs (and seconds) Hyperband needed to reach RandomSearch's best validation accuracy.

    The paper's claim is that Hyperband finds good hyperparameters faster. ``epoch_ratio`` < 0.5 means Hyperband
    got there in under half of RandomSearch's epochs; NaN means it never reached it within the budget.
    """
    rows = []
    for seed, p in progress.groupby("seed", sort=True):
        hb, rs = p[p["tuner"] == "hyperband"], p[p["tuner"] == "random"]
        if hb.empty or rs.empty:
            continue
        rs_best = rs["best_so_far"].max()
        rs_first = rs[rs["best_so_far"] >= rs_best].iloc[0]
        reached = hb[hb["best_so_far"] >= rs_best]
        hb_epochs = float(reached["cum_epochs"].iloc[0]) if len(reached) else float("nan")
        hb_seconds = float(reached["wall_seconds"].iloc[0]) if len(reached) else float("nan")
        rows.append({"seed": seed, "random_best": rs_best, "hyperband_best": hb["best_so_far"].max(),
                     "random_epochs_to_best": float(rs_first["cum_epochs"]),
                     "hyperband_epochs_to_random_best": hb_epochs,
                     "epoch_ratio": hb_epochs / float(rs_first["cum_epochs"]),
                     "random_seconds_to_best": float(rs_first["wall_seconds"]),
                     "hyperband_seconds_to_random_best": hb_seconds})
    return pd.DataFrame(rows).set_index("seed")
