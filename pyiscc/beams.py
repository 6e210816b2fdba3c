"""Reference beamformers: maximal-ratio sensing (MRS) and transmission (MRT), DESIGN.md section 2."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import integer, numeric
from .network import Network

__all__ = ["beam_power", "max_sensing_beams", "max_ratio_beams", "sensing_limited_beams"]


def beam_power(network: Network) -> NDArray[np.float64]:
    """Transmit power of the reference beams, ``P_th - eta (f^L)^3`` per terminal [W], (K,):
    the largest power at which every execution mode keeps (18d) (DESIGN.md section 2)."""
    return np.maximum(network.max_power_w - network.local_cpu_power_w, 0.0)


def _power(network: Network, power_w: ArrayLike | None) -> NDArray[np.float64]:
    """The (K,) beam powers: :func:`beam_power` for None, else ``power_w`` (a scalar or (K,),
    finite, >= 0), or ``ValueError`` naming it."""
    if not isinstance(network, Network):
        raise ValueError(f"network must be a Network, got {type(network).__name__}")
    if power_w is None:
        return beam_power(network)
    p = numeric(power_w, "power_w", float)
    K = network.n_terminals
    if p.shape not in ((), (K,)):
        raise ValueError(f"power_w: expected a scalar or shape ({K},), got shape {p.shape}")
    if not (np.isfinite(p).all() and (p >= 0).all()):
        raise ValueError("power_w: must be finite and >= 0")
    return np.broadcast_to(p, (K,))


def max_sensing_beams(network: Network, power_w: ArrayLike | None = None
                      ) -> NDArray[np.complex128]:
    """MRS beams ``w_k = sqrt(P) a(theta_k) / ||a(theta_k)||`` (the DCET-MRS baseline and the
    feasible start of Algorithm 2).  power_w: (K,) or scalar [W], default :func:`beam_power`.
    Returns (K, N) complex."""
    p = _power(network, power_w)
    a = network.steering
    return np.sqrt(p)[:, None] * a / np.linalg.norm(a, axis=1, keepdims=True)


def max_ratio_beams(network: Network, power_w: ArrayLike | None = None
                    ) -> NDArray[np.complex128]:
    """MRT beams ``w_k = sqrt(P) h_d / ||h_d||`` with h_d the dominant left singular vector of
    ``H[l,k]`` for the BS l with the largest singular value (the DCET-MRT baseline).
    power_w: (K,) or scalar [W], default :func:`beam_power`.  Returns (K, N) complex."""
    p = _power(network, power_w)
    u, s, _ = np.linalg.svd(network.H, full_matrices=False)  # u (L,K,N,r), s (L,K,r)
    best = np.argmax(s[:, :, 0], axis=0)  # (K,)
    k = np.arange(network.n_terminals)
    h = u[best, k, :, 0]  # (K, N), unit norm
    return np.sqrt(p)[:, None] * h


def dominant_left_vectors(h: NDArray[np.complex128]
                          ) -> tuple[NDArray[np.float64], NDArray[np.complex128]]:
    """Largest squared singular value and dominant left singular vector of each matrix of ``h``
    (..., N, M), up to a phase (which no rate or SINR sees): the top eigenpair of ``h h^H``
    (N x N), a fraction of the cost of the SVD of ``h``.  Returns (...,) and (..., N) unit."""
    lam, u = np.linalg.eigh(h @ np.swapaxes(h, -1, -2).conj())
    return lam[..., -1], u[..., :, -1]


def fast_max_ratio_beams(network: Network, power_w: ArrayLike | None = None
                         ) -> NDArray[np.complex128]:
    """:func:`max_ratio_beams` up to a per-terminal phase, by :func:`dominant_left_vectors`:
    the same rates and SINRs to rounding, not the same bits (the DCET-MRT baseline keeps the
    SVD).  Returns (K, N) complex."""
    p = _power(network, power_w)
    lam, u = network._uplink_dominant  # (L, K), (L, K, N)
    best = np.argmax(lam, axis=0)
    return np.sqrt(p)[:, None] * u[best, np.arange(network.n_terminals)]


#: Margin of :func:`sensing_limited_beams` above the threshold (far inside the 1e-6 tolerance of
#: :func:`pyiscc.evaluate`, far above the rounding of the SINR).
SENSING_MARGIN = 1e-9


def sensing_limited_beams(network: Network, w: ArrayLike | None = None, *,
                          max_iter: int = 1000) -> NDArray[np.complex128]:
    """The beams ``w`` scaled to the least powers that meet every echo-SINR constraint (18e).

    The echo SINR (8) of terminal k is linear in its own power and its interference is linear in
    the others' powers, so the least powers along fixed directions are the fixed point of the
    standard interference function ``p_k <- p_k Gamma_r / gamma_k(p)`` (Yates' power control),
    reached monotonically from ``w``'s powers; a terminal whose SINR stays below the threshold at
    its power in ``w`` keeps that power (the update never raises a power above ``w``'s).

    This is the local-execution power of ``solve(net, "local",
    beamforming={"local_power": "sensing"})``: a terminal that computes locally transmits only
    what its own sensing needs (docs/model.md, "Local-execution power").

    Parameters
    ----------
    network : Network
    w : (K, N) complex, optional
        Directions and the largest powers [sqrt(W)]; default the MRS beams at
        :func:`beam_power`.
    max_iter : int
        Cap on fixed-point steps (each one :func:`pyiscc.evaluate` of the K echo SINRs).

    Returns
    -------
    (K, N) complex
        Beams with ``gamma_k >= Gamma_r (1 + 1e-9)`` wherever ``w`` allowed it.
    """
    from .metrics import check_beams  # metrics imports this module

    if not isinstance(network, Network):
        raise ValueError(f"network must be a Network, got {type(network).__name__}")
    max_iter = integer(max_iter, "max_iter", 1)
    w0 = max_sensing_beams(network) if w is None else np.array(check_beams(network, w), dtype=complex)
    p_max = np.einsum("kn,kn->k", w0.conj(), w0).real
    unit = np.divide(w0, np.sqrt(p_max)[:, None], out=np.zeros_like(w0),
                     where=p_max[:, None] > 0)
    zeros = np.zeros((network.n_bs, network.n_terminals))
    target = network.scenario.sensing_sinr * (1.0 + SENSING_MARGIN)
    p = p_max.copy()
    for _ in range(max_iter):
        echo = network.core.evaluate(np.sqrt(p)[:, None] * unit, zeros, zeros)[1]
        scale = np.divide(target, echo, out=np.ones_like(p), where=echo > 0)
        new = np.minimum(p * scale, p_max)
        if np.all(np.abs(new - p) <= 1e-13 * p):
            p = new
            break
        p = new
    return np.sqrt(p)[:, None] * unit
