"""The paper's figures (Sec. IV, Figs. 3-12) as data: one :class:`FigureSpec` each, with the
qualitative claims the paper makes about it (and, for the claims that do not hold at Table III,
a reason computed from the data).  Registered in :data:`FIGURES` on import, with two sweeps of
ours (keys ``"6x"`` and ``"8x"``, titles "Ours, not in the paper: ...") where the paper's
three-tier gain is hidden by the MEC compute time.

Ranges: the paper states none of its x ranges in the text; the values below keep the Table III
scenario feasible for DCET-ISCC in at least 90% of drops (the report counts infeasible drops per
point, so a reader sees where that fails).  Fig. 2 (convergence) plots iteration histories with
:func:`pyiscc.experiments.convergence.plot_convergence`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..scenario import Scenario
from . import convergence  # noqa: F401  (registers the "convergence" runner)
from .figures import register_figure
from .runners import _solve_metrics, register_scheme
from .specs import Claim, ClaimResult, FigureSpec, SweepSpec

__all__ = ["paper_figures", "trend", "Trend"]

LABELS = {"dcet-iscc": "DCET-ISCC (proposed; paper's caps (58))", "ccet-iscc": "CCET-ISCC (centralised)",
          "et-iscc": "ET-ISCC (two-tier)", "local": "Local execution", "dcet-mrt": "DCET-MRT",
          "dcet-mrs": "DCET-MRS",
          "dcet-iscc-slack": "DCET-ISCC, slack caps and scaled step (library default; not in the paper)",
          "local-sensing": "Local execution, sensing-limited power (our reading)"}

#: The paper's curves run the paper's Algorithm 2 (update (58), MRS start); the library's default
#: (the slack rule with the scaled step, docs/algorithms.md) appears as the extra curve
#: ``dcet-iscc-slack``.
PAPER_OPTIONS = {"beamforming": {"caps": "paper"}}


def run_dcet_iscc_slack(network, **options):
    """``dcet-iscc`` with ``beamforming={"caps": "slack"}`` (the extra curve of Figs. 3 and 9)."""
    bf = dict(options.pop("beamforming", None) or {}, caps="slack")
    return _solve_metrics(network, "dcet-iscc", beamforming=bf, **options)


def run_local_sensing(network, **options):
    """``local`` with ``beamforming={"local_power": "sensing"}``: each terminal transmits only what
    its echo-SINR constraint needs (the extra curve of Fig. 4, docs/model.md)."""
    bf = dict(options.pop("beamforming", None) or {}, local_power="sensing")
    return _solve_metrics(network, "local", beamforming=bf, **options)


register_scheme("dcet-iscc-slack", run_dcet_iscc_slack, replace=True)
register_scheme("local-sensing", run_local_sensing, replace=True)
LATENCY = "Average execution latency [ms]"


def _curve(summary: pd.DataFrame, scheme: str, metric: str = "mean_latency",
           series: object = None) -> pd.Series:
    """metric of one scheme (and series) indexed by x, feasible means only."""
    s = summary[summary["scheme"] == scheme]
    if series is not None:
        s = s[s["series"] == series]
    return s.set_index("x")[metric].astype(float)


def _below(better: str, worse: str, metric: str = "mean_latency", strict: bool = True,
           rtol: float = 1e-3) -> Callable[[pd.DataFrame], ClaimResult]:
    """``better`` below ``worse`` at every (series, x) point with data."""
    def check(summary: pd.DataFrame) -> ClaimResult:
        series = summary["series"].dropna().unique().tolist() or [None]
        held, total, gaps = 0, 0, []
        for sv in series:
            a, b = _curve(summary, better, metric, sv), _curve(summary, worse, metric, sv)
            both = a.notna() & b.reindex(a.index).notna()
            for x in a.index[both]:
                total += 1
                gap = (b[x] - a[x]) / b[x]
                gaps.append(gap)
                held += gap > rtol if strict else gap >= -rtol
        if not total:
            return ClaimResult(False, "no point with feasible data for both schemes")
        return ClaimResult(bool(held == total), f"{held}/{total} points; {worse} - {better} = "
                           f"{100 * min(gaps):.1f}% .. {100 * max(gaps):.1f}% of {worse}")
    return check


def _fmt_series(value: object) -> str:
    """A series value for a detail string: ``3e9``, ``0.5``, ``8``."""
    text = f"{value:g}" if isinstance(value, (int, float, np.number)) else str(value)
    return text.replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


#: How a series parameter is named in a claim's detail: symbol, scale, unit.
_SERIES_NAMES = {"accumulation_time_s": ("t_s", 1e3, " ms"),
                 "mec_capacity_hz": ("G_l", 1e-9, " Gcycles/s"),
                 "sensing_sinr_db": ("Γ_r", 1.0, " dB"), "bs_antennas": ("M", 1.0, ""),
                 "terminal_antennas": ("N", 1.0, ""), "backhaul_bps": ("r^f", 1e-6, " Mbit/s"),
                 "cycles_per_bit": ("β", 1.0, " cycles/bit")}
#: The unit a metric's values are printed in: scale, unit.
_METRIC_UNITS = {"mean_latency": (1e3, " ms"), "upload_latency": (1e3, " ms"),
                 "mean_energy": (1e3, " mJ")}


def _series_tag(summary: pd.DataFrame, value: object) -> str:
    """``"t_s = 0.32 ms: "`` for a series value (its parameter from the summary's
    ``series_param`` column), the bare value for a parameter without a name here, ``""`` for
    no series."""
    if value is None:
        return ""
    param = None
    if "series_param" in summary:
        params = summary["series_param"].dropna()
        param = params.iloc[0] if len(params) else None
    if param in _SERIES_NAMES and isinstance(value, (int, float, np.number)):
        symbol, scale, unit = _SERIES_NAMES[param]
        return f"{symbol} = {_fmt_series(float(value) * scale)}{unit}: "
    return f"{_fmt_series(value)}: "


def _series_values(summary: pd.DataFrame) -> list[object]:
    return summary["series"].dropna().unique().tolist() or [None]


def _curve_ci(summary: pd.DataFrame, scheme: str, metric: str,
              series: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, means and 95% CI half-widths (NaN or missing -> 0) of the points with a mean."""
    c = _curve(summary, scheme, metric, series).sort_index()
    if f"{metric}_ci95" in summary:
        ci = _curve(summary, scheme, f"{metric}_ci95", series).reindex(c.index)
    else:
        ci = pd.Series(0.0, index=c.index)
    keep = c.notna().to_numpy()
    return (c.index.to_numpy()[keep], c.to_numpy()[keep],
            np.nan_to_num(ci.to_numpy(dtype=float)[keep], nan=0.0))


