// The public API's definitions that belong to no path: status names, the workspace, and the
// entry point for arrays from outside C++ (solve_qcqp(QcqpArguments)): shapes and settings
// checked, the arrays read as the dense view or copied into the block problem, the problem
// checked (checks.cpp), then solved.
#include <algorithm>
#include <charconv>
#include <climits>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>

#include "qcqp.hpp"
#include "workspace.hpp"

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

QcqpWorkspace::QcqpWorkspace() = default;
QcqpWorkspace::~QcqpWorkspace() = default;
QcqpWorkspace::QcqpWorkspace(QcqpWorkspace&&) noexcept = default;
QcqpWorkspace& QcqpWorkspace::operator=(QcqpWorkspace&&) noexcept = default;
QcqpWorkspace::Impl& QcqpWorkspace::impl() {
  if (!impl_) impl_ = std::make_unique<Impl>();
  return *impl_;
}

namespace {

using qcqp_detail::DenseView;

// x as Python's repr() writes a float (shortest round trip; "0.0", "1e-09", "nan").
std::string repr(double x) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, x);
  std::string s(buf, res.ptr);
  if (s.find_first_not_of("-0123456789") == std::string::npos) s += ".0";
  return s;
}

std::string shape_str(const std::ptrdiff_t* shape, int ndim) {
  std::string s = "(";
  for (int d = 0; d < ndim; ++d) s += (d ? ", " : "") + std::to_string(shape[d]);
  return s + (ndim == 1 ? ",)" : ")");
}

// The array's shape is `shape` (-1: any extent), or std::invalid_argument
// "name: expected shape (...), got (...)".
void require_shape(const QcqpArray& a, const char* name, std::initializer_list<std::ptrdiff_t> shape) {
  bool ok = static_cast<std::size_t>(a.ndim) == shape.size();
  int d = 0;
  for (auto it = shape.begin(); ok && it != shape.end(); ++it, ++d) ok = *it < 0 || *it == a.shape[static_cast<std::size_t>(d)];
  if (ok) return;
  std::string got = shape_str(a.shape.data(), std::min(a.ndim, QcqpArray::kMaxDims));
  if (a.ndim > QcqpArray::kMaxDims) got.insert(got.size() - 1, ", ...");
  throw std::invalid_argument(std::string(name) + ": expected shape " +
                              shape_str(shape.begin(), static_cast<int>(shape.size())) + ", got " + got);
}

// The dense problem as a view of the arrays (no copy of P or the A_i).
void dense_view(const QcqpArguments& a, DenseView& pr) {
  require_shape(a.q, "q", {-1});
  const std::ptrdiff_t n = a.q.shape[0];
  require_shape(a.P, "P", {n, n});
  require_shape(a.c, "c", {-1});
  const std::ptrdiff_t m = a.c.shape[0];
  require_shape(a.A, "A", {m, n, n});
  require_shape(a.b, "b", {m, n});
  pr.n = n;
  pr.m = m;
  pr.P = a.P.data;
  pr.q = a.q.data;
  pr.A.resize(static_cast<std::size_t>(m));
  for (std::ptrdiff_t i = 0; i < m; ++i) pr.A[static_cast<std::size_t>(i)] = a.A.data + i * n * n;
  pr.B = a.b.data;
  pr.b_row = n;  // row-major (m, n)
  pr.b_col = 1;
  pr.c = a.c.data;
}

// A dense symmetric (n, n) matrix (row-major at M) declared block-diagonal: K blocks of order nb,
// then the tail; checks that every entry outside these blocks is exactly zero and copies the
// blocks into columns [col0 + k nb, ...) of blocks and into tail.
void split_dense(const double* M, std::ptrdiff_t n, std::ptrdiff_t nb, std::ptrdiff_t K, const char* name,
                 RMatrix& blocks, std::ptrdiff_t col0, RMatrix& tail, std::ptrdiff_t tail_col0) {
  const std::ptrdiff_t r = n - K * nb;
  for (std::ptrdiff_t row = 0; row < n; ++row) {
    const std::ptrdiff_t lo = row < K * nb ? (row / nb) * nb : K * nb;
    const std::ptrdiff_t hi = row < K * nb ? lo + nb : n;
    const double* Mr = M + row * n;
    bool zero = true;
    for (std::ptrdiff_t col = 0; col < lo; ++col) zero = zero && Mr[col] == 0.0;
    for (std::ptrdiff_t col = hi; col < n; ++col) zero = zero && Mr[col] == 0.0;
    if (!zero)
      throw std::invalid_argument(std::string(name) + ": entries outside the diagonal blocks (block_size " +
                                  std::to_string(nb) + ") must be zero");
  }
  for (std::ptrdiff_t k = 0; k < K; ++k)
    for (std::ptrdiff_t j = 0; j < nb; ++j)
      for (std::ptrdiff_t i = 0; i < nb; ++i) blocks(i, col0 + k * nb + j) = M[(k * nb + i) * n + k * nb + j];
  for (std::ptrdiff_t j = 0; j < r; ++j)
    for (std::ptrdiff_t i = 0; i < r; ++i) tail(i, tail_col0 + j) = M[(K * nb + i) * n + K * nb + j];
}

