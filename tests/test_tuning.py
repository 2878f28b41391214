"""Hypermodel, budgets, trial tables, resume and distributed search (choreo_utils.tuning).

Trials run on tiny arrays (40 clips × 4 frames × 8 features, 2 classes) with ``run_eagerly=True``: tracing a
graph per trial would cost seconds each on a CPU and dominate these tests.
"""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time

import matplotlib
import numpy as np
import pandas as pd
import pytest

from choreo_utils import tuning as T
from choreo_utils.tuning import tuners
from choreo_utils.tuning.processes import child_environment
from choreo_utils.tuning.project import prepare_project, prepare_worker_project, write_fingerprint
from fault_injection import EXIT_CRASH, HERE, crash_worker_env

matplotlib.use("Agg")

@pytest.fixture()
def fast(tiny_space):
    """Keyword arguments of a quick search: the tiny space (conftest.py), batches of 64, eager trials."""
    return {"space": tiny_space, "batch_size": 64, "run_eagerly": True}


# --------------------------------------------------------------------------------- space and hypermodel
def test_paper_space_budget_and_matching():
    assert T.PAPER_SPACE.values("lstm_units") == list(range(32, 513, 32))
    assert T.PAPER_SPACE.values("activation") == ["relu", "selu", "tanh"]
    assert T.PAPER_SPACE.size == 16 * 16 * 3 * 3
    b = T.hyperband_budget(10, 3)
    assert (b.trials, b.epochs) == (30, 120)                   # what keras-tuner runs for the paper's setting
    assert b.table.groupby("bracket")["trials"].sum().to_dict() == {0: 4, 1: 8, 2: 18}
    assert b.random_trials(10) == 12 == T.matched_random_trials(120, 10)
    assert T.SearchConfig("random").trials == 12 and T.SearchConfig("hyperband").trials == 30
    assert T.SearchConfig("random", epochs=7).trials == 18 == T.matched_random_trials(120, 7)   # 17 × 7 + 1
    assert T.SearchConfig("random", epochs=7).epoch_budget == 120 == T.SearchConfig("random").planned_epochs
    assert T.SearchConfig("random", max_trials=3, epochs=2).epoch_budget is None
    assert T.SearchConfig("random", max_trials=3, epochs=2).planned_epochs == 6
    assert T.hyperband_budget(10, 3, hyperband_iterations=2).epochs == 240
    with pytest.raises(ValueError, match="factor"):
        T.hyperband_budget(10, 1)


def test_space_validation_is_clear(tuning_data, tiny_space):
    with pytest.raises(ValueError, match="whole numbers"):
        T.SearchSpace(units_max=512.5)
    with pytest.raises(ValueError, match="second dense"):
        T.SearchSpace(dense_min=1, dense_max=8, dense_step=1)
    with pytest.raises(ValueError, match="activation"):
        T.SearchSpace(activations=("relu", "sigmoidish"))
    with pytest.raises(TypeError, match="unknown search setting"):
        T.run_search(tuning_data(), "random", max_epoch=3)
    cfg = T.SearchConfig("random", space=tiny_space, seed=3, max_trials=5)
    assert T.SearchConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg


def test_hypermodel_builds_integer_layers_for_sampled_hyperparameters(tiny_space):
    import keras_tuner

    hypermodel = T.build_hypermodel((4, 8), n_classes=2, space=tiny_space)
    for seed in range(4):
        hp = keras_tuner.HyperParameters()
        declared = T.declare_hyperparameters(hp, tiny_space)               # registers the space
        for p in hp.space:
            hp.values[p.name] = p.random_sample(seed * 7 + len(p.name))
        model = hypermodel.build(hp)
        d1, d2 = model.get_layer("dense1").units, model.get_layer("dense2").units
        assert isinstance(d1, int) and isinstance(d2, int) and d2 == d1 // 2   # 6..22 → odd halves 3, 5, …
        assert d1 == hp.values["dense1"] and d1 in tiny_space.values("dense1")
        assert model.get_layer("bilstm").forward_layer.units in tiny_space.values("lstm_units")
        assert model.get_layer("dense1").get_config()["activation"] == hp.values["activation"]
        assert model.get_layer("dropout").rate == 0.2 and model.output_shape == (None, 2)
        assert set(declared) == {"lstm_units", "dense1", "dense2", "activation", "learning_rate", "dropout"}
    for params in T.sample_hyperparameters(T.PAPER_SPACE, n=6, seed=1):
        assert params["dense2"] == params["dense1"] // 2 and type(params["dense2"]) is int
        assert params["lstm_units"] % 32 == 0 and 32 <= params["lstm_units"] <= 512


