"""Command-line front ends of the experiment engine: ``pyiscc sweep`` and ``pyiscc reproduce``.

``pyiscc/cli.py`` wires them with :func:`add_sweep_parser` and :func:`add_reproduce_parser`;
each sub-parser sets ``func`` (``args.func(args) -> exit status``).  ``python -m
pyiscc.experiments`` offers the same two commands on their own.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["add_sweep_parser", "add_reproduce_parser", "build_parser", "main"]


def _add_executor_options(p: argparse.ArgumentParser) -> None:
    ex = p.add_argument_group("executor (default: a local process pool, one worker per CPU)")
    group = ex.add_mutually_exclusive_group()
    group.add_argument("--workers", type=int, metavar="N",
                       help="local worker processes (1 = serial, in this process)")
    group.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="run on an existing Dask cluster (needs pyiscc[dask])")
    group.add_argument("--dask-local", type=int, metavar="N",
                       help="start a Dask LocalCluster with N worker processes")
    p.add_argument("--quiet", action="store_true", help="no progress bar, no summary table")
    p.add_argument("--retry-failed", action="store_true",
                   help="run again the trials stored with status 'error'")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv",
                   help="format of the exported tables (parquet needs pyarrow)")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _nonnegative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def add_sweep_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``sweep SPEC.toml --out DIR ...`` to ``subparsers`` (from ``add_subparsers()``)."""
    p = subparsers.add_parser(
        "sweep", help="run a user-defined Monte-Carlo sweep (TOML spec)",
        description="Run (or resume) the sweep described by a TOML file: scenario, one or two "
                    "parameters and their values, schemes, trials.  Results go to DIR/"
                    "results.sqlite as each trial finishes; rerunning with the same DIR resumes.")
    p.add_argument("spec", type=Path, help="sweep specification (TOML; see docs/experiments.md)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="results directory")
    p.add_argument("--trials", type=_positive_int, help="override the spec's trials per point")
    p.add_argument("--seed", type=_nonnegative_int, help="override the spec's root seed")
    p.add_argument("--no-plot", action="store_true", help="do not draw the PNG/PDF figure")
    _add_executor_options(p)
    p.set_defaults(func=run_sweep_command)
    return p


def add_reproduce_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``reproduce --out DIR [--figures 2,5,9] ...`` to ``subparsers``."""
    p = subparsers.add_parser(
        "reproduce", help="regenerate the paper's figures, data and report",
        description="Run the sweeps of the paper's figures; write for each a PNG, a PDF and the "
                    "CSV behind it, and DIR/report.md with the paper's claims checked.  "
                    "Rerunning with the same DIR resumes.")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="results directory")
    p.add_argument("--figures", metavar="LIST",
                   help="comma-separated figure numbers (default: all), e.g. 2,5,9")
    p.add_argument("--trials", type=_positive_int,
                   help="trials per point (default: each figure's, the paper's 500)")
    p.add_argument("--seed", type=_nonnegative_int, help="root seed (default: each figure's)")
    _add_executor_options(p)
    p.set_defaults(func=run_reproduce_command)
    return p


def _engine_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {"workers": args.workers, "scheduler": args.scheduler, "dask_local": args.dask_local,
            "progress": not args.quiet}


def _print_summary(summary: pd.DataFrame, metric: str) -> None:
    cols = ["x"] + (["series"] if summary["series_param"].notna().any() else []) + [
        "scheme", metric, f"{metric}_ci95", "n_feasible", "n_infeasible", "n_failed"]
    with pd.option_context("display.width", 200, "display.max_rows", 500,
                           "display.max_columns", 20):
        print(summary[cols].to_string(index=False))
    from .summary import AVERAGING_NOTE
    print(f"({AVERAGING_NOTE})")


def _failures_note(summary: pd.DataFrame) -> None:
    failed = int(summary["n_failed"].sum())
    if failed:
        print(f"{failed} trial(s) failed; their tracebacks are in results.sqlite (column error); "
              "rerun with --retry-failed to run them again", file=sys.stderr)


def run_sweep_command(args: argparse.Namespace) -> int:
    """``pyiscc sweep``: returns the exit status."""
    from .engine import run_sweep
    from .plots import plot_figure
    from .specs import load_spec
    from .summary import export

    try:
        spec = load_spec(args.spec, trials=args.trials, seed=args.seed)
    except (OSError, ValueError) as exc:
        print(f"pyiscc sweep: {args.spec}: {exc}", file=sys.stderr)
        return 2
    summary = run_sweep(spec, args.out, retry_failed=args.retry_failed, **_engine_kwargs(args))
    summary.to_csv(args.out / f"{spec.name}.csv", index=False)
    if not args.no_plot:
        plot_figure(spec, summary, args.out)
    export(args.out, args.format)
    if not args.quiet:
        _print_summary(summary, spec.y_metric)
    _failures_note(summary)
    return 0


def run_reproduce_command(args: argparse.Namespace) -> int:
    """``pyiscc reproduce``: returns the exit status."""
    from .engine import Engine
    from .figures import FIGURES
    from .plots import plot_figure
    from .report import FigureResult, write_report
    from .specs import with_overrides
    from .summary import export, load_results

    if not FIGURES:
        print("pyiscc reproduce: no figure specifications are registered "
              "(pyiscc.experiments.figures.FIGURES is empty)", file=sys.stderr)
        return 2
    keys = list(FIGURES) if args.figures is None else [
        k.strip() for k in args.figures.split(",") if k.strip()]
    unknown = [k for k in keys if k not in FIGURES]
    if unknown or not keys:
        print(f"pyiscc reproduce: unknown figure(s) {', '.join(unknown) or '(none given)'}; "
              f"available: {', '.join(FIGURES)}", file=sys.stderr)
        return 2
    specs = {k: with_overrides(FIGURES[k], trials=args.trials, seed=args.seed) for k in keys}
    results = []
    with Engine(**_engine_kwargs(args)) as engine:
        executor = f"{engine.kind} executor, {engine.n_workers} worker(s)"
        for key, spec in specs.items():
            summary = engine.run(spec, args.out, retry_failed=args.retry_failed)
            csv = args.out / f"{spec.name}.csv"
            summary.to_csv(csv, index=False)
            if spec.plotter:
                module, _, func = spec.plotter.partition(":")
                plotter = getattr(importlib.import_module(module), func)
                files = plotter(spec, load_results(args.out, spec.sweep.name), args.out) + [csv]
            else:
                files = plot_figure(spec, summary, args.out) + [csv]
            results.append(FigureResult(key, spec, summary, files))
            _failures_note(summary)
    export(args.out, args.format)
    report = write_report(args.out, results, header=[f"Executor: {executor}."])
    if not args.quiet:
        print(f"wrote {report}")
    return 0


def build_parser(prog: str = "python -m pyiscc.experiments") -> argparse.ArgumentParser:
    """A parser with the ``sweep`` and ``reproduce`` commands."""
    parser = argparse.ArgumentParser(prog=prog, description="pyiscc Monte-Carlo experiments")
    sub = parser.add_subparsers(dest="command", required=True)
    add_sweep_parser(sub)
    add_reproduce_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))
