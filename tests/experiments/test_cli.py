"""The `sweep` and `reproduce` sub-commands, through the parser functions pyiscc/cli.py wires."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pandas as pd
import pytest

from pyiscc import experiments as ex
from pyiscc.experiments import cli, figures
from pyiscc.experiments.specs import Claim, ClaimResult, FigureSpec, SweepSpec

from exp_helpers import tiny  # noqa: F401  (fixture)

TOML = """
name = "cli-sweep"
schemes = ["local", "mec-nearest-mrs"]
trials = 3
seed = 2
metrics = ["mean_latency", "mean_energy"]
[scenario]
n_terminals = 3
n_bs = 2
bs_antennas = 4
terminal_antennas = 2
[x]
param = "bandwidth_hz"
values = [5e6, 10e6]
[plot]
y_label = "Average execution latency [ms]"
y_scale = 1e3
x_label = "Bandwidth B [MHz]"
x_scale = 1e-6
"""


def parse(argv):
    """A tiny `pyiscc`-like parser built from the two public add_*_parser functions."""
    parser = argparse.ArgumentParser(prog="pyiscc")
    sub = parser.add_subparsers(dest="command", required=True)
    cli.add_sweep_parser(sub)
    cli.add_reproduce_parser(sub)
    return parser.parse_args(argv)


def test_sweep_command_writes_everything_and_resumes(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text(TOML)
    out = tmp_path / "out"
    args = parse(["sweep", str(spec), "--out", str(out), "--workers", "1", "--quiet"])
    assert args.func(args) == 0
    for name in ("results.sqlite", "cli-sweep.csv", "cli-sweep.png", "cli-sweep.pdf",
                 "trials.csv", "summary.csv"):
        assert (out / name).is_file(), name
    assert len(pd.read_csv(out / "trials.csv")) == 2 * 2 * 3
    # more trials on the command line: only the new ones run
    args = parse(["sweep", str(spec), "--out", str(out), "--workers", "1", "--trials", "5"])
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert "feasible trials only" in printed and "n_infeasible" in printed
    assert len(ex.load_results(out)) == 2 * 2 * 5


def test_executor_flags_are_mutually_exclusive(tmp_path, capsys):
    with pytest.raises(SystemExit):
        parse(["sweep", "x.toml", "--out", str(tmp_path), "--workers", "2", "--dask-local", "2"])
    assert "not allowed with" in capsys.readouterr().err


def test_bad_spec_file_exits_2(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text(TOML.replace('param = "bandwidth_hz"', 'param = "bandwith"'))
    args = parse(["sweep", str(spec), "--out", str(tmp_path / "o"), "--quiet"])
    assert args.func(args) == 2
    assert "bandwith" in capsys.readouterr().err


def _latency_drops_with_capacity(summary):
    mec = summary[summary.scheme == "mec-nearest-mrs"].sort_values("x")
    first, last = mec.mean_latency.iloc[0], mec.mean_latency.iloc[-1]
    return ClaimResult(last < first, f"{100 * (1 - last / first):.0f}% lower at the largest G_l")


def test_reproduce_writes_figures_and_report(tmp_path, monkeypatch, tiny):
    sweep = SweepSpec(name="fig12-demo", scenario=tiny, x_param="mec_capacity_hz",
                      x_values=(3e9, 9e9), schemes=("local", "mec-nearest-mrs"), trials=3)
    fig = FigureSpec(sweep=sweep, title="Fig. 12 (demo): latency versus G_l",
                     y_metric="mean_latency", y_label="Average execution latency [ms]",
                     y_scale=1e3, x_label="MEC capacity $G_l$ [Gcycles/s]", x_scale=1e-9,
                     claims=(Claim("latency decreases with G_l", _latency_drops_with_capacity),
                             Claim("a broken check", lambda s: 1 / 0)))
    monkeypatch.setattr(figures, "FIGURES", {"12": fig})
    out = tmp_path / "out"
    args = parse(["reproduce", "--out", str(out), "--figures", "12", "--trials", "2",
                  "--workers", "1", "--quiet"])
    assert args.func(args) == 0
    for name in ("fig12-demo.png", "fig12-demo.pdf", "fig12-demo.csv", "report.md"):
        assert (out / name).is_file(), name
    report = (out / "report.md").read_text()
    assert "![Fig. 12 (demo): latency versus G_l](fig12-demo.png)" in report
    assert "| latency decreases with G_l | yes |" in report
    assert "| a broken check | check failed | ZeroDivisionError" in report
    assert "over the feasible trials only" in report
    assert len(ex.load_results(out)) == 2 * 2 * 2
    args = parse(["reproduce", "--out", str(out), "--figures", "5", "--quiet"])
    assert args.func(args) == 2


def test_module_entry_point_help(tmp_path):
    # cwd elsewhere: from a checkout, `python -m` would import the source tree (no _core)
    res = subprocess.run([sys.executable, "-m", "pyiscc.experiments", "reproduce", "--help"],
                         capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert res.returncode == 0
    assert "--dask-local" in res.stdout and "--figures" in res.stdout
