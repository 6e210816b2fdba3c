"""solve(..., warm_start=previous): the BCD started from a previous solution's decisions and
beams, the cold start as the fallback, and what history["warm_start"] reports."""

from __future__ import annotations

import numpy as np
import pytest

import pyiscc as pi
from pyiscc.beamforming import power_budget, serving_bs

SMALL = pi.Scenario(n_terminals=4, n_bs=2, bs_antennas=8, terminal_antennas=4)


def moved(network: pi.Network, rho: float, seed: int) -> pi.Network:
    """The next slot of ``network``: Gauss-Markov fading with correlation ``rho``."""
    rng = np.random.default_rng(seed)

    def step(x):
        n = (rng.standard_normal(x.shape) + 1j * rng.standard_normal(x.shape)) / np.sqrt(2.0)
        scale = np.sqrt(np.mean(np.abs(x) ** 2, axis=(-2, -1), keepdims=True))
        return rho * x + np.sqrt(1.0 - rho ** 2) * scale * n

    return pi.Network.from_arrays(network.scenario, step(network.H), step(network.HI),
                                  network.target_angle, network.target_distance, network.rcs,
                                  bs_positions=network.bs_positions,
                                  terminal_positions=network.terminal_positions)


@pytest.fixture(scope="module")
def slots():
    first = pi.draw_network(SMALL, seed=8)
    return first, moved(first, 0.99, 1)


@pytest.mark.parametrize("scheme", ["dcet-iscc", "et-iscc"])
def test_warm_start_is_used_and_feasible(slots, scheme):
    first, second = slots
    previous = pi.solve(first, scheme)
    sol = pi.solve(second, scheme, warm_start=previous)
    assert sol.history["warm_start"] == "used"
    assert sol.feasible and sol.status in ("converged", "max_iter")
    assert pi.evaluate(second, sol.w, sol.a, sol.b).feasible
    # the first round starts from the previous decisions: no ADMM iterations in it
    assert len(sol.history["offloading"][0]) == 0
    again = pi.solve(second, scheme, warm_start=previous)
    np.testing.assert_array_equal(again.w, sol.w)  # deterministic


def test_warm_start_on_the_same_network_does_not_lose(slots):
    first, _ = slots
    previous = pi.solve(first, "dcet-iscc")
    sol = pi.solve(first, "dcet-iscc", warm_start=previous)
    assert sol.history["warm_start"] == "used"
    # Algorithm 2 is monotone from its start (the previous beams, rescaled to the full budget
    # in previous's decisions, where the beams were already at most the budget)
    assert sol.total_latency <= previous.total_latency * (1 + 1e-12)


def test_warm_start_keeps_the_previous_beams(slots):
    first, _ = slots
    previous = pi.solve(first, "dcet-iscc")
    # the same channels: the previous beams meet (18e), so with no Algorithm-2 iteration the
    # result is the start itself (slack rule, start="w0"; a beam at its budget to the last bit
    # may be rescaled by one rounding, which is all the tolerance allows)
    sol = pi.solve(first, "dcet-iscc", beamforming={"max_iter": 0}, warm_start=previous)
    assert sol.history["warm_start"] == "used"
    np.testing.assert_allclose(sol.w, previous.w, rtol=1e-14, atol=0)
    np.testing.assert_array_equal(sol.a, previous.a)


def test_warm_start_runs_the_warm_options_unless_given(slots):
    first, second = slots
    previous = pi.solve(first, "dcet-iscc")
    sol = pi.solve(second, "dcet-iscc", warm_start=previous)
    per_round = [h.size - 1 for h in sol.history["beamforming"]]
    assert max(per_round) <= pi.solve.__globals__["WARM_BEAMFORMING"]["max_iter"]
    longer = pi.solve(second, "dcet-iscc", warm_start=previous,
                      beamforming={"max_iter": 50, "step": "surrogate"})
    assert max(h.size - 1 for h in longer.history["beamforming"]) > max(per_round)
    assert longer.history["warm_start"] == "used"


