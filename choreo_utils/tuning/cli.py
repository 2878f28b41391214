"""The command line, ``python -m choreo_utils.tuning {export,search,launch,chief,worker} ...`` (see ``--help``).

``export`` writes a parameter set's train + val arrays (:func:`export_tuning_data`); ``search`` runs one
search (``compare_tuners(jobs=N)`` starts these); ``launch`` runs a chief here and N local workers; ``chief``
and ``worker`` run a search across machines. The search flags' defaults are the fields of ``SearchConfig`` and
``SearchSpace``, so the command line and the Python API cannot drift apart.

Exit codes (``distributed.EXIT_*``): 0 done; 3 a configuration error (``errors.ConfigurationError``: bad flags,
settings, data file or a project made with other settings; an unreachable chief) — the launcher does not
restart it; 4 the chief was lost mid-search; 1 any other exception (a runtime failure, printed with its
traceback) — the launcher restarts the worker, up to ``--max-restarts``; 2 usage (missing flags).
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import inspect
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from choreo_utils.tuning.data import TuningData
from choreo_utils.tuning.distributed import (EXIT_CHIEF_LOST, EXIT_CONFIG, EXIT_RUNTIME, EXIT_USAGE, ChiefLostError,
                                             ChiefUnreachableError, WorkerFailedError, launch_distributed, run_worker,
                                             serve_chief)
from choreo_utils.tuning.errors import ConfigurationError
from choreo_utils.tuning.search import run_search
from choreo_utils.tuning.settings import SearchConfig
from choreo_utils.tuning.space import SearchSpace
from choreo_utils.tuning.tuners import ENV_ORACLE_IP, ENV_ORACLE_PORT, ENV_TUNER_ID


def _field_defaults(cls) -> dict[str, Any]:
    """``{field name: default}`` of a dataclass."""
    return {f.name: f.default for f in dataclasses.fields(cls)}


def _parameter_default(func, name: str) -> Any:
    """The default value of ``func``'s parameter ``name``."""
    return inspect.signature(func).parameters[name].default


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m choreo_utils.tuning``; search defaults come from ``SearchConfig``/``SearchSpace``."""
    from choreo_utils import tuning  # noqa: PLC0415  (its docstring's first line describes the command)

    config, space = _field_defaults(SearchConfig), _field_defaults(SearchSpace)
    common = argparse.ArgumentParser(add_help=False)
    g = common.add_argument_group("search (same on chief and workers)")
    g.add_argument("--config", help="JSON of SearchConfig (written by `launch`); overrides the flags below")
    g.add_argument("--data", help=".npz from `export` or TuningData.save")
    g.add_argument("--tuner", choices=("hyperband", "random"), default=config["kind"])
    g.add_argument("--seed", type=int, default=config["seed"])
    g.add_argument("--max-epochs", type=int, default=config["max_epochs"])
    g.add_argument("--factor", type=int, default=config["factor"])
    g.add_argument("--hyperband-iterations", type=int, default=config["hyperband_iterations"])
    g.add_argument("--max-trials", type=int, default=config["max_trials"],
                   help="random: default = Hyperband's epoch budget // --epochs")
    g.add_argument("--epochs", type=int, default=config["epochs"],
                   help="random: epochs per trial (default --max-epochs)")
    g.add_argument("--batch-size", type=int, default=config["batch_size"])
    g.add_argument("--patience", type=int, default=config["patience"])
    g.add_argument("--units", type=int, nargs=3, metavar=("MIN", "MAX", "STEP"),
                   default=(space["units_min"], space["units_max"], space["units_step"]))
    g.add_argument("--dense", type=int, nargs=3, metavar=("MIN", "MAX", "STEP"),
                   default=(space["dense_min"], space["dense_max"], space["dense_step"]))
    g.add_argument("--activations", nargs="+", default=list(space["activations"]))
    g.add_argument("--learning-rates", type=float, nargs="+", default=list(space["learning_rates"]))
    g.add_argument("--dropout", type=float, nargs="+", default=list(SearchSpace().dropouts))
    g.add_argument("--bn-momentum", type=float, default=space["bn_momentum"],
                   help="input BatchNorm momentum of every trial's model (not searched)")
    g.add_argument("--directory", help="tuner directory (default artifacts/tuning); shared across machines")
    g.add_argument("--project-name")
    g.add_argument("--no-tensorboard", action="store_true")
    g.add_argument("--run-eagerly", action="store_true", help="no graph tracing per trial (tiny data only)")
    net = argparse.ArgumentParser(add_help=False)
    net.add_argument("--host", default=os.environ.get(ENV_ORACLE_IP, "127.0.0.1"),
                     help=f"chief address (${ENV_ORACLE_IP}); a chief for other machines: 0.0.0.0")
    net.add_argument("--port", type=int, default=int(os.environ.get(ENV_ORACLE_PORT, 0) or 0),
                     help=f"chief port (${ENV_ORACLE_PORT}; launch: 0 = a free port)")

    p = argparse.ArgumentParser(prog="python -m choreo_utils.tuning", description=tuning.__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=(
        "one machine:   launch --data D.npz --workers 2\n"
        "many machines: chief --data D.npz --host 0.0.0.0 --port 8470   (machine A)\n"
        "               worker --data D.npz --host A --port 8470 --tuner-id tuner0   (each other machine)\n"
        "               with --directory on a file system all machines share."))
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("export", help="compute features for a params file and save train+val arrays (.npz)")
    e.add_argument("--params", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--force", action="store_true")
    la = sub.add_parser("launch", parents=[common, net], help="chief in this process + N local worker processes")
    la.add_argument("--workers", type=int, default=_parameter_default(launch_distributed, "n_workers"))
    la.add_argument("--overwrite", action="store_true")
    la.add_argument("--timeout", type=float)
    la.add_argument("--max-restarts", type=int, default=_parameter_default(launch_distributed, "max_restarts"))
    la.add_argument("--threads", type=int, help="TensorFlow threads per worker (default cores // workers)")
    s = sub.add_parser("search", parents=[common],
                       help="one search in this process (compare_tuners(jobs=N) runs these)")
    s.add_argument("--overwrite", action="store_true")
    c = sub.add_parser("chief", parents=[common, net], help="serve the oracle to workers (blocks until done)")
    c.add_argument("--overwrite", action="store_true")
    w = sub.add_parser("worker", parents=[common, net], help="run trials for a chief")
    w.add_argument("--tuner-id", default=os.environ.get(ENV_TUNER_ID), help=f"tuner0, tuner1, … (${ENV_TUNER_ID})")
    w.add_argument("--connect-timeout", type=float, default=_parameter_default(run_worker, "connect_timeout"))
    w.add_argument("--threads", type=int, help="TensorFlow intra-op threads for this worker")
    return p


def config_from_args(a: argparse.Namespace) -> SearchConfig:
    """The :class:`SearchConfig` of parsed arguments: from ``--config`` JSON if given, else from the flags."""
    if a.config:
        try:
            return SearchConfig.from_dict(json.loads(Path(a.config).read_text()))
        except ConfigurationError:
            raise
        except (OSError, json.JSONDecodeError, TypeError, ValueError) as exc:
            raise ConfigurationError(f"--config {a.config} is not a readable SearchConfig JSON ({exc}); write it "
                                     "with json.dump(SearchConfig(...).to_dict(), ...) or use the flags") from exc
    units_min, units_max, units_step = a.units
    dense_min, dense_max, dense_step = a.dense
    space = SearchSpace(units_min, units_max, units_step, dense_min, dense_max, dense_step,
                        activations=tuple(a.activations), learning_rates=tuple(a.learning_rates),
                        dropout=a.dropout[0] if len(a.dropout) == 1 else tuple(a.dropout),
                        bn_momentum=a.bn_momentum)
    return SearchConfig(kind=a.tuner, space=space, seed=a.seed, max_epochs=a.max_epochs, factor=a.factor,
                        hyperband_iterations=a.hyperband_iterations, max_trials=a.max_trials, epochs=a.epochs,
                        batch_size=a.batch_size, patience=a.patience, run_eagerly=a.run_eagerly)


def skip_graph_optimization() -> None:
    """Switch TensorFlow's graph optimizer (Grappler) off in this process, before any model is built.

    Every trial builds a new model whose training graph is traced and then optimized, which costs seconds per
    trial on a CPU; for this small BiLSTM the optimizer took ~40% of a new model's first epoch and did not make
    later epochs faster, and all ten trials of a Hyperband search (notebook 04's features, seed 0) scored the
    same validation accuracy with and without it.
    Only the ``search`` and ``worker`` processes do this: a process that runs one search and exits.
    """
    import tensorflow as tf  # noqa: PLC0415

    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})


def export_tuning_data(params_path: str, out: str, force: bool = False) -> Path:
    """Features for a parameter set (train + val clips only) → ``out`` .npz; skipped if already made from it.

    The YAML file at ``params_path`` is read with :func:`choreo_utils.params.load` and mapped to
    :func:`~choreo_utils.pipeline.clip_data` keywords by :func:`choreo_utils.params.tuning_export_kwargs` — the
    settings notebook 04 uses (``FEATURE_LAYER`` → ``layer``, ``EXTRACT_BATCH`` → ``batch_size``,
    ``TUNE_TRAIN_STRIDE`` → ``train_stride``, ...); a key no notebook declares is refused with its name. The ``.npz``
    (``TuningData.save``) records the file's SHA-256 and the ``clip_data`` arguments, so a second call with an
    unchanged file does nothing unless ``force``. The test split is not exported. This is
    ``python -m choreo_utils.tuning export --params P --out D.npz`` (``make tune-distributed``).
    """
    from choreo_utils import params  # noqa: PLC0415
    from choreo_utils.pipeline import clip_data  # noqa: PLC0415  (features: only for export)

    kwargs = params.tuning_export_kwargs(params.load(params_path), params_path)
    text = Path(params_path).read_text()       # the same hash as before: existing exports stay up to date
    meta = {"params_file": str(params_path), "params_sha256": hashlib.sha256(text.encode()).hexdigest()}
    if not force and Path(out).is_file():
        try:
            old = TuningData.meta(out)
            # same file *and* same clip_data arguments: an export made before the explicit mapping is redone
            if old.get("params_sha256") == meta["params_sha256"] and \
                    old.get("clip_data") == json.loads(json.dumps(kwargs)):
                print(f"{out} is up to date with {params_path}")
                return Path(out)
            print(f"{out} was made from other settings than {params_path}'s; exporting again")
        except (OSError, ValueError, KeyError):
            pass
    data = TuningData.from_clip_data(clip_data(**kwargs))
    path = data.save(out, meta | {"clip_data": dict(kwargs)})
    print(f"wrote {path}: {len(data.x_train)} train + {len(data.x_val)} val clips of shape {data.input_shape} "
          "(the test split is not included)")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``export``, ``search``, ``launch``, ``chief``, ``worker`` (see ``--help``)."""
    a = build_parser().parse_args(argv)
    if a.command == "export":
        try:
            export_tuning_data(a.params, a.out, a.force)
        except (OSError, ValueError) as exc:   # a missing or bad parameter file: fix it, retrying cannot help
            print(f"error: {exc}\n(a configuration error, exit code {EXIT_CONFIG})", file=sys.stderr)
            return EXIT_CONFIG
        return 0
    if not a.data:
        print("error: --data is required (an .npz from `python -m choreo_utils.tuning export`)", file=sys.stderr)
        return EXIT_USAGE
    try:
        config = config_from_args(a)
        if a.command in ("search", "worker"):
            skip_graph_optimization()
        if a.command == "worker" and a.threads:
            import tensorflow as tf  # noqa: PLC0415

            tf.config.threading.set_intra_op_parallelism_threads(a.threads)
            tf.config.threading.set_inter_op_parallelism_threads(min(2, a.threads))
        kw = {"directory": a.directory, "project_name": a.project_name, "tensorboard": not a.no_tensorboard}
        data = a.data if a.command == "launch" else TuningData.load(a.data)
        if a.command == "search":
            res = run_search(data, config, overwrite=a.overwrite, progress=False, **kw)
        elif a.command == "launch":
            res = launch_distributed(data, config, n_workers=a.workers, host=a.host,
                                     port=a.port, overwrite=a.overwrite, timeout=a.timeout,
                                     max_restarts=a.max_restarts, threads_per_worker=a.threads, **kw)
        elif a.command == "chief":
            if not a.port:
                raise ConfigurationError("the chief needs a fixed --port (workers must know it)")
            print(f"chief: serving on {a.host}:{a.port}", flush=True)
            res = serve_chief(data, config, host=a.host, port=a.port, overwrite=a.overwrite, **kw)
        else:
            if not a.tuner_id or not a.port:
                raise ConfigurationError(f"a worker needs --tuner-id and --port (or ${ENV_TUNER_ID}, "
                                         f"${ENV_ORACLE_PORT})")
            n = run_worker(data, config, host=a.host, port=a.port, tuner_id=a.tuner_id,
                           connect_timeout=a.connect_timeout, **kw)
            print(f"{a.tuner_id}: done after {n} trial(s)")
            return 0
    except ChiefLostError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CHIEF_LOST
    except (ConfigurationError, ChiefUnreachableError) as exc:
        print(f"error: {exc}\n(a configuration error, exit code {EXIT_CONFIG}: fix the arguments, settings or data "
              "and run again; a launcher does not restart this)", file=sys.stderr)
        return EXIT_CONFIG
    except WorkerFailedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_RUNTIME
    except Exception as exc:  # noqa: BLE001  (a runtime failure: exit non-zero so a launcher can restart it)
        traceback.print_exc()
        print(f"error: {type(exc).__name__}: {exc}\n(a runtime failure, exit code {EXIT_RUNTIME}: a launcher "
              "restarts a worker after this; re-running the same command resumes the search, finished trials "
              "are kept)", file=sys.stderr)
        return EXIT_RUNTIME
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(res.trials.drop(columns=["accuracy", "loss"], errors="ignore").to_string(index=False))
    print(f"project: {res.project_dir}")
    return 0
