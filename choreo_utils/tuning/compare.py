"""The paper's experiment: Hyperband vs RandomSearch at the same epoch budget over several seeds
(:func:`compare_tuners` → :class:`Comparison`), and the paper's claim measured on it (:func:`hyperband_claim`).

With ``jobs`` > 1 the searches run in ``python -m choreo_utils.tuning search`` processes, ``jobs`` at a time
(:func:`_searches_in_processes`, through ``processes.start_tuning_process``).
"""
from __future__ import annotations

import dataclasses
import json
import subprocess
import time
from pathlib import Path
from typing import Sequence

import pandas as pd

from choreo_utils.tuning.budget import HyperbandBudget
from choreo_utils.tuning.data import TuningData
from choreo_utils.tuning.processes import child_environment, log_tail, start_tuning_process, stop_process
from choreo_utils.tuning.project import default_directory, tensorboard_dir
from choreo_utils.tuning.results import SearchResult, summarize_progress, trial_table
from choreo_utils.tuning.search import run_search, trial_progress_bar
from choreo_utils.tuning.settings import SearchConfig, resolve_config


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
        """Per tuner and seed: trials, epochs planned and spent, seconds, best score, and epochs/seconds to it.

        ``epochs_planned`` is Hyperband's budget for both tuners; ``epochs_spent`` what each really trained.
        RandomSearch refills early-stopped trials until it has spent the budget; Hyperband cannot refill, so
        with early stopping it may spend less — compare ``epochs_to_best`` (counted in spent epochs).
        """
        return summarize_progress(self.progress, {(r.kind, r.seed): r.config.planned_epochs for r in self.results})


def compare_tuners(data: TuningData, seeds: Sequence[int] = (0, 1, 2), *, directory=None, overwrite: bool = False,
                   tensorboard: bool = True, verbose: int = 0, progress: bool = True, prefix: str = "",
                   jobs: int = 1, **settings) -> Comparison:
    """Hyperband vs RandomSearch at the same epoch budget, for each seed (runs interleaved: hb, rs, hb, rs…).

    ``settings`` are :class:`SearchConfig` fields shared by both (``space``, ``max_epochs``, ``factor``,
    ``hyperband_iterations``, ``epochs``, ``batch_size``, ``patience``); RandomSearch runs trials until it
    has *spent* ``hyperband_budget(...).epochs`` epochs (early-stopped trials refilled, the last trial cut to
    the epochs left; see :class:`SearchConfig`). ``summary()`` shows planned and spent epochs per tuner and seed.
    Projects are ``<prefix><kind>-seed<seed>``; like :func:`run_search`, existing ones are **resumed**
    (finished trials kept; one made with other settings or data raises ``SearchMismatchError``) unless
    ``overwrite=True``, which deletes them first.

    With the same seed both keras-tuner oracles draw the *same* sequence of random configurations (Hyperband's
    first bracket starts with random search's first trials), so each seed is a paired comparison: the
    difference is how each tuner spends its epochs. Seeds give the spread.

    ``jobs`` > 1 runs that many searches at once, each in its own process (``python -m choreo_utils.tuning
    search``). Every new model costs seconds of single-threaded graph tracing, so on 2 cores two searches at a
    time finish about 1.7× sooner. Epoch counts are unaffected; wall-clock seconds are then measured on a shared
    CPU (compare tuners by epochs). Logs: ``<directory>/<prefix>compare-logs/``. The results carry no live
    ``tuner``: reload one with ``run_search(..., overwrite=False)``.
    """
    base = resolve_config("hyperband", settings)
    configs = [dataclasses.replace(base, kind=kind, seed=int(seed))
               for seed in seeds for kind in ("hyperband", "random")]
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
    env = child_environment()
    pending = list(zip(names, configs))
    running: dict[str, tuple[subprocess.Popen, float]] = {}
    seconds: dict[str, float] = {}
    tables: dict[str, pd.DataFrame] = {}   # read once, when a search has finished
    bar = trial_progress_bar(sum(c.trials for c in configs), f"{len(configs)} searches, {jobs} at a time", progress)

    def start(name: str, cfg: SearchConfig) -> None:
        cfg_path = log_dir / f"{name}.config.json"
        cfg_path.write_text(json.dumps(cfg.to_dict(), indent=2) + "\n")
        args = ["search", "--config", str(cfg_path), "--data", str(data_path), "--directory", str(directory),
                "--project-name", name] + (["--overwrite"] if overwrite else []) + \
            ([] if tensorboard else ["--no-tensorboard"])
        running[name] = (start_tuning_process(args, log_dir / f"{name}.log", env), time.perf_counter())

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
                                       f"{log_tail(log)}")
                tables[name] = trial_table(directory / name)
            if bar is not None:
                bar.update(finished_trials() - bar.n)
    finally:
        for proc, _ in running.values():   # an error or an interrupt: stop the others (their finished trials stay)
            stop_process(proc)
        if bar is not None:
            bar.close()
    return [SearchResult(cfg, directory / name, None, seconds[name], tables[name],
                         tensorboard_dir(directory, name) if tensorboard else None)
            for name, cfg in zip(names, configs)]


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
