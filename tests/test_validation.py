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


# ====================================================================== the table
# Every public entry point, bad input by bad input: each case is (parameter name, call) and must
# raise ValueError whose message STARTS with that name.  ``N`` is a small drop (L=2, K=3, N=2,
# M=4) built once; the calls never reach a solver.
from pathlib import Path  # noqa: E402

from pyiscc import experiments as ex  # noqa: E402
from pyiscc.experiments import specs as _specs  # noqa: E402

SMALL = pi.Scenario(n_bs=2, n_terminals=3, bs_antennas=4, terminal_antennas=2)
N = pi.draw_network(SMALL, seed=3)
K, L, NT = 3, 2, 2
W = np.full((K, NT), 0.1 + 0j)
Z = np.zeros((L, K))
A1 = np.array([[1.0, 0, 0], [0, 0, 0]])
NAN = float("nan")


def arrays(**changes):
    """The direct constructor's arguments of N, with some replaced."""
    base = dict(scenario=N.scenario, H=N.H, HI=N.HI, target_angle=N.target_angle,
                target_distance=N.target_distance, rcs=N.rcs, task_bits=N.task_bits,
                cpu_local_hz=N.cpu_local_hz, max_power_w=N.max_power_w,
                bs_positions=N.bs_positions, terminal_positions=N.terminal_positions)
    base.update(changes)
    return base


def from_arrays(**changes):
    base = dict(H=N.H, HI=N.HI, target_angle=N.target_angle, target_distance=N.target_distance,
                rcs=N.rcs)
    base.update(changes)
    sc = base.pop("scenario", N.scenario)
    return pi.Network.from_arrays(sc, **base)


def sweep(**changes):
    base = dict(name="s", scenario=SMALL, x_param="bandwidth_hz", x_values=(5e6,),
                schemes=("local",), trials=1)
    base.update(changes)
    return _specs.SweepSpec(**base)


def sweep_dict(**changes):
    base = {"name": "s", "schemes": ["local"], "trials": 1,
            "x": {"param": "bandwidth_hz", "values": [5e6]}}
    base.update(changes)
    return base


def toml_file(text):
    import tempfile

    path = Path(tempfile.mkdtemp()) / "spec.toml"
    path.write_text(text)
    return path


def run_sweep(**changes):
    import tempfile

    from pyiscc.experiments import run_sweep as run

    base = dict(spec=sweep(), out_dir=tempfile.mkdtemp(), workers=1, progress=False)
    base.update(changes)
    if "dask_local" in changes or "scheduler" in changes:
        base["workers"] = changes.get("workers")
    return run(base.pop("spec"), base.pop("out_dir"), **base)


def trial_task(**changes):
    """A TrialTask of sweep() with some fields replaced."""
    base = dict(experiment="s", point=0, trial=0, params={"bandwidth_hz": 5e6},
                scenario=SMALL.to_dict(), options={},
                schemes=(("local", "pyiscc.experiments.runners:run_local"),), seed_entropy=1,
                spawn_key=(0, 0))
    base.update(changes)
    return ex.TrialTask(**base)


def empty_dir():
    import tempfile

    return tempfile.mkdtemp()


def _runner(network, **options):
    return {"feasible": True}


EV = pi.evaluate(N, W, Z, Z)


def qcqp(**changes):
    base = dict(P=np.eye(2), q=np.ones(2), A=np.eye(2)[None], b=np.zeros((1, 2)), c=np.ones(1))
    base.update(changes)
    return pi.qcqp.solve_qcqp(base.pop("P"), base.pop("q"), base.pop("A"), base.pop("b"),
                              base.pop("c"), **base)


