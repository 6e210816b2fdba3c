"""Algorithm 1 (pyiscc.optimize_offloading) and its MILP oracle (pyiscc.optimal_offloading)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from tolerances import OBJECTIVE_RTOL, RELAXATION_RTOL

import pyiscc as pi
from pyiscc.metrics import FEASIBILITY_RTOL
from pyiscc.offloading import offloading_problem


def small_network(seed, **changes):
    sc = pi.Scenario(n_bs=2, n_terminals=4, **changes)
    return pi.draw_network(sc, seed=seed)


def brute_force(prob):
    """Best binary decision by enumerating every mode of every terminal: (objective, modes)."""
    L, K = prob.cost_mec.shape
    best = (np.inf, None)
    for modes in itertools.product(range(-1, 2 * L), repeat=K):
        a = np.zeros((L, K))
        b = np.zeros((L, K))
        ok = True
        for k, m in enumerate(modes):
            if m < 0:
                ok &= not prob.must_offload[k]
            elif m < L:
                a[m, k] = 1.0
                ok &= bool(np.isfinite(prob.cost_mec[m, k]))
            else:
                b[m - L, k] = 1.0
                ok &= bool(np.isfinite(prob.cost_cloud[m - L, k]))
        if not ok or (a.sum(axis=1) > prob.capacity + 1e-12).any():
            continue
        value = prob.objective(a, b)
        if value < best[0]:
            best = (value, modes)
    return best


def assert_meets_18a_to_18d(net, w, res):
    """Binary, one choice per terminal, MEC capacity and power budget (up to the named
    infeasible terminals)."""
    assert res.a.dtype.kind == "i" and res.b.dtype.kind == "i"
    assert set(np.unique(res.a)) <= {0, 1} and set(np.unique(res.b)) <= {0, 1}
    assert (res.a.sum(axis=0) + res.b.sum(axis=0) <= 1).all()
    ev = pi.evaluate(net, w, res.a, res.b)
    bad = [v for v in ev.violations if v.constraint in ("mec_capacity", "power")
           and not (v.constraint == "power" and v.index in res.infeasible_terminals)]
    assert bad == []
    np.testing.assert_allclose(ev.total_latency, res.objective, rtol=1e-9)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("changes", [{}, {"mec_capacity_hz": 3e9}, {"mec_capacity_hz": 4.5e9},
                                     {"backhaul_bps": 1e9, "mec_capacity_hz": 3e9}])
def test_oracle_matches_brute_force(seed, changes):
    net = small_network(seed, **changes)
    w = pi.max_sensing_beams(net)
    res = pi.optimal_offloading(net, w)
    best, _ = brute_force(offloading_problem(net, w))
    assert res.status == "optimal" and res.backend == "milp"
    np.testing.assert_allclose(res.objective, best, rtol=OBJECTIVE_RTOL)
    assert_meets_18a_to_18d(net, w, res)


def test_oracle_two_tier_never_uses_cloud():
    net = small_network(3, mec_capacity_hz=3e9)
    w = pi.max_sensing_beams(net)
    res = pi.optimal_offloading(net, w, cloud=False)
    assert res.b.sum() == 0
    best, _ = brute_force(offloading_problem(net, w, cloud=False))
    np.testing.assert_allclose(res.objective, best, rtol=OBJECTIVE_RTOL)


# ---------------------------------------------------------------- Algorithm 1 (ADMM)

def lp_relaxation(prob):
    """Optimum of the relaxation (19) by scipy.optimize.linprog (HiGHS), the reference for the
    ADMM's relaxed objective."""
    from scipy.optimize import linprog

    L, K = prob.cost_mec.shape
    cost = np.concatenate([prob.cost_mec.ravel(), prob.cost_cloud.ravel()])
    ok = np.isfinite(cost)
    c = np.where(ok, cost, 0.0)
    per_k = np.zeros((K, 2 * L * K))
    for k in range(K):
        per_k[k, k::K] = 1.0
    cap = np.zeros((L, 2 * L * K))
    for l in range(L):
        cap[l, l * K:(l + 1) * K] = 1.0
    bounded = np.isfinite(prob.min_offload)
    A_ub = np.vstack([per_k, -per_k[bounded], cap])
    b_ub = np.concatenate([np.ones(K), -prob.min_offload[bounded], prob.capacity])
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=list(zip(np.zeros(c.size), ok.astype(float))),
                  method="highs")
    assert res.status == 0
    return prob.t_local.sum() + res.fun


