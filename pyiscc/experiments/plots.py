"""Figures from sweep summaries: one line per (series, scheme) with its 95% confidence band,
PNG + PDF.  Uses matplotlib's object API with the Agg canvas (no pyplot, no global backend
change, no display needed).

Styles: each scheme has its own marker and line style; in a figure with several series, each
series has its own colour, marker fill and line width, and the legend lists the schemes and the
series apart (one entry each instead of one per curve).  Fill and width keep every curve
distinguishable when printed without colour.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .specs import FigureSpec

__all__ = ["plot_figure", "draw_figure", "MARKERS", "LINESTYLES"]

MARKERS = ("o", "s", "^", "D", "v", "x", "P", "*")
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)))
_FILLS = ("full", "none", "left", "bottom")
_WIDTHS = (1.6, 1.0, 2.2, 0.7)


def _scheme_style(i: int) -> dict:
    """Marker and line style of the i-th scheme (the curves and its legend entry)."""
    return {"marker": MARKERS[i % len(MARKERS)], "linestyle": LINESTYLES[i % len(LINESTYLES)]}


def _series_style(i: int) -> dict:
    """Marker fill and line width of the i-th series (the curves and its legend entry)."""
    return {"fillstyle": _FILLS[i % len(_FILLS)], "linewidth": _WIDTHS[i % len(_WIDTHS)]}


def _series_values(summary: pd.DataFrame) -> list[object]:
    if summary["series_param"].isna().all():
        return [None]
    return list(dict.fromkeys(summary["series"].tolist()))


def plot_figure(spec: FigureSpec, summary: pd.DataFrame, out_dir: str | PathLike[str], *,
                formats: tuple[str, ...] = ("png", "pdf"), dpi: int = 150) -> list[Path]:
    """Draw ``spec`` from its summary (:func:`draw_figure`) and save it as
    ``out_dir/<name>.<fmt>`` for each format.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig = draw_figure(spec, summary)
    paths = []
    for fmt in formats:
        path = out / f"{spec.name}.{fmt}"
        fig.savefig(path, dpi=dpi, metadata=None if fmt != "png" else {"Software": "pyiscc"})
        paths.append(path)
    return paths


def draw_figure(spec: FigureSpec, summary: pd.DataFrame) -> Figure:
    """The figure of ``spec`` from its summary (:func:`pyiscc.experiments.summarize`).

    Each (series, scheme) gives one line through the per-point means of ``spec.y_metric``
    (times ``y_scale``) against the x parameter (or the mean of ``spec.x_metric``), with a
    shaded band of mean +- the 95% CI half-width.  A note under the axes says that means are
    over feasible trials, and how many trials were infeasible or failed (see
    :data:`pyiscc.experiments.AVERAGING_NOTE`).  With more than three curves the legend goes
    beside the axes and the title above both (so neither hides the other).

    Returns
    -------
    matplotlib.figure.Figure
        On the Agg canvas; its one axes holds the curves, labelled "<scheme>, <series>".
    """
    fig = Figure(figsize=(6.4, 4.8), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    series_values = _series_values(summary)
    several = len(series_values) > 1
    schemes = list(spec.sweep.schemes)
    colours = [f"C{i}" for i in range(10)]
    y, ci = spec.y_metric, f"{spec.y_metric}_ci95"

    def series_text(series: object) -> str:
        return spec.series_label.format(value=float(series) * spec.series_scale)

    for si, series in enumerate(series_values):
        part = summary if series is None else summary[summary["series"] == series]
        for ci_idx, scheme in enumerate(schemes):
            data = part[part["scheme"] == scheme]
            if data.empty:
                continue
            if spec.x_metric is not None:
                xs = data[spec.x_metric].to_numpy(float) * spec.x_scale
            else:
                xs = data["x"].to_numpy(float) * spec.x_scale
            ys = data[y].to_numpy(float) * spec.y_scale
            half = data[ci].to_numpy(float) * spec.y_scale if ci in data else np.zeros_like(ys)
            order = np.argsort(xs, kind="stable")
            xs, ys, half = xs[order], ys[order], np.nan_to_num(half[order])
            label = spec.scheme_label(scheme)
            if series is not None:
                label = f"{label}, {series_text(series)}"
            colour = colours[(si if several else ci_idx) % len(colours)]
            ax.plot(xs, ys, color=colour, **_scheme_style(ci_idx), **_series_style(si),
                    markersize=6, label=label)
            ax.fill_between(xs, ys - half, ys + half, color=colour, alpha=0.18, linewidth=0)
    ax.set_xlabel(spec.x_label)
    ax.set_ylabel(spec.y_label)
    if spec.log_x:
        ax.set_xscale("log")
    if spec.log_y:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    n_curves = len(series_values) * len(schemes)
    if several and len(schemes) > 1:
        # one entry per scheme (its marker and line style, in grey) and one per series (its
        # colour, fill and width) instead of one per curve
        handles = [Line2D([], [], color="0.3", **_scheme_style(i), markersize=6,
                          label=spec.scheme_label(scheme)) for i, scheme in enumerate(schemes)]
        handles += [Line2D([], [], color=colours[i % len(colours)], marker="o",
                           **_series_style(i), markersize=6, label=series_text(series))
                    for i, series in enumerate(series_values)]
    else:
        handles = ax.get_legend_handles_labels()[0]
    if n_curves > 3:
        # many curves: the legend goes beside the axes (centred: clear of the title above)
        fig.set_size_inches(9.2, 4.8)
        fig.legend(handles=handles, loc="outside right center", fontsize="small")
        fig.suptitle(spec.title, fontsize="medium")
    else:
        if n_curves > 1:
            ax.legend(handles=handles, fontsize="small")
        ax.set_title(spec.title, fontsize="medium")
    n_trials = int(summary["n_trials"].sum())
    n_inf = int(summary["n_infeasible"].sum())
    n_fail = int(summary["n_failed"].sum())
    # a figure-level label, so the constrained layout makes room for it
    fig.supxlabel(f"Mean and 95% CI over feasible trials; infeasible {n_inf}, failed {n_fail} "
                  f"of {n_trials} scheme runs (not averaged in).", fontsize="x-small")
    return fig
