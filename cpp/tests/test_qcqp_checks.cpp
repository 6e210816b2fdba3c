// The boundary for problems from outside C++, solve_qcqp(QcqpArguments) (cpp/qcqp/qcqp.cpp and
// checks.cpp): every bad argument is a std::invalid_argument whose message starts with the
// argument's name (the Python parameter), and a good call solves.
#include <gtest/gtest.h>

#include <cmath>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "qcqp/qcqp.hpp"

namespace pyiscc {
namespace {

// An owned row-major array and its QcqpArray view.
struct Array {
  std::vector<double> data;
  std::vector<std::ptrdiff_t> shape;
  Array() = default;
  Array(std::initializer_list<std::ptrdiff_t> dims, double fill = 0.0) : shape(dims) {
    std::size_t count = 1;
    for (std::ptrdiff_t d : shape) count *= static_cast<std::size_t>(d);
    data.assign(count, fill);
  }
  QcqpArray view() const {
    QcqpArray a;
    a.data = data.data();
    a.ndim = static_cast<int>(shape.size());
    for (std::size_t d = 0; d < shape.size() && d < a.shape.size(); ++d) a.shape[d] = shape[d];
    return a;
  }
};

// maximise q^T x - |x|^2 (q = 3) on the unit ball in R^n, as the Python binding hands it over.
struct Call {
  std::ptrdiff_t n;
  Array P, q, A, b, c, x0;
  long long max_iter = 100;
  double tol = 1e-9;
  std::ptrdiff_t block_size = 0;
  bool with_x0 = false;
  explicit Call(std::ptrdiff_t size) : n(size), P({size, size}), q({size}, 3.0), A({1, size, size}), b({1, size}), c({1}, 1.0), x0({size}) {
    for (std::ptrdiff_t i = 0; i < n; ++i) {
      P.data[static_cast<std::size_t>(i * n + i)] = 1.0;
      A.data[static_cast<std::size_t>(i * n + i)] = 1.0;
    }
  }
  QcqpArguments args() const {
    QcqpArguments a;
    a.P = P.view();
    a.q = q.view();
    a.A = A.view();
    a.b = b.view();
    a.c = c.view();
    if (with_x0) a.x0 = x0.view();
    a.max_iter = max_iter;
    a.tol = tol;
    a.block_size = block_size;
    return a;
  }
};

// The call throws std::invalid_argument with a message starting with `prefix`.
void expect_rejected(const Call& call, const std::string& prefix) {
  QcqpWorkspace ws;
  QcqpResult res;
  try {
    solve_qcqp(call.args(), ws, res);
    ADD_FAILURE() << "no exception; expected one starting with '" << prefix << "'";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).rfind(prefix, 0), 0u) << "message: " << e.what();
  }
}

QcqpResult solved(const Call& call) {
  QcqpWorkspace ws;
  QcqpResult res;
  solve_qcqp(call.args(), ws, res);
  return res;
}

TEST(QcqpChecks, AGoodCallSolvesOnBothPaths) {
  for (std::ptrdiff_t block_size : {0, 2}) {
    Call call(4);
    call.block_size = block_size;
    const QcqpResult res = solved(call);
    ASSERT_EQ(res.status, QcqpStatus::optimal) << "block_size " << block_size;
    // x = q / |q| = 0.5 per entry on the boundary, q = 2 x + 2 z x: z = 2.
    EXPECT_LE((res.x - RVector::Constant(4, 0.5)).lpNorm<Eigen::Infinity>(), 1e-7);
    EXPECT_NEAR(res.z[0], 2.0, 1e-7);
  }
}

TEST(QcqpChecks, ShapesAreCheckedWithTheParameterName) {
  const auto with = [](auto change, const char* prefix) {
    Call call(3);
    change(call);
    expect_rejected(call, prefix);
  };
  with([](Call& c) { c.P = Array({3, 2}); }, "P: expected shape (3, 3), got (3, 2)");
  with([](Call& c) { c.q = Array({3, 1}); }, "q: expected shape");
  with([](Call& c) { c.A = Array({2, 3, 3}); }, "A: expected shape (1, 3, 3), got (2, 3, 3)");
  with([](Call& c) { c.b = Array({3}); }, "b: expected shape (1, 3), got (3,)");
  with([](Call& c) { c.c = Array({1, 1}); }, "c: expected shape");
  with([](Call& c) { c.with_x0 = true; c.x0 = Array({4}); }, "x0: expected shape (3,), got (4,)");
  with([](Call& c) { c.q = Array({0}); c.P = Array({0, 0}); c.A = Array({1, 0, 0}); c.b = Array({1, 0}); },
       "q: at least one variable");
}