def _harder(network: pi.Network, previous: pi.Solution, db: float) -> pi.Network:
    """``network`` with the sensing threshold ``db`` above the previous beams' smallest echo
    SINR: those beams miss (18e) on it."""
    margin_db = 10 * np.log10(previous.echo_sinr.min()) - network.scenario.sensing_sinr_db
    harder = network.scenario.replace(sensing_sinr_db=network.scenario.sensing_sinr_db
                                      + margin_db + db)
    return pi.Network.from_arrays(harder, network.H, network.HI, network.target_angle,
                                  network.target_distance, network.rcs)


def test_a_warm_round_runs_the_warm_cap_with_or_without_a_pull(slots):
    first, _ = slots
    previous = pi.solve(first, "dcet-iscc")
    cap = pi.solve.__globals__["WARM_BEAMFORMING"]["max_iter"]
    # tol=0: every round runs its iteration cap
    kept = pi.solve(first, "dcet-iscc", warm_start=previous, beamforming={"tol": 0.0})
    assert kept.history["beamforming"][0].size - 1 == cap
    net = _harder(first, previous, 0.05)
    pulled = pi.solve(net, "dcet-iscc", warm_start=previous, beamforming={"tol": 0.0})
    assert pulled.history["warm_start"] == "used"
    assert pulled.history["beamforming"][0].size - 1 == cap
    given = pi.solve(net, "dcet-iscc", warm_start=previous,
                     beamforming={"tol": 0.0, "max_iter": 1})
    assert given.history["beamforming"][0].size - 1 == 1


def test_start_w0_runs_the_scaled_step_from_the_warm_divisor(slots, monkeypatch):
    first, second = slots
    previous = pi.solve(first, "dcet-iscc")
    args = (second, previous.a, previous.b)
    kw = dict(w0=previous.w, caps="slack", step="scaled", start="w0", max_iter=2, tol=0.0)
    warm = pi.optimize_beamforming(*args, **kw)
    # the same run from the cold start's divisor differs (longer first steps from the warm one)
    monkeypatch.setattr(pi.beamforming, "WARM_CURVATURE_START", 256.0)
    cold_divisor = pi.optimize_beamforming(*args, **kw)
    assert not np.array_equal(warm.w, cold_divisor.w)
    monkeypatch.setattr(pi.beamforming, "WARM_CURVATURE_START", 512.0)
    np.testing.assert_array_equal(pi.optimize_beamforming(*args, **kw).w, warm.w)


def test_a_warm_start_that_misses_sensing_is_pulled_towards_mrs(slots):
    first, _ = slots
    previous = pi.solve(first, "dcet-iscc")
    net = _harder(first, previous, 0.05)
    assert pi.beamforming.sensing_margins(net, previous.w).min() < 0
    sol = pi.solve(net, "dcet-iscc", beamforming={"max_iter": 0}, warm_start=previous)
    assert sol.history["warm_start"] == "used"
    assert sol.feasible and pi.beamforming.sensing_margins(net, sol.w).min() >= 0
    # the least pull: closer to the previous beams than to the MRS beams at full budget
    mrs = pi.max_sensing_beams(net, power_budget(net, serving_bs(previous.a, previous.b)))
    assert np.linalg.norm(sol.w - previous.w) < 0.5 * np.linalg.norm(mrs - previous.w)


