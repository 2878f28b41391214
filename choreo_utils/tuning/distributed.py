"""Distributed search over keras-tuner's gRPC oracle: a chief that hands out trials, workers that run them,
and a launcher that runs both on one machine.

keras-tuner's own distributed mode (``KERASTUNER_TUNER_ID`` / ``KERASTUNER_ORACLE_IP`` /
``KERASTUNER_ORACLE_PORT``) has workers wait up to an hour for an absent chief and spin on "IDLE" answers, and
its chief polls for the end every 20 s. Here :func:`wait_for_chief` fails fast with the address, idle workers
back off (``tuners``), and :func:`serve_chief` uses keras-tuner's own gRPC servicer with a quicker exit check.
:func:`launch_distributed` restarts a worker that dies; workers are ``python -m choreo_utils.tuning worker``
processes (see :mod:`~choreo_utils.tuning.cli` for the command line on several machines).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterator, Mapping

from choreo_utils.tuning.data import TuningData
from choreo_utils.tuning.errors import ConfigurationError
from choreo_utils.tuning.processes import child_environment, log_tail, start_tuning_process, stop_process
from choreo_utils.tuning.project import default_directory, prepare_project, prepare_worker_project, reload_if_needed
from choreo_utils.tuning.results import SearchResult, trial_table
from choreo_utils.tuning.settings import OBJECTIVE, SearchConfig, resolve_config
from choreo_utils.tuning.tuners import (ENV_ORACLE_IP, ENV_ORACLE_PORT, ENV_TUNER_ID, frozen_gc, make_tuner,
                                        search_arguments)

#: Exit codes of ``python -m choreo_utils.tuning``: a runtime failure (any exception that is not a
#: configuration error), a usage error (argparse, missing flags), a configuration error
#: (:class:`~choreo_utils.tuning.errors.ConfigurationError`, an unreachable chief), a chief lost mid-search.
#: The launcher restarts a worker after anything non-zero except a usage or configuration error: a runtime
#: failure, a lost chief, a kill by a signal (negative) or any other code (a process that died on its own).
EXIT_RUNTIME, EXIT_USAGE, EXIT_CONFIG, EXIT_CHIEF_LOST = 1, 2, 3, 4


class ChiefUnreachableError(ConnectionError):
    """A worker could not reach (or lost) the chief oracle."""


class ChiefLostError(ChiefUnreachableError):
    """A worker lost the chief in the middle of a search."""


class WorkerFailedError(RuntimeError):
    """A distributed worker kept dying, or the launcher gave up waiting."""


def worker_exit_action(rc: int, restarts: int, max_restarts: int) -> str:
    """What the launcher does when a worker exits with ``rc`` after ``restarts`` restarts: ``"done"`` (0),
    ``"stop"`` (a usage or configuration error: a restart would fail the same way), ``"restart"`` (a runtime
    failure, a crash, a lost chief) or ``"give_up"`` (a runtime failure with ``max_restarts`` restarts spent)."""
    if rc == 0:
        return "done"
    if rc in (EXIT_USAGE, EXIT_CONFIG):
        return "stop"
    return "restart" if restarts < max_restarts else "give_up"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_for_chief(host: str, port: int, timeout: float = 60.0) -> None:
    """Block until a gRPC server answers at ``host:port``; :class:`ChiefUnreachableError` after ``timeout`` s."""
    import grpc  # noqa: PLC0415

    address = f"{host}:{port}"
    channel = grpc.insecure_channel(address)
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        raise ChiefUnreachableError(
            f"no keras-tuner chief oracle answered at {address} within {timeout:g} s. Start the chief first "
            f"(`python -m choreo_utils.tuning chief --host 0.0.0.0 --port {port} ...`) and check "
            f"{ENV_ORACLE_IP}/{ENV_ORACLE_PORT}, the port and any firewall between the machines.") from None
    finally:
        channel.close()


@contextlib.contextmanager
def _environ_set(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of the block, then restore (or remove) them."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update({k: str(v) for k, v in values.items()})
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_worker(data: TuningData, config: SearchConfig | str = "hyperband", *, host: str, port: int,
               tuner_id: str, directory=None, project_name: str | None = None, tensorboard: bool = True,
               verbose: int = 0, connect_timeout: float = 60.0, rpc_timeout: float = 600.0, **settings) -> int:
    """Run trials for the chief at ``host:port`` until it says stop, as keras-tuner worker ``tuner_id``.

    Sets keras-tuner's ``KERASTUNER_*`` variables for the duration. Fails fast with
    :class:`ChiefUnreachableError` naming the address if no chief answers within ``connect_timeout`` s, or if
    the chief goes away (an RPC gets no answer within ``rpc_timeout`` s; keras-tuner's own limit is an hour).
    Returns the number of trials this worker ran.
    """
    import grpc  # noqa: PLC0415

    config = resolve_config(config, settings)
    if "chief" in tuner_id:
        raise ConfigurationError(f"worker tuner_id must not contain 'chief' (got {tuner_id!r}); "
                                 "use tuner0, tuner1, …")
    project_name = project_name or f"{config.kind}-seed{config.seed}"
    wait_for_chief(host, port, connect_timeout)
    with _environ_set({ENV_TUNER_ID: tuner_id, ENV_ORACLE_IP: host, ENV_ORACLE_PORT: str(port)}):
        from keras_tuner.src.distribute import oracle_client  # noqa: PLC0415  (keras-tuner's gRPC client)

        oracle_client.TIMEOUT = rpc_timeout
        project_dir, tb_dir = prepare_worker_project(config, data, directory, project_name, tensorboard)
        ran = []

        def log(tuner, trial):
            ran.append(trial.trial_id)
            print(f"{tuner_id}: trial {trial.trial_id} {trial.status}", flush=True)

        try:
            tuner = make_tuner(config, data.input_shape, data.n_classes, directory=project_dir.parent,
                               project_name=project_name, on_trial_end=log)
            with frozen_gc():
                tuner.search(**search_arguments(config, data, tb_dir, verbose))
        except grpc.RpcError as exc:
            raise ChiefLostError(
                f"{tuner_id} lost the chief at {host}:{port} ({exc.code().name}): it stopped or the network "
                "dropped. Restart the chief on the same directory without --overwrite, then the workers: the "
                "search resumes and this worker's interrupted trial is retried under the same id.") from exc
    return len(ran)


def _serve_oracle(oracle, host: str, port: int, *, poll: float = 0.2,
                  on_ready: Callable[[int], None] | None = None, on_poll: Callable[[], None] | None = None) -> None:
    """Serve ``oracle`` to workers with keras-tuner's gRPC servicer until the search is over.

    Same as keras-tuner's ``oracle_chief.start_server`` but listening check and exit are ours: it raises if
    the port cannot be bound and checks for the end every ``poll`` s (keras-tuner: every 20 s).
    """
    from concurrent import futures  # noqa: PLC0415

    import grpc  # noqa: PLC0415
    from keras_tuner.src import protos  # noqa: PLC0415
    from keras_tuner.src.distribute import oracle_chief  # noqa: PLC0415

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = oracle_chief.OracleServicer(oracle)
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError as exc:
        bound, err = 0, exc
    else:
        err = None
    if not bound:
        raise OSError(f"the chief could not listen on {host}:{port} ({err or 'port in use?'}); choose another "
                      "--port (or 0 for a free one with `launch`)")
    server.start()
    try:
        if on_ready is not None:
            on_ready(bound)
        while not (servicer.stop_triggered and oracle_chief.exit_chief(oracle)):
            if on_poll is not None:
                on_poll()
            time.sleep(poll)
    finally:
        server.stop(grace=1.0)


def serve_chief(data: TuningData, config: SearchConfig | str = "hyperband", *, host: str = "127.0.0.1",
                port: int = 8470, directory=None, project_name: str | None = None, overwrite: bool = False,
                tensorboard: bool = True, on_ready: Callable[[int], None] | None = None,
                on_poll: Callable[[], None] | None = None, **settings) -> SearchResult:
    """Be the chief: hold the oracle, hand trials to workers over gRPC, return when every trial is done.

    Checks/writes the project fingerprint first (so workers can check theirs), resumes a matching project
    unless ``overwrite``. Bind ``host="0.0.0.0"`` to accept workers from other machines.
    """
    config = resolve_config(config, settings)
    project_name = project_name or f"{config.kind}-seed{config.seed}"
    project_dir, tb_dir = prepare_project(config, data, directory, project_name, overwrite, tensorboard)
    saved = {k: os.environ.pop(k) for k in (ENV_TUNER_ID, ENV_ORACLE_IP, ENV_ORACLE_PORT) if k in os.environ}
    os.environ[ENV_TUNER_ID] = "chief"      # without the IP keras-tuner builds a local oracle: the one we serve
    try:
        tuner = make_tuner(config, data.input_shape, data.n_classes, directory=project_dir.parent,
                           project_name=project_name, tuner_id="chief")
    finally:
        os.environ.pop(ENV_TUNER_ID, None)
        os.environ.update(saved)
    reload_if_needed(tuner, project_dir)
    tuner.oracle.verbose = 0
    tuner.save()
    start = time.perf_counter()
    _serve_oracle(tuner.oracle, host, int(port), on_ready=on_ready, on_poll=on_poll)
    tuner.oracle.save()
    return SearchResult(config, project_dir, tuner, time.perf_counter() - start, trial_table(tuner), tb_dir)

def launch_distributed(data: TuningData | str | os.PathLike, config: SearchConfig | str = "hyperband", *,
                       n_workers: int = 2, directory=None, project_name: str | None = None,
                       host: str = "127.0.0.1", port: int = 0, overwrite: bool = False, timeout: float | None = None,
                       max_restarts: int = 2, threads_per_worker: int | None = None, tensorboard: bool = True,
                       connect_timeout: float = 120.0, extra_env: Mapping[str, str] | None = None,
                       quiet: bool = False, **settings) -> SearchResult:
    """Distributed search on this machine: this process is the chief, ``n_workers`` subprocesses are workers.

    Workers are ``python -m choreo_utils.tuning worker`` processes (``KERASTUNER_TUNER_ID=tuner0…``) talking to
    the chief over gRPC at ``host:port`` (``port=0``: a free one). ``data`` is a :class:`TuningData` (saved next
    to the project) or an ``.npz`` path, so workers never recompute features. A worker that dies is restarted
    with the same tuner id (up to ``max_restarts`` times) and re-runs its unfinished trial under the same
    trial id; a configuration error (mismatched project, unreachable chief) is reported, not retried. Worker
    logs are in ``<directory>/<project_name>-logs/``. Everything started is stopped on return or error.
    Returns the chief's :class:`SearchResult` (trial table with each trial's ``tuner_id``).
    """
    config = resolve_config(config, settings)
    project_name = project_name or f"{config.kind}-seed{config.seed}-distributed"
    directory = Path(directory) if directory is not None else default_directory()
    if int(n_workers) < 1:
        raise ConfigurationError(f"n_workers must be ≥ 1, got {n_workers}")
    log_dir = directory / f"{project_name}-logs"
    if overwrite and log_dir.exists():
        shutil.rmtree(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    if isinstance(data, TuningData):
        data_path = data.save(log_dir / "arrays.npz")
    else:
        data_path, data = Path(data), TuningData.load(data)
    config_path = log_dir / "search-config.json"
    config_path.write_text(json.dumps(config.to_dict(), indent=2) + "\n")
    threads = threads_per_worker or max(1, (os.cpu_count() or 1) // int(n_workers))
    env = child_environment(extra_env)
    workers: dict[str, subprocess.Popen] = {}
    restarts = {f"tuner{i}": 0 for i in range(int(n_workers))}
    finished: set[str] = set()
    exits: dict[str, list[int]] = {tid: [] for tid in restarts}
    recorded: set[int] = set()
    all_exited_at: list[float] = []
    deadline = time.monotonic() + timeout if timeout else None
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    bound = {"port": port}

    def start(tuner_id: str) -> None:
        args = ["worker", "--config", str(config_path), "--data", str(data_path), "--directory", str(directory),
                "--project-name", project_name, "--host", host, "--port", str(bound["port"]), "--tuner-id", tuner_id,
                "--connect-timeout", str(connect_timeout), "--threads", str(threads)] + \
            ([] if tensorboard else ["--no-tensorboard"])
        header = f"--- start {time.strftime('%H:%M:%S')} (restart {restarts[tuner_id]}): "
        workers[tuner_id] = start_tuning_process(args, log_dir / f"{tuner_id}.log", env, header=header,
                                                 append=True, new_session=True)

    def on_ready(port_bound: int) -> None:
        bound["port"] = port_bound
        say(f"chief listening on {host}:{port_bound}; starting {n_workers} worker(s), logs in {log_dir}")
        for tuner_id in restarts:
            start(tuner_id)

    def on_poll() -> None:
        if deadline is not None and time.monotonic() > deadline:
            raise WorkerFailedError(f"distributed search did not finish within {timeout:g} s; logs in {log_dir}. "
                                    "Re-run the same command without overwrite to resume.")
        for tuner_id, proc in list(workers.items()):
            rc = proc.poll()
            if rc is None or tuner_id in finished:
                continue
            exits[tuner_id].append(rc)
            recorded.add(proc.pid)
            action = worker_exit_action(rc, restarts[tuner_id], max_restarts)
            if action == "done":
                finished.add(tuner_id)
                continue
            log = log_dir / f"{tuner_id}.log"
            if action == "stop":
                raise WorkerFailedError(f"worker {tuner_id} stopped on a configuration error (exit code {rc}), so "
                                        f"it is not restarted; fix the settings or data. Its log {log} ends "
                                        f"with:\n{log_tail(log, 8)}")
            if action == "give_up":
                raise WorkerFailedError(f"worker {tuner_id} died {restarts[tuner_id] + 1} times (last exit code "
                                        f"{rc}); its log {log} ends with:\n{log_tail(log)}\nRe-run without overwrite "
                                        "to resume: its unfinished trial is retried under the same id.")
            restarts[tuner_id] += 1
            say(f"worker {tuner_id} exited with code {rc} mid-search; restarting it ({restarts[tuner_id]}/"
                f"{max_restarts}) — it resumes its unfinished trial")
            start(tuner_id)
        if workers and len(finished) == len(restarts):      # the chief's end check may lag by one poll
            all_exited_at.append(time.monotonic())
            if all_exited_at[-1] - all_exited_at[0] > 5.0:
                raise WorkerFailedError("all workers exited but the chief still has trials marked running; "
                                        f"logs in {log_dir}")

    try:
        result = serve_chief(data, config, host=host, port=port, directory=directory, project_name=project_name,
                             overwrite=overwrite, tensorboard=tensorboard, on_ready=on_ready, on_poll=on_poll)
        for proc in workers.values():                  # they were told to stop; give them a moment to exit
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                pass
    finally:
        for tuner_id, proc in workers.items():
            stop_process(proc)
            if proc.pid not in recorded:
                exits[tuner_id].append(proc.returncode)
    result.workers = exits
    trials = result.trials
    dup = trials["trial_id"][trials["trial_id"].duplicated()].tolist()
    if dup:
        raise RuntimeError(f"trials recorded twice: {dup}")
    by = trials.groupby("tuner_id").size().to_dict() if "tuner_id" in trials else {}
    say(f"{len(trials)} trials ({(trials['status'] == 'COMPLETED').sum()} completed) in {result.seconds:.1f} s; "
        f"per worker: {by}; best {OBJECTIVE} {trials['score'].max():.4f}")
    return result

