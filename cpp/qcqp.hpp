// Dense convex QCQP solver: a primal-dual interior-point method on Eigen (docs/algorithms.md).
//
//   maximise    q^T x - x^T P x
//   subject to  x^T A_i x + b_i^T x <= c_i,   i = 0..m-1
//
// P and every A_i symmetric positive semidefinite (A_i = 0: a linear constraint).  Sizes are
// dynamic: the per-terminal sub-problem of Algorithm 2 (2N variables, K+1 constraints) and the
// centralised joint problem of CCET-ISCC (2KN variables, 2K constraints) use the same code.
// Joint problems whose P and A_i are block-diagonal (K blocks of one size, plus a few "tail"
// variables) have a structured entry point (BlockQcqpProblem): same method, same stopping rules,
// Newton steps by block Cholesky and a small capacitance system instead of one dense factor.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common.hpp"

namespace pyiscc {

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

// The dense problem read in place from the caller's buffers, without a copy: what the Python
// binding hands over (NumPy arrays), and how solve_qcqp reads a QcqpProblem.  P and every A_i are
// symmetric, so a row-major and a column-major buffer read alike.
struct QcqpProblemView {
  std::ptrdiff_t n = 0, m = 0;
  const double* P = nullptr;     // (n, n)
  const double* q = nullptr;     // (n,)
  std::vector<const double*> A;  // m pointers to (n, n) buffers; nullptr: A_i = 0 (linear row)
  const double* B = nullptr;     // b_i[j] at B[i * b_row + j * b_col]
  std::ptrdiff_t b_row = 0, b_col = 1;
  const double* c = nullptr;     // (m,)
  // max |P|, then max |A_i| for each i (m + 1 entries), when check_qcqp has computed them on the
  // way; empty: the solver computes them.
  std::vector<double> absmax;
  bool quadratic(std::ptrdiff_t i) const { return A[static_cast<std::size_t>(i)] != nullptr; }
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

struct QcqpSettings {
  int max_iter = 100;         // Newton iterations per phase
  double tol = 1e-9;          // relative KKT tolerance (scaled problem)
  double feas_tol = 1e-9;     // infeasibility verdict: phase-I optimum above this (scaled units)
};

enum class QcqpStatus { optimal, infeasible, max_iter, numerical_error };
const char* status_name(QcqpStatus s);

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
// shape allocates nothing.  Not shareable between threads (one per thread).  Members are internal.
struct QcqpWorkspace {
  // The scaled problem (see qcqp.cpp): T = [P_s A_s,i ...], block of each constraint in T,
  // b_s,i as columns of BT, c_s, q_s, and the scale factors.
  double obj_scale = 1.0;
  RMatrix T, R, BT;  // R: the blocks of T stacked vertically (not formed for n = 16)
  std::vector<std::ptrdiff_t> block;
  RVector row_scale, cs, qs;
  // Interior-point iteration.
  RVector x, best_x, best_s, best_z, start, gfin, coef, TX, dinv;
  RVector g, s, z, w, wm, rd, rp, rhs, dx, ds, dz, dx_a, ds_a, dz_a, rc, e, Px, Jz, Jdx, zp, rdp, r2;
  RMatrix JT, KKT, Lf, Aug, JA, Xr;  // Xr: L^T without its diagonal (n = 16)
  std::vector<std::ptrdiff_t> active;
  Eigen::LLT<RMatrix> llt;
  Eigen::PartialPivLU<RMatrix> lu;
  Eigen::ColPivHouseholderQR<RMatrix> qr;
  std::unique_ptr<QcqpWorkspace> phase1;  // buffers of the phase-I problem (n + 1 variables)
  QcqpProblemView view;                   // solve_qcqp(QcqpProblem): the problem's view
  // Block-structured path (see qcqp.cpp, BlockData / BlockOps): the scaled problem and the factors.
  struct BlockData;
  struct BlockFactor;
  std::unique_ptr<BlockData> bdata;
  std::unique_ptr<BlockFactor> bfactor;
  QcqpWorkspace();
  ~QcqpWorkspace();
  QcqpWorkspace(QcqpWorkspace&&) noexcept;
  QcqpWorkspace& operator=(QcqpWorkspace&&) noexcept;
};

// Validates sizes, finiteness and symmetry (std::invalid_argument naming the field); PSD is the
// caller's promise (a non-PSD input ends in numerical_error, never in a wrong "optimal").
void check_qcqp(const QcqpProblem& problem);

// The same checks on a view (each matrix read once), which they also complete: absmax is filled
// and an all-zero A_i is dropped (A[i] = nullptr: a linear row).
void check_qcqp(QcqpProblemView& problem);

// Solves the problem.  x0 (may be nullptr): starting point; when it is feasible phase I is skipped.
// Uses a per-thread workspace.
QcqpResult solve_qcqp(const QcqpProblem& problem, const double* x0, const QcqpSettings& settings);

// The same with the caller's workspace and result (reused: no allocation for a repeated shape).
void solve_qcqp(const QcqpProblem& problem, const double* x0, const QcqpSettings& settings,
                QcqpWorkspace& ws, QcqpResult& result);

// The same on a view of the caller's buffers (read in place; they must not change during the call).
void solve_qcqp(const QcqpProblemView& problem, const double* x0, const QcqpSettings& settings,
                QcqpWorkspace& ws, QcqpResult& result);

// Validates the block problem's sizes, finiteness and block symmetry (std::invalid_argument).
void check_qcqp(const BlockQcqpProblem& problem);

// The block-structured path: the same statuses, stopping rules, phase I and checked return as
// the dense solve_qcqp, with Newton steps in O(K nb^3 + m K nb^2 + m^2 n) instead of O(n^3 + m n^2).
QcqpResult solve_qcqp(const BlockQcqpProblem& problem, const double* x0, const QcqpSettings& settings);
void solve_qcqp(const BlockQcqpProblem& problem, const double* x0, const QcqpSettings& settings,
                QcqpWorkspace& ws, QcqpResult& result);

}  // namespace pyiscc