// The block problem: P as (n, n) or (K, nb, nb), A as (m, n, n) or (m, K, nb, nb) (the block
// forms need n = K nb); a dense form is checked to be block-diagonal.
void block_problem(const QcqpArguments& a, BlockQcqpProblem& pr) {
  require_shape(a.q, "q", {-1});
  const std::ptrdiff_t n = a.q.shape[0], nb = a.block_size;
  if (nb > n)
    throw std::invalid_argument("block_size: must be in [1, n] = [1, " + std::to_string(n) + "], got " +
                                std::to_string(nb));
  const std::ptrdiff_t K = n / nb, r = n - K * nb;
  require_shape(a.c, "c", {-1});
  const std::ptrdiff_t m = a.c.shape[0];
  require_shape(a.b, "b", {m, n});
  pr.block_size = nb;
  pr.blocks = K;
  pr.A_index.clear();
  pr.q = Eigen::Map<const RVector>(a.q.data, n);
  pr.B = Eigen::Map<const RMatrixRM>(a.b.data, m, n);
  pr.c = Eigen::Map<const RVector>(a.c.data, m);
  pr.P.resize(nb, K * nb);
  pr.P_tail.resize(r, r);
  pr.A.resize(nb, m * K * nb);
  pr.A_tail.resize(r, m * r);
  if (a.P.ndim == 3) {
    require(r == 0, "P: the (K, block_size, block_size) form needs n = K * block_size");
    require_shape(a.P, "P", {K, nb, nb});
    for (std::ptrdiff_t k = 0; k < K; ++k)
      pr.P.middleCols(k * nb, nb) = Eigen::Map<const RMatrixRM>(a.P.data + k * nb * nb, nb, nb);
  } else {
    require_shape(a.P, "P", {n, n});
    split_dense(a.P.data, n, nb, K, "P", pr.P, 0, pr.P_tail, 0);
  }
  if (a.A.ndim == 4) {
    require(r == 0, "A: the (m, K, block_size, block_size) form needs n = K * block_size");
    require_shape(a.A, "A", {m, K, nb, nb});
    for (std::ptrdiff_t b = 0; b < m * K; ++b)
      pr.A.middleCols(b * nb, nb) = Eigen::Map<const RMatrixRM>(a.A.data + b * nb * nb, nb, nb);
  } else {
    require_shape(a.A, "A", {m, n, n});
    for (std::ptrdiff_t i = 0; i < m; ++i)
      split_dense(a.A.data + i * n * n, n, nb, K, "A", pr.A, i * K * nb, pr.A_tail, i * r);
  }
}

}  // namespace

void solve_qcqp(const QcqpArguments& args, QcqpWorkspace& ws, QcqpResult& result) {
  // Messages built only on failure (this runs once per Python call).
  if (!(args.max_iter >= 1))
    throw std::invalid_argument("max_iter: must be an integer >= 1, got " + std::to_string(args.max_iter));
  if (!(args.tol > 0.0 && args.tol < 1.0))
    throw std::invalid_argument("tol: must be a number in (0, 1), got " + repr(args.tol));
  if (args.block_size < 0)
    throw std::invalid_argument("block_size: must be >= 1 (0: the dense path), got " +
                                std::to_string(args.block_size));
  QcqpWorkspace::Impl& w = ws.impl();
  const bool blocks = args.block_size > 0;
  if (blocks) {
    block_problem(args, w.block_input);
    qcqp_detail::check_block(w.block_input);
  } else {
    dense_view(args, w.view);
    qcqp_detail::check_dense(w.view);  // also drops the all-zero A_i (linear rows)
  }
  const std::ptrdiff_t n = blocks ? w.block_input.n() : w.view.n;
  if (args.x0.data) {
    require_shape(args.x0, "x0", {n});
    require(Eigen::Map<const RVector>(args.x0.data, n).allFinite(), "x0: contains NaN or inf");
  }
  QcqpSettings settings;
  settings.max_iter = static_cast<int>(std::min<long long>(args.max_iter, INT_MAX));
  settings.tol = args.tol;
  settings.feas_tol = args.tol;
  if (blocks)
    qcqp_detail::solve_block(w.block_input, args.x0.data, settings, w, result);
  else
    qcqp_detail::solve_dense(w.view, args.x0.data, settings, w, result);
}

}  // namespace pyiscc
