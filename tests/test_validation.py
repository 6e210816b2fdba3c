"""Bad input raises ValueError naming the parameter; scenarios round-trip."""

from __future__ import annotations

import numpy as np
import pytest

import pyiscc as pi


@pytest.mark.parametrize(("field", "value"), [
    ("n_terminals", 0), ("n_bs", -1), ("bs_antennas", 2.5), ("terminal_antennas", True),
    ("bandwidth_hz", -1e6), ("bandwidth_hz", 0.0), ("bandwidth_hz", float("nan")),
    ("cpu_local_hz", 0), ("cpu_mec_hz", float("inf")), ("backhaul_bps", -5),
    ("chip_coefficient", -1e-28), ("mec_capacity_hz", -1.0), ("max_power_dbm", "30"),
    ("echo_integration", 1), ("target_angle_deg", (10, 5)), ("target_distance_m", (0, 10)),
    ("rcs_range", (1,)), ("accumulation_time_s", 0), ("area_m", -3),
])
def test_scenario_rejects_bad_field(field, value):
    with pytest.raises(ValueError, match=field):
        pi.Scenario(**{field: value})


def test_scenario_bs_positions_consistency():
    with pytest.raises(ValueError, match="bs_positions"):
        pi.Scenario(n_bs=2, bs_positions=[(0, 0)])
    with pytest.raises(ValueError, match="bs_positions"):
        pi.Scenario(n_bs=1, bs_positions=[(0, float("nan"))])
    sc = pi.Scenario(n_bs=2, bs_positions=[(0, 0), (100, 0)])
    assert sc.bs_positions == ((0.0, 0.0), (100.0, 0.0))
    net = pi.draw_network(sc, seed=1)
    np.testing.assert_array_equal(net.bs_positions, [[0, 0], [100, 0]])


def test_scenario_defaults_and_derived():
    sc = pi.Scenario()
    assert sc.task_bits == pytest.approx(819_200, rel=1e-15)
    assert sc.max_power_w == pytest.approx(1.0)
    assert sc.noise_power_w == pytest.approx(10 ** (-17.4 - 3) * 1e7)
    assert sc.processing_gain == pytest.approx(6400)
    assert sc.replace(echo_integration=False).processing_gain == 1.0
    assert sc.local_cpu_power_w == pytest.approx(0.0125)
    assert sc.mec_slots == 3
    with pytest.raises(ValueError, match="no_such_field"):
        sc.replace(no_such_field=1)
    with pytest.raises(ValueError, match="bandwidth_hz"):
        sc.replace(bandwidth_hz=-1)


def test_scenario_round_trips(tmp_path):
    sc = pi.Scenario(n_bs=2, n_terminals=4, bs_positions=[(0, 0), (50, 50)],
                     target_angle_deg=(10, 20), echo_integration=False)
    assert pi.Scenario.from_dict(sc.to_dict()) == sc
    toml = tmp_path / "s.toml"
    toml.write_text('[scenario]\nn_bs = 2\nn_terminals = 4\nbs_positions = [[0, 0], [50, 50]]\n'
                    'target_angle_deg = [10, 20]\necho_integration = false\n')
    assert pi.Scenario.from_toml(toml) == sc
    with pytest.raises(ValueError, match="bogus"):
        pi.Scenario.from_dict({"bogus": 1})


@pytest.fixture(scope="module")
def net():
    return pi.draw_network(pi.Scenario(), seed=0)


def test_draw_network_arguments():
    with pytest.raises(ValueError, match="seed or rng"):
        pi.draw_network(pi.Scenario(), seed=1, rng=np.random.default_rng(1))
    with pytest.raises(ValueError, match="rng"):
        pi.draw_network(pi.Scenario(), rng=42)
    with pytest.raises(ValueError, match="scenario"):
        pi.draw_network({"n_bs": 3})
    a, b = pi.draw_network(seed=5), pi.draw_network(seed=5)
    np.testing.assert_array_equal(a.H, b.H)
    np.testing.assert_array_equal(a.HI, b.HI)
    assert not a.H.flags.writeable


