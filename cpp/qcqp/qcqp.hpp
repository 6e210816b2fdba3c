// Convex QCQP solver: a primal-dual interior-point method on Eigen (docs/algorithms.md).
//
//   maximise    q^T x - x^T P x
//   subject to  x^T A_i x + b_i^T x <= c_i,   i = 0..m-1
//
// P and every A_i symmetric positive semidefinite (A_i = 0: a linear constraint).  Sizes are
// dynamic: the per-terminal sub-problem of Algorithm 2 (2N variables, K+1 constraints) and the
// centralised joint problem of CCET-ISCC (2KN variables, 2K constraints) use the same code.
// Joint problems whose P and A_i are block-diagonal (K blocks of one size, plus a few "tail"
// variables) have a structured path (BlockQcqpProblem): same method, same stopping rules, Newton
// steps by block Cholesky and a small capacitance system instead of one dense factor.
//
// The public API of cpp/qcqp/.  The implementation, for a reader:
//   interior_point.hpp  the method: the iteration (interior_point, over an `Ops` that forms and
//                       solves the Newton system), phase I and the two-phase solve with its check
//   dense.cpp           the dense path: scaling, constraints, DenseOps (one Cholesky / LU)
//   block.cpp           the block path: BlockOps (block Cholesky + capacitance system)
//   kernels16.hpp       the n = 16 register kernels of the dense path
//   cholesky.hpp        Cholesky factor, triangular solves, factor_with_retries
//   checks.cpp          validation of caller-supplied problems (the one place that throws)
//   qcqp.cpp            solve_qcqp(QcqpArguments): the arrays of a Python call -> checked problem
//   workspace.hpp       the workspace's buffers; constants.hpp: every tuning constant
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <vector>

#include "common.hpp"

namespace pyiscc {

// The dense problem, owning its matrices (built in C++: Algorithm 2's sub-problems).
struct QcqpProblem {
  RMatrix P;                      // (n,n) PSD
  RVector q;                      // (n,)
  std::vector<RMatrix> A;         // m matrices (n,n) PSD; an empty (0x0) matrix means A_i = 0
  RMatrix B;                      // (m,n): row i is b_i^T
  RVector c;                      // (m,)
  std::ptrdiff_t n() const { return q.size(); }
  std::ptrdiff_t m() const { return c.size(); }
  bool quadratic(std::ptrdiff_t i) const { return A[static_cast<std::size_t>(i)].size() != 0; }
};

// The same problem with P and every A_i block-diagonal: K = blocks diagonal blocks of order
// nb = block_size on the first K nb variables, then one dense block on the r = n - K nb "tail"
// variables.  Entries outside these blocks are zero by construction (nothing else is stored); the
// linear terms b_i are dense.  Block k of A_i may be zero (skipped); A_i = 0 makes row i linear.
struct BlockQcqpProblem {
  std::ptrdiff_t block_size = 0;  // nb >= 1
  std::ptrdiff_t blocks = 0;      // K >= 1
  RMatrix P;        // (nb, K nb): block k of P in columns [k nb, (k + 1) nb)
  RMatrix P_tail;   // (r, r)
  RVector q;        // (n,)
  RMatrix A;        // (nb, m K nb): block k of A_i in columns [(i K + k) nb, (i K + k + 1) nb);
                    // or, when A_index is given, (nb, nnz nb): only the blocks listed there
  // Optional sparse form of A: block t of A (columns [t nb, (t + 1) nb)) is block k of A_i with
  // A_index[t] = i K + k, strictly increasing; unlisted blocks are zero.  Empty: A is dense.
  std::vector<std::ptrdiff_t> A_index;
  RMatrix A_tail;   // (r, m r): tail block of A_i in columns [i r, (i + 1) r)
  RMatrix B;        // (m, n): row i is b_i^T
  RVector c;        // (m,)
  std::ptrdiff_t n() const { return q.size(); }
  std::ptrdiff_t m() const { return c.size(); }
  std::ptrdiff_t tail() const { return n() - blocks * block_size; }
};

// The user-facing settings; the method's internal constants are in constants.hpp.
struct QcqpSettings {
  int max_iter = 100;         // Newton iterations per phase
  double tol = 1e-9;          // relative KKT tolerance (scaled problem)
  double feas_tol = 1e-9;     // infeasibility verdict: phase-I optimum above this (scaled units)
};

enum class QcqpStatus { optimal, infeasible, max_iter, numerical_error };
const char* status_name(QcqpStatus s);  // "optimal", "infeasible", "max_iter", "numerical_error"

struct QcqpResult {
  QcqpStatus status = QcqpStatus::numerical_error;
  RVector x;                  // (n,) the returned point (always checked, see residuals)
  RVector z;                  // (m,) multipliers of the constraints (original units)
  double objective = 0.0;     // q^T x - x^T P x
  double primal_residual = 0; // max_i max(g_i(x), 0), original units
  double dual_residual = 0;   // ||2 P x - q + sum_i z_i (2 A_i x + b_i)||_inf, original units
  double complementarity = 0; // max_i z_i |g_i(x)|, original units
  int iterations = 0;         // Newton iterations, both phases
  int phase1_iterations = 0;  // of which in phase I (0 when x0 was feasible)
  double phase1_value = 0.0;  // phase-I optimum max_i g_i / scale_i (infeasibility margin)
  std::vector<std::ptrdiff_t> violated;  // infeasible: constraints positive at the phase-I point
};

// Buffers of solve_qcqp, reusable across calls: once sized for a problem shape, a solve of that
// shape allocates nothing.  Not shareable between threads (one per thread).  Opaque: its buffers
// are described in workspace.hpp.
struct QcqpWorkspace {
  struct Impl;
  QcqpWorkspace();
  ~QcqpWorkspace();
  QcqpWorkspace(QcqpWorkspace&&) noexcept;
  QcqpWorkspace& operator=(QcqpWorkspace&&) noexcept;
  Impl& impl();  // created on first use