TEST(QcqpChecks, NonFiniteEntriesAreCheckedWithTheParameterName) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  for (std::ptrdiff_t n : {16, 3}) {  // 16: the tiled check of P and A_i
    const auto with = [n](auto change, const char* prefix) {
      Call call(n);
      change(call);
      expect_rejected(call, prefix);
    };
    with([&](Call& c) { c.P.data[1] = nan; }, "P: contains NaN or inf");
    with([&](Call& c) { c.q.data[0] = -inf; }, "q: contains NaN or inf");
    with([&](Call& c) { c.A.data[static_cast<std::size_t>(n + 1)] = inf; }, "A: contains NaN or inf");
    with([&](Call& c) { c.b.data.back() = nan; }, "b: contains NaN or inf");
    with([&](Call& c) { c.c.data[0] = inf; }, "c: contains NaN or inf");
    with([&](Call& c) { c.with_x0 = true; c.x0.data[0] = nan; }, "x0: contains NaN or inf");
  }
}

TEST(QcqpChecks, AsymmetricMatricesAreRejectedAndRoundingLevelAsymmetryIsNot) {
  for (std::ptrdiff_t block_size : {0, 2}) {
    Call bad_P(4), bad_A(4), fine(4);
    for (Call* c : {&bad_P, &bad_A, &fine}) c->block_size = block_size;
    bad_P.P.data[1] = 1e-9;  // P(0, 1) != P(1, 0) = 0
    bad_A.A.data[4] = 1e-9;  // A(1, 0)
    fine.P.data[1] = 1e-13;  // under 1e-12 max |P|
    fine.P.data[4] = 1e-13 + 1e-26;
    expect_rejected(bad_P, "P: must be symmetric");
    expect_rejected(bad_A, "A: every A[i] must be symmetric");
    EXPECT_EQ(solved(fine).status, QcqpStatus::optimal);
  }
}

TEST(QcqpChecks, SettingsAreCheckedWithTheParameterName) {
  Call call(3);
  call.max_iter = 0;
  expect_rejected(call, "max_iter: must be an integer >= 1, got 0");
  call.max_iter = 100;
  for (double tol : {0.0, 1.0, -1e-9, std::nan("")}) {
    call.tol = tol;
    expect_rejected(call, "tol: must be a number in (0, 1), got ");
  }
  call.tol = 0.0;
  expect_rejected(call, "tol: must be a number in (0, 1), got 0.0");
  call.tol = 1e-9;
  call.block_size = -1;
  expect_rejected(call, "block_size: must be >= 1");
  call.block_size = 4;
  expect_rejected(call, "block_size: must be in [1, n] = [1, 3], got 4");
}

TEST(QcqpChecks, BlockStructureIsCheckedWithTheParameterName) {
  Call dense_P(4), dense_A(4), block_forms(4), wrong_block_form(4), ragged(5);
  for (Call* c : {&dense_P, &dense_A, &block_forms, &wrong_block_form, &ragged}) c->block_size = 2;
  dense_P.P.data[2] = dense_P.P.data[8] = 0.5;  // P(0, 2) = P(2, 0): outside the 2 x 2 blocks
  expect_rejected(dense_P, "P: entries outside the diagonal blocks (block_size 2) must be zero");
  dense_A.A.data[3] = dense_A.A.data[12] = 0.5;
  expect_rejected(dense_A, "A: entries outside the diagonal blocks");
  // The block forms: P (K, nb, nb), A (m, K, nb, nb).
  block_forms.P = Array({2, 2, 2});
  block_forms.A = Array({1, 2, 2, 2});
  for (std::size_t k = 0; k < 2; ++k)
    for (std::size_t i = 0; i < 2; ++i) block_forms.P.data[k * 4 + i * 3] = block_forms.A.data[k * 4 + i * 3] = 1.0;
  EXPECT_EQ(solved(block_forms).status, QcqpStatus::optimal);
  wrong_block_form.P = Array({2, 2, 3});
  expect_rejected(wrong_block_form, "P: expected shape (2, 2, 2), got (2, 2, 3)");
  ragged.P = Array({2, 2, 2});  // n = 5 is not K nb
  expect_rejected(ragged, "P: the (K, block_size, block_size) form needs n = K * block_size");
}

}  // namespace
}  // namespace pyiscc
