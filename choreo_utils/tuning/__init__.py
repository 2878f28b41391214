"""Hyperparameter search for the paper's BiLSTM: Hyperband vs RandomSearch on keras-tuner, at matched budgets.

The pieces, in the order notebook 04 uses them (every name below is importable from ``choreo_utils.tuning``)::

    data = tuning.TuningData.from_clip_data(pipeline.clip_data(...))   # train + *val* videos, never test
    space = dataclasses.replace(tuning.PAPER_SPACE, units_max=128, dense_max=128)   # smaller for a CPU
    tuning.hyperband_budget(10, 3)              # 30 trials, 120 epochs: what keras-tuner will really run
    hb = tuning.run_search(data, "hyperband", space=space, seed=0)
    rs = tuning.run_search(data, "random", space=space, seed=0)   # max_trials matched to Hyperband's epochs
    hb.trials, hb.progress                      # pandas tables read from ``tuner.oracle``
    cmp = tuning.compare_tuners(data, seeds=(0, 1, 2), space=space)
    fig = viz.plot_tuner_comparison(cmp.progress)   # every seed's run, against epochs and wall time
    grids = tuning.best_so_far_grid(cmp.progress)   # per tuner: best-so-far per epoch, one row per seed
    tuning.tuner_verdicts(grids)                    # Hyperband − random, paired over seeds (stats.verdict)
    fig = tuning.plot_best_so_far({"default": grids})   # the paper's Fig 3, with mean, 95% band and seeds

The modules, each with one job:

=================  ============================================================================================
``space``          the search space (:class:`SearchSpace`, :data:`PAPER_SPACE`) and the hypermodel
``budget``         Hyperband's trial and epoch arithmetic (:func:`hyperband_budget`), matched random trials
``settings``       the settings of one search (:class:`SearchConfig`) and the objective
``errors``         :class:`ConfigurationError`: bad settings/data/project (not retried) vs runtime failures
``data``           the train + validation arrays of a search (:class:`TuningData`) and their ``.npz`` files
``tuners``         keras-tuner subclasses that seed trials and record epochs and times; :func:`make_tuner`
``project``        a project's folder: fingerprint and resume guard (:func:`check_project`), its JSON read back
``results``        :class:`SearchResult`, :func:`trial_table`, :func:`progress_table`, :func:`summarize_progress`
``search``         one search in this process (:func:`run_search`)
``compare``        Hyperband vs RandomSearch over seeds (:func:`compare_tuners`), :func:`hyperband_claim`
``assess``         what a comparison says: best-so-far grids, who reaches whose best, paired verdicts over
                   seeds, the input-BatchNorm lag, a configuration retrained over seeds
``plots``          mean best-so-far curves with 95% bands and every seed (:func:`plot_best_so_far`)
``distributed``    chief, workers and the one-machine launcher over keras-tuner's gRPC oracle
``processes``      starting and stopping ``python -m choreo_utils.tuning`` child processes
``cli``            the command line (``python -m choreo_utils.tuning --help``; ``__main__`` runs it)
=================  ============================================================================================

What keras-tuner does behind your back, and how this package deals with it:

- **Hyperband ignores** ``search(epochs=...)``: each trial trains from ``tuner/initial_epoch`` to
  ``tuner/epochs``. :func:`hyperband_budget` reproduces keras-tuner's bracket arithmetic, and every trial
  reports the epochs it really ran (``epochs_run``; EarlyStopping on ``val_accuracy`` may stop early).
  Matched budgets are *spent* budgets: RandomSearch runs trials until its ``epochs_run`` add up to
  Hyperband's epoch budget (early-stopped trials refilled, the last one cut to the epochs left), and
  ``Comparison.summary()`` shows ``epochs_planned`` and ``epochs_spent`` per tuner and seed.
- ``results_summary()`` only prints: :func:`trial_table` builds a DataFrame from ``tuner.oracle``.
- keras-tuner resumes an existing project unless ``overwrite=True`` — even one made with another search space
  or other data. One convention across this package (``run_search``, ``compare_tuners``, chief, launcher,
  CLI): ``overwrite=False`` by default, so a search **resumes**; ``overwrite=True`` (CLI ``--overwrite``) starts
  over. Every project gets a fingerprint (``choreo_search.json``: search settings + data shape + data
  hash); resuming with different settings raises :class:`SearchMismatchError` instead of mixing searches.
- keras-tuner empties ``oracle.json`` / ``trial.json`` before writing them, so a search killed at that moment
  could not be resumed. Our subclasses write each through a temporary file renamed into place; an unreadable
  file (from an older version, a full disk) raises :class:`CorruptProjectError` naming the file and the fix.
- keras-tuner reads ``seed=0`` as "no seed" (``seed or random.randint(...)``): we pass ``seed + 1``.
- Per-trial fixed costs: keras-tuner runs ``clear_session()`` + ``gc.collect()`` before each model (that keeps
  memory flat; we freeze pre-existing objects during a search so those collections stay cheap), and Keras
  traces a new TensorFlow graph for each model (seconds on a CPU). Hyperband runs more, shorter trials than
  random search, so it pays these more often — visible in the wall-time panel of Fig 3, not the epoch panel.
  ``run_eagerly=True`` avoids the tracing; it only pays off on tiny data (tests, demos). Search and worker
  *processes* (``compare_tuners(jobs=2)``, the CLI) switch TensorFlow's graph optimizer off
  (:func:`~choreo_utils.tuning.cli.skip_graph_optimization`): it cost ~40% of a new model's first epoch here.
- Distributed mode (``KERASTUNER_TUNER_ID`` / ``KERASTUNER_ORACLE_IP`` / ``KERASTUNER_ORACLE_PORT``): workers
  wait up to an hour for an absent chief and spin on "IDLE" answers; the chief polls for the end every
  20 s. :func:`wait_for_chief` fails fast with the address, idle workers back off, and the chief here uses
  keras-tuner's own gRPC servicer with a quicker exit check. See :func:`launch_distributed` and the CLI::

      python -m choreo_utils.tuning export --params params/default.yaml --out artifacts/tuning/default.npz
      python -m choreo_utils.tuning launch --data artifacts/tuning/default.npz --workers 2
      python -m choreo_utils.tuning chief  --data D.npz --host 0.0.0.0 --port 8470     # machine A
      python -m choreo_utils.tuning worker --data D.npz --host A --port 8470 --tuner-id tuner0  # B, C, ...

Importing this package does not import TensorFlow or keras-tuner: they load when a model is built or a
search runs.
"""
from choreo_utils.tuning.assess import (batchnorm_lag, best_so_far_grid, describe_reach, first_round_trials,
                                        reach_summary, reach_table, retrain_over_seeds,
                                        short_trial_effect, tuner_verdicts)
