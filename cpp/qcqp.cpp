#include "qcqp.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

namespace pyiscc {

const char* status_name(QcqpStatus s) {
  switch (s) {
    case QcqpStatus::optimal: return "optimal";
    case QcqpStatus::infeasible: return "infeasible";
    case QcqpStatus::max_iter: return "max_iter";
    case QcqpStatus::numerical_error: return "numerical_error";
  }
  return "numerical_error";
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// z_i / s_i above which constraint i is kept in the augmented Newton system.
constexpr double kAugmentAbove = 1e6;
// Up to this order the Cholesky factor and its solves are plain loops (Eigen's dynamic-size
// kernels cost more in dispatch than in arithmetic at n = 16); above it Eigen's blocked LLT.
constexpr std::ptrdiff_t kSmallOrder = 40;

bool finite(const RMatrix& M) { return M.allFinite(); }

bool symmetric(const RMatrix& M) {
  const double scale = M.size() ? M.cwiseAbs().maxCoeff() : 0.0;
  return (M - M.transpose()).cwiseAbs().maxCoeff() <= 1e-12 * scale;
}

// Largest step in (0, 1] keeping v + step * dv >= 0 (fraction-to-boundary applied by the caller).
double max_step(const RVector& v, const RVector& dv) {
  double step = 1.0;
  for (std::ptrdiff_t i = 0; i < v.size(); ++i)
    if (dv[i] < 0.0) step = std::min(step, -v[i] / dv[i]);
  return step;
}

#if defined(__GNUC__) || defined(_MSC_VER)
#define PYISCC_RESTRICT __restrict
#else
#define PYISCC_RESTRICT
#endif

inline double dot(const double* PYISCC_RESTRICT a, const double* PYISCC_RESTRICT b, std::ptrdiff_t n) {
  Eigen::Matrix<double, 2, 1> acc(0.0, 0.0);
  std::ptrdiff_t i = 0;
  for (; i + 1 < n; i += 2)
    acc += Eigen::Map<const Eigen::Matrix<double, 2, 1>>(a + i).cwiseProduct(Eigen::Map<const Eigen::Matrix<double, 2, 1>>(b + i));
  double s = acc[0] + acc[1];
  if (i < n) s += a[i] * b[i];
  return s;
}

// y[k0..n) += f * a[k0..n), k0 rounded down to even, in pairs of lanes: Eigen's fixed-size
// 2-vectors map to one SIMD register on every target (SSE2, NEON), without -march flags.
using Pair = Eigen::Matrix<double, 2, 1>;
inline void axpy_from(double* PYISCC_RESTRICT y, const double* PYISCC_RESTRICT a, double f,
                      std::ptrdiff_t k0, std::ptrdiff_t n) {
  std::ptrdiff_t k = k0 & ~std::ptrdiff_t(1);
  for (; k + 1 < n; k += 2) Eigen::Map<Pair>(y + k) += f * Eigen::Map<const Pair>(a + k);
  if (k < n) y[k] += f * a[k];
}

// In-place Cholesky of the lower triangle (column-major, right-looking); false if not PD.
bool cholesky_lower(double* L, std::ptrdiff_t n) {
  for (std::ptrdiff_t j = 0; j < n; ++j) {
    double* PYISCC_RESTRICT cj = L + j * n;
    const double d = cj[j];
    if (!(d > 0.0)) return false;
    const double ljj = std::sqrt(d);
    cj[j] = ljj;
    for (std::ptrdiff_t i = j + 1; i < n; ++i) cj[i] /= ljj;
    // Column c from row c on (a row above may be written too: the upper triangle is unused).
    for (std::ptrdiff_t c = j + 1; c < n; ++c) axpy_from(L + c * n, cj, -cj[c], c, n);
  }
  return true;
}

// x <- (L L^T)^{-1} x with the factor of cholesky_lower.
void cholesky_solve(const double* PYISCC_RESTRICT L, double* PYISCC_RESTRICT x, std::ptrdiff_t n) {
  for (std::ptrdiff_t j = 0; j < n; ++j) {  // L y = x
    const double* cj = L + j * n;
    const double yj = x[j] / cj[j];
    x[j] = yj;
    for (std::ptrdiff_t i = j + 1; i < n; ++i) x[i] -= yj * cj[i];
  }
  for (std::ptrdiff_t j = n - 1; j >= 0; --j) {  // L^T x = y
    const double* cj = L + j * n;
    x[j] = (x[j] - dot(cj + j + 1, x + j + 1, n - j - 1)) / cj[j];
  }
}

// The problem as the interior-point method sees it, scaled:  P_s = obj_scale P,
// q_s = obj_scale q, A_s,i = r_i A_i, b_s,i = r_i b_i, c_s,i = r_i c_i.  P_s and the A_s,i of the
// quadratic constraints sit side by side in T = [P_s A_s,i0 A_s,i1 ...] (n x n (1 + m_q)): all the
// products A_s,i x are one matrix-vector product T^T x (the blocks are symmetric), and
// 2 P_s + 2 sum z_i A_s,i is another, T viewed as (n^2 x (1 + m_q)) times the coefficients.
struct View {
  std::ptrdiff_t n, m;
  const RMatrix* T;                         // (n, n (1 + m_q))
  const RMatrix* R;                         // (n (1 + m_q), n): the same blocks stacked vertically
  const std::vector<std::ptrdiff_t>* block; // (m,) block of A_s,i in T (>= 1), -1: linear
  const RMatrix* BT;                        // (n, m) b_s,i as columns
  const double* c;                          // (m,) c_s
  const RVector* q;                         // (n,) q (unscaled)
  double obj_scale;
};

// TX = T^T x (P_s x in the first n entries, then A_s,i x per block), g(x) = x^T A_s,i x + b_s,i^T x
// - c_s,i and, optionally, the gradients 2 A_s,i x + b_s,i as the columns of JT (n x m).
void constraints(const View& v, const RVector& x, RVector& g, RMatrix* JT, RVector& TX) {
  const std::ptrdiff_t n = v.n, m = v.m;
  TX.noalias() = *v.R * x;  // column-major: long contiguous columns (faster than T^T x)
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    const double* bi = v.BT->data() + i * n;
    double gi = dot(bi, x.data(), n) - v.c[i];
    const std::ptrdiff_t blk = (*v.block)[static_cast<std::size_t>(i)];
    if (blk >= 0) {
      const double* PYISCC_RESTRICT ax = TX.data() + blk * n;
      gi += dot(x.data(), ax, n);
      if (JT) {
        double* PYISCC_RESTRICT ji = JT->data() + i * n;
        for (std::ptrdiff_t k = 0; k < n; ++k) ji[k] = bi[k] + 2.0 * ax[k];
      }
    } else if (JT) {
      JT->col(i) = v.BT->col(i);
    }
    g[i] = gi;
  }
}

// Least-squares multipliers of the active set {i : z_i > s_i}: min ||grad_f + J_A^T z_A||.
// Returns false when the fit gives a negative multiplier.
bool polish_multipliers(const RMatrix& JT, const RVector& z, const RVector& s, const RVector& grad_f,
                        QcqpWorkspace& ws, RVector& out) {
  auto& active = ws.active;
  active.clear();
  for (std::ptrdiff_t i = 0; i < z.size(); ++i)
    if (z[i] > s[i]) active.push_back(i);
  out.setZero(z.size());
  if (active.empty()) return true;
  ws.JA.resize(JT.rows(), static_cast<std::ptrdiff_t>(active.size()));
  for (std::size_t t = 0; t < active.size(); ++t) ws.JA.col(static_cast<std::ptrdiff_t>(t)) = JT.col(active[t]);
  ws.qr.compute(ws.JA);
  const RVector zA = ws.qr.solve(-grad_f);
  if (!zA.allFinite() || zA.minCoeff() < 0.0) return false;
  for (std::size_t t = 0; t < active.size(); ++t) out[active[t]] = zA[static_cast<std::ptrdiff_t>(t)];
  return true;
}

struct CoreResult {
  int iterations = 0;
  bool converged = false;
  bool broke = false;  // factorisation failed / non-finite numbers
};

// Infeasible-start primal-dual interior-point method (Mehrotra predictor-corrector) on a
// well-scaled problem:  min x^T P x - q^T x  s.t.  g(x) + s = 0, s >= 0, multipliers z >= 0.
// Newton system reduced to (H + J^T diag(z/s) J) dx = rhs, H = 2P + 2 sum z_i A_i (Cholesky).
// stop_index >= 0 (phase I, t = x[stop_index], rows g_i(x) - t): return as soon as
// max_{i < stop_rows} g_i(x) = max (g_ph,i + t) < stop_below, i.e. x is strictly feasible.
// x: the start, overwritten.  The answer is left in ws.best_x, ws.best_s, ws.best_z.
CoreResult interior_point(const View& v, RVector& x, int max_iter, double tol, QcqpWorkspace& ws,
                          std::ptrdiff_t stop_index = -1, std::ptrdiff_t stop_rows = 0,
                          double stop_below = -kInf) {
  const std::ptrdiff_t n = v.n, m = v.m, nblocks = v.T->cols() / n;
  const RVector& q = *v.q;
  CoreResult out;
  RVector &g = ws.g, &s = ws.s, &z = ws.z, &w = ws.w, &wm = ws.wm, &rd = ws.rd, &rp = ws.rp;
  RVector &rhs = ws.rhs, &dx = ws.dx, &ds = ws.ds, &dz = ws.dz, &dx_a = ws.dx_a, &ds_a = ws.ds_a;
  RVector &dz_a = ws.dz_a, &rc = ws.rc, &e = ws.e, &Px = ws.Px, &Jz = ws.Jz, &Jdx = ws.Jdx, &TX = ws.TX;
  RMatrix &JT = ws.JT, &KKT = ws.KKT, &Lf = ws.Lf;
  for (RVector* vec : {&g, &s, &z, &w, &wm, &rp, &ds, &dz, &ds_a, &dz_a, &rc, &e, &Jdx}) vec->resize(m);
  for (RVector* vec : {&rd, &rhs, &dx, &dx_a, &Px, &Jz}) vec->resize(n);
  TX.resize(v.R->rows());
  ws.coef.resize(nblocks);
  JT.resize(n, m);
  KKT.resize(n, n);
  const bool small = n <= kSmallOrder;
  if (small) Lf.resize(n, n);
  ws.best_x.resize(0);
  constraints(v, x, g, &JT, TX);
  for (std::ptrdiff_t i = 0; i < m; ++i) s[i] = std::max(-g[i], 1e-2);
  z.setOnes();
  const double ptol = 1e-2 * tol;  // primal feasibility is cheap to get and what users check
  const double qnorm = q.lpNorm<Eigen::Infinity>();
  std::vector<std::ptrdiff_t> active;
  double best_merit = kInf;
  auto keep_best = [&]() { ws.best_x = x, ws.best_s = s, ws.best_z = z; };

  for (int it = 0; it <= max_iter; ++it) {
    Px = 2.0 * TX.head(n);  // TX = T^T x from constraints() at this x
    Jz.noalias() = JT * z;
    rd = Px - q + Jz;
    rp = g + s;
    const double viol = m ? std::max(g.maxCoeff(), 0.0) : 0.0;
    const double fval = 0.5 * x.dot(Px) - q.dot(x);
    const double gap = m ? std::abs(z.dot(g)) : 0.0;
    const double mu = m ? s.dot(z) / static_cast<double>(m) : 0.0;
    if (!std::isfinite(fval) || !rd.allFinite() || !g.allFinite() || !z.allFinite()) {
      out.broke = true;
      break;
    }
    if (stop_index >= 0 && g.head(stop_rows).maxCoeff() + x[stop_index] < stop_below) {
      out.converged = true;
      keep_best();
      return out;
    }
    // Relative KKT merit (<= 1: converged): stationarity relative to the size of its terms.
    const double dscale = std::max({1.0, qnorm, Px.lpNorm<Eigen::Infinity>(), Jz.lpNorm<Eigen::Infinity>()});
    const double fscale = 1.0 + std::abs(fval);
    const double primal_merit =
        std::max({viol / ptol, m ? rp.lpNorm<Eigen::Infinity>() / tol : 0.0, gap / (tol * fscale),
                  mu / (tol * fscale)});
    double merit = std::max(primal_merit, rd.lpNorm<Eigen::Infinity>() / (tol * dscale));
    if (merit > 1.0 && primal_merit <= 1.0) {
      // Near a degenerate optimum the reduced Newton system (weights z/s ~ 1/eps) stops
      // resolving stationarity while x is already exact: re-fit the multipliers of the active
      // constraints by least squares and keep them if they are >= 0 and close the residual.
      RVector& zp = ws.zp;
      RVector& rdp = ws.rdp;
      rdp = Px - q;
      if (polish_multipliers(JT, z, s, rdp, ws, zp)) {
        rdp.noalias() += JT * zp;
        const double gp = std::abs(zp.dot(g));
        const double mp = std::max(primal_merit, std::max(rdp.lpNorm<Eigen::Infinity>() / (tol * dscale),
                                                          gp / (tol * fscale)));
        if (mp <= 1.0) {
          z = zp;
          merit = mp;
        }
      }
    }
    if (merit < best_merit) {
      best_merit = merit;
      keep_best();
    }
    if (merit <= 1.0) {
      out.converged = true;
      break;
    }
    if (it == max_iter) break;
    out.iterations = it + 1;

    // Lower triangle of KKT = 2 P + 2 sum z_i A_i + J^T W J (weights up to kAugmentAbove).
    ws.coef.setZero();
    ws.coef[0] = 2.0;
    for (std::ptrdiff_t i = 0; i < m; ++i) {
      const std::ptrdiff_t blk = (*v.block)[static_cast<std::size_t>(i)];
      if (blk >= 0) ws.coef[blk] += 2.0 * z[i];
    }
    Eigen::Map<RVector>(KKT.data(), n * n).noalias() =
        Eigen::Map<const RMatrix>(v.T->data(), n * n, nblocks) * ws.coef;
    w = z.cwiseQuotient(s);
    // Constraints with weight z/s above kAugmentAbove stay in an augmented (quasi-definite)
    // system instead of being folded into H + J^T W J: folding weights ~1/eps there wipes out
    // the tangential information near a degenerate optimum (the step then stalls).
    active.clear();
    for (std::ptrdiff_t i = 0; i < m; ++i)
      if (w[i] > kAugmentAbove) active.push_back(i);
    const auto na = static_cast<std::ptrdiff_t>(active.size());
    for (std::ptrdiff_t i = 0; i < m; ++i) {
      wm[i] = w[i] <= kAugmentAbove ? w[i] : 0.0;
      if (wm[i] == 0.0) continue;
      const double* ji = JT.data() + i * n;
      for (std::ptrdiff_t j = 0; j < n; ++j) axpy_from(KKT.data() + j * n, ji, wm[i] * ji[j], j, n);
    }
    // Tiny static regularisation: keeps the factor defined where the problem is flat in some
    // direction (a linear objective, rank-deficient constraints).
    double reg = 1e-13 * (1.0 + KKT.diagonal().cwiseAbs().maxCoeff());
    KKT.diagonal().array() += reg;
    if (na == 0) {
      auto factor = [&]() {
        if (small) {
          Lf = KKT;
          return cholesky_lower(Lf.data(), n);
        }
        ws.llt.compute(KKT);  // reads the lower triangle only
        return ws.llt.info() == Eigen::Success;
      };
      bool ok = factor();
      for (int retry = 0; retry < 4 && !ok; ++retry) {
        KKT.diagonal().array() += 99.0 * reg;  // rounding made the (PSD) matrix indefinite
        reg *= 100.0;
        ok = factor();
      }
      if (!ok) {
        out.broke = true;
        break;
      }
    } else {
      RMatrix& Aug = ws.Aug;
      Aug.resize(n + na, n + na);
      Aug.topLeftCorner(n, n) = KKT.selfadjointView<Eigen::Lower>();
      for (std::ptrdiff_t t = 0; t < na; ++t) {
        Aug.block(0, n + t, n, 1) = JT.col(active[static_cast<std::size_t>(t)]);
        Aug.block(n + t, 0, 1, n) = JT.col(active[static_cast<std::size_t>(t)]).transpose();
      }
      Aug.bottomRightCorner(na, na).setZero();
      for (std::ptrdiff_t t = 0; t < na; ++t) Aug(n + t, n + t) = -1.0 / w[active[static_cast<std::size_t>(t)]] - reg;
      ws.lu.compute(Aug);
      if (!ws.lu.matrixLU().diagonal().allFinite()) {
        out.broke = true;
        break;
      }
    }
    auto newton = [&](const RVector& rc_, RVector& dx_, RVector& ds_, RVector& dz_) {
      // rc_ = target of s o z; ds = -rp - J dx; dz = W J dx + e, e = (z o rp - rc) / s.
      e = (z.cwiseProduct(rp) - rc_).cwiseQuotient(s);
      if (na == 0) {
        rhs = -rd;
        rhs.noalias() -= JT * e;
        if (small) {
          dx_ = rhs;
          cholesky_solve(Lf.data(), dx_.data(), n);
        } else {
          dx_ = ws.llt.solve(rhs);
        }
        Jdx.noalias() = JT.transpose() * dx_;
        dz_ = w.cwiseProduct(Jdx) + e;
      } else {
        // [KKT_I  J_A^T; J_A  -W_A^{-1}] [dx; dz_A] = [-rd - J_I^T e_I; -e_A / w_A].
        RVector& r2 = ws.r2;
        r2.resize(n + na);
        r2.head(n) = -rd;
        for (std::ptrdiff_t i = 0; i < m; ++i)
          if (w[i] <= kAugmentAbove) r2.head(n).noalias() -= e[i] * JT.col(i);
        for (std::ptrdiff_t t = 0; t < na; ++t) {
          const std::ptrdiff_t i = active[static_cast<std::size_t>(t)];
          r2[n + t] = -e[i] / w[i];
        }
        r2 = ws.lu.solve(r2).eval();
        dx_ = r2.head(n);
        Jdx.noalias() = JT.transpose() * dx_;
        dz_ = w.cwiseProduct(Jdx) + e;
        for (std::ptrdiff_t t = 0; t < na; ++t) dz_[active[static_cast<std::size_t>(t)]] = r2[n + t];
      }
      ds_ = -rp - Jdx;
    };
    // Predictor (affine scaling).
    rc = s.cwiseProduct(z);
    newton(rc, dx_a, ds_a, dz_a);
    const double a_aff = std::min(max_step(s, ds_a), max_step(z, dz_a));
    const double mu_aff =
        m ? (s + a_aff * ds_a).dot(z + a_aff * dz_a) / static_cast<double>(m) : 0.0;
    const double sigma = mu > 0.0 ? std::pow(std::min(1.0, mu_aff / mu), 3) : 0.0;
    // Corrector with centring.
    rc = s.cwiseProduct(z) + ds_a.cwiseProduct(dz_a);
    rc.array() -= sigma * mu;
    newton(rc, dx, ds, dz);
    const double tau = 0.995;  // fraction to the boundary
    const double step = std::min(1.0, tau * std::min(max_step(s, ds), max_step(z, dz)));
    x += step * dx;
    s += step * ds;
    z += step * dz;
    constraints(v, x, g, &JT, TX);
  }
  if (ws.best_x.size() == 0) keep_best();  // broke before the first check
  return out;
}

// R = the n x n blocks of T stacked vertically.
void stack_blocks(const RMatrix& T, RMatrix& R) {
  const std::ptrdiff_t n = T.rows(), nb = T.cols() / n;
  R.resize(n * nb, n);
  for (std::ptrdiff_t b = 0; b < nb; ++b) R.middleRows(b * n, n) = T.middleCols(b * n, n);
}

// The scaled problem into ws (see View): objective scale, row scales, T, BT, c_s, q_s.
void scale_problem(const QcqpProblem& p, QcqpWorkspace& ws) {
  const std::ptrdiff_t n = p.n(), m = p.m();
  double omax = std::max(p.P.size() ? p.P.cwiseAbs().maxCoeff() : 0.0,
                         p.q.size() ? p.q.cwiseAbs().maxCoeff() : 0.0);
  ws.obj_scale = omax > 0.0 ? 1.0 / omax : 1.0;
  ws.row_scale.resize(m);
  ws.cs.resize(m);
  ws.BT.resize(n, m);
  ws.block.assign(static_cast<std::size_t>(m), -1);
  std::ptrdiff_t nblocks = 1;
  for (std::ptrdiff_t i = 0; i < m; ++i)
    if (p.quadratic(i)) ws.block[static_cast<std::size_t>(i)] = nblocks++;
  ws.T.resize(n, n * nblocks);
  ws.T.leftCols(n) = ws.obj_scale * p.P;
  ws.qs = ws.obj_scale * p.q;
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    double r = std::max(std::abs(p.c[i]), p.B.row(i).cwiseAbs().maxCoeff());
    if (p.quadratic(i)) r = std::max(r, p.A[ui].cwiseAbs().maxCoeff());
    r = r > 0.0 ? 1.0 / r : 1.0;
    ws.row_scale[i] = r;
    ws.BT.col(i) = r * p.B.row(i).transpose();
    ws.cs[i] = r * p.c[i];
    if (p.quadratic(i)) ws.T.middleCols(ws.block[ui] * n, n) = r * p.A[ui];
  }
  stack_blocks(ws.T, ws.R);
}

