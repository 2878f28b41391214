#!/usr/bin/env python
"""Notebook 07's choreographer: how long one training and one dance take on this CPU.

In one run it prints, for notebook 07's default settings (params/default.yaml: its synthetic dances, id split and
generator configuration): the seconds of the first epoch (tracing and, with XLA, compiling the training step),
the seconds per epoch after it, the seconds of a whole training, and the seconds to generate one 120-frame dance
and a batch of them; with ``--compare`` also the same training without XLA. ``--jobs N`` then trains N × 2
generators side by side in N worker processes (``choreo_utils.workers``, as notebook 07's ``CHOREO_JOBS``) and
prints the wall time against training them one after another.

    .venv/bin/python benchmarks/bench_choreographer.py [--epochs 20] [--compare] [--jobs 2]
"""
from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np

from choreo_utils import params as params_file
from choreo_utils import profiling


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--params", default="params/default.yaml")
    ap.add_argument("--epochs", type=int, default=20, help="epochs per timed training (the notebook trains more)")
    ap.add_argument("--compare", action="store_true", help="also train without XLA")
    ap.add_argument("--jobs", type=int, default=0, help="also time 2 × JOBS trainings in JOBS worker processes")
    args = ap.parse_args()

    from choreo_utils import choreography, workers
    from choreo_utils.choreography import judging, study

    p = params_file.load(args.params)
    dances = choreography.synthetic_dances(p["CHOREO_VIDEOS_PER_GENRE"], p["SEED"],
                                           n_frames=p["CHOREO_CONTEXT"] + p["CHOREO_HORIZON"])
    gen_ids, _, eval_ids = judging.split_ids(dances, p["CHOREO_SPLIT"], seed=p["SEED"])
    train = dances.with_ids(gen_ids).first(p["CHOREO_TRAIN_FRAMES"])
    context = dances.with_ids(eval_ids).poses[:, :p["CHOREO_CONTEXT"]]
    config = choreography.GeneratorConfig(epochs=args.epochs, context=p["CHOREO_CONTEXT"],
                                          train_frames=p["CHOREO_TRAIN_FRAMES"])
    print(profiling.cpu_model())
    print(f"{len(train)} training dances of {train.poses.shape[1]} frames, {train.poses.shape[2]} joints; "
          f"batch {config.batch_size}, {args.epochs} epochs per timed training")
    for jit in ([True, False] if args.compare else [True]):
        cfg = dataclasses.replace(config, jit=jit)
        start = time.perf_counter()
        gen = choreography.Generator(train.poses.shape[2], train.genre_names, cfg, seed=0).fit(train,
                                                                                              progress=False)
        total = time.perf_counter() - start
        sec = gen.history["seconds"]
        full = sec[0] + np.median(sec[1:]) * (p["CHOREO_EPOCHS"] - 1)
        print(f"{'XLA' if jit else 'no XLA'}: first epoch {sec[0]:.2f} s (tracing{' and compiling' if jit else ''}),"
              f" then {np.median(sec[1:]):.3f} s per epoch; training {total:.1f} s "
              f"(the notebook's {p['CHOREO_EPOCHS']} epochs: ≈ {full:.0f} s)")
    start = time.perf_counter()
    gen.generate(context[:1], dances.with_ids(eval_ids).genres[:1], p["CHOREO_HORIZON"], seed=0)
    one = time.perf_counter() - start
    start = time.perf_counter()
    gen.generate(context, dances.with_ids(eval_ids).genres, p["CHOREO_HORIZON"], seed=0)
    print(f"generating one {p['CHOREO_HORIZON']}-frame dance: {one:.2f} s; {len(context)} dances at once: "
          f"{time.perf_counter() - start:.2f} s")
    if args.jobs > 1:
        seeds = list(range(args.jobs))
        variants = {"choreographer": {}, "teacher-forced": {"closed_loop": False}}
        start = time.perf_counter()
        study.train_variants(train, config, seeds, variants=variants, jobs=args.jobs, progress=False)
        side = time.perf_counter() - start
        workers.shutdown_pool()
        start = time.perf_counter()
        study.train_variants(train, config, seeds, variants=variants, jobs=1, progress=False)
        alone = time.perf_counter() - start
        print(f"{2 * len(seeds)} trainings: {side:.1f} s in {args.jobs} worker processes (pool start included) vs "
              f"{alone:.1f} s one after another: {alone / side:.2f}×")


if __name__ == "__main__":
    main()
