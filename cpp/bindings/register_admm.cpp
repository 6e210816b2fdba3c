// Bindings of Algorithm 1 (cpp/admm.hpp): the whole ADMM + binary recovery, and its two step
// kernels for the tests and the OSQP cross-check.  Each converts its arguments and calls one
// C++ function, which checks them.
#include <pybind11/pytypes.h>

#include <cstring>

#include "admm.hpp"
#include "arrays.hpp"

namespace pyiscc::bind {

namespace {

template <class T>
py::array_t<T> to_array(const std::vector<T>& v, std::initializer_list<py::ssize_t> shape) {
  auto out = carray<T>(std::vector<py::ssize_t>(shape));
  if (!v.empty()) std::memcpy(out.mutable_data(), v.data(), v.size() * sizeof(T));
  return out;
}

template <class T>
py::array_t<T> to_array(const std::vector<T>& v) {
  return to_array(v, {static_cast<py::ssize_t>(v.size())});
}

std::vector<std::uint8_t> mask_of(const carray<bool>& m) {
  return std::vector<std::uint8_t>(m.data(), m.data() + m.size());
}

// A Python callable local_step(l, t, lo, hi, capacity) -> x (2K,) as the kernel's LocalStepFn.
// It holds a borrowed handle only (no refcounting while the GIL is released): the callable must
// outlive the solve.  Each call re-acquires the GIL.
LocalStepFn python_local_step(const py::handle fn) {
  return [fn](std::ptrdiff_t l, std::ptrdiff_t n_terminals, const double* t, const double* lo,
              const double* hi, double capacity, double* x) {
    py::gil_scoped_acquire acquire;
    const py::ssize_t n = 2 * n_terminals;
    auto copy = [n](const double* p) {
      auto arr = empty<double>({n});
      std::memcpy(arr.mutable_data(), p, static_cast<std::size_t>(n) * sizeof(double));
      return arr;
    };
    py::object res = fn(l, copy(t), copy(lo), copy(hi), capacity);
    auto xs = checked<double>(res, "local_step result", {n});
    std::memcpy(x, xs.data(), static_cast<std::size_t>(n) * sizeof(double));
  };
}

py::dict to_dict(const OffloadingOutput& out, py::ssize_t L, py::ssize_t K) {
  py::dict d;
  d["a"] = to_array(out.a, {L, K});
  d["b"] = to_array(out.b, {L, K});
  d["relaxed_a"] = to_array(out.relaxed_a, {L, K});
  d["relaxed_b"] = to_array(out.relaxed_b, {L, K});
  d["objective"] = out.objective;
  d["relaxed_objective"] = out.relaxed_objective;
  d["iterations"] = out.iterations;
  d["recovery_iterations"] = out.recovery_iterations;
  d["history_objective"] = to_array(out.history.objective);
  d["history_primal"] = to_array(out.history.primal);
  d["history_dual"] = to_array(out.history.dual);
  d["history_rho"] = to_array(out.history.rho);
  d["status"] = status_name(out.status);
  d["unplaced"] = to_array(out.unplaced);
  return d;
}

}  // namespace

void register_admm(py::module_& m) {
  m.def(
      "box_knapsack_projection",
      [](const py::object& t_obj, const py::object& lo_obj, const py::object& hi_obj,
         double capacity, py::ssize_t n_knapsack, double guess, int newton_passes) {
        auto t = checked<double>(t_obj, "t", {-1});
        const py::ssize_t n = t.shape(0);
        auto lo = checked<double>(lo_obj, "lo", {n});
        auto hi = checked<double>(hi_obj, "hi", {n});
        auto x = empty<double>({n});
        double mu;
        {
          py::gil_scoped_release release;  // safe: plain buffers, no Python objects touched
          std::vector<std::pair<double, std::ptrdiff_t>> events;
          mu = box_knapsack_projection(n, n_knapsack < 0 ? n : n_knapsack, t.data(), lo.data(),
                                       hi.data(), capacity, x.mutable_data(), events, guess,
                                       newton_passes);
        }
        return py::make_tuple(x, mu);
      },
      py::arg("t"), py::arg("lo"), py::arg("hi"), py::arg("capacity"), py::arg("n_knapsack") = -1,
      py::kw_only(), py::arg("guess") = 0.0, py::arg("newton_passes") = kNewtonPasses,
      "Local step (29) in canonical form: argmin 1/2||x - t||^2 s.t. lo <= x <= hi, "
      "sum(x[:n_knapsack]) <= capacity. -> (x (n,), multiplier mu). guess: start of the "
      "multiplier search; newton_passes: before the breakpoint walk (0: walk only).");

  m.def(
      "admm_global_step",
      [](const py::object& va_obj, const py::object& vb_obj, const py::object& lower_obj,
         const py::object& free_a_obj, const py::object& free_b_obj) {
        auto va = checked<double>(va_obj, "v_a", {-1, -1});
        const py::ssize_t L = va.shape(0), K = va.shape(1);
        auto vb = checked<double>(vb_obj, "v_b", {L, K});
        auto lower = checked<double>(lower_obj, "lower", {K});
        auto fa = checked<bool>(free_a_obj, "free_a", {L, K});
        auto fb = checked<bool>(free_b_obj, "free_b", {L, K});
        const auto ma = mask_of(fa), mb = mask_of(fb);
        auto a = empty<double>({L, K}), b = empty<double>({L, K});
        {
          py::gil_scoped_release release;  // safe: plain buffers, no Python objects touched
          global_step(L, K, va.data(), vb.data(), ma.data(), mb.data(), lower.data(),
                      a.mutable_data(), b.mutable_data());
        }
        return py::make_tuple(a, b);
      },
      py::arg("v_a"), py::arg("v_b"), py::arg("lower"), py::arg("free_a"), py::arg("free_b"),
      "Global step (31)-(35): per terminal, projection of the free entries of (v_a, v_b) onto "
      "{lower_k <= sum_l (a_lk + b_lk) <= 1}. (L,K) x2, lower (K,), masks (L,K) -> (a, b).");

  m.def(
      "solve_offloading",
      [](const py::object& tl_obj, const py::object& cm_obj, const py::object& cc_obj,
         const py::object& cap_obj, const py::object& smin_obj, double rho, int max_iter,
         double tol, int workers, const py::object& local_step, bool adapt_rho, int adapt_every,
         int adapt_until, double alpha, int recovery_iter) {
        auto cm = checked<double>(cm_obj, "cost_mec", {-1, -1});
        const py::ssize_t L = cm.shape(0), K = cm.shape(1);
        auto cc = checked<double>(cc_obj, "cost_cloud", {L, K});
        auto tl = checked<double>(tl_obj, "t_local", {K});
        auto cap = checked<double>(cap_obj, "capacity", {L});
        auto smin = checked<double>(smin_obj, "min_offload", {K});
        const OffloadingInput in{L, K, tl.data(), cm.data(), cc.data(), cap.data(), smin.data()};
        const AdmmSettings settings{rho, max_iter, tol, workers, adapt_rho, adapt_every,
                                    adapt_until, alpha, recovery_iter};
        const LocalStepFn custom = python_local_step(local_step);
        OffloadingOutput out;
        {
          // Safe: the kernel reads the arrays above; a Python local_step re-acquires the GIL.
          py::gil_scoped_release release;
          out = solve_offloading(in, settings, local_step.is_none() ? nullptr : &custom);
        }
        return to_dict(out, L, K);
      },
      py::arg("t_local"), py::arg("cost_mec"), py::arg("cost_cloud"), py::arg("capacity"),
      py::arg("min_offload"), py::arg("rho"), py::arg("max_iter"), py::arg("tol"),
      py::arg("workers") = 1, py::arg("local_step") = py::none(), py::arg("adapt_rho") = true,
      py::arg("adapt_every") = 5, py::arg("adapt_until") = 1000, py::arg("alpha") = 1.0,
      py::arg("recovery_iter") = 10,
      "Algorithm 1: ADMM on the relaxation (19) + binary recovery. local_step(l, t, lo, hi, "
      "capacity) -> x (2K,) replaces the exact local step (serial). -> dict.");
}

}  // namespace pyiscc::bind
