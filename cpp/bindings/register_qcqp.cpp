// Binding of the QCQP solver (cpp/qcqp.hpp): the dense path, and the block-structured path when
// the caller declares a block size.
#include <optional>
#include <string>

#include "arrays.hpp"
#include "qcqp.hpp"

namespace pyiscc::bind {

namespace {

// The arrays of one dense call, converted and shape-checked in this order (each is the caller's
// NumPy array itself when that already is C-contiguous float64, else a converted copy); they stay
// alive while the solver reads them.
struct DenseArrays {
  carray<double> q, P, c, A, b;
  DenseArrays(const py::object& P_obj, const py::object& q_obj, const py::object& A_obj,
              const py::object& b_obj, const py::object& c_obj)
      : q(checked<double>(q_obj, "q", {-1})),
        P(checked<double>(P_obj, "P", {q.shape(0), q.shape(0)})),
        c(checked<double>(c_obj, "c", {-1})),
        A(checked<double>(A_obj, "A", {c.shape(0), q.shape(0), q.shape(0)})),
        b(checked<double>(b_obj, "b", {c.shape(0), q.shape(0)})) {}
};

// The dense problem as a view of the arrays (no copy of P or the A_i), checked in one pass over
// each matrix (check_qcqp).  The GIL is released while the solver reads them: like NumPy's own
// kernels, a call must not race with another thread writing to the same arrays.
void problem_from(const DenseArrays& arr, QcqpProblemView& pr) {
  const py::ssize_t n = arr.q.shape(0), m = arr.c.shape(0);
  pr.n = n;
  pr.m = m;
  pr.P = arr.P.data();
  pr.q = arr.q.data();
  pr.A.resize(static_cast<std::size_t>(m));
  for (py::ssize_t i = 0; i < m; ++i) pr.A[static_cast<std::size_t>(i)] = arr.A.data() + i * n * n;
  pr.B = arr.b.data();
  pr.b_row = n;  // row-major (m, n)
  pr.b_col = 1;
  pr.c = arr.c.data();
  check_qcqp(pr);  // also drops the all-zero A_i (linear rows)
}

// A dense symmetric (n, n) matrix (row-major at M) declared block-diagonal: K blocks of order nb,
// then the tail; checks that every entry outside these blocks is exactly zero and copies the
// blocks into columns [col0 + k nb, ...) of blocks and into tail.
void split_dense(const double* M, py::ssize_t n, py::ssize_t nb, py::ssize_t K, const char* name,
                 RMatrix& blocks, py::ssize_t col0, RMatrix& tail, py::ssize_t tail_col0) {
  const py::ssize_t r = n - K * nb;
  for (py::ssize_t row = 0; row < n; ++row) {
    const py::ssize_t lo = row < K * nb ? (row / nb) * nb : K * nb;
    const py::ssize_t hi = row < K * nb ? lo + nb : n;
    const double* Mr = M + row * n;
    bool zero = true;
    for (py::ssize_t col = 0; col < lo; ++col) zero = zero && Mr[col] == 0.0;
    for (py::ssize_t col = hi; col < n; ++col) zero = zero && Mr[col] == 0.0;
    require(zero, std::string(name) + ": entries outside the diagonal blocks (block_size " +
                      std::to_string(nb) + ") must be zero");
  }
  for (py::ssize_t k = 0; k < K; ++k)
    for (py::ssize_t j = 0; j < nb; ++j)
      for (py::ssize_t i = 0; i < nb; ++i) blocks(i, col0 + k * nb + j) = M[(k * nb + i) * n + k * nb + j];
  for (py::ssize_t j = 0; j < r; ++j)
    for (py::ssize_t i = 0; i < r; ++i) tail(i, tail_col0 + j) = M[(K * nb + i) * n + K * nb + j];
}

// The block problem: P as (n, n) or (K, nb, nb), A as (m, n, n) or (m, K, nb, nb) (the block
// forms need n = K nb); a dense form is checked to be block-diagonal.
void problem_from(const py::object& P_obj, const py::object& q_obj, const py::object& A_obj,
                  const py::object& b_obj, const py::object& c_obj, py::ssize_t nb,
                  BlockQcqpProblem& pr) {
  auto q = checked<double>(q_obj, "q", {-1});
  const py::ssize_t n = q.shape(0);
  require(nb >= 1 && nb <= n, "block_size: must be in [1, n]");
  const py::ssize_t K = n / nb, r = n - K * nb;
  auto c = checked<double>(c_obj, "c", {-1});
  const py::ssize_t m = c.shape(0);
  auto b = checked<double>(b_obj, "b", {m, n});
  pr.block_size = nb;
  pr.blocks = K;
  pr.q = Eigen::Map<const RVector>(q.data(), n);
  pr.B = Eigen::Map<const RMatrixRM>(b.data(), m, n);
  pr.c = Eigen::Map<const RVector>(c.data(), m);
  pr.P.resize(nb, K * nb);
  pr.P_tail.resize(r, r);
  pr.A.resize(nb, m * K * nb);
  pr.A_tail.resize(r, m * r);
  const auto ndim = [](const py::object& obj) {
    const py::array arr = py::array::ensure(obj);  // a failed conversion is reported by checked()
    return arr ? arr.ndim() : -1;
  };
  if (ndim(P_obj) == 3) {
    require(r == 0, "P: the (K, block_size, block_size) form needs n = K * block_size");
    auto P = checked<double>(P_obj, "P", {K, nb, nb});
    for (py::ssize_t k = 0; k < K; ++k)
      pr.P.middleCols(k * nb, nb) = Eigen::Map<const RMatrixRM>(P.data() + k * nb * nb, nb, nb);
  } else {
    auto P = checked<double>(P_obj, "P", {n, n});
    split_dense(P.data(), n, nb, K, "P", pr.P, 0, pr.P_tail, 0);
  }
  if (ndim(A_obj) == 4) {
    require(r == 0, "A: the (m, K, block_size, block_size) form needs n = K * block_size");
    auto A = checked<double>(A_obj, "A", {m, K, nb, nb});
    for (py::ssize_t b = 0; b < m * K; ++b)
      pr.A.middleCols(b * nb, nb) = Eigen::Map<const RMatrixRM>(A.data() + b * nb * nb, nb, nb);
  } else {
    auto A = checked<double>(A_obj, "A", {m, n, n});
    for (py::ssize_t i = 0; i < m; ++i)
      split_dense(A.data() + i * n * n, n, nb, K, "A", pr.A, i * K * nb, pr.A_tail, i * r);
  }
  check_qcqp(pr);
}

// The result's fields as a dict (QcqpResult's __dict__ in pyiscc.qcqp).  Keys and status names are
// interned strings made once (hash cached, no UTF-8 decoding per call); they live as long as the
// interpreter.
py::dict result_dict(const QcqpResult& res) {
  static PyObject* const keys[] = {
      PyUnicode_InternFromString("status"),          PyUnicode_InternFromString("x"),
      PyUnicode_InternFromString("z"),               PyUnicode_InternFromString("objective"),
      PyUnicode_InternFromString("primal_residual"), PyUnicode_InternFromString("dual_residual"),
      PyUnicode_InternFromString("complementarity"), PyUnicode_InternFromString("iterations"),
      PyUnicode_InternFromString("phase1_iterations"), PyUnicode_InternFromString("phase1_value"),
      PyUnicode_InternFromString("violated")};
  static PyObject* const statuses[] = {
      PyUnicode_InternFromString(status_name(QcqpStatus::optimal)),
      PyUnicode_InternFromString(status_name(QcqpStatus::infeasible)),
      PyUnicode_InternFromString(status_name(QcqpStatus::max_iter)),
      PyUnicode_InternFromString(status_name(QcqpStatus::numerical_error))};
  py::tuple violated(res.violated.size());
  for (std::size_t i = 0; i < res.violated.size(); ++i) violated[i] = py::int_(res.violated[i]);
  const py::object values[] = {
      py::reinterpret_borrow<py::object>(statuses[static_cast<int>(res.status)]),
      py::array_t<double>(res.x.size(), res.x.data()),
      py::array_t<double>(res.z.size(), res.z.data()),
      py::float_(res.objective),
      py::float_(res.primal_residual),
      py::float_(res.dual_residual),
      py::float_(res.complementarity),
      py::int_(res.iterations),
      py::int_(res.phase1_iterations),
      py::float_(res.phase1_value),
      std::move(violated)};
  static_assert(sizeof(keys) / sizeof(keys[0]) == sizeof(values) / sizeof(values[0]));
  py::dict out;
  for (std::size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); ++k)
    if (!keys[k] || PyDict_SetItem(out.ptr(), keys[k], values[k].ptr()) != 0) throw py::error_already_set();
  return out;
}

}  // namespace

