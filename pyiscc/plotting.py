"""Pictures of a drop and of a solution (matplotlib; imported only when a picture is asked for).

:meth:`pyiscc.Network.plot`, :meth:`pyiscc.Solution.plot` and
:meth:`pyiscc.Solution.plot_history` call the functions here.  Without an ``ax`` they draw on a
new :class:`matplotlib.figure.Figure` with the Agg canvas (no pyplot: nothing global changes, no
display is needed, and Jupyter shows a returned Figure); pass Axes of your own to draw into an
existing figure.

Grey-scale readability: every category has its own marker and line style (colour only repeats
what the marker says); legends sit outside the data (below or to the right of the axes).

Each drawn category is one artist whose ``gid`` names it (``"bs"``, ``"terminal"``,
``"terminal-local"``, ``"terminal-mec"``, ``"terminal-cloud"``, ``"target"``,
``"target-direction"``, ``"link-mec"``, ``"link-cloud"``, ``"sensing-violated"``,
``"margin-top-<mode>"``, ``"threshold"``, ``"bcd"``, ``"alg1-round-<r>"``, ``"alg2-round-<r>"``;
the bars' rectangles all carry ``"margin-<mode>"``), so scripts and tests can find them with
``[a for a in ax.get_children() if a.get_gid() == gid]``.

Drawing convention: the model fixes no orientation of a terminal's array, so a target is drawn at
its distance d_k in the direction theta_k measured from the x axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:  # matplotlib is imported inside the functions: `import pyiscc` stays light
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .network import Network
    from .solve import Solution

__all__ = ["plot_network", "plot_solution", "plot_history", "MODE_STYLES"]

#: Marker, line style, face colour and hatch of each execution mode (grey-scale safe).
MODE_STYLES: dict[str, dict[str, Any]] = {
    "local": {"marker": "o", "linestyle": "none", "color": "0.25", "face": "white", "hatch": ""},
    "mec": {"marker": "s", "linestyle": "-", "color": "C0", "face": "C0", "hatch": "//"},
    "cloud": {"marker": "D", "linestyle": "--", "color": "C3", "face": "C3", "hatch": ".."},
}
_ROUND_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")
_ROUND_STYLES = ("-", "--", "-.", ":")
_LABELS = {"local": "local execution", "mec": "MEC (via BS)", "cloud": "cloud (via BS)"}


def _new_figure(ncols: int, figsize: tuple[float, float], width_ratios: Sequence[float] | None = None
                ) -> tuple[Figure, list[Axes]]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, width_ratios=width_ratios, squeeze=False)[0]
    return fig, list(axes)


def _axes_list(ax: Any) -> list[Axes]:
    """One Axes, or a sequence / array of them (``fig.subplots`` returns an array)."""
    from matplotlib.axes import Axes

    return [ax] if isinstance(ax, Axes) else list(np.ravel(np.asarray(ax, dtype=object)))


def _positions(network: Network) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    if network.bs_positions is None or network.terminal_positions is None:
        raise ValueError("network: has no bs_positions / terminal_positions (built by "
                         "Network.from_arrays without coordinates), so there is no map to draw")
    return network.bs_positions, network.terminal_positions


def _targets(network: Network, terminals: NDArray[np.float64]) -> NDArray[np.float64]:
    """(K, 2) target coordinates [m]: d_k in the direction theta_k from the x axis."""
    d = network.target_distance[:, None]
    return terminals + d * np.stack([np.cos(network.target_angle), np.sin(network.target_angle)],
                                    axis=1)


def _segments(start: NDArray[np.float64], end: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.stack([start, end], axis=1)  # (n, 2, 2)


def _draw_base(ax: Axes, network: Network) -> NDArray[np.float64]:
    """BSs, targets and their directions; returns the terminal coordinates."""
    from matplotlib.collections import LineCollection

    bs, terminals = _positions(network)
    targets = _targets(network, terminals)
    ax.add_collection(LineCollection(_segments(terminals, targets), colors="0.45", linewidths=0.8,
                                     linestyles=":", gid="target-direction",
                                     label="target direction"))
    ax.plot(targets[:, 0], targets[:, 1], linestyle="none", marker="x", markersize=5,
            color="0.35", gid="target", label="target")
    ax.plot(bs[:, 0], bs[:, 1], linestyle="none", marker="^", markersize=13, markerfacecolor="0.85",
            markeredgecolor="black", markeredgewidth=1.3, gid="bs", label="BS with MEC server",
            zorder=4)  # above the links that end there
    for l, (x, y) in enumerate(bs):
        ax.annotate(f"BS {l}", (x, y), xytext=(0, -11), textcoords="offset points", ha="center",
                    va="top", fontsize=8,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("x [m]")
    ax.set_ylabel("y [m]")
    return terminals


def _legend_right(ax: Axes) -> None:
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=8,
              frameon=False)


def plot_network(network: Network, ax: Axes | None = None, *, legend: bool = True) -> Axes:
    """Map of one drop: BSs, terminals, targets and the direction of each target.

    Parameters
    ----------
    network : Network
        A drop with coordinates (``draw_network``, or ``from_arrays`` with ``bs_positions`` and
        ``terminal_positions``).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default: a new Figure.
    legend : bool
        Draw the legend (to the right of the axes).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        _, (ax,) = _new_figure(1, (7.0, 5.2))
    terminals = _draw_base(ax, network)
    ax.plot(terminals[:, 0], terminals[:, 1], linestyle="none", marker="o", markersize=6,
            markerfacecolor="white", markeredgecolor="black", gid="terminal", label="terminal")
    ax.set_title(f"L = {network.n_bs} BSs, K = {network.n_terminals} terminals", fontsize=10)
    if legend:
        _legend_right(ax)
    return ax


