#!/usr/bin/env python
"""Feature-extraction throughput: our compiled, batched pipeline vs the original per-frame ``predict`` loop.

For InceptionV3 at 299, 150 and 75 px on the same frames (random-init weights: speed does not depend on the
weights) it prints frames/s of both, the speed-up, the exact GFLOP per frame (TensorFlow profiler), this
machine's float32 GEMM speed measured in the same run, and our frames/s as a fraction of the GEMM-bound limit
(GEMM GFLOP/s ÷ GFLOP per frame). The last line summarises both ratios at the default size.

    .venv/bin/python benchmarks/bench_features.py [--sizes 299 150 75] [--batch 64] [--seconds 4]
"""
from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from choreo_utils import features, profiling, synthetic, video


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[299, 150, 75])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=4.0, help="timing window per measurement")
    ap.add_argument("--default-size", type=int, default=299, help="size used for the summary line")
    args = ap.parse_args()

    spec = synthetic.plan_dataset(videos_per_genre=1, seed=0)[0]["spec"]
    frames = synthetic.render_video(spec, 32, size=(96, 144))
    print(f"CPU: {profiling.cpu_model()}")
    rows = []
    for size in args.sizes:
        ex = features.build_extractor("inception_v3", size, weights=None)
        x = video.resize_frames(frames, (size, size))
        gflop = profiling.count_flops(ex) / 1e9
        gemm = profiling.gemm_gflops()
        ours = profiling.throughput(ex, x, batch_size=args.batch, min_seconds=args.seconds)
        gemm_after = profiling.gemm_gflops()
        loop = profiling.throughput(ex, x, per_frame_predict=True, min_seconds=args.seconds)
        gemm_now = (gemm + gemm_after) / 2
        limit = gemm_now / gflop
        rows.append((size, gflop, gemm_now, ours, loop, ours / loop, ours / limit))
        print(f"{size:4d} px  {gflop:6.2f} GFLOP/frame  GEMM {gemm_now:6.1f} GFLOP/s  limit {limit:7.1f} fps  "
              f"ours {ours:7.1f} fps  per-frame predict {loop:5.1f} fps  speed-up {ours / loop:5.1f}×  "
              f"of limit {ours / limit:4.2f}", flush=True)
    default = next((r for r in rows if r[0] == args.default_size), rows[0])
    small = [r for r in rows if r[0] <= 150]
    print(f"summary: at {default[0]} px ours = {default[6]:.2f} of the GEMM-bound limit and {default[5]:.1f}× the "
          f"per-frame predict loop" + (f"; at ≤150 px {min(r[5] for r in small):.1f}× or more" if small else ""))


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