BAD = [
    # ---- Scenario
    ("foo", lambda: pi.Scenario(foo=1)),
    ("foo", lambda: pi.Scenario(n_bs=2, foo=1, bar=2)),
    ("foo", lambda: SMALL.replace(foo=1)),
    ("n_bs", lambda: pi.Scenario(3, n_bs=3)),
    ("args", lambda: pi.Scenario(*range(1, 40))),
    ("n_terminals", lambda: pi.Scenario(n_terminals=np.float64(3.0))),
    ("n_terminals", lambda: pi.Scenario(n_terminals="9")),
    ("n_bs", lambda: pi.Scenario(n_bs=0)),
    ("bs_antennas", lambda: pi.Scenario(bs_antennas=None)),
    ("bandwidth_hz", lambda: pi.Scenario(bandwidth_hz=float("inf"))),
    ("cycles_per_bit", lambda: pi.Scenario(cycles_per_bit=0)),
    ("bits_per_sample", lambda: pi.Scenario(bits_per_sample=-1)),
    ("path_loss_db", lambda: pi.Scenario(path_loss_db=NAN)),
    ("cpu_cloud_hz", lambda: pi.Scenario(cpu_cloud_hz=[1e9])),
    ("max_power_dbm", lambda: pi.Scenario(max_power_dbm=4000.0)),
    ("noise_psd_dbm_hz", lambda: pi.Scenario(noise_psd_dbm_hz=-4000.0)),
    ("sensing_sinr_db", lambda: pi.Scenario(sensing_sinr_db=True)),
    ("bandwidth_hz", lambda: pi.Scenario(bandwidth_hz=1e300, accumulation_time_s=1e300)),
    ("antenna_spacing", lambda: pi.Scenario(antenna_spacing=0)),
    ("echo_integration", lambda: pi.Scenario(echo_integration="yes")),
    ("target_angle_deg", lambda: pi.Scenario(target_angle_deg=(0, 400))),
    ("rcs_range", lambda: pi.Scenario(rcs_range=(-1, 1))),
    ("target_distance_m", lambda: pi.Scenario(target_distance_m="far")),
    ("bs_positions", lambda: pi.Scenario(n_bs=1, bs_positions=[(0, 0, 0)])),
    ("bs_positions", lambda: pi.Scenario(n_bs=1, bs_positions=5)),
    ("data", lambda: pi.Scenario.from_dict([("n_bs", 2)])),
    ("bs_positions", lambda: pi.Scenario.from_dict({"n_bs": 1, "bs_positions": [1]})),
    ("bogus", lambda: pi.Scenario.from_dict({"bogus": 1})),
    ("path", lambda: pi.Scenario.from_toml(toml_file("n_bs = = 2"))),
    ("n_bs", lambda: pi.Scenario.from_toml(toml_file("n_bs = 'two'"))),
    # ---- draw_network
    ("seed", lambda: pi.draw_network(SMALL, seed="abc")),
    ("seed", lambda: pi.draw_network(SMALL, seed=1.5)),
    ("seed", lambda: pi.draw_network(SMALL, seed=object())),
    ("seed", lambda: pi.draw_network(SMALL, seed=-1)),
    ("seed", lambda: pi.draw_network(SMALL, seed=True)),
    ("seed", lambda: pi.draw_network(SMALL, seed=[1, -2])),
    ("seed", lambda: pi.draw_network(SMALL, seed=[[1], [2, 3]])),
    ("seed", lambda: pi.draw_network(SMALL, seed=[])),
    ("seed", lambda: pi.draw_network(SMALL, seed=1, rng=np.random.default_rng(1))),
    ("rng", lambda: pi.draw_network(SMALL, rng=42)),
    ("scenario", lambda: pi.draw_network({"n_bs": 3})),
    # ---- Network (direct constructor)
    ("H", lambda: pi.Network(**arrays(H=np.full_like(N.H, NAN)))),
    ("H", lambda: pi.Network(**arrays(H=N.H[:1]))),  # L = 1 under n_bs = 2
    ("H", lambda: pi.Network(**arrays(H=np.full(N.H.shape, "x")))),
    ("HI", lambda: pi.Network(**arrays(HI=N.HI[:, :, :1]))),
    ("HI", lambda: pi.Network(**arrays(HI=np.full_like(N.HI, np.inf)))),
    ("target_angle", lambda: pi.Network(**arrays(target_angle=N.target_angle[:2]))),
    ("target_angle", lambda: pi.Network(**arrays(target_angle=N.target_angle + 1j))),
    ("target_distance", lambda: pi.Network(**arrays(target_distance=np.zeros(K)))),
    ("target_distance", lambda: pi.Network(**arrays(target_distance=np.full(K, 1e-100)))),
    ("rcs", lambda: pi.Network(**arrays(rcs=-N.rcs))),
    ("task_bits", lambda: pi.Network(**arrays(task_bits=np.full(K, NAN)))),
    ("cpu_local_hz", lambda: pi.Network(**arrays(cpu_local_hz=np.zeros(K)))),
    ("cpu_local_hz", lambda: pi.Network(**arrays(cpu_local_hz=np.full(K, 1e200)))),
    ("task_bits", lambda: pi.Network(**arrays(task_bits=np.full(K, 1e307)))),
    ("max_power_w", lambda: pi.Network(**arrays(max_power_w=np.full(K, -1.0)))),
    ("max_power_w", lambda: pi.Network(**arrays(max_power_w=1.0))),
    ("bs_positions", lambda: pi.Network(**arrays(bs_positions=np.zeros((3, 2))))),
    ("terminal_positions", lambda: pi.Network(**arrays(terminal_positions=np.full((K, 2), NAN)))),
    ("scenario", lambda: pi.Network(**arrays(scenario=SMALL.to_dict()))),
    # ---- Network.from_arrays
    ("H", lambda: from_arrays(H=N.H.tolist()[:1])),
    ("H", lambda: from_arrays(H=[[["a"]]])),
    ("HI", lambda: from_arrays(HI=[1, [2, 3]])),
    ("rcs", lambda: from_arrays(rcs=N.rcs + 1j)),
    ("target_distance", lambda: from_arrays(target_distance=-N.target_distance)),
    ("task_bits", lambda: from_arrays(task_bits=0.0)),
    ("task_bits", lambda: from_arrays(task_bits="big")),
    ("cpu_local_hz", lambda: from_arrays(cpu_local_hz=np.ones(K + 1))),
    ("max_power_w", lambda: from_arrays(max_power_w=[1.0, NAN, 1.0])),
    ("bs_positions", lambda: from_arrays(bs_positions=[0, 0])),
    ("scenario", lambda: from_arrays(scenario=None)),
    # ---- evaluate
    ("network", lambda: pi.evaluate("net", W, Z, Z)),
    ("w", lambda: pi.evaluate(N, W[:, :1], Z, Z)),
    ("w", lambda: pi.evaluate(N, np.full((K, NT), NAN), Z, Z)),
    ("w", lambda: pi.evaluate(N, np.full((K, NT), "1"), Z, Z)),
    ("a", lambda: pi.evaluate(N, W, np.full((L, K), "x"), Z)),
    ("a", lambda: pi.evaluate(N, W, np.full((L, K), "1"), Z)),
    ("b", lambda: pi.evaluate(N, W, Z, [["0"] * K] * L)),
    ("a", lambda: pi.evaluate(N, W, Z[:1], Z)),
    ("a", lambda: pi.evaluate(N, W, Z + 0.5, Z)),
    ("a", lambda: pi.evaluate(N, W, Z + 0j, Z)),
    ("b", lambda: pi.evaluate(N, W, Z, Z - 1)),
    ("b", lambda: pi.evaluate(N, W, Z, np.full((L, K), NAN))),
    ("a, b", lambda: pi.evaluate(N, W, A1, A1)),
    ("rtol", lambda: pi.evaluate(N, W, Z, Z, rtol=NAN)),
    ("rtol", lambda: pi.evaluate(N, W, Z, Z, rtol=-1)),
    ("rtol", lambda: pi.evaluate(N, W, Z, Z, rtol="1e-6")),
    ("rtol", lambda: pi.evaluate(N, W, Z, Z, rtol=True)),
    # ---- mode_latencies
    ("network", lambda: pi.metrics.mode_latencies(None, W)),
    ("w", lambda: pi.metrics.mode_latencies(N, W.T)),
    ("w", lambda: pi.metrics.mode_latencies(N, np.full((K, NT), np.inf))),
    ("w", lambda: pi.metrics.mode_latencies(N, "beams")),
    # ---- optimize_offloading / optimal_offloading
    ("network", lambda: pi.optimize_offloading(N.H, W)),
    ("w", lambda: pi.optimize_offloading(N, W[:2])),
    ("w", lambda: pi.optimize_offloading(N, np.full((K, NT), NAN))),
    ("cloud", lambda: pi.optimize_offloading(N, W, cloud="no")),
    ("backend", lambda: pi.optimize_offloading(N, W, backend="gurobi")),
    ("backend", lambda: pi.optimize_offloading(N, W, backend=["exact"])),
    ("rho", lambda: pi.optimize_offloading(N, W, rho=0.0)),
    ("rho", lambda: pi.optimize_offloading(N, W, rho=NAN)),
    ("max_iter", lambda: pi.optimize_offloading(N, W, max_iter=0)),
    ("max_iter", lambda: pi.optimize_offloading(N, W, max_iter=1.5)),
    ("tol", lambda: pi.optimize_offloading(N, W, tol=0.0)),
    ("workers", lambda: pi.optimize_offloading(N, W, workers=True)),
    ("network", lambda: pi.optimal_offloading(object(), W)),
    ("w", lambda: pi.optimal_offloading(N, np.ones((K, NT + 1)))),
    ("cloud", lambda: pi.optimal_offloading(N, W, cloud=1)),
    # ---- optimize_beamforming / optimize_beamforming_centralized
    ("network", lambda: pi.optimize_beamforming(None, Z, Z)),
    ("a", lambda: pi.optimize_beamforming(N, Z[:, :2], Z)),
    ("b", lambda: pi.optimize_beamforming(N, Z, Z + 2)),
    ("a, b", lambda: pi.optimize_beamforming(N, A1, A1)),
    ("w0", lambda: pi.optimize_beamforming(N, Z, Z, w0=W[:1])),
    ("w0", lambda: pi.optimize_beamforming(N, Z, Z, w0=np.full((K, NT), NAN))),
    ("w0", lambda: pi.optimize_beamforming(N, Z, Z, w0=10 * np.ones((K, NT)))),
    ("max_iter", lambda: pi.optimize_beamforming(N, Z, Z, max_iter=-1)),
    ("tol", lambda: pi.optimize_beamforming(N, Z, Z, tol=NAN)),
    ("workers", lambda: pi.optimize_beamforming(N, Z, Z, workers=0)),
    ("return_iterates", lambda: pi.optimize_beamforming(N, Z, Z, return_iterates="yes")),
    ("network", lambda: pi.optimize_beamforming_centralized(1, Z, Z)),
    ("a", lambda: pi.optimize_beamforming_centralized(N, "zeros", Z)),
    ("w0", lambda: pi.optimize_beamforming_centralized(N, Z, Z, w0=W.T)),
    ("max_iter", lambda: pi.optimize_beamforming_centralized(N, Z, Z, max_iter=-1)),
    ("tol", lambda: pi.optimize_beamforming_centralized(N, Z, Z, tol=-1e-3)),
    # ---- solve
    ("network", lambda: pi.solve(SMALL)),
    ("scheme", lambda: pi.solve(N, "fastest")),
    ("scheme", lambda: pi.solve(N, 5)),
    ("max_outer", lambda: pi.solve(N, max_outer=0)),
    ("max_outer", lambda: pi.solve(N, max_outer=2.0)),
    ("tol", lambda: pi.solve(N, tol=-1)),
    ("tol", lambda: pi.solve(N, tol=NAN)),
    ("workers", lambda: pi.solve(N, workers=0)),
    ("offloading", lambda: pi.solve(N, offloading="rho")),
    ("offloading", lambda: pi.solve(N, offloading={"foo": 1})),
    ("offloading", lambda: pi.solve(N, offloading={1: 2})),
    ("offloading", lambda: pi.solve(N, offloading={"rho": -1})),
    ("offloading", lambda: pi.solve(N, offloading={"backend": "x"})),
    ("offloading", lambda: pi.solve(N, offloading={"max_iter": "10"})),
    ("beamforming", lambda: pi.solve(N, beamforming=5)),
    ("beamforming", lambda: pi.solve(N, beamforming=[("max_iter", 3)])),
    ("beamforming", lambda: pi.solve(N, beamforming={"max_iter": -1})),
    ("beamforming", lambda: pi.solve(N, beamforming={"tol": "x"})),
    ("beamforming", lambda: pi.solve(N, beamforming={"rho": 1.0})),
    # ---- beam helpers
    ("power_w", lambda: pi.max_sensing_beams(N, power_w=-1)),
    ("power_w", lambda: pi.max_sensing_beams(N, power_w=[1.0, 2.0])),
    ("power_w", lambda: pi.max_sensing_beams(N, power_w="1")),
    ("power_w", lambda: pi.max_sensing_beams(N, power_w=1j)),
    ("network", lambda: pi.max_sensing_beams("net")),
    ("network", lambda: pi.sensing_limited_beams("net")),
    ("w", lambda: pi.sensing_limited_beams(N, np.zeros((2, 2)))),
    ("w", lambda: pi.sensing_limited_beams(N, np.full((N.n_terminals, N.terminal_antennas), np.nan))),
    ("max_iter", lambda: pi.sensing_limited_beams(N, max_iter=0)),
    ("max_iter", lambda: pi.sensing_limited_beams(N, max_iter=1.5)),
    ("power_w", lambda: pi.max_ratio_beams(N, power_w=NAN)),
    ("power_w", lambda: pi.max_ratio_beams(N, power_w=np.ones((K, 1)))),
    ("network", lambda: pi.max_ratio_beams(None, power_w=1.0)),
    # ---- solve_qcqp (the facade; its array checks are in C++)
    ("P", lambda: qcqp(P=np.full((2, 2), NAN))),
    ("P", lambda: qcqp(P=[[1j, 0], [0, 1]])),
    ("q", lambda: qcqp(q=np.ones((2, 1)))),
    ("A", lambda: qcqp(A=np.eye(2))),
    ("b", lambda: qcqp(b=np.zeros((2, 2)))),
    ("c", lambda: qcqp(c=np.array(["one"]))),
    ("x0", lambda: qcqp(x0=np.ones(5))),
    ("max_iter", lambda: qcqp(max_iter=0)),
    ("tol", lambda: qcqp(tol=2.0)),
    ("block_size", lambda: qcqp(block_size=0)),
    # ---- experiment specs and the spec loader
    ("name", lambda: sweep(name="a b")),
    ("scenario", lambda: sweep(scenario={"n_bs": 2})),
    ("x_param", lambda: sweep(x_param="bandwith_hz")),
    ("x_values", lambda: sweep(x_values=5e6)),
    ("x_values", lambda: sweep(x_values="5e6")),
    ("x_values", lambda: sweep(x_values=(object(),))),
    ("series_param", lambda: sweep(series_param="n_bs")),
    ("schemes", lambda: sweep(schemes="local")),
    ("schemes", lambda: sweep(schemes=(5,))),
    ("schemes", lambda: sweep(schemes=None)),
    ("trials", lambda: sweep(trials=0)),
    ("seed", lambda: sweep(seed=-1)),
    ("metrics", lambda: sweep(metrics="mean_latency")),
    ("options", lambda: sweep(options="max_iter=3")),
    ("options", lambda: sweep(options={"w": object()})),
    ("p_fa", lambda: sweep(p_fa=True)),
    ("bandwidth_hz", lambda: sweep(x_values=(-1.0,))),
    ("frobnicate", lambda: _specs.SweepSpec.from_dict(sweep_dict(frobnicate=1))),
    ("trials", lambda: _specs.SweepSpec.from_dict({k: v for k, v in sweep_dict().items()
                                                    if k != "trials"})),
    ("x", lambda: _specs.SweepSpec.from_dict(sweep_dict(x={"param": "n_bs"}))),
    ("scenario", lambda: _specs.SweepSpec.from_dict(sweep_dict(scenario=3))),
    ("data", lambda: _specs.SweepSpec.from_dict("name = 's'")),
    ("colour", lambda: _specs.FigureSpec.from_dict(sweep_dict(plot={"colour": "red"}))),
    ("plot", lambda: _specs.FigureSpec.from_dict(sweep_dict(plot="red"))),
    ("y_scale", lambda: _specs.FigureSpec.from_dict(sweep_dict(plot={"y_scale": 0}))),
    ("y_metric", lambda: _specs.FigureSpec.from_dict(sweep_dict(plot={"y_metric": "speed"}))),
    ("path", lambda: _specs.load_spec(toml_file("name = [unclosed"))),
    # ---- the sweep engine's arguments (checked before any executor starts)
    ("workers", lambda: run_sweep(workers="2")),
    ("workers", lambda: run_sweep(workers=0)),
    ("dask_local", lambda: run_sweep(dask_local=True)),
    ("scheduler", lambda: run_sweep(scheduler=8786)),
    ("workers", lambda: run_sweep(workers=2, dask_local=2)),
    ("max_in_flight", lambda: run_sweep(max_in_flight=0)),
    ("progress", lambda: run_sweep(progress="no")),
    ("retry_failed", lambda: run_sweep(retry_failed=1)),
    ("out_dir", lambda: run_sweep(out_dir=5)),
    ("spec", lambda: run_sweep(spec={"name": "s"})),
    ("schemes", lambda: run_sweep(spec=sweep(schemes=("no-such-scheme",)))),
    ("schemes", lambda: run_sweep(spec=sweep(schemes=("no_module_here:f",)))),
    ("trials", lambda: _specs.load_spec(toml_file(
        'name = "s"\nschemes = ["local"]\ntrials = 0\n[x]\nparam = "n_bs"\nvalues = [1]\n'))),
    ("n_terminals", lambda: _specs.load_spec(toml_file(
        'name = "s"\nschemes = ["local"]\ntrials = 1\n[x]\nparam = "n_bs"\nvalues = [1]\n'
        '[scenario]\nn_terminals = 0\n'))),
    # ---- the engine, store and result helpers
    ("workers", lambda: ex.Engine(workers=0)),
    ("workers", lambda: ex.Engine(workers=2.0)),
    ("workers", lambda: ex.Engine(workers=2, scheduler="tcp://localhost:8786")),
    ("dask_local", lambda: ex.Engine(workers=None, dask_local=0)),
    ("scheduler", lambda: ex.Engine(workers=None, scheduler=b"tcp://h:1")),
    ("progress", lambda: ex.Engine(workers=1, progress=None)),
    ("max_in_flight", lambda: ex.Engine(workers=1, max_in_flight=-1)),
    ("seed", lambda: ex.trial_seed(-1, 0, 0)),
    ("seed", lambda: ex.trial_seed(1.5, 0, 0)),
    ("point", lambda: ex.trial_seed(1, -1, 0)),
    ("trial", lambda: ex.trial_seed(1, 0, -2)),
    ("trial", lambda: ex.trial_seed(1, 0, True)),
    ("experiment", lambda: trial_task(experiment="")),
    ("point", lambda: trial_task(point=-1)),
    ("trial", lambda: trial_task(trial=-1)),
    ("trial", lambda: trial_task(trial=0.0)),
    ("params", lambda: trial_task(params=[("bandwidth_hz", 5e6)])),
    ("scenario", lambda: trial_task(scenario=SMALL)),
    ("options", lambda: trial_task(options=None)),
    ("schemes", lambda: trial_task(schemes=["local"])),
    ("schemes", lambda: trial_task(schemes=(("local",),))),
    ("seed_entropy", lambda: trial_task(seed_entropy=-1)),
    ("spawn_key", lambda: trial_task(spawn_key=[0, 0])),
    ("spawn_key", lambda: trial_task(spawn_key=(0, -1))),
    ("task", lambda: ex.run_trial({"experiment": "s"})),
    ("trial", lambda: ex.run_trial(trial_task(trial=-1))),
    ("out_dir", lambda: ex.ResultStore(empty_dir(), readonly=True)),
    ("out_dir", lambda: ex.ResultStore(None)),
    ("out_dir", lambda: ex.ResultStore("")),
    ("readonly", lambda: ex.ResultStore(empty_dir(), readonly="yes")),
    ("out_dir", lambda: ex.load_results(empty_dir())),
    ("out_dir", lambda: ex.load_results(3)),
    ("experiment", lambda: ex.load_results(empty_dir(), experiment=1)),
    ("out_dir", lambda: ex.load_summary(empty_dir(), "s")),
    ("experiment", lambda: ex.load_summary(empty_dir(), None)),
    ("fmt", lambda: ex.export(empty_dir(), fmt="xlsx")),
    ("fmt", lambda: ex.export(empty_dir(), fmt=None)),
    ("out_dir", lambda: ex.export(empty_dir())),
    ("out_dir", lambda: ex.export(None)),
    ("spec", lambda: ex.summarize([], {"name": "s"})),
    ("rows", lambda: ex.summarize("rows", sweep())),
    ("rows", lambda: ex.summarize([1, 2], sweep())),
    ("name", lambda: ex.register_scheme("", _runner)),
    ("name", lambda: ex.register_scheme("a:b", _runner)),
    ("name", lambda: ex.register_scheme(3, _runner)),
    ("name", lambda: ex.register_scheme("local", _runner)),
    ("runner", lambda: ex.register_scheme("validation-test", "module:f")),
    ("replace", lambda: ex.register_scheme("local", _runner, replace="yes")),
    ("ev", lambda: ex.evaluation_metrics({"mean_latency": 1.0}, Z, Z)),
    ("a", lambda: ex.evaluation_metrics(EV, np.zeros((K, L)), Z)),
    ("a", lambda: ex.evaluation_metrics(EV, Z + 0.5, Z)),
    ("b", lambda: ex.evaluation_metrics(EV, Z, np.zeros(K))),
    ("a", lambda: ex.marcum_q1(-1.0, 1.0)),
    ("a", lambda: ex.marcum_q1("x", 1.0)),
    ("b", lambda: ex.marcum_q1(1.0, [1.0, NAN])),
    ("b", lambda: ex.marcum_q1(1.0, -0.5)),
    ("echo_sinr", lambda: ex.detection_probability(-1.0, 1e-3)),
    ("echo_sinr", lambda: ex.detection_probability([1.0, NAN], 1e-3)),
    ("echo_sinr", lambda: ex.detection_probability("10 dB", 1e-3)),
    ("p_fa", lambda: ex.detection_probability(1.0, 0.0)),
    ("p_fa", lambda: ex.detection_probability(1.0, 1.0)),
    ("p_fa", lambda: ex.detection_probability(1.0, NAN)),
    ("p_fa", lambda: ex.detection_probability(1.0, "0.1")),
    ("p_fa", lambda: ex.required_sinr(0.9, 1.5)),
    ("p_d", lambda: ex.required_sinr(1e-4, 1e-3)),
    ("p_d", lambda: ex.required_sinr(1e-3, 1e-3)),
    ("p_d", lambda: ex.required_sinr(1.0, 1e-3)),
    ("p_d", lambda: ex.required_sinr(None, 1e-3)),
    ("text", lambda: ex.Claim(text=None, check=lambda df: ex.ClaimResult(True, ""))),
    ("text", lambda: ex.Claim(text=" ", check=lambda df: ex.ClaimResult(True, ""))),
    ("check", lambda: ex.Claim(text="Fig. 5: lower", check="lower")),
    ("holds", lambda: ex.ClaimResult(1, "1/1 points")),
    ("holds", lambda: ex.ClaimResult("True", "1/1 points")),
    ("detail", lambda: ex.ClaimResult(True, None)),
]