View scaled_view(const QcqpProblem& p, const QcqpWorkspace& ws) {
  return View{p.n(), p.m(), &ws.T, &ws.R, &ws.block, &ws.BT, ws.cs.data(), &ws.qs, ws.obj_scale};
}

// Phase I: min t + eps ||x - x0||^2 s.t. g_i(x) <= t, t >= -1 on the scaled problem; the proximal
// term keeps it bounded in directions no constraint sees.  Leaves (x, t) in ws.best_x after an
// early exit at t < -margin (a strictly feasible point is all phase II needs) or at the optimum.
CoreResult phase_one(const QcqpProblem& pr, const RVector& x0, int max_iter, double tol,
                     QcqpWorkspace& ws) {
  const std::ptrdiff_t n = pr.n(), m = pr.m();
  constexpr double eps = 1e-8;
  QcqpProblem ph;
  ph.P = RMatrix::Zero(n + 1, n + 1);
  ph.P.topLeftCorner(n, n).diagonal().setConstant(eps);
  ph.q = RVector::Zero(n + 1);
  ph.q.head(n) = 2.0 * eps * x0;
  ph.q[n] = -1.0;
  ph.A.resize(static_cast<std::size_t>(m + 1));
  ph.B = RMatrix::Zero(m + 1, n + 1);
  ph.c = RVector::Zero(m + 1);
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    const double r = ws.row_scale[i];
    if (pr.quadratic(i)) {
      ph.A[ui] = RMatrix::Zero(n + 1, n + 1);
      ph.A[ui].topLeftCorner(n, n) = r * pr.A[ui];
    }
    ph.B.row(i).head(n) = ws.BT.col(i).transpose();
    ph.B(i, n) = -1.0;
    ph.c[i] = ws.cs[i];
  }
  ph.B(m, n) = -1.0;  // -t <= 1
  ph.c[m] = 1.0;
  RVector g(m), TX(ws.R.rows());
  constraints(scaled_view(pr, ws), x0, g, nullptr, TX);
  RVector y(n + 1);
  y.head(n) = x0;
  y[n] = g.maxCoeff() + 1.0;
  // The phase-I problem is already scaled (row scales 1 keep it so); its own buffers.
  QcqpWorkspace& pw = ws.phase1 ? *ws.phase1 : *(ws.phase1 = std::make_unique<QcqpWorkspace>());
  pw.block.assign(static_cast<std::size_t>(m + 1), -1);
  std::ptrdiff_t nblocks = 1;
  for (std::ptrdiff_t i = 0; i <= m; ++i)
    if (ph.quadratic(i)) pw.block[static_cast<std::size_t>(i)] = nblocks++;
  pw.T.resize(n + 1, (n + 1) * nblocks);
  pw.T.leftCols(n + 1) = ph.P;
  for (std::ptrdiff_t i = 0; i <= m; ++i)
    if (ph.quadratic(i)) pw.T.middleCols(pw.block[static_cast<std::size_t>(i)] * (n + 1), n + 1) = ph.A[static_cast<std::size_t>(i)];
  stack_blocks(pw.T, pw.R);
  pw.BT = ph.B.transpose();
  pw.cs = ph.c;
  pw.qs = ph.q;
  const View pv{n + 1, m + 1, &pw.T, &pw.R, &pw.block, &pw.BT, pw.cs.data(), &pw.qs, 1.0};
  const CoreResult out = interior_point(pv, y, max_iter, tol, pw, n, m, -1e-3);
  ws.best_x = pw.best_x;
  return out;
}

