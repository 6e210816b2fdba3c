// Dense convex QCQP solver: a primal-dual interior-point method on Eigen (docs/algorithms.md).
//
//   maximise    q^T x - x^T P x
//   subject to  x^T A_i x + b_i^T x <= c_i,   i = 0..m-1
//
// P and every A_i symmetric positive semidefinite (A_i = 0: a linear constraint).  Sizes are
// dynamic: the per-terminal sub-problem of Algorithm 2 (2N variables, K+1 constraints) and the
// centralised joint problem of CCET-ISCC (2KN variables, 2K constraints) use the same code.
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
  RMatrix T, R, BT;  // R: the blocks of T stacked vertically
  std::vector<std::ptrdiff_t> block;
  RVector row_scale, cs, qs;
  // Interior-point iteration.
  RVector x, best_x, best_s, best_z, start, gfin, coef, TX;
  RVector g, s, z, w, wm, rd, rp, rhs, dx, ds, dz, dx_a, ds_a, dz_a, rc, e, Px, Jz, Jdx, zp, rdp, r2;
  RMatrix JT, KKT, Lf, Aug, JA;
  std::vector<std::ptrdiff_t> active;
  Eigen::LLT<RMatrix> llt;
  Eigen::PartialPivLU<RMatrix> lu;
  Eigen::ColPivHouseholderQR<RMatrix> qr;
  std::unique_ptr<QcqpWorkspace> phase1;  // buffers of the phase-I problem (n + 1 variables)
};

// Validates sizes and finiteness (std::invalid_argument naming the field); PSD is the caller's
// promise (a non-PSD input ends in numerical_error, never in a wrong "optimal").
void check_qcqp(const QcqpProblem& problem);

// Solves the problem.  x0 (may be nullptr): starting point; when it is feasible phase I is skipped.
// Uses a per-thread workspace.
QcqpResult solve_qcqp(const QcqpProblem& problem, const double* x0, const QcqpSettings& settings);

// The same with the caller's workspace and result (reused: no allocation for a repeated shape).
void solve_qcqp(const QcqpProblem& problem, const double* x0, const QcqpSettings& settings,
                QcqpWorkspace& ws, QcqpResult& result);

}  // namespace pyiscc
