"""Detection probability of the Neyman-Pearson GLRT from the echo SINR (paper Fig. 11).

For a target with unknown phase in white Gaussian noise the GLRT is the square-law detector;
after matched filtering over the accumulation time, with output SINR gamma (the
post-integration echo SINR of eq. (8) with G_p = B t_s), its detection probability at
false-alarm probability P_FA is (Kay, *Detection Theory*, Sec. 7.6.2)

    P_D = Q_1( sqrt(2 gamma), sqrt(-2 ln P_FA) ),

with Q_1 the first-order Marcum Q function, Q_1(a, b) = P[chi'^2_2(a^2) > b^2]: the survival
function of a non-central chi-square with 2 degrees of freedom and non-centrality a^2.
At gamma = 0 it reduces to P_D = P_FA.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from .._validate import real as _real

__all__ = ["marcum_q1", "detection_probability", "required_sinr"]


def marcum_q1(a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    """First-order Marcum Q function Q_1(a, b) = ncx2.sf(b^2, df=2, nc=a^2), a, b >= 0
    (broadcast)."""
    a = _nonnegative(a, "a")
    b = _nonnegative(b, "b")
    return np.asarray(stats.ncx2.sf(b * b, df=2, nc=a * a), dtype=float)


def _nonnegative(value: ArrayLike, name: str) -> NDArray[np.float64]:
    """``value`` as a float array, finite and >= 0 everywhere."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: must be real numbers, got {value!r}") from None
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise ValueError(f"{name}: must be finite and >= 0")
    return arr


def _check_pfa(p_fa: float) -> float:
    p = _real(p_fa, "p_fa")
    if not 0.0 < p < 1.0:
        raise ValueError(f"p_fa: false-alarm probability must lie in (0, 1), got {p_fa!r}")
    return p


def detection_probability(echo_sinr: ArrayLike, p_fa: float) -> NDArray[np.float64]:
    """P_D of the GLRT (square-law) detector.

    Parameters
    ----------
    echo_sinr : array_like of float, any shape
        Post-integration echo SINR gamma (linear, >= 0), e.g. ``Evaluation.echo_sinr``.
    p_fa : float
        False-alarm probability P_FA in (0, 1).

    Returns
    -------
    ndarray of float, same shape
        P_D = Q_1(sqrt(2 gamma), sqrt(-2 ln P_FA)), in [P_FA, 1].
    """
    try:
        gamma = np.asarray(echo_sinr, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"echo_sinr: must be real numbers, got {echo_sinr!r}") from None
    if not np.isfinite(gamma).all() or (gamma < 0).any():
        raise ValueError("echo_sinr: must be finite and >= 0 (linear, not dB)")
    p = _check_pfa(p_fa)
    threshold = -2.0 * np.log(p)  # b^2
    return np.asarray(stats.ncx2.sf(threshold, df=2, nc=2.0 * gamma), dtype=float)


def required_sinr(p_d: float, p_fa: float) -> float:
    """Echo SINR (linear) at which the detector reaches ``p_d`` (inverse of
    :func:`detection_probability` in gamma; ``p_fa < p_d < 1``)."""
    from scipy.optimize import brentq

    p = _check_pfa(p_fa)
    if not p < _real(p_d, "p_d") < 1.0:
        raise ValueError(f"p_d: must lie in (p_fa, 1), got {p_d!r}")
    hi = 1.0
    while detection_probability(hi, p) < p_d:
        hi *= 2.0
    return float(brentq(lambda g: float(detection_probability(g, p)) - p_d, 0.0, hi,
                        xtol=1e-12, rtol=1e-12))
