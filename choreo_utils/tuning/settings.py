"""The settings of one search (:class:`SearchConfig`): tuner kind, space, seed, budget, batch size, patience.

Also :data:`OBJECTIVE` (the score every search maximizes) and :func:`resolve_config`, which turns a
``SearchConfig`` or a tuner kind plus keyword overrides into one ``SearchConfig`` (with a clear error for an
unknown setting). A project's fingerprint records :meth:`SearchConfig.identity`.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from choreo_utils.tuning.budget import HyperbandBudget, hyperband_budget
from choreo_utils.tuning.errors import ConfigurationError, UnknownSettingError
from choreo_utils.tuning.space import PAPER_SPACE, SearchSpace

#: The score every search maximizes: accuracy on the validation (held-out *training*) videos.
OBJECTIVE = "val_accuracy"


@dataclasses.dataclass(frozen=True)
class SearchConfig:
    """Everything that defines one search (besides data and folders).

    ``kind``: ``"hyperband"`` or ``"random"``. Hyperband uses ``max_epochs``/``factor``/``hyperband_iterations``.
    RandomSearch trains up to ``epochs`` per trial (default ``max_epochs``). With ``max_trials`` it runs that
    many trials; without (the matched comparison) it runs trials until the epochs it has *spent* reach
    Hyperband's epoch budget for the same ``max_epochs``/``factor``/``hyperband_iterations``
    (:attr:`epoch_budget`): a trial that stops early leaves its unused epochs to later trials, and the last trial
    is cut to the epochs that remain, so the total spent equals the budget exactly (unless the space runs out).
    Both: EarlyStopping on the objective (``val_accuracy``, mode max) with ``patience``; ``batch_size``; ``seed``.

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
            raise ConfigurationError(f"kind must be 'hyperband' or 'random', got {self.kind!r}")
        if isinstance(self.space, Mapping):
            object.__setattr__(self, "space", SearchSpace.from_dict(self.space))
        for name in ("max_epochs", "factor", "hyperband_iterations", "batch_size", "patience"):
            if int(getattr(self, name)) < (2 if name == "factor" else 1):
                raise ConfigurationError(f"{name} must be ≥ {2 if name == 'factor' else 1}, "
                                         f"got {getattr(self, name)}")
        for name in ("max_trials", "epochs"):
            if getattr(self, name) is not None and int(getattr(self, name)) < 1:
                raise ConfigurationError(f"{name} must be ≥ 1 or None, got {getattr(self, name)}")

    @property
    def budget(self) -> HyperbandBudget:
        """Hyperband's budget for ``max_epochs``/``factor``/``hyperband_iterations``."""
        return hyperband_budget(self.max_epochs, self.factor, self.hyperband_iterations)

    @property
    def epochs_per_trial(self) -> int:
        """RandomSearch epochs per trial."""
        return int(self.epochs or self.max_epochs)

    @property
    def epoch_budget(self) -> int | None:
        """RandomSearch without ``max_trials``: the epochs it spends (Hyperband's budget); otherwise None."""
        return self.budget.epochs if self.kind == "random" and not self.max_trials else None

    @property
    def planned_epochs(self) -> int:
        """Epochs this search plans to train (Hyperband's budget; random: its epoch budget or trials × epochs)."""
        if self.kind == "hyperband":
            return self.budget.epochs
        return self.epoch_budget or int(self.max_trials) * self.epochs_per_trial

    @property
    def trials(self) -> int:
        """Trials this search plans (Hyperband: from its brackets; random: ``max_trials``, or as many as the epoch
        budget needs when no trial stops early — early-stopped trials are refilled, so there may be more)."""
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
             "patience": self.patience, "objective": OBJECTIVE, "early_stopping": f"{OBJECTIVE}:max"}
        if self.kind == "hyperband":
            d |= {"max_epochs": self.max_epochs, "factor": self.factor,
                  "hyperband_iterations": self.hyperband_iterations}
        else:
            d |= {"epochs_per_trial": self.epochs_per_trial,   # trials refilled to spend the budget, or a count
                  "random_budget": "spent_epochs" if self.epoch_budget else "max_trials"}
        return d


def resolve_config(config: SearchConfig | str, overrides: Mapping[str, Any]) -> SearchConfig:
    """``config`` (a :class:`SearchConfig` or just its ``kind``) with ``overrides`` applied to its fields.

    Raises :class:`~choreo_utils.tuning.errors.UnknownSettingError` (a ``TypeError``) naming the fields
    when an override is not a ``SearchConfig`` field (e.g. a typo).
    """
    if isinstance(config, str):
        config = SearchConfig(kind=config)
    unknown = set(overrides) - {f.name for f in dataclasses.fields(SearchConfig)}
    if unknown:
        raise UnknownSettingError(f"unknown search setting(s) {sorted(unknown)}; SearchConfig has: "
                        f"{', '.join(f.name for f in dataclasses.fields(SearchConfig))}")
    return dataclasses.replace(config, **overrides) if overrides else config