def reference_pull(network, w0, mrs, pbar, halvings):
    """NumPy transcription of the pull of ``start="w0"`` (sensing_blend in
    cpp/beamforming.hpp): the blend at the least t meeting (18e), t = 1/128, ..., 1/2, then
    2^halvings parts of its bracket, every margin computed directly."""
    margins = pi.beamforming.sensing_margins
    norm0 = np.linalg.norm(w0, axis=1)
    d0 = w0 / norm0[:, None]
    d1 = mrs / np.sqrt(pbar)[:, None]
    phase = np.einsum("kn,kn->k", d1.conj(), d0)
    d1 = d1 * (phase / np.abs(phase))[:, None]

    def blend(t):
        d = (1 - t) * d0 + t * d1
        scale = (1 - t) * norm0 + t * np.sqrt(pbar)
        return (scale / np.linalg.norm(d, axis=1))[:, None] * d

    def meets(t):
        return margins(network, blend(t)).min() >= 0

    doubling = [2.0 ** i for i in range(-7, 0)]
    first = next((i for i, t in enumerate(doubling) if meets(t)), None)
    lo, hi = (0.5, 1.0) if first is None else (0.0 if first == 0 else doubling[first - 1],
                                                doubling[first])
    parts = 2 ** halvings
    for t in [lo + (hi - lo) * j / parts for j in range(1, parts)] + [hi]:
        if t < 1.0 and meets(t):
            return blend(t), t
    return mrs, 1.0


@pytest.mark.parametrize("db", [0.05, 0.5, 2.0])
def test_the_pull_is_the_least_blend_on_its_grid_that_meets_sensing(slots, db):
    first, _ = slots
    previous = pi.solve(first, "dcet-iscc")
    net = _harder(first, previous, db)
    w0 = np.asarray(previous.w)
    assert pi.beamforming.sensing_margins(net, w0).min() < 0
    serving = serving_bs(previous.a, previous.b)
    pbar = power_budget(net, serving)
    mrs = pi.max_sensing_beams(net, pbar)
    if pi.beamforming.sensing_margins(net, mrs).min() < 0:
        pytest.skip("the MRS beams miss (18e) too: no pull")
    core = pi.beamforming._core_problem(net, serving, pbar)
    halvings = pi.beamforming.GIVEN_START_HALVINGS
    w, t = core.sensing_blend(w0, mrs, halvings)
    w_ref, t_ref = reference_pull(net, w0, mrs, pbar, halvings)
    assert t == t_ref
    np.testing.assert_allclose(w, w_ref, rtol=1e-12, atol=1e-15)
    assert pi.beamforming.sensing_margins(net, w).min() >= 0


def test_a_warm_feasibility_phase_polishes_with_the_warm_cap(slots, monkeypatch):
    first, _ = slots
    previous = pi.solve(first, "dcet-iscc")
    net = _harder(first, previous, 9.0)  # even the MRS beams miss (18e): the phase runs
    pbar = power_budget(net, serving_bs(previous.a, previous.b))
    assert pi.beamforming.sensing_margins(net, pi.max_sensing_beams(net, pbar)).min() < 0
    caps = []
    polish = pi.beamforming._polish_powers

    def recording(*args):
        caps.append(args[-1])
        return polish(*args)

    monkeypatch.setattr(pi.beamforming, "_polish_powers", recording)
    warm = pi.solve(net, "dcet-iscc", warm_start=previous)
    assert warm.history["warm_start"] == "used" and warm.feasible
    assert caps and set(caps) == {pi.beamforming.WARM_POLISH_MAX_ITER}
    caps.clear()
    assert pi.solve(net, "dcet-iscc").feasible  # the cold start polishes with the full cap
    assert caps and set(caps) == {pi.beamforming.POLISH_MAX_ITER}


def test_paper_rule_warm_start_beams_are_scaled_to_the_new_budget(slots):
    first, second = slots
    previous = pi.solve(first, "dcet-iscc", beamforming={"caps": "paper"})
    sol = pi.solve(second, "dcet-iscc", beamforming={"max_iter": 0, "caps": "paper"},
                   warm_start=previous)
    assert sol.history["warm_start"] == "used"
    # the first round keeps previous's decisions; with no Algorithm-2 iteration (and a start that
    # meets (18e): no feasibility phase) the beams are the start, each at its full budget (the
    # paper's caps (58) only shrink, so power below the budget could never be won back)
    np.testing.assert_array_equal(sol.a, previous.a)
    np.testing.assert_array_equal(sol.b, previous.b)
    assert sol.history["beamforming"][0].size == 1
    pbar = power_budget(second, serving_bs(previous.a, previous.b))
    np.testing.assert_allclose(np.linalg.norm(sol.w, axis=1) ** 2, pbar, rtol=1e-12)
    np.testing.assert_allclose(sol.w / np.linalg.norm(sol.w, axis=1, keepdims=True),
                               previous.w / np.linalg.norm(previous.w, axis=1, keepdims=True),
                               rtol=1e-12)