def _margin_db(solution: Solution) -> NDArray[np.float64]:
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(solution.echo_sinr) - solution.network.scenario.sensing_sinr_db


def _draw_solution_map(ax: Axes, solution: Solution) -> None:
    from matplotlib.collections import LineCollection

    network = solution.network
    terminals = _draw_base(ax, network)
    bs = network.bs_positions
    mode, serving = solution.mode, solution.serving_bs
    for m in ("mec", "cloud"):
        idx = np.flatnonzero(mode == m)
        st = MODE_STYLES[m]
        ax.add_collection(LineCollection(_segments(terminals[idx], bs[serving[idx]]),
                                         colors=st["color"], linewidths=1.2,
                                         linestyles=st["linestyle"], gid=f"link-{m}",
                                         label=f"link: {_LABELS[m]}"))
    for m in ("local", "mec", "cloud"):
        idx = np.flatnonzero(mode == m)
        st = MODE_STYLES[m]
        ax.plot(terminals[idx, 0], terminals[idx, 1], linestyle="none", marker=st["marker"],
                markersize=6.5, markerfacecolor=st["face"], markeredgecolor="black",
                gid=f"terminal-{m}", label=f"terminal: {_LABELS[m]} ({idx.size})")
    bad = np.flatnonzero(_margin_db(solution) < 0)
    ax.plot(terminals[bad, 0], terminals[bad, 1], linestyle="none", marker="o", markersize=14,
            markerfacecolor="none", markeredgecolor="black", markeredgewidth=1.5,
            gid="sensing-violated", label=f"echo SINR below threshold ({bad.size})")


def _draw_margins(ax: Axes, solution: Solution) -> None:
    margin = _margin_db(solution)
    finite = margin[np.isfinite(margin)]
    floor = (min(finite.min(), 0.0) - 3.0) if finite.size else -10.0
    shown = np.where(np.isfinite(margin), margin, floor)  # echo SINR 0 (no beam) -> the floor
    k = np.arange(margin.size)
    mode = solution.mode
    for m in ("local", "mec", "cloud"):
        idx = np.flatnonzero(mode == m)
        if idx.size == 0:  # an empty bar container would put an unstyled patch in the legend
            continue
        st = MODE_STYLES[m]
        ax.bar(k[idx], shown[idx], width=0.8, color=st["face"], edgecolor="black", linewidth=0.6,
               hatch=st["hatch"], gid=f"margin-{m}", label=f"margin bar: {_LABELS[m]}")
        # the mode's marker on top of each bar: a margin of 0 dB (sensing constraint active) has
        # no visible bar
        ax.plot(k[idx], shown[idx], linestyle="none", marker=st["marker"], markersize=4.5,
                markerfacecolor=st["face"], markeredgecolor="black", gid=f"margin-top-{m}",
                zorder=3)
    gamma = solution.network.scenario.sensing_sinr_db
    ax.axhline(0.0, color="black", linewidth=1.0, linestyle="--", gid="threshold",
               label=f"threshold $\\Gamma_r$ = {gamma:g} dB")
    ax.set_xlabel("terminal k")
    ax.set_ylabel("echo SINR $-$ $\\Gamma_r$ [dB]")
    ax.set_xlim(-0.7, margin.size - 0.3)
    step = max(1, int(np.ceil(margin.size / 10)))
    ax.set_xticks(k[::step])
    ax.set_title("echo-SINR margin per terminal", fontsize=10)


