"""Monte-Carlo experiments: durable, resumable, parallel sweeps and the paper's figures.

Quick start::

    import pyiscc as pi
    from pyiscc import experiments as ex

    spec = ex.SweepSpec(name="latency-vs-bandwidth", scenario=pi.Scenario(n_terminals=6),
                        x_param="bandwidth_hz", x_values=[5e6, 10e6, 20e6],
                        schemes=["local", "mec-nearest-mrs"], trials=50, seed=1)
    summary = ex.run_sweep(spec, "out/bw")          # process pool; rerun resumes
    rows = ex.load_results("out/bw")                # one row per (point, scheme, trial)

See ``docs/experiments.md`` for the seed scheme, the storage schema, resuming and Dask.
"""

from __future__ import annotations

from .detection import detection_probability, marcum_q1, required_sinr
from .engine import Engine, TrialTask, run_sweep, run_trial, trial_seed
from .runners import SCHEME_RUNNERS, evaluation_metrics, register_scheme
from .specs import Claim, ClaimResult, FigureSpec, SweepSpec, load_spec
from .store import DB_NAME, ResultStore, SpecMismatchError
from .summary import AVERAGING_NOTE, export, load_results, load_summary, summarize
from . import paper  # noqa: E402,F401  (registers the paper's figures in FIGURES)

__all__ = [
    "AVERAGING_NOTE",
    "Claim",
    "ClaimResult",
    "DB_NAME",
    "Engine",
    "FigureSpec",
    "ResultStore",
    "SCHEME_RUNNERS",
    "SpecMismatchError",
    "SweepSpec",
    "TrialTask",
    "detection_probability",
    "evaluation_metrics",
    "export",
    "load_results",
    "load_spec",
    "load_summary",
    "marcum_q1",
    "register_scheme",
    "required_sinr",
    "run_sweep",
    "run_trial",
    "summarize",
    "trial_seed",
]
