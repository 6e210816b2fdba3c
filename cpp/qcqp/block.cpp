// The block path of the QCQP solver, for block-diagonal P and A_i (BlockQcqpProblem): the scaled
// problem block by block with the rows' sparsity (BlockScaled), its constraints, the Newton
// system by block Cholesky and a capacitance system (BlockOps), phase I's problem, and the check
// in original units.  Same scale factors, statuses, stopping rules and phase I as the dense path.
#include <algorithm>
#include <cmath>

#include "cholesky.hpp"
#include "constants.hpp"
#include "interior_point.hpp"
#include "qcqp.hpp"
#include "workspace.hpp"

namespace pyiscc::qcqp_detail {
namespace {

using CMap = Eigen::Map<const RMatrix>;

// d.nz_*, d.tail_nz and d.local from BT, AT and nonzero(i, k) (block k of A_i is nonzero; called
// for increasing i, and increasing k within each i).
template <class NonZero>
void block_sparsity(BlockScaled& d, NonZero&& nonzero) {
  const std::ptrdiff_t nb = d.nb, K = d.K, r = d.r, m = d.m;
  d.nz_start.assign(1, 0);
  d.nz_block.clear();
  d.tail_nz.assign(static_cast<std::size_t>(m), 0);
  d.local.assign(static_cast<std::size_t>(m), kEmptyRow);
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    std::ptrdiff_t support = kEmptyRow;
    auto touch = [&](std::ptrdiff_t k) { support = support == kEmptyRow || support == k ? k : kCouplingRow; };
    for (std::ptrdiff_t k = 0; k < K; ++k) {
      const bool a = nonzero(i, k);
      if (a) d.nz_block.push_back(k);
      if (a || !d.BT.col(i).segment(k * nb, nb).isZero(0.0)) touch(k);
    }
    d.nz_start.push_back(static_cast<std::ptrdiff_t>(d.nz_block.size()));
    if (r > 0) {
      d.tail_nz[static_cast<std::size_t>(i)] = !d.AT.middleCols(i * r, r).isZero(0.0);
      if (d.tail_nz[static_cast<std::size_t>(i)] || !d.BT.col(i).tail(r).isZero(0.0)) touch(K);
    }
    d.local[static_cast<std::size_t>(i)] = support;
  }
}

// The scaled block problem into d: the dense path's scale factors (objective by max(|P|, |q|),
// row i by max(|A_i|, |b_i|, |c_i|)), so both paths iterate on the same scaled problem.
void scale_block(const BlockQcqpProblem& p, BlockScaled& d) {
  const std::ptrdiff_t nb = p.block_size, K = p.blocks, r = p.tail(), n = p.n(), m = p.m();
  d.nb = nb, d.K = K, d.r = r, d.n = n, d.m = m;
  double omax = p.q.size() ? p.q.cwiseAbs().maxCoeff() : 0.0;
  if (p.P.size()) omax = std::max(omax, p.P.cwiseAbs().maxCoeff());
  if (p.P_tail.size()) omax = std::max(omax, p.P_tail.cwiseAbs().maxCoeff());
  d.obj_scale = omax > 0.0 ? 1.0 / omax : 1.0;
  d.PB = d.obj_scale * p.P;
  d.PT = d.obj_scale * p.P_tail;
  d.qs = d.obj_scale * p.q;
  d.row_scale.resize(m);
  d.cs.resize(m);
  d.BT.resize(n, m);
  d.AT.resize(r, m * r);
  d.Ain.assign(static_cast<std::size_t>(m * K), nullptr);
  const std::ptrdiff_t stored = p.A_index.empty() ? m * K : static_cast<std::ptrdiff_t>(p.A_index.size());
  for (std::ptrdiff_t t = 0; t < stored; ++t)
    d.Ain[static_cast<std::size_t>(p.A_index.empty() ? t : p.A_index[static_cast<std::size_t>(t)])] =
        p.A.data() + t * nb * nb;
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    double s = std::max(std::abs(p.c[i]), p.B.row(i).cwiseAbs().maxCoeff());
    for (std::ptrdiff_t k = 0; k < K; ++k)
      if (const double* blk = d.Ain[static_cast<std::size_t>(i * K + k)])
        s = std::max(s, CMap(blk, nb, nb).cwiseAbs().maxCoeff());
    if (r > 0) s = std::max(s, p.A_tail.middleCols(i * r, r).cwiseAbs().maxCoeff());
    s = s > 0.0 ? 1.0 / s : 1.0;
    d.row_scale[i] = s;
    d.BT.col(i) = s * p.B.row(i).transpose();
    d.cs[i] = s * p.c[i];
    if (r > 0) d.AT.middleCols(i * r, r) = s * p.A_tail.middleCols(i * r, r);
  }
  d.Asrc.clear();
  d.bscale.clear();
  block_sparsity(d, [&](std::ptrdiff_t i, std::ptrdiff_t k) {
    const double* blk = d.Ain[static_cast<std::size_t>(i * K + k)];
    if (!blk || CMap(blk, nb, nb).isZero(0.0)) return false;
    d.Asrc.push_back(blk);
    d.bscale.push_back(d.row_scale[i]);
    return true;
  });
}