def _case_id(case):
    return case[0]


@pytest.mark.parametrize(("name", "call"), BAD, ids=[f"{i}-{c[0]}" for i, c in enumerate(BAD)])
def test_bad_input_names_the_parameter_first(name, call):
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value).startswith(name), f"{name!r} should start: {info.value}"


def test_table_covers_every_public_entry_point():
    # one call of each public function in the table: a new public function needs its cases
    import inspect

    text = inspect.getsource(inspect.getmodule(test_table_covers_every_public_entry_point))
    table = text[text.index("BAD = ["):text.index("def _case_id")]
    for name in ("pi.Scenario(", ".replace(", "Scenario.from_dict(", "Scenario.from_toml(",
                 "pi.draw_network(", "pi.Network(", "from_arrays(", "pi.evaluate(",
                 "mode_latencies(", "pi.optimize_offloading(", "pi.optimal_offloading(",
                 "pi.optimize_beamforming(", "pi.optimize_beamforming_centralized(", "pi.solve(",
                 "pi.max_sensing_beams(", "pi.max_ratio_beams(", "qcqp(",
                 "sweep(", "SweepSpec.from_dict(", "FigureSpec.from_dict(", "load_spec(",
                 "run_sweep(", "Engine(", "trial_seed(", "trial_task(", "run_trial(",
                 "ResultStore(", "load_results(", "load_summary(", "export(", "summarize(",
                 "register_scheme(", "evaluation_metrics(", "marcum_q1(",
                 "detection_probability(", "required_sinr(", "Claim(", "ClaimResult("):
        assert name in table, name
    assert len(BAD) >= 120


