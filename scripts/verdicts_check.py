#!/usr/bin/env python
"""Do the lessons survive another machine? Re-run notebooks 03–07 in a perturbed numeric environment and compare
every interval's verdict with the committed reference.

Floats may differ in the last bits from one CPU, thread count or math library to another; a verdict may not. The
perturbation here is what another machine would change:

- TensorFlow's thread pools (``TF_NUM_INTRAOP_THREADS=3``, ``TF_NUM_INTEROP_THREADS=1``) in the notebooks' kernels,
- oneDNN's optimised kernels switched the other way (``TF_ENABLE_ONEDNN_OPTS``),
- three worker processes instead of the parameter file's ``SWEEP_JOBS`` / ``TUNE_JOBS`` / ``CHOREO_JOBS`` (other
  runs share a process, reuse a compiled model, or run alone).

Every interval the notebooks store in their metrics (``stats.Interval.as_dict``) is compared by its verdict class
(``stats.verdict_class``: decided up, decided down, no measurable difference, cannot be called) — no seed is
retried, replaced or dropped. The table also counts the per-seed scores that differ from the reference at all,
so a perturbation that changed nothing shows as such. Exit status 1 on any changed verdict.

    make verdicts-check                               # run 03–07 perturbed (~30 min on 2 cores), compare
    python scripts/verdicts_check.py --write-reference   # after make figures: reference from artifacts/metrics
    python scripts/verdicts_check.py --compare DIR       # compare the metrics in DIR with the reference
    python scripts/verdicts_check.py --only 03           # re-run one notebook perturbed, compare all

The run writes only under ``artifacts/verdicts-check/`` (``CHOREO_ARTIFACTS``): the committed notebooks, figures
and the default run's caches and tuner projects are left alone. The reference is ``params/default.verdicts.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

from choreo_utils import stats
from choreo_utils.config import ARTIFACTS_ENV
from choreo_utils.io_utils import write_json

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "params" / "default.verdicts.json"
NOTEBOOKS = ("03_classifier_training", "04_hyperband_tuning", "05_convlstm_prediction", "06_generated_motion",
             "07_choreographer")
CHECK_DIR = "artifacts/verdicts-check"
_INTERVAL_KEYS = {"mean", "low", "high", "n_seeds"}


def intervals(obj: Any, path: str = "") -> Iterator[tuple[str, stats.Interval]]:
    """Every ``stats.Interval`` stored (as its ``as_dict``) anywhere in a metrics object, with its key path."""
    if isinstance(obj, dict):
        if _INTERVAL_KEYS <= set(obj):
            fields = {k: obj[k] for k in ("mean", "low", "high", "n_seeds", "n_units", "confidence") if k in obj}
            yield path, stats.Interval(**fields, per_seed=tuple(obj.get("per_seed", ())),
                                       leave_one_out=tuple(obj.get("leave_one_out", ())))
            return
        for key, value in obj.items():
            yield from intervals(value, f"{path}/{key}" if path else str(key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from intervals(value, f"{path}[{i}]")


def collect(metrics_dir: Path) -> dict[str, dict[str, Any]]:
    """``{"<notebook>: <path>": {"class", "mean", "low", "high", "n_seeds", "per_seed"}}`` for notebooks 03–07."""
    out: dict[str, dict[str, Any]] = {}
    for name in NOTEBOOKS:
        file = metrics_dir / f"{name}.json"
        if not file.is_file():
            raise FileNotFoundError(f"{file} is missing: run notebook {name[:2]} first (make figures writes it)")
        for path, iv in intervals(json.loads(file.read_text())):
            out[f"{name[:2]}: {path}"] = {"class": stats.verdict_class(iv), "mean": iv.mean, "low": iv.low,
                                          "high": iv.high, "n_seeds": iv.n_seeds, "per_seed": list(iv.per_seed)}
    return out


def compare(reference: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]]) -> tuple[list[dict], int, int]:
    """Rows (key, reference class, current class, changed) for every reference interval, the number of per-seed
    scores that differ at all, and how many were compared. A reference interval missing now is a change."""
    rows, differing, compared = [], 0, 0
    for key, ref in reference.items():
        cur = current.get(key)
        row = {"interval": key, "reference": ref["class"], "perturbed": cur["class"] if cur else "missing",
               "ref_mean": ref["mean"], "mean": cur["mean"] if cur else float("nan")}
        row["changed"] = cur is None or cur["class"] != ref["class"]
        if cur is not None:
            a, b = ref.get("per_seed", []), cur.get("per_seed", [])
            compared += len(a)
            differing += sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))
        rows.append(row)
    return rows, differing, compared


def print_table(rows: list[dict], differing: int, compared: int) -> None:
    """The comparison as a fixed-width table, changed rows marked, then the totals."""
    width = max(len(r["interval"]) for r in rows)
    print(f"{'interval':<{width}}  {'reference':<26} {'perturbed':<26} {'ref mean':>9} {'mean':>9}")
    for r in rows:
        mark = "  <-- CHANGED" if r["changed"] else ""
        print(f"{r['interval']:<{width}}  {r['reference']:<26} {r['perturbed']:<26} {r['ref_mean']:>9.4f} "
              f"{r['mean']:>9.4f}{mark}")
    changed = sum(r["changed"] for r in rows)
    print(f"\n{len(rows)} verdicts compared: {changed} changed; per-seed scores differing from the reference: "
          f"{differing} of {compared}")


def perturbed_environment(flip_onednn: bool = True) -> dict[str, str]:
    """The environment of the perturbed run (see the module docstring); ``flip_onednn=False`` leaves oneDNN as it
    is (notebook 06's 3-D convolutions run many times slower without it: its judge trained ~20× longer)."""
    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1")    # on by default on x86 Linux
    flipped = ("0" if onednn != "0" else "1") if flip_onednn else onednn
    return dict(os.environ, **{ARTIFACTS_ENV: CHECK_DIR, "TF_ENABLE_ONEDNN_OPTS": flipped,
                               "TF_NUM_INTRAOP_THREADS": "3", "TF_NUM_INTEROP_THREADS": "1"})


def run_perturbed(params_path: Path, only: list[str] | None = None, flip_onednn: bool = True) -> Path:
    """Run notebooks 03–07 (``only``: those whose number is listed, e.g. ``["03"]``; the others' perturbed
    metrics from an earlier run are kept) with ``params_path`` (worker processes changed to 3) in the perturbed
    environment; returns the metrics folder it wrote."""
    import yaml

    from choreo_utils import params as params_file

    values = params_file.load(params_path) | {"SWEEP_JOBS": 3, "TUNE_JOBS": 3, "CHOREO_JOBS": 3}
    work = ROOT / CHECK_DIR
    work.mkdir(parents=True, exist_ok=True)
    perturbed = work / "params.yaml"
    perturbed.write_text(yaml.safe_dump(values, sort_keys=False))
    env = perturbed_environment(flip_onednn)
    print("perturbed environment: " + ", ".join(f"{k}={env[k]}" for k in (
        "TF_ENABLE_ONEDNN_OPTS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", ARTIFACTS_ENV))
          + "; SWEEP_JOBS=3, TUNE_JOBS=3, CHOREO_JOBS=3", flush=True)
    notebooks = [str(ROOT / "notebooks" / f"{name}.ipynb") for name in NOTEBOOKS
                 if only is None or name[:2] in only]
    subprocess.run([sys.executable, str(ROOT / "scripts" / "run_notebooks.py"), "--params", str(perturbed),
                    "--output-dir", f"{CHECK_DIR}/notebooks", *notebooks], env=env, cwd=ROOT, check=True)
    return work / "metrics"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--write-reference", action="store_true",
                      help=f"write {REFERENCE.relative_to(ROOT)} from artifacts/metrics (the default run)")
    mode.add_argument("--compare", metavar="DIR", help="compare the metrics in DIR instead of running")
    ap.add_argument("--params", default="params/default.yaml", help="the parameter file of the reference run")
    ap.add_argument("--only", nargs="+", metavar="NN", choices=[n[:2] for n in NOTEBOOKS],
                    help="re-run only these notebooks (after a change to them); the rest keep their last perturbed run")
    ap.add_argument("--same-onednn", action="store_true",
                    help="leave TF_ENABLE_ONEDNN_OPTS as it is (threads and processes are still perturbed)")
    args = ap.parse_args(argv)
    if args.write_reference:
        ref = collect(ROOT / "artifacts" / "metrics")
        write_json(REFERENCE, {"params": args.params, "intervals": ref})
        print(f"wrote {REFERENCE.relative_to(ROOT)}: {len(ref)} intervals from artifacts/metrics")
        return 0
    if not REFERENCE.is_file():
        print(f"no reference {REFERENCE.relative_to(ROOT)}: run make figures, then --write-reference",
              file=sys.stderr)
        return 2
    reference = json.loads(REFERENCE.read_text())["intervals"]
    if args.compare:
        metrics_dir = Path(args.compare)
    else:
        metrics_dir = run_perturbed(ROOT / args.params, args.only, flip_onednn=not args.same_onednn)
    rows, differing, compared = compare(reference, collect(metrics_dir))
    print_table(rows, differing, compared)
    return 1 if any(r["changed"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