# ------------------------------------------------------------------------------------------------ data
def test_tuning_data_roundtrip_and_errors(tmp_path, tuning_data):
    data = tuning_data()
    path = data.save(tmp_path / "arrays.npz", meta={"note": "x"})
    back = T.TuningData.load(path)
    assert back.fingerprint() == data.fingerprint() and back.input_shape == (4, 8) and back.n_classes == 2
    assert T.TuningData.meta(path) == {"note": "x"}
    other = tuning_data(seed=1)
    assert other.fingerprint() != data.fingerprint()
    with pytest.raises(FileNotFoundError, match="export"):
        T.TuningData.load(tmp_path / "missing.npz")
    np.savez(tmp_path / "bad.npz", x=np.zeros(3))
    with pytest.raises(T.ConfigurationError, match="not a tuning arrays file"):
        T.TuningData.load(tmp_path / "bad.npz")
    (tmp_path / "junk.npz").write_bytes(b"not an npz")                  # e.g. a truncated download
    with pytest.raises(T.ConfigurationError, match="not a readable .npz file"):
        T.TuningData.load(tmp_path / "junk.npz")
    with pytest.raises(ValueError, match="no validation clips"):
        T.TuningData(data.x_train, data.y_train, data.x_val[:0], data.y_val[:0], n_classes=2)

    class FakeClipData:                                   # the ClipData.arrays interface
        def arrays(self, split):
            vids = {"train": ["a", "a", "b"], "val": ["b"]}[split]
            return np.zeros((len(vids), 4, 8), "float32"), np.zeros(len(vids), int), np.array(vids)

    with pytest.raises(ValueError, match="both train and val"):
        T.TuningData.from_clip_data(FakeClipData())


def test_project_fingerprint_guards_against_other_searches(tmp_path, tuning_data, tiny_space, fast):
    data, cfg = tuning_data(), T.SearchConfig("random", **fast)
    project = tmp_path / "p"
    assert T.check_project(project, cfg, data) is False             # nothing there yet
    project.mkdir()
    (project / "oracle.json").write_text("{}")
    with pytest.raises(T.SearchMismatchError, match="not made by choreo_utils"):
        T.check_project(project, cfg, data)
    write_fingerprint(project, cfg, data)
    assert T.check_project(project, cfg, data) is True
    with pytest.raises(T.SearchMismatchError, match="random_budget"):   # a trial count is not a spent budget
        T.check_project(project, dataclasses.replace(cfg, max_trials=50), data)
    write_fingerprint(project, dataclasses.replace(cfg, max_trials=3), data)
    assert T.check_project(project, dataclasses.replace(cfg, max_trials=50), data) is True   # may grow
    write_fingerprint(project, cfg, data)
    with pytest.raises(T.SearchMismatchError, match=r"space\.units_max"):
        T.check_project(project, dataclasses.replace(cfg, space=dataclasses.replace(tiny_space, units_max=32)), data)
    with pytest.raises(T.SearchMismatchError, match="different data"):
        T.check_project(project, cfg, tuning_data(seed=5))
    with pytest.raises(T.SearchMismatchError, match="kind"):
        T.check_project(project, dataclasses.replace(cfg, kind="hyperband"), data)
    stored = json.loads((project / T.FINGERPRINT_FILE).read_text())
    del stored["search"]["early_stopping"]                  # a project from before EarlyStopping watched val_accuracy
    (project / T.FINGERPRINT_FILE).write_text(json.dumps(stored))
    with pytest.raises(T.SearchMismatchError, match="early_stopping"):
        T.check_project(project, cfg, data)