 private:
  std::unique_ptr<Impl> impl_;
};

// Solves a problem built in C++ (trusted: sizes consistent, entries finite, P and A_i symmetric;
// not checked).  x0 (may be nullptr): starting point; when it is feasible phase I is skipped.  The
// caller's workspace and result are reused: no allocation for a repeated shape.  PSD is the
// caller's promise: a non-PSD input ends in numerical_error or max_iter, never in a wrong optimum.
void solve_qcqp(const QcqpProblem& problem, const double* x0, const QcqpSettings& settings,
                QcqpWorkspace& ws, QcqpResult& result);

// The block-structured path: the same statuses, stopping rules, phase I and checked return as
// the dense path, with Newton steps in O(K nb^3 + m K nb^2 + m^2 n) instead of O(n^3 + m n^2).
void solve_qcqp(const BlockQcqpProblem& problem, const double* x0, const QcqpSettings& settings,
                QcqpWorkspace& ws, QcqpResult& result);

// One array argument as a caller outside C++ holds it: C-contiguous (row-major) float64 data and
// its shape.  data == nullptr: not given (only x0 may be).
struct QcqpArray {
  static constexpr int kMaxDims = 4;
  const double* data = nullptr;
  int ndim = 0;
  std::array<std::ptrdiff_t, kMaxDims> shape{};  // the first min(ndim, kMaxDims) extents
};

// The arguments of pyiscc.qcqp.solve_qcqp, read in place (they must not change during the call).
//   P: (n, n), or (K, nb, nb) with block_size = nb, n = K nb     q: (n,)
//   A: (m, n, n), or (m, K, nb, nb) with block_size = nb          b: (m, n)     c: (m,)
//   x0: (n,) or not given;  block_size: 0 the dense path, else the order of P's and A_i's
//   diagonal blocks (dense P / A are then checked to be zero outside the blocks).
struct QcqpArguments {
  QcqpArray P, q, A, b, c, x0;
  long long max_iter = 100;
  double tol = 1e-9;
  std::ptrdiff_t block_size = 0;
};

// The boundary for problems from outside C++: checks every argument (shapes, finiteness,
// symmetry, max_iter >= 1, tol in (0, 1), block_size in [0, n] and the block structure) and
// throws std::invalid_argument whose message starts with the argument's name ("P: must be
// symmetric"); then solves (settings.tol = settings.feas_tol = tol).
void solve_qcqp(const QcqpArguments& args, QcqpWorkspace& ws, QcqpResult& result);

}  // namespace pyiscc
