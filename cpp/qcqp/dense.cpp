// The dense path of the QCQP solver: the problem scaled into one matrix T of side-by-side blocks
// (DenseScaled), its constraints, the Newton system by one Cholesky factor (or an LU of the
// augmented system when some weights are huge: DenseOps), phase I's problem, and the check in
// original units.  n = 16 runs the register kernels of kernels16.hpp.
#include <algorithm>
#include <cmath>

#include "cholesky.hpp"
#include "constants.hpp"
#include "interior_point.hpp"
#include "kernels16.hpp"
#include "qcqp.hpp"
#include "workspace.hpp"

namespace pyiscc::qcqp_detail {
namespace {

// Row i of B (b_i^T) of a view, as an Eigen expression.
Eigen::Map<const RVector, 0, Eigen::InnerStride<>> b_row(const DenseView& p, std::ptrdiff_t i) {
  return {p.B + i * p.b_row, p.n, Eigen::InnerStride<>(p.b_col)};
}

// R = the n x n blocks of T stacked vertically.
void stack_blocks(const RMatrix& T, RMatrix& R) {
  const std::ptrdiff_t n = T.rows(), nb = T.cols() / n;
  R.resize(n * nb, n);
  for (std::ptrdiff_t b = 0; b < nb; ++b) R.middleRows(b * n, n) = T.middleCols(b * n, n);
}

// The scaled problem into s: objective scale 1 / max(|P|, |q|), row i's scale
// 1 / max(|A_i|, |b_i|, |c_i|).  One read of each matrix when check_dense has measured them
// (p.absmax), two otherwise.
void scale_dense(const DenseView& p, DenseScaled& s) {
  const std::ptrdiff_t n = p.n, m = p.m;
  s.n = n;
  s.m = m;
  const bool measured = static_cast<std::ptrdiff_t>(p.absmax.size()) == m + 1;
  const double pmax = measured ? p.absmax[0] : absmax_of(p.P, n * n);
  const double omax = std::max(pmax, absmax_of(p.q, n));
  s.obj_scale = omax > 0.0 ? 1.0 / omax : 1.0;
  s.row_scale.resize(m);
  s.cs.resize(m);
  s.BT.resize(n, m);
  s.block.assign(static_cast<std::size_t>(m), -1);
  std::ptrdiff_t nblocks = 1;
  for (std::ptrdiff_t i = 0; i < m; ++i)
    if (p.quadratic(i)) s.block[static_cast<std::size_t>(i)] = nblocks++;
  s.T.resize(n, n * nblocks);
  scaled_copy(s.T.data(), p.P, s.obj_scale, n * n);
  s.qs = s.obj_scale * Eigen::Map<const RVector>(p.q, n);
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    const auto bi = b_row(p, i);
    double r = std::max(std::abs(p.c[i]), bi.cwiseAbs().maxCoeff());
    if (p.quadratic(i)) r = std::max(r, measured ? p.absmax[ui + 1] : absmax_of(p.A[ui], n * n));
    r = r > 0.0 ? 1.0 / r : 1.0;
    s.row_scale[i] = r;
    s.BT.col(i) = r * bi;
    s.cs[i] = r * p.c[i];
    if (p.quadratic(i)) scaled_copy(s.T.data() + s.block[ui] * n * n, p.A[ui], r, n * n);
  }
  if (n != kFixedOrder) stack_blocks(s.T, s.R);  // n = 16 reads T directly
}

// Phase I's problem (interior_point.hpp, phase_one) from the scaled problem s: variables (x, t),
// P = eps I on x, q = (2 eps x0, -1), rows g_i(x) - t <= 0 (the A_s,i as they are) and -t <= 1.
// Already scaled (row scales 1 keep it so).
void build_phase_one(const DenseScaled& s, const RVector& x0, DenseScaled& p) {
  const std::ptrdiff_t n = s.n, m = s.m, n1 = n + 1;
  p.n = n1;
  p.m = m + 1;
  p.obj_scale = 1.0;
  p.row_scale.setOnes(m + 1);
  p.block.assign(static_cast<std::size_t>(m + 1), -1);
  std::ptrdiff_t nblocks = 1;
  for (std::ptrdiff_t i = 0; i < m; ++i)
    if (s.block[static_cast<std::size_t>(i)] >= 0) p.block[static_cast<std::size_t>(i)] = nblocks++;
  p.T.setZero(n1, n1 * nblocks);
  p.T.topLeftCorner(n, n).diagonal().setConstant(kPhaseOneProximal);
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    if (p.block[ui] >= 0) p.T.block(0, p.block[ui] * n1, n, n) = s.T.middleCols(s.block[ui] * n, n);  // r A_i
  }
  stack_blocks(p.T, p.R);
  p.BT.setZero(n1, m + 1);
  p.BT.topLeftCorner(n, m) = s.BT;
  p.BT.row(n).setConstant(-1.0);  // g_i(x) - t <= 0 and -t <= 1
  p.cs.resize(m + 1);
  p.cs.head(m) = s.cs;
  p.cs[m] = kPhaseOneFloor;
  p.qs.setZero(n1);
  p.qs.head(n) = 2.0 * kPhaseOneProximal * x0;
  p.qs[n] = -1.0;
}

