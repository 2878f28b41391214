"""Notebook 07's study: every source's long dance from the same contexts, judged window by window, with intervals
and the one verdict rule of :mod:`choreo_utils.stats`.

* :func:`train_variants` — the generator and its ablations, each over its seeds;
* :func:`continuations` — the generated frames of every source: the generator's variants and the baselines
  (zero-velocity, repeat-the-last-cycle, nearest-neighbour retrieval with and without noise);
* :func:`summary` — per source and window, each yardstick's mean with its 95% interval (recognition over seeds
  *and* evaluation dances, the others over seeds), the recognition ratio to the real windows' and the targets;
* :func:`verdicts` — the paired comparisons the notebook states in words.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from choreo_utils import stats
from choreo_utils.choreography.baselines import nearest_neighbour, repeat_last_cycle, zero_velocity
from choreo_utils.choreography.generator import Generator, GeneratorConfig
from choreo_utils.choreography.poses import Dances

#: The generator's variants: the full model and its two ablations (config fields they change).
VARIANTS: dict[str, dict[str, Any]] = {"choreographer": {}, "teacher-forced": {"closed_loop": False},
                                       "no genre": {"conditioned": False}}
#: The baselines, deterministic but for the noise.
BASELINES = ("zero-velocity", "repeat-last-cycle", "nearest-neighbour", "nearest-neighbour + noise")
METRICS = ("recognition", "energy_ratio", "acceleration_ratio", "fid", "diversity", "multimodality", "nn_distance")


def _fit(task: tuple) -> tuple[dict[str, Any], float]:
    """One training (in this process or a worker): the trained generator's state and its seconds."""
    train, cfg, seed, label = task
    start = time.perf_counter()
    gen = Generator(train.poses.shape[2], train.genre_names, cfg, seed=int(seed)).fit(train, progress=label)
    return gen.state(), time.perf_counter() - start


def train_variants(train: Dances, config: GeneratorConfig, seeds: Sequence[int],
                   variants: Mapping[str, Mapping[str, Any]] | None = None, jobs: int = 1,
                   progress: bool = True) -> tuple[dict[str, list[Generator]], dict[str, list[float]]]:
    """Each variant (default :data:`VARIANTS`) trained on ``train`` under every seed: ``({variant: [generators]},
    {variant: [seconds per training]})``. ``jobs`` > 1 trains that many side by side in worker processes
    (:mod:`choreo_utils.workers`; one bar over the trainings): each training is seeded, so its generator does
    not depend on which process trained it."""
    from choreo_utils import workers  # noqa: PLC0415
    from choreo_utils.progress import bar  # noqa: PLC0415

    variants = dict(VARIANTS if variants is None else variants)
    tasks = [(name, seed, dataclasses.replace(config, **dict(change)))
             for name, change in variants.items() for seed in seeds]
    if int(jobs) > 1 and len(tasks) > 1:
        work = [(train, cfg, seed, False) for _, seed, cfg in tasks]
        done = list(bar(workers.pool(int(jobs)).map(_fit, work), total=len(work), unit="training",
                        desc="generators", disable=not progress))
    else:
        done = [_fit((train, cfg, seed, f"{name}, seed {seed}" if progress else False)) for name, seed, cfg in tasks]
    models: dict[str, list[Generator]] = {name: [] for name in variants}
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    for (name, _, _), (state, secs) in zip(tasks, done):
        models[name].append(Generator.from_state(state))
        seconds[name].append(secs)
    return models, seconds


def continuations(models: Mapping[str, Sequence[Generator]], context: np.ndarray, genres: Sequence[int],
                  horizon: int, library: np.ndarray, noise: float, seed: int = 0) -> dict[str, np.ndarray]:
    """``{source: (seeds, N, horizon, joints, 2)}``: each variant's dances under each of its seeds (the latent
    drawn under the model's seed), then the baselines from the same ``context`` (N, c, joints, 2); retrieval
    searches ``library``, the generator's training dances."""
    out = {name: np.stack([g.generate(context, genres, horizon, seed=g.seed) for g in gens])
           for name, gens in models.items()}
    out["zero-velocity"] = zero_velocity(context, horizon)[None]
    out["repeat-last-cycle"] = repeat_last_cycle(context, horizon)[None]
    out["nearest-neighbour"] = nearest_neighbour(context, library, horizon)[None]
    out["nearest-neighbour + noise"] = nearest_neighbour(context, library, horizon, noise=noise, seed=seed)[None]
    return out


