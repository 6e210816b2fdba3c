"""The sweep engine: trial seeds, executors, and the loop that commits each finished trial.

Seeds
-----
Trial ``t`` of point ``p`` (``p`` indexes :meth:`SweepSpec.points`) draws its network from
``numpy.random.default_rng(SeedSequence(seed, spawn_key=(p, t)))``, which is exactly
``SeedSequence(seed).spawn(P)[p].spawn(T)[t]`` for any ``P > p`` and ``T > t``.  A trial's
numbers therefore depend on (seed, p, t) only: not on the executor, the worker count, the order
of completion, which other trials run, or whether the run was resumed.  Every scheme of a point
runs on the same network (common random numbers across schemes).

Executors
---------
``workers=1``: serial, in this process (an inline executor, same code path);
``workers=N`` / ``None`` (= ``os.cpu_count()``): a local process pool (spawned workers);
``scheduler="tcp://host:port"``: an existing Dask cluster; ``dask_local=N``: a Dask
``LocalCluster`` of N single-threaded worker processes.  At most ``max_in_flight`` trials are
submitted at a time (default 2 per worker), so a killed run loses at most those.

Faults
------
A Dask worker lost mid-sweep costs nothing: Dask reruns its tasks on the other workers (and the
nanny restarts it); only a task that was running each time its worker died, ``allowed-failures``
+ 1 times (``KilledWorker``), is stored as that trial's error.  A lost scheduler connection (or
any other failure of the executor rather than of a trial) stops the sweep with a
``RuntimeError``: nothing is blamed, every committed trial stays, and a rerun with the same
output directory, on a new cluster or any other executor, resumes.  A dead process-pool worker
stops the sweep the same way.
"""

from __future__ import annotations

import concurrent.futures as cf
from concurrent.futures.process import BrokenProcessPool
import importlib
import multiprocessing
import os
import socket
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from .._validate import boolean, integer
from ..network import draw_network
from ..scenario import Scenario
from .runners import SCHEME_RUNNERS, SchemeRunner
from .specs import FigureSpec, SweepSpec
from .store import ResultStore, TrialRow

__all__ = ["Engine", "TrialTask", "run_sweep", "run_trial", "trial_seed", "resolve_runner"]


def trial_seed(seed: int, point: int, trial: int) -> np.random.SeedSequence:
    """The SeedSequence of trial ``trial`` of point ``point``: ``SeedSequence(seed).spawn(...)``
    twice, computed directly (see the module docstring)."""
    return np.random.SeedSequence(integer(seed, "seed", 0),
                                  spawn_key=(integer(point, "point", 0), integer(trial, "trial", 0)))


@dataclass(frozen=True)
class TrialTask:
    """Everything a worker needs for one trial (plain data: pickles small and fast).

    Attributes
    ----------
    experiment : str
    point, trial : int
    params : dict
        The point's swept parameter values.
    scenario : dict
        ``Scenario.to_dict()`` of the point.
    options : dict
        Keyword arguments of the runners.
    schemes : tuple of (name, import path)
        Schemes still to run for this trial, each with its runner's ``"module:qualname"``.
    seed_entropy : int
    spawn_key : tuple of int
    """

    experiment: str
    point: int
    trial: int
    params: Mapping[str, Any]
    scenario: Mapping[str, Any]
    options: Mapping[str, Any]
    schemes: tuple[tuple[str, str], ...]
    seed_entropy: int
    spawn_key: tuple[int, ...]

    def __post_init__(self) -> None:
        # per trial: type checks only (the engine builds these from a validated SweepSpec)
        if not isinstance(self.experiment, str) or not self.experiment:
            raise ValueError(f"experiment: must be a non-empty string, got {self.experiment!r}")
        integer(self.point, "point", 0)
        integer(self.trial, "trial", 0)
        for name in ("params", "scenario", "options"):
            if not isinstance(getattr(self, name), Mapping):
                raise ValueError(f"{name}: must be a mapping, got {getattr(self, name)!r}")
        if not isinstance(self.schemes, tuple) or not all(
                isinstance(s, tuple) and len(s) == 2 and all(isinstance(x, str) for x in s)
                for s in self.schemes):
            raise ValueError(f"schemes: must be a tuple of (name, 'module:function') string "
                             f"pairs, got {self.schemes!r}")
        integer(self.seed_entropy, "seed_entropy", 0)
        if not isinstance(self.spawn_key, tuple) or not all(
                isinstance(k, int) and not isinstance(k, bool) and k >= 0 for k in self.spawn_key):
            raise ValueError(f"spawn_key: must be a tuple of integers >= 0, got {self.spawn_key!r}")


