#!/usr/bin/env python
"""Run the notebooks in order with a parameter set, through papermill.

The parameter file is read with ``choreo_utils.params.load``; before anything runs, every key it gives must be
declared by the ``parameters`` cell of some notebook in ``notebooks/`` (else it stops, naming the unknown keys,
so a misspelt key is never silently ignored). Each notebook gets only the keys it declares. ``--inplace`` writes the
executed notebooks back (``make figures``); ``--prepare-only`` only injects the parameters into copies
under ``--output-dir`` so nbval can execute them (``make test``). Prints a per-notebook timing summary.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import papermill as pm

from choreo_utils import params as params_file
from choreo_utils.config import metrics_path
from choreo_utils.io_utils import write_json

ROOT = Path(__file__).resolve().parent.parent


def checked_params(path: str, notebooks: list[Path]) -> tuple[dict[str, object], dict[Path, dict[str, object]]]:
    """The parameters of ``path`` and each notebook's declared ones; ValueError naming the keys of ``path`` that
    no notebook in ``notebooks/`` (nor in ``notebooks``) declares. Notebooks are keyed by resolved path."""
    every = sorted({p.resolve() for p in [*(ROOT / "notebooks").glob("[0-9]*.ipynb"), *notebooks]})
    declared = {nb: params_file.declared_parameters(nb) for nb in every}
    names = set().union(*declared.values())
    values = params_file.load(path, known=names, where="no notebook's parameters cell in notebooks/ declares them")
    return values, declared


#: A progress bar's clock: "[01:21<00:00,  5.43s/run]" or the "[00:09<00:08,  3.40epoch/s, " before its metrics.
_BAR_CLOCK = re.compile(r" \[(?:\d+:)?\d+:\d+<(?:(?:\d+:)?\d+:\d+|\?), *(?:[\d.]+|\?) ?[^\s,\]]*(?:, |\])")
WIDGET_TEXT = "(an interactive widget: run the notebook to use it)"


def without_bar_clocks(text: str) -> str:
    """``text`` without progress bars' elapsed/remaining times and rates (the bar, its count and metrics stay):
    they differ on every run, so each regeneration would otherwise change every notebook."""
    return _BAR_CLOCK.sub(lambda m: "" if m.group(0).endswith("]") else " [", text)


def tidy_outputs(nb: dict) -> None:
    """Outputs as a reader of the committed notebook should see them: progress bars without their clocks, and a
    widget's plain-text fallback (what GitHub shows: its Python repr) replaced by a sentence saying what it is."""
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                out["text"] = without_bar_clocks("".join(out.get("text", ""))).splitlines(True)
            data = out.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data and "text/plain" in data:
                data["text/plain"] = [WIDGET_TEXT]


def tidy_metadata(path: Path, source: Path | None = None, parameters: dict | None = None) -> None:
    """Papermill records absolute input/output paths in the notebook's metadata: keep only the file names, so a
    committed notebook carries no machine paths (``source``: the notebook that was run, when papermill was given
    it as a notebook object rather than a path). ``parameters``: what was injected — papermill leaves an earlier
    run's record in place when nothing is, which would then claim parameters that did not run. The outputs are
    tidied too (:func:`tidy_outputs`)."""
    nb = json.loads(path.read_text())
    tidy_outputs(nb)
    meta = nb.get("metadata", {}).get("papermill", {})
    if source is not None:
        meta["input_path"] = str(source)
    if parameters is not None:
        meta["parameters"] = dict(parameters)
    for key in ("input_path", "output_path"):
        if meta.get(key):
            meta[key] = Path(meta[key]).name
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def without_injected_cells(path: Path):
    """The notebook at ``path`` without cells tagged ``injected-parameters``. Papermill replaces such a cell only
    when it injects something; one left by an earlier run would otherwise run again, after the ``parameters``
    cell, and override it silently."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    return nb


def _same(a: object, b: object) -> bool:
    norm = lambda v: list(v) if isinstance(v, (tuple, list)) else v  # noqa: E731  yaml has no tuples
    return norm(a) == norm(b)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", required=True, help="YAML file of UPPER_CASE parameters")
    ap.add_argument("--inplace", action="store_true", help="write executed notebooks back to notebooks/")
    ap.add_argument("--prepare-only", action="store_true", help="inject parameters without executing")
    ap.add_argument("--output-dir", default="artifacts/executed", help="where to write notebooks (unless --inplace)")
    ap.add_argument("notebooks", nargs="*", help="notebooks to run (default: notebooks/[0-9]*.ipynb)")
    args = ap.parse_args(argv)

    paths = [Path(p) for p in args.notebooks] or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    try:   # before any papermill run: a wrong key stops here, not after an hour of notebooks
        params, declared_by = checked_params(args.params, paths)
    except (OSError, ValueError) as exc:
        print(f"run_notebooks.py: error: {exc}", file=sys.stderr)
        return 2
    out_dir = ROOT / args.output_dir
    timings = []
    for path in paths:
        declared = declared_by[path.resolve()]
        passed = {k: v for k, v in params.items() if k in declared}
        if args.inplace:
            # values equal to the notebook's own defaults are not injected: the committed notebook stays clean
            passed = {k: v for k, v in passed.items() if not _same(v, declared[k])}
        out = out_dir / path.name
        out.parent.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        print(f"--> {path.name}: {len(passed)} parameters injected from {args.params} {sorted(passed)}", flush=True)
        source = without_injected_cells(path)   # a stale injected cell would override the parameters cell
        pm.execute_notebook(source, str(out), parameters=passed, cwd=str(path.parent),
                            prepare_only=args.prepare_only, progress_bar=False, log_output=False,
                            coalesce_streams=True)   # progress bars keep only their final state
        if out.is_file():   # prepared copies too: papermill was given a notebook object, not the path
            tidy_metadata(out, source=path, parameters=passed)
        if args.inplace:  # replace the committed notebook only once the run has finished
            tmp = path.with_suffix(".ipynb.part")
            shutil.copyfile(out, tmp)
            tmp.replace(path)
        timings.append((path.name, time.perf_counter() - start))
    if not args.prepare_only:
        print("\nTiming summary")
        for name, secs in timings:
            print(f"  {name:<36} {secs:7.1f} s")
        print(f"  {'total':<36} {sum(s for _, s in timings):7.1f} s")
        if args.inplace:  # README's run-time table shows it; a rerun of some notebooks keeps the others' times
            record = {"params": Path(args.params).name, "cpu_count": os.cpu_count(), "seconds": {}}
            try:
                old = json.loads(metrics_path("run_notebooks").read_text())
                if (old.get("params"), old.get("cpu_count")) == (record["params"], record["cpu_count"]):
                    record["seconds"] = dict(old.get("seconds", {}))
            except (OSError, ValueError):
                pass
            record["seconds"] |= {name: round(secs, 1) for name, secs in timings}
            record["seconds"] = dict(sorted(record["seconds"].items()))
            write_json(metrics_path("run_notebooks"), record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