def _paired(correct: Mapping[str, np.ndarray], mine: np.ndarray, against: str, k: int) -> np.ndarray:
    """``against``'s hits in window ``k`` shaped like ``mine`` (seeds, dances): seed by seed where both have the
    same seeds, else its mean over seeds (a deterministic baseline, the real windows) for every seed."""
    theirs = correct[against][:, :, k]
    return theirs if len(theirs) == len(mine) else np.broadcast_to(theirs.mean(axis=0), mine.shape)


def summary(result: Mapping[str, Any]) -> tuple[pd.DataFrame, dict]:
    """``(table, intervals)`` from :func:`~choreo_utils.choreography.judging.evaluate`'s result: one row per
    source × window with each yardstick's mean and its 95% interval as ``low``/``high`` columns, plus
    ``recognition_ratio`` (÷ the real windows'), ``diversity_ratio`` and ``multimodality_ratio`` (÷ real);
    ``intervals[(metric, source, window)]`` holds the :class:`~choreo_utils.stats.Interval` behind each."""
    table, correct = result["table"], result["correct"]
    labels = list(dict.fromkeys(table.window))
    rows, intervals = [], {}
    real = table[table.source == "real"].set_index("window")
    for source in dict.fromkeys(table.source):
        part = table[table.source == source]
        for k, lab in enumerate(labels):
            cell = part[part.window == lab]
            row = {"source": source, "window": lab, "seeds": len(cell)}
            for metric in METRICS:
                iv = (stats.paired_bootstrap(correct[source][:, :, k]) if metric == "recognition"
                      else stats.mean_interval(cell[metric].to_numpy(float)) if cell[metric].notna().all() else None)
                intervals[metric, source, lab] = iv
                row.update({metric: iv.mean if iv else np.nan, f"{metric}_low": iv.low if iv else np.nan,
                            f"{metric}_high": iv.high if iv else np.nan})
            row["recognition_ratio"] = row["recognition"] / real.loc[lab, "recognition"]
            row["diversity_ratio"] = row["diversity"] / real.loc[lab, "diversity"]
            row["multimodality_ratio"] = row["multimodality"] / real.loc[lab, "multimodality"]
            row["fid_floor"] = real.loc[lab, "fid"]
            rows.append(row)
    return pd.DataFrame(rows), intervals


def targets(row: Mapping[str, float]) -> dict[str, bool]:
    """Issue #26's targets for one source × window row of :func:`summary` (means; the intervals are beside)."""
    return {"recognition ≥ 0.9 × real": row["recognition_ratio"] >= 0.9,
            "energy 0.8–1.2": 0.8 <= row["energy_ratio"] <= 1.2,
            "acceleration 0.8–1.2": 0.8 <= row["acceleration_ratio"] <= 1.2,
            "diversity 0.8–1.2 × real": 0.8 <= row["diversity_ratio"] <= 1.2,
            "multimodality ≥ 0.5 × real": row["multimodality_ratio"] >= 0.5,
            "FID ≤ 3 × floor": row["fid"] <= 3 * row["fid_floor"]}


def verdicts(result: Mapping[str, Any], source: str = "choreographer",
             others: Sequence[str] = ("teacher-forced", "no genre", "zero-velocity", "repeat-last-cycle")
             ) -> dict[str, dict[str, tuple[stats.Interval, str]]]:
    """Per window: ``source``'s recognition against 0.9 × the real windows' (the target), against the real
    windows', and against each of ``others`` (paired by evaluation dance; seeds of a one-seed baseline repeated):
    ``{window: {comparison: (interval, verdict)}}``."""
    correct = result["correct"]
    labels = list(dict.fromkeys(result["table"].window))
    out: dict[str, dict[str, tuple[stats.Interval, str]]] = {}
    for k, lab in enumerate(labels):
        mine = correct[source][:, :, k]
        cell = {}
        for name, against, ratio in [("0.9 × real", "real", 0.9), ("real", "real", 1.0)] + [
                (o, o, 1.0) for o in others]:
            iv = stats.paired_bootstrap(mine, ratio * _paired(correct, mine, against, k))
            cell[name] = (iv, stats.verdict(iv, better=f"recognised more often than {name}",
                                            worse=f"recognised less often than {name}"))
        out[lab] = cell
    return out
