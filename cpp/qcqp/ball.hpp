// The QCQP's optimum when only its first constraint, the unit ball x^T x <= 1, binds: the
// trust-region equations instead of the interior-point method (qcqp.hpp).  Algorithm 2's
// slack rule tries it first on every sub-problem (56), whose row 0 is the power budget
// ||y_k||^2 <= 1 in scaled units; most of them (83 % at Table III) end there.
#pragma once

#include "qcqp.hpp"

namespace pyiscc {

// maximise q^T x - x^T P x over x^T x <= 1 (More and Sorensen): x = (2 P + lambda I)^{-1} q with
// lambda >= 0 and lambda (||x|| - 1) = 0, by Newton's method on 1 / ||x(lambda)|| - 1 from
// lambda = 0 (monotone from the left; one Cholesky factor per step).  That x is the optimum of
// the whole problem exactly when it meets every other constraint too (their multipliers are then
// zero and the KKT conditions hold), checked in the problem's own units: solve() says so, and
// returns false otherwise (then the caller runs solve_qcqp), and also when q = 0, when the
// factor fails beyond lambda = 0 (a singular P whose ball optimum lies inside), or when Newton
// does not settle in kIterations steps (the trust-region "hard case").
class BallOnlySolver {
 public:
  static constexpr int kIterations = 60;
  static constexpr double kTolerance = 1e-12;  // | ||x|| - 1 | at a boundary optimum
  static constexpr double kFloor = 1e-12;       // first lambda when 2 P is singular, relative

  // Requires row 0 of `problem` to be the unit ball (A_0 = I, b_0 = 0, c_0 = 1); not checked.
  bool solve(const QcqpProblem& problem);
  const RVector& x() const { return x_; }  // the optimum after solve() returned true
  double lambda() const { return lambda_; }  // its multiplier of x^T x <= 1, times 2

 private:
  RMatrix M_;
  Eigen::LLT<RMatrix> llt_;
  RVector x_, w_;
  double lambda_ = 0.0;
};

}  // namespace pyiscc
