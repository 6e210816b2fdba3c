// The solver's internal problem forms and the workspace's buffers (QcqpWorkspace::Impl).
// Internal to cpp/qcqp/.
//
// A problem goes through two forms on its way to the iteration:
//   DenseView    the dense problem read in place (the caller's arrays or a QcqpProblem's
//                matrices, no copy); BlockQcqpProblem is the block path's input as it is;
//   DenseScaled / BlockScaled   the problem the interior-point method iterates on: objective and
//                rows scaled to O(1) coefficients, laid out for that path's Newton system.
// Phase I's problem (n + 1 variables, m + 1 rows) is a DenseScaled / BlockScaled of its own, in
// the workspace's `phase1` workspace.
#pragma once

#include <memory>
#include <vector>

#include "qcqp.hpp"

namespace pyiscc::qcqp_detail {

// The dense problem read in place from the caller's buffers.  P and every A_i are symmetric, so
// a row-major and a column-major buffer read alike.
struct DenseView {
  std::ptrdiff_t n = 0, m = 0;
  const double* P = nullptr;     // (n, n)
  const double* q = nullptr;     // (n,)
  std::vector<const double*> A;  // m pointers to (n, n) buffers; nullptr: A_i = 0 (linear row)
  const double* B = nullptr;     // b_i[j] at B[i * b_row + j * b_col]
  std::ptrdiff_t b_row = 0, b_col = 1;
  const double* c = nullptr;     // (m,)
  // max |P|, then max |A_i| for each i (m + 1 entries), when check_dense has computed them on the
  // way; empty: the solver computes them.
  std::vector<double> absmax;
  bool quadratic(std::ptrdiff_t i) const { return A[static_cast<std::size_t>(i)] != nullptr; }
};

// The dense problem as the interior-point method sees it, scaled:  P_s = obj_scale P,
// q_s = obj_scale q, A_s,i = r_i A_i, b_s,i = r_i b_i, c_s,i = r_i c_i (r_i = row_scale[i]).  P_s
// and the A_s,i of the quadratic constraints sit side by side in T = [P_s A_s,i0 A_s,i1 ...]
// (n x n (1 + m_q)): all the products A_s,i x are one matrix-vector product T^T x (the blocks
// are symmetric), and 2 P_s + 2 sum z_i A_s,i is another, T viewed as (n^2 x (1 + m_q)) times
// the coefficients.
struct DenseScaled {
  std::ptrdiff_t n = 0, m = 0;
  double obj_scale = 1.0;
  RVector row_scale;                // (m,)
  RMatrix T;                        // (n, n (1 + m_q))
  RMatrix R;                        // (n (1 + m_q), n): T's blocks stacked (not formed at n = 16)
  std::vector<std::ptrdiff_t> block;  // (m,) block of A_s,i in T (>= 1), -1: a linear row
  RMatrix BT;                       // (n, m) b_s,i as columns
  RVector cs;                       // (m,) c_s
  RVector qs;                       // (n,) q_s
};

// The block problem scaled (the dense path's scale factors), with P and the A_i stored block by
// block, and the sparsity of the rows: the nonzero blocks of each A_i and the blocks its
// gradient 2 A_i x + b_i can touch.
struct BlockScaled {
  std::ptrdiff_t nb = 0, K = 0, r = 0, n = 0, m = 0;
  double obj_scale = 1.0;
  RVector row_scale;
  RMatrix PB, PT;  // (nb, K nb), (r, r)
  RMatrix AT;      // (r, m r) scaled tail blocks
  // The nonzero blocks of the A_i in CSR order, read in place from the caller's problem:
  // block t is bscale[t] * (the nb x nb column-major block at Asrc[t]).  No scaled copy (at
  // K = 1000 the feasibility phase of Algorithm 2 has 10^6 nonzero 16 x 16 blocks, 2 GB).
  std::vector<const double*> Asrc;
  std::vector<double> bscale;
  // scale_block's scratch: block k of A_i in the caller's problem, dense or sparse form, at
  // i K + k (nullptr: not stored, i.e. zero).
  std::vector<const double*> Ain;
  RMatrix BT;      // (n, m) b_s,i as columns
  RVector cs, qs;
  std::vector<std::ptrdiff_t> nz_start, nz_block;  // CSR: the nonzero blocks of A_i
  std::vector<char> tail_nz;                        // A_i has a nonzero tail block
  // Support of the gradient of row i: one block k in [0, K), K: the tail only, kEmptyRow: no
  // variable (a constant row), kCouplingRow: several blocks.
  std::vector<std::ptrdiff_t> local;
  // Block t of the CSR lists (row i's blocks are t in [nz_start[i], nz_start[i + 1]), block
  // column nz_block[t]): its unscaled data and its scale.
  const double* Az(std::ptrdiff_t t) const { return Asrc[static_cast<std::size_t>(t)]; }
  double Ascale(std::ptrdiff_t t) const { return bscale[static_cast<std::size_t>(t)]; }
};
constexpr std::ptrdiff_t kEmptyRow = -2, kCouplingRow = -1;

// The state of interior_point and what it returns.
struct IterateBuffers {
  RVector s, z;                  // (m,) slacks and multipliers (x is the caller's)
  RVector g;                     // (m,) g(x), scaled
  RMatrix JT;                    // (n, m) gradients of the g_i as columns
  RVector Px;                    // (n,) 2 P_s x
  RVector Jz;                    // (n,) J^T z
  RVector w;                     // (m,) z / s
  RVector rd, rp, rc, e;         // residuals: dual (n,), primal g + s, complementarity target, and
                                 // e = (z o rp - rc) / s (m,)
  RVector dx, ds, dz;            // the step (corrector)
  RVector dx_a, ds_a, dz_a;      // the affine-scaling (predictor) step
  RVector Jdx;                   // (m,) J dx
  RVector best_x, best_s, best_z;  // the point with the best merit seen: the answer
  // polish_multipliers: the active rows, their gradients, and the refitted multipliers.
  std::vector<std::ptrdiff_t> active;
  RMatrix JA;
  Eigen::ColPivHouseholderQR<RMatrix> qr;
  RVector zp, rdp;
};

// DenseOps' buffers: the Newton matrix and its factors.
struct DenseNewton {
  RVector TX;       // T^T x: P_s x, then A_s,i x per block
  RVector coef;     // (1 + m_q) coefficients of H = sum_b coef_b (block b of T)
  RMatrix KKT;      // (n, n) lower triangle of H + J^T W J (+ static regularisation)
  RVector hessian_z;  // the z at which eval() formed H in KKT (n = 16), valid when hessian_valid
  bool hessian_valid = false;
  RVector wm;       // (m,) the weights folded into KKT (0: an augmented row)
  RMatrix Lf;       // (n, n) its Cholesky factor (n <= kSmallOrder)
  RMatrix Xr;       // (n, n) n = 16: L^T without its diagonal (cholesky16)
  RVector dinv;     // (n,) n = 16: 1 / diag(L)
  Eigen::LLT<RMatrix> llt;  // n > kSmallOrder
  std::vector<std::ptrdiff_t> augmented;  // rows with weight above kAugmentAbove
  RMatrix Aug;      // [KKT  J_A^T; J_A  -W_A^{-1}] when there are such rows
  Eigen::PartialPivLU<RMatrix> lu;
  RVector rhs, r2;  // right-hand sides (reduced, augmented)
};

// BlockOps' buffers.  Rows in `cap` (gradients across several blocks, or weights above
// kAugmentAbove) stay in the capacitance system; the others are folded into their block of H'.
struct BlockNewton {
  RMatrix H, L;   // (nb, K nb): H' = 2 P + 2 sum z_i A_i + folded rows + reg, and its Cholesky factors
  RMatrix HT;     // (r, r) tail block of H'
  std::vector<std::ptrdiff_t> cap;
  RVector cdiag;  // (mc,) 1 / w_i (+ reg for the augmented rows)
  RMatrix V;      // (K nb, mc) L^{-1} J_C^T (block by block)
  RMatrix NC;     // (mc, mc) diag(cdiag) + V^T V
  RMatrix JCT;    // (mc, r) tail columns of the capacitance rows
  RMatrix G, ST;  // (mc, r) L_N^{-1} J_CT, (r, r) H_T' + G^T G
  Eigen::LLT<RMatrix> llt_c, llt_t;
  RVector ef, rhs, rz, u, dzc, y, t1, res_x, res_z, ddx, ddz;  // solve() and its refinement
  RVector ax;     // block_eval's scratch (A_i x on one block)
};

}  // namespace pyiscc::qcqp_detail