@pytest.mark.parametrize(("argv", "option"), [
    (["sweep", "x.toml", "--out", "d", "--trials", "0"], "--trials"),
    (["sweep", "x.toml", "--out", "d", "--seed", "-1"], "--seed"),
    (["sweep", "x.toml", "--out", "d", "--workers", "two"], "--workers"),
    (["sweep", "x.toml", "--out", "d", "--format", "xls"], "--format"),
    (["reproduce", "--out", "d", "--trials", "1.5"], "--trials"),
])
def test_cli_rejects_bad_arguments_naming_the_option(argv, option, capsys):
    from pyiscc.experiments.cli import build_parser

    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(argv)
    assert info.value.code == 2
    assert f"argument {option}" in capsys.readouterr().err


def test_cli_reports_a_bad_spec_file_by_its_parameter(tmp_path, capsys):
    from pyiscc.experiments.cli import main

    bad = tmp_path / "bad.toml"
    bad.write_text('name = "s"\nschemes = ["local"]\ntrials = 1\nbogus = 2\n'
                   '[x]\nparam = "n_bs"\nvalues = [1]\n')
    assert main(["sweep", str(bad), "--out", str(tmp_path / "o"), "--workers", "1"]) == 2
    assert f"{bad}: bogus: unknown sweep key" in capsys.readouterr().err


