#!/usr/bin/env python
"""Make (or check) the pose-pretext weights this repository ships: ``make pretext-weights``.

Pretrains :func:`choreo_utils.pretext.pretrain` with the default settings (``pretext.PretextSettings()``) from
scratch and writes ``choreo_utils/weights/<key>/`` (``model.keras`` + ``pretext.json``) atomically; the key names
what produced them (generator version, seed, set size, sizes, architecture, epochs and a hash of all settings).
Weights of other keys left there are listed (``--prune`` removes them).

``--check`` pretrains again into a temporary folder and compares the result with the shipped weights: the digest of
the weight values (identical on one machine: seeded, with TensorFlow's op determinism on the CPU) and the
held-out pose R² (across machines floats may differ in the last bits, so the R² is what must agree).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time

from choreo_utils import pretext, runtime


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true",
                    help="retrain into a temporary folder and compare with the shipped weights")
    ap.add_argument("--prune", action="store_true", help="remove shipped weights of other settings")
    args = ap.parse_args(argv)

    settings = pretext.PretextSettings()
    shipped = pretext.shipped_folder(settings)
    print(runtime.versions_line())
    print(f"settings: {settings.architecture}, seed {settings.seed}, {settings.videos_per_genre} videos per genre, "
          f"{settings.epochs} epochs → {shipped.name}")
    start = time.perf_counter()
    if args.check:
        if not (shipped / "pretext.json").is_file():
            print(f"no shipped weights at {shipped}: run `make pretext-weights` first", file=sys.stderr)
            return 2
        ref = pretext.load(shipped)
        with tempfile.TemporaryDirectory() as tmp:
            new = pretext.pretrain(settings, root=tmp, force=True)
        same = new.meta["weights_sha256"] == ref.meta["weights_sha256"]
        gap = abs(new.r2 - ref.r2)
        print(f"retrained in {time.perf_counter() - start:.0f} s: weights {'identical' if same else 'differ'} "
              f"(digest {new.meta['weights_sha256'][:12]} vs shipped {ref.meta['weights_sha256'][:12]}); held-out pose "
              f"R² {new.r2:.4f} vs shipped {ref.r2:.4f} (difference {gap:.4f})")
        return 0 if same or gap < 0.01 else 1
    pre = pretext.pretrain(settings, root=pretext.SHIPPED_ROOT, force=True)
    print(f"wrote {pre.folder} in {time.perf_counter() - start:.0f} s: held-out pose R² {pre.r2:.4f} "
          f"(train {pre.meta['train_r2']:.4f}), weights digest {pre.meta['weights_sha256'][:12]}")
    for other in sorted(p for p in pretext.SHIPPED_ROOT.iterdir() if p.is_dir() and p.name != shipped.name):
        if args.prune:
            shutil.rmtree(other)
            print(f"removed stale weights {other.name}")
        else:
            print(f"stale weights of other settings: {other.name} (--prune removes them)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