from choreo_utils.tuning.budget import HyperbandBudget, hyperband_budget, matched_random_trials
from choreo_utils.tuning.compare import Comparison, compare_tuners, hyperband_claim
from choreo_utils.tuning.data import TuningData
from choreo_utils.tuning.distributed import (EXIT_CHIEF_LOST, EXIT_CONFIG, EXIT_RUNTIME, EXIT_USAGE, ChiefLostError,
                                             ChiefUnreachableError, WorkerFailedError, free_port, launch_distributed,
                                             run_worker, serve_chief, wait_for_chief, worker_exit_action)
from choreo_utils.tuning.errors import ConfigurationError, CorruptProjectError
from choreo_utils.tuning.project import FINGERPRINT_FILE, SearchMismatchError, check_project, default_directory
from choreo_utils.tuning.plots import mean_band, plot_best_so_far
from choreo_utils.tuning.results import SearchResult, progress_table, summarize_progress, trial_table
from choreo_utils.tuning.search import run_search
from choreo_utils.tuning.settings import OBJECTIVE, SearchConfig
from choreo_utils.tuning.space import (PAPER_SPACE, ClassifierHyperModel, SearchSpace, build_hypermodel,
                                       declare_hyperparameters, model_params, sample_hyperparameters)
from choreo_utils.tuning.tuners import ENV_ORACLE_IP, ENV_ORACLE_PORT, ENV_TUNER_ID, make_tuner

__all__ = [
    "ENV_ORACLE_IP", "ENV_ORACLE_PORT", "ENV_TUNER_ID", "EXIT_CHIEF_LOST", "EXIT_CONFIG", "EXIT_RUNTIME",
    "EXIT_USAGE", "FINGERPRINT_FILE", "OBJECTIVE", "PAPER_SPACE",
    "ChiefLostError", "ChiefUnreachableError", "ClassifierHyperModel", "Comparison", "ConfigurationError",
    "CorruptProjectError",
    "HyperbandBudget",
    "SearchConfig", "SearchMismatchError", "SearchResult", "SearchSpace", "TuningData", "WorkerFailedError",
    "batchnorm_lag", "best_so_far_grid", "describe_reach", "first_round_trials", "mean_band", "plot_best_so_far",
    "reach_summary", "reach_table", "retrain_over_seeds", "short_trial_effect",
    "tuner_verdicts",
    "build_hypermodel", "check_project", "compare_tuners", "declare_hyperparameters", "default_directory",
    "free_port", "hyperband_budget", "hyperband_claim", "launch_distributed", "make_tuner",
    "matched_random_trials", "model_params", "progress_table", "run_search", "run_worker",
    "sample_hyperparameters", "serve_chief", "summarize_progress", "trial_table", "wait_for_chief",
    "worker_exit_action",
]
