#!/usr/bin/env python
"""Peak memory of feature extraction does not grow with the number of frames.

Builds frame indexes of increasing size (rows pointing at a few real JPEGs, so no disk is wasted on frames),
extracts features for each in a fresh subprocess with a small backbone, and prints the peak resident memory
(RSS) and the size of the feature file. Features stream to a memory-mapped float16 file, so peak RSS should
stay flat while the file grows linearly.

    .venv/bin/python benchmarks/bench_feature_memory.py [--frames 2000 20000 100000]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

CHILD = r"""
import json, resource, sys, numpy as np, pandas as pd
from choreo_utils import features
n, frames_dir, cache = int(sys.argv[1]), sys.argv[2], sys.argv[3]
paths = sorted(str(p) for p in __import__("pathlib").Path(frames_dir).glob("*.jpg"))
index = pd.DataFrame({"genre": "tap", "video_id": [f"v{i // 100:06d}" for i in range(n)],
                      "path": [paths[i % len(paths)] for i in range(n)]})
ex = features.build_extractor("mobilenet_v3_small", (48, 72), weights=None)
features.reestimate_batchnorm(ex, features.sample_frames(index.iloc[:64], (48, 72), n=32))
fs = features.extract_features(index, ex, cache_root=cache, batch_size=64, progress=False)
print(json.dumps({"frames": n, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "feature_mb": fs.path.stat().st_size / 1e6, "fps": fs.meta["frames_per_second"]}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, nargs="+", default=[2000, 20000, 100000])
    args = ap.parse_args()
    import cv2

    from choreo_utils import synthetic

    with tempfile.TemporaryDirectory() as tmp:
        spec = synthetic.plan_dataset(videos_per_genre=1, seed=0)[0]["spec"]
        frames_dir = Path(tmp) / "frames"
        frames_dir.mkdir()
        for i, frame in enumerate(synthetic.render_video(spec, 16, size=(96, 144))):
            cv2.imwrite(str(frames_dir / f"f_{i:04d}.jpg"), frame[..., ::-1])
        rows = []
        for n in args.frames:
            out = subprocess.run([sys.executable, "-c", CHILD, str(n), str(frames_dir), str(Path(tmp) / f"cache{n}")],
                                 capture_output=True, text=True, check=True)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(f"{row['frames']:>8,} frames  peak RSS {row['peak_rss_mb']:7.0f} MB  "
                  f"feature file {row['feature_mb']:7.1f} MB"
                  f"  ({row['fps']:.0f} frames/s)", flush=True)
    growth = rows[-1]["peak_rss_mb"] - rows[0]["peak_rss_mb"]
    print(f"summary: {rows[0]['frames']:,} → {rows[-1]['frames']:,} frames: feature file ×"
          f"{rows[-1]['feature_mb'] / rows[0]['feature_mb']:.0f}, peak RSS {growth:+.0f} MB")


if __name__ == "__main__":
    main()
