"""The search space and the hypermodel: which hyperparameters are tuned, and how one set becomes a compiled BiLSTM.

:class:`SearchSpace` (default :data:`PAPER_SPACE`, the paper's code) declares the values; keras-tuner samples
them through :func:`declare_hyperparameters`; :func:`model_params` turns sampled values into
``classifier.build_classifier`` kwargs (``dense2 = dense1 // 2``); :class:`ClassifierHyperModel` is what a
tuner builds models with. Nothing here imports keras-tuner or TensorFlow until a model is built or sampled.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from choreo_utils.config import GENRES
from choreo_utils.tuning.errors import ConfigurationError


@dataclasses.dataclass(frozen=True)
class SearchSpace:
    """The hyperparameters tuned: BiLSTM units, first dense width (second = first // 2), activation, lr.

    Defaults are the paper's code (:data:`PAPER_SPACE`). Shrink it for a CPU with ``dataclasses.replace``,
    e.g. ``replace(PAPER_SPACE, units_max=128, dense_max=128)``. ``dropout`` is fixed unless you give a
    tuple of choices. ``bn_momentum`` is the input BatchNorm's moving-average momentum, a fixed model setting
    (not searched) that is part of a project's fingerprint: Keras's 0.99 leaves ~90% of the moving statistics at
    their initial values after 10 updates (a 2-epoch trial on ~540 clips at batch 128).
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
    bn_momentum: float = 0.99

    def __post_init__(self) -> None:
        for name in ("units", "dense"):
            lo, hi, step = (getattr(self, f"{name}_{k}") for k in ("min", "max", "step"))
            if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (lo, hi, step)):
                raise ConfigurationError(f"{name}_min/max/step must be whole numbers, got {lo}, {hi}, {step}")
            if not 1 <= lo <= hi or step < 1:
                raise ConfigurationError(f"need 1 ≤ {name}_min ≤ {name}_max and {name}_step ≥ 1, got {lo}, "
                                         f"{hi}, {step}")
        if self.dense_min // 2 < 1:
            raise ConfigurationError(f"dense_min={self.dense_min} leaves a second dense layer of {self.dense_min // 2} "
                                     "units (it is half the first): use dense_min ≥ 2")
        object.__setattr__(self, "activations", tuple(self.activations))
        object.__setattr__(self, "learning_rates", tuple(float(v) for v in self.learning_rates))
        if isinstance(self.dropout, (list, tuple)):
            object.__setattr__(self, "dropout", tuple(float(v) for v in self.dropout))
        if not self.activations or not self.learning_rates:
            raise ConfigurationError("activations and learning_rates need at least one value each")
        bad = [a for a in self.activations if a not in {"relu", "selu", "tanh", "elu", "gelu", "sigmoid", "swish"}]
        if bad:
            raise ConfigurationError(f"unknown activation(s) {bad}; use Keras names such as relu, selu, tanh")
        if not 0.0 <= float(self.bn_momentum) < 1.0:
            raise ConfigurationError(f"bn_momentum must be in [0, 1), got {self.bn_momentum}")
        object.__setattr__(self, "bn_momentum", float(self.bn_momentum))
        drops = self.dropouts
        if not drops or not all(0.0 <= d < 1.0 for d in drops):
            raise ConfigurationError(f"dropout must be in [0, 1), got {self.dropout}")

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
                ("dropout", ", ".join(f"{v:g}" for v in self.dropouts)),
                ("input BatchNorm momentum", f"{self.bn_momentum:g} (not searched)")]
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
                                 bn_momentum=self.space.bn_momentum, **params)
        model.run_eagerly = self.run_eagerly
        return model

    __call__ = build


def build_hypermodel(input_shape: Sequence[int], n_classes: int = len(GENRES), space: SearchSpace = PAPER_SPACE,
                     run_eagerly: bool = False) -> ClassifierHyperModel:
    """The hypermodel for clips of ``input_shape = (clip_len, feature_dim)``."""
    if len(input_shape) != 2:
        raise ConfigurationError(f"input_shape must be (clip_len, feature_dim), got {tuple(input_shape)}")
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

