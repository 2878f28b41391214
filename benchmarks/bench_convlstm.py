#!/usr/bin/env python
"""Paper ConvLSTM vs our default (and our default without memory) on the same data and epochs: training seconds
per epoch, held-out one-step MSE.

Both models see the same training sequences (grayscale, 60×90 by default, shifted targets), for the same
number of epochs and batch size; both are scored on the same held-out videos (grouped by YouTube id) against
the copy-last-frame baseline (and linear extrapolation). The first epoch includes graph tracing, so seconds per epoch
are the mean over
the later epochs (over all of them when there is only one). The last line prints both ratios:

    speed ratio (paper s/epoch ÷ default s/epoch) = …; MSE ratio (default ÷ paper) = …

Run from the repository root (about 15 minutes on 2 CPU cores with the defaults; the paper configuration
dominates)::

    .venv/bin/python benchmarks/bench_convlstm.py
    .venv/bin/python benchmarks/bench_convlstm.py --train-seqs 8 --epochs 2 --seq-len 6   # a quick look
"""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from choreo_utils import datasets, prediction
from choreo_utils.io_utils import save_metrics


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--videos-per-genre", type=int, default=24, help="synthetic dataset size (shared cache)")
    ap.add_argument("--pred-videos-per-genre", type=int, default=10, help="videos per genre used here")
    ap.add_argument("--size", type=int, nargs=2, default=list(prediction.PAPER_SIZE), metavar=("H", "W"))
    ap.add_argument("--seq-len", type=int, default=10, help="frames per sequence (the paper's shortest: 10)")
    ap.add_argument("--train-seqs", type=int, default=32, help="training sequences (the paper model is slow)")
    ap.add_argument("--test-seqs", type=int, default=36, help="held-out sequences scored (spread over the videos)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--test-ratio", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    index = datasets.load_frame_index("synthetic", videos_per_genre=args.videos_per_genre, seed=args.seed,
                                      progress=False)
    table = prediction.split_sequences(
        prediction.sequence_table(index, args.seq_len, videos_per_genre=args.pred_videos_per_genre, seed=args.seed),
        test_ratio=args.test_ratio, seed=args.seed)
    seqs = prediction.load_sequences(index, table, size=tuple(args.size))
    is_train = (table["split"] == "train").to_numpy()
    rng = np.random.default_rng(args.seed)
    train = seqs[is_train][rng.permutation(int(is_train.sum()))[:args.train_seqs]]
    test_rows = table[~is_train].reset_index(drop=True)
    test = seqs[~is_train][test_rows.sort_values(["start", "video_id"]).index.to_numpy()[:args.test_seqs]]
    x, y = prediction.shift_frames(train)
    xt, yt = prediction.shift_frames(test)
    baseline = prediction.summarize(prediction.copy_last(xt), yt)["mse"]
    linear = prediction.summarize(prediction.linear_extrapolation(xt), yt)["mse"]
    print(f"data: {len(train)} training sequences, {len(test)} held-out sequences from "
          f"{test_rows['video_id'].nunique()} held-out videos; {args.seq_len} frames of "
          f"{args.size[0]}x{args.size[1]}; {args.epochs} epochs, batch {args.batch_size}; "
          f"copy-last one-step MSE {baseline:.6f}, linear extrapolation {linear:.6f}", flush=True)

    frame_shape = (*args.size, 1)
    builders = {"paper": lambda: prediction.build_paper_model(frame_shape, seed=args.seed),
                "default": lambda: prediction.build_model(frame_shape, seed=args.seed),
                # the ablation of notebook 05: the same model with the ConvLSTM's state reset before every frame
                "no_memory": lambda: prediction.build_model(frame_shape, memory=False, seed=args.seed)}
    results: dict[str, dict[str, float]] = {}
    for name, build in builders.items():
        model = build()
        start = time.perf_counter()
        run = prediction.train(model, x, y, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed)
        pred = prediction.predict_next(model, xt)
        mse = prediction.summarize(pred, yt)["mse"]
        results[name] = {"params": prediction.count_params(model), "seconds_per_epoch": run.seconds_per_epoch(),
                         "clips_per_second": len(x) / run.seconds_per_epoch(), "one_step_mse": mse,
                         "improvement_over_copy_last": prediction.improvement(mse, baseline),
                         "total_seconds": time.perf_counter() - start}
        r = results[name]
        print(f"{name:>8}: {r['params']:>8,} params, {r['seconds_per_epoch']:7.1f} s/epoch "
              f"({r['clips_per_second']:.2f} clips/s), held-out one-step MSE {mse:.6f} "
              f"({100 * r['improvement_over_copy_last']:+.1f}% vs copy-last)", flush=True)

    speed = results["paper"]["seconds_per_epoch"] / results["default"]["seconds_per_epoch"]
    mse_ratio = results["default"]["one_step_mse"] / results["paper"]["one_step_mse"]
    save_metrics("bench_convlstm", {"args": vars(args), "copy_last_mse": baseline, "linear_mse": linear, **results,
                                    "speed_ratio": speed, "mse_ratio": mse_ratio})
    print(f"speed ratio (paper s/epoch / default s/epoch) = {speed:.1f}x; "
          f"MSE ratio (default / paper) = {mse_ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
