#include "qcqp.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

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

// Constraint values g_i(x) = x^T A_i x + b_i^T x - c_i and, optionally, their gradients (rows of J).
// Ax: workspace of size n (no allocation in the interior-point loop).
void constraints(const QcqpProblem& pr, const RVector& x, RVector& g, RMatrix* J, RVector& Ax) {
  const std::ptrdiff_t m = pr.m();
  g.noalias() = pr.B * x;
  g -= pr.c;
  if (J) *J = pr.B;
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    if (!pr.quadratic(i)) continue;
    Ax.noalias() = pr.A[static_cast<std::size_t>(i)] * x;
    g[i] += x.dot(Ax);
    if (J) J->row(i) += 2.0 * Ax.transpose();
  }
}

void constraints(const QcqpProblem& pr, const RVector& x, RVector& g, RMatrix* J) {
  RVector Ax(pr.n());
  constraints(pr, x, g, J, Ax);
}

double objective_min(const QcqpProblem& pr, const RVector& x) {  // x^T P x - q^T x
  return x.dot(pr.P * x) - pr.q.dot(x);
}

// Least-squares multipliers of the active set {i : z_i > s_i}: min ||grad_f + J_A^T z_A||.
// Returns false when the fit gives a negative multiplier.
bool polish_multipliers(const RMatrix& J, const RVector& z, const RVector& s, const RVector& grad_f,
                        RVector& out) {
  std::vector<std::ptrdiff_t> active;
  for (std::ptrdiff_t i = 0; i < z.size(); ++i)
    if (z[i] > s[i]) active.push_back(i);
  out = RVector::Zero(z.size());
  if (active.empty()) return true;
  RMatrix JA(J.cols(), static_cast<std::ptrdiff_t>(active.size()));
  for (std::size_t t = 0; t < active.size(); ++t) JA.col(static_cast<std::ptrdiff_t>(t)) = J.row(active[t]).transpose();
  const RVector zA = JA.colPivHouseholderQr().solve(-grad_f);
  if (!zA.allFinite() || zA.minCoeff() < 0.0) return false;
  for (std::size_t t = 0; t < active.size(); ++t) out[active[t]] = zA[static_cast<std::ptrdiff_t>(t)];
  return true;
}

struct CoreResult {
  RVector x, s, z;
  int iterations = 0;
  bool converged = false;
  bool broke = false;  // factorisation failed / non-finite numbers
};

