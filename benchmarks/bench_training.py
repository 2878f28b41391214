#!/usr/bin/env python
"""Training throughput of notebook 03's Table I BiLSTM against this CPU's compute-bound limit.

In one run it prints: the CPU, this machine's float32 GEMM rate (``profiling.gemm_gflops``, measured before and
after), the training FLOPs of one clip (counted layer by layer from the built model,
``profiling.classifier_train_flops``: forward multiply-adds of the BiLSTM's gates and of the dense layers, ×3 for
forward + backward), and for each way the package trains the model on notebook 03's features (params/default.yaml,
the pose-pretext CNN's features, cached by ``make figures``):

* ``fit_evaluate``: one training after another in this process, the compiled model reused across seeds;
* ``seed_sweep, jobs=N``: the sweep's worker processes, as notebook 03 runs it (SWEEP_JOBS);

the clips trained per second (training clips × epochs run ÷ training seconds), that rate ÷ the compute-bound
limit (GEMM rate ÷ FLOPs per clip), and the seconds per complete seed-sweep run (build, train, evaluate).

    .venv/bin/python benchmarks/bench_training.py [--params params/default.yaml] [--seeds 4] [--jobs 2]
"""
from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from choreo_utils import classifier, pipeline, profiling, runtime, sweep
from choreo_utils import params as params_file


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    with runtime.filtered_native_stderr():     # TensorFlow's benign native log lines (runtime.BENIGN_TF_STDERR)
        run_benchmark()


def run_benchmark() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--params", default="params/default.yaml", help="parameter file (notebook 03's keys)")
    ap.add_argument("--seeds", type=int, default=4, help="trainings per way (seeds 0..N-1)")
    ap.add_argument("--jobs", type=int, default=None, help="sweep worker processes (default: the file's SWEEP_JOBS)")
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

    print(f"CPU: {cpu_model()}, {os.cpu_count()} logical cores")
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
    sweep.shutdown_pool()

    print(f"{'way':28s} {'clips/s':>10s} {'÷ limit':>9s} {'s per run':>10s}")
    for name, rate, per_run in rows:
        print(f"{name:28s} {rate:10.0f} {rate / limit:9.3f} {per_run:10.2f}")
    gemm_after = profiling.gemm_gflops()
    print(f"\nGEMM after: {gemm_after:.1f} GFLOP/s (before {gemm:.1f})")
    accs = np.array([r["test"]["video_accuracy"] for r in runs])
    print(f"(test video accuracy over {len(seeds)} seeds, fit_evaluate: {accs.mean():.3f}; seed_sweep: "
          f"{table['video_accuracy'].mean():.3f})")


if __name__ == "__main__":
    main()
