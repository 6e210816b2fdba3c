"""The sweep engine: seeds, executor independence, durable resumable results, failures."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pyiscc import experiments as ex
from pyiscc.experiments.store import DB_NAME

from exp_helpers import tiny  # noqa: F401  (fixture)

HERE = Path(__file__).parent
#: Outputs that measure wall-clock time: they differ between any two runs by construction.
TIMING = ("runtime_s",)


def spec(scenario, name="t", schemes=("local", "mec-nearest-mrs"), trials=3, **kw):
    kw.setdefault("x_param", "bandwidth_hz")
    kw.setdefault("x_values", (5e6, 20e6))
    return ex.SweepSpec(name=name, scenario=scenario, schemes=schemes, trials=trials, seed=11,
                        **kw)


def numbers(out_dir) -> dict:
    """(point, scheme, trial) -> (status, outputs without timings), from the database."""
    with ex.ResultStore(out_dir, readonly=True) as store:
        rows = store.fetch()
    return {(r["experiment"], r["point"], r["scheme"], r["trial"]):
            (r["status"], {k: v for k, v in (r["outputs"] or {}).items() if k not in TIMING})
            for r in rows}


# ---------------------------------------------------------------------- seeds
def test_trial_seed_is_the_spawn_tree_child():
    root = np.random.SeedSequence(11)
    child = root.spawn(4)[2].spawn(7)[5]
    np.testing.assert_array_equal(ex.trial_seed(11, 2, 5).generate_state(8),
                                  child.generate_state(8))


def test_trial_numbers_do_not_depend_on_which_trials_run(tiny, tmp_path):
    full = spec(tiny, trials=3, x_values=(5e6, 10e6, 20e6))
    ex.run_sweep(full, tmp_path / "full", workers=1, progress=False)
    # one point only, then the rest: same numbers for the shared (point, trial)s
    part = spec(tiny, trials=1, x_values=(5e6, 10e6, 20e6))
    ex.run_sweep(part, tmp_path / "part", workers=1, progress=False)
    a, b = numbers(tmp_path / "full"), numbers(tmp_path / "part")
    assert len(b) == 6 and len(a) == 18
    for key, value in b.items():
        assert a[key] == value


# ---------------------------------------------------------------------- executors
def test_serial_process_pool_and_dask_give_identical_numbers(tiny, tmp_path):
    s = spec(tiny, trials=3, series_param="mec_capacity_hz", series_values=(3e9, 9e9),
             metrics=("mean_latency", "mean_energy"))
    serial = ex.run_sweep(s, tmp_path / "serial", workers=1, progress=False)
    pool = ex.run_sweep(s, tmp_path / "pool", workers=2, progress=False)
    dask = ex.run_sweep(s, tmp_path / "dask", dask_local=2, progress=False)
    ref = numbers(tmp_path / "serial")
    assert len(ref) == 2 * 2 * 3 * 2
    assert numbers(tmp_path / "pool") == ref
    assert numbers(tmp_path / "dask") == ref
    pd.testing.assert_frame_equal(pool, serial)
    pd.testing.assert_frame_equal(dask, serial)
    # the drop really varies between trials and points
    assert serial["mean_latency_ci95"].gt(0).any()


def test_schemes_of_a_trial_share_one_network(tiny, tmp_path):
    ex.run_sweep(spec(tiny, schemes=("local", "mec-nearest-mrs"), trials=2), tmp_path,
                 workers=1, progress=False)
    rows = ex.load_results(tmp_path)
    local = rows[rows.scheme == "local"].set_index(["point", "trial"])
    mec = rows[rows.scheme == "mec-nearest-mrs"].set_index(["point", "trial"])
    # MRS beams on both: the echo SINRs depend only on the network
    for key in local.index:
        assert local.loc[key, "echo_sinr"] == mec.loc[key, "echo_sinr"]


# ---------------------------------------------------------------------- durability
def test_rerun_skips_finished_and_extends_trials_and_schemes(tiny, tmp_path):
    ex.run_sweep(spec(tiny, schemes=("local",), trials=2), tmp_path, workers=1, progress=False)
    with ex.ResultStore(tmp_path, readonly=True) as store:
        first = {r["trial"]: r["finished_at"] for r in store.fetch() if r["point"] == 0}
    ex.run_sweep(spec(tiny, trials=4), tmp_path, workers=1, progress=False)
    ex.run_sweep(spec(tiny, trials=4), tmp_path / "fresh", workers=1, progress=False)
    assert numbers(tmp_path) == numbers(tmp_path / "fresh")
    with ex.ResultStore(tmp_path, readonly=True) as store:
        again = {r["trial"]: r["finished_at"] for r in store.fetch()
                 if r["point"] == 0 and r["scheme"] == "local"}
        assert store.count() == 2 * 2 * 4
    assert {t: again[t] for t in first} == first  # not recomputed


def test_changed_spec_in_same_directory_is_refused(tiny, tmp_path):
    ex.run_sweep(spec(tiny, trials=1), tmp_path, workers=1, progress=False)
    with pytest.raises(ex.SpecMismatchError, match="another experiment name"):
        ex.run_sweep(spec(tiny.replace(n_terminals=4), trials=1), tmp_path, workers=1,
                     progress=False)
    with pytest.raises(ex.SpecMismatchError):
        ex.run_sweep(spec(tiny, trials=1, x_values=(5e6, 10e6)), tmp_path, workers=1,
                     progress=False)


def test_store_is_wal_and_keyed(tiny, tmp_path):
    ex.run_sweep(spec(tiny, trials=2), tmp_path, workers=1, progress=False)
    con = sqlite3.connect(tmp_path / DB_NAME)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        row = con.execute("SELECT * FROM trials LIMIT 1").fetchone()
        with pytest.raises(sqlite3.IntegrityError):
            con.execute("INSERT INTO trials VALUES (" + ",".join("?" * len(row)) + ")", row)
        inputs, entropy, key = con.execute(
            "SELECT inputs, seed_entropy, spawn_key FROM trials WHERE point = 1 AND trial = 1"
        ).fetchone()
    finally:
        con.close()
    assert json.loads(inputs)["params"] == {"bandwidth_hz": 20e6}
    assert (entropy, json.loads(key)) == ("11", [1, 1])


_KILL_SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {here!r})
    import pyiscc as pi
    from pyiscc import experiments as ex
    if __name__ == "__main__":  # spawned pool workers import this file again
        sc = pi.Scenario(n_terminals=3, n_bs=2, bs_antennas=4, terminal_antennas=2)
        spec = ex.SweepSpec(name="kill", scenario=sc, x_param="bandwidth_hz",
                            x_values=(5e6, 10e6, 20e6, 40e6), schemes=("exp_runners:sleepy",),
                            trials=10, seed=5, options={{"sleep_s": {sleep}}})
        ex.run_sweep(spec, sys.argv[1], workers=2, progress=False)
""")


