// The interior-point method, shared by the dense path (dense.cpp) and the block path (block.cpp):
// the iteration (interior_point), phase I (phase_one) and the two-phase solve with the check of
// the returned point (solve_two_phase).  Templates over the path's `Ops` and `Path` (contracts
// below), instantiated in each path's translation unit, with internal linkage there.
//
// The problem as the iteration sees it (scaled to O(1) coefficients by the path):
//   minimise  x^T P x - q^T x   s.t.  g_i(x) = x^T A_i x + b_i^T x - c_i <= 0,
// with slacks s = -g(x) >= 0 and multipliers z >= 0; an infeasible-start primal-dual method with
// Mehrotra's predictor-corrector.  Each Newton system is reduced to
//   (H + J^T W J) dx = -rd - J^T e,   H = 2 P + 2 sum_i z_i A_i,  W = diag(z / s),
// with J the constraints' Jacobian; how that is formed and solved is the Ops' business.
//
// The `Ops` contract (DenseOps, BlockOps), all on the scaled problem:
//   std::ptrdiff_t n() const, m() const     variables, constraints
//   const RVector& q() const                the linear term q (n,)
//   void eval(x, z, g, JT, Px2)             g = g(x) (m,); JT (n x m, when not nullptr): the
//                                           gradients 2 A_i x + b_i as columns; Px2 = 2 P x.
//                                           z: the multipliers now (the next factor() comes with
//                                           the same z unless phase II's start rescaled them;
//                                           DenseOps at n = 16 forms H in the same pass)
//   void jt_times(JT, z, Jz) const          Jz = J^T z
//   bool factor(z, w, JT)                   forms and factors the Newton matrix at z, w = z / s;
//                                           false: it failed (the solve ends numerical_error)
//   void solve(rd, e, w, JT, dx, dz, Jdx)   with that factor: dx, dz = W J dx + e (rows the Ops
//                                           keeps in an augmented system: their dz from it) and
//                                           Jdx = J dx
// Every call must be deterministic (same inputs, same bits) and allocate nothing once sized.
//
// The `Path` contract (DensePath, BlockPath), for solve_two_phase, on one problem whose scaled
// form the path has already built:
//   std::ptrdiff_t n() const, m() const
//   QcqpWorkspace::Impl& workspace()
//   Ops ops()                               the Ops of the scaled problem
//   Ops phase_one_ops(x0, pw)               builds phase I's problem (below) in pw from the scaled
//                                           problem and x0; its Ops
//   void scaled_constraints(x, g)           g(x) of the scaled problem
//   double row_scale(i) const, obj_scale() const
//   void original_constraints(x, g, JT)     g(x) and the gradients in original units
//   void apply_P(x, Px)                     P x in original units
//   q()                                     q in original units (an Eigen vector expression)
#pragma once

#include <algorithm>
#include <cmath>

#include "constants.hpp"
#include "workspace.hpp"