# ====================================================================== valid edge cases
# Inputs that are valid and must give exactly the canonical input's answer.
def _same_evaluation(x, y):
    for f in ("rate", "echo_sinr", "latency", "power", "energy"):
        np.testing.assert_array_equal(getattr(x, f), getattr(y, f))
    assert x.feasible == y.feasible and x.violations == y.violations


def test_decisions_of_any_numeric_dtype_give_the_same_evaluation():
    w = pi.max_sensing_beams(N)
    ref = pi.evaluate(N, w, A1, Z)
    for dtype in (bool, np.int8, np.int64, np.uint8, np.float32):
        _same_evaluation(pi.evaluate(N, w, A1.astype(dtype), Z.astype(dtype)), ref)
    _same_evaluation(pi.evaluate(N, w, A1.tolist(), Z.tolist()), ref)
    _same_evaluation(pi.evaluate(N, w, np.asfortranarray(A1), Z, rtol=np.float32(1e-6)), ref)
    ref_bf = pi.optimize_beamforming(N, A1, Z, max_iter=2)
    got = pi.optimize_beamforming(N, A1.astype(bool), Z.astype(np.int8), max_iter=np.int64(2),
                                  workers=np.int32(1), tol=np.float32(1e-4).item())
    np.testing.assert_array_equal(got.w, ref_bf.w)


