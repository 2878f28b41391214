"""Hyperband budget arithmetic: how many trials and epochs keras-tuner's Hyperband really runs, and the matched
RandomSearch trial count that spends the same epochs.

keras-tuner's Hyperband ignores ``search(epochs=...)``: :func:`hyperband_budget` reproduces its bracket
arithmetic (``HyperbandOracle``) so a comparison can give RandomSearch the same epoch budget.
"""
from __future__ import annotations

import dataclasses
import math

import pandas as pd

from choreo_utils.tuning.errors import ConfigurationError


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
        """RandomSearch trials that spend the same epochs (default: ``max_epochs`` per trial; see
        :func:`matched_random_trials`)."""
        return matched_random_trials(self.epochs, epochs_per_trial or self.max_epochs)


def hyperband_budget(max_epochs: int = 10, factor: int = 3, hyperband_iterations: int = 1) -> HyperbandBudget:
    """Trials and epochs of keras-tuner's Hyperband (same arithmetic as ``HyperbandOracle``).

    A round-r trial continues the best round-(r-1) model from epoch ``epoch_from`` to ``epoch_to``, so it
    *runs* ``epoch_to - epoch_from`` epochs. Paper settings (10, 3): 30 trials, 120 epochs. EarlyStopping and
    duplicate samples in a tiny space can only make the real run smaller (see ``trial_table``'s ``epochs_run``).
    """
    if int(max_epochs) < 1 or int(factor) < 2 or int(hyperband_iterations) < 1:
        raise ConfigurationError(f"need max_epochs ≥ 1, factor ≥ 2, hyperband_iterations ≥ 1; got {max_epochs}, "
                                 f"{factor}, "
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
    """RandomSearch trials that spend exactly ``epoch_budget`` epochs at up to ``epochs_per_trial`` each: the
    budget divided by the epochs per trial, rounded *up* — the last trial is cut to the epochs that remain
    (120 epochs at 7 per trial: 17 trials of 7 and one of 1). Trials that stop early are refilled during the
    search (``tuners``), so a real search may run more trials than this."""
    if int(epochs_per_trial) < 1:
        raise ConfigurationError(f"epochs_per_trial must be ≥ 1, got {epochs_per_trial}")
    return max(1, -(-int(epoch_budget) // int(epochs_per_trial)))