@dataclasses.dataclass(frozen=True)
class Trend:
    """How one curve moves with x (see :func:`trend`)."""

    verdict: str        # "rises", "falls", "flat", "non-monotone" or "too few points"
    first: float
    last: float
    change_ci: float    # 95% CI half-width of last - first (hypot of the two half-widths)
    noise: float        # the tolerance the change was judged against (CI, or the rtol floor)
    reversal: tuple[float, float] | None = None  # the largest step against the change

    @property
    def within_ci(self) -> bool:
        """The change is inside a nonzero CI: "no significant trend", not "flat"."""
        return self.verdict == "flat" and self.change_ci > 0 and \
            abs(self.last - self.first) <= self.change_ci


def trend(means: np.ndarray, ci95: np.ndarray, rtol: float = 1e-3) -> Trend:
    """Judge a curve ``means`` (in x order) with per-point 95% CI half-widths ``ci95``.

    Two values differ when they are more than their combined half-width apart
    (``hypot(ci_a, ci_b)``, at least ``rtol`` of the larger magnitude: numerical noise of a
    deterministic curve).  The curve *rises* (*falls*) when the last point is above (below) the
    first and no step goes the other way; it is *flat* when first and last do not differ, and
    *non-monotone* when they do but a step goes the other way.
    """
    means = np.asarray(means, dtype=float)
    ci95 = np.nan_to_num(np.asarray(ci95, dtype=float), nan=0.0)
    if len(means) < 2:
        ends = (float(means[0]),) * 2 if len(means) else (math.nan,) * 2
        return Trend("too few points", *ends, 0.0, 0.0)

    def noise(i: int, j: int) -> tuple[float, float]:
        ci = float(np.hypot(ci95[i], ci95[j]))
        return ci, float(max(ci, rtol * max(abs(means[i]), abs(means[j]))))

    first, last = float(means[0]), float(means[-1])
    change_ci, tol = noise(0, -1)
    change = last - first
    if abs(change) <= tol:
        return Trend("flat", first, last, change_ci, tol)
    sign = 1.0 if change > 0 else -1.0
    against = [i for i in range(len(means) - 1)
               if sign * (means[i + 1] - means[i]) < -noise(i, i + 1)[1]]
    if not against:
        return Trend("rises" if sign > 0 else "falls", first, last, change_ci, tol)
    i = min(against, key=lambda i: sign * (means[i + 1] - means[i]))
    return Trend("non-monotone", first, last, change_ci, tol,
                 (float(means[i]), float(means[i + 1])))


