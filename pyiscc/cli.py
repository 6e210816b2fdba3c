"""The ``pyiscc`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

from .beams import max_sensing_beams
from .metrics import Evaluation, evaluate
from .network import Network, draw_network
from .scenario import Scenario

__all__ = ["main"]


def _nearest_mec(net: Network) -> tuple[np.ndarray, np.ndarray]:
    """Every terminal offloads to the MEC server of its strongest BS (capacity ignored)."""
    L, K = net.n_bs, net.n_terminals
    gain = np.linalg.norm(net.H.reshape(L, K, -1), axis=2)
    a = np.zeros((L, K))
    a[np.argmax(gain, axis=0), np.arange(K)] = 1.0
    return a, np.zeros((L, K))


def _describe(title: str, ev: Evaluation) -> str:
    lines = [f"{title}: mean latency {1e3 * ev.mean_latency:.2f} ms, "
             f"energy {1e3 * ev.energy.mean():.2f} mJ/terminal, "
             f"echo SINR {ev.echo_sinr_db.min():.1f} .. {ev.echo_sinr_db.max():.1f} dB, "
             f"{'feasible' if ev.feasible else f'{len(ev.violations)} violation(s)'}"]
    lines += [f"    {v}" for v in ev.violations[:6]]
    if len(ev.violations) > 6:
        lines.append(f"    ... and {len(ev.violations) - 6} more")
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    scenario = Scenario.from_toml(args.scenario) if args.scenario else Scenario()
    print(f"scenario: L={scenario.n_bs} BSs (M={scenario.bs_antennas}), K={scenario.n_terminals} "
          f"terminals (N={scenario.terminal_antennas}), task {scenario.task_bits / 8192:.0f} KiB, "
          f"Gamma_r={scenario.sensing_sinr_db:g} dB")
    rng = np.random.default_rng(args.seed)
    for drop in range(args.drops):
        net = draw_network(scenario, rng=rng)
        w = max_sensing_beams(net)
        L, K = net.n_bs, net.n_terminals
        print(f"\ndrop {drop} (seed {args.seed}): max-sensing beams at P_th - eta (f^L)^3")
        print(_describe("  all local        ", evaluate(net, w, np.zeros((L, K)), np.zeros((L, K)))))
        print(_describe("  all MEC (best BS)", evaluate(net, w, *_nearest_mec(net))))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pyiscc", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="draw drops of a scenario and evaluate them")
    run.add_argument("--scenario", metavar="FILE.toml", help="scenario file (default: Table III)")
    run.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    run.add_argument("--drops", type=int, default=1, help="number of drops (default 1)")
    run.set_defaults(func=cmd_run)
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