@pytest.mark.parametrize(("name", "bad"), [
    ("H", lambda n: n.H[:, :, :, :-1]), ("HI", lambda n: n.HI[:-1]),
    ("H", lambda n: np.where(np.arange(16) == 3, np.nan, n.H)),
    ("HI", lambda n: np.full_like(n.HI, np.inf)),
    ("target_angle", lambda n: n.target_angle[:3]),
    ("target_distance", lambda n: -n.target_distance),
    ("rcs", lambda n: n.rcs + 1j), ("rcs", lambda n: -n.rcs),
])
def test_from_arrays_rejects(net, name, bad):
    arrays = dict(H=net.H, HI=net.HI, target_angle=net.target_angle,
                  target_distance=net.target_distance, rcs=net.rcs)
    arrays[name] = bad(net)
    with pytest.raises(ValueError, match=name):
        pi.Network.from_arrays(net.scenario, **arrays)


@pytest.mark.parametrize(("name", "value"), [
    ("task_bits", -1.0), ("cpu_local_hz", np.zeros(9)), ("max_power_w", [1.0] * 4),
])
def test_from_arrays_rejects_terminal_parameters(net, name, value):
    with pytest.raises(ValueError, match=name):
        pi.Network.from_arrays(net.scenario, net.H, net.HI, net.target_angle,
                               net.target_distance, net.rcs, **{name: value})


def test_from_arrays_copies_and_zeroes_diagonal(net):
    HI = np.array(net.HI)
    HI[2, 2] = 1.0
    other = pi.Network.from_arrays(net.scenario, net.H, HI, net.target_angle,
                                   net.target_distance, net.rcs)
    assert np.all(other.HI[2, 2] == 0)
    HI[0, 1] = 123.0  # the caller's array is not shared
    assert not np.any(other.HI[0, 1] == 123.0)


@pytest.mark.parametrize(("name", "w", "a", "b"), [
    ("w", np.ones((9, 7)), None, None),
    ("w", np.full((9, 8), np.nan), None, None),
    ("w", np.full((9, 8), np.inf), None, None),
    ("a", None, np.zeros((2, 9)), None),
    ("a", None, np.full((3, 9), 0.5), None),
    ("b", None, None, -np.ones((3, 9))),
    ("b", None, None, np.full((3, 9), np.nan)),
    ("a, b", None, np.vstack([np.ones((1, 9)), np.zeros((2, 9))]),
     np.vstack([np.ones((1, 9)), np.zeros((2, 9))])),
    ("a, b", None, np.vstack([np.ones((2, 9)), np.zeros((1, 9))]), None),
])
def test_evaluate_rejects(net, name, w, a, b):
    w = np.full((9, 8), 0.1 + 0j) if w is None else w
    a = np.zeros((3, 9)) if a is None else a
    b = np.zeros((3, 9)) if b is None else b
    with pytest.raises(ValueError, match=name):
        pi.evaluate(net, w, a, b)


def test_evaluate_rejects_non_network():
    with pytest.raises(ValueError, match="network"):
        pi.evaluate("net", np.zeros((9, 8)), np.zeros((3, 9)), np.zeros((3, 9)))


def test_core_rejects_wrong_shapes_with_parameter_name():
    from pyiscc import _core

    with pytest.raises(ValueError, match="w"):
        _core.effective_channels(np.zeros((1, 2, 3, 4), complex), np.zeros((2, 4), complex))
    with pytest.raises(ValueError, match="noise_power"):
        _core.uplink_sinr(np.ones((1, 2, 3), complex), -1.0)
    with pytest.raises(ValueError, match="serving"):
        _core.mmse_receivers(np.ones((1, 2, 3), complex), np.array([0, 5]), 1.0)
