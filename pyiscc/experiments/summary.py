"""From stored trial rows to tables: the raw rows as a DataFrame, the per-point summary
(mean and 95% CI over feasible trials, with the infeasible and failed counts), and export."""

from __future__ import annotations

import importlib.util
import json
import math
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .detection import detection_probability
from .specs import SweepSpec
from .store import ResultStore, _out_dir

__all__ = ["AVERAGING_NOTE", "Z95", "rows_frame", "summarize", "load_results", "load_summary",
           "export"]

#: Normal quantile of the two-sided 95% confidence interval (CI = mean +- Z95 s / sqrt(n)).
Z95 = 1.959963984540054

#: How the summary averages (also in ``DataFrame.attrs["averaging"]`` and ``report.md``).
AVERAGING_NOTE = ("means and 95% confidence half-widths (1.96 s / sqrt(n)) are over the feasible "
                  "trials only; infeasible and failed trials are counted (n_infeasible, "
                  "n_failed), never averaged in")

_BASE = ["experiment", "point", "scheme", "trial", "status", "feasible", "wall_time_s",
         "seed_entropy", "spawn_key", "finished_at", "host", "error"]


def rows_frame(rows: Sequence[Mapping[str, Any]], spec: SweepSpec | None = None) -> pd.DataFrame:
    """Stored rows (``ResultStore.fetch``) as a DataFrame: the key and status columns, one
    column per swept parameter and one per runner output (lists stay Python lists).  With a
    ``spec`` whose ``p_fa`` is set, adds ``detection_probability`` (mean over terminals of
    P_D(echo_sinr))."""
    records = []
    for r in rows:
        rec = {k: r[k] for k in _BASE if k in r}
        rec["feasible"] = r["status"] == "ok"
        rec.update(r["inputs"].get("params", {}))
        for k, v in (r["outputs"] or {}).items():
            if k not in ("feasible",):
                rec[k if k not in _BASE else f"output_{k}"] = v
        records.append(rec)
    df = pd.DataFrame.from_records(records, columns=None if records else _BASE)
    if spec is not None and spec.p_fa is not None:
        df = _with_detection(df, spec.p_fa)
    return df


def _with_detection(df: pd.DataFrame, p_fa: float) -> pd.DataFrame:
    """Add (or recompute) ``detection_probability`` from the ``echo_sinr`` lists."""
    if "echo_sinr" not in df:
        return df

    def mean_pd(v: Any) -> float:
        if not isinstance(v, list) or not v:
            return math.nan
        return float(np.mean(detection_probability(np.asarray(v, float), p_fa)))

    df = df.copy()
    df["detection_probability"] = df["echo_sinr"].map(mean_pd)
    return df


def summarize(rows: Sequence[Mapping[str, Any]] | pd.DataFrame, spec: SweepSpec) -> pd.DataFrame:
    """Per (point, scheme): counts, and mean / std / 95% CI half-width of every metric of
    ``spec`` (plus ``detection_probability`` when ``spec.p_fa`` is set) over the feasible trials.

    Returns
    -------
    pandas.DataFrame
        Columns ``experiment, point, x_param, x, series_param, series, scheme, n_trials,
        n_feasible, n_infeasible, n_failed``, then ``<metric>, <metric>_std, <metric>_ci95``
        for each metric, and ``mean_over`` (= "feasible trials").  ``attrs["averaging"]`` says
        the same in words.  NaN where a point has fewer feasible trials than needed (0 for the
        mean, 2 for the spread).
    """
    if not isinstance(spec, SweepSpec):
        raise ValueError(f"spec: must be a SweepSpec, got {type(spec).__name__}")
    if not isinstance(rows, pd.DataFrame) and (
            isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Sequence)
            or not all(isinstance(r, Mapping) for r in rows)):
        raise ValueError("rows: must be a DataFrame or a sequence of row mappings, "
                         f"got {type(rows).__name__}")
    if isinstance(rows, pd.DataFrame):
        df = rows if spec.p_fa is None else _with_detection(rows, spec.p_fa)
    else:
        df = rows_frame(rows, spec)
    metrics = list(spec.metrics)
    if spec.p_fa is not None and "detection_probability" not in metrics:
        metrics.append("detection_probability")
    points = spec.points()
    out = []
    groups = {} if df.empty else dict(list(df.groupby(["point", "scheme"], sort=True)))
    for p, params in enumerate(points):
        for scheme in spec.schemes:
            g = groups.get((p, scheme))
            rec: dict[str, Any] = {
                "experiment": spec.name, "point": p, "x_param": spec.x_param,
                "x": params[spec.x_param], "series_param": spec.series_param,
                "series": None if spec.series_param is None else params[spec.series_param],
                "scheme": scheme}
            if g is None:
                rec.update(n_trials=0, n_feasible=0, n_infeasible=0, n_failed=0)
                feasible = pd.DataFrame()
            else:
                status = g["status"]
                rec.update(n_trials=len(g), n_feasible=int((status == "ok").sum()),
                           n_infeasible=int((status == "infeasible").sum()),
                           n_failed=int((status == "error").sum()))
                feasible = g[status == "ok"]
            for m in metrics:
                values = (pd.to_numeric(feasible[m], errors="coerce").dropna().to_numpy(float)
                          if m in feasible else np.empty(0))
                n = values.size
                mean = float(values.mean()) if n else math.nan
                std = float(values.std(ddof=1)) if n > 1 else math.nan
                rec[m] = mean
                rec[f"{m}_std"] = std
                rec[f"{m}_ci95"] = Z95 * std / math.sqrt(n) if n > 1 else math.nan
            rec["mean_over"] = "feasible trials"
            out.append(rec)
    summary = pd.DataFrame.from_records(out)
    summary.attrs["averaging"] = AVERAGING_NOTE
    summary.attrs["experiment"] = spec.name
    return summary