// Phase I's problem (interior_point.hpp, phase_one) from the scaled problem d: one more tail
// variable t, P = eps I on x, q = (2 eps x0, -1), rows g_i(x) - t <= 0 and -t <= 1.
void build_phase_one(const BlockScaled& d, const RVector& x0, BlockScaled& p) {
  const std::ptrdiff_t nb = d.nb, K = d.K, r = d.r, n = d.n, m = d.m, r1 = r + 1;
  constexpr double eps = kPhaseOneProximal;
  p.nb = nb, p.K = K, p.r = r1, p.n = n + 1, p.m = m + 1, p.obj_scale = 1.0;
  p.row_scale.setOnes(m + 1);
  p.PB.resize(nb, K * nb);
  for (std::ptrdiff_t k = 0; k < K; ++k) p.PB.middleCols(k * nb, nb) = eps * RMatrix::Identity(nb, nb);
  p.PT.setZero(r1, r1);
  p.PT.topLeftCorner(r, r).diagonal().setConstant(eps);
  p.qs.resize(n + 1);
  p.qs.head(n) = 2.0 * eps * x0;
  p.qs[n] = -1.0;
  p.Asrc = d.Asrc;  // the same (scaled) nonzero blocks in the same order; row m (-t <= 1) has none
  p.bscale = d.bscale;
  p.AT.setZero(r1, (m + 1) * r1);
  for (std::ptrdiff_t i = 0; i < m; ++i) p.AT.block(0, i * r1, r, r) = d.AT.middleCols(i * r, r);
  p.BT.setZero(n + 1, m + 1);
  p.BT.topLeftCorner(n, m) = d.BT;
  p.BT.row(n).setConstant(-1.0);  // g_i(x) - t <= 0 and -t <= 1
  p.cs.resize(m + 1);
  p.cs.head(m) = d.cs;
  p.cs[m] = kPhaseOneFloor;
  std::ptrdiff_t cursor = 0;  // walks d's CSR lists: nonzero(i, k) comes in increasing (i, k)
  block_sparsity(p, [&](std::ptrdiff_t i, std::ptrdiff_t k) {
    if (i >= m) return false;
    const std::ptrdiff_t end = d.nz_start[static_cast<std::size_t>(i) + 1];
    cursor = std::max(cursor, d.nz_start[static_cast<std::size_t>(i)]);
    while (cursor < end && d.nz_block[static_cast<std::size_t>(cursor)] < k) ++cursor;
    return cursor < end && d.nz_block[static_cast<std::size_t>(cursor)] == k;
  });
}