// g_i(x) in original units and, optionally, the gradients as columns of JT (the final check).
void original_constraints(const QcqpProblem& p, const RVector& x, RVector& g, RMatrix* JT) {
  const std::ptrdiff_t m = p.m();
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    g[i] = p.B.row(i).dot(x) - p.c[i];
    if (JT) JT->col(i) = p.B.row(i).transpose();
    if (!p.quadratic(i)) continue;
    const RMatrix& Ai = p.A[static_cast<std::size_t>(i)];
    for (std::ptrdiff_t j = 0; j < p.n(); ++j) {  // (A x)_j = A.col(j) . x (A symmetric)
      const double axj = Ai.col(j).dot(x);
      g[i] += x[j] * axj;
      if (JT) (*JT)(j, i) += 2.0 * axj;
    }
  }
}

QcqpWorkspace& thread_workspace() {
  thread_local QcqpWorkspace ws;
  return ws;
}

}  // namespace

void check_qcqp(const QcqpProblem& p) {
  const std::ptrdiff_t n = p.n(), m = p.m();
  require(n >= 1, "q: at least one variable is needed");
  require(p.P.rows() == n && p.P.cols() == n, "P: expected shape (n, n)");
  require(p.B.rows() == m && p.B.cols() == n, "b: expected shape (m, n)");
  require(static_cast<std::ptrdiff_t>(p.A.size()) == m, "A: expected m matrices");
  require(finite(p.P), "P: contains NaN or inf");
  require(symmetric(p.P), "P: must be symmetric");
  require(p.q.allFinite(), "q: contains NaN or inf");
  require(finite(p.B), "b: contains NaN or inf");
  require(p.c.allFinite(), "c: contains NaN or inf");
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    const RMatrix& Ai = p.A[static_cast<std::size_t>(i)];
    if (Ai.size() == 0) continue;
    require(Ai.rows() == n && Ai.cols() == n, "A: expected shape (m, n, n)");
    require(finite(Ai), "A: contains NaN or inf");
    require(symmetric(Ai), "A: every A[i] must be symmetric");
  }
}