namespace pyiscc {

struct QcqpWorkspace::Impl {
  // The problem: the dense path's view (of a QcqpProblem or of a call's arrays), or the block
  // path's copy of a call's arrays (solve_qcqp(QcqpArguments)).
  qcqp_detail::DenseView view;
  BlockQcqpProblem block_input;
  // The scaled problem of each path, and the iteration's buffers.
  qcqp_detail::DenseScaled dense;
  qcqp_detail::BlockScaled block;
  qcqp_detail::IterateBuffers it;
  qcqp_detail::DenseNewton dense_newton;
  qcqp_detail::BlockNewton block_newton;
  // solve_two_phase: the start (then the answer), g at it, phase II's iterate.
  RVector start, g, x;
  // Phase I's problem and buffers (created on first use).
  std::unique_ptr<Impl> phase1;
};

}  // namespace pyiscc

namespace pyiscc::qcqp_detail {

// The two paths, called by solve_qcqp (dense.cpp, block.cpp) and by the array entry point
// (qcqp.cpp) on a checked problem.
void solve_dense(const DenseView& problem, const double* x0, const QcqpSettings& settings,
                 QcqpWorkspace::Impl& ws, QcqpResult& result);
void solve_block(const BlockQcqpProblem& problem, const double* x0, const QcqpSettings& settings,
                 QcqpWorkspace::Impl& ws, QcqpResult& result);

// The checks of checks.cpp (std::invalid_argument naming the argument).  check_dense also
// completes the view: absmax is filled and an all-zero A_i is dropped (A[i] = nullptr).
void check_dense(DenseView& problem);
void check_block(const BlockQcqpProblem& problem);
// One pass over a symmetric n x n buffer (either storage order): absmax = max |M|; returns 0 if
// every entry is finite and |M - M^T| <= kSymmetryTol max |M| entry-wise, 1 on a NaN or inf, 2
// if not symmetric.
int check_matrix(const double* M, std::ptrdiff_t n, double& absmax);

}  // namespace pyiscc::qcqp_detail