def test_prepare_project_and_the_workers_view_of_it(tmp_path, tuning_data, fast):
    data, cfg = tuning_data(), T.SearchConfig("random", **fast)
    with pytest.warns(UserWarning, match="not found"):                  # no chief has written the project yet
        assert prepare_worker_project(cfg, data, tmp_path, "p", tensorboard=False) == (tmp_path / "p", None)
    project, tb = prepare_project(cfg, data, tmp_path, "p", overwrite=False, tensorboard=True)
    assert (project, tb) == (tmp_path / "p", tmp_path / "tensorboard" / "p")
    assert (project / T.FINGERPRINT_FILE).is_file()
    (project / "oracle.json").write_text("{}")
    tb.mkdir(parents=True)
    (tb / "events").write_text("x")
    assert prepare_worker_project(cfg, data, tmp_path, "p", tensorboard=True) == (project, tb)   # matches
    with pytest.raises(T.SearchMismatchError, match="different data"):
        prepare_worker_project(cfg, tuning_data(seed=5), tmp_path, "p", tensorboard=True)
    with pytest.raises(T.SearchMismatchError, match="different data"):
        prepare_project(cfg, tuning_data(seed=5), tmp_path, "p", overwrite=False, tensorboard=False)
    prepare_project(cfg, tuning_data(seed=5), tmp_path, "p", overwrite=True, tensorboard=False)   # starts anew
    assert not (project / "oracle.json").exists() and not tb.exists()
    assert T.check_project(project, cfg, data) is False                 # only the new fingerprint is there


# ---------------------------------------------------------------------------------- tables and figures
def _fake_trials(scores, epochs, ends, status=None) -> pd.DataFrame:
    n = len(scores)
    return pd.DataFrame({"trial_id": [str(i) for i in range(n)], "status": status or ["COMPLETED"] * n,
                         "score": scores, "epochs_run": epochs, "end_s": ends, "seconds": [1.0] * n})


def test_progress_table_and_summary():
    trials = _fake_trials([0.5, np.nan, 0.7, 0.6], [2, 1, 3, 2], [4.0, 2.0, 9.0, 12.0],
                          ["COMPLETED", "FAILED", "COMPLETED", "COMPLETED"])
    p = T.progress_table(trials)
    assert p["trial_id"].tolist() == ["1", "0", "2", "3"]            # in the order trials ended
    assert p["cum_epochs"].tolist() == [1, 3, 6, 8]
    np.testing.assert_array_equal(p["best_so_far"].to_numpy(), [np.nan, 0.5, 0.7, 0.7])
    progress = pd.concat([p.assign(tuner="hyperband", seed=0),
                          T.progress_table(_fake_trials([0.8], [10], [20.0])).assign(tuner="random", seed=0)])
    s = T.summarize_progress(progress, {("hyperband", 0): 10, ("random", 0): 10}).set_index("tuner")
    assert s.loc["hyperband", "epochs_to_best"] == 6 and s.loc["hyperband", "seconds_to_best"] == 9.0
    assert s.loc["hyperband", ["epochs_planned", "epochs_spent"]].tolist() == [10, 8]
    assert np.isnan(T.summarize_progress(progress)["epochs_planned"]).all()          # no plan given
    assert s.loc["random", "best_score"] == 0.8 and s.loc["random", "trials"] == 1

    from choreo_utils import viz

    fig = viz.plot_tuner_comparison(progress, budget_epochs=10)
    assert len(fig.axes) == 2 and all(len(ax.get_lines()) >= 2 for ax in fig.axes)
    with pytest.raises(ValueError, match="lacks"):
        viz.plot_tuner_comparison(p)


