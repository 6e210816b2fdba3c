"""The ``pyiscc`` command (pyiscc/cli.py): `pyiscc run` (the experiments' seeds and summary, its output
formats), the wiring of ``sweep`` and ``reproduce`` (their behaviour: tests/experiments/test_cli.py)
and the error exit."""

from __future__ import annotations

import hashlib
import io
import json
import math

import numpy as np
import pandas as pd
import pytest

import pyiscc as pi
from pyiscc import cli
from pyiscc import experiments as ex
from pyiscc.experiments.summary import Z95
from pyiscc.tables import FRAME_COLUMNS

SMALL_TOML = """
[scenario]
n_terminals = 3
n_bs = 2
bs_antennas = 4
terminal_antennas = 2
"""
SMALL = {"n_terminals": 3, "n_bs": 2, "bs_antennas": 4, "terminal_antennas": 2}


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text("".join(f"{k} = {v}\n" for k, v in SMALL.items()))
    return path


def network_digest(network: pi.Network) -> str:
    h = hashlib.sha256()
    for x in (network.H, network.HI, network.target_angle, network.target_distance, network.rcs,
              network.terminal_positions):
        h.update(np.ascontiguousarray(x).tobytes())
    return h.hexdigest()


def run_fingerprint(network: pi.Network) -> dict:
    """A sweep runner that records which network the trial drew."""
    return {"feasible": True, "digest": network_digest(network)}


def run_cli(capsys, argv):
    assert cli.main(argv) == 0
    return capsys.readouterr()


def test_run_drops_are_the_sweep_trials_of_the_same_seed(tmp_path, capsys, scenario_file):
    seed, drops = 11, 3
    ex.register_scheme("test-cli-fingerprint", run_fingerprint, replace=True)
    spec = ex.SweepSpec(name="same-seed", scenario=pi.Scenario(**SMALL), x_param="n_terminals",
                        x_values=[SMALL["n_terminals"], 2], schemes=["test-cli-fingerprint",
                                                                     "dcet-mrs"],
                        trials=drops, seed=seed, metrics=["mean_latency"])
    ex.run_sweep(spec, tmp_path / "out", workers=1, progress=False)
    rows = ex.load_results(tmp_path / "out")
    point0 = rows[rows["point"] == 0]
    swept = point0[point0["scheme"] == "test-cli-fingerprint"].sort_values("trial")
    nets = list(cli.drop_networks(pi.Scenario(**SMALL), seed, drops))
    assert [network_digest(n) for n in nets] == swept["digest"].tolist()
    # ... and `pyiscc run` itself solves exactly those drops: same answers as the sweep's trials
    out = run_cli(capsys, ["run", "--scenario", str(scenario_file), "--seed", str(seed),
                           "--drops", str(drops), "--schemes", "dcet-mrs", "--format", "json",
                           "--quiet"])
    doc = json.loads(out.out)
    mrs = point0[point0["scheme"] == "dcet-mrs"].sort_values("trial")
    assert [s["mean_latency_s"] for s in doc["solutions"]] == mrs["mean_latency"].tolist()
    assert [s["drop"] for s in doc["solutions"]] == list(range(drops))


def test_run_summary_is_the_experiments_summary_with_z95(capsys, scenario_file):
    drops = 4
    out = run_cli(capsys, ["run", "--scenario", str(scenario_file), "--seed", "2", "--drops",
                           str(drops), "--schemes", "dcet-mrs,local", "--format", "json",
                           "--quiet"])
    doc = json.loads(out.out)
    for rec in doc["summary"]:
        lat = np.array([s["mean_latency_s"] for s in doc["solutions"]
                        if s["scheme"] == rec["scheme"] and s["feasible"]])
        assert rec["n_feasible"] == lat.size and rec["n_trials"] == drops
        if lat.size > 1:
            assert rec["mean_latency"] == pytest.approx(lat.mean(), rel=1e-12)
            assert rec["mean_latency_ci95"] == pytest.approx(
                Z95 * lat.std(ddof=1) / math.sqrt(lat.size), rel=1e-12)


def test_run_table_prints_the_summary_ci(capsys, scenario_file):
    argv = ["--scenario", str(scenario_file), "--seed", "3", "--drops", "3", "--schemes",
            "dcet-mrs", "--quiet"]
    table = run_cli(capsys, ["run", *argv]).out
    doc = json.loads(run_cli(capsys, ["run", *argv, "--format", "json"]).out)
    (rec,) = doc["summary"]
    row = next(line for line in table.splitlines() if line.startswith("dcet-mrs"))
    assert f"{1e3 * rec['mean_latency']:9.2f} +- {1e3 * rec['mean_latency_ci95']:7.2f}" in row
    assert f"{rec['n_feasible']:>4}/3" in row