// g(x) (scaled), optionally the gradients as columns of JT and Px2 = 2 P_s x.
void block_eval(const BlockScaled& d, const RVector& x, RVector& g, RMatrix* JT, RVector* Px2, RVector& ax) {
  const std::ptrdiff_t nb = d.nb, K = d.K, r = d.r, nB = K * nb;
  if (Px2) {
    Px2->resize(d.n);
    for (std::ptrdiff_t k = 0; k < K; ++k)
      Px2->segment(k * nb, nb).noalias() = 2.0 * d.PB.middleCols(k * nb, nb) * x.segment(k * nb, nb);
    if (r > 0) Px2->tail(r).noalias() = 2.0 * d.PT * x.tail(r);
  }
  ax.resize(std::max(nb, r));
  for (std::ptrdiff_t i = 0; i < d.m; ++i) {
    double gi = dot(d.BT.col(i).data(), x.data(), d.n) - d.cs[i];
    if (JT) JT->col(i) = d.BT.col(i);
    for (std::ptrdiff_t t = d.nz_start[static_cast<std::size_t>(i)]; t < d.nz_start[static_cast<std::size_t>(i) + 1]; ++t) {
      const std::ptrdiff_t k = d.nz_block[static_cast<std::size_t>(t)];
      auto xk = x.segment(k * nb, nb);
      ax.head(nb).noalias() = d.Ascale(t) * (CMap(d.Az(t), nb, nb) * xk);  // symmetric: A^T x = A x
      gi += xk.dot(ax.head(nb));
      if (JT) JT->col(i).segment(k * nb, nb) += 2.0 * ax.head(nb);
    }
    if (r > 0 && d.tail_nz[static_cast<std::size_t>(i)]) {
      ax.head(r).noalias() = d.AT.middleCols(i * r, r) * x.tail(r);
      gi += x.tail(r).dot(ax.head(r));
      if (JT) JT->col(i).segment(nB, r) += 2.0 * ax.head(r);
    }
    g[i] = gi;
  }
}

// LLT of the (positive definite) lower triangle of M, with factor_with_retries' unshifted
// retries; false if it fails or its factor is not finite.
bool factor_llt(RMatrix& M, Eigen::LLT<RMatrix>& llt) {
  const double reg = static_regularisation(M.diagonal().cwiseAbs().maxCoeff());
  const bool ok = factor_with_retries(M, reg, false, [&]() {
    llt.compute(M);
    return llt.info() == Eigen::Success;
  });
  return ok && llt.matrixLLT().diagonal().allFinite();
}

// Newton system of interior_point (the Ops contract there) for block-diagonal P, A_i:
//   [H'   J_C^T  ] [dx  ]   [-rd - J_F^T e_F]
//   [J_C  -W_C^-1] [dz_C] = [-e_C / w_C     ]
// F: rows whose gradient lives in one block and whose weight is <= kAugmentAbove, folded into
// that block of H' = blockdiag(2 P + 2 sum z_i A_i) + J_F^T W_F J_F (exactly what the dense path
// folds); C: the others.  The block part of dx is eliminated with the block Cholesky factors L_k,
// leaving the capacitance matrix N_C = W_C^{-1} + J_CB H_B'^{-1} J_CB^T (mc x mc, positive
// definite) and, with tail variables, the r x r Schur complement H_T' + J_CT^T N_C^{-1} J_CT.
// Huge weights stay as tiny diagonal entries 1/w of N_C: never folded, as in the dense
// augmented system.  Iterative refinement on the full system guards the elimination against
// ill-conditioned blocks.
class BlockOps {
 public:
  BlockOps(const BlockScaled& d, BlockNewton& f) : d_(d), f_(f) {}
  std::ptrdiff_t n() const { return d_.n; }
  std::ptrdiff_t m() const { return d_.m; }
  const RVector& q() const { return d_.qs; }
  void jt_times(const RMatrix& JT, const RVector& z, RVector& Jz) const { Jz.noalias() = JT * z; }
  void eval(const RVector& x, const RVector&, RVector& g, RMatrix* JT, RVector& Px2) {
    block_eval(d_, x, g, JT, &Px2, f_.ax);
  }

  bool factor(const RVector& z, const RVector& w, const RMatrix& JT) {
    const double reg = fold_rows(z, w, JT);
    if (!factor_blocks(reg)) return false;
    return factor_capacitance(w, JT, reg);
  }

