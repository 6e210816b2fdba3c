"""The paper's figure specs and a smoke run of `pyiscc reproduce` (the CI version of the quick
mode: two trials of a few figures)."""

from __future__ import annotations

import subprocess

import pandas as pd
import pytest

from pyiscc.experiments.figures import FIGURES
from pyiscc.experiments.report import check_claims
from pyiscc.experiments.specs import ClaimResult, with_overrides


def test_every_paper_figure_is_registered():
    paper = {str(n) for n in range(2, 13)}
    assert set(FIGURES) == paper | {"6x", "8x"}
    for key, spec in FIGURES.items():
        if key in paper:
            assert spec.title.startswith(f"Fig. {key}:")
            assert with_overrides(spec, trials=20).sweep.trials == (4 if key == "3" else 20)
        else:  # our extra sweeps: labelled as such, at a tenth of the trials
            assert spec.title.startswith("Ours, not in the paper:")
            assert all(c.text.startswith("Ours:") for c in spec.claims)
            assert with_overrides(spec, trials=500).sweep.trials == 50
        assert spec.claims, key
        assert "[" in spec.y_label  # a unit


def _fake_summary(spec, better_first=True):
    """A summary in which every scheme's curve rises with x, dcet-iscc lowest."""
    rows = []
    for p, params in enumerate(spec.sweep.points()):
        for i, scheme in enumerate(spec.sweep.schemes):
            value = (1.0 + 0.1 * p) * (1.0 + i if scheme != "dcet-iscc" else 0.5)
            rec = {"point": p, "x": params[spec.sweep.x_param], "scheme": scheme,
                   "series_param": spec.sweep.series_param,
                   "series": None if spec.sweep.series_param is None
                   else params[spec.sweep.series_param]}
            for m in (*spec.sweep.metrics, "detection_probability"):
                rec[m] = value
                rec[f"{m}_ci95"] = 0.001 * value
            rows.append(rec)
    return pd.DataFrame(rows)


def test_claim_checks_run_on_every_figure():
    for key, spec in FIGURES.items():
        for text, result, error in check_claims(spec, _fake_summary(spec)):
            assert error is None, (key, text, error)
            assert isinstance(result, ClaimResult)
            assert result.detail


@pytest.mark.slow
def test_reproduce_smoke(tmp_path):
    out = tmp_path / "repro"
    proc = subprocess.run(["pyiscc", "reproduce", "--out", str(out), "--trials", "2",
                           "--figures", "2,6,11", "--workers", "2", "--quiet"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for name in ("fig02_convergence", "fig06_latency_vs_beta", "fig11_latency_vs_pd"):
        for ext in ("png", "pdf", "csv"):
            assert (out / f"{name}.{ext}").stat().st_size > 0
    report = (out / "report.md").read_text()
    assert "Fig. 6" in report and "| Claim | Holds |" in report
    # a rerun resumes: nothing left to do, same report data
    before = pd.read_csv(out / "fig06_latency_vs_beta.csv")
    proc = subprocess.run(["pyiscc", "reproduce", "--out", str(out), "--trials", "2",
                           "--figures", "6", "--workers", "1", "--quiet"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    pd.testing.assert_frame_equal(before, pd.read_csv(out / "fig06_latency_vs_beta.csv"))
