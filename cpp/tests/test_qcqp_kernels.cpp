// The n = 16 register kernels (cpp/qcqp/kernels16.hpp) against plain loops of the generic code
// path.  Compiled with the kernel library's own options (cpp/tests/CMakeLists.txt), so kernel and
// reference are contracted to FMA alike in the x86_64_v3 build: where a kernel's comment says
// "in the same order", the test asks for the same bits; where it says how the arithmetic differs,
// it asks for agreement to rounding.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "qcqp/cholesky.hpp"
#include "qcqp/kernels16.hpp"
#include "qcqp/workspace.hpp"

namespace pyiscc::qcqp_detail {
namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();

std::vector<double> normal(std::size_t count, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> dist;
  std::vector<double> v(count);
  for (double& x : v) x = dist(rng);
  return v;
}

// A symmetric 16 x 16 matrix (column-major), positive definite when shift > 0: F F^T + shift I.
std::vector<double> spd16(unsigned seed, double shift) {
  const std::vector<double> F = normal(256, seed);
  std::vector<double> A(256, 0.0);
  for (int j = 0; j < 16; ++j)
    for (int i = 0; i < 16; ++i) {
      double s = 0.0;
      for (int k = 0; k < 16; ++k) s += F[i + 16 * k] * F[j + 16 * k];
      A[i + 16 * j] = s + (i == j ? shift : 0.0);
    }
  return A;
}

void expect_same_bits(double got, double want, const char* what, int index) {
  EXPECT_EQ(std::memcmp(&got, &want, sizeof got), 0) << what << "[" << index << "]: " << got << " vs " << want;
}

// y = A x, each row's terms summed over the columns in order: the order gemv_rows16 states.
void gemv_columns_in_order(const double* A, std::ptrdiff_t rows, std::ptrdiff_t cols, const double* x, double* y) {
  for (std::ptrdiff_t r = 0; r < rows; ++r) {
    double acc = 0.0;
    for (std::ptrdiff_t j = 0; j < cols; ++j) acc += x[j] * A[j * rows + r];
    y[r] = acc;
  }
}

TEST(QcqpKernels, GemvRows16SumsTheColumnsInOrder) {
  const std::ptrdiff_t rows = 256, cols = 7;
  const std::vector<double> A = normal(static_cast<std::size_t>(rows * cols), 1), x = normal(7, 2);
  std::vector<double> y(static_cast<std::size_t>(rows)), ref(static_cast<std::size_t>(rows));
  gemv_rows16(A.data(), rows, cols, x.data(), y.data());
  gemv_columns_in_order(A.data(), rows, cols, x.data(), ref.data());
  for (std::ptrdiff_t r = 0; r < rows; ++r) expect_same_bits(y[r], ref[r], "y", static_cast<int>(r));
}

// T = [B_0 ... B_{nb-1}], symmetric blocks; R = the same blocks stacked.
struct Blocks {
  std::ptrdiff_t nb;
  std::vector<double> T, R;
  Blocks(std::ptrdiff_t count, unsigned seed) : nb(count), T(static_cast<std::size_t>(256 * count)),
                                                R(static_cast<std::size_t>(256 * count)) {
    for (std::ptrdiff_t b = 0; b < nb; ++b) {
      const std::vector<double> Bb = spd16(seed + static_cast<unsigned>(b), 0.0);
      std::copy(Bb.begin(), Bb.end(), T.begin() + b * 256);
      for (int j = 0; j < 16; ++j)
        for (int i = 0; i < 16; ++i) R[static_cast<std::size_t>(j * 16 * nb + b * 16 + i)] = Bb[static_cast<std::size_t>(i + 16 * j)];
    }
  }
};

TEST(QcqpKernels, Blocks16ApplyMatchesGemvOnStackedBlocksAndOnTheCoefficients) {
  const Blocks blk(6, 10);
  const std::vector<double> x = normal(16, 3), coef = normal(6, 4);
  std::vector<double> y(96), H(256, 0.0), y_ref(96), H_ref(256);
  blocks16_apply(blk.T.data(), blk.nb, x.data(), y.data(), coef.data(), H.data());
  gemv_columns_in_order(blk.R.data(), 96, 16, x.data(), y_ref.data());   // y_b = B_b x, over j
  gemv_columns_in_order(blk.T.data(), 256, 6, coef.data(), H_ref.data());  // H = sum_b coef_b B_b
  for (int k = 0; k < 96; ++k) expect_same_bits(y[static_cast<std::size_t>(k)], y_ref[static_cast<std::size_t>(k)], "y", k);
  for (int j = 0; j < 16; ++j)
    for (int i = j; i < 16; ++i) expect_same_bits(H[static_cast<std::size_t>(i + 16 * j)], H_ref[static_cast<std::size_t>(i + 16 * j)], "H", i + 16 * j);
  // Without coef only y is formed, the same.
  std::vector<double> y2(96);
  blocks16_apply(blk.T.data(), blk.nb, x.data(), y2.data(), nullptr, nullptr);
  EXPECT_EQ(std::memcmp(y.data(), y2.data(), 96 * sizeof(double)), 0);
}

TEST(QcqpKernels, ConstraintRows16GradientsAreTheGenericOnesAndRowsAgreeToRounding) {
  const std::ptrdiff_t m = 5;
  const std::vector<double> x = normal(16, 5), TX = normal(16 * 4, 6), BT = normal(16 * 5, 7), c = normal(5, 8);
  const std::vector<std::ptrdiff_t> block = {1, -1, 2, 3, -1};
  std::vector<double> g(5), JT(80);
  constraint_rows16(x.data(), TX.data(), BT.data(), block.data(), c.data(), m, g.data(), JT.data());
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    const double* bi = BT.data() + i * 16;
    const double* ax = block[static_cast<std::size_t>(i)] >= 0 ? TX.data() + block[static_cast<std::size_t>(i)] * 16 : nullptr;
    // The gradient entry by entry as the generic path forms it.
    for (int k = 0; k < 16; ++k)
      expect_same_bits(JT[static_cast<std::size_t>(i * 16 + k)], ax ? bi[k] + 2.0 * ax[k] : bi[k], "JT", static_cast<int>(i * 16 + k));
    // g_i in the stated order: per lane over the vectors, the lanes in order, then - c_i.
    double lanes[kLanes] = {};
    for (int t = 0; t < 16 / kLanes; ++t)
      for (int l = 0; l < kLanes; ++l) {
        const int k = t * kLanes + l;
        lanes[l] += x[static_cast<std::size_t>(k)] * (ax ? bi[k] + ax[k] : bi[k]);
      }
    double gi = 0.0;
    for (int l = 0; l < kLanes; ++l) gi += lanes[l];
    expect_same_bits(g[static_cast<std::size_t>(i)], gi - c[static_cast<std::size_t>(i)], "g", static_cast<int>(i));
    // The generic path (dot(b, x) - c + dot(x, A x)) sums in another order: equal to rounding.
    double generic = dot(bi, x.data(), 16) - c[static_cast<std::size_t>(i)], size = std::abs(c[static_cast<std::size_t>(i)]);
    if (ax) generic += dot(x.data(), ax, 16);
    for (int k = 0; k < 16; ++k) size += std::abs(x[static_cast<std::size_t>(k)]) * (std::abs(bi[k]) + (ax ? std::abs(ax[k]) : 0.0));
    EXPECT_NEAR(g[static_cast<std::size_t>(i)], generic, 32 * kEps * size);
  }
  // Without JT the rows are the same.
  std::vector<double> g2(5);
  constraint_rows16(x.data(), TX.data(), BT.data(), block.data(), c.data(), m, g2.data(), nullptr);
  EXPECT_EQ(std::memcmp(g.data(), g2.data(), 5 * sizeof(double)), 0);
}