// TX = T^T x (P_s x in the first n entries, then A_s,i x per block), g(x) = x^T A_s,i x + b_s,i^T x
// - c_s,i and, optionally, the gradients 2 A_s,i x + b_s,i as the columns of JT (n x m).
// N > 0: compile-time n (= v.n), the loops unrolled.  N = 16: T is read directly (no stacked copy
// R), with coef/H the same pass forms H = sum_b coef_b (block b of T) (blocks16_apply), and the
// rows are summed in vector lanes (constraint_rows16: the same g to rounding, the same JT).
template <std::ptrdiff_t N>
void constraints_impl(const DenseScaled& v, const RVector& x, RVector& g, RMatrix* JT, RVector& TX,
                      const double* coef = nullptr, double* H = nullptr) {
  const std::ptrdiff_t n = N > 0 ? N : v.n, m = v.m;
  if constexpr (N == kFixedOrder) {
    blocks16_apply(v.T.data(), v.T.cols() / kFixedOrder, x.data(), TX.data(), coef, H);
    constraint_rows16(x.data(), TX.data(), v.BT.data(), v.block.data(), v.cs.data(), m, g.data(),
                      JT ? JT->data() : nullptr);
    return;
  }
  TX.noalias() = v.R * x;  // column-major: long contiguous columns (faster than T^T x)
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    const double* bi = v.BT.data() + i * n;
    double gi = dot(bi, x.data(), n) - v.cs[i];
    const std::ptrdiff_t blk = v.block[static_cast<std::size_t>(i)];
    if (blk >= 0) {
      const double* PYISCC_RESTRICT ax = TX.data() + blk * n;
      gi += dot(x.data(), ax, n);
      if (JT) {
        double* PYISCC_RESTRICT ji = JT->data() + i * n;
        for (std::ptrdiff_t k = 0; k < n; ++k) ji[k] = bi[k] + 2.0 * ax[k];
      }
    } else if (JT) {
      JT->col(i) = v.BT.col(i);
    }
    g[i] = gi;
  }
}

void constraints(const DenseScaled& v, const RVector& x, RVector& g, RMatrix* JT, RVector& TX) {
  if (v.n == kFixedOrder)
    constraints_impl<kFixedOrder>(v, x, g, JT, TX);
  else
    constraints_impl<0>(v, x, g, JT, TX);
}

// The dense Newton system of interior_point (the Ops contract there): reduced matrix
// 2 P + 2 sum z_i A_i + J^T W J (Cholesky), constraints with weights above kAugmentAbove in an
// augmented system (LU).
class DenseOps {
 public:
  DenseOps(const DenseScaled& v, DenseNewton& ws)
      : v_(v), ws_(ws), n_(v.n), m_(v.m), nblocks_(v.T.cols() / v.n), small_(v.n <= kSmallOrder),
        fixed_(v.n == kFixedOrder) {
    ws.TX.resize(v.T.cols());
    ws.coef.resize(nblocks_);
    ws.wm.resize(m_);
    ws.KKT.setZero(n_, n_);  // n = 16 writes only the lower triangle (and a little above)
    ws.hessian_valid = false;
    if (small_) ws.Lf.resize(n_, n_);
    if (fixed_) {  // cholesky16 writes the strict lower part of L^T into Xr: the rest stays zero
      ws.Xr.setZero(n_, n_);
      ws.dinv.resize(n_);
    }
  }
  std::ptrdiff_t n() const { return n_; }
  std::ptrdiff_t m() const { return m_; }
  const RVector& q() const { return v_.qs; }

