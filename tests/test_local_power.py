"""The sensing-limited local-execution power (pyiscc.beams.sensing_limited_beams and
``solve(net, "local", beamforming={"local_power": "sensing"})``), against a NumPy transcription:
the least powers along fixed directions solve the linear system
``g_k p_k = Gamma (sum_j C_kj p_j + sigma^2)``."""

from __future__ import annotations

import numpy as np
import pytest

import pyiscc as pi
from pyiscc.beams import SENSING_MARGIN, sensing_limited_beams

from reference_model import echo_sinr, interference_matrix


def _least_powers(net: pi.Network, unit: np.ndarray) -> np.ndarray:
    """Solve (diag(g) - Gamma C) p = Gamma sigma^2 for the unit-power directions ``unit``."""
    sc = net.scenario
    C = interference_matrix(net.HI, unit)
    gamma = echo_sinr(sc, net.HI, unit, net.target_angle, net.target_distance, net.rcs)
    g = gamma * (C.sum(axis=1) + sc.noise_power_w)  # the echo gain of a unit-power beam
    target = sc.sensing_sinr * (1.0 + SENSING_MARGIN)
    return np.linalg.solve(np.diag(g) - target * C, np.full(len(g), target * sc.noise_power_w))


@pytest.mark.parametrize("seed", range(6))
def test_matches_linear_system(seed):
    net = pi.draw_network(seed=seed)
    w0 = pi.max_sensing_beams(net)
    p0 = np.linalg.norm(w0, axis=1) ** 2
    unit = w0 / np.sqrt(p0)[:, None]
    expected = _least_powers(net, unit)
    if not (expected > 0).all() or (expected > p0).any():
        pytest.skip("the least powers exceed the budget in this drop")
    w = sensing_limited_beams(net)
    p = np.linalg.norm(w, axis=1) ** 2
    np.testing.assert_allclose(p, expected, rtol=1e-9)
    # same directions, less power, every echo SINR at the threshold (from above)
    np.testing.assert_allclose(w / np.sqrt(p)[:, None], unit, rtol=1e-12, atol=1e-15)
    assert (p < p0).all()
    zeros = np.zeros((net.n_bs, net.n_terminals))
    ev = pi.evaluate(net, w, zeros, zeros)
    assert ev.feasible
    np.testing.assert_allclose(ev.echo_sinr, net.scenario.sensing_sinr, rtol=1e-8)
    assert (ev.echo_sinr >= net.scenario.sensing_sinr).all()


def test_terminal_short_of_sensing_keeps_its_power():
    """A terminal that misses the threshold even without interference (here: a tiny power in
    the given beams) keeps its power; the others fall to their least powers and meet it."""
    net = pi.draw_network(seed=2)
    zeros = np.zeros((net.n_bs, net.n_terminals))
    p0 = pi.beams.beam_power(net).copy()
    p0[0] = 1e-12
    w0 = pi.max_sensing_beams(net, p0)
    w = sensing_limited_beams(net, w0)
    p = np.linalg.norm(w, axis=1) ** 2
    ev = pi.evaluate(net, w, zeros, zeros)
    assert ev.echo_sinr[0] < net.scenario.sensing_sinr
    assert p[0] == pytest.approx(p0[0], rel=1e-12)
    assert (p[1:] < 1e-3 * p0[1:]).all()
    assert (ev.echo_sinr[1:] >= net.scenario.sensing_sinr).all()


def test_local_scheme_energy_rises_with_cpu_frequency():
    """With the sensing-limited power the local energy (p_sense + eta f^3) beta Z / f rises with
    f^L at Table III values (eta f^3 dominates), while the budget reading P_th beta Z / f falls."""
    sensing, budget = [], []
    for f in (0.3e9, 0.5e9, 0.7e9, 0.9e9):
        net = pi.draw_network(pi.Scenario(cpu_local_hz=f), seed=3)
        s = pi.solve(net, "local", beamforming={"local_power": "sensing"})
        bud = pi.solve(net, "local")
        np.testing.assert_array_equal(s.evaluation.latency, bud.evaluation.latency)
        sensing.append(s.evaluation.energy.mean())
        budget.append(bud.evaluation.energy.mean())
        assert (s.evaluation.power < bud.evaluation.power).all()
    assert np.all(np.diff(sensing) > 0)
    assert np.all(np.diff(budget) < 0)


def test_default_is_the_budget_reading():
    net = pi.draw_network(seed=1)
    np.testing.assert_array_equal(pi.solve(net, "local").w,
                                  pi.solve(net, "local", beamforming={"local_power": "budget"}).w)
    np.testing.assert_array_equal(pi.solve(net, "local").w, pi.max_sensing_beams(net))


def test_bad_local_power_names_the_parameter():
    net = pi.draw_network(seed=1)
    with pytest.raises(ValueError, match="local_power"):
        pi.solve(net, "local", beamforming={"local_power": "least"})