SETTINGS = {"default": {}, "mec3": {"mec_capacity_hz": 3e9},
            "K30L5": {"n_terminals": 30, "n_bs": 5}}


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("seed", range(10))
def test_relaxed_optimum_matches_linprog(setting, seed):
    net = pi.draw_network(pi.Scenario(**SETTINGS[setting]), seed=seed)
    w = pi.max_sensing_beams(net)
    res = pi.optimize_offloading(net, w)
    ref = lp_relaxation(offloading_problem(net, w))
    np.testing.assert_allclose(res.relaxed_objective, ref, rtol=RELAXATION_RTOL)
    np.testing.assert_allclose(res.history.objective[-1], res.relaxed_objective, rtol=1e-12)
    assert res.status == "optimal"
    assert_meets_18a_to_18d(net, w, res)


def test_relaxed_optimum_matches_linprog_with_power_bound():
    """Fractional s_min (beams using part of the local CPU power) enter the relaxation as is."""
    net = pi.draw_network(pi.Scenario(), seed=5)
    w = pi.max_sensing_beams(net, power_w=net.max_power_w - 0.4 * net.local_cpu_power_w)
    prob = offloading_problem(net, w)
    # exactly 0.6 less the slack of evaluate()'s tolerance, P_th 1e-6 / (eta (f^L)^3) = 8e-5
    expected = 0.6 - net.max_power_w * FEASIBILITY_RTOL / net.local_cpu_power_w
    np.testing.assert_allclose(prob.min_offload, expected, rtol=1e-9)
    res = pi.optimize_offloading(net, w)
    np.testing.assert_allclose(res.relaxed_objective, lp_relaxation(prob), rtol=RELAXATION_RTOL)
    assert (res.a.sum(axis=0) + res.b.sum(axis=0) == 1).all()   # every terminal offloads
    assert_meets_18a_to_18d(net, w, res)


@pytest.mark.parametrize("seed", range(4))
def test_osqp_backend_gives_the_same_decisions(seed):
    net = pi.draw_network(pi.Scenario(mec_capacity_hz=3e9), seed=seed)
    w = pi.max_sensing_beams(net)
    exact = pi.optimize_offloading(net, w)
    osqp = pi.optimize_offloading(net, w, backend="osqp")
    assert osqp.backend == "osqp" and osqp.status == "optimal"
    np.testing.assert_array_equal(osqp.a, exact.a)
    np.testing.assert_array_equal(osqp.b, exact.b)
    np.testing.assert_allclose(osqp.relaxed_objective, exact.relaxed_objective,
                               rtol=RELAXATION_RTOL)


@pytest.mark.parametrize("setting", [{"n_terminals": 30, "n_bs": 5}, {"n_terminals": 40, "n_bs": 8},
                                     {"mec_capacity_hz": 3e9}])
def test_threaded_local_steps_are_bit_identical(setting):
    net = pi.draw_network(pi.Scenario(**setting), seed=11)
    w = pi.max_sensing_beams(net)
    serial = pi.optimize_offloading(net, w)
    for workers in (2, 3):
        threaded = pi.optimize_offloading(net, w, workers=workers)
        for name in ("a", "b", "relaxed_a", "relaxed_b"):
            np.testing.assert_array_equal(getattr(threaded, name), getattr(serial, name))
        for name in ("objective", "primal_residual", "dual_residual", "rho"):
            np.testing.assert_array_equal(getattr(threaded.history, name),
                                          getattr(serial.history, name))
        assert threaded.objective == serial.objective
        assert threaded.iterations == serial.iterations
        assert threaded.recovery_iterations == serial.recovery_iterations


def test_two_tier_variant_never_uses_cloud():
    net = pi.draw_network(pi.Scenario(mec_capacity_hz=3e9), seed=2)
    w = pi.max_sensing_beams(net)
    res = pi.optimize_offloading(net, w, cloud=False)
    assert res.b.sum() == 0 and np.all(res.relaxed_b == 0)
    assert res.a.sum() == 3                     # one task per MEC, the rest local
    oracle = pi.optimal_offloading(net, w, cloud=False)
    np.testing.assert_allclose(res.objective, oracle.objective, rtol=OBJECTIVE_RTOL)


def test_history_records_every_iteration():
    net = pi.draw_network(pi.Scenario(), seed=4)
    w = pi.max_sensing_beams(net)
    res = pi.optimize_offloading(net, w, tol=1e-7)
    h = res.history
    assert len(h) == res.iterations
    for x in (h.objective, h.primal_residual, h.dual_residual, h.rho):
        assert x.shape == (res.iterations,) and np.isfinite(x).all()
    assert h.primal_residual[-1] < 1e-5 and h.dual_residual[-1] < 1e-5
    assert h.primal_residual[-1] < h.primal_residual[0]