def _runner_path(runner: SchemeRunner) -> str:
    return f"{runner.__module__}:{runner.__qualname__}"


def _import_path(path: str) -> SchemeRunner:
    module, _, qualname = path.partition(":")
    if not module or not qualname:
        raise ValueError(f"schemes: runner path {path!r}: expected 'module:function'")
    try:
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"schemes: runner path {path!r} does not import "
                         f"({type(exc).__name__}: {exc})") from exc
    if not callable(obj):
        raise ValueError(f"schemes: runner path {path!r} is not callable")
    return obj


def resolve_runner(name: str, path: str | None = None) -> SchemeRunner:
    """The runner of scheme ``name``: the registered one when its import path matches ``path``
    (or ``path`` is None), otherwise the function ``path`` points to.  ``name`` may itself be a
    ``"module:function"`` path."""
    runner = SCHEME_RUNNERS.get(name)
    if runner is not None and (path is None or _runner_path(runner) == path):
        return runner
    if path is None:
        if ":" in name:
            return _import_path(name)
        raise ValueError(f"schemes: unknown scheme {name!r}; registered: "
                         f"{sorted(SCHEME_RUNNERS)} (or give a 'module:function' path)")
    return _import_path(path)


def _plain_outputs(out: Any) -> dict[str, Any]:
    """Runner output as JSON-friendly Python values, with a bool ``feasible``."""
    if not isinstance(out, Mapping):
        raise TypeError(f"a scheme runner must return a dict, got {type(out).__name__}")
    if "feasible" not in out:
        raise KeyError("a scheme runner's dict must contain 'feasible'")

    def plain(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            return plain(v.tolist())
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, Mapping):
            return {str(k): plain(x) for k, x in v.items()}
        if isinstance(v, (np.bool_, bool)):
            return bool(v)
        if isinstance(v, np.integer):
            return int(v)
        if isinstance(v, (np.floating, float)):
            return float(v)
        if v is None or isinstance(v, (int, str)):
            return v
        raise TypeError(f"runner output value {v!r} ({type(v).__name__}) is not JSON-friendly")

    result = {str(k): plain(v) for k, v in out.items()}
    result["feasible"] = bool(result["feasible"])
    return result


def run_trial(task: TrialTask) -> list[TrialRow]:
    """Run one trial: draw the network once, run every scheme of ``task`` on it.

    Never raises for a failing scheme or draw: such a scheme gets a row with status ``'error'``
    and the traceback; the other schemes still run.  Top-level and picklable, so any executor
    can call it.
    """
    if not isinstance(task, TrialTask):
        raise ValueError(f"task: must be a TrialTask, got {type(task).__name__}")
    host = f"{socket.gethostname()}:{os.getpid()}"
    inputs = {"params": dict(task.params), "options": dict(task.options)}

    def row(scheme: str, status: str, outputs: dict[str, Any] | None, error: str | None,
            runtime: float | None) -> TrialRow:
        return TrialRow(task.experiment, task.point, scheme, task.trial, inputs,
                        task.seed_entropy, tuple(task.spawn_key), status, outputs, error, runtime,
                        host)

    try:
        seq = np.random.SeedSequence(task.seed_entropy, spawn_key=tuple(task.spawn_key))
        network = draw_network(Scenario.from_dict(task.scenario), rng=np.random.default_rng(seq))
    except Exception:
        tb = "drawing the network failed:\n" + traceback.format_exc()
        return [row(name, "error", None, tb, None) for name, _ in task.schemes]
    rows = []
    for name, path in task.schemes:
        start = time.perf_counter()
        try:
            runner = resolve_runner(name, path)
            outputs = _plain_outputs(runner(network, **task.options))
        except Exception:
            rows.append(row(name, "error", None, traceback.format_exc(),
                            time.perf_counter() - start))
            continue
        rows.append(row(name, "ok" if outputs["feasible"] else "infeasible", outputs, None,
                        time.perf_counter() - start))
    return rows


