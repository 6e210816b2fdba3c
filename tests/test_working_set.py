"""Working sets of the slack rule's sub-problems (56): each carries only the interference caps
a solution once violated, every solution is checked against all the others, and the violated
ones join.  The step is then the all-caps step, to the QCQP solver's tolerance."""

import numpy as np
import pytest

import pyiscc as pi
from pyiscc.beamforming import SLACK_SHARE, _best_start, _core_problem, power_budget, serving_bs


def start(net):
    off = pi.optimize_offloading(net, pi.max_sensing_beams(net))
    serving = serving_bs(off.a, off.b)
    pbar = power_budget(net, serving)
    core = _core_problem(net, serving, pbar)
    return core, _best_start(net, core, serving, pbar, pi.max_sensing_beams(net)), off


def steps(core, w0, iterations, working_set, workers=1):
    return core.optimize(w0, iterations, 0.0, workers, slack_caps=True, slack_share=SLACK_SHARE,
                         working_set=working_set)


DROPS = [(pi.Scenario(), s) for s in range(6)] + [(pi.Scenario.at_density(40, 5, bs_antennas=16), s) for s in range(4)]


@pytest.mark.parametrize("scenario,seed", DROPS)
def test_working_set_steps_match_the_all_caps_steps(scenario, seed):
    """Three Algorithm-2 steps with working sets and three with every cap reach the same (39)
    at every iterate, to 1e-6: the sub-problems' optima agree to the interior-point method's
    1e-9 tolerance, which the step's extrapolation (up to 64x) magnifies on ill-conditioned
    sub-problems (measured on these drops: at most 4.9e-7, most below 1e-9)."""
    net = pi.draw_network(scenario, seed=seed)
    core, w0, off = start(net)
    ws, full = steps(core, w0, 3, True), steps(core, w0, 3, False)
    assert full["working_set_solves"] == 0 and full["working_set_max_rows"] == 0
    np.testing.assert_allclose(ws["history"], full["history"], rtol=1e-6, atol=0.0)
    # the caps outside the sets were checked: the iterate still meets (18e) (Lemma 2)
    assert pi.evaluate(net, ws["w"], off.a, off.b).feasible


def test_working_sets_carry_a_few_of_the_caps():
    """At K = 40 the interior-point solves carry a handful of their 39 caps, and the cap
    violations found by the check are what fills the sets."""
    net = pi.draw_network(pi.Scenario.at_density(40, 5, bs_antennas=16), seed=0)
    core, w0, _ = start(net)
    out = steps(core, w0, 10, True)
    assert out["working_set_solves"] > 0 and out["working_set_additions"] > 0
    mean = out["working_set_rows"] / out["working_set_solves"]
    assert 0 < mean < 10 and out["working_set_max_rows"] < 39


def test_working_sets_give_the_same_bits_for_any_worker_count():
    net = pi.draw_network(pi.Scenario.at_density(40, 5, bs_antennas=16), seed=1)
    core, w0, _ = start(net)
    one, two = steps(core, w0, 8, True, workers=1), steps(core, w0, 8, True, workers=2)
    assert np.array_equal(one["w"], two["w"]) and np.array_equal(one["history"], two["history"])
    assert one["working_set_rows"] == two["working_set_rows"]


def test_solve_reports_the_caps_kept_and_can_turn_working_sets_off():
    net = pi.draw_network(pi.Scenario.at_density(40, 5, bs_antennas=16), seed=2)
    sol = pi.solve(net, "dcet-iscc")
    assert len(sol.history["caps_kept"]) == len(sol.history["beamforming"]) >= 1
    mean, largest = sol.history["caps_kept"][0]
    assert 0 < mean <= largest < 39
    off = pi.solve(net, "dcet-iscc", beamforming={"working_set": False})
    assert all(np.isnan(m) and n == 0 for m, n in off.history["caps_kept"])
    assert off.feasible and sol.feasible
    assert sol.total_latency == pytest.approx(off.total_latency, rel=1e-4)
    with pytest.raises(ValueError, match="working_set"):
        pi.solve(net, "dcet-iscc", beamforming={"working_set": "yes"})