  void jt_times(const RMatrix& JT, const RVector& z, RVector& Jz) const {
    if (fixed_) {
      jt_times16(JT.data(), m_, z.data(), Jz.data());
      return;
    }
    Jz.noalias() = JT * z;
  }

  // g(x), optionally the gradients as columns of JT, and Px2 = 2 P_s x.  n = 16: the same pass
  // over T also forms H = 2 P + 2 sum z_i A_i at z, for factor().
  void eval(const RVector& x, const RVector& z, RVector& g, RMatrix* JT, RVector& Px2) {
    if (fixed_) {
      hessian_coef(z);
      constraints_impl<kFixedOrder>(v_, x, g, JT, ws_.TX, ws_.coef.data(), ws_.KKT.data());
      ws_.hessian_z = z;
      ws_.hessian_valid = true;
    } else {
      constraints(v_, x, g, JT, ws_.TX);
    }
    Px2 = 2.0 * ws_.TX.head(n_);
  }

  // Forms and factors the Newton matrix at multipliers z, weights w = z / s; false: broke.
  bool factor(const RVector& z, const RVector& w, const RMatrix& JT) {
    RMatrix& KKT = ws_.KKT;
    // Lower triangle of KKT = 2 P + 2 sum z_i A_i + J^T W J (weights up to kAugmentAbove).
    if (fixed_ && ws_.hessian_valid && ws_.hessian_z.size() == z.size() &&
        std::equal(z.data(), z.data() + z.size(), ws_.hessian_z.data())) {
      // 2 P + 2 sum z_i A_i already in KKT, formed by eval() at this z
    } else {
      hessian_coef(z);
      if (fixed_)
        gemv_rows16(v_.T.data(), n_ * n_, nblocks_, ws_.coef.data(), KKT.data());
      else
        Eigen::Map<RVector>(KKT.data(), n_ * n_).noalias() =
            Eigen::Map<const RMatrix>(v_.T.data(), n_ * n_, nblocks_) * ws_.coef;
    }
    ws_.hessian_valid = false;
    // Constraints with weight z/s above kAugmentAbove stay in an augmented (quasi-definite)
    // system instead of being folded into H + J^T W J: folding weights ~1/eps there wipes out
    // the tangential information near a degenerate optimum (the step then stalls).
    auto& augmented = ws_.augmented;
    augmented.clear();
    for (std::ptrdiff_t i = 0; i < m_; ++i)
      if (w[i] > kAugmentAbove) augmented.push_back(i);
    na_ = static_cast<std::ptrdiff_t>(augmented.size());
    RVector& wm = ws_.wm;
    for (std::ptrdiff_t i = 0; i < m_; ++i) wm[i] = w[i] <= kAugmentAbove ? w[i] : 0.0;
    if (fixed_) {
      add_jtwj16(KKT.data(), JT.data(), wm.data(), m_);
    } else {
      for (std::ptrdiff_t i = 0; i < m_; ++i) {
        if (wm[i] == 0.0) continue;
        const double* ji = JT.data() + i * n_;
        for (std::ptrdiff_t j = 0; j < n_; ++j) axpy_from(KKT.data() + j * n_, ji, wm[i] * ji[j], j, n_);
      }
    }
    const double reg = static_regularisation(KKT.diagonal().cwiseAbs().maxCoeff());
    KKT.diagonal().array() += reg;
    if (na_ == 0) {
      return factor_with_retries(KKT, reg, true, [&]() {
        if (fixed_) return cholesky16(KKT.data(), ws_.Lf.data(), ws_.Xr.data(), ws_.dinv.data());
        if (small_) {
          ws_.Lf = KKT;
          return cholesky_lower(ws_.Lf.data(), n_);
        }
        ws_.llt.compute(KKT);  // reads the lower triangle only
        return ws_.llt.info() == Eigen::Success;
      });
    }
    RMatrix& Aug = ws_.Aug;
    Aug.resize(n_ + na_, n_ + na_);
    Aug.topLeftCorner(n_, n_) = KKT.selfadjointView<Eigen::Lower>();
    for (std::ptrdiff_t t = 0; t < na_; ++t) {
      Aug.block(0, n_ + t, n_, 1) = JT.col(augmented[static_cast<std::size_t>(t)]);
      Aug.block(n_ + t, 0, 1, n_) = JT.col(augmented[static_cast<std::size_t>(t)]).transpose();
    }
    Aug.bottomRightCorner(na_, na_).setZero();
    for (std::ptrdiff_t t = 0; t < na_; ++t) Aug(n_ + t, n_ + t) = -1.0 / w[augmented[static_cast<std::size_t>(t)]] - reg;
    ws_.lu.compute(Aug);
    return ws_.lu.matrixLU().diagonal().allFinite();
  }

