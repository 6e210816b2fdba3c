"""Fig. 2's runner and plot (pyiscc/experiments/convergence.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

import pyiscc as pi
from pyiscc import experiments as ex
from pyiscc.experiments.convergence import (_mean_padded, plot_convergence, run_convergence,
                                            run_convergence_slack)
from pyiscc.experiments.specs import FigureSpec


def test_convergence_runner_histories_match_the_solvers():
    sc = pi.Scenario(n_terminals=4, n_bs=2, bs_antennas=6, terminal_antennas=2)
    net = pi.draw_network(sc, seed=1)
    out = run_convergence(net, max_iter=8)
    w = pi.max_sensing_beams(net)
    off = pi.optimize_offloading(net, w)
    bf = pi.optimize_beamforming(net, off.a, off.b, w0=w, max_iter=8)
    assert out["admm_history"] == [float(v) for v in off.history.objective]
    assert out["beamforming_history"] == [float(v) for v in bf.history]
    assert out["admm_iterations"] == off.iterations and out["beamforming_iterations"] == bf.iterations
    assert out["upload_latency"] == bf.objective
    assert out["feasible"] == (off.status != "infeasible" and bf.status != "infeasible")
    assert ex.SCHEME_RUNNERS["convergence"] is run_convergence


def test_mean_padded_holds_the_last_value():
    np.testing.assert_allclose(_mean_padded([[4.0, 2.0], [6.0, 4.0, 2.0, 0.0]]),
                               [5.0, 3.0, 2.0, 1.0])


def test_plot_convergence_writes_both_panels(tmp_path):
    sweep = ex.SweepSpec(name="conv-demo", scenario=pi.Scenario(n_terminals=3),
                         x_param="bs_antennas", x_values=(8, 16), schemes=("convergence",),
                         trials=2, metrics=("upload_latency",))
    spec = FigureSpec(sweep=sweep, title="Fig. 2 (demo)", y_metric="upload_latency",
                      y_label="Upload latency [ms]", x_label="BS antennas M")
    rows = pd.DataFrame({"status": ["ok", "ok", "infeasible"], "bs_antennas": [8, 16, 16],
                         "admm_history": [[3.0, 2.0], [4.0, 3.0, 2.5], [9.0]],
                         "beamforming_history": [[0.02, 0.01], [0.03, 0.02], [0.5]]})
    files = plot_convergence(spec, rows, tmp_path, formats=("png", "svg"), dpi=50)
    assert [f.name for f in files] == ["conv-demo.png", "conv-demo.svg"]
    svg = files[1].read_text()
    assert "M = 8 (1 drops)" in svg and "M = 16 (1 drops)" in svg  # the infeasible row left out
    assert all(f.stat().st_size > 0 for f in files)



def test_slack_runner_runs_algorithm_2_with_the_slack_rule():
    sc = pi.Scenario(n_terminals=4, n_bs=2, bs_antennas=6, terminal_antennas=2)
    net = pi.draw_network(sc, seed=1)
    out = run_convergence_slack(net, max_iter=8)
    w = pi.max_sensing_beams(net)
    off = pi.optimize_offloading(net, w)
    bf = pi.optimize_beamforming(net, off.a, off.b, w0=w, max_iter=8, caps="slack")
    assert out["admm_history"] == [float(v) for v in off.history.objective]
    assert out["beamforming_history"] == [float(v) for v in bf.history]
    assert out["upload_latency"] == bf.objective
    paper = pi.optimize_beamforming(net, off.a, off.b, w0=w, max_iter=8)
    assert out["beamforming_history"] != [float(v) for v in paper.history]
    assert ex.SCHEME_RUNNERS["convergence-slack"] is run_convergence_slack


def test_plot_convergence_draws_both_cap_rules(tmp_path):
    sweep = ex.SweepSpec(name="conv-rules", scenario=pi.Scenario(n_terminals=3),
                         x_param="bs_antennas", x_values=(8,),
                         schemes=("convergence", "convergence-slack"), trials=1,
                         metrics=("upload_latency",))
    spec = FigureSpec(sweep=sweep, title="Fig. 2 (demo)", y_metric="upload_latency",
                      y_label="Upload latency [ms]", x_label="BS antennas M")
    rows = pd.DataFrame({"status": ["ok", "ok"], "bs_antennas": [8, 8],
                         "scheme": ["convergence", "convergence-slack"],
                         "admm_history": [[3.0, 2.0], [3.0, 2.0]],
                         "beamforming_history": [[0.02, 0.019], [0.02, 0.012]]})
    svg = plot_convergence(spec, rows, tmp_path, formats=("svg",), dpi=50)[0].read_text()
    assert "caps (58)" in svg
    assert "slack caps, better of MRS/MRT start (ours)" in svg


def test_slack_runner_reports_no_feasible_point_as_infeasible():
    """A drop of Fig. 2 (M = 32, trial 60 of seed 2026) on which Algorithm 2's feasibility phase
    finds no point under the slack rule ("no_feasible_point_found", not "infeasible"): the
    trial must not be averaged in (its (39) is infinite)."""
    from pyiscc.experiments.engine import trial_seed
    from pyiscc.experiments.figures import FIGURES

    sweep = FIGURES["2"].sweep
    point = 2
    sc = sweep.point_scenario(sweep.points()[point])
    net = pi.draw_network(sc, rng=np.random.default_rng(trial_seed(sweep.seed, point, 60)))
    out = run_convergence_slack(net)
    mrs = pi.max_sensing_beams(net)
    off = pi.optimize_offloading(net, mrs)
    bf = pi.optimize_beamforming(net, off.a, off.b, w0=mrs, caps="slack")
    assert bf.status == "no_feasible_point_found"
    assert out["feasible"] is False and not np.isfinite(out["upload_latency"])
