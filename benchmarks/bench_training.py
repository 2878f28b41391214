#!/usr/bin/env python
"""Training throughput of notebook 03's Table I BiLSTM against this CPU's compute-bound limit.

In one run it prints: the CPU, this machine's float32 GEMM rate (``profiling.gemm_gflops``, measured before and
after), the training FLOPs of one clip (counted layer by layer from the built model,
``profiling.classifier_train_flops``: forward multiply-adds of the BiLSTM's gates and of the dense layers, ×3 for
forward + backward), and for each way the package trains the model on notebook 03's features (params/default.yaml,
the pose-pretext CNN's features, cached by ``make figures``):

* ``fit_evaluate``: one training after another in this process, the compiled model reused across seeds;
* ``seed_sweep, jobs=N``: the sweep's worker processes, as notebook 03 runs it (SWEEP_JOBS);
* ``seed_sweep, towers``: every seed at once as towers of one compiled step (``choreo_utils.towers``), counting
  only the clips of towers still training (a tower that has stopped early is not counted);

the clips trained per second (training clips × epochs run ÷ training seconds), that rate ÷ the compute-bound
limit (GEMM rate ÷ FLOPs per clip), and the seconds per complete seed-sweep run (build, train, evaluate).

``--spread N`` (N ≥ 20) then trains seeds 0..N-1 both ways, one after another and as towers, and prints the two
distributions of test video accuracy side by side (mean, SD, quartiles, Kolmogorov–Smirnov and Levene tests):
towers are a fair sample of independent trainings only if the two agree.

    .venv/bin/python benchmarks/bench_training.py [--params params/default.yaml] [--seeds 4] [--jobs 2]
        [--spread 20]
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from choreo_utils import classifier, pipeline, profiling, runtime, sweep, workers
from choreo_utils import params as params_file


def main() -> None:
    with runtime.filtered_native_stderr():     # TensorFlow's benign native log lines (runtime.BENIGN_TF_STDERR)
        run_benchmark()


def run_benchmark() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--params", default="params/default.yaml", help="parameter file (notebook 03's keys)")
    ap.add_argument("--seeds", type=int, default=4, help="trainings per way (seeds 0..N-1)")
    ap.add_argument("--jobs", type=int, default=None, help="sweep worker processes (default: the file's SWEEP_JOBS)")
    ap.add_argument("--spread", type=int, default=0, help="also compare N seeds trained separately and as towers")
    args = ap.parse_args()

    values = params_file.load(args.params, known=params_file.known())
    data_args = params_file.tuning_export_kwargs(values, args.params)
    data_args["train_stride"] = values["TRAIN_STRIDE"]
    source = data_args.pop("data_source", "synthetic")
    data = pipeline.clip_data(source, progress=False, **data_args)
    train, val, test = (data.arrays(s) for s in ("train", "val", "test"))
    params = dict(classifier.PRESETS[values["PRESET"]], epochs=values["EPOCHS"], batch_size=values["BATCH_SIZE"],
                  learning_rate=values["LEARNING_RATE"])
    seeds = list(range(args.seeds))
    jobs = int(args.jobs or values["SWEEP_JOBS"])
    model = classifier.build_classifier(train[0].shape[1], train[0].shape[2], **classifier.model_kwargs(params))
    flops = profiling.classifier_train_flops(model)

    print(f"CPU: {profiling.cpu_model()}")
    gemm = profiling.gemm_gflops()
    print(f"GEMM float32: {gemm:.1f} GFLOP/s")
    print(f"Table I BiLSTM on {train[0].shape[1]} × {train[0].shape[2]} features ({data.extractor_label}): "
          f"{flops / 1e6:.1f} MFLOP per training clip (forward + backward); {len(train[0])} training clips, "
          f"batch {params['batch_size']}, up to {params['epochs']} epochs (patience {values['PATIENCE']})")
    limit = gemm * 1e9 / flops
    print(f"compute-bound limit: {limit:,.0f} clips/s\n")

    rows = []
    start = time.perf_counter()
    runs, reused = [], None
    for seed in seeds:
        run = classifier.fit_evaluate(train, val, test, params, seed=seed, patience=values["PATIENCE"],
                                      min_delta=values["MIN_DELTA"], progress=False, model=reused)
        reused = run["model"]
        runs.append(run)
    wall = time.perf_counter() - start
    clips = sum(len(train[0]) * r["epochs_run"] for r in runs)
    seconds = sum(r["seconds"] for r in runs)
    rows.append(("fit_evaluate, one process", clips / seconds, wall / len(seeds)))

    variants = {"BiLSTM": classifier.VARIANTS["BiLSTM"]}
    sweep.seed_sweep(train, val, test, params, seeds=seeds[:jobs], variants=variants, epochs=1, jobs=jobs)  # start
    start = time.perf_counter()
    sw = sweep.seed_sweep(train, val, test, params, seeds=seeds, variants=variants, patience=values["PATIENCE"],
                          min_delta=values["MIN_DELTA"], jobs=jobs)
    wall = time.perf_counter() - start
    table = sw.table
    clips = float((table["epochs_run"] * len(train[0])).sum())
    rows.append((f"seed_sweep, jobs={jobs}", clips / wall, wall / len(seeds)))   # side by side: wall clock
    workers.shutdown_pool()

    start = time.perf_counter()
    tw = sweep.seed_sweep(train, val, test, params, seeds=seeds, variants=variants, patience=values["PATIENCE"],
                          min_delta=values["MIN_DELTA"], towers=True, label="towers")
    wall = time.perf_counter() - start
    clips = float((tw.table["epochs_run"] * len(train[0])).sum())
    rows.append((f"seed_sweep, {len(seeds)} towers", clips / wall, wall / len(seeds)))

    print(f"{'way':28s} {'clips/s':>10s} {'÷ limit':>9s} {'s per run':>10s}")
    for name, rate, per_run in rows:
        print(f"{name:28s} {rate:10.0f} {rate / limit:9.3f} {per_run:10.2f}")
    gemm_after = profiling.gemm_gflops()
    print(f"\nGEMM after: {gemm_after:.1f} GFLOP/s (before {gemm:.1f})")
    accs = np.array([r["test"]["video_accuracy"] for r in runs])
    print(f"(test video accuracy over {len(seeds)} seeds, fit_evaluate: {accs.mean():.3f}; seed_sweep: "
          f"{table['video_accuracy'].mean():.3f}; towers: {tw.table['video_accuracy'].mean():.3f})")
    if args.spread:
        spread(train, val, test, params, values, int(args.spread))


def spread(train, val, test, params, values, n: int) -> None:
    """Test video accuracy of seeds 0..n-1 trained one after another and as towers, side by side."""
    from scipy import stats as sps

    seeds = list(range(n))
    variants = {"BiLSTM": classifier.VARIANTS["BiLSTM"]}
    kw = dict(variants=variants, patience=values["PATIENCE"], min_delta=values["MIN_DELTA"])
    apart = sweep.seed_sweep(train, val, test, params, seeds=seeds, label="one by one", **kw).table
    together = sweep.seed_sweep(train, val, test, params, seeds=seeds, towers=True, label="towers", **kw).table
    print(f"\nspread of {n} seeds (test video accuracy; epochs run):")
    print(f"{'':12s} " + " ".join(f"{h:>7s}" for h in ("mean", "SD", "min", "Q1", "median", "Q3", "max", "epochs")))
    for name, t in (("one by one", apart), ("towers", together)):
        a = t["video_accuracy"].to_numpy()
        q = np.percentile(a, [0, 25, 50, 75, 100])
        print(f"{name:12s} {a.mean():7.3f} {a.std(ddof=1):7.3f} " + " ".join(f"{v:7.3f}" for v in q)
              + f" {t['epochs_run'].mean():7.1f}")
    a, b = apart["video_accuracy"].to_numpy(), together["video_accuracy"].to_numpy()
    print(f"Kolmogorov–Smirnov p = {sps.ks_2samp(a, b).pvalue:.2f}; Levene (equal spread) p = "
          f"{sps.levene(a, b).pvalue:.2f}; Welch (equal means) p = {sps.ttest_ind(a, b, equal_var=False).pvalue:.2f}")


if __name__ == "__main__":
    main()