  // Newton step for the residual rd and e = (z o rp - rc) / s: dx, dz = W J dx + e, Jdx = J dx.
  void solve(const RVector& rd, const RVector& e, const RVector& w, const RMatrix& JT, RVector& dx,
             RVector& dz, RVector& Jdx) {
    if (na_ == 0) {
      if (fixed_) {
        newton_solve16(ws_.Lf.data(), ws_.Xr.data(), ws_.dinv.data(), JT.data(), m_, rd.data(), e.data(),
                       w.data(), dx.data(), dz.data(), Jdx.data());
        return;
      }
      RVector& rhs = ws_.rhs;
      rhs = -rd;
      rhs.noalias() -= JT * e;
      if (small_) {
        dx = rhs;
        cholesky_solve(ws_.Lf.data(), dx.data(), n_);
      } else {
        dx = ws_.llt.solve(rhs);
      }
      Jdx.noalias() = JT.transpose() * dx;
      dz = w.cwiseProduct(Jdx) + e;
      return;
    }
    // [KKT_I  J_A^T; J_A  -W_A^{-1}] [dx; dz_A] = [-rd - J_I^T e_I; -e_A / w_A].
    const auto& augmented = ws_.augmented;
    RVector& r2 = ws_.r2;
    r2.resize(n_ + na_);
    r2.head(n_) = -rd;
    for (std::ptrdiff_t i = 0; i < m_; ++i)
      if (w[i] <= kAugmentAbove) r2.head(n_).noalias() -= e[i] * JT.col(i);
    for (std::ptrdiff_t t = 0; t < na_; ++t) {
      const std::ptrdiff_t i = augmented[static_cast<std::size_t>(t)];
      r2[n_ + t] = -e[i] / w[i];
    }
    r2 = ws_.lu.solve(r2).eval();
    dx = r2.head(n_);
    Jdx.noalias() = JT.transpose() * dx;
    dz = w.cwiseProduct(Jdx) + e;
    for (std::ptrdiff_t t = 0; t < na_; ++t) dz[augmented[static_cast<std::size_t>(t)]] = r2[n_ + t];
  }

 private:
  // coef = (2, 2 z_i per quadratic block): H = sum_b coef_b (block b of T).
  void hessian_coef(const RVector& z) {
    ws_.coef.setZero();
    ws_.coef[0] = 2.0;
    for (std::ptrdiff_t i = 0; i < m_; ++i) {
      const std::ptrdiff_t blk = v_.block[static_cast<std::size_t>(i)];
      if (blk >= 0) ws_.coef[blk] += 2.0 * z[i];
    }
  }

  const DenseScaled& v_;
  DenseNewton& ws_;
  std::ptrdiff_t n_, m_, nblocks_;
  bool small_;
  bool fixed_;  // n == kFixedOrder: the register kernels
  std::ptrdiff_t na_ = 0;
};

