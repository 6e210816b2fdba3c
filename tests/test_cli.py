"""The ``pyiscc`` command (pyiscc/cli.py): the ``run`` sub-command, the wiring of ``sweep`` and
``reproduce`` (their behaviour: tests/experiments/test_cli.py) and the error exit."""

from __future__ import annotations

import pytest

from pyiscc import cli

SMALL = """
[scenario]
n_terminals = 3
n_bs = 2
bs_antennas = 4
terminal_antennas = 2
"""


def test_run_compares_schemes_over_drops(tmp_path, capsys):
    toml = tmp_path / "s.toml"
    toml.write_text(SMALL)
    assert cli.main(["run", "--scenario", str(toml), "--drops", "3", "--seed", "4",
                     "--schemes", "local,dcet-mrs",
                     "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "L=2 BSs (M=4), K=3 terminals (N=2)" in out and "3 drop(s), seed 4" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.split()}
    assert "/3" in lines["local"] and "/3" in lines["dcet-mrs"]
    assert "Means over feasible drops only" in out


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
