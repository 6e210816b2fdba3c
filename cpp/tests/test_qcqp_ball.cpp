// BallOnlySolver (cpp/qcqp/ball.hpp): the optimum when only the unit ball binds, against the
// interior-point solver on the same problems; and the cases it must hand back (another row
// binds, q = 0).
#include <gtest/gtest.h>

#include <random>

#include "qcqp/ball.hpp"

namespace pyiscc {
namespace {

RMatrix random_matrix(std::ptrdiff_t rows, std::ptrdiff_t cols, std::mt19937_64& rng) {
  std::normal_distribution<double> dist;
  RMatrix m(rows, cols);
  for (std::ptrdiff_t j = 0; j < cols; ++j)
    for (std::ptrdiff_t i = 0; i < rows; ++i) m(i, j) = dist(rng);
  return m;
}

// maximise q^T x - x^T P x, P = S S^T (rank r), s.t. x^T x <= 1, x^T A x <= c_1 (A = G G^T),
// b^T x <= c_2: the extra rows' right-hand sides set by `slack` (large: inactive).
QcqpProblem problem(std::ptrdiff_t n, std::ptrdiff_t rank, double q_size, double slack, unsigned seed) {
  std::mt19937_64 rng(seed);
  QcqpProblem pr;
  const RMatrix S = random_matrix(n, rank, rng);
  pr.P = S * S.transpose();
  pr.q = q_size * random_matrix(n, 1, rng);
  const RMatrix G = random_matrix(n, n, rng);
  pr.A = {RMatrix::Identity(n, n), G * G.transpose() / static_cast<double>(n), RMatrix()};
  pr.B = RMatrix::Zero(3, n);
  pr.B.row(2) = random_matrix(1, n, rng);
  pr.c = RVector(3);
  pr.c << 1.0, slack, slack;
  return pr;
}

double objective(const QcqpProblem& pr, const RVector& x) { return pr.q.dot(x) - x.dot(pr.P * x); }

void expect_same_optimum(const QcqpProblem& pr) {
  BallOnlySolver ball;
  ASSERT_TRUE(ball.solve(pr));
  QcqpWorkspace ws;
  QcqpResult res;
  solve_qcqp(pr, nullptr, QcqpSettings{}, ws, res);
  ASSERT_EQ(res.status, QcqpStatus::optimal);
  const double f = objective(pr, ball.x()), ref = objective(pr, res.x);
  // Equal to the interior-point method's tolerance (whose point may lie up to 1e-9 outside the
  // ball, so it can be the larger one by that much).
  EXPECT_NEAR(f, ref, 1e-9 * std::abs(ref));
  EXPECT_LE((ball.x() - res.x).norm(), 1e-5);
  EXPECT_LE(ball.x().squaredNorm(), 1.0);
  EXPECT_GE(ball.lambda(), 0.0);
  // Stationarity: q = (2 P + lambda I) x.
  const RVector r = pr.q - 2.0 * pr.P * ball.x() - ball.lambda() * ball.x();
  EXPECT_LE(r.lpNorm<Eigen::Infinity>(), 1e-9 * pr.q.lpNorm<Eigen::Infinity>());
}

TEST(BallOnly, BoundaryOptimumMatchesInteriorPoint) {
  for (unsigned seed = 0; seed < 20; ++seed) {
    SCOPED_TRACE(seed);
    expect_same_optimum(problem(16, 16, 50.0, 1e6, seed));
  }
}

TEST(BallOnly, SingularObjectiveMatrix) {
  for (unsigned seed = 0; seed < 10; ++seed) {
    SCOPED_TRACE(seed);
    expect_same_optimum(problem(16, 3, 5.0, 1e6, seed));
  }
}

TEST(BallOnly, InteriorOptimumHasZeroMultiplier) {
  const QcqpProblem pr = problem(16, 16, 1e-3, 1e6, 7);
  BallOnlySolver ball;
  ASSERT_TRUE(ball.solve(pr));
  EXPECT_EQ(ball.lambda(), 0.0);
  EXPECT_LT(ball.x().squaredNorm(), 1.0);
  expect_same_optimum(pr);
}

TEST(BallOnly, HandsBackWhenAnotherRowBinds) {
  int handed_back = 0;
  for (unsigned seed = 0; seed < 10; ++seed) {
    QcqpProblem pr = problem(16, 16, 50.0, 1e6, seed);
    BallOnlySolver ball;
    ASSERT_TRUE(ball.solve(pr));
    // Tighten the quadratic row below what the ball optimum uses: it must bind now.
    pr.c[1] = 0.5 * ball.x().dot(pr.A[1] * ball.x());
    EXPECT_FALSE(ball.solve(pr));
    // ... and the linear row.
    pr.c[1] = 1e6;
    pr.c[2] = pr.B.row(2).dot(ball.x()) - 1e-3;
    handed_back += !ball.solve(pr);
  }
  EXPECT_EQ(handed_back, 10);
}

TEST(BallOnly, ZeroLinearTermIsHandedBack) {
  QcqpProblem pr = problem(8, 8, 1.0, 1e6, 3);
  pr.q.setZero();
  BallOnlySolver ball;
  EXPECT_FALSE(ball.solve(pr));
}

}  // namespace
}  // namespace pyiscc