QcqpResult solve_qcqp(const QcqpProblem& problem, const double* x0, const QcqpSettings& settings) {
  QcqpResult res;
  solve_qcqp(problem, x0, settings, thread_workspace(), res);
  return res;
}

void solve_qcqp(const QcqpProblem& problem, const double* x0, const QcqpSettings& settings,
                QcqpWorkspace& ws, QcqpResult& res) {
  const std::ptrdiff_t n = problem.n(), m = problem.m();
  scale_problem(problem, ws);
  const View sv = scaled_view(problem, ws);
  res.status = QcqpStatus::numerical_error;
  res.iterations = 0;
  res.phase1_iterations = 0;
  res.phase1_value = 0.0;
  res.violated.clear();

  RVector& start = ws.start;
  if (x0)
    start = Eigen::Map<const RVector>(x0, n);
  else
    start.setZero(n);
  RVector& g = ws.gfin;
  g.resize(m);
  ws.TX.resize(ws.R.rows());
  constraints(sv, start, g, nullptr, ws.TX);
  bool run_phase2 = true;
  if (m > 0 && g.maxCoeff() > settings.tol) {
    const CoreResult ph = phase_one(problem, start, settings.max_iter, settings.tol, ws);
    res.phase1_iterations = ph.iterations;
    res.iterations += ph.iterations;
    start = ws.best_x.head(n);
    constraints(sv, start, g, nullptr, ws.TX);
    res.phase1_value = g.maxCoeff();
    if (ph.broke || !ph.converged) {
      res.status = ph.broke ? QcqpStatus::numerical_error : QcqpStatus::max_iter;
      run_phase2 = false;
    } else if (res.phase1_value > settings.feas_tol) {
      res.status = QcqpStatus::infeasible;
      run_phase2 = false;
      for (std::ptrdiff_t i = 0; i < m; ++i)
        if (g[i] > settings.feas_tol) res.violated.push_back(i);
    }
  } else if (m > 0) {
    res.phase1_value = g.maxCoeff();
  }

  res.z.setZero(m);
  if (run_phase2) {
    RVector& x = ws.x;
    x = start;
    const CoreResult core = interior_point(sv, x, settings.max_iter, settings.tol, ws);
    res.iterations += core.iterations;
    res.status = core.broke       ? QcqpStatus::numerical_error
                 : core.converged ? QcqpStatus::optimal
                                  : QcqpStatus::max_iter;
    if (ws.best_x.allFinite()) {
      start = ws.best_x;
      res.z = ws.best_z;
    }
  }

  // Check the returned point in original units: violation, stationarity, complementarity.
  res.x = start;
  for (std::ptrdiff_t i = 0; i < m; ++i) res.z[i] = std::max(res.z[i], 0.0) * ws.row_scale[i] / ws.obj_scale;
  RMatrix& JT = ws.JT;
  JT.resize(n, m);
  original_constraints(problem, res.x, g, &JT);
  RVector& Px = ws.Px;
  Px.noalias() = problem.P * res.x;
  res.objective = problem.q.dot(res.x) - res.x.dot(Px);
  res.primal_residual = m ? std::max(g.maxCoeff(), 0.0) : 0.0;
  RVector& rd = ws.rd;
  rd = 2.0 * Px - problem.q;
  if (res.status != QcqpStatus::infeasible) rd.noalias() += JT * res.z;
  res.dual_residual = rd.lpNorm<Eigen::Infinity>();
  res.complementarity = m ? res.z.cwiseProduct(g.cwiseAbs()).maxCoeff() : 0.0;
  if (res.status == QcqpStatus::optimal) {
    // The scaled tolerances were met inside; confirm them on the unscaled point before saying so.
    RVector& gs = ws.rp;
    gs.resize(m);
    constraints(sv, res.x, gs, nullptr, ws.TX);
    const double viol_scaled = m ? std::max(gs.maxCoeff(), 0.0) : 0.0;
    if (!(viol_scaled <= settings.tol) || !res.x.allFinite() || !std::isfinite(res.objective))
      res.status = QcqpStatus::numerical_error;
  }
}

}  // namespace pyiscc