namespace pyiscc::qcqp_detail {
namespace {

struct CoreResult {
  int iterations = 0;
  bool converged = false;
  bool broke = false;  // factorisation failed / non-finite numbers
};

// Largest step in (0, 1] keeping v + step * dv >= 0 (fraction-to-boundary applied by the caller).
double max_step(const RVector& v, const RVector& dv) {
  double step = 1.0;
  for (std::ptrdiff_t i = 0; i < v.size(); ++i)
    if (dv[i] < 0.0) step = std::min(step, -v[i] / dv[i]);
  return step;
}

// Least-squares multipliers of the active set {i : z_i > s_i}: min ||grad_f + J_A^T z_A||.
// Returns false when the fit gives a negative multiplier.
bool polish_multipliers(const RMatrix& JT, const RVector& z, const RVector& s, const RVector& grad_f,
                        IterateBuffers& b, RVector& out) {
  auto& active = b.active;
  active.clear();
  for (std::ptrdiff_t i = 0; i < z.size(); ++i)
    if (z[i] > s[i]) active.push_back(i);
  out.setZero(z.size());
  if (active.empty()) return true;
  b.JA.resize(JT.rows(), static_cast<std::ptrdiff_t>(active.size()));
  for (std::size_t t = 0; t < active.size(); ++t) b.JA.col(static_cast<std::ptrdiff_t>(t)) = JT.col(active[t]);
  b.qr.compute(b.JA);
  const RVector zA = b.qr.solve(-grad_f);
  if (!zA.allFinite() || zA.minCoeff() < 0.0) return false;
  for (std::size_t t = 0; t < active.size(); ++t) out[active[t]] = zA[static_cast<std::ptrdiff_t>(t)];
  return true;
}

// The multipliers' start in phase II (all equal), from the gradients at the start x: at an
// optimum |grad f| = |sum z_i grad g_i|, so the multipliers are about |grad f| / |grad g| in size;
// a tenth of that, clamped to [kMinStartMultiplier, 1].  Starting them at 1 instead (the usual
// choice for a problem scaled to O(1) coefficients) costs Algorithm 2's sub-problems 10.1 Newton
// steps instead of 6.1: their gradients at the previous beam, and their multipliers, are 1e-3 to
// 1e-6.  grad_f = Px2 - q (Px2 = 2 P_s x), the grad g_i are the columns of JT.
double start_multiplier(const RVector& Px2, const RVector& q, const RMatrix& JT) {
  const double grad_f = (Px2 - q).lpNorm<Eigen::Infinity>();
  const double grad_g = JT.size() ? JT.cwiseAbs().maxCoeff() : 0.0;
  if (!(grad_g > 0.0) || !std::isfinite(grad_f) || !std::isfinite(grad_g)) return 1.0;
  return std::clamp(0.1 * grad_f / grad_g, kMinStartMultiplier, 1.0);
}

// The iteration on the Ops' problem from x (overwritten); the answer is left in b.best_x,
// b.best_s, b.best_z.  stop_index >= 0 (phase I, t = x[stop_index], rows g_i(x) - t): return as
// soon as max_{i < stop_rows} g_i(x) = max (g_ph,i + t) < stop_below, i.e. x is strictly feasible.
template <class Ops>
CoreResult interior_point(Ops& ops, RVector& x, int max_iter, double tol, IterateBuffers& b,
                          std::ptrdiff_t stop_index = -1, std::ptrdiff_t stop_rows = 0,
                          double stop_below = -kInf) {
  const std::ptrdiff_t n = ops.n(), m = ops.m();
  const RVector& q = ops.q();
  CoreResult out;
  RVector &g = b.g, &s = b.s, &z = b.z, &w = b.w, &rd = b.rd, &rp = b.rp;
  RVector &dx = b.dx, &ds = b.ds, &dz = b.dz, &dx_a = b.dx_a, &ds_a = b.ds_a;
  RVector &dz_a = b.dz_a, &rc = b.rc, &e = b.e, &Px = b.Px, &Jz = b.Jz, &Jdx = b.Jdx;
  RMatrix& JT = b.JT;
  for (RVector* vec : {&g, &s, &z, &w, &rp, &ds, &dz, &ds_a, &dz_a, &rc, &e, &Jdx}) vec->resize(m);
  for (RVector* vec : {&rd, &dx, &dx_a, &Px, &Jz}) vec->resize(n);
  JT.resize(n, m);
  b.best_x.resize(0);
  z.setOnes();  // before eval(): DenseOps forms the Hessian at this z in the same pass
  ops.eval(x, z, g, &JT, Px);
  if (m > 0 && stop_index < 0) {  // phase II (phase I's multipliers sum to 1: they start at 1)
    const double z0 = start_multiplier(Px, q, JT);
    if (z0 != 1.0) z.setConstant(z0);  // then DenseOps::factor() forms the Hessian again, at this z
  }
  for (std::ptrdiff_t i = 0; i < m; ++i) s[i] = std::max(-g[i], kMinStartSlack);
  const double ptol = kPrimalTolFactor * tol;
  const double qnorm = q.lpNorm<Eigen::Infinity>();
  double best_merit = kInf;
  int stalled = 0;  // iterations since best_merit last improved
  auto keep_best = [&]() { b.best_x = x, b.best_s = s, b.best_z = z; };

  for (int it = 0; it <= max_iter; ++it) {
    // Px = 2 P_s x from eval() at this x
    ops.jt_times(JT, z, Jz);
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
    const double dscale = std::max({1.0, qnorm, Px.lpNorm<Eigen::Infinity>(),
                                    Jz.lpNorm<Eigen::Infinity>()});
    const double fscale = 1.0 + std::abs(fval);
    const double primal_merit =
        std::max({viol / ptol, m ? rp.lpNorm<Eigen::Infinity>() / tol : 0.0, gap / (tol * fscale),
                  mu / (tol * fscale)});
    const double dual_merit = rd.lpNorm<Eigen::Infinity>() / (tol * dscale);
    double merit = std::max(primal_merit, dual_merit);
    // Least-squares multipliers of the active set (polish_multipliers), adopted when with them
    // the merit is <= 1: `primal` is its part that does not depend on z; the complementarity is
    // |z^T g| (slack form) or sum z_i |g_i| (without the slacks).
    auto polish = [&](double primal, bool abs_comp) {
      RVector& zp = b.zp;
      RVector& rdp = b.rdp;
      rdp = Px - q;
      if (!polish_multipliers(JT, z, s, rdp, b, zp)) return;
      rdp.noalias() += JT * zp;
      const double gp = abs_comp ? zp.dot(g.cwiseAbs()) : std::abs(zp.dot(g));
      const double mp = std::max(primal, std::max(rdp.lpNorm<Eigen::Infinity>() / (tol * dscale),
                                                  gp / (tol * fscale)));
      if (mp <= 1.0) {
        z = zp;
        merit = mp;
      }
    };
    // Near a degenerate optimum the reduced Newton system (weights z/s ~ 1/eps) stops resolving
    // stationarity while x is already exact: re-fit the multipliers.
    if (merit > 1.0 && primal_merit <= 1.0) polish(primal_merit, false);
    if (merit > 1.0 && stalled >= kStallIterations && viol <= ptol) {
      // Stalled: the merit has not improved for kStallIterations steps.  Near some degenerate
      // optima the slack residual g + s stays above tol while x is exact (the curvature of the
      // g_i undoes each step's reduction of g + s; the iterates cycle).  Then the test without
      // the slacks decides: x feasible, z >= 0, stationarity and sum z_i |g_i| to tol make a KKT
      // point of the problem itself, whatever s is; with the re-fitted multipliers if need be.
      const double comp = z.dot(g.cwiseAbs());
      const double kkt_merit = std::max({viol / ptol, comp / (tol * fscale), dual_merit});
      if (kkt_merit <= 1.0)
        merit = kkt_merit;
      else
        polish(viol / ptol, true);
    }
    if (merit < best_merit) {
      best_merit = merit;
      keep_best();
      stalled = 0;
    } else {
      ++stalled;
    }
    if (merit <= 1.0) {
      out.converged = true;
      break;
    }
    if (it == max_iter) break;
    out.iterations = it + 1;

    w = z.cwiseQuotient(s);
    if (!ops.factor(z, w, JT)) {
      out.broke = true;
      break;
    }
    auto newton = [&](const RVector& rc_, RVector& dx_, RVector& ds_, RVector& dz_) {
      // rc_ = target of s o z; ds = -rp - J dx; dz = W J dx + e, e = (z o rp - rc) / s.
      e = (z.cwiseProduct(rp) - rc_).cwiseQuotient(s);
      ops.solve(rd, e, w, JT, dx_, dz_, Jdx);
      ds_ = -rp - Jdx;
    };
    // Predictor (affine scaling).
    rc = s.cwiseProduct(z);
    newton(rc, dx_a, ds_a, dz_a);
    const double a_aff = std::min(max_step(s, ds_a), max_step(z, dz_a));
    const double mu_aff =
        m ? (s + a_aff * ds_a).dot(z + a_aff * dz_a) / static_cast<double>(m) : 0.0;
    const double ratio = mu > 0.0 ? std::min(1.0, mu_aff / mu) : 0.0;
    const double sigma = ratio * ratio * ratio;
    // Corrector with centring.
    rc = s.cwiseProduct(z) + ds_a.cwiseProduct(dz_a);
    rc.array() -= sigma * mu;
    newton(rc, dx, ds, dz);
    const double step = std::min(1.0, kFractionToBoundary * std::min(max_step(s, ds), max_step(z, dz)));
    x += step * dx;
    s += step * ds;
    z += step * dz;
    ops.eval(x, z, g, &JT, Px);
  }
  if (b.best_x.size() == 0) keep_best();  // broke before the first check
  return out;
}

// The workspace of phase I's problem (n + 1 variables), created on first use.
QcqpWorkspace::Impl& phase_one_workspace(QcqpWorkspace::Impl& ws) {
  if (!ws.phase1) ws.phase1 = std::make_unique<QcqpWorkspace::Impl>();
  return *ws.phase1;
}

// Phase I on the scaled problem:  min t + eps ||x - x0||^2  s.t.  g_i(x) <= t,  -t <= 1
// (eps = kPhaseOneProximal; the proximal term keeps it bounded in directions no constraint
// sees), from (x0, max_i g_i(x0) + kPhaseOneStartGap); gmax = max_i g_i(x0).  Ends early at
// t < -kPhaseOneMargin (a strictly feasible point is all phase II needs), else at its optimum;
// the point (x, t) is left in best_x.
template <class Path>
CoreResult phase_one(Path& path, const RVector& x0, double gmax, int max_iter, double tol, RVector& best_x) {
  const std::ptrdiff_t n = path.n(), m = path.m();
  QcqpWorkspace::Impl& pw = phase_one_workspace(path.workspace());
  auto ops = path.phase_one_ops(x0, pw);
  RVector y(n + 1);
  y.head(n) = x0;
  y[n] = gmax + kPhaseOneStartGap;
  const CoreResult out = interior_point(ops, y, max_iter, tol, pw.it, n, m, -kPhaseOneMargin);
  best_x = pw.it.best_x;
  return out;
}

// The solve shared by both paths: phase I when the start is infeasible, phase II, and the check
// of the returned point in original units (it reuses the iteration's buffers).
template <class Path>
void solve_two_phase(Path& path, const double* x0, const QcqpSettings& settings, QcqpResult& res) {
  const std::ptrdiff_t n = path.n(), m = path.m();
  QcqpWorkspace::Impl& ws = path.workspace();
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
  RVector& g = ws.g;
  g.resize(m);
  path.scaled_constraints(start, g);
  bool run_phase2 = true;
  if (m > 0 && g.maxCoeff() > settings.tol) {
    const CoreResult ph = phase_one(path, start, g.maxCoeff(), settings.max_iter, settings.tol, ws.it.best_x);
    res.phase1_iterations = ph.iterations;
    res.iterations += ph.iterations;
    start = ws.it.best_x.head(n);
    path.scaled_constraints(start, g);
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
    auto ops = path.ops();
    const CoreResult core = interior_point(ops, x, settings.max_iter, settings.tol, ws.it);
    res.iterations += core.iterations;
    res.status = core.broke       ? QcqpStatus::numerical_error
                 : core.converged ? QcqpStatus::optimal
                                  : QcqpStatus::max_iter;
    if (ws.it.best_x.allFinite()) {
      start = ws.it.best_x;
      res.z = ws.it.best_z;
    }
  }

  // Check the returned point in original units: violation, stationarity, complementarity.
  res.x = start;
  for (std::ptrdiff_t i = 0; i < m; ++i) res.z[i] = std::max(res.z[i], 0.0) * path.row_scale(i) / path.obj_scale();
  RMatrix& JT = ws.it.JT;
  JT.resize(n, m);
  path.original_constraints(res.x, g, &JT);
  RVector& Px = ws.it.Px;
  path.apply_P(res.x, Px);
  const auto q = path.q();
  res.objective = q.dot(res.x) - res.x.dot(Px);
  res.primal_residual = m ? std::max(g.maxCoeff(), 0.0) : 0.0;
  RVector& rd = ws.it.rd;
  rd = 2.0 * Px - q;
  if (res.status != QcqpStatus::infeasible) rd.noalias() += JT * res.z;
  res.dual_residual = rd.lpNorm<Eigen::Infinity>();
  res.complementarity = m ? res.z.cwiseProduct(g.cwiseAbs()).maxCoeff() : 0.0;
  if (res.status == QcqpStatus::optimal) {
    // The scaled tolerances were met inside; confirm them on the unscaled point before saying so.
    RVector& gs = ws.it.rp;
    gs.resize(m);
    path.scaled_constraints(res.x, gs);
    const double viol_scaled = m ? std::max(gs.maxCoeff(), 0.0) : 0.0;
    if (!(viol_scaled <= settings.tol) || !res.x.allFinite() || !std::isfinite(res.objective))
      res.status = QcqpStatus::numerical_error;
  }
}

}  // namespace
}  // namespace pyiscc::qcqp_detail