# ---------------------------------------------------------------------- executors
class ExecutorLost(Exception):
    """The Dask client lost its scheduler: every submitted future is cancelled."""


class InlineExecutor(cf.Executor):
    """Runs each call at submit time in this process: the serial executor (``workers=1``)."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        future: cf.Future[Any] = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # delivered through the future, like a pool would
            future.set_exception(exc)
        return future


class _Backend:
    """Uniform submit / wait-for-some over concurrent.futures and dask.distributed."""

    def __init__(self, *, workers: int | None, scheduler: str | None,
                 dask_local: int | None) -> None:
        given = [x is not None for x in (scheduler, dask_local)]
        if sum(given) > 1 or (any(given) and workers is not None):
            raise ValueError("workers, scheduler and dask_local are mutually exclusive")
        if scheduler is not None and not isinstance(scheduler, str):
            raise ValueError(f"scheduler: must be an address string such as "
                             f"'tcp://host:8786', got {scheduler!r}")
        if dask_local is not None:
            dask_local = integer(dask_local, "dask_local", 1)
        if workers is not None:
            workers = integer(workers, "workers", 1)
        self._client: Any = None
        self._cluster: Any = None
        self._executor: cf.Executor | None = None
        if scheduler is not None or dask_local is not None:
            try:
                import distributed
            except ImportError:  # pragma: no cover - depends on the environment
                raise ImportError("Dask executors need dask.distributed: "
                                  "pip install 'pyiscc[dask]'") from None
            self._distributed = distributed
            if dask_local is not None:
                self._cluster = distributed.LocalCluster(
                    n_workers=int(dask_local), threads_per_worker=1, processes=True,
                    dashboard_address=None)
                self._client = distributed.Client(self._cluster)
            else:
                self._client = distributed.Client(scheduler)
            n = sum(self._client.nthreads().values())
            self.n_workers = max(int(n), 1)
            self.kind = "dask"
            self.serial = False
        else:
            self.n_workers = (os.cpu_count() or 1) if workers is None else workers
            self.serial = self.n_workers == 1
            if self.serial:
                self._executor = InlineExecutor()
                self.kind = "serial"
            else:
                # spawn: workers start clean (no forked threads or locks), as on every OS
                self._executor = cf.ProcessPoolExecutor(
                    self.n_workers, mp_context=multiprocessing.get_context("spawn"))
                self.kind = "process"

    def submit(self, task: TrialTask) -> Any:
        if self._client is not None:
            if self._client.status != "running":  # reconnecting or closed: it would not run
                raise ExecutorLost(f"the Dask client is {self._client.status!r}")
            return self._client.submit(run_trial, task, pure=False)
        assert self._executor is not None
        return self._executor.submit(run_trial, task)

    def wait_some(self, futures: set[Any]) -> set[Any]:
        if self._client is not None:
            try:
                done, _ = self._distributed.wait(list(futures), return_when="FIRST_COMPLETED")
            except Exception as exc:  # the client lost the scheduler: every future is gone
                raise ExecutorLost(f"{type(exc).__name__}: {exc}") from exc
            return set(done)
        done, _ = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
        return done

    def blames(self, exc: BaseException) -> bool:
        """Whether a task's failure is the trial's own doing rather than the executor's: Dask's
        ``KilledWorker`` (the task was running each time its worker died, ``allowed-failures``
        + 1 times: a trial that crashes its worker).  A worker lost once is not: Dask reruns
        its tasks elsewhere by itself."""
        return self._client is not None and type(exc).__name__ == "KilledWorker"

    def cancel(self, futures: set[Any]) -> None:
        for f in futures:
            f.cancel()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        if self._client is not None:
            # a client that lost its scheduler would wait for it to come back (30 s) first
            lost = self._client.status not in ("running", "newly-created")
            self._client.close(timeout=1 if lost else None)
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


# ---------------------------------------------------------------------- the engine
def _as_sweep(spec: SweepSpec | FigureSpec) -> SweepSpec:
    if isinstance(spec, FigureSpec):
        return spec.sweep
    if isinstance(spec, SweepSpec):
        return spec
    raise ValueError(f"spec: must be a SweepSpec or FigureSpec, got {type(spec).__name__}")


class Engine:
    """Runs sweeps on one executor, kept open across sweeps (``reproduce`` runs many).

    Parameters
    ----------
    workers : int, optional
        Local worker processes; 1 = serial in this process; default ``os.cpu_count()``.
    scheduler : str, optional
        Address of a running Dask scheduler (``"tcp://host:8786"``).
    dask_local : int, optional
        Start a Dask ``LocalCluster`` with this many worker processes.
    progress : bool
        Show a tqdm progress bar (trials/s, ETA, infeasible and failed counts) on stderr.
    max_in_flight : int, optional
        Trials submitted but not finished at any time (default 2 per worker): the most a
        killed run can lose.
    """

    def __init__(self, *, workers: int | None = None, scheduler: str | None = None,
                 dask_local: int | None = None, progress: bool = True,
                 max_in_flight: int | None = None) -> None:
        progress = boolean(progress, "progress")
        if max_in_flight is not None:
            max_in_flight = integer(max_in_flight, "max_in_flight", 1)
        self._backend = _Backend(workers=workers, scheduler=scheduler, dask_local=dask_local)
        self.progress = progress
        self.max_in_flight = 2 * self._backend.n_workers if max_in_flight is None else max_in_flight

    @property
    def kind(self) -> str:
        """``"serial"``, ``"process"`` or ``"dask"``."""
        return self._backend.kind

    @property
    def n_workers(self) -> int:
        return self._backend.n_workers

    def close(self) -> None:
        self._backend.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _tasks(self, spec: SweepSpec, store: ResultStore, retry_failed: bool
               ) -> tuple[list[TrialTask], int]:
        """Tasks still to run (trial-major, so partial results cover every point) and the
        number of trials already complete."""
        paths = {}
        for name in spec.schemes:
            runner = resolve_runner(name)
            path = _runner_path(runner)
            if not self._backend.serial and "<" in path:
                raise ValueError(f"schemes: scheme {name!r}: runner {path} is not importable by worker "
                                 "processes; define it at module level")
            paths[name] = path
        done = store.finished(spec.name, include_errors=not retry_failed)
        points = spec.points()
        tasks, complete = [], 0
        for t in range(spec.trials):
            for p, params in enumerate(points):
                todo = tuple((s, paths[s]) for s in spec.schemes if (p, s, t) not in done)
                if not todo:
                    complete += 1
                    continue
                tasks.append(TrialTask(
                    experiment=spec.name, point=p, trial=t, params=params,
                    scenario=spec.point_scenario(params).to_dict(),
                    options=spec.point_options(params), schemes=todo, seed_entropy=spec.seed,
                    spawn_key=(p, t)))
        return tasks, complete

    def run(self, spec: SweepSpec | FigureSpec, out_dir: str | PathLike[str], *,
            retry_failed: bool = False) -> pd.DataFrame:
        """Run (or resume) one sweep into ``out_dir``; returns its summary
        (:func:`pyiscc.experiments.summarize`).

        Trials already in ``out_dir`` are skipped; rows with status 'error' too, unless
        ``retry_failed``.  Each finished trial is committed at once."""
        from .summary import summarize

        sweep = _as_sweep(spec)
        retry_failed = boolean(retry_failed, "retry_failed")
        if not isinstance(out_dir, (str, os.PathLike)):
            raise ValueError(f"out_dir: must be a path, got {type(out_dir).__name__}")
        with ResultStore(out_dir) as store:
            store.register_experiment(sweep.name, sweep.fingerprint(), sweep.to_dict())
            tasks, complete = self._tasks(sweep, store, retry_failed)
            self._execute(sweep, store, tasks, complete)
            rows = store.fetch(sweep.name)
        return summarize(rows, sweep)

    def _execute(self, spec: SweepSpec, store: ResultStore, tasks: Sequence[TrialTask],
                 complete: int) -> None:
        from tqdm import tqdm

        total = spec.trials * spec.n_points
        counts = {"infeasible": 0, "error": 0}
        bar = tqdm(total=total, initial=complete, unit="trial", desc=spec.name,
                   disable=not self.progress, dynamic_ncols=True, smoothing=0.1)
        pending: Iterator[TrialTask] = iter(tasks)
        in_flight: dict[Any, TrialTask] = {}

        def fill() -> None:
            while len(in_flight) < self.max_in_flight:
                task = next(pending, None)
                if task is None:
                    return
                in_flight[self._backend.submit(task)] = task

        try:
            fill()
            while in_flight:
                for future in self._backend.wait_some(set(in_flight)):
                    task = in_flight.pop(future)
                    try:
                        rows = future.result()
                    except BrokenProcessPool as exc:
                        # a worker process died (segfault, out of memory, killed): which trial
                        # caused it is unknown, so none is blamed; finished ones are committed
                        raise RuntimeError(
                            f"a worker process died while running sweep {spec.name!r}; every "
                            "finished trial is saved and a rerun with the same output directory "
                            "resumes (workers that cannot start also end here: the main script "
                            "needs the `if __name__ == \"__main__\":` guard and cannot be read "
                            "from stdin; workers=1 runs serially)") from exc
                    except Exception as exc:
                        # run_trial catches everything a scheme raises, so this is the executor
                        # failing the task.  A lost scheduler connection, a cancelled future or
                        # a cluster that cannot run the task is not the trial's fault: stop, keep
                        # what is committed, blame no trial (a rerun resumes).  Only a trial that
                        # killed its worker every time it ran (Dask's KilledWorker) is stored
                        # as an error.
                        if isinstance(exc, cf.CancelledError):
                            raise ExecutorLost(str(exc)) from exc
                        if not self._backend.blames(exc):
                            raise RuntimeError(
                                f"the executor failed trial {task.trial} of point {task.point} "
                                f"of sweep {spec.name!r} ({type(exc).__name__}: {exc}); no "
                                "trial is blamed, every finished one is saved and a rerun "
                                "with the same output directory resumes") from exc
                        tb = "the executor failed the trial:\n" + traceback.format_exc()
                        rows = [TrialRow(task.experiment, task.point, name, task.trial,
                                         {"params": dict(task.params),
                                          "options": dict(task.options)},
                                         task.seed_entropy, task.spawn_key, "error", None, tb,
                                         None, None) for name, _ in task.schemes]
                    store.commit(rows)
                    for r in rows:
                        if r.status in counts:
                            counts[r.status] += 1
                    bar.update(1)
                    if counts["infeasible"] or counts["error"]:
                        bar.set_postfix(infeasible=counts["infeasible"], failed=counts["error"],
                                        refresh=False)
                fill()
        except ExecutorLost as exc:
            self._backend.cancel(set(in_flight))
            raise RuntimeError(
                f"lost the connection to the Dask scheduler while running sweep {spec.name!r} "
                f"({exc}); every finished trial is saved and a rerun with the same output "
                "directory (on any executor) resumes") from exc
        except BaseException:
            self._backend.cancel(set(in_flight))
            raise
        finally:
            bar.close()


def run_sweep(spec: SweepSpec | FigureSpec, out_dir: str | PathLike[str], *,
              workers: int | None = None, scheduler: str | None = None,
              dask_local: int | None = None, progress: bool = True, retry_failed: bool = False,
              max_in_flight: int | None = None) -> pd.DataFrame:
    """Run (or resume) a Monte-Carlo sweep, committing every finished trial to
    ``out_dir/results.sqlite``.

    Parameters
    ----------
    spec : SweepSpec or FigureSpec
    out_dir : path
        Results directory; rerunning with the same directory skips the finished trials.
    workers, scheduler, dask_local, progress, max_in_flight
        See :class:`Engine`.
    retry_failed : bool
        Run again the trials stored with status 'error'.

    Returns
    -------
    pandas.DataFrame
        The summary: one row per (point, scheme) with the mean and 95% CI half-width of every
        metric over *feasible* trials, and the feasible / infeasible / failed counts.
    """
    with Engine(workers=workers, scheduler=scheduler, dask_local=dask_local, progress=progress,
                max_in_flight=max_in_flight) as engine:
        return engine.run(spec, out_dir, retry_failed=retry_failed)
