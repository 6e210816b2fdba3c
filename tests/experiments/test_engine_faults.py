"""Fault tolerance of the distributed path: a Dask worker process killed mid-sweep, and the
scheduler connection lost mid-sweep then a rerun against a new cluster (resume).  Either way
the results end with exactly one row per (point, scheme, trial), the serial run's numbers, and
no trial blamed for the executor's failure."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pyiscc import experiments as ex
from pyiscc.experiments.store import DB_NAME

from exp_helpers import tiny  # noqa: F401  (fixture)

distributed = pytest.importorskip("distributed")

HERE = Path(__file__).parent
TIMING = ("runtime_s",)


def spec(scenario, marker_dir, trials=6, sleep_s=0.05):
    return ex.SweepSpec(name="faults", scenario=scenario, x_param="bandwidth_hz",
                        x_values=(5e6, 20e6), schemes=("exp_runners:kill_once", "exp_runners:plain_local"),
                        trials=trials, seed=5, options={"marker_dir": str(marker_dir), "sleep_s": sleep_s},
                        metrics=("mean_latency",))


def rows(out_dir):
    with ex.ResultStore(out_dir, readonly=True) as store:
        return store.fetch()


def committed(out_dir) -> int:
    """Rows committed so far (0 while the database is still being created)."""
    try:
        with sqlite3.connect(f"file:{out_dir / DB_NAME}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT COUNT(*) FROM trials").fetchone()[0]
    except sqlite3.Error:
        return 0


def numbers(out_dir):
    """(point, scheme, trial) -> (status, outputs without timings); asserts one row each."""
    got = rows(out_dir)
    keys = [(r["point"], r["scheme"], r["trial"]) for r in got]
    assert len(keys) == len(set(keys))
    return {(r["point"], r["scheme"], r["trial"]):
            (r["status"], {k: v for k, v in (r["outputs"] or {}).items() if k not in TIMING})
            for r in got}


@pytest.fixture(scope="module")
def cluster():
    """One LocalCluster of 2 single-threaded worker processes for the module (its start and the
    workers' imports are most of these tests' time).  allowed-failures = 1: a task survives one
    death of its worker (rerun elsewhere), a second one marks it (KilledWorker).  The scheduler
    runs in this process, so the setting applies."""
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=None)
    try:
        yield cluster
    finally:
        cluster.close()


def ready(cluster) -> str:
    """The scheduler address once both workers are up (a killed one is being restarted)."""
    with distributed.Client(cluster.scheduler_address) as client:
        client.wait_for_workers(2, timeout=120)
    return cluster.scheduler_address


@pytest.fixture
def serial(tiny, tmp_path):
    """The serial run's numbers (the marker already exists: nothing is killed)."""
    marker = tmp_path / "marker"
    marker.mkdir()
    (marker / "killed").touch()
    ex.run_sweep(spec(tiny, marker), tmp_path / "serial", workers=1, progress=False)
    ref = numbers(tmp_path / "serial")
    assert len(ref) == 2 * 2 * 6 and {s for s, _ in ref.values()} == {"ok"}
    return ref


def test_dask_worker_killed_mid_sweep_completes_with_the_serial_numbers(tiny, tmp_path, serial,
                                                                       cluster):
    marker = tmp_path / "kill"
    marker.mkdir()
    summary = ex.run_sweep(spec(tiny, marker), tmp_path / "dask", scheduler=ready(cluster),
                           progress=False)
    assert (marker / "killed").exists()  # a worker really died mid-sweep
    assert numbers(tmp_path / "dask") == serial
    assert summary["n_failed"].sum() == 0


def test_dask_trial_that_kills_every_worker_it_runs_on_is_stored_as_an_error(tiny, tmp_path,
                                                                             cluster):
    s = ex.SweepSpec(name="crash", scenario=tiny, x_param="bandwidth_hz", x_values=(5e6,),
                     schemes=("exp_runners:crash",), trials=1, seed=5)
    summary = ex.run_sweep(s, tmp_path, scheduler=ready(cluster), progress=False)
    (row,) = rows(tmp_path)
    assert row["status"] == "error" and "KilledWorker" in row["error"]
    assert summary["n_failed"].sum() == 1


class _Cluster:
    """A scheduler and 2 single-threaded worker processes, each its own OS process (so the
    scheduler can be killed like a lost machine)."""

    def __init__(self, where: Path) -> None:
        where.mkdir()
        self.file = where / "scheduler.json"
        # exp_runners (tests/experiments) importable; never the checkout's root, whose pyiscc/
        # is the source tree without the compiled modules (the installed package must be used).
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(HERE), str(HERE.parent), os.environ.get("PYTHONPATH", "")]))
        common = dict(env=env, cwd=where, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.scheduler = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--scheduler-file",
             str(self.file), "--port", "0", "--no-dashboard", "--host", "127.0.0.1"], **common)
        self.workers = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file",
             str(self.file), "--nworkers", "2", "--nthreads", "1", "--no-dashboard",
             "--host", "127.0.0.1"], **common)
        deadline = time.monotonic() + 60
        while True:
            if self.file.exists():
                try:
                    with distributed.Client(scheduler_file=str(self.file), timeout=10) as c:
                        c.wait_for_workers(2, timeout=30)
                        self.address = c.scheduler.address
                    break
                except (OSError, ValueError):  # the file is being written
                    pass
            if time.monotonic() > deadline:
                self.close()
                raise RuntimeError("the test cluster did not start")
            time.sleep(0.2)

    def kill_scheduler(self) -> None:
        self.scheduler.send_signal(signal.SIGKILL)
        self.scheduler.wait(30)

    def close(self) -> None:
        for proc in (self.workers, self.scheduler):
            if proc.poll() is None:
                proc.terminate()
        for proc in (self.workers, self.scheduler):
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(30)


def test_lost_scheduler_connection_then_rerun_on_a_new_cluster_resumes(tiny, tmp_path, serial,
                                                                      cluster):
    marker = tmp_path / "marker-lost"
    marker.mkdir()
    (marker / "killed").touch()  # this test loses the scheduler, not a worker
    out = tmp_path / "lost"
    s = spec(tiny, marker, sleep_s=0.3)  # slow enough to be lost mid-sweep
    first = _Cluster(tmp_path / "cluster-1")
    try:
        def kill_when_some_are_committed() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if committed(out) >= 6:
                    first.kill_scheduler()
                    return
                time.sleep(0.02)

        killer = threading.Thread(target=kill_when_some_are_committed)
        killer.start()
        # Depending on when the scheduler dies, the client reports the lost connection or a
        # failed task-graph transfer; either way the sweep stops blaming no trial.
        with pytest.raises(RuntimeError,
                           match="connection to the Dask scheduler|no trial is blamed"):
            ex.run_sweep(s, out, scheduler=first.address, progress=False, max_in_flight=2)
        killer.join()
    finally:
        first.close()
    partial = numbers(out)
    assert 6 <= len(partial) < len(serial)  # stopped mid-sweep, nothing blamed
    assert {status for status, _ in partial.values()} == {"ok"}
    # the rerun, on another cluster (the module's LocalCluster), resumes
    ex.run_sweep(s, out, scheduler=ready(cluster), progress=False)
    assert numbers(out) == serial