TEST(QcqpKernels, JtTimes16SumsTheColumnsInOrder) {
  const std::ptrdiff_t m = 9;
  const std::vector<double> JT = normal(16 * 9, 9), z = normal(9, 10);
  std::vector<double> Jz(16), ref(16);
  jt_times16(JT.data(), m, z.data(), Jz.data());
  gemv_columns_in_order(JT.data(), 16, m, z.data(), ref.data());
  for (int k = 0; k < 16; ++k) expect_same_bits(Jz[static_cast<std::size_t>(k)], ref[static_cast<std::size_t>(k)], "Jz", k);
}

TEST(QcqpKernels, AddJtwj16AddsTheRankOneUpdatesInTheGenericOrder) {
  const std::ptrdiff_t m = 8;
  const std::vector<double> JT = normal(16 * 8, 11), K0 = spd16(12, 1.0);
  std::vector<double> wm = normal(8, 13);
  for (double& v : wm) v = std::abs(v);
  wm[2] = 0.0;  // an augmented row: skipped
  std::vector<double> K = K0, ref = K0;
  add_jtwj16(K.data(), JT.data(), wm.data(), m);
  for (std::ptrdiff_t i = 0; i < m; ++i) {  // DenseOps::factor's generic loop
    if (wm[static_cast<std::size_t>(i)] == 0.0) continue;
    const double* ji = JT.data() + i * 16;
    for (std::ptrdiff_t j = 0; j < 16; ++j) axpy_from(ref.data() + j * 16, ji, wm[static_cast<std::size_t>(i)] * ji[j], j, 16);
  }
  for (int j = 0; j < 16; ++j)
    for (int i = j; i < 16; ++i) expect_same_bits(K[static_cast<std::size_t>(i + 16 * j)], ref[static_cast<std::size_t>(i + 16 * j)], "K", i + 16 * j);
}

