"""From trial rows to tables (pyiscc/experiments/summary.py): the raw-row frame, the per-point
summary over feasible trials, the detection column, loading and export."""

from __future__ import annotations

import importlib.util
import json
import math

import numpy as np
import pandas as pd
import pytest

from pyiscc import experiments as ex
from pyiscc.experiments.detection import detection_probability
from pyiscc.experiments.summary import Z95, rows_frame

from exp_helpers import tiny  # noqa: F401  (fixture)


def _spec(scenario, **kw):
    kw.setdefault("metrics", ("mean_latency", "mean_energy"))
    return ex.SweepSpec(name="s", scenario=scenario, x_param="bandwidth_hz",
                        x_values=(5e6, 10e6), schemes=("a", "b"), trials=4, **kw)


def _row(point, scheme, trial, status, outputs, bandwidth):
    return {"experiment": "s", "point": point, "scheme": scheme, "trial": trial,
            "inputs": {"params": {"bandwidth_hz": bandwidth}}, "seed_entropy": 1,
            "spawn_key": (point, trial), "status": status, "outputs": outputs,
            "error": "boom" if status == "error" else None, "wall_time_s": 0.01,
            "finished_at": "2026-01-01T00:00:00", "host": "h"}


def _rows():
    """Point 0, scheme a: 3 feasible trials and 1 infeasible; scheme b: 1 feasible, 1 failed.
    Point 1 has no rows at all."""
    lat = [0.1, 0.2, 0.4]
    rows = [_row(0, "a", t, "ok", {"feasible": True, "mean_latency": v, "mean_energy": 2 * v,
                                   "echo_sinr": [1.0, 4.0]}, 5e6) for t, v in enumerate(lat)]
    rows.append(_row(0, "a", 3, "infeasible", {"feasible": False, "mean_latency": 99.0,
                                               "mean_energy": 99.0, "echo_sinr": [0.1, 0.1]}, 5e6))
    rows.append(_row(0, "b", 0, "ok", {"feasible": True, "mean_latency": 0.3, "mean_energy": 0.6,
                                       "echo_sinr": [2.0]}, 5e6))
    rows.append(_row(0, "b", 1, "error", None, 5e6))
    return rows, np.array(lat)


def test_rows_frame_columns(tiny):
    rows, _ = _rows()
    df = rows_frame(rows)
    assert len(df) == 6
    assert df.feasible.tolist() == [True, True, True, False, True, False]
    assert (df.bandwidth_hz == 5e6).all()
    assert df.echo_sinr.iloc[0] == [1.0, 4.0]  # lists stay lists
    assert df.error.iloc[5] == "boom"
    empty = rows_frame([])
    assert empty.empty and "status" in empty.columns


def test_summary_averages_feasible_trials_only(tiny):
    rows, lat = _rows()
    s = ex.summarize(rows, _spec(tiny))
    assert len(s) == 4  # 2 points x 2 schemes, including the point without rows
    a = s[(s.point == 0) & (s.scheme == "a")].iloc[0]
    assert (a.n_trials, a.n_feasible, a.n_infeasible, a.n_failed) == (4, 3, 1, 0)
    assert a.mean_latency == pytest.approx(lat.mean(), rel=1e-15)
    assert a.mean_latency_std == pytest.approx(lat.std(ddof=1), rel=1e-15)
    assert a.mean_latency_ci95 == pytest.approx(Z95 * lat.std(ddof=1) / math.sqrt(3), rel=1e-15)
    assert a.mean_energy == pytest.approx(2 * lat.mean(), rel=1e-15)
    b = s[(s.point == 0) & (s.scheme == "b")].iloc[0]
    assert (b.n_feasible, b.n_failed) == (1, 1)
    assert b.mean_latency == 0.3 and math.isnan(b.mean_latency_std) and math.isnan(b.mean_latency_ci95)
    missing = s[s.point == 1]
    assert (missing.n_trials == 0).all() and missing.mean_latency.isna().all()
    assert (missing.x == 10e6).all() and (s.mean_over == "feasible trials").all()
    assert s.attrs["averaging"] == ex.AVERAGING_NOTE
    # a DataFrame of the same rows summarises the same
    pd.testing.assert_frame_equal(ex.summarize(rows_frame(rows), _spec(tiny)), s)


def test_detection_probability_column(tiny):
    rows, _ = _rows()
    spec = _spec(tiny, p_fa=1e-3)
    df = rows_frame(rows, spec)
    want = float(np.mean(detection_probability(np.array([1.0, 4.0]), 1e-3)))
    assert df.detection_probability.iloc[0] == pytest.approx(want, rel=1e-15)
    assert math.isnan(df.detection_probability.iloc[5])  # failed trial: no echo SINRs
    s = ex.summarize(rows, spec)
    assert s.detection_probability.iloc[0] == pytest.approx(want, rel=1e-15)


def test_load_and_export_a_stored_sweep(tiny, tmp_path):
    spec = ex.SweepSpec(name="bw", scenario=tiny, x_param="bandwidth_hz", x_values=(5e6, 10e6),
                        schemes=("local", "mec-nearest-mrs"), trials=2, seed=3,
                        metrics=("mean_latency",))
    summary = ex.run_sweep(spec, tmp_path, workers=1, progress=False)
    rows = ex.load_results(tmp_path)
    assert len(rows) == 2 * 2 * 2
    pd.testing.assert_frame_equal(ex.load_summary(tmp_path, "bw"), summary)
    with pytest.raises(ValueError, match="^experiment"):
        ex.load_results(tmp_path, "nope")
    with pytest.raises(ValueError, match="^experiment"):
        ex.load_summary(tmp_path, "nope")
    paths = ex.export(tmp_path)
    assert [p.name for p in paths] == ["trials.csv", "summary.csv"]
    trials = pd.read_csv(paths[0])
    assert len(trials) == 8
    # list cells are written as JSON text
    assert json.loads(trials.echo_sinr.iloc[0]) == rows.echo_sinr.iloc[0]
    assert len(pd.read_csv(paths[1])) == 4
    with pytest.raises(ValueError, match="^fmt"):
        ex.export(tmp_path, fmt="xlsx")


@pytest.mark.skipif(importlib.util.find_spec("pyarrow") is not None, reason="pyarrow installed")
def test_parquet_export_needs_pyarrow(tiny, tmp_path):
    with pytest.raises(ImportError, match="pyarrow"):
        ex.export(tmp_path, fmt="parquet")