def _describe(t: Trend, scale: float = 1.0, unit: str = "") -> str:
    """A trend in words, its values times ``scale`` in ``unit``."""
    text = f"{scale * t.first:.4g} -> {scale * t.last:.4g}{unit}"
    if t.change_ci > 0:
        text += f" (change {scale * (t.last - t.first):+.3g} ± {scale * t.change_ci:.2g}{unit})"
    if t.within_ci:
        return text + " no significant trend"
    if t.reversal is not None:
        return f"{text} non-monotone (a step {scale * t.reversal[0]:.4g} -> " \
               f"{scale * t.reversal[1]:.4g}{unit} goes the other way)"
    return f"{text} {t.verdict}"


def _monotone(scheme: str, increasing: bool = True, metric: str = "mean_latency",
              rtol: float = 1e-3) -> Callable[[pd.DataFrame], ClaimResult]:
    """``metric`` of ``scheme`` rises (falls) with x in every series, judged by :func:`trend`
    on the means and their 95% CIs (column ``<metric>_ci95``; NaN counts as 0)."""
    claimed = "rises" if increasing else "falls"

    def check(summary: pd.DataFrame) -> ClaimResult:
        ok, details = True, []
        for sv in _series_values(summary):
            _, c, ci = _curve_ci(summary, scheme, metric, sv)
            t = trend(c, ci, rtol)
            ok &= t.verdict == claimed
            text = _describe(t, *_METRIC_UNITS.get(metric, (1.0, ""))) if len(c) >= 2 \
                else "fewer than 2 points with data"
            if t.verdict != claimed:
                text += f" (claimed: {claimed})"
            details.append(_series_tag(summary, sv) + text)
        return ClaimResult(bool(ok), "; ".join(details) or "no data")
    return check


def _coincide(a: str, b: str, where: Callable[[pd.DataFrame], pd.DataFrame],
              rtol: float = 2e-3) -> Callable[[pd.DataFrame], ClaimResult]:
    """``a`` and ``b`` within ``rtol`` at the rows ``where`` selects."""
    def check(summary: pd.DataFrame) -> ClaimResult:
        sel = where(summary)
        gaps = []
        for (x, sv), g in sel.groupby(["x", "series"], dropna=False):
            va = g[g["scheme"] == a]["mean_latency"].astype(float)
            vb = g[g["scheme"] == b]["mean_latency"].astype(float)
            if len(va) and len(vb) and np.isfinite(va.iloc[0]) and np.isfinite(vb.iloc[0]):
                gaps.append(abs(va.iloc[0] - vb.iloc[0]) / vb.iloc[0])
        if not gaps:
            return ClaimResult(False, "no point with data for both schemes")
        return ClaimResult(bool(max(gaps) <= rtol), f"largest relative difference {100 * max(gaps):.3f}% "
                           f"over {len(gaps)} points (tolerance {100 * rtol:g}%)")
    return check


def _gap_grows(better: str, worse: str, toward: str, metric: str = "mean_latency",
              unit: str = "ms", scale: float = 1e3) -> Callable[[pd.DataFrame], ClaimResult]:
    """The gap (worse - better) is larger at the ``toward`` end ('low' or 'high') of x."""
    def check(summary: pd.DataFrame) -> ClaimResult:
        series = summary["series"].dropna().unique().tolist() or [None]
        ok, details = True, []
        for sv in series:
            gap = (_curve(summary, worse, metric, sv) - _curve(summary, better, metric, sv)).dropna()
            gap = gap.sort_index()
            if len(gap) < 2:
                ok = False
                continue
            first, last = gap.iloc[0], gap.iloc[-1]
            good = first > last if toward == "low" else last > first
            ok &= good
            details.append(f"{_series_tag(summary, sv)}gap {scale * first:.2f} -> "
                           f"{scale * last:.2f} {unit}")
        return ClaimResult(ok, "; ".join(details) or "no data")
    return check