// cholesky_lower's right-looking loop with its divisions by L(j, j) replaced by products with
// 1 / L(j, j): the arithmetic cholesky16 states.
bool cholesky_lower_with_reciprocals(double* L, std::ptrdiff_t n) {
  for (std::ptrdiff_t j = 0; j < n; ++j) {
    double* cj = L + j * n;
    const double d = cj[j];
    if (!(d > 0.0)) return false;
    const double ljj = std::sqrt(d), r = 1.0 / ljj;
    cj[j] = ljj;
    for (std::ptrdiff_t i = j + 1; i < n; ++i) cj[i] *= r;
    for (std::ptrdiff_t c = j + 1; c < n; ++c) axpy_from(L + c * n, cj, -cj[c], c, n);
  }
  return true;
}

struct Factor16 {
  std::vector<double> L = std::vector<double>(256, 0.0), Ut = std::vector<double>(256, 0.0), dinv = std::vector<double>(16);
};

TEST(QcqpKernels, Cholesky16DoesCholeskyLowersSubtractionsInOrderWithReciprocals) {
  for (unsigned seed : {20u, 21u, 22u}) {
    const std::vector<double> A = spd16(seed, 0.5);
    Factor16 f;
    ASSERT_TRUE(cholesky16(A.data(), f.L.data(), f.Ut.data(), f.dinv.data()));
    std::vector<double> ref = A, gen = A;
    ASSERT_TRUE(cholesky_lower_with_reciprocals(ref.data(), 16));
    ASSERT_TRUE(cholesky_lower(gen.data(), 16));
    double lmax = 0.0, diff = 0.0;
    int differ = 0;
    for (int j = 0; j < 16; ++j) {
      for (int i = 0; i < 16; ++i) {
        const auto e = static_cast<std::size_t>(i + 16 * j);
        if (i >= j) {
          EXPECT_EQ(f.Ut[e], 0.0) << "Ut's column j is zero from row j on";
        }
        if (i < j) {
          EXPECT_EQ(f.L[e], 0.0) << "above the diagonal";
          continue;
        }
        expect_same_bits(f.L[e], ref[e], "L", static_cast<int>(e));
        if (i > j) expect_same_bits(f.Ut[static_cast<std::size_t>(j + 16 * i)], f.L[e], "Ut", static_cast<int>(e));
        lmax = std::max(lmax, std::abs(gen[e]));
        diff = std::max(diff, std::abs(f.L[e] - gen[e]));
        differ += f.L[e] != gen[e];
      }
      expect_same_bits(f.dinv[static_cast<std::size_t>(j)], 1.0 / f.L[static_cast<std::size_t>(17 * j)], "dinv", j);
    }
    // cholesky_lower divides instead: the factors agree to rounding, not bit for bit.
    EXPECT_LE(diff, 64 * kEps * lmax);
    EXPECT_GT(differ, 0);
  }
}