def test_beams_in_any_layout_give_the_same_answer():
    w = pi.max_sensing_beams(N)
    wide = np.zeros((K, 2 * NT), complex)
    wide[:, ::2] = w  # a non-contiguous view
    fortran = np.asfortranarray(w)
    ref = pi.evaluate(N, w, A1, Z)
    for other in (wide[:, ::2], fortran, w.tolist()):
        _same_evaluation(pi.evaluate(N, other, A1, Z), ref)
        for x, y in zip(pi.metrics.mode_latencies(N, other), pi.metrics.mode_latencies(N, w)):
            np.testing.assert_array_equal(x, y)
        off = pi.optimize_offloading(N, other)
        np.testing.assert_array_equal(off.a, pi.optimize_offloading(N, w).a)
    real = np.abs(w)  # a real (float64) beam array is a valid complex one
    _same_evaluation(pi.evaluate(N, real, A1, Z), pi.evaluate(N, real + 0j, A1, Z))


def test_numpy_integer_counts_and_numpy_floats_make_the_same_scenario():
    sc = pi.Scenario(n_bs=np.int64(2), n_terminals=np.int32(3), bs_antennas=np.uint8(4),
                     terminal_antennas=np.int16(2), bandwidth_hz=np.float32(1e7).item(),
                     max_power_dbm=np.float64(30.0), echo_integration=np.bool_(True))
    assert sc == SMALL
    assert type(sc.n_bs) is int and type(sc.echo_integration) is bool
    np.testing.assert_array_equal(pi.draw_network(sc, seed=np.int64(3)).H, N.H)
    np.testing.assert_array_equal(pi.draw_network(SMALL, seed=np.uint32(3)).H, N.H)
    seq = pi.draw_network(SMALL, seed=np.random.SeedSequence(3))
    np.testing.assert_array_equal(seq.H, N.H)
    np.testing.assert_array_equal(pi.draw_network(SMALL, seed=[3]).H,
                                  pi.draw_network(SMALL, rng=np.random.default_rng([3])).H)
    ref = pi.solve(N, "dcet-mrs")
    got = pi.solve(N, "dcet-mrs", max_outer=np.int64(10), workers=np.int64(1),
                   tol=np.float64(1e-3), offloading={"max_iter": np.int64(1000)})
    np.testing.assert_array_equal(got.a, ref.a)
    assert got.total_latency == ref.total_latency


