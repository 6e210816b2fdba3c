"""Convex QCQP solver (C++ primal-dual interior-point method), the engine of Algorithm 2's
per-terminal sub-problems and of the centralised CCET-ISCC baseline: a dense path, and a
block-structured path for block-diagonal P and A_i (``block_size``).  See docs/algorithms.md."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core

__all__ = ["QcqpResult", "STATUSES", "solve_qcqp"]

#: Every status :func:`solve_qcqp` can return.
STATUSES = ("optimal", "infeasible", "max_iter", "numerical_error")


@dataclass(frozen=True, eq=False)
class QcqpResult:
    """Outcome of :func:`solve_qcqp`; every number is computed on the returned point.

    Attributes
    ----------
    status : str
        ``"optimal"`` (KKT conditions met to ``tol`` on the scaled problem and re-checked),
        ``"infeasible"`` (phase I ended with ``max_i g_i > tol`` in scaled units),
        ``"max_iter"`` or ``"numerical_error"``.
    x : (n,) float
        The returned point (for ``infeasible``: the phase-I point, least violating).
    z : (m,) float
        Multipliers of the constraints (>= 0).
    objective : float
        ``q^T x - x^T P x`` at ``x``.
    primal_residual : float
        ``max_i max(g_i(x), 0)``, ``g_i(x) = x^T A_i x + b_i^T x - c_i``.
    dual_residual : float
        ``||q - 2 P x - sum_i z_i (2 A_i x + b_i)||_inf`` (stationarity).
    complementarity : float
        ``max_i z_i |g_i(x)|``.
    iterations : int
        Newton iterations of both phases.
    phase1_iterations : int
        Of which in phase I (0 when ``x0`` was feasible).
    phase1_value : float
        ``max_i g_i(x) / scale_i`` at the phase-I point (> 0: infeasible by that margin).
    violated : tuple of int
        For ``infeasible``: the constraints still violated at the phase-I point.
    """

    status: str
    x: NDArray[np.float64]
    z: NDArray[np.float64]
    objective: float
    primal_residual: float
    dual_residual: float
    complementarity: float
    iterations: int
    phase1_iterations: int
    phase1_value: float
    violated: tuple[int, ...]


def solve_qcqp(P: ArrayLike, q: ArrayLike, A: ArrayLike, b: ArrayLike, c: ArrayLike, *,
               x0: ArrayLike | None = None, max_iter: int = 100, tol: float = 1e-9,
               block_size: int | None = None) -> QcqpResult:
    """Solve ``maximise q^T x - x^T P x`` subject to ``x^T A_i x + b_i^T x <= c_i, i = 0..m-1``.

    Parameters
    ----------
    P : (n, n) float, or (K, nb, nb) with ``block_size=nb`` and ``n = K nb``
        Symmetric (checked, relative 1e-12) positive semidefinite (the caller's promise: a
        non-PSD input ends in ``numerical_error`` or ``max_iter``, never in a wrong optimum).
    q : (n,) float
    A : (m, n, n) float, or (m, K, nb, nb) with ``block_size=nb`` and ``n = K nb``
        Symmetric positive semidefinite; an all-zero ``A[i]`` makes constraint i linear.
    b : (m, n) float
    c : (m,) float
    x0 : (n,) float, optional
        Starting point; when it is feasible, phase I is skipped.
    max_iter : int
        Newton iterations per phase.
    tol : float
        Relative tolerance of the KKT conditions on the internally scaled problem.
    block_size : int, optional
        Declares P and every A_i block-diagonal: ``K = n // nb`` diagonal blocks of order ``nb``,
        then one block on the last ``n - K nb`` variables.  Selects the structured path (block
        Cholesky and an m x m capacitance system: O(K nb^3 + m K nb^2 + m^2 n) per Newton step
        instead of O(n^3 + m n^2)); the same statuses, stopping rules and checks as the dense
        path, and the same answer to the solver tolerance.  Dense ``P``/``A`` are checked: an
        entry outside the blocks that is not exactly zero raises ``ValueError``.  The block
        forms of ``P`` and ``A`` avoid the dense arrays altogether.  Each diagonal block of
        ``2 P + 2 sum_i z_i A_i`` should be positive definite for z > 0 (e.g. a power ball on
        every block); a singular block costs accuracy, which the returned checks then report.

    Returns
    -------
    QcqpResult
    """
    # Every value is checked in C++ (shapes, finiteness, symmetry, the block structure, max_iter
    # >= 1, tol in (0, 1), block_size <= n: ValueError naming the parameter).  Here only what the
    # conversion there cannot see: complex data that is not an ndarray (a list of complex
    # numbers), a scalar c, Python types (a bool max_iter; None selects the dense path, so
    # block_size 0 is not accepted here).  The common case (ndarrays, int max_iter, float tol, no
    # block_size) costs a few type tests: users embed this facade and call it once per sub-problem.
    nd = np.ndarray
    if not (type(P) is nd and type(q) is nd and type(A) is nd and type(b) is nd and type(c) is nd
            and (x0 is None or type(x0) is nd)):
        for name, value in (("P", P), ("q", q), ("A", A), ("b", b), ("c", c), ("x0", x0)):
            if type(value) is not nd and value is not None and np.iscomplexobj(value):
                raise ValueError(f"{name}: must be real, got a complex array")
    if (c.ndim if type(c) is nd else np.ndim(c)) == 0:
        c = np.atleast_1d(c)
    if type(max_iter) is not int and (isinstance(max_iter, bool)
                                      or not isinstance(max_iter, (int, np.integer))):
        raise ValueError(f"max_iter: must be an integer >= 1, got {max_iter!r}")
    if type(tol) is not float and (isinstance(tol, bool) or not isinstance(tol, (int, float, np.number))
                                   or np.iscomplexobj(tol)):
        raise ValueError(f"tol: must be a number in (0, 1), got {tol!r}")
    if block_size is None:
        block_size = 0
    elif isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) or block_size < 1:
        raise ValueError(f"block_size: must be an integer >= 1, got {block_size!r}")
    out = _core.solve_qcqp(P, q, A, b, c, x0, int(max_iter), float(tol), int(block_size))
    # The dict holds exactly the fields; filling __dict__ skips the frozen dataclass's per-field
    # object.__setattr__ (3 us of a ~20 us call).
    res = object.__new__(QcqpResult)
    res.__dict__.update(out)
    return res
