"""Algorithm 1 kernels: the exact local step (29) against OSQP and CVXPY/Clarabel, and the
closed-form global step (31)-(35) by its KKT conditions."""

from __future__ import annotations

import numpy as np
import pytest
from tolerances import GLOBAL_KKT_ATOL, LOCAL_STEP_ATOL

from pyiscc import _core
from pyiscc.offloading import OsqpLocalStep


def random_local_step(rng, K):
    """A random canonical local step of one BS: t, lo, hi (2K,), knapsack on the first K, and a
    capacity (sometimes 0, sometimes slack, sometimes binding)."""
    t = rng.normal(0.3, 1.0, 2 * K)
    lo = np.zeros(2 * K)
    hi = np.ones(2 * K)
    held = rng.random(2 * K) < 0.15           # entries the recovery holds fixed
    value = (rng.random(2 * K) < 0.5).astype(float)
    hi[held & (value == 0)] = 0.0
    lo[held & (value == 1)] = 1.0
    lo_sum = lo[:K].sum()
    kind = rng.integers(3)
    if kind == 0:
        capacity = lo_sum                       # nothing left (capacity 0 when nothing is held)
    elif kind == 1:
        capacity = lo_sum + rng.uniform(0, K)   # often binding
    else:
        capacity = lo_sum + K                   # slack
    return t, lo, hi, float(capacity)


def cvxpy_local_step(K):
    import cvxpy as cp

    x = cp.Variable(2 * K)
    t, lo, hi, cap = cp.Parameter(2 * K), cp.Parameter(2 * K), cp.Parameter(2 * K), cp.Parameter()
    prob = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(x - t)),
                      [x >= lo, x <= hi, cp.sum(x[:K]) <= cap])

    def solve(tv, lov, hiv, capv):
        t.value, lo.value, hi.value, cap.value = tv, lov, hiv, capv
        prob.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
        return x.value

    return solve


def test_local_step_exact_osqp_cvxpy_agree_on_1000_instances():
    rng = np.random.default_rng(29)
    sizes = [1, 2, 3, 9, 30]
    cvx = {K: cvxpy_local_step(K) for K in sizes}
    osqp_steps = {K: OsqpLocalStep(K) for K in sizes}
    worst = 0.0
    for i in range(1000):
        K = sizes[i % len(sizes)]
        t, lo, hi, cap = random_local_step(rng, K)
        x, mu = _core.box_knapsack_projection(t, lo, hi, cap, K)
        x_osqp = osqp_steps[K](0, t, lo, hi, cap)
        x_cvx = cvx[K](t, lo, hi, cap)
        np.testing.assert_allclose(x, x_osqp, rtol=0, atol=LOCAL_STEP_ATOL, err_msg=f"instance {i}")
        np.testing.assert_allclose(x, x_cvx, rtol=0, atol=LOCAL_STEP_ATOL, err_msg=f"instance {i}")
        worst = max(worst, np.abs(x - x_osqp).max(), np.abs(x - x_cvx).max())
    assert worst <= LOCAL_STEP_ATOL


@pytest.mark.parametrize("seed", range(200))
def test_local_step_kkt(seed):
    """x = clip(t - mu, lo, hi) on the knapsack part, clip(t) elsewhere; mu >= 0 and
    complementary to the capacity."""
    rng = np.random.default_rng(seed)
    K = int(rng.integers(1, 20))
    t, lo, hi, cap = random_local_step(rng, K)
    x, mu = _core.box_knapsack_projection(t, lo, hi, cap, K)
    assert mu >= 0
    assert (x >= lo).all() and (x <= hi).all()
    np.testing.assert_allclose(x[K:], np.clip(t[K:], lo[K:], hi[K:]), rtol=0, atol=0)
    np.testing.assert_allclose(x[:K], np.clip(t[:K] - mu, lo[:K], hi[:K]), rtol=0, atol=1e-12)
    assert x[:K].sum() <= cap + 1e-12
    if mu > 0:
        np.testing.assert_allclose(x[:K].sum(), cap, rtol=0, atol=1e-12)


def test_local_step_infeasible_capacity_returns_lower_bounds():
    x, mu = _core.box_knapsack_projection([2.0, 3.0], [1.0, 1.0], [1.0, 1.0], 1.0)
    assert mu == np.inf
    np.testing.assert_array_equal(x, [1.0, 1.0])


def test_local_step_rejects_bad_input():
    with pytest.raises(ValueError, match="capacity"):
        _core.box_knapsack_projection([0.5], [0.0], [1.0], -1.0)
    with pytest.raises(ValueError, match="lo, hi"):
        _core.box_knapsack_projection([0.5], [1.0], [0.0], 1.0)
    with pytest.raises(ValueError, match="hi"):
        _core.box_knapsack_projection([0.5, 0.2], [0.0, 0.0], [1.0], 1.0)