def test_float32_and_fortran_channels_build_the_same_network():
    H32 = N.H.astype(np.complex64)
    angle32 = N.target_angle.astype(np.float32)
    ref = pi.Network.from_arrays(SMALL, H32.astype(complex), N.HI, angle32.astype(float),
                                 N.target_distance, N.rcs)
    for H in (H32, np.asfortranarray(H32.astype(complex)), H32.tolist()):
        net = pi.Network.from_arrays(SMALL, H, np.asfortranarray(N.HI),
                                     angle32,
                                     list(N.target_distance), tuple(N.rcs))
        np.testing.assert_array_equal(net.H, ref.H)
        assert net.H.flags.c_contiguous and not net.H.flags.writeable
        w = pi.max_sensing_beams(net)
        _same_evaluation(pi.evaluate(net, w, A1, Z), pi.evaluate(ref, w, A1, Z))
    # scalar and (K,) per-terminal parameters; the direct constructor gives the same network
    a = pi.Network.from_arrays(SMALL, N.H, N.HI, N.target_angle, N.target_distance, N.rcs,
                               max_power_w=0.5, task_bits=np.float32(1e5))
    b = pi.Network(**arrays(max_power_w=np.full(K, 0.5), task_bits=np.full(K, 1e5),
                            bs_positions=None, terminal_positions=None))
    np.testing.assert_array_equal(a.max_power_w, b.max_power_w)
    np.testing.assert_array_equal(a.echo_gain, b.echo_gain)
    _same_evaluation(pi.evaluate(a, W, A1, Z), pi.evaluate(b, W, A1, Z))


