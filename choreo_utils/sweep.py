"""Notebook 03's seed sweep: every variant of the classifier under every seed, on the same splits.

Each run is seeded, so its numbers do not depend on which process ran it or what ran before; one compiled model
per variant (and process) is re-initialised for each seed (``runtime.reinitialize``). ``jobs`` > 1 runs trainings
side by side in worker processes (started once per session, stopped at exit or by :func:`shutdown_pool`).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from choreo_utils import workers
from choreo_utils.classifier import (PRESETS, VARIANTS, SeedScores, Split, fit_evaluate, model_kwargs,
                                    per_class_report)

_WORKER_MODELS: dict[Any, Any] = {}      # inside a sweep worker process: one compiled model per architecture


def _sweep_run(task: tuple) -> dict[str, Any]:
    """One (variant, seed) training of a sweep; what comes back is small (no model)."""
    name, seed, variant, train_split, val_split, test_split, params, epochs, patience, min_delta, bn_from_data = task
    key = (name, train_split[0].shape[1:], repr(sorted(model_kwargs(params if not isinstance(params, str)
                                                                   else PRESETS[params]).items())))
    run = fit_evaluate(train_split, val_split, test_split, params, seed=seed, epochs=epochs, patience=patience,
                       min_delta=min_delta, progress=False, model=_WORKER_MODELS.get(key), bn_from_data=bn_from_data,
                       **variant)
    _WORKER_MODELS[key] = run["model"]
    return _scores(name, seed, run)


def _scores(name: str, seed: int, run: dict[str, Any]) -> dict[str, Any]:
    """What a sweep keeps of one training (``fit_evaluate`` or ``towers.fit_evaluate_towers``)."""
    res = run["test"]
    vp = res["video_probs"]
    return {"name": name, "seed": seed, "videos": list(vp.index),
            "correct": (vp.to_numpy().argmax(1) == res["video_labels"]).astype(float),
            "recall": per_class_report(res)["recall"].to_numpy(),
            "row": {"variant": name, "seed": seed, "video_accuracy": res["video_accuracy"],
                    "clip_accuracy": res["clip_accuracy"], "train_video_accuracy": run["train"]["video_accuracy"],
                    "val_video_accuracy": run["val"]["video_accuracy"] if "val" in run else float("nan"),
                    "epochs_run": run["epochs_run"], "seconds": run["seconds"]}}


def _tower_runs(tasks: list[tuple], desc: str) -> list[dict[str, Any]]:
    """The sweep's trainings as towers (``towers.fit_evaluate_towers``): one group per architecture (the variants
    with and without shuffled frames share one), results in the order of ``tasks``."""
    from choreo_utils.towers import fit_evaluate_towers  # noqa: PLC0415

    groups: dict[bool, list[tuple]] = {}
    for task in tasks:
        groups.setdefault(bool(task[2].get("temporal", True)), []).append(task)
    done: dict[tuple[str, int], dict[str, Any]] = {}
    for temporal, group in groups.items():
        _, _, _, train_split, val_split, test_split, params, epochs, patience, min_delta, bn_from_data = group[0]
        runs = fit_evaluate_towers(train_split, val_split, test_split, params, seeds=[t[1] for t in group],
                                   temporal=temporal, shuffle=[bool(t[2].get("shuffle", False)) for t in group],
                                   epochs=epochs, patience=patience, min_delta=min_delta, bn_from_data=bn_from_data,
                                   progress=f"{desc}: {len(group)} towers{'' if temporal else ', mean over frames'}")
        done.update({(t[0], t[1]): _scores(t[0], t[1], run) for t, run in zip(group, runs)})
    return [done[(t[0], t[1])] for t in tasks]


def seed_sweep(train_split: Split, val_split: Split | None, test_split: Split, params: str | dict = "table1",
               seeds: Sequence[int] = (0, 1, 2, 3, 4), variants: dict[str, dict[str, bool]] | None = None,
               epochs: int | None = None, patience: int | None = None, min_delta: float = 0.0, label: str = "",
               jobs: int = 1, bn_from_data: bool = True, towers: bool = False) -> SeedScores:
    """Train every variant under every seed on the same splits; each run is seeded, so its numbers do not depend
    on which process ran it or what ran before.

    One compiled model per variant (and process) is re-initialised for each seed (``runtime.reinitialize``: no
    second graph tracing). ``jobs`` > 1 runs trainings side by side in that many worker processes (started once
    per session, each with its share of the CPU threads; on 2 cores, 2 processes gave 1.7× here). The workers are
    started with ``spawn``: from a script, call it under ``if __name__ == "__main__":`` (notebooks need nothing).
    ``towers=True`` trains every seed of an architecture at once instead, as towers of one compiled step
    (:mod:`choreo_utils.towers`: each tower its own initialisation, batch order, dropout and early stopping;
    ``jobs`` is then unused).

    Returns :class:`~choreo_utils.classifier.SeedScores`: ``table`` (variant, seed, accuracies, epochs run,
    seconds), ``video_correct`` and ``recall`` per variant, the test ``videos`` (columns) and ``seeds`` (rows).
    """
    from choreo_utils.progress import bar  # noqa: PLC0415

    variants = VARIANTS if variants is None else variants
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seed_sweep needs at least one seed")
    tasks = [(name, seed, variants[name], train_split, val_split, test_split, params, epochs, patience, min_delta,
              bn_from_data) for name in variants for seed in seeds]
    desc = f"seeds × variants{' — ' + label if label else ''}"
    if towers:
        done = _tower_runs(tasks, desc)
    elif jobs > 1 and len(tasks) > 1:
        done = list(bar(workers.pool(int(jobs)).map(_sweep_run, tasks), total=len(tasks), desc=desc, unit="run"))
    else:
        done = [_sweep_run(t) for t in bar(tasks, desc=desc, unit="run")]
    videos = done[0]["videos"]
    if any(d["videos"] != videos for d in done):
        raise RuntimeError("seed_sweep: runs evaluated different test videos — the splits changed between runs")
    correct: dict[str, list] = {}
    recall: dict[str, list] = {}
    for d in done:
        correct.setdefault(d["name"], []).append(d["correct"])
        recall.setdefault(d["name"], []).append(d["recall"])
    return SeedScores(table=pd.DataFrame([d["row"] for d in done]),
                      video_correct={k: np.stack(v) for k, v in correct.items()}, videos=videos, seeds=seeds,
                      recall={k: np.stack(v) for k, v in recall.items()})