def plot_solution(solution: Solution, ax: Axes | Sequence[Axes] | None = None) -> Figure:
    """Map of a solution (modes and links to the serving BSs) and the echo-SINR margin of every
    terminal.

    Parameters
    ----------
    solution : Solution
        A result of :func:`pyiscc.solve` (it keeps its network).
    ax : Axes or (Axes, Axes), optional
        Default: a new Figure with the map and the margin panel side by side.  One Axes: the map
        only.  Two Axes: the map in the first, the margins (bars, one per terminal, hatched by
        mode) in the second.

    Returns
    -------
    matplotlib.figure.Figure
        The map Axes is ``fig.axes[0]`` (for a new figure), the margin panel ``fig.axes[1]``.
    """
    if solution.network is None:
        raise ValueError("solution: keeps no network (it was not made by pyiscc.solve)")
    if ax is None:
        fig, axes = _new_figure(2, (12.0, 5.6), width_ratios=(1.25, 1.0))
    else:
        axes = _axes_list(ax)
        if len(axes) not in (1, 2):
            raise ValueError(f"ax: give one Axes (map) or two (map, margins), got {len(axes)}")
        fig = axes[0].figure
    _draw_solution_map(axes[0], solution)
    title = (f"{solution.scheme}: mean latency {1e3 * solution.mean_latency:.2f} ms, "
             f"{'feasible' if solution.feasible else 'INFEASIBLE'}, status {solution.status}")
    axes[0].set_title(title, fontsize=10)
    if len(axes) == 2:
        _draw_margins(axes[1], solution)
    if ax is None:
        handles, labels = axes[0].get_legend_handles_labels()
        more, more_labels = axes[1].get_legend_handles_labels()
        fig.legend(handles + more, labels + more_labels, loc="outside lower center", ncols=4,
                   fontsize=8, frameon=False)
    else:
        _legend_right(axes[0])
        if len(axes) == 2:
            _legend_right(axes[1])
    return fig


def plot_history(solution: Solution, ax: Sequence[Axes] | None = None) -> Figure:
    """Iterations of the BCD and of its two blocks.

    Panels: total latency of (18) after each BCD round [ms]; Algorithm 1's relaxed objective (20)
    per ADMM iteration, one line per round [ms]; Algorithm 2's objective (39) per iteration, one
    line per round [ms].  A block with no iterations (the fixed-beam baselines have no
    Algorithm 2, ``local`` runs neither) leaves its panel empty with a note.

    Parameters
    ----------
    solution : Solution
    ax : three Axes, optional
        Default: a new Figure with three panels side by side.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if ax is None:
        fig, axes = _new_figure(3, (13.0, 4.4))
    else:
        axes = _axes_list(ax)
        if len(axes) != 3:
            raise ValueError(f"ax: give three Axes (BCD, Algorithm 1, Algorithm 2), got {len(axes)}")
        fig = axes[0].figure
    hist = solution.history
    totals = 1e3 * np.asarray(hist.get("total_latency", []), float)
    rounds = np.arange(1, totals.size + 1)
    axes[0].plot(rounds, totals, marker="o", linestyle="-", color="black", gid="bcd",
                 label="sum of latencies")
    axes[0].set_xlabel("BCD round")
    axes[0].set_ylabel("total latency [ms]")
    title = f"BCD ({solution.status})"
    if "warm_start" in hist:
        title += f", warm start {hist['warm_start']}"
    axes[0].set_title(title, fontsize=10)
    if rounds.size:
        axes[0].set_xticks(rounds)
    panels = ((axes[1], "alg1", [np.asarray(h.objective, float) for h in hist.get("offloading", [])],
               "ADMM iteration", "relaxed objective (20) [ms]", "Algorithm 1 (offloading)"),
              (axes[2], "alg2", [np.asarray(h, float) for h in hist.get("beamforming", [])],
               "Algorithm 2 iteration", "objective (39) [ms]", "Algorithm 2 (beamforming)"))
    for a, key, series, xlabel, ylabel, name in panels:
        drawn = 0
        for r, y in enumerate(series):
            if y.size == 0:
                continue
            a.plot(np.arange(y.size), 1e3 * y, marker=_ROUND_MARKERS[r % len(_ROUND_MARKERS)],
                   markersize=4, linestyle=_ROUND_STYLES[r % len(_ROUND_STYLES)],
                   color=f"{0.6 * r / max(1, len(series) - 1):.2f}", gid=f"{key}-round-{r + 1}",
                   label=f"round {r + 1}")
            drawn += 1
        a.set_xlabel(xlabel)
        a.set_ylabel(ylabel)
        a.set_title(name, fontsize=10)
        if drawn:
            a.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=min(drawn, 5),
                     fontsize=8, frameon=False)
        else:
            a.text(0.5, 0.5, f"no iterations ({solution.scheme})", transform=a.transAxes,
                   ha="center", va="center", fontsize=9, color="0.4")
    fig.suptitle(f"{solution.scheme}: {solution.outer_iterations} BCD round(s)", fontsize=11)
    return fig