def test_max_iter_status_still_feasible():
    net = pi.draw_network(pi.Scenario(mec_capacity_hz=3e9), seed=4)
    w = pi.max_sensing_beams(net)
    res = pi.optimize_offloading(net, w, max_iter=3)
    assert res.status == "max_iter" and res.iterations == 3
    assert_meets_18a_to_18d(net, w, res)


def synthetic_problem(L, K, seed):
    """Table III tasks and CPUs, lognormal uplink rates around 100 Mbit/s, 3 MEC slots per BS:
    many terminals compete for few MEC slots (the shape of bench/test_bench_offloading.py's
    K=1000, L=50 instance)."""
    from pyiscc.offloading import OffloadingProblem

    rng = np.random.default_rng(seed)
    sc = pi.Scenario()
    Z, beta = sc.task_bits, sc.cycles_per_bit
    t_local = np.full(K, beta * Z / sc.cpu_local_hz)
    upload = Z / rng.lognormal(np.log(1e8), 1.0, (L, K))
    t_mec = upload + beta * Z / sc.cpu_mec_hz
    t_cloud = upload + Z / sc.backhaul_bps + beta * Z / sc.cpu_cloud_hz
    return OffloadingProblem(t_local, t_mec - t_local, t_cloud - t_local,
                             np.full(L, sc.mec_slots), np.full(K, -np.inf))


@pytest.mark.parametrize("seed", range(2))
def test_many_terminals_per_mec_slot(seed):
    """L=10, K=200: the relaxation converges to the LP optimum, the binary decision is the MILP
    optimum, threads change nothing, and modes dearer than the terminal's best cloud mode
    (dominated: never in an optimum) stay at 0."""
    from pyiscc.offloading import solve_admm, solve_milp

    prob = synthetic_problem(10, 200, seed)
    res = solve_admm(prob)
    assert res.status == "optimal"
    np.testing.assert_allclose(res.relaxed_objective, lp_relaxation(prob), rtol=RELAXATION_RTOL)
    np.testing.assert_allclose(res.objective, solve_milp(prob).objective, rtol=OBJECTIVE_RTOL)
    best_cloud = np.minimum(prob.cost_cloud.min(axis=0), 0.0)
    assert (res.relaxed_a[prob.cost_mec > best_cloud] == 0.0).all()
    assert (res.relaxed_b[prob.cost_cloud > best_cloud] == 0.0).all()
    threaded = solve_admm(prob, workers=2)
    for name in ("a", "b", "relaxed_a", "relaxed_b"):
        np.testing.assert_array_equal(getattr(threaded, name), getattr(res, name))
    np.testing.assert_array_equal(threaded.history.primal_residual, res.history.primal_residual)
    assert threaded.objective == res.objective


# ---------------------------------------------------------------- edge cases

@pytest.mark.parametrize("solver", ["admm", "milp"])
@pytest.mark.parametrize("capacity_hz", [0.0, 1.5e9])
def test_no_mec_room(solver, capacity_hz):
    """MEC capacity 0, or below one task (G_l < f^E): nobody computes at the edge."""
    net = pi.draw_network(pi.Scenario(mec_capacity_hz=capacity_hz), seed=1)
    w = pi.max_sensing_beams(net)
    res = pi.optimize_offloading(net, w) if solver == "admm" else pi.optimal_offloading(net, w)
    assert res.a.sum() == 0
    assert res.status == "optimal"
    assert_meets_18a_to_18d(net, w, res)
    np.testing.assert_allclose(res.objective, pi.optimal_offloading(net, w).objective,
                               rtol=OBJECTIVE_RTOL)


def test_power_budget_forces_offloading():
    """Beams at full power P_th leave no room for the local CPU: s_min = 1, everyone offloads,
    here (two-tier, one task per MEC) more terminals than MEC slots: infeasible, named."""
    net = pi.draw_network(pi.Scenario(mec_capacity_hz=3e9), seed=6)
    w = pi.max_sensing_beams(net, power_w=net.max_power_w)
    res = pi.optimize_offloading(net, w)
    assert res.status == "optimal"
    assert (res.a.sum(axis=0) + res.b.sum(axis=0) == 1).all()
    assert_meets_18a_to_18d(net, w, res)
    np.testing.assert_allclose(res.objective, pi.optimal_offloading(net, w).objective,
                               rtol=OBJECTIVE_RTOL)
    two_tier = pi.optimize_offloading(net, w, cloud=False)
    assert two_tier.status == "infeasible"
    assert len(two_tier.infeasible_terminals) == net.n_terminals - 3
    assert two_tier.a.sum() == 3
    assert pi.optimal_offloading(net, w, cloud=False).status == "infeasible"