  void solve(const RVector& rd, const RVector& e, const RVector& w, const RMatrix& JT, RVector& dx,
             RVector& dz, RVector& Jdx) {
    const auto mc = static_cast<std::ptrdiff_t>(f_.cap.size());
    // Right-hand side: [-rd - J_F^T e_F; -e_C / w_C].
    f_.ef = e;
    f_.rz.resize(mc);
    for (std::ptrdiff_t t = 0; t < mc; ++t) {
      const std::ptrdiff_t i = f_.cap[static_cast<std::size_t>(t)];
      f_.rz[t] = -e[i] / w[i];
      f_.ef[i] = 0.0;
    }
    f_.rhs = -rd;
    f_.rhs.noalias() -= JT * f_.ef;
    solve_once(f_.rhs, f_.rz, dx, f_.dzc);
    refine(JT, dx);
    Jdx.noalias() = JT.transpose() * dx;
    dz = w.cwiseProduct(Jdx) + e;
    for (std::ptrdiff_t t = 0; t < mc; ++t) {
      const std::ptrdiff_t i = f_.cap[static_cast<std::size_t>(t)];
      dz[i] = f_.dzc[t];
      // For the rows the dense path would augment (w_i > kAugmentAbove, s_i -> 0), J_i dx as the
      // row's Newton equation gives it rather than as the product: the step needs
      // ds_i = -rp_i - J_i dx to within s_i, and the product carries the block elimination's
      // rounding (seen: phase I stalling at a zero step on degenerate infeasible problems).
      if (w[i] > kAugmentAbove) Jdx[i] = f_.cdiag[t] * dz[i] - e[i] / w[i];
    }
  }

 private:
  // H' = blockdiag(2 P + 2 sum z_i A_i) with the single-block rows folded in, the coupling and
  // huge-weight rows listed in cap; returns the static regularisation, relative to H's largest
  // diagonal entry (the dense path's).
  double fold_rows(const RVector& z, const RVector& w, const RMatrix& JT) {
    const std::ptrdiff_t nb = d_.nb, K = d_.K, r = d_.r, m = d_.m;
    RMatrix& H = f_.H;
    H.noalias() = 2.0 * d_.PB;
    f_.HT.noalias() = 2.0 * d_.PT;
    for (std::ptrdiff_t i = 0; i < m; ++i) {
      const double zi = 2.0 * z[i];
      for (std::ptrdiff_t t = d_.nz_start[static_cast<std::size_t>(i)]; t < d_.nz_start[static_cast<std::size_t>(i) + 1]; ++t) {
        const std::ptrdiff_t k = d_.nz_block[static_cast<std::size_t>(t)];
        Eigen::Map<RVector>(H.data() + k * nb * nb, nb * nb) += (zi * d_.Ascale(t)) * Eigen::Map<const RVector>(d_.Az(t), nb * nb);
      }
      if (r > 0 && d_.tail_nz[static_cast<std::size_t>(i)]) f_.HT += zi * d_.AT.middleCols(i * r, r);
    }
    f_.cap.clear();
    for (std::ptrdiff_t i = 0; i < m; ++i) {
      const std::ptrdiff_t k = d_.local[static_cast<std::size_t>(i)];
      if (k == kEmptyRow) continue;  // a zero gradient: nothing to fold (w_i J_i^T J_i = 0)
      if (k == kCouplingRow || w[i] > kAugmentAbove) {
        f_.cap.push_back(i);
      } else if (k < K) {
        const auto jk = JT.col(i).segment(k * nb, nb);
        H.middleCols(k * nb, nb).noalias() += w[i] * jk * jk.transpose();
      } else {
        const auto jt = JT.col(i).tail(r);
        f_.HT.noalias() += w[i] * jt * jt.transpose();
      }
    }
    double dmax = 0.0;
    for (std::ptrdiff_t k = 0; k < K; ++k)
      dmax = std::max(dmax, H.middleCols(k * nb, nb).diagonal().cwiseAbs().maxCoeff());
    if (r > 0) dmax = std::max(dmax, f_.HT.diagonal().cwiseAbs().maxCoeff());
    return static_regularisation(dmax);
  }