@pytest.mark.parametrize("seed", range(300))
def test_global_step_kkt(seed):
    """Projection of the free entries onto {lower <= sum <= 1}: stationarity x = v + nu 1 with
    one nu per terminal, feasibility, sign of nu and complementary slackness, to 1e-12."""
    rng = np.random.default_rng(1000 + seed)
    L, K = int(rng.integers(1, 6)), int(rng.integers(1, 12))
    v_a = rng.normal(0.2, 0.8, (L, K))
    v_b = rng.normal(0.1, 0.8, (L, K))
    free_a = rng.random((L, K)) < 0.8
    free_b = rng.random((L, K)) < 0.8
    lower = np.where(rng.random(K) < 0.5, rng.uniform(-0.5, 1.0, K), -np.inf)
    a, b = _core.admm_global_step(v_a, v_b, lower, free_a, free_b)
    np.testing.assert_array_equal(a[~free_a], v_a[~free_a])
    np.testing.assert_array_equal(b[~free_b], v_b[~free_b])
    for k in range(K):
        fa, fb = free_a[:, k], free_b[:, k]
        n_free = fa.sum() + fb.sum()
        total = a[:, k].sum() + b[:, k].sum()
        if n_free == 0:
            continue
        shifts = np.concatenate([a[fa, k] - v_a[fa, k], b[fb, k] - v_b[fb, k]])
        nu = shifts.mean()
        np.testing.assert_allclose(shifts, nu, rtol=0, atol=GLOBAL_KKT_ATOL)   # stationarity
        assert total <= 1.0 + GLOBAL_KKT_ATOL                                  # (31a)
        if np.isfinite(lower[k]) and lower[k] <= 1.0:
            assert total >= lower[k] - GLOBAL_KKT_ATOL                         # (31b)
        if nu < -GLOBAL_KKT_ATOL:       # multiplier of the upper bound: active
            assert abs(total - 1.0) <= GLOBAL_KKT_ATOL
        elif nu > GLOBAL_KKT_ATOL:      # multiplier of the power bound: active
            assert abs(total - lower[k]) <= GLOBAL_KKT_ATOL


@pytest.mark.parametrize("seed", range(50))
def test_local_step_search_does_not_depend_on_its_start(seed):
    """The Newton search from any guess, and the breakpoint walk alone (newton_passes=0), give
    the same projection (the ADMM starts from the previous iteration's multiplier)."""
    rng = np.random.default_rng(1000 + seed)
    K = int(rng.integers(1, 60))
    t, lo, hi, cap = random_local_step(rng, K)
    x, mu = _core.box_knapsack_projection(t, lo, hi, cap, K)
    for kwargs in ({"newton_passes": 0}, {"newton_passes": 1}, {"guess": rng.uniform(0, 3)},
                   {"guess": 1e6}, {"guess": -1.0}, {"guess": np.inf}):
        x2, mu2 = _core.box_knapsack_projection(t, lo, hi, cap, K, **kwargs)
        np.testing.assert_allclose(x2, x, rtol=0, atol=1e-12, err_msg=str(kwargs))
        if np.isfinite(mu):
            np.testing.assert_allclose(mu2, mu, rtol=0, atol=1e-12, err_msg=str(kwargs))


@pytest.mark.parametrize("newton_passes", [0, 2, 12])
def test_local_step_many_breakpoints(newton_passes):
    """20,000 evenly spread breakpoints: the walk alone (0), Newton cut short then the walk (2),
    and Newton (12) all meet the KKT conditions and match a bisection on S(mu)."""
    n = 20000
    t = np.linspace(-1.0, 3.0, n)
    lo, hi = np.zeros(n), np.ones(n)
    cap = 2.5
    x, mu = _core.box_knapsack_projection(t, lo, hi, cap, newton_passes=newton_passes)
    lo_mu, hi_mu = 0.0, 3.0
    for _ in range(200):
        mid = 0.5 * (lo_mu + hi_mu)
        lo_mu, hi_mu = (mid, hi_mu) if np.clip(t - mid, 0, 1).sum() > cap else (lo_mu, mid)
    np.testing.assert_allclose(mu, lo_mu, rtol=0, atol=1e-12)
    np.testing.assert_allclose(x, np.clip(t - mu, 0, 1), rtol=0, atol=1e-12)
    np.testing.assert_allclose(x.sum(), cap, rtol=0, atol=1e-9)


def test_local_step_rejects_bad_search_settings():
    with pytest.raises(ValueError, match="guess"):
        _core.box_knapsack_projection([0.5], [0.0], [1.0], 0.2, guess=np.nan)
    with pytest.raises(ValueError, match="newton_passes"):
        _core.box_knapsack_projection([0.5], [0.0], [1.0], 0.2, newton_passes=-1)