def _where(sv: object, x: object, series: str, xname: str) -> str:
    return (f"{series} = {_fmt_series(sv)}, " if sv is not None else "") + \
        f"{xname} = {_fmt_series(x)}"


def _energy_excess_reason(scheme: str, other: str, series: str,
                          xname: str) -> Callable[[pd.DataFrame], str]:
    """Reason for "``scheme`` uses no more energy than ``other``": the largest relative energy
    excess, and the latency difference at that point."""
    def reason(summary: pd.DataFrame) -> str:
        worst = None
        for sv in _series_values(summary):
            ea, eb = (_curve(summary, s, "mean_energy", sv) for s in (scheme, other))
            ta, tb = (_curve(summary, s, "mean_latency", sv) for s in (scheme, other))
            for x in ea.index:
                if x in eb.index and np.isfinite(ea[x]) and np.isfinite(eb[x]) and eb[x] > 0:
                    excess = (ea[x] - eb[x]) / eb[x]
                    if worst is None or excess > worst[0]:
                        faster = (tb[x] - ta[x]) / tb[x] if x in ta.index and x in tb.index \
                            else math.nan
                        worst = (excess, sv, x, faster)
        if worst is None:
            return "no point with energy data for both schemes"
        excess, sv, x, faster = worst
        text = (f"{scheme} minimises latency, not energy: its largest energy excess over {other} "
                f"is {100 * excess:+.1f}% ({_where(sv, x, series, xname)})")
        if np.isfinite(faster):
            text += (f", where its latency is {100 * abs(faster):.1f}% "
                     f"{'below' if faster >= 0 else 'above'} {other}'s")
        return text + "."
    return reason


def _local_energy_reason(sc: Scenario, metric: str = "mean_energy") -> Callable[[pd.DataFrame], str]:
    """Reason for "local energy rises with f^L": local execution draws the whole power budget
    (MRS beams at P_th - eta (f^L)^3 plus the CPU's eta (f^L)^3), so E = P_th beta Z / f^L."""
    def reason(summary: pd.DataFrame) -> str:
        x, c, _ = _curve_ci(summary, "local", metric, _series_values(summary)[0])
        if len(c) < 2:
            return "fewer than 2 points with data"
        model = [sc.max_power_w * sc.cycles_per_bit * sc.task_bits / f for f in (x[0], x[-1])]
        return (f"a local terminal draws p_k = ||w_k||^2 + eta (f^L)^3 = P_th = "
                f"{sc.max_power_w:.3g} W (its MRS beams get what the CPU leaves of the budget), so "
                f"E = P_th beta Z / f^L falls as 1/f^L: {model[0]:.4g} -> {model[1]:.4g} J from "
                f"f^L = {_fmt_series(x[0])} to {_fmt_series(x[-1])} Hz; measured "
                f"{c[0]:.4g} -> {c[-1]:.4g} J.")
    return reason


def _sensing_energy_reason(metric: str = "mean_energy") -> Callable[[pd.DataFrame], str]:
    """Reason for "DCET-ISCC below local execution" when local terminals transmit only what their
    sensing needs: an offloading terminal transmits near P_th for its whole latency (E = p T)."""
    def reason(summary: pd.DataFrame) -> str:
        sv = _series_values(summary)[0]
        a, b = _curve(summary, "dcet-iscc", metric, sv), _curve(summary, "local-sensing", metric, sv)
        both = [x for x in a.index if x in b.index and np.isfinite(a[x]) and np.isfinite(b[x])]
        if not both:
            return "no point with data for both schemes"
        lo, hi = both[0], both[-1]
        return (f"a local terminal at its sensing-limited power spends (p_sense + eta (f^L)^3) "
                f"beta Z / f^L, while an offloading terminal transmits near P_th through its whole "
                f"latency (E = p T, (17)): local {b[lo]:.4g} -> {b[hi]:.4g} J against DCET-ISCC "
                f"{a[lo]:.4g} -> {a[hi]:.4g} J from f^L = {_fmt_series(lo)} to "
                f"{_fmt_series(hi)} Hz (docs/model.md, \"Local-execution power\").")
    return reason


