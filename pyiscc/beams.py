"""Reference beamformers: maximal-ratio sensing (MRS) and transmission (MRT), DESIGN.md section 2."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import numeric
from .network import Network

__all__ = ["beam_power", "max_sensing_beams", "max_ratio_beams"]


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