def test_direct_constructor_copies_and_zeroes_the_diagonal():
    HI = np.array(N.HI)
    HI[1, 1] = 5.0
    net = pi.Network(**arrays(HI=HI))
    assert np.all(net.HI[1, 1] == 0) and not net.HI.flags.writeable
    HI[0, 1] = 7.0
    assert not np.any(net.HI[0, 1] == 7.0)
    _same_evaluation(pi.evaluate(net, W, A1, Z), pi.evaluate(N, W, A1, Z))


def test_beam_power_edge_values_are_valid():
    # power 0 gives zero beams (a terminal that does not transmit), a (K,) array per terminal
    np.testing.assert_array_equal(pi.max_sensing_beams(N, power_w=0.0), np.zeros((K, NT)))
    p = np.array([0.1, 0.2, 0.3])
    np.testing.assert_allclose(np.linalg.norm(pi.max_ratio_beams(N, power_w=p), axis=1) ** 2, p,
                               rtol=1e-15)
    np.testing.assert_array_equal(pi.max_sensing_beams(N, power_w=np.float32(0.5)),
                                  pi.max_sensing_beams(N, power_w=0.5))
    np.testing.assert_array_equal(pi.max_sensing_beams(N, power_w=[0.1, 0.2, 0.3]),
                                  pi.max_sensing_beams(N, power_w=p))


def test_rtol_zero_and_large_are_valid():
    w = pi.max_sensing_beams(N)
    strict = pi.evaluate(N, w, Z, Z, rtol=0)
    loose = pi.evaluate(N, w, Z, Z, rtol=10.0)
    np.testing.assert_array_equal(strict.latency, loose.latency)
    assert loose.feasible or any(v.constraint == "sensing" for v in loose.violations)


# Inputs NumPy would convert or Python would raise TypeError on: refused naming the parameter.
@pytest.mark.parametrize(("name", "changes"), [
    ("tol", dict(tol="1e-9")), ("tol", dict(tol=None)), ("c", dict(c=np.array(["1"]))),
    ("c", dict(c="1")), ("q", dict(q=np.array(["1"] * 2))),
])
def test_solve_qcqp_refuses_non_numeric_inputs(name, changes):
    with pytest.raises(ValueError) as info:
        qcqp(**changes)
    assert str(info.value).startswith(name)


def test_experiment_helpers_accept_their_edge_values(tmp_path):
    # the boundaries that are valid: zero seeds/indices, zero arguments, empty stores and rows
    np.testing.assert_array_equal(ex.trial_seed(0, 0, 0).generate_state(4),
                                  np.random.SeedSequence(0, spawn_key=(0, 0)).generate_state(4))
    assert ex.trial_seed(np.int64(3), np.int32(1), 2).spawn_key == (1, 2)
    assert float(ex.marcum_q1(0.0, 0.0)) == pytest.approx(1.0)
    assert ex.marcum_q1([], []).shape == (0,)
    assert float(ex.detection_probability(0.0, 0.25)) == pytest.approx(0.25)
    assert float(ex.detection_probability(np.float32(1.0), np.float64(1e-3))) > 1e-3
    gamma = ex.required_sinr(0.9, 1e-3)
    assert float(ex.detection_probability(gamma, 1e-3)) == pytest.approx(0.9)
    result = ex.ClaimResult(np.bool_(True), "")
    assert result.holds is True
    assert ex.Claim("Fig. 5: lower", lambda df: result).check(None) is result
    # registering the same runner again under its own name is a no-op, not a clash
    assert ex.register_scheme("local", ex.SCHEME_RUNNERS["local"]) is ex.SCHEME_RUNNERS["local"]
    with ex.ResultStore(tmp_path / "store"):
        pass
    with ex.ResultStore(str(tmp_path / "store"), readonly=True) as store:
        assert store.experiments() == {}
    assert ex.load_results(tmp_path / "store").empty
    assert [p.name for p in ex.export(tmp_path / "store")] == ["trials.csv", "summary.csv"]
    empty = ex.summarize([], sweep())  # no trials yet: one row per (point, scheme), counts 0
    assert (len(empty), int(empty["n_trials"].sum())) == (1, 0)
    rows = ex.run_trial(trial_task())
    assert [(r.scheme, r.status) for r in rows] == [("local", "ok")]
    with ex.Engine(workers=1, progress=False, max_in_flight=1) as engine:
        assert (engine.kind, engine.n_workers, engine.max_in_flight) == ("serial", 1, 1)
    ev = pi.evaluate(N, W, A1, Z)
    assert ex.evaluation_metrics(ev, A1.astype(bool), Z.astype(np.int8))["n_mec"] == 1