def _above_reason(better: str, worse: str, series: str, xname: str,
                  alternative: str | None = None) -> Callable[[pd.DataFrame], str]:
    """Reason for "``better`` below ``worse``": where and by how much it is not, and whether
    ``alternative`` (another variant of ``better``) is below ``worse`` there."""
    def reason(summary: pd.DataFrame) -> str:
        total, bad, worst, alt_ok, alt_n = 0, 0, None, 0, 0
        for sv in _series_values(summary):
            a, b = _curve(summary, better, "mean_latency", sv), _curve(summary, worse,
                                                                       "mean_latency", sv)
            c = _curve(summary, alternative, "mean_latency", sv) if alternative else None
            for x in a.index:
                if x not in b.index or not (np.isfinite(a[x]) and np.isfinite(b[x])):
                    continue
                total += 1
                gap = a[x] - b[x]
                if gap >= -1e-3 * b[x]:
                    bad += 1
                    if worst is None or gap > worst[0]:
                        worst = (gap, gap / b[x], sv, x)
                if c is not None and x in c.index and np.isfinite(c[x]):
                    alt_n += 1
                    alt_ok += c[x] < b[x] * (1 - 1e-3)
        if worst is None:
            return (f"no point where both have data" if not total
                    else f"{better} is below {worse} at every point with data")
        gap, rel, sv, x = worst
        text = (f"{better} is not below {worse} at {bad}/{total} points with data for both, "
                f"by up to {1e3 * gap:.3g} ms ({100 * rel:+.2f}%, {_where(sv, x, series, xname)})")
        if alternative and alt_n:
            text += f"; {alternative} is below {worse} at {alt_ok}/{alt_n} points"
        return text + "."
    return reason


def _flat_reason(sc: Scenario, scheme: str, swept: str,
                 series_param: str | None = None) -> Callable[[pd.DataFrame], str]:
    """Reason for a trend claim on latency that does not hold: each series' first -> last
    change against its CI, and the share of the MEC compute time beta Z / f^E (which the swept
    parameter does not change) in the mean latency.  ``series_param``: the series parameter
    when it changes beta Z / f^E (e.g. t_s, through Z); then the share is given per series."""
    def reason(summary: pd.DataFrame) -> str:
        parts, shares = [], []
        for sv in _series_values(summary):
            _, c, ci = _curve_ci(summary, scheme, "mean_latency", sv)
            if len(c) < 2:
                continue
            t = trend(c, ci)
            label = _series_tag(summary, sv)
            parts.append(label + f"{100 * (c[-1] - c[0]) / c[0]:+.2f}% "
                         f"({1e3 * (c[-1] - c[0]):+.3g} ms, CI ±{1e3 * t.change_ci:.2g} ms)")
            if series_param is not None:
                s_sc = sc.replace(**{series_param: float(sv)})
                mec = s_sc.cycles_per_bit * s_sc.task_bits / s_sc.cpu_mec_hz
                shares.append(f"{label}{1e3 * mec:.1f} ms, {100 * mec / float(np.nanmean(c)):.0f}%")
        if not parts:
            return "fewer than 2 points with data"
        head = f"first -> last change of the latency per series: {'; '.join(parts)}. "
        if series_param is not None:
            return head + (f"The MEC compute time beta Z / f^E, which {swept} does not change, "
                           f"and its share of the mean latency per series: {'; '.join(shares)}.")
        mec = sc.cycles_per_bit * sc.task_bits / sc.cpu_mec_hz
        mean = float(np.nanmean(_curve(summary, scheme).to_numpy()))
        return head + (f"The MEC compute time beta Z / f^E = {1e3 * mec:.1f} ms, which {swept} does "
                       f"not change, is {100 * mec / mean:.0f}% of the mean latency "
                       f"({1e3 * mean:.1f} ms).")
    return reason


