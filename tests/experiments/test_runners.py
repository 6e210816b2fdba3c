"""Scheme runners (pyiscc/experiments/runners.py): the registry, the standard metrics of an
evaluated solution, the solver-backed runners and the nearest-MEC reference runner."""

from __future__ import annotations

import json

import numpy as np
import pytest

import pyiscc as pi
from pyiscc import experiments as ex
from pyiscc.experiments import runners
from pyiscc.network import nearest_bs

from exp_helpers import tiny  # noqa: F401  (fixture)


def test_every_solver_scheme_has_a_runner():
    assert set(pi.SCHEMES) <= set(ex.SCHEME_RUNNERS)
    assert ex.SCHEME_RUNNERS["mec-nearest-mrs"] is runners.run_mec_nearest_mrs


def test_register_scheme_rules(monkeypatch):
    monkeypatch.setattr(runners, "SCHEME_RUNNERS", dict(runners.SCHEME_RUNNERS))

    def mine(network):
        return {"feasible": True}

    assert runners.register_scheme("mine", mine) is mine
    assert runners.register_scheme("mine", mine) is mine  # same runner again: fine
    with pytest.raises(ValueError, match="already registered"):
        runners.register_scheme("mine", runners.run_local)
    runners.register_scheme("mine", runners.run_local, replace=True)
    assert runners.SCHEME_RUNNERS["mine"] is runners.run_local
    with pytest.raises(ValueError, match="^name"):
        runners.register_scheme("a:b", mine)
    with pytest.raises(ValueError, match="^name"):
        runners.register_scheme("", mine)
    with pytest.raises(ValueError, match="^runner"):
        runners.register_scheme("x", 3)


def test_evaluation_metrics_match_the_evaluation():
    net = pi.draw_network(seed=5)
    w = pi.max_sensing_beams(net)
    a = np.zeros((3, 9))
    b = np.zeros((3, 9))
    a[0, 0] = a[1, 1] = 1
    b[2, 2] = 1
    ev = pi.evaluate(net, w, a, b)
    m = ex.evaluation_metrics(ev, a, b)
    assert (m["n_local"], m["n_mec"], m["n_cloud"]) == (6, 2, 1)
    assert m["mean_latency"] == ev.mean_latency and m["total_latency"] == ev.total_latency
    assert m["mean_energy"] == pytest.approx(ev.energy.mean(), rel=1e-15)
    assert m["min_echo_sinr_db"] == pytest.approx(10 * np.log10(ev.echo_sinr.min()), rel=1e-15)
    assert m["constraints_met"] == ev.feasible and m["n_violations"] == len(ev.violations)
    assert "feasible" not in m
    json.dumps(m)  # JSON-friendly: stored as is


def test_solver_runner_reports_the_solution():
    net = pi.draw_network(seed=2)
    out = runners.run_dcet_mrs(net)
    sol = pi.solve(net, "dcet-mrs")
    assert out["feasible"] == sol.feasible and out["solver_status"] == sol.status
    assert out["mean_latency"] == sol.mean_latency
    assert out["n_mec"] == int(sol.a.sum()) and out["n_cloud"] == int(sol.b.sum())
    assert out["runtime_s"] > 0
    local = runners.run_local(net)
    assert (local["n_mec"], local["n_cloud"]) == (0, 0)


def test_mec_nearest_mrs_fills_the_nearest_servers_in_order(tiny):
    sc = pi.Scenario(n_terminals=8, mec_capacity_hz=6e9)  # two slots per server
    net = pi.draw_network(sc, seed=9)
    out = runners.run_mec_nearest_mrs(net)
    near = nearest_bs(net)
    used = {l: 0 for l in range(3)}
    expected_mec = 0
    for l in near:
        if used[l] < 2:
            used[l] += 1
            expected_mec += 1
    assert out["n_mec"] == expected_mec and out["n_cloud"] == 0
    assert out["n_local"] == 8 - expected_mec
    w = pi.max_sensing_beams(net)
    ev = pi.evaluate(net, w, *_decisions(near, 3, 8, 2))
    assert out["mean_latency"] == ev.mean_latency and out["feasible"] == ev.feasible


def _decisions(near, L, K, slots):
    a = np.zeros((L, K))
    left = np.full(L, slots)
    for k, l in enumerate(near):
        if left[l]:
            a[l, k] = 1
            left[l] -= 1
    return a, np.zeros((L, K))
