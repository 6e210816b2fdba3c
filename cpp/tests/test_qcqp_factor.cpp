// The Cholesky helpers of cpp/qcqp/cholesky.hpp: the generic factor and solves, and the one
// regularise-and-retry loop (factor_with_retries) on positive definite, nearly singular and
// hopeless matrices.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "common.hpp"
#include "qcqp/cholesky.hpp"

namespace pyiscc::qcqp_detail {
namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();

RMatrix random_spd(std::ptrdiff_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> dist;
  RMatrix F(n, n);
  for (std::ptrdiff_t k = 0; k < F.size(); ++k) F.data()[k] = dist(rng);
  return F * F.transpose() + RMatrix::Identity(n, n);
}

// factor() as the dense path's small case: a Cholesky of M's lower triangle, counting the tries.
struct CountingCholesky {
  explicit CountingCholesky(RMatrix& matrix) : M(matrix) {}
  RMatrix& M;
  RMatrix L;
  int tries = 0;
  bool operator()() {
    ++tries;
    L = M;
    return cholesky_lower(L.data(), L.rows());
  }
};

TEST(QcqpCholesky, FactorAndSolvesMatchEigen) {
  for (std::ptrdiff_t n : {1, 5, 16, 41}) {
    const RMatrix A = random_spd(n, static_cast<unsigned>(n));
    RMatrix L = A;
    ASSERT_TRUE(cholesky_lower(L.data(), n));
    const RMatrix Le = A.llt().matrixL();
    for (std::ptrdiff_t j = 0; j < n; ++j)
      for (std::ptrdiff_t i = j; i < n; ++i) EXPECT_NEAR(L(i, j), Le(i, j), 64 * kEps * Le.cwiseAbs().maxCoeff());
    RVector b = RVector::LinSpaced(n, -1.0, 2.0), x = b;
    cholesky_solve(L.data(), x.data(), n);
    EXPECT_LE((A * x - b).lpNorm<Eigen::Infinity>(), 1e-12 * (1.0 + A.cwiseAbs().maxCoeff() * x.cwiseAbs().maxCoeff()));
    RVector y = b;  // forward then backward is the full solve
    forward_solve(L.data(), y.data(), n);
    backward_solve(L.data(), y.data(), n);
    EXPECT_EQ(y, x);
  }
  RMatrix indefinite = RMatrix::Identity(3, 3);
  indefinite(2, 2) = -1.0;
  EXPECT_FALSE(cholesky_lower(indefinite.data(), 3));
}

TEST(QcqpCholesky, DotSumsEvenAndOddEntriesSeparately) {
  const double a[5] = {1e16, 1.0, -1e16, 1.0, 0.5}, b[5] = {1.0, 1.0, 1.0, 1.0, 1.0};
  // s0 = 1e16 - 1e16 = 0, s1 = 1 + 1 = 2, then + 0.5: exact, where a left-to-right sum loses the 1s.
  EXPECT_EQ(dot(a, b, 5), 2.5);
  EXPECT_EQ(dot(a, b, 0), 0.0);
}

TEST(QcqpFactorWithRetries, PositiveDefiniteSucceedsAtOnceAndLeavesTheMatrix) {
  RMatrix M = random_spd(6, 1);
  const RMatrix M0 = M;
  CountingCholesky f(M);
  EXPECT_TRUE(factor_with_retries(M, static_regularisation(M.diagonal().cwiseAbs().maxCoeff()), true, f));
  EXPECT_EQ(f.tries, 1);
  EXPECT_EQ(M, M0);
}

TEST(QcqpFactorWithRetries, StaticRegularisationIsRelativeToTheDiagonal) {
  EXPECT_EQ(static_regularisation(0.0), kStaticReg);
  EXPECT_EQ(static_regularisation(3.0), kStaticReg * 4.0);
}

TEST(QcqpFactorWithRetries, ShiftedRetriesLiftTheShiftGeometrically) {
  // A PSD matrix made indefinite by -1e-9 on its null direction: the caller's shift reg (1e-13
  // relative) is not enough, kRegGrowth^2 reg is.
  const std::ptrdiff_t n = 4;
  RVector v(n);
  v << 1.0, -1.0, 0.5, 2.0;
  RMatrix M = v * v.transpose() - 1e-9 * RMatrix::Identity(n, n);
  const double reg = static_regularisation(M.diagonal().cwiseAbs().maxCoeff());
  M.diagonal().array() += reg;  // the caller's shift, as in DenseOps::factor
  RMatrix expected = M;
  CountingCholesky f(M);
  ASSERT_TRUE(factor_with_retries(M, reg, true, f));
  ASSERT_GE(f.tries, 2);
  ASSERT_LE(f.tries, 1 + kFactorRetries);
  double r = reg;  // each retry adds (kRegGrowth - 1) reg_k, reg_k = reg kRegGrowth^k
  for (int k = 1; k < f.tries; ++k) {
    expected.diagonal().array() += (kRegGrowth - 1.0) * r;
    r *= kRegGrowth;
  }
  EXPECT_EQ(M, expected);
  // The shift that worked: reg kRegGrowth^(tries - 1) in total, above the 1e-9 deficit.
  EXPECT_GT(reg * std::pow(kRegGrowth, f.tries - 1), 1e-9);
  EXPECT_LE(reg * std::pow(kRegGrowth, f.tries - 2), 1e-9 * 1.01);
}

TEST(QcqpFactorWithRetries, UnshiftedRetriesAddRegThenGrow) {
  // The capacitance systems' form: no shift before the first try; a PSD singular matrix (rank 1)
  // whose rounding leaves a zero or negative pivot is regularised by the first retry.
  RMatrix M(3, 3);
  M << 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0;
  const RMatrix M0 = M;
  const double reg = static_regularisation(1.0);
  Eigen::LLT<RMatrix> llt;
  int tries = 0;
  const bool ok = factor_with_retries(M, reg, false, [&]() {
    ++tries;
    llt.compute(M);
    return llt.info() == Eigen::Success;
  });
  ASSERT_TRUE(ok);
  EXPECT_EQ(tries, 2);
  EXPECT_EQ(M, RMatrix(M0 + reg * RMatrix::Identity(3, 3)));
  EXPECT_TRUE(llt.matrixLLT().allFinite());
}

TEST(QcqpFactorWithRetries, HopelessMatrixFailsAfterEveryRetry) {
  RMatrix M = -RMatrix::Identity(5, 5);
  const double reg = static_regularisation(1.0);
  CountingCholesky f(M);
  EXPECT_FALSE(factor_with_retries(M, reg, true, f));
  EXPECT_EQ(f.tries, 1 + kFactorRetries);
  double shift = 0.0, r = reg;
  for (int k = 0; k < kFactorRetries; ++k) {
    shift += (kRegGrowth - 1.0) * r;
    r *= kRegGrowth;
  }
  EXPECT_NEAR(M(0, 0), -1.0 + shift, 4 * kEps);
  EXPECT_LT(M(0, 0), 0.0);  // 2e-5 of shift in all: a negative definite matrix stays so
}

}  // namespace
}  // namespace pyiscc::qcqp_detail
