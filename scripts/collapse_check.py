#!/usr/bin/env python
"""Train notebook 03's variants on all its feature types over many seeds and print the distribution of test
scores: does the training recipe ever collapse?

A run *collapses* when its test video accuracy is below half the median of its (feature type, variant) over all
the seeds trained here. ``make collapse-check`` runs it with ``params/default.yaml`` and 20 seeds (~15 minutes on
2 cores; not part of CI). ``--old-recipe`` trains as notebook 03 did before the fix (the input BatchNorm's moving
statistics start at Keras' 0 and 1 instead of the training data's), to see the collapses it had.

Writes what it measured to ``artifacts/collapse/<params>-<recipe>-<seeds>.json`` and exits 1 when any run
collapsed, so it can gate a change to the recipe.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from choreo_utils import classifier, config, pipeline, sweep
from choreo_utils import params as params_file
from choreo_utils.io_utils import write_json

#: Notebook 03's parameters this check reads from the parameter file (the rest are the data arguments).
TRAINING_KEYS = ("PRESET", "EPOCHS", "BATCH_SIZE", "LEARNING_RATE", "PATIENCE", "MIN_DELTA", "TRAIN_STRIDE",
                 "SWEEP_JOBS")


def collapsed(table: pd.DataFrame, column: str = "video_accuracy") -> pd.Series:
    """Whether each run's ``column`` is below half the median of its (features, variant) group."""
    median = table.groupby(["features", "variant"], sort=False)[column].transform("median")
    return table[column] < median / 2


def distribution(table: pd.DataFrame) -> pd.DataFrame:
    """Per (features, variant): seeds, test video accuracy min / 10th percentile / median / max, collapsed runs,
    and the median validation video accuracy (what a recipe may be chosen on)."""
    t = table.assign(collapsed=collapsed(table))
    g = t.groupby(["features", "variant"], sort=False)
    out = pd.DataFrame({
        "seeds": g.size(), "min": g["video_accuracy"].min(),
        "p10": g["video_accuracy"].quantile(0.1), "median": g["video_accuracy"].median(),
        "max": g["video_accuracy"].max(), "collapsed": g["collapsed"].sum().astype(int),
        "val median": g["val_video_accuracy"].median(), "val min": g["val_video_accuracy"].min(),
        "epochs (median)": g["epochs_run"].median()})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--params", default="params/default.yaml", help="parameter file (notebook 03's keys)")
    ap.add_argument("--seeds", type=int, default=20, help="seeds 0..N-1 for every feature type and variant")
    ap.add_argument("--old-recipe", action="store_true",
                    help="input BatchNorm statistics start at 0 and 1 (notebook 03 before the fix)")
    ap.add_argument("--jobs", type=int, default=None, help="worker processes (default: the file's SWEEP_JOBS)")
    args = ap.parse_args(argv)
    if args.seeds < 2:
        ap.error("--seeds must be at least 2 (a median of one run cannot show a collapse)")

    values = params_file.load(args.params, known=params_file.known())
    missing = [k for k in TRAINING_KEYS if k not in values]
    if missing:
        ap.error(f"{args.params} lacks notebook 03's {', '.join(missing)}")
    data_args = params_file.tuning_export_kwargs(values, args.params)
    data_args["train_stride"] = values["TRAIN_STRIDE"]            # notebook 03's stride, not 04's
    data_source = data_args.pop("data_source", "synthetic")
    data = pipeline.clip_data(data_source, **data_args)
    sets = pipeline.comparison_feature_sets(data, data_source, **data_args)
    params = dict(classifier.PRESETS[values["PRESET"]], epochs=values["EPOCHS"], batch_size=values["BATCH_SIZE"],
                  learning_rate=values["LEARNING_RATE"])
    seeds = list(range(args.seeds))
    recipe = "old" if args.old_recipe else "current"
    tables = []
    for name, arrays in sets.items():
        sw = sweep.seed_sweep(*arrays, params, seeds=seeds, epochs=values["EPOCHS"], patience=values["PATIENCE"],
                              min_delta=values["MIN_DELTA"], label=name, jobs=args.jobs or values["SWEEP_JOBS"],
                              bn_from_data=not args.old_recipe)
        tables.append(sw.table.assign(features=name))
    table = pd.concat(tables, ignore_index=True)
    dist = distribution(table)
    n_collapsed = int(dist["collapsed"].sum())
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(f"\n{args.params}, {len(seeds)} seeds per row, recipe: {recipe} "
              f"(input BatchNorm statistics {'0 and 1' if args.old_recipe else 'from the training data'})")
        print("test video accuracy over seeds; collapsed = below half the row's median")
        print(dist.round(3).to_string())
    worst = table.assign(collapsed=collapsed(table)).query("collapsed")
    for _, row in worst.iterrows():
        print(f"  collapsed: {row['features']} / {row['variant']} seed {row['seed']}: "
              f"{row['video_accuracy']:.3f} after {row['epochs_run']} epochs")
    print(f"collapsed runs: {n_collapsed} of {len(table)}")
    out = config.artifacts_dir() / "collapse" / f"{Path(args.params).stem}-{recipe}-{len(seeds)}seeds.json"
    write_json(out, {"params": args.params, "recipe": recipe, "seeds": seeds, "collapsed": n_collapsed,
                     "runs": table.replace({np.nan: None}).to_dict(orient="records"),
                     "distribution": dist.reset_index().to_dict(orient="records")})
    print(f"wrote {config.relative_to_root(out)}")
    return 1 if n_collapsed else 0


if __name__ == "__main__":
    sys.exit(main())
