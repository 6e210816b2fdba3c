"""Property test of the whole solver: scenarios drawn from wide ranges, every scheme, and the
Solution's ``feasible`` flag against an independent NumPy check of (18a)-(18e).

Sizes are biased small (K <= 10 in about 9 examples of 10, a few up to K = 40, L = 8, M = 64,
N = 8) so that 300 examples fit in a few minutes on 2 cores; CCET-ISCC (one joint QCQP over all
K N beams per iteration) runs on the examples with K N <= 32 with its iterations capped, as the
only aim here is an honest answer, never a good one.
"""

from __future__ import annotations

import os

import numpy as np
import reference_model as ref
from hypothesis import event, given, seed, settings
from hypothesis import strategies as st
from tolerances import KERNEL_RTOL

import pyiscc as pi
from pyiscc.metrics import FEASIBILITY_RTOL

#: Statuses of a Solution whose w, a, b should meet every constraint the scheme enforces.
FEASIBLE_STATUSES = frozenset({"converged", "max_iter"})
#: Statuses that say no feasible point came back ("no_feasible_point_found": none was found,
#: without a proof that none exists).
NOT_FEASIBLE_STATUSES = frozenset({"infeasible", "no_feasible_point_found"})
#: Baselines that do not enforce (18e): ``feasible`` says whether they happen to meet it.
NOT_ENFORCED = "not_enforced"
ENFORCING = ("dcet-iscc", "ccet-iscc", "et-iscc")

EXAMPLES = 300 if os.environ.get("CI") else 30


@st.composite
def scenarios(draw):
    large = draw(st.integers(0, 9)) == 0
    K = draw(st.integers(11, 40) if large else st.integers(1, 10))
    L = draw(st.integers(1, 8) if large else st.integers(1, 3))
    M = draw(st.integers(1, 64) if large else st.integers(1, 16))
    N = draw(st.integers(1, 8) if large else st.integers(1, 4))
    capacity = draw(st.one_of(st.just(0.0), st.floats(0.0, 3e10), st.just(1e300)))
    return pi.Scenario(
        n_bs=L, n_terminals=K, bs_antennas=M, terminal_antennas=N,
        max_power_dbm=draw(st.floats(0.0, 40.0)),
        sensing_sinr_db=draw(st.floats(-10.0, 25.0)),
        mec_capacity_hz=capacity,
        # without the integration gain (6400 at Table III) almost no drop can sense: 1 in 4
        echo_integration=draw(st.sampled_from((True, True, True, False))))


def reference_feasible(net, w, a, b):
    """(18a)-(18e) from the NumPy transcription, with evaluate()'s relative tolerance; None when
    a constraint lies within KERNEL_RTOL of its bound (two correct evaluations may disagree)."""
    sc = net.scenario
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    if not (np.isin(a, (0.0, 1.0)).all() and np.isin(b, (0.0, 1.0)).all()):  # (18b)
        return False
    if ((a + b).sum(axis=0) > 1).any():  # (18a)
        return False
    gamma = ref.echo_sinr(sc, net.HI, w, net.target_angle, net.target_distance, net.rcs)
    local_share = 1.0 - a.sum(axis=0) - b.sum(axis=0)
    power = (np.linalg.norm(w, axis=1) ** 2
             + local_share * sc.chip_coefficient * net.cpu_local_hz ** 3)
    load = sc.cpu_mec_hz * a.sum(axis=1)
    rt = FEASIBILITY_RTOL
    # value / bound ratio of each constraint, oriented so that "<= 1 + rt" holds
    checks = [(load, sc.mec_capacity_hz * (1 + rt)),        # (18c)
              (power, net.max_power_w * (1 + rt)),          # (18d)
              (sc.sensing_sinr * (1 - rt), gamma)]          # (18e)
    ok = True
    for lhs, rhs in checks:
        lhs, rhs = np.broadcast_arrays(np.asarray(lhs, float), np.asarray(rhs, float))
        close = np.abs(lhs - rhs) <= KERNEL_RTOL * np.maximum(np.abs(lhs), np.abs(rhs))
        if (close & (lhs != rhs)).any():
            return None
        ok &= bool((lhs <= rhs).all())
    return ok


def check_solution(net, sol):
    for name in ("w", "rate", "echo_sinr", "latency", "power", "energy"):
        assert not np.isnan(getattr(sol, name)).any(), f"{sol.scheme}: NaN in {name}"
    assert not np.isnan(sol.mean_latency)
    assert not np.isnan(sol.history["total_latency"]).any()
    want = reference_feasible(net, sol.w, sol.a, sol.b)
    if want is not None:
        assert sol.feasible == want, (sol.scheme, sol.status, sol.violations)
    if sol.feasible:
        assert np.isfinite(sol.latency).all(), sol.scheme
    assert sol.status in FEASIBLE_STATUSES | NOT_FEASIBLE_STATUSES | {NOT_ENFORCED}, sol.status
    if sol.status in NOT_FEASIBLE_STATUSES:
        assert not sol.feasible, (sol.scheme, sol.status)
    if sol.scheme in ENFORCING:
        assert sol.status != NOT_ENFORCED
        assert sol.feasible == (sol.status in FEASIBLE_STATUSES), (sol.scheme, sol.status,
                                                                   sol.violations)
    else:
        assert sol.status in {NOT_ENFORCED} | NOT_FEASIBLE_STATUSES


@seed(20261202)
@settings(max_examples=EXAMPLES)
@given(sc=scenarios(), drop=st.integers(0, 2**32 - 1))
def test_every_scheme_is_honest_about_feasibility(sc, drop):
    net = pi.draw_network(sc, seed=drop)
    for scheme in pi.SCHEMES:
        if scheme == "ccet-iscc":
            if sc.n_terminals * sc.terminal_antennas > 32:
                continue
            sol = pi.solve(net, scheme, max_outer=3, beamforming={"max_iter": 5})
        else:
            sol = pi.solve(net, scheme)
        check_solution(net, sol)
        event(f"{scheme}: {sol.status}, {'feasible' if sol.feasible else 'not feasible'}")
