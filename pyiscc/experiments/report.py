"""``report.md``: every reproduced figure with its data table and the paper's claims checked."""

from __future__ import annotations

import dataclasses
import math
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from os import PathLike
from pathlib import Path

import pandas as pd

from .specs import ClaimResult, FigureSpec
from .summary import AVERAGING_NOTE

__all__ = ["FigureResult", "check_claims", "write_report"]


@dataclass(frozen=True)
class FigureResult:
    """A reproduced figure: its spec, summary and the files written for it."""

    key: str
    spec: FigureSpec
    summary: pd.DataFrame
    files: Sequence[Path]


def check_claims(spec: FigureSpec, summary: pd.DataFrame) -> list[tuple[str, ClaimResult | None,
                                                                       str | None]]:
    """Evaluate every claim of ``spec``: (text, result, error) with ``error`` the exception
    text when the check itself failed (then ``result`` is None).  A claim that does not hold
    gets its ``Claim.reason`` evaluated into ``result.reason``."""
    out = []
    for claim in spec.claims:
        try:
            result = claim.check(summary)
            if not isinstance(result, ClaimResult):
                raise TypeError(f"a claim check must return a ClaimResult, got "
                                f"{type(result).__name__}")
            if not result.holds and claim.reason is not None and result.reason is None:
                try:
                    reason = claim.explain(summary)
                except Exception:
                    reason = ("(the reason could not be computed: "
                              f"{traceback.format_exc(limit=2).strip().splitlines()[-1]})")
                result = dataclasses.replace(result, reason=reason)
            out.append((claim.text, result, None))
        except Exception:
            out.append((claim.text, None, traceback.format_exc(limit=2).strip().splitlines()[-1]))
    return out


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _fmt(value: float) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else f"{value:.4g}"


def _verdict(result: ClaimResult) -> tuple[str, str]:
    """The Holds and By-how-much cells of a claim row: a NO carries its reason."""
    if result.holds:
        return "yes", result.detail
    if result.reason:
        return "NO", f"{result.detail}. Why: {result.reason}"
    return "NO", result.detail


def _data_table(spec: FigureSpec, summary: pd.DataFrame) -> list[str]:
    y, ci = spec.y_metric, f"{spec.y_metric}_ci95"
    has_series = spec.sweep.series_param is not None
    head = ["x (" + spec.x_label + ")"] + (["series"] if has_series else []) + [
        "scheme", f"{spec.y_label} (mean ± 95% CI)", "feasible", "infeasible", "failed"]
    lines = ["| " + " | ".join(_cell(h) for h in head) + " |",
             "|" + "---|" * len(head)]
    for _, r in summary.iterrows():
        x = r["x"] * spec.x_scale if isinstance(r["x"], (int, float)) else r["x"]
        row = [_fmt(x)] + ([_fmt(r["series"] * spec.series_scale)] if has_series else []) + [
            spec.scheme_label(r["scheme"]),
            f"{_fmt(r[y] * spec.y_scale)} ± {_fmt(r[ci] * spec.y_scale)}",
            str(r["n_feasible"]), str(r["n_infeasible"]), str(r["n_failed"])]
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return lines


def write_report(out_dir: str | PathLike[str], figures: Sequence[FigureResult], *,
                 header: Sequence[str] = ()) -> Path:
    """Write ``out_dir/report.md`` and return its path.

    For each figure: its title, the PNG (linked PDF and CSV), the data table (mean ± 95% CI
    half-width, feasible / infeasible / failed counts per point and scheme) and the table of
    the paper's claims with whether each holds and by how much."""
    out = Path(out_dir)
    lines = ["# pyiscc: reproduction of the paper's numerical results", "",
             f"Generated {datetime.now(timezone.utc).isoformat(timespec='seconds')}.", ""]
    lines += list(header) + ([""] if header else [])
    lines += [f"Averaging: {AVERAGING_NOTE}.", ""]
    all_claims = []
    for fr in figures:
        spec = fr.spec
        lines += [f"## {spec.title}", ""]
        names = {p.suffix.lstrip("."): p.name for p in fr.files}
        if "png" in names:
            lines += [f"![{_cell(spec.title)}]({names['png']})", ""]
        links = [f"[{k.upper()}]({v})" for k, v in names.items() if k != "png"]
        if links:
            lines += ["Files: " + ", ".join(links), ""]
        sw = spec.sweep
        lines += [f"Sweep `{sw.name}`: {sw.x_param} over {len(sw.x_values)} values"
                  + (f", {sw.series_param} over {len(sw.series_values)} values"
                     if sw.series_param else "")
                  + f"; {sw.trials} trials per point, seed {sw.seed}.", ""]
        lines += _data_table(spec, fr.summary) + [""]
        claims = check_claims(spec, fr.summary)
        if claims:
            lines += ["| Claim | Holds | By how much |", "|---|---|---|"]
            for text, result, error in claims:
                if result is None:
                    lines.append(f"| {_cell(text)} | check failed | {_cell(error)} |")
                else:
                    verdict, detail = _verdict(result)
                    lines.append(f"| {_cell(text)} | {verdict} | {_cell(detail)} |")
                all_claims.append((fr.key, text, result, error))
            lines.append("")
    if all_claims:
        held = sum(1 for *_, r, _e in all_claims if r is not None and r.holds)
        lines += ["## Claims overview", "",
                  f"{held} of {len(all_claims)} claims hold.", "",
                  "| Figure | Claim | Holds | By how much |", "|---|---|---|---|"]
        for key, text, result, error in all_claims:
            verdict, detail = ("check failed", error) if result is None else _verdict(result)
            lines.append(f"| {key} | {_cell(text)} | {verdict} | {_cell(detail)} |")
        lines.append("")
    path = out / "report.md"
    path.write_text("\n".join(lines))
    return path