// Infeasible-start primal-dual interior-point method (Mehrotra predictor-corrector) on a
// well-scaled problem:  min x^T P x - q^T x  s.t.  g(x) + s = 0, s >= 0, multipliers z >= 0.
// Newton system reduced to (H + J^T diag(z/s) J) dx = rhs, H = 2P + 2 sum z_i A_i (Cholesky).
// stop_index >= 0 (phase I, t = x[stop_index], rows g_i(x) - t): return as soon as
// max_{i < stop_rows} g_i(x) = max (g_ph,i + t) < stop_below, i.e. x is strictly feasible.
CoreResult interior_point(const QcqpProblem& pr, RVector x, int max_iter, double tol,
                          std::ptrdiff_t stop_index = -1, std::ptrdiff_t stop_rows = 0,
                          double stop_below = -kInf) {
  const std::ptrdiff_t n = pr.n(), m = pr.m();
  CoreResult out;
  RVector g(m), s(m), z(m);
  RMatrix J(m, n), H(n, n), KKT(n, n), WJ(m, n);
  RVector Ax(n), Jdx(m), wm(m);
  constraints(pr, x, g, &J, Ax);
  for (std::ptrdiff_t i = 0; i < m; ++i) s[i] = std::max(-g[i], 1e-2);
  z.setOnes();
  const double ptol = 1e-2 * tol;  // primal feasibility is cheap to get and what users check
  RVector rd(n), rp(m), rhs(n), dx(n), ds(m), dz(m), dx_a(n), ds_a(m), dz_a(m), w(m), rc(m);
  RVector Px(n), Jz(n);
  Eigen::LLT<RMatrix> llt(n);
  Eigen::PartialPivLU<RMatrix> lu;
  RMatrix Aug;
  RVector e(m);
  std::vector<std::ptrdiff_t> active;
  double best_merit = kInf;

  for (int it = 0; it <= max_iter; ++it) {
    Px.noalias() = 2.0 * (pr.P * x);
    Jz.noalias() = J.transpose() * z;
    rd = Px - pr.q + Jz;
    rp = g + s;
    const double viol = m ? std::max(g.maxCoeff(), 0.0) : 0.0;
    const double fval = 0.5 * x.dot(Px) - pr.q.dot(x);
    const double gap = m ? std::abs(z.dot(g)) : 0.0;
    const double mu = m ? s.dot(z) / static_cast<double>(m) : 0.0;
    if (!std::isfinite(fval) || !rd.allFinite() || !g.allFinite() || !z.allFinite()) {
      out.broke = true;
      break;
    }
    if (stop_index >= 0 && g.head(stop_rows).maxCoeff() + x[stop_index] < stop_below) {
      out.converged = true;
      out.x = x, out.s = s, out.z = z;
      return out;
    }
    // Relative KKT merit (<= 1: converged): stationarity relative to the size of its terms.
    const double dscale = std::max({1.0, pr.q.lpNorm<Eigen::Infinity>(), Px.lpNorm<Eigen::Infinity>(),
                                    Jz.lpNorm<Eigen::Infinity>()});
    const double fscale = 1.0 + std::abs(fval);
    const double primal_merit =
        std::max({viol / ptol, m ? rp.lpNorm<Eigen::Infinity>() / tol : 0.0, gap / (tol * fscale),
                  mu / (tol * fscale)});
    double merit = std::max(primal_merit, rd.lpNorm<Eigen::Infinity>() / (tol * dscale));
    if (merit > 1.0 && primal_merit <= 1.0) {
      // Near a degenerate optimum the reduced Newton system (weights z/s ~ 1/eps) stops
      // resolving stationarity while x is already exact: re-fit the multipliers of the active
      // constraints by least squares and keep them if they are >= 0 and close the residual.
      RVector zp;
      if (polish_multipliers(J, z, s, Px - pr.q, zp)) {
        RVector rdp = Px - pr.q;
        rdp.noalias() += J.transpose() * zp;
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
      out.x = x, out.s = s, out.z = z;
    }
    if (merit <= 1.0) {
      out.converged = true;
      break;
    }
    if (it == max_iter) break;
    out.iterations = it + 1;

    H = 2.0 * pr.P;
    for (std::ptrdiff_t i = 0; i < m; ++i)
      if (pr.quadratic(i)) H.noalias() += (2.0 * z[i]) * pr.A[static_cast<std::size_t>(i)];
    w = z.cwiseQuotient(s);
    // Constraints with weight z/s above kAugmentAbove stay in an augmented (quasi-definite)
    // system instead of being folded into H + J^T W J: folding weights ~1/eps there wipes out
    // the tangential information near a degenerate optimum (the step then stalls).
    active.clear();
    for (std::ptrdiff_t i = 0; i < m; ++i)
      if (w[i] > kAugmentAbove) active.push_back(i);
    const auto na = static_cast<std::ptrdiff_t>(active.size());
    for (std::ptrdiff_t i = 0; i < m; ++i) wm[i] = w[i] <= kAugmentAbove ? w[i] : 0.0;
    WJ.noalias() = wm.asDiagonal() * J;
    KKT = H;
    KKT.noalias() += J.transpose() * WJ;
    // Tiny static regularisation: keeps the factor defined where the problem is flat in some
    // direction (a linear objective, rank-deficient constraints).
    double reg = 1e-13 * (1.0 + KKT.diagonal().cwiseAbs().maxCoeff());
    KKT.diagonal().array() += reg;
    if (na == 0) {
      llt.compute(KKT);
      for (int retry = 0; retry < 4 && llt.info() != Eigen::Success; ++retry) {
        KKT.diagonal().array() += 99.0 * reg;  // rounding made the (PSD) matrix indefinite
        reg *= 100.0;
        llt.compute(KKT);
      }
      if (llt.info() != Eigen::Success) {
        out.broke = true;
        break;
      }
    } else {
      Aug.resize(n + na, n + na);
      Aug.topLeftCorner(n, n) = KKT;
      for (std::ptrdiff_t t = 0; t < na; ++t) {
        Aug.block(0, n + t, n, 1) = J.row(active[static_cast<std::size_t>(t)]).transpose();
        Aug.block(n + t, 0, 1, n) = J.row(active[static_cast<std::size_t>(t)]);
      }
      Aug.bottomRightCorner(na, na).setZero();
      for (std::ptrdiff_t t = 0; t < na; ++t) Aug(n + t, n + t) = -1.0 / w[active[static_cast<std::size_t>(t)]] - reg;
      lu.compute(Aug);
      if (!lu.matrixLU().diagonal().allFinite()) {
        out.broke = true;
        break;
      }
    }
    auto newton = [&](const RVector& rc_, RVector& dx_, RVector& ds_, RVector& dz_) {
      // rc_ = target of s o z; ds = -rp - J dx; dz = W J dx + e, e = (z o rp - rc) / s.
      e = (z.cwiseProduct(rp) - rc_).cwiseQuotient(s);
      if (na == 0) {
        rhs = -rd;
        rhs.noalias() -= J.transpose() * e;
        dx_ = llt.solve(rhs);
        Jdx.noalias() = J * dx_;
        dz_ = w.cwiseProduct(Jdx) + e;
      } else {
        // [KKT_I  J_A^T; J_A  -W_A^{-1}] [dx; dz_A] = [-rd - J_I^T e_I; -e_A / w_A].
        RVector r2(n + na);
        r2.head(n) = -rd;
        for (std::ptrdiff_t i = 0; i < m; ++i)
          if (w[i] <= kAugmentAbove) r2.head(n).noalias() -= e[i] * J.row(i).transpose();
        for (std::ptrdiff_t t = 0; t < na; ++t) {
          const std::ptrdiff_t i = active[static_cast<std::size_t>(t)];
          r2[n + t] = -e[i] / w[i];
        }
        const RVector sol = lu.solve(r2);
        dx_ = sol.head(n);
        Jdx.noalias() = J * dx_;
        dz_ = w.cwiseProduct(Jdx) + e;
        for (std::ptrdiff_t t = 0; t < na; ++t) dz_[active[static_cast<std::size_t>(t)]] = sol[n + t];
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
    constraints(pr, x, g, &J, Ax);
  }
  if (out.x.size() == 0) out.x = x, out.s = s, out.z = z;  // broke before the first check
  return out;
}

// The problem with objective and constraint rows scaled to unit size.
struct Scaled {
  QcqpProblem pr;
  double obj_scale = 1.0;
  RVector row_scale;
};

Scaled scale_problem(const QcqpProblem& p) {
  Scaled sc;
  const std::ptrdiff_t m = p.m();
  double omax = std::max(p.P.size() ? p.P.cwiseAbs().maxCoeff() : 0.0,
                         p.q.size() ? p.q.cwiseAbs().maxCoeff() : 0.0);
  sc.obj_scale = omax > 0.0 ? 1.0 / omax : 1.0;
  sc.pr.P = p.P * sc.obj_scale;
  sc.pr.q = p.q * sc.obj_scale;
  sc.pr.A.resize(static_cast<std::size_t>(m));
  sc.pr.B = p.B;
  sc.pr.c = p.c;
  sc.row_scale.resize(m);
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    double r = std::max(std::abs(p.c[i]), p.B.row(i).cwiseAbs().maxCoeff());
    if (p.quadratic(i)) r = std::max(r, p.A[ui].cwiseAbs().maxCoeff());
    r = r > 0.0 ? 1.0 / r : 1.0;
    sc.row_scale[i] = r;
    if (p.quadratic(i)) sc.pr.A[ui] = p.A[ui] * r;
    sc.pr.B.row(i) *= r;
    sc.pr.c[i] *= r;
  }
  return sc;
}

// Phase I: min t + eps ||x - x0||^2 s.t. g_i(x) <= t, t >= -1 on the scaled problem; the proximal
// term keeps it bounded in directions no constraint sees.  Returns (x, t) after an early exit at
// t < -margin (a strictly feasible point is all phase II needs) or at the optimum.
CoreResult phase_one(const QcqpProblem& pr, const RVector& x0, int max_iter, double tol) {
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
    if (pr.quadratic(i)) {
      ph.A[ui] = RMatrix::Zero(n + 1, n + 1);
      ph.A[ui].topLeftCorner(n, n) = pr.A[ui];
    }
    ph.B.row(i).head(n) = pr.B.row(i);
    ph.B(i, n) = -1.0;
    ph.c[i] = pr.c[i];
  }
  ph.B(m, n) = -1.0;  // -t <= 1
  ph.c[m] = 1.0;
  RVector g(m);
  constraints(pr, x0, g, nullptr);
  RVector y(n + 1);
  y.head(n) = x0;
  y[n] = g.maxCoeff() + 1.0;
  return interior_point(ph, y, max_iter, tol, n, m, -1e-3);
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
  const std::ptrdiff_t n = problem.n(), m = problem.m();
  const Scaled sc = scale_problem(problem);
  const QcqpProblem& pr = sc.pr;
  QcqpResult res;

  RVector start = x0 ? RVector(Eigen::Map<const RVector>(x0, n)) : RVector(RVector::Zero(n));
  RVector g(m);
  constraints(pr, start, g, nullptr);
  bool run_phase2 = true;
  if (m > 0 && g.maxCoeff() > settings.tol) {
    CoreResult ph = phase_one(pr, start, settings.max_iter, settings.tol);
    res.phase1_iterations = ph.iterations;
    res.iterations += ph.iterations;
    start = ph.x.head(n);
    constraints(pr, start, g, nullptr);
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

  RVector z = RVector::Zero(m);
  if (run_phase2) {
    CoreResult core = interior_point(pr, start, settings.max_iter, settings.tol);
    res.iterations += core.iterations;
    res.status = core.broke       ? QcqpStatus::numerical_error
                 : core.converged ? QcqpStatus::optimal
                                  : QcqpStatus::max_iter;
    if (core.x.allFinite()) {
      start = core.x;
      z = core.z;
    }
  }

  // Check the returned point in original units: violation, stationarity, complementarity.
  res.x = start;
  res.z = RVector(m);
  for (std::ptrdiff_t i = 0; i < m; ++i) res.z[i] = std::max(z[i], 0.0) * sc.row_scale[i] / sc.obj_scale;
  RMatrix J;
  constraints(problem, res.x, g, &J);
  res.objective = -objective_min(problem, res.x);
  res.primal_residual = m ? std::max(g.maxCoeff(), 0.0) : 0.0;
  RVector rd = 2.0 * (problem.P * res.x) - problem.q;
  if (res.status != QcqpStatus::infeasible) rd.noalias() += J.transpose() * res.z;
  res.dual_residual = rd.lpNorm<Eigen::Infinity>();
  res.complementarity = m ? res.z.cwiseProduct(g.cwiseAbs()).maxCoeff() : 0.0;
  if (res.status == QcqpStatus::optimal) {
    // The scaled tolerances were met inside; confirm them on the unscaled point before saying so.
    RVector gs(m);
    constraints(pr, res.x, gs, nullptr);
    const double viol_scaled = m ? std::max(gs.maxCoeff(), 0.0) : 0.0;
    if (!(viol_scaled <= settings.tol) || !res.x.allFinite() || !std::isfinite(res.objective))
      res.status = QcqpStatus::numerical_error;
  }
  return res;
}

}  // namespace pyiscc