  // The Cholesky factor L_k of each block of H' + reg I (shifted retries); the tail's shift.
  bool factor_blocks(double reg) {
    const std::ptrdiff_t nb = d_.nb, K = d_.K, r = d_.r;
    f_.L.resize(nb, K * nb);
    for (std::ptrdiff_t k = 0; k < K; ++k) {
      auto Hk = f_.H.middleCols(k * nb, nb);
      Hk.diagonal().array() += reg;
      double* Lk = f_.L.data() + k * nb * nb;
      const bool ok = factor_with_retries(Hk, reg, true, [&]() {
        f_.L.middleCols(k * nb, nb) = Hk;
        return cholesky_lower(Lk, nb);
      });
      if (!ok) return false;
    }
    if (r > 0) f_.HT.diagonal().array() += reg;
    return true;
  }

  // Capacitance rows: V = L^{-1} J_CB^T, N_C = diag(1/w_C) + V^T V, and the tail's Schur
  // complement, both factored.
  bool factor_capacitance(const RVector& w, const RMatrix& JT, double reg) {
    const std::ptrdiff_t nb = d_.nb, K = d_.K, r = d_.r, nB = K * nb;
    const auto mc = static_cast<std::ptrdiff_t>(f_.cap.size());
    f_.cdiag.resize(mc);
    f_.V.setZero(nB, mc);
    f_.JCT.resize(mc, r);
    for (std::ptrdiff_t t = 0; t < mc; ++t) {
      const std::ptrdiff_t i = f_.cap[static_cast<std::size_t>(t)];
      f_.cdiag[t] = 1.0 / w[i] + (w[i] > kAugmentAbove ? reg : 0.0);
      for (std::ptrdiff_t k = 0; k < K; ++k) {
        const auto jk = JT.col(i).segment(k * nb, nb);
        if (jk.isZero(0.0)) continue;
        f_.V.col(t).segment(k * nb, nb) = jk;
        forward_solve(f_.L.data() + k * nb * nb, f_.V.col(t).data() + k * nb, nb);
      }
      if (r > 0) f_.JCT.row(t) = JT.col(i).tail(r).transpose();
    }
    if (mc > 0) {
      f_.NC.setZero(mc, mc);
      f_.NC.selfadjointView<Eigen::Lower>().rankUpdate(f_.V.transpose());
      f_.NC.diagonal() += f_.cdiag;
      if (!factor_llt(f_.NC, f_.llt_c)) return false;
    }
    if (r > 0) {
      f_.ST = f_.HT;
      if (mc > 0) {
        f_.G = f_.llt_c.matrixL().solve(f_.JCT);
        f_.ST.noalias() += f_.G.transpose() * f_.G;
      }
      if (!factor_llt(f_.ST, f_.llt_t)) return false;
    }
    return true;
  }

  // Iterative refinement of (dx, dzc) on [H' J_C^T; J_C -diag(cdiag)]: the elimination through
  // the block factors loses accuracy when a block of H' is ill-conditioned (phase I: 2e-8 I plus
  // low-rank terms; relative residuals up to 1e-8 seen, against <= 1e-13 in the CCET-ISCC
  // problems).  Steps while the relative residual is above kRefinementTarget, each kept only if
  // it reduces it by kRefinementGain.
  void refine(const RMatrix& JT, RVector& dx) {
    const auto mc = static_cast<std::ptrdiff_t>(f_.cap.size());
    const double sx = std::max(f_.rhs.lpNorm<Eigen::Infinity>(), 1e-300);  // 1e-300: no 0 / 0
    const double sz = mc ? std::max(f_.rz.lpNorm<Eigen::Infinity>(), 1e-300) : 1.0;
    auto relative = [&]() {
      return std::max(f_.res_x.lpNorm<Eigen::Infinity>() / sx, mc ? f_.res_z.lpNorm<Eigen::Infinity>() / sz : 0.0);
    };
    residual(JT, dx, f_.dzc, f_.rhs, f_.rz, f_.res_x, f_.res_z);
    double rn = relative();
    for (int step = 0; step < kRefinementSteps && rn > kRefinementTarget; ++step) {
      solve_once(f_.res_x, f_.res_z, f_.ddx, f_.ddz);
      f_.ddx += dx;
      f_.ddz += f_.dzc;
      residual(JT, f_.ddx, f_.ddz, f_.rhs, f_.rz, f_.res_x, f_.res_z);
      const double rn_new = relative();
      if (!(rn_new < kRefinementGain * rn)) break;
      dx.swap(f_.ddx);
      f_.dzc.swap(f_.ddz);
      rn = rn_new;
    }
  }