TEST(QcqpKernels, Cholesky16RejectsMatricesThatAreNotPositiveDefinite) {
  Factor16 f;
  std::vector<double> A = spd16(30, 0.0);  // rank-deficient, then made indefinite at one pivot
  for (int j = 0; j < 16; ++j) A[static_cast<std::size_t>(17 * j)] += 1.0;
  A[static_cast<std::size_t>(17 * 9)] = -1.0;
  EXPECT_FALSE(cholesky16(A.data(), f.L.data(), f.Ut.data(), f.dinv.data()));
  std::vector<double> nan_pivot(256, 0.0);
  for (int j = 0; j < 16; ++j) nan_pivot[static_cast<std::size_t>(17 * j)] = j == 4 ? std::nan("") : 1.0;
  EXPECT_FALSE(cholesky16(nan_pivot.data(), f.L.data(), f.Ut.data(), f.dinv.data()));
}

TEST(QcqpKernels, NewtonSolve16FollowsItsStatedOrderAndSolvesTheSystem) {
  const std::ptrdiff_t m = 6;
  const std::vector<double> K = spd16(40, 2.0), JT = normal(16 * 6, 41), rd = normal(16, 42), e = normal(6, 43);
  std::vector<double> w = normal(6, 44);
  for (double& v : w) v = std::abs(v);
  Factor16 f;
  ASSERT_TRUE(cholesky16(K.data(), f.L.data(), f.Ut.data(), f.dinv.data()));
  std::vector<double> dx(16), dz(6), Jdx(6);
  newton_solve16(f.L.data(), f.Ut.data(), f.dinv.data(), JT.data(), m, rd.data(), e.data(), w.data(), dx.data(),
                 dz.data(), Jdx.data());
  // The stated order, as scalar loops: r = -rd - sum_i e_i J_i (i in order); forward then
  // backward substitution column by column with products by dinv; J dx lane by lane.
  std::vector<double> r(16);
  for (int k = 0; k < 16; ++k) r[static_cast<std::size_t>(k)] = -rd[static_cast<std::size_t>(k)];
  for (std::ptrdiff_t i = 0; i < m; ++i)
    for (int k = 0; k < 16; ++k) r[static_cast<std::size_t>(k)] -= e[static_cast<std::size_t>(i)] * JT[static_cast<std::size_t>(i * 16 + k)];
  for (int j = 0; j < 16; ++j) {
    const double yj = r[static_cast<std::size_t>(j)] * f.dinv[static_cast<std::size_t>(j)];
    for (int i = j + 1; i < 16; ++i) r[static_cast<std::size_t>(i)] -= yj * f.L[static_cast<std::size_t>(j * 16 + i)];
    r[static_cast<std::size_t>(j)] = yj;
  }
  for (int j = 15; j >= 0; --j) {
    const double xj = r[static_cast<std::size_t>(j)] * f.dinv[static_cast<std::size_t>(j)];
    r[static_cast<std::size_t>(j)] = xj;
    for (int i = 0; i < j; ++i) r[static_cast<std::size_t>(i)] -= xj * f.Ut[static_cast<std::size_t>(j * 16 + i)];
  }
  for (int k = 0; k < 16; ++k) expect_same_bits(dx[static_cast<std::size_t>(k)], r[static_cast<std::size_t>(k)], "dx", k);
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    double lanes[kLanes];
    for (int l = 0; l < kLanes; ++l) lanes[l] = r[static_cast<std::size_t>(l)] * JT[static_cast<std::size_t>(i * 16 + l)];
    for (int t = 1; t < 16 / kLanes; ++t)
      for (int l = 0; l < kLanes; ++l) {
        const int k = t * kLanes + l;
        lanes[l] += r[static_cast<std::size_t>(k)] * JT[static_cast<std::size_t>(i * 16 + k)];
      }
    double s = 0.0;
    for (int l = 0; l < kLanes; ++l) s += lanes[l];
    expect_same_bits(Jdx[static_cast<std::size_t>(i)], s, "Jdx", static_cast<int>(i));
    expect_same_bits(dz[static_cast<std::size_t>(i)], w[static_cast<std::size_t>(i)] * s + e[static_cast<std::size_t>(i)], "dz", static_cast<int>(i));
  }
  // The generic path (cholesky_lower + cholesky_solve, Eigen for J^T e) agrees to rounding.
  std::vector<double> Lg = K, rhs(16);
  ASSERT_TRUE(cholesky_lower(Lg.data(), 16));
  double size = 0.0, diff = 0.0;
  for (int k = 0; k < 16; ++k) {
    double v = -rd[static_cast<std::size_t>(k)];
    for (std::ptrdiff_t i = 0; i < m; ++i) v -= e[static_cast<std::size_t>(i)] * JT[static_cast<std::size_t>(i * 16 + k)];
    rhs[static_cast<std::size_t>(k)] = v;
  }
  cholesky_solve(Lg.data(), rhs.data(), 16);
  for (int k = 0; k < 16; ++k) {
    size = std::max(size, std::abs(rhs[static_cast<std::size_t>(k)]));
    diff = std::max(diff, std::abs(rhs[static_cast<std::size_t>(k)] - dx[static_cast<std::size_t>(k)]));
  }
  EXPECT_LE(diff, 1e-12 * size);
}

