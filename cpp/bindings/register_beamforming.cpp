// Binding of Algorithm 2 (cpp/beamforming.hpp): converts the arrays (shapes checked here) and
// calls the kernels, which check the values.
#include "arrays.hpp"
#include "beamforming.hpp"

namespace pyiscc::bind {

namespace {

// Holds (references to) the arrays of one beamforming problem so that the pointers inside
// `in_` stay valid for the lifetime of this object; no pointer into a temporary is kept.
class BeamformingCore {
 public:
  BeamformingCore(const py::object& H, const py::object& HI, const py::object& steering,
                  const py::object& echo_gain, const py::object& task_bits,
                  const py::object& power_budget, const py::object& serving,
                  const py::object& group, double noise_power, double sensing_sinr,
                  double bandwidth_hz)
      : H_(checked<cdouble>(H, "H", {-1, -1, -1, -1})) {
    const Dims d{H_.shape(0), H_.shape(1), H_.shape(2), H_.shape(3)};
    HI_ = checked<cdouble>(HI, "HI", {d.K, d.K, d.N, d.N});
    steering_ = checked<cdouble>(steering, "steering", {d.K, d.N});
    echo_gain_ = checked<double>(echo_gain, "echo_gain", {d.K});
    task_bits_ = checked<double>(task_bits, "task_bits", {d.K});
    power_ = checked<double>(power_budget, "power_budget", {d.K});
    serving_ = checked<std::int64_t>(serving, "serving", {d.K});
    group_ = checked<std::int64_t>(group, "group", {d.K});
    in_ = BeamformingInput{d, H_.data(), HI_.data(), steering_.data(), echo_gain_.data(),
                           task_bits_.data(), power_.data(), serving_.data(), group_.data(),
                           noise_power, sensing_sinr, bandwidth_hz};
  }

  py::dict optimize(const py::object& w0_obj, int max_iter, double tol, int workers,
                    bool record_iterates, bool slack_caps, double slack_share,
                    double feasibility_margin, bool power_only_fast_path, bool working_set,
                    double curvature_max, double curvature_start) const {
    const Dims& d = in_.dims;
    auto w0 = checked<cdouble>(w0_obj, "w0", {d.K, d.N});
    BeamformingSettings settings;
    settings.max_iter = max_iter;
    settings.tol = tol;
    settings.workers = workers;
    settings.record_iterates = record_iterates;
    require(slack_share >= 0.0 && slack_share <= 1.0, "slack_share must be in [0, 1]");
    settings.slack_caps = slack_caps;
    settings.slack_share = slack_share;
    require(feasibility_margin >= 0.0, "feasibility_margin must be >= 0");
    settings.feasibility_margin = feasibility_margin;
    settings.power_only_fast_path = power_only_fast_path;
    settings.working_set = working_set;
    require(curvature_max >= 1.0, "curvature_max must be >= 1");
    settings.curvature_max = curvature_max;
    require(curvature_start == 0.0 || curvature_start >= 1.0,
            "curvature_start must be 0 (the default start) or >= 1");
    settings.curvature_start = curvature_start;
    BeamformingResult res;
    {
      // Safe: C++ reads only arrays owned by this object and w0; threads join before return.
      py::gil_scoped_release release;
      res = optimize_beamforming(in_, w0.data(), settings);
    }
    auto w = empty<cdouble>({d.K, d.N});
    std::copy(res.w.data(), res.w.data() + d.K * d.N, w.mutable_data());
    py::dict out;
    out["w"] = w;
    out["objective"] = res.objective;
    out["history"] = py::array_t<double>(static_cast<py::ssize_t>(res.history.size()), res.history.data());
    out["iterations"] = res.iterations;
    out["feasibility_iterations"] = res.feasibility_iterations;
    out["subproblem_failures"] = res.subproblem_failures;
    out["power_only_solves"] = res.power_only_solves;
    out["rejected_steps"] = res.rejected_steps;
    out["working_set_solves"] = res.working_set_solves;
    out["working_set_rows"] = res.working_set_rows;
    out["working_set_max_rows"] = res.working_set_max_rows;
    out["working_set_additions"] = res.working_set_additions;
    out["status"] = status_name(res.status);
    auto iterates = empty<cdouble>({static_cast<py::ssize_t>(res.iterates.size()), d.K, d.N});
    for (std::size_t t = 0; t < res.iterates.size(); ++t)
      std::copy(res.iterates[t].data(), res.iterates[t].data() + d.K * d.N,
                iterates.mutable_data() + static_cast<py::ssize_t>(t) * d.K * d.N);
    out["iterates"] = iterates;
    out["failing"] = py::array_t<std::int64_t>(static_cast<py::ssize_t>(res.failing.size()), res.failing.data());
    return out;
  }