def paper_figures(trials: int = 500, seed: int = 2026) -> dict[str, FigureSpec]:
    """The specs of Figs. 2-12 at ``trials`` drops per point, and our extra sweeps ``"6x"``
    and ``"8x"`` (at a tenth of the trials)."""
    sc = Scenario()
    three = ("local", "et-iscc", "dcet-iscc")
    figs: dict[str, FigureSpec] = {}
    figs["2"] = FigureSpec(
        sweep=SweepSpec("fig02_convergence", sc, "bs_antennas", (8, 16, 32),
                        ("convergence", "convergence-slack"),
                        trials, seed, metrics=("admm_iterations", "beamforming_iterations",
                                               "upload_latency")),
        title="Fig. 2: convergence of Algorithm 1 (a) and Algorithm 2 (b)",
        y_metric="upload_latency", y_label="Upload latency (39) [ms]", y_scale=1e3,
        x_label="BS antennas M", plotter="pyiscc.experiments.convergence:plot_convergence",
        claims=(Claim("Sec. IV-B: more BS antennas reduce the objective of (39)",
                      _monotone("convergence", False, "upload_latency")),))

    def add(key: str, sweep: SweepSpec, title: str, **kw: object) -> None:
        kw.setdefault("y_metric", "mean_latency")
        kw.setdefault("y_label", LATENCY)
        kw.setdefault("y_scale", 1e3)
        labels = {s: LABELS[s] for s in sweep.schemes}
        fraction = float(kw.get("trial_fraction", 1.0))
        sweep = dataclasses.replace(sweep, trials=max(2, math.ceil(trials * fraction)),
                                    options={**PAPER_OPTIONS, **sweep.options})
        figs[key] = FigureSpec(sweep=sweep, title=title, scheme_labels=labels, **kw)

    add("3", SweepSpec("fig03_runtime_vs_K", sc, "n_terminals", (3, 6, 9, 12),
                       ("dcet-iscc", "ccet-iscc", "dcet-iscc-slack"), trials, seed,
                       metrics=("runtime_s", "mean_latency")),
        "Fig. 3: average CPU runtime versus the number of terminals K", y_metric="runtime_s",
        y_label="Average runtime [ms]", x_label="Number of terminals K", log_y=True,
        y_scale=1e3, trial_fraction=0.2,
        claims=(Claim("Sec. IV-B: the distributed algorithm runs faster than the centralised one",
                      _below("dcet-iscc", "ccet-iscc", "runtime_s")),
                Claim("Sec. IV-B: the runtime reduction grows with K",
                      _gap_grows("dcet-iscc", "ccet-iscc", "high", "runtime_s"))))
    add("4", SweepSpec("fig04_energy_vs_fL", sc, "cpu_local_hz", (0.3e9, 0.5e9, 0.7e9, 0.9e9, 1.1e9),
                       three + ("local-sensing",), trials, seed, series_param="mec_capacity_hz",
                       series_values=(3e9, 6e9, 9e9), metrics=("mean_energy", "mean_latency")),
        "Fig. 4: average energy consumption versus terminal CPU frequency $f^L$",
        y_metric="mean_energy", y_label="Average energy consumption [mJ]", y_scale=1e3,
        x_label="Terminal CPU frequency $f^L$ [GHz]", x_scale=1e-9, log_y=True,
        series_label="$G_l$ = {value:g} Gcycles/s", series_scale=1e-9,
        claims=(Claim("Sec. IV-B: DCET-ISCC consumes less energy than local execution",
                      _below("dcet-iscc", "local", "mean_energy")),
                Claim("Sec. IV-B: DCET-ISCC consumes no more energy than ET-ISCC",
                      _below("dcet-iscc", "et-iscc", "mean_energy", strict=False),
                      reason=_energy_excess_reason("dcet-iscc", "et-iscc", "G_l", "f^L")),
                Claim("Sec. IV-B: local execution's energy rises with f^L",
                      _monotone("local", True, "mean_energy"),
                      reason=_local_energy_reason(sc)),
                Claim("Sec. IV-B: DCET-ISCC consumes less energy than local execution "
                      "(local at the sensing-limited power, our reading)",
                      _below("dcet-iscc", "local-sensing", "mean_energy"),
                      reason=_sensing_energy_reason()),
                Claim("Sec. IV-B: local execution's energy rises with f^L "
                      "(local at the sensing-limited power, our reading)",
                      _monotone("local-sensing", True, "mean_energy"))))
    add("5", SweepSpec("fig05_latency_vs_B", sc, "bandwidth_hz", (5e6, 10e6, 15e6, 20e6, 25e6),
                       three, trials, seed, series_param="cycles_per_bit",
                       series_values=(200.0, 400.0, 600.0)),
        "Fig. 5: average execution latency versus signal bandwidth B", x_label="Bandwidth B [MHz]",
        x_scale=1e-6, series_label="β = {value:g} cycles/bit",
        claims=(Claim("Sec. IV-C: latency rises with B (Z grows with B)", _monotone("dcet-iscc")),
                Claim("Sec. IV-C: DCET-ISCC below local execution", _below("dcet-iscc", "local")),
                Claim("Sec. IV-C: DCET-ISCC no worse than ET-ISCC",
                      _below("dcet-iscc", "et-iscc", strict=False))))
    add("6", SweepSpec("fig06_latency_vs_beta", sc, "cycles_per_bit", (200.0, 400.0, 600.0, 800.0, 1000.0),
                       ("et-iscc", "dcet-iscc"), trials, seed, series_param="mec_capacity_hz",
                       series_values=(3e9, 6e9, 9e9)),
        "Fig. 6: average execution latency versus task computation intensity β",
        x_label="Computation intensity β [cycles/bit]", series_label="$G_l$ = {value:g} Gcycles/s",
        series_scale=1e-9,
        claims=(Claim("Sec. IV-C: DCET-ISCC latency below ET-ISCC when G_l < 9 Gcycles/s",
                      lambda s: _below("dcet-iscc", "et-iscc")(s[s["series"] < 9e9])),
                Claim("Sec. IV-C: at G_l = 9 Gcycles/s both schemes coincide (checked for β <= 400 "
                      "cycles/bit: above 429 the cloud beats a free MEC slot, "
                      "β (1/f^E - 1/f^C) > 1/r^f, so DCET-ISCC rightly uses it)",
                      _coincide("dcet-iscc", "et-iscc",
                                lambda s: s[(s["series"] == 9e9) & (s["x"] <= 400)])),
                Claim("Sec. IV-C: latency rises with β", _monotone("dcet-iscc"))))
    add("7", SweepSpec("fig07_latency_vs_fE", sc, "cpu_mec_hz", (1e9, 2e9, 3e9, 4.5e9, 9e9),
                       ("et-iscc", "dcet-iscc"), trials, seed, series_param="backhaul_bps",
                       series_values=(1e6, 10e6, 100e6)),
        "Fig. 7: average execution latency versus MEC CPU frequency $f^E$ for several $r^f$",
        x_label="MEC CPU frequency $f^E$ [GHz]", x_scale=1e-9,
        series_label="$r^f$ = {value:g} Mbit/s", series_scale=1e-6,
        claims=(Claim("Sec. IV-C: DCET-ISCC never slower than ET-ISCC",
                      _below("dcet-iscc", "et-iscc", strict=False)),
                Claim("Sec. IV-C: with a slow backhaul (1 Mbit/s) the two schemes overlap",
                      _coincide("dcet-iscc", "et-iscc", lambda s: s[s["series"] == 1e6]))))
    add("8", SweepSpec("fig08_large_network", sc.replace(n_bs=5), "n_terminals", (30, 35, 40),
                       three, trials, seed),
        "Fig. 8: average execution latency in larger networks (L = 5)",
        x_label="Number of terminals K",
        claims=(Claim("Sec. IV-C: the three-tier scheme outperforms the two-tier one",
                      _below("dcet-iscc", "et-iscc")),
                Claim("Sec. IV-C: its gain grows with K", _gap_grows("dcet-iscc", "et-iscc", "high")),
                Claim("Sec. IV-C: latency rises with K", _monotone("dcet-iscc"))))
    add("9", SweepSpec("fig09_latency_vs_Pth", sc, "max_power_dbm", (24.0, 26.0, 28.0, 30.0, 32.0),
                       ("dcet-iscc", "dcet-mrt", "dcet-mrs", "dcet-iscc-slack"), trials, seed,
                       series_param="bs_antennas", series_values=(8, 16, 32)),
        "Fig. 9: average execution latency versus power budget $P_{th}$ for several M",
        x_label="Power budget $P_{th}$ [dBm]", series_label="M = {value:g}",
        claims=(Claim("Sec. IV-C: DCET-ISCC below DCET-MRS",
                      _below("dcet-iscc", "dcet-mrs", strict=False)),
                Claim("Sec. IV-C: DCET-ISCC below DCET-MRT (drops where MRT meets (18e))",
                      _below("dcet-iscc", "dcet-mrt"),
                      reason=_above_reason("dcet-iscc", "dcet-mrt", "M", "P_th",
                                           alternative="dcet-iscc-slack")),
                Claim("Sec. IV-C: DCET-ISCC latency falls as P_th grows",
                      _monotone("dcet-iscc", increasing=False))))
    add("10", SweepSpec("fig10_latency_vs_Gamma", sc, "sensing_sinr_db", (0.0, 2.0, 4.0, 6.0, 8.0),
                        ("dcet-iscc",), trials, seed, series_param="terminal_antennas",
                        series_values=(4, 8, 12)),
        "Fig. 10: average execution latency versus sensing threshold $\\Gamma_r$ for several N",
        x_label="Sensing SINR threshold $\\Gamma_r$ [dB]", series_label="N = {value:g}",
        claims=(Claim("Sec. IV-C: latency rises with Γ_r", _monotone("dcet-iscc"),
                      reason=_flat_reason(sc, "dcet-iscc", "Γ_r")),))
    add("11", SweepSpec("fig11_latency_vs_pd", sc, "sensing_sinr_db", (0.0, 4.0, 8.0, 12.0),
                        ("dcet-iscc",), trials, seed, series_param="accumulation_time_s",
                        series_values=(0.32e-3, 0.64e-3, 1.28e-3),
                        metrics=("mean_latency",), p_fa=1e-4),
        "Fig. 11: average execution latency versus average detection probability ($P_{FA}=10^{-4}$)",
        x_metric="detection_probability", x_label="Average detection probability $P_D$",
        series_label="$t_s$ = {value:g} ms", series_scale=1e3,
        claims=(Claim("Sec. IV-C: latency rises with Γ_r (and so with P_D)", _monotone("dcet-iscc"),
                      reason=_flat_reason(sc, "dcet-iscc", "Γ_r", "accumulation_time_s")),))
    add("12", SweepSpec("fig12_latency_vs_G", sc, "mec_capacity_hz", (3e9, 6e9, 9e9, 12e9, 15e9),
                        ("dcet-iscc",), trials, seed, series_param="sensing_sinr_db",
                        series_values=(0.0, 4.0, 8.0)),
        "Fig. 12: average execution latency versus MEC capacity $G_l$ for several $\\Gamma_r$",
        x_label="MEC capacity $G_l$ [Gcycles/s]", x_scale=1e-9,
        series_label="$\\Gamma_r$ = {value:g} dB",
        claims=(Claim("Sec. IV-C: latency falls as G_l grows", _monotone("dcet-iscc", False),
                      reason=_flat_reason(sc, "dcet-iscc", "G_l")),))

    # Ours, not in the paper: at Table III the MEC compute time beta Z / f^E (109 ms) dwarfs the
    # upload (about 7 ms), so the three-tier gain shows only where MEC slots run out or the
    # cloud beats a free slot.  Each costs under a tenth of a paper figure.
    add("6x", SweepSpec("fig06x_latency_vs_beta_fast_backhaul", sc, "cycles_per_bit",
                        (200.0, 400.0, 600.0, 800.0, 1000.0), ("et-iscc", "dcet-iscc"), trials,
                        seed, series_param="backhaul_bps", series_values=(10e6, 100e6)),
        "Ours, not in the paper: Fig. 6's sweep at $G_l$ = 9 Gcycles/s (free MEC slots) for "
        "two backhaul rates $r^f$",
        x_label="Computation intensity β [cycles/bit]", series_label="$r^f$ = {value:g} Mbit/s",
        series_scale=1e-6, trial_fraction=0.1,
        claims=(Claim("Ours: DCET-ISCC below ET-ISCC wherever the cloud beats a free MEC slot, "
                      "β (1/f^E - 1/f^C) > 1/r^f (β > 429 cycles/bit at 10 Mbit/s, every β at "
                      "100 Mbit/s)",
                      lambda s: _below("dcet-iscc", "et-iscc")(
                          s[(s["series"] == 100e6) | (s["x"] > 429)])),
                Claim("Ours: DCET-ISCC and ET-ISCC coincide where it does not (β <= 400 at "
                      "10 Mbit/s)",
                      _coincide("dcet-iscc", "et-iscc",
                                lambda s: s[(s["series"] == 10e6) & (s["x"] <= 400)]))))
    add("8x", SweepSpec("fig08x_latency_vs_K_small", sc, "n_terminals", (6, 9, 12, 15), three,
                        trials, seed),
        "Ours, not in the paper: Fig. 8's sweep in the Table III network (L = 3, 9 MEC slots)",
        x_label="Number of terminals K", trial_fraction=0.1,
        claims=(Claim("Ours: DCET-ISCC below ET-ISCC once K exceeds the 9 MEC slots",
                      lambda s: _below("dcet-iscc", "et-iscc")(s[s["x"] > 9])),
                Claim("Ours: the three-tier gain grows with K",
                      _gap_grows("dcet-iscc", "et-iscc", "high")),
                Claim("Ours: latency rises with K", _monotone("dcet-iscc"))))
    return figs


for _key, _spec in paper_figures().items():
    register_figure(_key, _spec, replace=True)