def test_terminal_over_budget_in_every_mode_is_named():
    net = pi.draw_network(pi.Scenario(), seed=8)
    power = pi.beams.beam_power(net).copy()
    power[[2, 5]] = 1.5 * net.max_power_w[[2, 5]]
    w = pi.max_sensing_beams(net, power_w=power)
    for res in (pi.optimize_offloading(net, w), pi.optimal_offloading(net, w)):
        assert res.status == "infeasible"
        assert res.infeasible_terminals == (2, 5)
        assert res.a[:, [2, 5]].sum() + res.b[:, [2, 5]].sum() == 2   # least power: offloaded
        assert_meets_18a_to_18d(net, w, res)


@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (3, 1), (1, 30)])
def test_single_bs_or_single_terminal(shape):
    L, K = shape
    for seed in range(3):
        net = pi.draw_network(pi.Scenario(n_bs=L, n_terminals=K, mec_capacity_hz=6e9), seed=seed)
        w = pi.max_sensing_beams(net)
        res = pi.optimize_offloading(net, w)
        assert res.a.shape == (L, K) and res.status == "optimal"
        assert_meets_18a_to_18d(net, w, res)
        np.testing.assert_allclose(res.objective, pi.optimal_offloading(net, w).objective,
                                   rtol=OBJECTIVE_RTOL)


def test_ties_are_broken_deterministically():
    """Two BSs with identical channels give identical costs: the answer is optimal and the same
    on every call."""
    net0 = pi.draw_network(pi.Scenario(n_bs=2, n_terminals=6, mec_capacity_hz=6e9), seed=3)
    H = net0.H.copy()
    H[1] = H[0]
    net = pi.Network.from_arrays(net0.scenario, H=H, HI=net0.HI, target_angle=net0.target_angle,
                                 target_distance=net0.target_distance, rcs=net0.rcs)
    w = pi.max_sensing_beams(net)
    prob = offloading_problem(net, w)
    np.testing.assert_array_equal(prob.cost_mec[0], prob.cost_mec[1])
    first = pi.optimize_offloading(net, w)
    again = pi.optimize_offloading(net, w)
    np.testing.assert_array_equal(first.a, again.a)
    np.testing.assert_array_equal(first.b, again.b)
    best, _ = brute_force(prob)
    np.testing.assert_allclose(first.objective, best, rtol=OBJECTIVE_RTOL)


# ---------------------------------------------------------------- validation

@pytest.mark.parametrize("kwargs, name", [
    ({"rho": 0.0}, "rho"), ({"rho": np.nan}, "rho"), ({"rho": "1"}, "rho"),
    ({"max_iter": 0}, "max_iter"), ({"max_iter": 2.5}, "max_iter"),
    ({"tol": -1e-6}, "tol"), ({"tol": np.inf}, "tol"),
    ({"workers": 0}, "workers"), ({"workers": True}, "workers"),
    ({"backend": "cvxpy"}, "backend"),
])
def test_bad_settings_raise_naming_the_parameter(kwargs, name):
    net = small_network(0)
    with pytest.raises(ValueError, match=name):
        pi.optimize_offloading(net, pi.max_sensing_beams(net), **kwargs)


def test_bad_beams_raise():
    net = small_network(0)
    with pytest.raises(ValueError, match="w"):
        pi.optimize_offloading(net, np.ones((3, 8)))
    with pytest.raises(ValueError, match="w"):
        pi.optimal_offloading(net, np.full((4, 8), np.nan))
    with pytest.raises(ValueError, match="network"):
        pi.optimize_offloading("net", np.ones((4, 8)))


# ---------------------------------------------------------------- acceptance vs the MILP

@pytest.mark.slow
@pytest.mark.parametrize("setting", SETTINGS)
def test_binary_decision_attains_milp_optimum_on_500_drops(setting):
    """>= 99% of drops at the MILP optimum, mean gap <= 0.1%, every decision meets (18a)-(18d).
    (bench/acceptance_offloading.py prints the same statistics as tables.)"""
    from pyiscc.offloading import solve_admm, solve_milp

    sc = pi.Scenario(**SETTINGS[setting])
    gaps = []
    for seed in range(500):
        net = pi.draw_network(sc, seed=seed)
        w = pi.max_sensing_beams(net)
        prob = offloading_problem(net, w)
        res = solve_admm(prob)
        opt = solve_milp(prob)
        assert res.status == opt.status == "optimal"
        assert (res.a.sum(axis=0) + res.b.sum(axis=0) <= 1).all()
        assert (res.a.sum(axis=1) <= prob.capacity).all()
        gaps.append((res.objective - opt.objective) / opt.objective)
    gaps = np.array(gaps)
    assert (gaps <= OBJECTIVE_RTOL).mean() >= 0.99
    assert gaps.mean() <= 1e-3
