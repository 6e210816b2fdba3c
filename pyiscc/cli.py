"""The ``pyiscc`` command.

``pyiscc run`` draws drops with the experiments' seed scheme (drop ``t`` of ``--seed S`` is
trial ``t`` of point 0 of a sweep with root seed ``S``: ``SeedSequence(S, spawn_key=(0, t))``,
docs/experiments.md) and summarises them with the experiments' summary (mean and 95% CI over
the feasible drops, :func:`pyiscc.experiments.summarize`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .experiments.cli import add_reproduce_parser, add_sweep_parser
from .experiments.engine import trial_seed
from .experiments.runners import evaluation_metrics
from .experiments.specs import SweepSpec
from .experiments.summary import AVERAGING_NOTE, summarize
from .network import Network, draw_network
from .scenario import Scenario
from .solve import SCHEMES, Solution, solve
from .tables import FRAME_COLUMNS, _plain

__all__ = ["main", "build_parser", "drop_networks", "run_spec", "run_summary"]

#: Output formats of ``pyiscc run``.
FORMATS = ("table", "json", "csv")


def run_spec(scenario: Scenario, seed: int, drops: int, schemes: Sequence[str]) -> SweepSpec:
    """The one-point sweep that ``pyiscc run`` is: its trials are the run's drops (same seeds,
    same summary)."""
    return SweepSpec(name="run", scenario=scenario, x_param="n_terminals",
                     x_values=[scenario.n_terminals], schemes=list(schemes), trials=drops,
                     seed=seed, metrics=["mean_latency", "mean_energy", "runtime_s"])


def drop_networks(scenario: Scenario, seed: int, drops: int) -> Iterator[Network]:
    """Drop ``t`` = 0, 1, ... of ``pyiscc run --seed seed``: the network of trial ``t`` of point
    0 in a sweep with root seed ``seed`` (:func:`pyiscc.experiments.trial_seed`)."""
    for t in range(drops):
        yield draw_network(scenario, rng=np.random.default_rng(trial_seed(seed, 0, t)))


def _rows(results: dict[str, list[Solution]]) -> list[dict[str, Any]]:
    """The runs' solutions as the experiment store's trial rows (for :func:`summarize`)."""
    rows = []
    for scheme, sols in results.items():
        for t, sol in enumerate(sols):
            out = evaluation_metrics(sol.evaluation, sol.a, sol.b)
            out.update(feasible=bool(sol.feasible), runtime_s=sol.runtime_s)
            rows.append({"experiment": "run", "point": 0, "scheme": scheme, "trial": t,
                         "status": "ok" if sol.feasible else "infeasible",
                         "inputs": {"params": {}}, "outputs": out})
    return rows


def run_summary(results: dict[str, list[Solution]], spec: SweepSpec):
    """Per scheme: counts and mean / std / 95% CI of latency, energy and runtime over the
    feasible drops (a :func:`pyiscc.experiments.summarize` DataFrame)."""
    return summarize(_rows(results), spec)


def _drop_table(summary, results: dict[str, list[Solution]], n_drops: int) -> str:
    """Mean latency with 95% CI over feasible drops, energy, feasible count, median runtime."""
    head = (f"{'scheme':<10} {'latency ms (95% CI)':>22} {'energy mJ':>10} {'feasible':>9} "
            f"{'runtime ms':>11}")
    lines = [head, "-" * len(head)]
    for rec in summary.to_dict("records"):
        scheme = rec["scheme"]
        runtime = 1e3 * np.median([s.runtime_s for s in results[scheme]])
        if rec["n_feasible"]:
            ci = rec["mean_latency_ci95"]
            cell = (f"{1e3 * rec['mean_latency']:9.2f} +- {1e3 * ci:7.2f}" if np.isfinite(ci)
                    else f"{1e3 * rec['mean_latency']:9.2f}           ")
            energy = 1e3 * rec["mean_energy"]
        else:
            cell, energy = "n/a", float("nan")
        lines.append(f"{scheme:<10} {cell:>22} {energy:>10.2f} {rec['n_feasible']:>4}/{n_drops:<4} "
                     f"{runtime:>11.2f}")
    lines.append(f"Runtime: median over all drops.  The rest: {AVERAGING_NOTE}; 'feasible' counts "
                 "drops whose returned beams and decisions meet (18c)-(18e) (checked by evaluate).")
    return "\n".join(lines)


def _json_document(args: argparse.Namespace, scenario: Scenario, summary,
                   results: dict[str, list[Solution]]) -> dict[str, Any]:
    return _plain({
        "scenario": scenario.to_dict(),
        "seed": args.seed,
        "drops": args.drops,
        "drop_seeds": "numpy.random.SeedSequence(seed, spawn_key=(0, drop))",
        "averaging": AVERAGING_NOTE,
        "summary": summary.drop(columns=["x_param", "x", "series_param", "series"]
                                ).to_dict("records"),
        "solutions": [{"drop": t, **sol.to_dict()} for scheme, sols in results.items()
                      for t, sol in enumerate(sols)],
    })


def _csv_frame(results: dict[str, list[Solution]]):
    import pandas as pd

    frames = []
    for scheme, sols in results.items():
        for t, sol in enumerate(sols):
            df = sol.to_frame()
            df.insert(0, "feasible", sol.feasible)
            df.insert(0, "status", sol.status)
            df.insert(0, "scheme", scheme)
            df.insert(0, "drop", t)
            frames.append(df)
    columns = ["drop", "scheme", "status", "feasible", *FRAME_COLUMNS]
    return pd.concat(frames, ignore_index=True)[columns]


def cmd_run(args: argparse.Namespace) -> int:
    scenario = Scenario.from_toml(args.scenario) if args.scenario else Scenario()
    if args.drops < 1:
        raise ValueError(f"--drops must be >= 1, got {args.drops}")
    if args.seed < 0:
        raise ValueError(f"--seed must be >= 0, got {args.seed}")
    schemes = args.schemes.split(",") if args.schemes else list(SCHEMES)
    for s in schemes:
        if s not in SCHEMES:
            raise ValueError(f"--schemes: unknown scheme {s!r}; choose from {', '.join(SCHEMES)}")
    spec = run_spec(scenario, args.seed, args.drops, schemes)
    table = args.format == "table"
    info = sys.stdout if table else sys.stderr
    if table or not args.quiet:
        print(f"scenario: L={scenario.n_bs} BSs (M={scenario.bs_antennas}), K={scenario.n_terminals}"
              f" terminals (N={scenario.terminal_antennas}), task {scenario.task_bits / 8192:.0f} "
              f"KiB, G_l={scenario.mec_capacity_hz / 1e9:g} Gcycles/s, "
              f"Gamma_r={scenario.sensing_sinr_db:g} dB; {args.drops} drop(s), seed {args.seed}",
              file=info)
    from tqdm import tqdm

    results: dict[str, list[Solution]] = {s: [] for s in schemes}
    bar = tqdm(drop_networks(scenario, args.seed, args.drops), total=args.drops, desc="drops",
               unit="drop", delay=1.0, disable=args.quiet)
    for net in bar:
        for s in schemes:
            results[s].append(solve(net, s))
    bar.close()
    summary = run_summary(results, spec)
    if table:
        if args.drops == 1:
            for s in schemes:
                print()
                print(results[s][0].summary())
            print()
        print(_drop_table(summary, results, args.drops))
    elif args.format == "json":
        json.dump(_json_document(args, scenario, summary, results), sys.stdout, allow_nan=False)
        print()
    else:
        _csv_frame(results).to_csv(sys.stdout, index=False)
    if args.plot:
        first = results[schemes[0]][0]
        first.plot().savefig(args.plot, dpi=150)
        print(f"drop 0, {schemes[0]}: picture written to {args.plot}", file=info)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pyiscc", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="solve drops of a scenario with every scheme and compare them")
    run.add_argument("--scenario", metavar="FILE.toml", help="scenario file (default: Table III)")
    run.add_argument("--seed", type=int, default=0,
                     help="root seed, >= 0 (default 0); drop t is trial t of point 0 of a sweep "
                          "with this seed")
    run.add_argument("--drops", type=int, default=1, help="number of drops (default 1)")
    run.add_argument("--schemes", help=f"comma-separated subset of {','.join(SCHEMES)}")
    run.add_argument("--format", choices=FORMATS, default="table",
                     help="table (default): readable; json: summary and every solution "
                          "(Solution.to_dict); csv: one row per drop, scheme and terminal "
                          "(Solution.to_frame)")
    run.add_argument("--plot", metavar="FILE.png",
                     help="save the picture of drop 0 solved by the first scheme "
                          "(Solution.plot; any format matplotlib writes)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(func=cmd_run)
    add_reproduce_parser(sub)
    add_sweep_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ValueError as exc:
        print(f"pyiscc: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
