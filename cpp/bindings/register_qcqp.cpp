// Binding of the QCQP solver (cpp/qcqp/qcqp.hpp): converts the arguments and calls
// solve_qcqp(QcqpArguments), which checks them (ValueError naming the argument) and solves.
#include <algorithm>
#include <optional>

#include "arrays.hpp"
#include "qcqp.hpp"

namespace pyiscc::bind {

namespace {

// obj as a C-contiguous float64 array: the caller's NumPy array itself when it already is one,
// else a converted copy (ValueError naming the argument when it cannot be converted).
carray<double> as_array(const py::object& obj, const char* name) {
  return carray<double>::check_(obj) ? py::reinterpret_borrow<carray<double>>(obj) : converted<double>(obj, name);
}

QcqpArray array_arg(const carray<double>& a) {
  QcqpArray out;
  out.data = a.data();
  out.ndim = static_cast<int>(a.ndim());
  for (int d = 0; d < std::min(out.ndim, QcqpArray::kMaxDims); ++d) out.shape[static_cast<std::size_t>(d)] = a.shape(d);
  return out;
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
         const py::object& b_obj, const py::object& c_obj, const py::object& x0_obj, long long max_iter,
         double tol, py::ssize_t block_size) {
        // Per-thread buffers: each Python thread solves its own problem.
        thread_local QcqpWorkspace ws;
        thread_local QcqpResult res;
        // The arrays stay alive (and are read in place) while the solver runs.
        const carray<double> P = as_array(P_obj, "P"), q = as_array(q_obj, "q"), A = as_array(A_obj, "A"),
                             b = as_array(b_obj, "b"), c = as_array(c_obj, "c");
        std::optional<carray<double>> x0;
        if (!x0_obj.is_none()) x0.emplace(as_array(x0_obj, "x0"));
        QcqpArguments args;
        args.P = array_arg(P);
        args.q = array_arg(q);
        args.A = array_arg(A);
        args.b = array_arg(b);
        args.c = array_arg(c);
        if (x0) args.x0 = array_arg(*x0);
        args.max_iter = max_iter;
        args.tol = tol;
        args.block_size = block_size;
        {
          // Like NumPy's own kernels, a call must not race with another thread writing to the
          // same arrays; the solver touches only them and this thread's workspace and result.
          py::gil_scoped_release release;
          solve_qcqp(args, ws, res);
        }
        return result_dict(res);
      },
      py::arg("P"), py::arg("q"), py::arg("A"), py::arg("b"), py::arg("c"), py::arg("x0") = py::none(),
      py::arg("max_iter") = 100, py::arg("tol") = 1e-9, py::arg("block_size") = 0,
      "maximise q^T x - x^T P x s.t. x^T A_i x + b_i^T x <= c_i (P, A_i PSD). block_size > 0: "
      "P and A_i block-diagonal (structured path). Checks every argument (ValueError). -> dict.");
}

}  // namespace pyiscc::bind