def test_run_csv_one_row_per_drop_scheme_and_terminal(capsys, scenario_file):
    out = run_cli(capsys, ["run", "--scenario", str(scenario_file), "--drops", "2",
                           "--schemes", "local,dcet-mrs", "--format", "csv", "--quiet"])
    df = pd.read_csv(io.StringIO(out.out))
    assert list(df.columns) == ["drop", "scheme", "status", "feasible", *FRAME_COLUMNS]
    assert len(df) == 2 * 2 * SMALL["n_terminals"]
    local = df[df["scheme"] == "local"]
    assert (local["mode"] == "local").all() and (local["bs"] == -1).all()
    nets = list(cli.drop_networks(pi.Scenario(**SMALL), 0, 2))
    sol = pi.solve(nets[1], "dcet-mrs")
    got = df[(df["scheme"] == "dcet-mrs") & (df["drop"] == 1)]
    np.testing.assert_allclose(got["latency_s"], sol.latency, rtol=1e-15)


def test_run_plot_writes_a_picture(tmp_path, capsys, scenario_file):
    target = tmp_path / "drop.png"
    run_cli(capsys, ["run", "--scenario", str(scenario_file), "--schemes", "dcet-mrs",
                     "--quiet", "--plot", str(target)])
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_rejects_bad_arguments(capsys):
    assert cli.main(["run", "--seed", "-1"]) == 2
    assert capsys.readouterr().err.startswith("pyiscc: error: --seed must be >= 0")
    assert cli.main(["run", "--schemes", "dcet-mrs,nope"]) == 2
    assert "--schemes: unknown scheme 'nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["run", "--format", "xml"])


def test_solution_to_frame_and_to_dict_agree_with_the_solution():
    net = pi.draw_network(pi.Scenario(**SMALL), seed=5)
    sol = pi.solve(net, "dcet-mrt")  # MRT may miss (18e): margins of both signs
    df = sol.to_frame()
    assert list(df.columns) == list(FRAME_COLUMNS) and len(df) == net.n_terminals
    np.testing.assert_array_equal(df["mode"], sol.mode)
    np.testing.assert_array_equal(df["bs"], sol.serving_bs)
    np.testing.assert_array_equal(df["energy_j"], sol.energy)
    margin = 10 * np.log10(sol.echo_sinr) - net.scenario.sensing_sinr_db
    np.testing.assert_allclose(df["sensing_margin_db"], margin, rtol=1e-15)
    violated = {v.index for v in sol.violations if v.constraint == "sensing"}
    assert set(np.flatnonzero(~df["meets_sensing"].to_numpy())) == violated
    assert df.attrs["scheme"] == "dcet-mrt" and df.attrs["feasible"] == sol.feasible
    d = sol.to_dict()
    back = json.loads(json.dumps(d, allow_nan=False))
    assert back == d
    assert d["mean_latency_s"] == sol.mean_latency
    np.testing.assert_array_equal(np.array(d["w_real"]) + 1j * np.array(d["w_imag"]), sol.w)
    np.testing.assert_array_equal(d["a"], sol.a)
    assert [t["latency_s"] for t in d["terminals"]] == sol.latency.tolist()
    assert len(d["violations"]) == len(sol.violations)


def test_to_dict_writes_non_finite_numbers_as_null():
    net = pi.draw_network(pi.Scenario(**SMALL), seed=1)
    sol = pi.solve(net, "local")
    zero = type(sol)(sol.scheme, np.zeros_like(sol.w), sol.a, sol.b,
                     pi.evaluate(net, np.zeros_like(sol.w), sol.a, sol.b), sol.status,
                     sol.history, 0, 0.0, net)
    d = zero.to_dict()
    assert all(t["echo_sinr_db"] is None for t in d["terminals"])
    json.dumps(d, allow_nan=False)


def test_run_compares_schemes_over_drops(tmp_path, capsys):
    toml = tmp_path / "s.toml"
    toml.write_text(SMALL_TOML)
    assert cli.main(["run", "--scenario", str(toml), "--drops", "3", "--seed", "4",
                     "--schemes", "local,dcet-mrs",
                     "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "L=2 BSs (M=4), K=3 terminals (N=2)" in out and "3 drop(s), seed 4" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.split()}
    assert "/3" in lines["local"] and "/3" in lines["dcet-mrs"]
    assert ex.AVERAGING_NOTE in out


def test_run_one_drop_prints_each_solution(tmp_path, capsys):
    assert cli.main(["run", "--drops", "1", "--schemes", "local", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.count("local") >= 2  # the solution's summary, then the table row


@pytest.mark.parametrize(("argv", "start"), [
    (["run", "--schemes", "local,nope"], "pyiscc: error: --schemes"),
    (["run", "--drops", "0"], "pyiscc: error: --drops"),
])
def test_bad_arguments_exit_2_naming_the_option(argv, start, capsys):
    assert cli.main(argv) == 2
    assert capsys.readouterr().err.startswith(start)


def test_every_sub_command_is_wired():
    parser = cli.build_parser()
    for argv in (["run"], ["sweep", "x.toml", "--out", "o"], ["reproduce", "--out", "o"]):
        args = parser.parse_args(argv)
        assert callable(args.func) and args.command == argv[0]
    with pytest.raises(SystemExit):
        parser.parse_args([])