def load_results(out_dir: str | PathLike[str], experiment: str | None = None) -> pd.DataFrame:
    """Every stored trial row of ``out_dir`` (or of one experiment) as a DataFrame
    (see :func:`rows_frame`)."""
    if experiment is not None and not isinstance(experiment, str):
        raise ValueError(f"experiment: must be a string or None, got {experiment!r}")
    with ResultStore(out_dir, readonly=True) as store:
        specs = store.experiments()
        frames = []
        names = [experiment] if experiment is not None else list(specs)
        for name in names:
            if name not in specs:
                raise ValueError(f"experiment: {name!r} is not in {out_dir} "
                                 f"(stored: {sorted(specs)})")
            frames.append(rows_frame(store.fetch(name), SweepSpec.from_dict(specs[name])))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return rows_frame([])
    return pd.concat(frames, ignore_index=True)


def load_summary(out_dir: str | PathLike[str], experiment: str) -> pd.DataFrame:
    """The summary of one stored experiment (as :func:`summarize`)."""
    if not isinstance(experiment, str):
        raise ValueError(f"experiment: must be a string, got {experiment!r}")
    with ResultStore(out_dir, readonly=True) as store:
        specs = store.experiments()
        if experiment not in specs:
            raise ValueError(f"experiment: {experiment!r} is not in {out_dir} "
                             f"(stored: {sorted(specs)})")
        spec = SweepSpec.from_dict(specs[experiment])
        return summarize(store.fetch(experiment), spec)


def _flat_for_file(df: pd.DataFrame) -> pd.DataFrame:
    """List and dict cells as JSON text (CSV/Parquet cells must be scalars)."""
    df = df.copy()
    for col in df.columns:
        if df[col].dtype == object and df[col].map(lambda v: isinstance(v, (list, dict, tuple))).any():
            df[col] = df[col].map(lambda v: json.dumps(list(v) if isinstance(v, tuple) else v)
                                  if isinstance(v, (list, dict, tuple)) else v)
    return df


def export(out_dir: str | PathLike[str], fmt: str = "csv") -> list[Path]:
    """Write ``trials.<fmt>`` (every raw row) and ``summary.<fmt>`` (every experiment's summary)
    into ``out_dir``.

    Parameters
    ----------
    fmt : {"csv", "parquet"}
        Parquet needs ``pyarrow`` (not a dependency of pyiscc): ``ImportError`` without it.

    Returns
    -------
    list of Path
        The files written.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt: must be 'csv' or 'parquet', got {fmt!r}")
    if fmt == "parquet" and importlib.util.find_spec("pyarrow") is None:
        raise ImportError("Parquet export needs pyarrow (pip install pyarrow); use fmt='csv'")
    out = _out_dir(out_dir)
    raw = _flat_for_file(load_results(out))
    with ResultStore(out, readonly=True) as store:
        names = list(store.experiments())
    summaries = [load_summary(out, name) for name in names]
    summary = pd.concat(summaries, ignore_index=True) if summaries else pd.DataFrame()
    paths = []
    for name, df in (("trials", raw), ("summary", summary)):
        path = out / f"{name}.{fmt}"
        if fmt == "csv":
            df.to_csv(path, index=False)
        else:
            df.to_parquet(path, index=False)
        paths.append(path)
    return paths