// max |M|, the classification of check_matrix, from the definition (all pairs, any order).
int classify(const std::vector<double>& M, std::ptrdiff_t n, double& absmax) {
  absmax = 0.0;
  double asym = 0.0;
  bool finite = true;
  for (std::ptrdiff_t j = 0; j < n; ++j)
    for (std::ptrdiff_t i = 0; i < n; ++i) {
      const double v = M[static_cast<std::size_t>(i + n * j)];
      finite = finite && std::isfinite(v);
      absmax = std::max(absmax, std::abs(v));
      asym = std::max(asym, std::abs(v - M[static_cast<std::size_t>(j + n * i)]));
    }
  if (!finite) return 1;
  return asym <= kSymmetryTol * absmax ? 0 : 2;
}

TEST(QcqpKernels, CheckMatrixTilesAgreeWithThePairwiseDefinition) {
  for (std::ptrdiff_t n : {16, 5}) {  // 16: the tiles (GCC builds), 5: the pairwise loop
    std::vector<double> base(static_cast<std::size_t>(n * n));
    const std::vector<double> F = normal(base.size(), 50);
    for (std::ptrdiff_t j = 0; j < n; ++j)
      for (std::ptrdiff_t i = 0; i < n; ++i)
        base[static_cast<std::size_t>(i + n * j)] = F[static_cast<std::size_t>(i + n * j)] + F[static_cast<std::size_t>(j + n * i)];
    for (std::ptrdiff_t e = 0; e < n * n; ++e) {
      for (double bad : {std::nan(""), -std::numeric_limits<double>::infinity(), 1e-6, 1e-15}) {
        std::vector<double> M = base;
        M[static_cast<std::size_t>(e)] += bad;
        double got_max = -1.0, want_max = -1.0;
        const int got = check_matrix(M.data(), n, got_max), want = classify(M, n, want_max);
        ASSERT_EQ(got, want) << "n " << n << ", entry " << e << ", change " << bad;
        if (want != 1) expect_same_bits(got_max, want_max, "absmax", static_cast<int>(e));
      }
    }
    double absmax = 0.0;
    EXPECT_EQ(check_matrix(base.data(), n, absmax), 0);
  }
}

TEST(QcqpKernels, AbsmaxAndScaledCopyAreExact) {
  const std::vector<double> x = normal(256 + 3, 60);
  for (std::ptrdiff_t len : {256, 16, 259, 7}) {
    double want = 0.0;
    for (std::ptrdiff_t k = 0; k < len; ++k) want = std::max(want, std::abs(x[static_cast<std::size_t>(k)]));
    expect_same_bits(absmax_of(x.data(), len), want, "absmax", static_cast<int>(len));
    std::vector<double> y(static_cast<std::size_t>(len));
    scaled_copy(y.data(), x.data(), 0.37, len);
    for (std::ptrdiff_t k = 0; k < len; ++k) expect_same_bits(y[static_cast<std::size_t>(k)], 0.37 * x[static_cast<std::size_t>(k)], "y", static_cast<int>(k));
  }
}

}  // namespace
}  // namespace pyiscc::qcqp_detail
