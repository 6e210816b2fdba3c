// The interior-point method (cpp/qcqp/interior_point.hpp) through both paths on problems with
// known optima: a ball, an active linear constraint, an inactive constraint, an infeasible pair;
// and its statuses, phase I skipping and determinism.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "qcqp/qcqp.hpp"

namespace pyiscc {
namespace {

RVector random_vector(std::ptrdiff_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> dist;
  RVector v(n);
  for (std::ptrdiff_t k = 0; k < n; ++k) v[k] = dist(rng);
  return v;
}

// maximise q^T x - x^T P x with P = p I, s.t. |x|^2 <= radius^2.
QcqpProblem ball(const RVector& q, double p, double radius) {
  const std::ptrdiff_t n = q.size();
  QcqpProblem pr;
  pr.P = p * RMatrix::Identity(n, n);
  pr.q = q;
  pr.A = {RMatrix::Identity(n, n)};
  pr.B = RMatrix::Zero(1, n);
  pr.c = RVector::Constant(1, radius * radius);
  return pr;
}

// The same problem as K blocks of order nb (n = K nb).
BlockQcqpProblem block_ball(const RVector& q, double p, double radius, std::ptrdiff_t nb) {
  const std::ptrdiff_t n = q.size(), K = n / nb;
  BlockQcqpProblem pr;
  pr.block_size = nb;
  pr.blocks = K;
  pr.P = p * RMatrix::Identity(nb, nb).replicate(1, K);
  pr.P_tail.resize(0, 0);
  pr.q = q;
  pr.A = RMatrix::Identity(nb, nb).replicate(1, K);
  pr.A_tail.resize(0, 0);
  pr.B = RMatrix::Zero(1, n);
  pr.c = RVector::Constant(1, radius * radius);
  return pr;
}

QcqpResult solve(const QcqpProblem& pr, const double* x0 = nullptr, int max_iter = 100) {
  QcqpSettings st;
  st.max_iter = max_iter;
  QcqpWorkspace ws;
  QcqpResult res;
  solve_qcqp(pr, x0, st, ws, res);
  return res;
}

class Sizes : public ::testing::TestWithParam<std::ptrdiff_t> {};  // 16: the register kernels

TEST_P(Sizes, LinearObjectiveOnABallEndsOnTheBoundaryAlongQ) {
  const std::ptrdiff_t n = GetParam();
  const RVector q = random_vector(n, 1);
  const QcqpResult res = solve(ball(q, 0.0, 1.0));
  ASSERT_EQ(res.status, QcqpStatus::optimal);
  EXPECT_LE((res.x - q / q.norm()).lpNorm<Eigen::Infinity>(), 1e-6);
  EXPECT_NEAR(res.objective, q.norm(), 1e-8 * q.norm());
  ASSERT_EQ(res.z.size(), 1);
  EXPECT_NEAR(res.z[0], q.norm() / 2.0, 1e-6 * q.norm());  // q = 2 z x
  EXPECT_LE(res.primal_residual, 1e-9);
  EXPECT_EQ(res.phase1_value, -1.0);  // max_i g_i(0) (scaled): x0 = 0 is feasible
  EXPECT_EQ(res.phase1_iterations, 0);
}

TEST_P(Sizes, ActiveLinearConstraintGivesTheProjectedOptimum) {
  // maximise q^T x - |x|^2 s.t. a^T x <= c with a^T (q / 2) > c: x = (q - z a) / 2 on the plane.
  const std::ptrdiff_t n = GetParam();
  const RVector q = random_vector(n, 2), a = random_vector(n, 3);
  const double c = a.dot(q) / 2.0 - 1.0;
  QcqpProblem pr;
  pr.P = RMatrix::Identity(n, n);
  pr.q = q;
  pr.A = {RMatrix()};  // A_0 = 0: linear
  pr.B = a.transpose();
  pr.c = RVector::Constant(1, c);
  const QcqpResult res = solve(pr);
  ASSERT_EQ(res.status, QcqpStatus::optimal);
  const double z = (a.dot(q) - 2.0 * c) / a.squaredNorm();
  const RVector x = (q - z * a) / 2.0;
  EXPECT_LE((res.x - x).lpNorm<Eigen::Infinity>(), 1e-7);
  EXPECT_NEAR(res.z[0], z, 1e-7 * (1.0 + z));
  EXPECT_NEAR(res.objective, q.dot(x) - x.squaredNorm(), 1e-8 * (1.0 + std::abs(q.dot(x))));
}

TEST_P(Sizes, InactiveConstraintLeavesTheUnconstrainedOptimum) {
  // maximise q^T x - |x|^2 on a ball of radius 10 around 0 that contains q / 2.
  const std::ptrdiff_t n = GetParam();
  const RVector q = random_vector(n, 4);
  ASSERT_LT(q.norm() / 2.0, 10.0);
  const QcqpResult res = solve(ball(q, 1.0, 10.0));
  ASSERT_EQ(res.status, QcqpStatus::optimal);
  EXPECT_LE((res.x - q / 2.0).lpNorm<Eigen::Infinity>(), 1e-7);
  EXPECT_LE(res.z[0], 1e-8);
  EXPECT_NEAR(res.objective, q.squaredNorm() / 4.0, 1e-8 * q.squaredNorm());
  EXPECT_LE(res.dual_residual, 1e-7);
}

TEST_P(Sizes, BallAndHalfSpaceThatMissItAreInfeasible) {
  // |x|^2 <= 1 and u^T x <= -2 with |u| = 1: the half-space starts at distance 2.
  const std::ptrdiff_t n = GetParam();
  QcqpProblem pr = ball(random_vector(n, 5), 1.0, 1.0);
  const RVector u = random_vector(n, 6).normalized();
  pr.A.push_back(RMatrix());
  pr.B = RMatrix::Zero(2, n);
  pr.B.row(1) = u.transpose();
  pr.c = RVector(2);
  pr.c << 1.0, -2.0;
  const QcqpResult res = solve(pr);
  ASSERT_EQ(res.status, QcqpStatus::infeasible);
  EXPECT_GT(res.phase1_iterations, 0);
  EXPECT_EQ(res.iterations, res.phase1_iterations);
  EXPECT_GT(res.phase1_value, 1e-3);
  ASSERT_FALSE(res.violated.empty());
  EXPECT_EQ(res.violated.back(), 1);  // the half-space is violated at the least-violating point
  EXPECT_GT(res.primal_residual, 0.1);
}

INSTANTIATE_TEST_SUITE_P(QcqpSolver, Sizes, ::testing::Values<std::ptrdiff_t>(16, 5));

TEST(QcqpSolver, InfeasibleStartRunsPhaseOneThenReachesTheOptimum) {
  const RVector q = random_vector(16, 7);
  const RVector x0 = RVector::Constant(16, 3.0);  // |x0|^2 = 144 > 1
  const QcqpResult res = solve(ball(q, 0.5, 1.0), x0.data());
  ASSERT_EQ(res.status, QcqpStatus::optimal);
  EXPECT_GT(res.phase1_iterations, 0);
  EXPECT_GT(res.iterations, res.phase1_iterations);
  EXPECT_LE(res.primal_residual, 1e-9);
  EXPECT_LE(res.dual_residual, 1e-6);
}

TEST(QcqpSolver, OneIterationEndsWithMaxIter) {
  const QcqpResult res = solve(ball(random_vector(16, 8), 0.0, 1.0), nullptr, 1);
  EXPECT_EQ(res.status, QcqpStatus::max_iter);
  EXPECT_EQ(res.iterations, 1);
  EXPECT_STREQ(status_name(res.status), "max_iter");
}

TEST(QcqpSolver, BlockPathFindsTheDensePathsOptimum) {
  const RVector q = random_vector(16, 9);
  for (double p : {0.0, 1.0}) {
    QcqpSettings st;
    QcqpWorkspace ws;
    QcqpResult res;
    solve_qcqp(block_ball(q, p, 1.0, 4), nullptr, st, ws, res);
    const QcqpResult dense = solve(ball(q, p, 1.0));
    ASSERT_EQ(res.status, QcqpStatus::optimal);
    ASSERT_EQ(dense.status, QcqpStatus::optimal);
    EXPECT_LE((res.x - dense.x).lpNorm<Eigen::Infinity>(), 1e-6);
    EXPECT_NEAR(res.objective, dense.objective, 1e-8 * (1.0 + std::abs(dense.objective)));
    EXPECT_NEAR(res.z[0], dense.z[0], 1e-6 * (1.0 + dense.z[0]));
  }
}

TEST(QcqpSolver, AReusedWorkspaceGivesTheSameBits) {
  const QcqpProblem pr = ball(random_vector(16, 10), 0.3, 1.0), other = ball(random_vector(5, 11), 1.0, 2.0);
  const RVector x0 = RVector::Constant(16, 2.0);  // through phase I
  QcqpSettings st;
  QcqpWorkspace ws;
  QcqpResult first, again;
  solve_qcqp(pr, x0.data(), st, ws, first);
  solve_qcqp(other, nullptr, st, ws, again);  // another shape in between
  solve_qcqp(pr, x0.data(), st, ws, again);
  ASSERT_EQ(first.status, again.status);
  EXPECT_EQ(first.iterations, again.iterations);
  ASSERT_EQ(first.x.size(), again.x.size());
  EXPECT_EQ(std::memcmp(first.x.data(), again.x.data(), sizeof(double) * 16), 0);
  EXPECT_EQ(std::memcmp(first.z.data(), again.z.data(), sizeof(double)), 0);
  QcqpWorkspace moved = std::move(ws);  // a workspace moves (std::vector<QcqpWorkspace> needs it)
  solve_qcqp(pr, x0.data(), st, moved, again);
  EXPECT_EQ(std::memcmp(first.x.data(), again.x.data(), sizeof(double) * 16), 0);
}

}  // namespace
}  // namespace pyiscc