  py::dict subproblem(const py::object& w_obj, py::ssize_t k) const {
    const Dims& d = in_.dims;
    auto w = checked<cdouble>(w_obj, "w", {d.K, d.N});
    QcqpProblem pr;
    {
      py::gil_scoped_release release;  // safe: plain buffers owned above
      pr = beamforming_subproblem(in_, w.data(), k);
    }
    const py::ssize_t n = pr.n(), m = pr.m();
    auto P = empty<double>({n, n}), A = empty<double>({m, n, n}), b = empty<double>({m, n});
    Eigen::Map<RMatrixRM>(P.mutable_data(), n, n) = pr.P;
    Eigen::Map<RMatrixRM>(b.mutable_data(), m, n) = pr.B;
    for (py::ssize_t i = 0; i < m; ++i) {
      Eigen::Map<RMatrixRM> Ai(A.mutable_data() + i * n * n, n, n);
      if (pr.quadratic(i)) Ai = pr.A[static_cast<std::size_t>(i)]; else Ai.setZero();
    }
    py::dict out;
    out["P"] = P;
    out["q"] = py::array_t<double>(n, pr.q.data());
    out["A"] = A;
    out["b"] = b;
    out["c"] = py::array_t<double>(m, pr.c.data());
    return out;
  }

  py::tuple sensing_blend(const py::object& w0_obj, const py::object& mrs_obj, int halvings) const {
    const Dims& d = in_.dims;
    auto w0 = checked<cdouble>(w0_obj, "w0", {d.K, d.N});
    auto mrs = checked<cdouble>(mrs_obj, "mrs", {d.K, d.N});
    auto w = empty<cdouble>({d.K, d.N});
    double t;
    {
      py::gil_scoped_release release;  // safe: plain buffers owned above
      t = pyiscc::sensing_blend(in_, w0.data(), mrs.data(), halvings, w.mutable_data());
    }
    return py::make_tuple(w, t);
  }

  double objective(const py::object& w_obj) const {
    auto w = checked<cdouble>(w_obj, "w", {in_.dims.K, in_.dims.N});
    py::gil_scoped_release release;  // safe: plain buffers owned above
    return upload_latency(in_, w.data());
  }

 private:
  carray<cdouble> H_, HI_, steering_;
  carray<double> echo_gain_, task_bits_, power_;
  carray<std::int64_t> serving_, group_;
  BeamformingInput in_{};
};

}  // namespace

void register_beamforming(py::module_& m) {
  py::class_<BeamformingCore>(m, "BeamformingCore",
                              "One Algorithm-2 problem (network arrays and fixed decisions).")
      .def(py::init<const py::object&, const py::object&, const py::object&, const py::object&,
                    const py::object&, const py::object&, const py::object&, const py::object&,
                    double, double, double>(),
           py::arg("H"), py::arg("HI"), py::arg("steering"), py::arg("echo_gain"),
           py::arg("task_bits"), py::arg("power_budget"), py::arg("serving"), py::arg("group"),
           py::arg("noise_power"), py::arg("sensing_sinr"), py::arg("bandwidth_hz"))
      .def("optimize", &BeamformingCore::optimize, py::arg("w0"), py::arg("max_iter"),
           py::arg("tol"), py::arg("workers"), py::arg("record_iterates") = false,
           py::arg("slack_caps") = false, py::arg("slack_share") = 0.5,
           py::arg("feasibility_margin") = 0.0, py::arg("power_only_fast_path") = true,
           py::arg("working_set") = true, py::arg("curvature_max") = 1.0,
           py::arg("curvature_start") = 0.0,
           "Algorithm 2 from w0 (K,N); slack_caps: the slack rule instead of (58); "
           "power_only_fast_path: the slack rule's trust-region shortcut; working_set: its "
           "working-set sub-problems (tests turn them off to compare); curvature_start: the "
           "scaled step's first tau (0: the default). -> dict.")
      .def("subproblem", &BeamformingCore::subproblem, py::arg("w"), py::arg("k"),
           "Sub-problem (56) of terminal k at iterate w, real scaled form. -> dict P,q,A,b,c.")
      .def("sensing_blend", &BeamformingCore::sensing_blend, py::arg("w0"), py::arg("mrs"),
           py::arg("halvings"),
           "start='w0''s pull of w0 towards the MRS beams mrs (K,N) by the least blend that "
           "meets (18e) (cpp/beamforming.hpp). -> (w (K,N), t).")
      .def("objective", &BeamformingCore::objective, py::arg("w"),
           "Objective (39): sum over offloading k of Z_k / R_{l(k)k} [s].");
}

}  // namespace pyiscc::bind