def test_decisions_that_do_not_fit_fall_back_to_the_cold_start(slots):
    first, second = slots
    previous = pi.solve(first, "dcet-iscc")
    # no MEC capacity: previous's MEC decisions overload every server it uses; and cloud
    # decisions cannot seed ET-ISCC
    small = second.scenario.replace(mec_capacity_hz=0.0)
    tight = pi.Network.from_arrays(small, second.H, second.HI, second.target_angle,
                                   second.target_distance, second.rcs)
    assert previous.a.any()
    sol = pi.solve(tight, "dcet-iscc", warm_start=previous)
    assert sol.history["warm_start"] == "fell_back"
    cold = pi.solve(tight, "dcet-iscc")
    np.testing.assert_array_equal(sol.w, cold.w)
    np.testing.assert_array_equal(sol.a, cold.a)
    cloudy = type(previous)(previous.scheme, previous.w, np.zeros_like(previous.a),
                            previous.a, previous.evaluation, previous.status, previous.history,
                            previous.outer_iterations, previous.runtime_s, first)
    et = pi.solve(second, "et-iscc", warm_start=cloudy)
    assert et.history["warm_start"] == "fell_back"
    assert not et.b.any()


def test_an_infeasible_warm_run_falls_back(slots, monkeypatch):
    first, second = slots
    previous = pi.solve(first, "dcet-iscc")
    calls = []
    real = pi.solve.__globals__["_beamform"]  # optimize_beamforming past its checks

    def failing_first(network, a, b, w0, *options):
        res = real(network, a, b, w0, *options)
        calls.append(w0)
        if len(calls) == 1:  # the warm start's Algorithm 2
            return type(res)(res.w, res.objective, res.history, res.iterations, "infeasible",
                             res.sensing_margin_db, res.power_slack_w, (0,),
                             res.feasibility_iterations, res.subproblem_failures)
        return res

    monkeypatch.setitem(pi.solve.__globals__, "_beamform", failing_first)
    sol = pi.solve(second, "dcet-iscc", warm_start=previous)
    assert sol.history["warm_start"] == "fell_back"
    monkeypatch.undo()
    cold = pi.solve(second, "dcet-iscc")
    np.testing.assert_array_equal(sol.w, cold.w)


@pytest.mark.parametrize("scheme", ["local", "dcet-mrs", "dcet-mrt"])
def test_schemes_without_a_bcd_ignore_the_warm_start(slots, scheme):
    first, second = slots
    previous = pi.solve(first, "dcet-iscc")
    sol = pi.solve(second, scheme, warm_start=previous)
    assert sol.history["warm_start"] == "not_applicable"
    cold = pi.solve(second, scheme)
    np.testing.assert_array_equal(sol.w, cold.w)
    np.testing.assert_array_equal(sol.a, cold.a)


def test_warm_start_is_checked(slots):
    first, second = slots
    with pytest.raises(ValueError, match="^warm_start must be a Solution"):
        pi.solve(second, warm_start="previous")
    other = pi.solve(pi.draw_network(SMALL.replace(n_terminals=3), seed=1), "local")
    with pytest.raises(ValueError, match="^warm_start: its beams"):
        pi.solve(second, warm_start=other)
    with pytest.raises(ValueError, match="^beamforming: start must be one of"):
        pi.solve(second, beamforming={"start": "previous"})
    with pytest.raises(ValueError, match="^beamforming: start='w0' needs caps='slack'"):
        pi.solve(second, beamforming={"start": "w0", "caps": "paper"})
    with pytest.raises(ValueError, match="^start must be one of"):
        pi.optimize_beamforming(second, first.n_bs * [[0] * 4], first.n_bs * [[0] * 4],
                                caps="slack", start="warm")
