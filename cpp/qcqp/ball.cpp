#include "ball.hpp"

#include <cmath>
#include <limits>

namespace pyiscc {

bool BallOnlySolver::solve(const QcqpProblem& pr) {
  const double qn = pr.q.norm();
  if (!(qn > 0.0)) return false;  // x = 0: nothing to say about the other rows
  double lambda = 0.0;
  bool settled = false;
  for (int it = 0; it < kIterations; ++it) {
    M_ = 2.0 * pr.P;
    M_.diagonal().array() += lambda;
    llt_.compute(M_);
    if (llt_.info() != Eigen::Success) {
      if (lambda > 0.0) return false;
      lambda = kFloor * std::max(pr.P.cwiseAbs().maxCoeff(), qn);  // singular: just right of 0
      continue;
    }
    x_ = llt_.solve(pr.q);
    const double xn = x_.norm();
    if ((lambda == 0.0 && xn <= 1.0) || std::abs(xn - 1.0) <= kTolerance) {
      settled = true;
      break;
    }
    // Newton on 1 / ||x|| - 1: lambda += (||x|| / ||w||)^2 (||x|| - 1), L w = x.
    w_ = llt_.matrixL().solve(x_);
    const double step = (xn * xn / w_.squaredNorm()) * (xn - 1.0);
    if (!std::isfinite(step) || lambda + step < 0.0) return false;
    lambda += step;
  }
  if (!settled) return false;
  lambda_ = lambda;
  const double xn2 = x_.squaredNorm();
  if (xn2 > 1.0) x_ /= std::sqrt(xn2) * (1.0 + 4.0 * std::numeric_limits<double>::epsilon());
  if (!(x_.squaredNorm() <= 1.0)) return false;
  for (std::ptrdiff_t i = 1; i < pr.m(); ++i) {
    double g = pr.B.row(i).dot(x_) - pr.c[i];
    if (pr.quadratic(i)) g += x_.dot(pr.A[static_cast<std::size_t>(i)] * x_);
    if (!(g <= 0.0)) return false;
  }
  return true;
}

}  // namespace pyiscc