# ------------------------------------------------------------------------------------------ searching
@pytest.mark.slow
def test_hyperband_runs_the_computed_budget_and_random_search_matches_it(tmp_path, monkeypatch, tuning_data, fast):
    """Hyperband(max_epochs=2, factor=2): 5 trials / 7 epochs including a continued trial; random gets 7 // 2."""
    import keras

    calls = []
    clear = keras.backend.clear_session
    monkeypatch.setattr(keras.backend, "clear_session", lambda *a, **k: (calls.append(1), clear(*a, **k))[1])
    data = tuning_data()
    cmp = T.compare_tuners(data, seeds=(0,), directory=tmp_path, max_epochs=2, factor=2, patience=10,
                           progress=False, **fast)
    budget = T.hyperband_budget(2, 2)
    hb, rs = cmp.results
    assert (hb.kind, rs.kind) == ("hyperband", "random") and cmp.budget.epochs == budget.epochs == 7
    t = hb.trials
    assert len(t) == budget.trials == 5 and (t["status"] == "COMPLETED").all()
    assert int(t["epochs_run"].sum()) == budget.epochs                  # epochs keras-tuner really ran
    assert (t["epochs_run"] == t["epochs_planned"]).all()               # patience 10: no early stop
    per_round = t.groupby(["bracket", "round"]).size().to_dict()
    assert per_round == {(r.bracket, r.round): r.trials for r in budget.table.itertuples()}
    cont = t[t["round"] == 1].iloc[0]
    assert cont["from_trial"] in set(t["trial_id"]) and (cont["epoch_from"], cont["epoch_to"]) == (1, 2)
    assert len(calls) >= len(t) + len(rs.trials)                        # a fresh Keras session per trial
    pd.testing.assert_frame_equal(t, T.trial_table(hb.project_dir))     # oracle object == files on disk
    assert rs.trials["epochs_planned"].tolist() == [2, 2, 2, 1]          # 7 epochs: the last trial is cut
    assert rs.trials["epochs_run"].sum() == budget.epochs               # spent = Hyperband's budget
    assert set(T.model_params(rs.best_params)) == {"lstm_units", "dense1", "dense2", "activation",
                                                   "learning_rate", "dropout"}
    prog = cmp.progress
    assert set(prog["tuner"]) == {"hyperband", "random"} and prog.groupby("tuner")["cum_epochs"].max()["hyperband"] == 7
    assert (prog.groupby("tuner")["best_so_far"].apply(lambda s: s.is_monotonic_increasing)).all()
    summary = cmp.summary().set_index("tuner")
    assert summary["epochs_planned"].tolist() == summary["epochs_spent"].tolist() == [7, 7]
    events = list((tmp_path / "tensorboard" / "hyperband-seed0").rglob("events.out.tfevents*"))
    assert events and any(b"hparams" in e.read_bytes() for e in events)   # TensorBoard HParams sessions


@pytest.mark.slow
def test_searches_in_parallel_processes_match_the_sequential_run(tmp_path, tuning_data, fast):
    """compare_tuners(jobs=2): same trials (hyperparameters, epochs) as in-process, read back from disk."""
    data = tuning_data()
    kw = dict(seeds=(0,), max_epochs=2, factor=2, patience=10, progress=False, tensorboard=False, **fast)
    seq = T.compare_tuners(data, directory=tmp_path / "seq", **kw)
    par = T.compare_tuners(data, directory=tmp_path / "par", jobs=2, **kw)
    cols = ["trial_id", "status", "lstm_units", "dense1", "activation", "learning_rate", "epochs_planned"]
    for a, b in zip(seq.results, par.results):
        assert (a.kind, a.seed) == (b.kind, b.seed) and b.tuner is None and b.seconds > 0
        pd.testing.assert_frame_equal(a.trials[cols], b.trials[cols])
        assert b.trials["end_s"].notna().all()                          # per-trial times survive the process hop
    assert set(par.summary()["tuner"]) == {"hyperband", "random"}
    with pytest.raises(ValueError, match="overwrite=False"):
        par.results[0].best_model()
    assert (tmp_path / "par" / "compare-logs" / "random-seed0.log").is_file()