// g_i(x) in original units and, optionally, the gradients as columns of JT (the final check).
void original_constraints(const DenseView& p, const RVector& x, RVector& g, RMatrix* JT) {
  const std::ptrdiff_t n = p.n, m = p.m;
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    const auto bi = b_row(p, i);
    g[i] = bi.dot(x) - p.c[i];
    if (JT) JT->col(i) = bi;
    if (!p.quadratic(i)) continue;
    const Eigen::Map<const RMatrix> Ai(p.A[static_cast<std::size_t>(i)], n, n);
    if (n == kFixedOrder) {  // fixed-size product (vectorised, no per-column dispatch)
      using M16 = Eigen::Matrix<double, kFixedOrder, kFixedOrder>;
      using V16 = Eigen::Matrix<double, kFixedOrder, 1>;
      const V16 ax = Eigen::Map<const M16>(Ai.data()) * Eigen::Map<const V16>(x.data());
      g[i] += Eigen::Map<const V16>(x.data()).dot(ax);
      if (JT) JT->col(i) += 2.0 * ax;
      continue;
    }
    for (std::ptrdiff_t j = 0; j < n; ++j) {  // (A x)_j = A.col(j) . x (A symmetric)
      const double axj = Ai.col(j).dot(x);
      g[i] += x[j] * axj;
      if (JT) (*JT)(j, i) += 2.0 * axj;
    }
  }
}

// The dense path for solve_two_phase (the Path contract in interior_point.hpp).
class DensePath {
 public:
  DensePath(const DenseView& p, QcqpWorkspace::Impl& ws) : p_(p), ws_(ws) {}
  std::ptrdiff_t n() const { return p_.n; }
  std::ptrdiff_t m() const { return p_.m; }
  QcqpWorkspace::Impl& workspace() { return ws_; }
  DenseOps ops() { return DenseOps(ws_.dense, ws_.dense_newton); }
  DenseOps phase_one_ops(const RVector& x0, QcqpWorkspace::Impl& pw) {
    build_phase_one(ws_.dense, x0, pw.dense);
    return DenseOps(pw.dense, pw.dense_newton);
  }
  void scaled_constraints(const RVector& x, RVector& g) {
    ws_.dense_newton.TX.resize(ws_.dense.T.cols());
    constraints(ws_.dense, x, g, nullptr, ws_.dense_newton.TX);
  }
  double row_scale(std::ptrdiff_t i) const { return ws_.dense.row_scale[i]; }
  double obj_scale() const { return ws_.dense.obj_scale; }
  void original_constraints(const RVector& x, RVector& g, RMatrix* JT) const {
    qcqp_detail::original_constraints(p_, x, g, JT);
  }
  void apply_P(const RVector& x, RVector& Px) const {
    Px.noalias() = Eigen::Map<const RMatrix>(p_.P, p_.n, p_.n) * x;
  }
  Eigen::Map<const RVector> q() const { return {p_.q, p_.n}; }

 private:
  const DenseView& p_;
  QcqpWorkspace::Impl& ws_;
};

// v = the view of a QcqpProblem (pointers into its matrices).
void view_of(const QcqpProblem& p, DenseView& v) {
  v.n = p.n();
  v.m = p.m();
  v.P = p.P.data();
  v.q = p.q.data();
  v.A.resize(static_cast<std::size_t>(v.m));
  for (std::ptrdiff_t i = 0; i < v.m; ++i)
    v.A[static_cast<std::size_t>(i)] = p.quadratic(i) ? p.A[static_cast<std::size_t>(i)].data() : nullptr;
  v.B = p.B.data();
  v.b_row = 1;  // column-major (m, n)
  v.b_col = p.B.rows();
  v.c = p.c.data();
  v.absmax.clear();
}

}  // namespace

void solve_dense(const DenseView& problem, const double* x0, const QcqpSettings& settings,
                 QcqpWorkspace::Impl& ws, QcqpResult& result) {
  scale_dense(problem, ws.dense);
  DensePath path(problem, ws);
  solve_two_phase(path, x0, settings, result);
}

}  // namespace pyiscc::qcqp_detail

namespace pyiscc {

void solve_qcqp(const QcqpProblem& problem, const double* x0, const QcqpSettings& settings,
                QcqpWorkspace& ws, QcqpResult& result) {
  QcqpWorkspace::Impl& w = ws.impl();
  qcqp_detail::view_of(problem, w.view);
  qcqp_detail::solve_dense(w.view, x0, settings, w, result);
}

}  // namespace pyiscc
