// Binding of the dense QCQP solver (cpp/qcqp.hpp).
#include "arrays.hpp"
#include "qcqp.hpp"

namespace pyiscc::bind {

namespace {

// Copies the arrays into pr (owned by C++, so no pointer into a temporary is kept; its buffers are
// reused from call to call, so a repeated shape allocates nothing).
void problem_from(const py::object& P_obj, const py::object& q_obj, const py::object& A_obj,
                  const py::object& b_obj, const py::object& c_obj, QcqpProblem& pr) {
  auto q = checked<double>(q_obj, "q", {-1});
  const py::ssize_t n = q.shape(0);
  auto P = checked<double>(P_obj, "P", {n, n});
  auto c = checked<double>(c_obj, "c", {-1});
  const py::ssize_t m = c.shape(0);
  auto A = checked<double>(A_obj, "A", {m, n, n});
  auto b = checked<double>(b_obj, "b", {m, n});
  pr.P = Eigen::Map<const RMatrixRM>(P.data(), n, n);
  pr.q = Eigen::Map<const RVector>(q.data(), n);
  pr.B = Eigen::Map<const RMatrixRM>(b.data(), m, n);
  pr.c = Eigen::Map<const RVector>(c.data(), m);
  pr.A.resize(static_cast<std::size_t>(m));
  for (py::ssize_t i = 0; i < m; ++i) {
    Eigen::Map<const RMatrixRM> Ai(A.data() + i * n * n, n, n);
    if (!Ai.isZero(0.0))
      pr.A[static_cast<std::size_t>(i)] = Ai;
    else
      pr.A[static_cast<std::size_t>(i)].resize(0, 0);  // A_i = 0: linear constraint
  }
  check_qcqp(pr);
}

}  // namespace

void register_qcqp(py::module_& m) {
  m.def(
      "solve_qcqp",
      [](const py::object& P_obj, const py::object& q_obj, const py::object& A_obj,
         const py::object& b_obj, const py::object& c_obj, const py::object& x0_obj, int max_iter,
         double tol) {
        require(max_iter >= 1, "max_iter must be >= 1");
        require(tol > 0.0 && tol < 1.0, "tol must be in (0, 1)");
        // Per-thread buffers: each Python thread builds and solves its own problem.
        thread_local QcqpProblem pr;
        thread_local QcqpWorkspace ws;
        thread_local QcqpResult res;
        problem_from(P_obj, q_obj, A_obj, b_obj, c_obj, pr);
        carray<double> x0;
        if (!x0_obj.is_none()) x0 = checked<double>(x0_obj, "x0", {pr.n()});
        require(x0_obj.is_none() || Eigen::Map<const RVector>(x0.data(), pr.n()).allFinite(),
                "x0: contains NaN or inf");
        QcqpSettings settings;
        settings.max_iter = max_iter;
        settings.tol = tol;
        settings.feas_tol = tol;
        {
          // Safe: the solver only touches this thread's C++-owned problem, workspace and result
          // and the x0 buffer held above.
          py::gil_scoped_release release;
          solve_qcqp(pr, x0_obj.is_none() ? nullptr : x0.data(), settings, ws, res);
        }
        py::dict out;
        out["status"] = status_name(res.status);
        out["x"] = py::array_t<double>(res.x.size(), res.x.data());
        out["z"] = py::array_t<double>(res.z.size(), res.z.data());
        out["objective"] = res.objective;
        out["primal_residual"] = res.primal_residual;
        out["dual_residual"] = res.dual_residual;
        out["complementarity"] = res.complementarity;
        out["iterations"] = res.iterations;
        out["phase1_iterations"] = res.phase1_iterations;
        out["phase1_value"] = res.phase1_value;
        py::list violated;
        for (auto i : res.violated) violated.append(i);
        out["violated"] = violated;
        return out;
      },
      py::arg("P"), py::arg("q"), py::arg("A"), py::arg("b"), py::arg("c"), py::arg("x0") = py::none(),
      py::arg("max_iter") = 100, py::arg("tol") = 1e-9,
      "maximise q^T x - x^T P x s.t. x^T A_i x + b_i^T x <= c_i (P, A_i PSD). -> dict.");
}

}  // namespace pyiscc::bind