void register_qcqp(py::module_& m) {
  m.def(
      "solve_qcqp",
      [](const py::object& P_obj, const py::object& q_obj, const py::object& A_obj,
         const py::object& b_obj, const py::object& c_obj, const py::object& x0_obj, int max_iter,
         double tol, py::ssize_t block_size) {
        require(max_iter >= 1, "max_iter must be >= 1");
        require(tol > 0.0 && tol < 1.0, "tol must be in (0, 1)");
        // Per-thread buffers: each Python thread builds and solves its own problem.
        thread_local QcqpProblemView pr;
        thread_local BlockQcqpProblem bpr;
        thread_local QcqpWorkspace ws;
        thread_local QcqpResult res;
        std::optional<DenseArrays> arrays;
        const bool blocks = block_size > 0;
        if (blocks) {
          problem_from(P_obj, q_obj, A_obj, b_obj, c_obj, block_size, bpr);
        } else {
          arrays.emplace(P_obj, q_obj, A_obj, b_obj, c_obj);
          problem_from(*arrays, pr);
        }
        const std::ptrdiff_t n = blocks ? bpr.n() : pr.n;
        std::optional<carray<double>> x0;
        if (!x0_obj.is_none()) x0.emplace(checked<double>(x0_obj, "x0", {n}));
        require(!x0 || Eigen::Map<const RVector>(x0->data(), n).allFinite(), "x0: contains NaN or inf");
        QcqpSettings settings;
        settings.max_iter = max_iter;
        settings.tol = tol;
        settings.feas_tol = tol;
        {
          // Safe: the solver only touches this thread's problem, workspace and result and the
          // arrays held above (see problem_from).
          py::gil_scoped_release release;
          const double* start = x0 ? x0->data() : nullptr;
          if (blocks)
            solve_qcqp(bpr, start, settings, ws, res);
          else
            solve_qcqp(pr, start, settings, ws, res);
        }
        return result_dict(res);
      },
      py::arg("P"), py::arg("q"), py::arg("A"), py::arg("b"), py::arg("c"), py::arg("x0") = py::none(),
      py::arg("max_iter") = 100, py::arg("tol") = 1e-9, py::arg("block_size") = 0,
      "maximise q^T x - x^T P x s.t. x^T A_i x + b_i^T x <= c_i (P, A_i PSD). block_size > 0: "
      "P and A_i block-diagonal (structured path). -> dict.");
}

}  // namespace pyiscc::bind