@pytest.mark.slow
def test_a_failing_parallel_search_reports_its_log(tmp_path, monkeypatch, tuning_data, fast):
    def corrupt_save(self, path, meta=None):
        path = os.fspath(path)
        with open(path, "wb") as fh:
            fh.write(b"not an npz")
        return path

    monkeypatch.setattr(T.TuningData, "save", corrupt_save)
    with pytest.raises(RuntimeError, match=r"search (hyperband|random)-seed0 failed(.|\n)*error:"):
        T.compare_tuners(tuning_data(), seeds=(0,), directory=tmp_path, max_epochs=2, factor=2, jobs=2,
                         progress=False, tensorboard=False, **fast)


class _Interrupt(BaseException):
    """Like Ctrl-C in the middle of a trial (keras-tuner only catches Exception)."""


@pytest.mark.slow
def test_interrupted_search_resumes_without_rerunning_trials(tmp_path, monkeypatch, tuning_data, tiny_space, fast):
    import keras

    fits = []

    def hit():
        fits.append(1)
        if len(fits) == 2 and interrupt[0]:
            raise _Interrupt()

    class Probe(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            hit()

    interrupt = [True]
    real = tuners.fit_callbacks
    monkeypatch.setattr(tuners, "fit_callbacks", lambda cfg, tb: [*real(cfg, tb), Probe()])
    data = tuning_data()
    kw = dict(directory=tmp_path, project_name="rs", epochs=1, progress=False, tensorboard=False, **fast)
    with pytest.raises(_Interrupt):
        T.run_search(data, "random", max_trials=3, **kw)
    first = T.trial_table(tmp_path / "rs")
    assert first["status"].tolist() == ["COMPLETED", "RUNNING"]
    done_0 = (tmp_path / "rs" / "trial_0" / "trial.json").read_text()

    interrupt[0], fits[:] = False, []
    res = T.run_search(data, "random", max_trials=3, **kw)             # resume: retry trial 1, run trial 2
    t = res.trials
    assert len(fits) == 2 and t["trial_id"].tolist() == ["0", "1", "2"] and (t["status"] == "COMPLETED").all()
    assert t.set_index("trial_id").loc["1", "attempts"] == 2
    assert (tmp_path / "rs" / "trial_0" / "trial.json").read_text() == done_0   # not re-run

    fits[:] = []
    more = T.run_search(data, "random", max_trials=4, **kw)            # more trials: only the new one runs
    assert len(fits) == 1 and len(more.trials) == 4 and more.trials["trial_id"].is_unique
    assert more.trials.iloc[:3]["score"].tolist() == t["score"].tolist()

    with pytest.raises(T.SearchMismatchError, match=r"space\.dense_max"):
        T.run_search(data, "random", max_trials=5, **(kw | {"space": dataclasses.replace(tiny_space, dense_max=10)}))
    with pytest.raises(T.SearchMismatchError, match="different data"):
        T.run_search(tuning_data(seed=9), "random", max_trials=5, **kw)
    assert len(fits) == 1 and len(T.trial_table(tmp_path / "rs")) == 4   # nothing ran, nothing recorded


# ---------------------------------------------------------------------------------------- distributed
def test_unreachable_chief_is_a_clear_error(tmp_path, tuning_data, fast):
    port = T.free_port()
    start = time.monotonic()
    with pytest.raises(T.ChiefUnreachableError, match=f"127.0.0.1:{port}"):
        T.wait_for_chief("127.0.0.1", port, timeout=0.5)
    with pytest.raises(T.ChiefUnreachableError, match="within 0.5 s"):
        T.run_worker(tuning_data(), "random", host="127.0.0.1", port=port, tuner_id="tuner0", directory=tmp_path,
                     connect_timeout=0.5, **fast)
    assert time.monotonic() - start < 10
    assert T.ENV_ORACLE_IP not in os.environ and T.ENV_TUNER_ID not in os.environ
    with pytest.raises(ValueError, match="chief"):
        T.run_worker(tuning_data(), host="127.0.0.1", port=port, tuner_id="chief")


def test_the_injected_crash_reaches_a_worker_interpreter(tmp_path):
    """The distributed test's fault travels to the worker as tests/fault_injection first on PYTHONPATH: its
    sitecustomize must be the one a child interpreter of this venv imports, and must wrap fit_callbacks there."""
    marker = tmp_path / "crashed"
    code = ("import sys; from choreo_utils.tuning import tuners; "
            "print(sys.modules['sitecustomize'].__file__); print(tuners.fit_callbacks.fault_injection)")
    env = child_environment(crash_worker_env("tuner1", marker))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [str(HERE / "sitecustomize.py"), str(("tuner1", str(marker)))]
    assert not marker.exists()


@pytest.mark.slow
def test_distributed_chief_and_two_workers_on_loopback(tmp_path, tuning_data, fast):
    """Chief in this process, two worker processes over gRPC; tuner1 dies mid-trial once (a fault injected by
    tests/fault_injection, see crash_worker_env) and is restarted."""
    marker = tmp_path / "crashed"
    data_path = tuning_data().save(tmp_path / "arrays.npz")
    start = time.monotonic()
    res = T.launch_distributed(data_path, "hyperband", n_workers=2, directory=tmp_path / "runs",
                               project_name="dist", max_epochs=2, factor=2, patience=10, tensorboard=False,
                               timeout=240, connect_timeout=60, quiet=True,
                               extra_env=crash_worker_env("tuner1", marker), **fast)
    elapsed = time.monotonic() - start
    t = res.trials
    budget = T.hyperband_budget(2, 2)
    assert t["trial_id"].is_unique and len(t) == budget.trials            # every trial recorded once
    assert (t["status"] == "COMPLETED").all()
    assert int(t["epochs_run"].sum()) == budget.epochs
    assert set(t["tuner_id"]) <= {"tuner0", "tuner1"}
    assert marker.exists() and res.workers["tuner1"][0] == EXIT_CRASH     # it did die mid-trial...
    assert res.workers["tuner0"] == [0]                                  # (only tuner1)
    assert all(codes[-1] == 0 for codes in res.workers.values())         # ...and every worker ended cleanly
    retried = t[t["attempts"] > 1]
    assert len(retried) == 1 and retried["tuner_id"].iloc[0] == "tuner1"  # the same trial id, run again
    assert T.trial_table(tmp_path / "runs" / "dist")["trial_id"].tolist() == t["trial_id"].tolist()
    assert elapsed < 240


# ------------------------------------------------------- one resume convention, errors, spent budgets
def test_every_entry_point_resumes_unless_asked_to_start_over(tmp_path, tuning_data, fast):
    import inspect

    for func in (T.run_search, T.compare_tuners, T.serve_chief, T.launch_distributed):
        assert inspect.signature(func).parameters["overwrite"].default is False, func.__name__
    data, cfg = tuning_data(), T.SearchConfig("hyperband", max_epochs=2, factor=2, **fast)
    project = tmp_path / "hyperband-seed0"                      # a project made with other data...
    project.mkdir()
    (project / "oracle.json").write_text("{}")
    write_fingerprint(project, cfg, tuning_data(seed=5))
    with pytest.raises(T.SearchMismatchError, match="different data"):   # ...is neither deleted nor mixed
        T.compare_tuners(data, seeds=(0,), directory=tmp_path, max_epochs=2, factor=2, progress=False,
                         tensorboard=False, **fast)
    assert (project / "oracle.json").read_text() == "{}"


def test_cli_tells_configuration_errors_from_runtime_failures(tmp_path, monkeypatch, capsys, tuning_data):
    from choreo_utils.tuning import cli

    path = str(tuning_data().save(tmp_path / "d.npz"))
    assert cli.main(["search", "--data", path, "--max-epochs", "0"]) == T.EXIT_CONFIG     # bad setting
    assert cli.main(["search", "--data", str(tmp_path / "missing.npz")]) == T.EXIT_CONFIG  # no data file
    (tmp_path / "c.json").write_text("{\"kind\": \"random\", \"max_epoch\": 3}")
    assert cli.main(["search", "--data", path, "--config", str(tmp_path / "c.json")]) == T.EXIT_CONFIG
    assert "a configuration error" in capsys.readouterr().err

    def runtime_failure(*a, **k):
        raise ValueError("NaN loss in trial 3")                # a ValueError while running is not a config error

    monkeypatch.setattr(cli, "run_search", runtime_failure)
    assert cli.main(["search", "--data", path]) == T.EXIT_RUNTIME
    err = capsys.readouterr().err
    assert "Traceback" in err and "a runtime failure" in err and "error: ValueError: NaN loss in trial 3" in err

    def mismatch(*a, **k):
        raise T.SearchMismatchError("made with different data")

    monkeypatch.setattr(cli, "run_search", mismatch)
    assert cli.main(["search", "--data", path]) == T.EXIT_CONFIG


def test_launcher_restarts_runtime_failures_and_stops_on_configuration_errors():
    act = T.worker_exit_action
    assert act(0, 0, 2) == "done"
    assert act(T.EXIT_CONFIG, 0, 2) == act(T.EXIT_USAGE, 0, 2) == "stop"                  # a retry fails the same
    for rc in (T.EXIT_RUNTIME, EXIT_CRASH, T.EXIT_CHIEF_LOST, -9):      # EXIT_CRASH: died on its own; -9: killed
        assert act(rc, 0, 2) == act(rc, 1, 2) == "restart" and act(rc, 2, 2) == "give_up"


def test_early_stopping_monitors_the_objective():
    stop = tuners.fit_callbacks(T.SearchConfig(patience=3), None)[0]
    assert (stop.monitor, stop.mode, stop.patience) == (T.OBJECTIVE, "max", 3)     # higher is better


def test_random_search_spends_the_hyperband_budget_refilling_early_stopped_trials(tmp_path, fast):
    """Budget 7 epochs at 2 per trial: an early-stopped trial's unused epoch is granted later; the last trial is
    cut so the spent total is exactly the budget; running trials hold their grant."""
    cfg = T.SearchConfig("random", max_epochs=2, factor=2, epochs=2, **fast)
    assert cfg.epoch_budget == 7
    tuner = T.make_tuner(cfg, (4, 8), 2, directory=tmp_path, project_name="rs")
    oracle = tuner.oracle
    grants, ran = [], {}

    def run(tuner_id, epochs_run=None):
        trial = oracle.create_trial(tuner_id)
        if trial.status != "RUNNING":
            return trial
        grants.append(trial.hyperparameters.values[tuners.EPOCHS_KEY])
        if epochs_run is not None:
            finish(trial, epochs_run)
        return trial

    def finish(trial, epochs_run):
        oracle.update_trial(trial.trial_id, {T.OBJECTIVE: 0.5, "epochs_run": float(epochs_run)})
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
        ran[trial.trial_id] = epochs_run

    run("a", epochs_run=1)                                   # stopped early after 1 of 2 epochs
    b = run("b")                                             # running: holds 2 epochs
    run("a", epochs_run=2)
    finish(b, 2)
    run("a", epochs_run=1)                                   # 1 + 2 + 2 + 1 = 6 spent
    last = run("a", epochs_run=1)                            # one epoch left: granted 1
    assert grants == [2, 2, 2, 2, 1] and last.hyperparameters.values[tuners.EPOCHS_KEY] == 1
    assert sum(ran.values()) == 7 and oracle.create_trial("a").status == "STOPPED"


# ------------------------------------------------------------------------------- project files and kills
def test_a_save_interrupted_before_its_rename_leaves_the_previous_state(tmp_path, monkeypatch, fast):
    """keras-tuner empties oracle.json/trial.json and then writes them, so a search killed in between could not be
    resumed (CI once caught an empty oracle.json after a SIGKILL). Ours write a temporary file and rename it:
    interrupting the rename must leave the previous, readable state and no temporary file."""
    from choreo_utils import io_utils

    cfg = T.SearchConfig("random", max_epochs=2, factor=2, epochs=2, **fast)
    tuner = T.make_tuner(cfg, (4, 8), 2, directory=tmp_path, project_name="rs")
    oracle, project = tuner.oracle, tmp_path / "rs"
    trial = oracle.create_trial("tuner0")
    oracle.update_trial(trial.trial_id, {T.OBJECTIVE: 0.5, "epochs_run": 2.0})
    trial.status = "COMPLETED"
    oracle.end_trial(trial)
    tuner.save()
    files = {p.relative_to(project): p.read_text() for p in project.rglob("*.json")}
    assert {"oracle.json", "tuner0.json", f"trial_{trial.trial_id}/trial.json"} <= {str(p) for p in files}

    def killed(src, dst):
        raise _Interrupt()

    monkeypatch.setattr(io_utils.os, "replace", killed)
    second = None
    with pytest.raises(_Interrupt):
        second = oracle.create_trial("tuner0")               # saves oracle.json as it hands the trial out
    with pytest.raises(_Interrupt):
        oracle.update_trial(trial.trial_id, {T.OBJECTIVE: 0.9, "epochs_run": 2.0})    # saves trial.json
    with pytest.raises(_Interrupt):
        tuner.save()                                        # tuner0.json (and oracle.json)
    monkeypatch.undo()
    assert second is None
    assert {p.relative_to(project): p.read_text() for p in project.rglob("*.json")} == files
    assert not [p for p in project.rglob("*") if p.name.endswith(".part")]
    resumed = T.make_tuner(cfg, (4, 8), 2, directory=tmp_path, project_name="rs")
    assert list(resumed.oracle.trials) == [trial.trial_id]
    assert resumed.oracle.trials[trial.trial_id].score == 0.5


def test_an_unreadable_project_file_is_a_clear_error(tmp_path, tuning_data, fast):
    data, cfg = tuning_data(), T.SearchConfig("random", **fast)
    project, _ = prepare_project(cfg, data, tmp_path, "p", overwrite=False, tensorboard=False)
    (project / "oracle.json").write_text("")                 # what keras-tuner's own save left after a kill
    with pytest.raises(T.CorruptProjectError,
                       match=r"oracle\.json \(keras-tuner oracle state\) is corrupt.*--overwrite"):
        T.check_project(project, cfg, data)
    with pytest.raises(T.CorruptProjectError, match=r"oracle\.json .*overwrite=True"):
        T.trial_table(project)
    (project / "oracle.json").write_text("{}")
    (project / "trial_0").mkdir()
    (project / "trial_0" / "trial.json").write_text('{"trial_id": "0"')
    with pytest.raises(T.CorruptProjectError, match=r"trial_0/trial\.json \(keras-tuner trial\) is corrupt"):
        T.trial_table(project)
    prepare_project(cfg, data, tmp_path, "p", overwrite=True, tensorboard=False)     # the fix it names works
    assert T.check_project(project, cfg, data) is False


def test_tuning_data_refuses_one_hot_and_float_labels(tuning_data):
    data = tuning_data()
    one_hot = np.eye(2)[data.y_train]
    with pytest.raises(T.ConfigurationError,
                       match=r"y_train must be integer class ids.*one-hot rows\? pass labels.argmax"):
        T.TuningData(data.x_train, one_hot, data.x_val, data.y_val, n_classes=2)
    with pytest.raises(T.ConfigurationError, match="y_val must be integer class ids; got float64"):
        T.TuningData(data.x_train, data.y_train, data.x_val, data.y_val + 0.4, n_classes=2)