  // [dx; dz_C] for the right-hand side [rx; rz] by block elimination.
  void solve_once(const RVector& rx, const RVector& rz, RVector& dx, RVector& dzc) {
    const std::ptrdiff_t nb = d_.nb, K = d_.K, r = d_.r, nB = K * nb;
    const auto mc = static_cast<std::ptrdiff_t>(f_.cap.size());
    RVector& u = f_.u;
    u = rx.head(nB);
    for (std::ptrdiff_t k = 0; k < K; ++k) forward_solve(f_.L.data() + k * nb * nb, u.data() + k * nb, nb);
    dzc.resize(mc);
    if (mc > 0) {
      RVector& y = f_.y;  // N_C^{-1} (rz - V^T u)
      y = rz;
      y.noalias() -= f_.V.transpose() * u;
      f_.llt_c.solveInPlace(y);
      dzc = -y;
      if (r > 0) {  // (H_T' + J_CT^T N_C^{-1} J_CT) dx_T = rx_T + J_CT^T y;  dz_C = N_C^{-1} J_CT dx_T - y
        f_.t1 = rx.tail(r);
        f_.t1.noalias() += f_.JCT.transpose() * y;
        f_.llt_t.solveInPlace(f_.t1);
        RVector& v = f_.y;
        v.noalias() = f_.JCT * f_.t1;
        f_.llt_c.solveInPlace(v);
        dzc += v;
      }
      u.noalias() -= f_.V * dzc;
    } else if (r > 0) {
      f_.t1 = rx.tail(r);
      f_.llt_t.solveInPlace(f_.t1);
    }
    dx.resize(d_.n);
    dx.head(nB) = u;
    for (std::ptrdiff_t k = 0; k < K; ++k) backward_solve(f_.L.data() + k * nb * nb, dx.data() + k * nb, nb);
    if (r > 0) dx.tail(r) = f_.t1;
  }

  // [rx; rz] - [H' J_C^T; J_C -diag(cdiag)] [dx; dz_C].
  void residual(const RMatrix& JT, const RVector& dx, const RVector& dzc, const RVector& rx,
                const RVector& rz, RVector& res_x, RVector& res_z) {
    const std::ptrdiff_t nb = d_.nb, K = d_.K, r = d_.r;
    const auto mc = static_cast<std::ptrdiff_t>(f_.cap.size());
    res_x = rx;
    for (std::ptrdiff_t k = 0; k < K; ++k)
      res_x.segment(k * nb, nb).noalias() -=
          f_.H.middleCols(k * nb, nb).selfadjointView<Eigen::Lower>() * dx.segment(k * nb, nb);
    if (r > 0) res_x.tail(r).noalias() -= f_.HT.selfadjointView<Eigen::Lower>() * dx.tail(r);
    res_z.resize(mc);
    for (std::ptrdiff_t t = 0; t < mc; ++t) {
      const std::ptrdiff_t i = f_.cap[static_cast<std::size_t>(t)];
      res_x.noalias() -= dzc[t] * JT.col(i);
      res_z[t] = rz[t] - JT.col(i).dot(dx) + f_.cdiag[t] * dzc[t];
    }
  }

  const BlockScaled& d_;
  BlockNewton& f_;
};

