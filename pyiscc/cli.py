"""The ``pyiscc`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

from tqdm import tqdm

from .experiments.cli import add_reproduce_parser, add_sweep_parser
from .network import draw_network
from .scenario import Scenario
from .solve import SCHEMES, solve

__all__ = ["main"]


def _drop_table(results: dict[str, list], n_drops: int) -> str:
    """Mean latency with 95% CI over feasible drops, energy, feasible fraction, runtime."""
    head = (f"{'scheme':<10} {'latency ms (95% CI)':>22} {'energy mJ':>10} {'feasible':>9} "
            f"{'runtime ms':>11}")
    lines = [head, "-" * len(head)]
    for scheme, sols in results.items():
        ok = [s for s in sols if s.feasible]
        runtime = 1e3 * np.median([s.runtime_s for s in sols])
        if ok:
            lat = np.array([1e3 * s.mean_latency for s in ok])
            energy = np.mean([1e3 * s.energy.mean() for s in ok])
            if len(lat) > 1:
                cell = f"{lat.mean():9.2f} +- {1.96 * lat.std(ddof=1) / np.sqrt(len(lat)):7.2f}"
            else:
                cell = f"{lat.mean():9.2f}           "
        else:
            cell, energy = "n/a", float("nan")
        lines.append(f"{scheme:<10} {cell:>22} {energy:>10.2f} {len(ok):>4}/{n_drops:<4} "
                     f"{runtime:>11.2f}")
    lines.append("Means over feasible drops only; 'feasible' counts drops whose returned beams and "
                 "decisions meet (18c)-(18e) (checked by evaluate).")
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    scenario = Scenario.from_toml(args.scenario) if args.scenario else Scenario()
    if args.drops < 1:
        raise ValueError(f"--drops must be >= 1, got {args.drops}")
    schemes = args.schemes.split(",") if args.schemes else list(SCHEMES)
    for s in schemes:
        if s not in SCHEMES:
            raise ValueError(f"--schemes: unknown scheme {s!r}; choose from {', '.join(SCHEMES)}")
    print(f"scenario: L={scenario.n_bs} BSs (M={scenario.bs_antennas}), K={scenario.n_terminals} "
          f"terminals (N={scenario.terminal_antennas}), task {scenario.task_bits / 8192:.0f} KiB, "
          f"G_l={scenario.mec_capacity_hz / 1e9:g} Gcycles/s, Gamma_r={scenario.sensing_sinr_db:g} dB;"
          f" {args.drops} drop(s), seed {args.seed}")
    seeds = np.random.SeedSequence(args.seed).spawn(args.drops)
    results: dict[str, list] = {s: [] for s in schemes}
    bar = tqdm(seeds, desc="drops", unit="drop", delay=1.0, disable=args.quiet)
    for seq in bar:
        net = draw_network(scenario, rng=np.random.default_rng(seq))
        for s in schemes:
            results[s].append(solve(net, s))
    bar.close()
    if args.drops == 1:
        for s in schemes:
            print()
            print(results[s][0].summary())
        print()
    print(_drop_table(results, args.drops))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pyiscc", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="solve drops of a scenario with every scheme and compare them")
    run.add_argument("--scenario", metavar="FILE.toml", help="scenario file (default: Table III)")
    run.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    run.add_argument("--drops", type=int, default=1, help="number of drops (default 1)")
    run.add_argument("--schemes", help=f"comma-separated subset of {','.join(SCHEMES)}")
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
