"""Sweep/figure specs, the summary statistics, export and plots."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pyiscc import experiments as ex
from pyiscc.experiments.plots import draw_figure, plot_figure
from pyiscc.experiments.specs import FigureSpec, SweepSpec

from exp_helpers import tiny  # noqa: F401  (fixture)


def make(tiny, **kw):
    base = dict(name="s", scenario=tiny, x_param="sensing_sinr_db", x_values=(0.0, 5.0),
                schemes=("local",), trials=2)
    base.update(kw)
    return SweepSpec(**base)


# ---------------------------------------------------------------------- specs
def test_points_are_series_major(tiny):
    s = make(tiny, series_param="option.tol", series_values=(1e-3, 1e-4))
    assert s.points() == [{"sensing_sinr_db": 0.0, "option.tol": 1e-3},
                          {"sensing_sinr_db": 5.0, "option.tol": 1e-3},
                          {"sensing_sinr_db": 0.0, "option.tol": 1e-4},
                          {"sensing_sinr_db": 5.0, "option.tol": 1e-4}]
    assert s.point_scenario(s.points()[1]).sensing_sinr_db == 5.0
    assert s.point_options(s.points()[2]) == {"tol": 1e-4}


@pytest.mark.parametrize("kw, match", [
    ({"x_param": "bandwith_hz"}, "x_param"),
    ({"x_values": ()}, "x_values"),
    ({"series_param": "n_bs"}, "give both or neither"),
    ({"schemes": "local"}, "schemes"),
    ({"schemes": ("local", "local")}, "schemes"),
    ({"trials": 0}, "trials"),
    ({"name": "a b"}, "name"),
    ({"p_fa": 1.5}, "p_fa"),
    ({"x_param": "n_terminals", "x_values": (3, 0)}, "n_terminals"),
])
def test_bad_spec_raises_naming_the_field(tiny, kw, match):
    with pytest.raises(ValueError, match=match):
        make(tiny, **kw)


def test_fingerprint_ignores_trials_and_schemes_only(tiny):
    s = make(tiny)
    assert make(tiny, trials=9, schemes=("local", "x:y")).fingerprint() == s.fingerprint()
    assert make(tiny, seed=1).fingerprint() != s.fingerprint()
    assert make(tiny, x_values=(0.0, 6.0)).fingerprint() != s.fingerprint()
    assert make(tiny.replace(n_bs=3)).fingerprint() != s.fingerprint()


def test_dict_round_trip(tiny):
    s = make(tiny, series_param="n_terminals", series_values=(2, 3), options={"a": 1},
             p_fa=1e-3, metrics=("mean_latency", "mean_energy"))
    again = SweepSpec.from_dict(s.to_dict())
    assert again == s
    assert again.fingerprint() == s.fingerprint()


def test_toml_figure_spec(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("""
name = "fig"
schemes = ["local"]
trials = 4
p_fa = 1e-4
[scenario]
n_terminals = 3
[x]
param = "accumulation_time_s"
values = [0.32e-3, 0.64e-3]
[plot]
y_metric = "mean_latency"
x_metric = "detection_probability"
y_label = "Latency [ms]"
y_scale = 1e3
unknown_key = 1
""")
    with pytest.raises(ValueError, match="unknown plot key"):
        ex.load_spec(path)
    path.write_text(path.read_text().replace("unknown_key = 1\n", ""))
    fig = ex.load_spec(path, trials=7, seed=3)
    assert isinstance(fig, FigureSpec)
    assert (fig.sweep.trials, fig.sweep.seed, fig.sweep.scenario.n_terminals) == (7, 3, 3)
    assert fig.x_label == "accumulation_time_s" and fig.y_scale == 1e3


def test_figure_spec_checks_metrics(tiny):
    with pytest.raises(ValueError, match="y_metric"):
        FigureSpec(sweep=make(tiny), title="t", y_metric="mean_energy", y_label="E [J]",
                   x_label="x")
    with pytest.raises(ValueError, match="x_metric"):
        FigureSpec(sweep=make(tiny), title="t", y_metric="mean_latency", y_label="T [s]",
                   x_label="x", x_metric="detection_probability")  # needs p_fa
    with pytest.raises(ValueError, match="scheme_labels"):
        FigureSpec(sweep=make(tiny), title="t", y_metric="mean_latency", y_label="T [s]",
                   x_label="x", scheme_labels={"dcet-iscc": "DCET"})


# ---------------------------------------------------------------------- summary
def test_summary_means_over_feasible_only(tiny, tmp_path):
    s = make(tiny, schemes=("exp_runners:coin",), trials=12, x_param="bandwidth_hz",
             x_values=(5e6,))
    summary = ex.run_sweep(s, tmp_path, workers=1, progress=False)
    rows = ex.load_results(tmp_path)
    feas = rows[rows.feasible]
    assert 0 < len(feas) < 12
    values = feas.mean_latency.to_numpy()
    row = summary.iloc[0]
    assert (row.n_trials, row.n_feasible, row.n_infeasible, row.n_failed) == (
        12, len(feas), 12 - len(feas), 0)
    assert row.mean_latency == pytest.approx(values.mean(), rel=1e-12)
    assert row.mean_latency_ci95 == pytest.approx(
        1.959963984540054 * values.std(ddof=1) / math.sqrt(values.size), rel=1e-12)
    assert (rows[~rows.feasible].mean_latency >= np.pi / 2).all()  # infeasible kept, not averaged
    assert summary.attrs["averaging"] == ex.AVERAGING_NOTE
    assert (summary.mean_over == "feasible trials").all()


def test_detection_probability_metric_from_stored_sinrs(tiny, tmp_path):
    s = make(tiny, p_fa=1e-3, trials=3)
    summary = ex.run_sweep(s, tmp_path, workers=1, progress=False)
    rows = ex.load_results(tmp_path)
    for _, r in rows.iterrows():
        want = np.mean(ex.detection_probability(np.array(r.echo_sinr), 1e-3))
        assert r.detection_probability == pytest.approx(want, rel=1e-12)
    assert summary.detection_probability.between(1e-3, 1.0).all()


def test_export_csv_and_parquet_without_pyarrow(tiny, tmp_path):
    ex.run_sweep(make(tiny), tmp_path, workers=1, progress=False)
    trials, summary = ex.export(tmp_path, "csv")
    raw = pd.read_csv(trials)
    assert len(raw) == 4 and raw.echo_sinr.str.startswith("[").all()
    assert len(pd.read_csv(summary)) == 2
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pyarrow"):
            ex.export(tmp_path, "parquet")
    else:
        paths = ex.export(tmp_path, "parquet")
        assert len(pd.read_parquet(paths[0])) == 4
    with pytest.raises(ValueError, match="fmt"):
        ex.export(tmp_path, "xlsx")


def test_plot_writes_png_and_pdf(tiny, tmp_path):
    s = make(tiny, schemes=("local", "mec-nearest-mrs"), series_param="mec_capacity_hz",
             series_values=(3e9, 9e9), p_fa=1e-3)
    fig = FigureSpec(sweep=s, title="Fig. X", y_metric="mean_latency",
                     y_label="Average execution latency [ms]", y_scale=1e3,
                     x_label="Average detection probability", x_metric="detection_probability",
                     series_label="$G_l$ = {value:g} Gcycles/s", series_scale=1e-9,
                     scheme_labels={"local": "Local"})
    summary = ex.run_sweep(s, tmp_path, workers=1, progress=False)
    paths = plot_figure(fig, summary, tmp_path / "figs")
    assert [p.suffix for p in paths] == [".png", ".pdf"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths[1].read_bytes()[:5] == b"%PDF-"


def test_figure_with_series_lists_schemes_and_series_apart(tiny, tmp_path):
    s = make(tiny, schemes=("local", "mec-nearest-mrs"), series_param="mec_capacity_hz",
             series_values=(3e9, 6e9, 9e9))
    spec = FigureSpec(sweep=s, title="Fig. X: a title", y_metric="mean_latency",
                      y_label="Latency [ms]", y_scale=1e3, x_label="x",
                      series_label="$G_l$ = {value:g} Gcycles/s", series_scale=1e-9,
                      scheme_labels={"local": "Local"})
    summary = ex.run_sweep(s, tmp_path, workers=1, progress=False)
    fig = draw_figure(spec, summary)
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert len(lines) == 6  # (3 series) x (2 schemes)
    by_label = {line.get_label(): line for line in lines}
    # colour: the series; marker and line style: the scheme
    for scheme in ("Local", "mec-nearest-mrs"):
        colours = {by_label[f"{scheme}, $G_l$ = {g} Gcycles/s"].get_color() for g in (3, 6, 9)}
        assert len(colours) == 3
    for g in (3, 6, 9):
        a, b = (by_label[f"{sch}, $G_l$ = {g} Gcycles/s"] for sch in ("Local", "mec-nearest-mrs"))
        assert a.get_color() == b.get_color() and a.get_marker() != b.get_marker()
    # one legend entry per scheme and per series, beside the axes; the title above both
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "Local", "mec-nearest-mrs", "$G_l$ = 3 Gcycles/s", "$G_l$ = 6 Gcycles/s",
        "$G_l$ = 9 Gcycles/s"]
    assert ax.get_legend() is None and ax.get_title() == ""
    assert fig.get_suptitle() == "Fig. X: a title"


def test_figure_without_series_keeps_a_legend_in_the_axes(tiny, tmp_path):
    s = make(tiny, schemes=("local", "mec-nearest-mrs"))
    spec = FigureSpec(sweep=s, title="Fig. Y", y_metric="mean_latency", y_label="Latency [ms]",
                      x_label="x")
    fig = draw_figure(spec, ex.run_sweep(s, tmp_path, workers=1, progress=False))
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["local", "mec-nearest-mrs"]
    assert not fig.legends and ax.get_title() == "Fig. Y"
    assert len({line.get_color() for line in ax.get_lines()}) == 2


def test_pfa_can_change_without_rerunning(tiny, tmp_path):
    import dataclasses

    s = make(tiny, p_fa=1e-3, trials=3)
    loose = ex.run_sweep(s, tmp_path, workers=1, progress=False)
    strict = ex.summarize(ex.load_results(tmp_path, "s"), dataclasses.replace(s, p_fa=1e-8))
    assert (strict.detection_probability < loose.detection_probability).all()
    pd.testing.assert_series_equal(strict.mean_latency, loose.mean_latency)