def _kill_spec(tiny, sleep):
    return ex.SweepSpec(name="kill", scenario=tiny, x_param="bandwidth_hz",
                        x_values=(5e6, 10e6, 20e6, 40e6), schemes=("exp_runners:sleepy",),
                        trials=10, seed=5, options={"sleep_s": sleep})


def test_killed_sweep_resumes_to_exactly_one_row_per_trial(tiny, tmp_path):
    sleep = 0.15
    killed = tmp_path / "killed"
    script = tmp_path / "sweep.py"
    script.write_text(_KILL_SCRIPT.format(here=str(HERE), sleep=sleep))
    # own session: SIGKILL reaches the sweep and its pool workers, as when a job is killed
    proc = subprocess.Popen([sys.executable, str(script), str(killed)], start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    db = killed / DB_NAME
    deadline = time.monotonic() + 120.0
    done = 0
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if db.exists():
                con = sqlite3.connect(db, timeout=30.0)
                try:
                    done = con.execute("SELECT COUNT(*) FROM trials").fetchone()[0]
                except sqlite3.OperationalError:  # table not created yet
                    done = 0
                finally:
                    con.close()
                if done >= 8:
                    break
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, err.decode()[-2000:]
    partial = numbers(killed)
    assert 8 <= len(partial) < 40, len(partial)

    ex.run_sweep(_kill_spec(tiny, sleep), killed, workers=2, progress=False)
    ex.run_sweep(_kill_spec(tiny, sleep), tmp_path / "clean", workers=2, progress=False)
    con = sqlite3.connect(killed / DB_NAME)
    try:
        total, distinct = con.execute(
            "SELECT COUNT(*), COUNT(DISTINCT experiment || '/' || point || '/' || scheme || '/' "
            "|| trial) FROM trials").fetchone()
    finally:
        con.close()
    assert total == distinct == 40
    resumed, clean = numbers(killed), numbers(tmp_path / "clean")
    assert resumed == clean
    for key, value in partial.items():  # what survived the kill was kept as it was
        assert resumed[key] == value


# ---------------------------------------------------------------------- failures
def test_raising_trial_is_recorded_and_sweep_completes(tiny, tmp_path):
    s = spec(tiny, schemes=("exp_runners:faulty", "local"), trials=6)
    summary = ex.run_sweep(s, tmp_path, workers=2, progress=False)
    rows = ex.load_results(tmp_path)
    assert len(rows) == 2 * 2 * 6
    failed = rows[rows.status == "error"]
    assert len(failed) > 0
    assert (failed.scheme == "exp_runners:faulty").all()
    assert failed.error.str.contains("ValueError: deliberate failure").all()
    assert failed.error.str.contains("Traceback").all()
    ok = rows[(rows.scheme == "exp_runners:faulty") & (rows.status == "ok")]
    assert len(ok) + len(failed) == 12 and len(ok) > 0
    assert (rows[rows.scheme == "local"].status != "error").all()
    faulty = summary[summary.scheme == "exp_runners:faulty"]
    assert faulty.n_failed.sum() == len(failed)
    assert (faulty.n_feasible + faulty.n_failed == 6).all()
    # a plain rerun leaves failures alone; retry_failed runs them again (they fail again)
    ex.run_sweep(s, tmp_path, workers=1, progress=False, retry_failed=True)
    again = ex.load_results(tmp_path)
    assert len(again) == 24
    assert (again.status == "error").sum() == len(failed)
    assert (again[again.status == "error"].finished_at.to_numpy()
            != failed.finished_at.to_numpy()).all()


def test_runner_without_feasible_key_is_an_error_row(tiny, tmp_path):
    ex.run_sweep(spec(tiny, schemes=("exp_runners:no_feasible_key",), trials=1), tmp_path,
                 workers=1, progress=False)
    rows = ex.load_results(tmp_path)
    assert (rows.status == "error").all()
    assert rows.error.str.contains("must contain 'feasible'").all()


def test_unknown_scheme_and_unpicklable_runner_fail_before_running(tiny, tmp_path):
    with pytest.raises(ValueError, match="unknown scheme 'nope'"):
        ex.run_sweep(spec(tiny, schemes=("nope",)), tmp_path, workers=1, progress=False)
    ex.register_scheme("lambda-test", lambda net: {"feasible": True, "mean_latency": 1.0})
    try:
        with pytest.raises(ValueError, match="not importable by worker processes"):
            ex.run_sweep(spec(tiny, name="l", schemes=("lambda-test",)), tmp_path, workers=2,
                         progress=False)
        summary = ex.run_sweep(spec(tiny, name="l", schemes=("lambda-test",)), tmp_path,
                               workers=1, progress=False)
        assert (summary.mean_latency == 1.0).all()
    finally:
        del ex.SCHEME_RUNNERS["lambda-test"]


def test_register_scheme_refuses_silent_overwrite():
    with pytest.raises(ValueError, match="already registered"):
        ex.register_scheme("local", lambda net: {})
    with pytest.raises(ValueError, match="without ':'"):
        ex.register_scheme("a:b", lambda net: {})


def test_executor_options_are_exclusive(tiny, tmp_path):
    with pytest.raises(ValueError, match="mutually exclusive"):
        ex.run_sweep(spec(tiny), tmp_path, workers=2, dask_local=2, progress=False)
    with pytest.raises(ValueError, match="workers"):
        ex.run_sweep(spec(tiny), tmp_path, workers=0, progress=False)


def test_progress_bar_reports_rate_and_counts(tiny, tmp_path, capsys):
    ex.run_sweep(spec(tiny, schemes=("exp_runners:coin",), trials=4), tmp_path, workers=1)
    err = capsys.readouterr().err
    assert "8/8" in err and "trial/s" in err
    assert "infeasible=" in err


def test_dead_worker_stops_the_sweep_with_a_clear_error(tiny, tmp_path):
    with pytest.raises(RuntimeError, match="worker process died"):
        ex.run_sweep(spec(tiny, schemes=("exp_runners:crash",), trials=1), tmp_path, workers=2,
                     progress=False)
    with ex.ResultStore(tmp_path, readonly=True) as store:
        assert store.count() == 0  # no trial was blamed
