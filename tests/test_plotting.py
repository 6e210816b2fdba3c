"""Pictures (pyiscc/plotting.py): the artists each function draws, counted per category (never
pixels), on the Agg canvas."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import pyiscc as pi  # noqa: E402


def by_gid(ax: Axes, gid: str) -> list:
    return [a for a in ax.get_children() if a.get_gid() == gid]


def n_points(ax: Axes, gid: str) -> int:
    """Markers of the one Line2D named ``gid``."""
    (line,) = by_gid(ax, gid)
    return len(line.get_xdata())


def n_segments(ax: Axes, gid: str) -> int:
    (coll,) = by_gid(ax, gid)
    assert isinstance(coll, LineCollection)
    return len(coll.get_segments())


@pytest.fixture(scope="module")
def mixed_network():
    """A drop whose dcet-iscc answer uses all three modes: three terminals with fast CPUs stay
    local, the MEC servers have one slot each, the rest go to the cloud."""
    sc = pi.Scenario(mec_capacity_hz=3e9, backhaul_bps=2e6)
    net = pi.draw_network(sc, seed=0)
    cpu = np.full(sc.n_terminals, sc.cpu_local_hz)
    cpu[:3] = 2e9
    return pi.Network.from_arrays(sc, net.H, net.HI, net.target_angle, net.target_distance,
                                  net.rcs, cpu_local_hz=cpu, bs_positions=net.bs_positions,
                                  terminal_positions=net.terminal_positions)


@pytest.fixture(scope="module")
def mixed_solution(mixed_network):
    sol = pi.solve(mixed_network, "dcet-iscc")
    assert {str(m) for m in sol.mode} == {"local", "mec", "cloud"}
    return sol


def legend_outside(fig: Figure, legend, axes: list[Axes]) -> bool:
    fig.canvas.draw()
    box = legend.get_window_extent()
    return not any(box.overlaps(ax.get_window_extent()) for ax in axes)


def test_import_pyiscc_does_not_import_matplotlib_or_pandas(tmp_path):
    code = ("import sys, pyiscc; "
            "print(sorted(m for m in ('matplotlib', 'pandas') if m in sys.modules))")
    # cwd away from the checkout: `python -c` puts the cwd first on sys.path, and the source
    # tree has no compiled modules.
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         cwd=tmp_path)
    assert out.stdout.strip() == "[]"


def test_network_plot_draws_every_bs_terminal_and_target():
    net = pi.draw_network(pi.Scenario(), seed=4)
    ax = net.plot()
    assert isinstance(ax, Axes)
    assert n_points(ax, "bs") == net.n_bs
    assert n_points(ax, "terminal") == net.n_terminals
    assert n_points(ax, "target") == net.n_terminals
    assert n_segments(ax, "target-direction") == net.n_terminals
    # each target lies at its distance from its terminal
    (target,) = by_gid(ax, "target")
    xy = np.column_stack([target.get_xdata(), target.get_ydata()])
    np.testing.assert_allclose(np.linalg.norm(xy - net.terminal_positions, axis=1),
                               net.target_distance, rtol=1e-12)
    assert len(ax.texts) == net.n_bs  # "BS l" labels
    leg = ax.get_legend()
    assert [t.get_text() for t in leg.get_texts()] == [
        "target direction", "target", "BS with MEC server", "terminal"]
    assert legend_outside(ax.figure, leg, [ax])


def test_network_plot_into_given_axes_and_without_positions():
    net = pi.draw_network(pi.Scenario(n_terminals=4, n_bs=2), seed=1)
    fig = Figure()
    ax = fig.add_subplot()
    assert net.plot(ax) is ax
    bare = pi.Network.from_arrays(net.scenario, net.H, net.HI, net.target_angle,
                                  net.target_distance, net.rcs)
    with pytest.raises(ValueError, match="^network: has no bs_positions"):
        bare.plot()


def test_solution_plot_links_and_markers_per_mode(mixed_solution):
    sol = mixed_solution
    fig = sol.plot()
    assert isinstance(fig, Figure)
    ax_map, ax_margin = fig.axes
    counts = {m: int(np.sum(sol.mode == m)) for m in ("local", "mec", "cloud")}
    for m, n in counts.items():
        assert n_points(ax_map, f"terminal-{m}") == n
    assert n_segments(ax_map, "link-mec") == counts["mec"]
    assert n_segments(ax_map, "link-cloud") == counts["cloud"]
    assert not by_gid(ax_map, "link-local")  # local terminals have no link
    # each link ends at the terminal's serving BS
    (cloud,) = by_gid(ax_map, "link-cloud")
    ends = np.array([seg[1] for seg in cloud.get_segments()])
    serving = sol.serving_bs[sol.mode == "cloud"]
    np.testing.assert_allclose(ends, sol.network.bs_positions[serving])
    # grey scale: modes differ by marker and by line style, not by colour alone
    markers = {by_gid(ax_map, f"terminal-{m}")[0].get_marker() for m in counts}
    assert len(markers) == 3
    (mec,) = by_gid(ax_map, "link-mec")
    assert mec.get_linestyle() != cloud.get_linestyle()
    assert n_points(ax_map, "sensing-violated") == 0
    # margin panel: one bar per terminal, hatched by mode, and the threshold line
    bars = {m: by_gid(ax_margin, f"margin-{m}") for m in counts}  # the bars' rectangles
    assert {m: len(b) for m, b in bars.items()} == counts
    assert len({b[0].get_hatch() for b in bars.values()}) == 3
    margin = 10 * np.log10(sol.echo_sinr) - sol.network.scenario.sensing_sinr_db
    heights = {int(round(p.get_x() + p.get_width() / 2)): p.get_height()
               for b in bars.values() for p in b}
    np.testing.assert_allclose([heights[k] for k in range(len(margin))], margin)
    for m, n in counts.items():  # the mode's marker on every bar, also on a 0 dB margin
        assert n_points(ax_margin, f"margin-top-{m}") == n
    assert len(by_gid(ax_margin, "threshold")) == 1
    assert len(fig.legends) == 1 and legend_outside(fig, fig.legends[0], [ax_map, ax_margin])


def test_solution_plot_marks_the_sensing_violations(mixed_network):
    sol = pi.solve(mixed_network, "dcet-mrt")  # MRT beams do not enforce (18e)
    below = int(np.sum(10 * np.log10(sol.echo_sinr) < sol.network.scenario.sensing_sinr_db))
    assert below == sum(v.constraint == "sensing" for v in sol.violations) > 0
    fig = sol.plot()
    assert n_points(fig.axes[0], "sensing-violated") == below
    bars = [p for m in ("local", "mec", "cloud") for p in by_gid(fig.axes[1], f"margin-{m}")]
    assert len(bars) == sol.network.n_terminals
    assert sum(p.get_height() < 0 for p in bars) == below


def test_solution_plot_into_one_or_two_given_axes(mixed_solution):
    fig = Figure()
    one = fig.add_subplot()
    assert mixed_solution.plot(one) is fig
    assert not any(g.startswith("margin") for g in (a.get_gid() or "" for a in one.get_children()))
    assert legend_outside(fig, one.get_legend(), [one])
    fig2 = Figure()
    a, b = fig2.subplots(1, 2)
    assert mixed_solution.plot((a, b)) is fig2
    assert by_gid(b, "threshold")
    with pytest.raises(ValueError, match="^ax: "):
        mixed_solution.plot(fig2.subplots(1, 3))


def test_plot_history_one_line_per_round(mixed_solution):
    sol = mixed_solution
    fig = sol.plot_history()
    bcd, alg1, alg2 = fig.axes
    (line,) = by_gid(bcd, "bcd")
    np.testing.assert_allclose(line.get_ydata(), 1e3 * sol.history["total_latency"])
    offl = [h for h in sol.history["offloading"] if len(h)]
    assert len(offl) >= 2
    for r, h in enumerate(offl):
        (ln,) = by_gid(alg1, f"alg1-round-{r + 1}")
        np.testing.assert_allclose(ln.get_ydata(), 1e3 * h.objective)
    assert len(sol.history["beamforming"]) == sol.outer_iterations
    for r, h in enumerate(sol.history["beamforming"]):
        (ln,) = by_gid(alg2, f"alg2-round-{r + 1}")
        assert len(ln.get_xdata()) == len(h)
    # rounds differ by marker and line style
    lines = [by_gid(alg2, f"alg2-round-{r + 1}")[0] for r in range(sol.outer_iterations)]
    assert len({(ln.get_marker(), ln.get_linestyle()) for ln in lines}) == len(lines)
    for ax in (alg1, alg2):
        assert legend_outside(fig, ax.get_legend(), [ax])


def test_plot_history_of_a_scheme_without_iterations():
    net = pi.draw_network(pi.Scenario(n_terminals=4, n_bs=2), seed=2)
    fig = pi.solve(net, "local").plot_history()
    bcd, alg1, alg2 = fig.axes
    assert len(by_gid(bcd, "bcd")[0].get_xdata()) == 0
    for ax in (alg1, alg2):
        assert [t.get_text() for t in ax.texts] == ["no iterations (local)"]
    with pytest.raises(ValueError, match="^ax: "):
        pi.solve(net, "local").plot_history([Figure().add_subplot()])