// g_i(x) in original units and, optionally, the gradients as columns of JT (the final check).
void original_constraints(const BlockQcqpProblem& p, const BlockScaled& d, const RVector& x, RVector& g,
                          RMatrix* JT) {
  const std::ptrdiff_t nb = p.block_size, K = p.blocks, r = p.tail(), nB = K * nb;
  RVector ax;
  for (std::ptrdiff_t i = 0; i < p.m(); ++i) {
    g[i] = p.B.row(i).dot(x) - p.c[i];
    if (JT) JT->col(i) = p.B.row(i).transpose();
    for (std::ptrdiff_t t = d.nz_start[static_cast<std::size_t>(i)]; t < d.nz_start[static_cast<std::size_t>(i) + 1]; ++t) {
      const std::ptrdiff_t k = d.nz_block[static_cast<std::size_t>(t)];
      ax.noalias() = CMap(d.Az(t), nb, nb) * x.segment(k * nb, nb);  // unscaled: original units
      g[i] += x.segment(k * nb, nb).dot(ax);
      if (JT) JT->col(i).segment(k * nb, nb) += 2.0 * ax;
    }
    if (r > 0 && d.tail_nz[static_cast<std::size_t>(i)]) {
      ax.noalias() = p.A_tail.middleCols(i * r, r) * x.tail(r);
      g[i] += x.tail(r).dot(ax);
      if (JT) JT->col(i).segment(nB, r) += 2.0 * ax;
    }
  }
}

// The block path for solve_two_phase (the Path contract in interior_point.hpp).
class BlockPath {
 public:
  BlockPath(const BlockQcqpProblem& p, QcqpWorkspace::Impl& ws) : p_(p), ws_(ws) {}
  std::ptrdiff_t n() const { return p_.n(); }
  std::ptrdiff_t m() const { return p_.m(); }
  QcqpWorkspace::Impl& workspace() { return ws_; }
  BlockOps ops() { return BlockOps(ws_.block, ws_.block_newton); }
  BlockOps phase_one_ops(const RVector& x0, QcqpWorkspace::Impl& pw) {
    build_phase_one(ws_.block, x0, pw.block);
    return BlockOps(pw.block, pw.block_newton);
  }
  void scaled_constraints(const RVector& x, RVector& g) {
    block_eval(ws_.block, x, g, nullptr, nullptr, ws_.block_newton.ax);
  }
  double row_scale(std::ptrdiff_t i) const { return ws_.block.row_scale[i]; }
  double obj_scale() const { return ws_.block.obj_scale; }
  void original_constraints(const RVector& x, RVector& g, RMatrix* JT) const {
    qcqp_detail::original_constraints(p_, ws_.block, x, g, JT);
  }
  void apply_P(const RVector& x, RVector& Px) const {
    const std::ptrdiff_t nb = p_.block_size, r = p_.tail();
    Px.resize(p_.n());
    for (std::ptrdiff_t k = 0; k < p_.blocks; ++k)
      Px.segment(k * nb, nb).noalias() = p_.P.middleCols(k * nb, nb) * x.segment(k * nb, nb);
    if (r > 0) Px.tail(r).noalias() = p_.P_tail * x.tail(r);
  }
  const RVector& q() const { return p_.q; }

 private:
  const BlockQcqpProblem& p_;
  QcqpWorkspace::Impl& ws_;
};

}  // namespace

void solve_block(const BlockQcqpProblem& problem, const double* x0, const QcqpSettings& settings,
                 QcqpWorkspace::Impl& ws, QcqpResult& result) {
  scale_block(problem, ws.block);
  BlockPath path(problem, ws);
  solve_two_phase(path, x0, settings, result);
}

}  // namespace pyiscc::qcqp_detail

namespace pyiscc {

void solve_qcqp(const BlockQcqpProblem& problem, const double* x0, const QcqpSettings& settings,
                QcqpWorkspace& ws, QcqpResult& result) {
  qcqp_detail::solve_block(problem, x0, settings, ws.impl(), result);
}

}  // namespace pyiscc
