// Bindings of the channel-algebra and latency kernels (cpp/channel.hpp, cpp/latency.hpp,
// cpp/evaluate.hpp): each converts its arguments (shapes checked here) and calls one kernel,
// which checks the values.
#include "arrays.hpp"
#include "channel.hpp"
#include "evaluate.hpp"
#include "latency.hpp"

namespace pyiscc::bind {

namespace {

Dims dims_of_H(const carray<cdouble>& H) {
  return Dims{H.shape(0), H.shape(1), H.shape(2), H.shape(3)};
}

// Owns (references to) the arrays of one network so that pointers into them stay valid for as
// long as this object lives: no pointer into a temporary conversion is ever kept.
class NetworkCore {
 public:
  NetworkCore(const py::object& H, const py::object& HI, const py::object& steering,
              const py::object& echo_gain, const py::object& task_bits,
              const py::object& cpu_local_hz, double noise_power, double bandwidth_hz,
              double cycles_per_bit, double cpu_mec_hz, double cpu_cloud_hz, double backhaul_bps,
              double chip_coefficient)
      : H_(checked<cdouble>(H, "H", {-1, -1, -1, -1})) {
    const Dims d = dims_of_H(H_);
    HI_ = checked<cdouble>(HI, "HI", {d.K, d.K, d.N, d.N});
    steering_ = checked<cdouble>(steering, "steering", {d.K, d.N});
    echo_gain_ = checked<double>(echo_gain, "echo_gain", {d.K});
    task_bits_ = checked<double>(task_bits, "task_bits", {d.K});
    cpu_local_ = checked<double>(cpu_local_hz, "cpu_local_hz", {d.K});
    view_ = NetworkView{d, H_.data(), HI_.data(), steering_.data(), echo_gain_.data(),
                        task_bits_.data(), cpu_local_.data(), noise_power, bandwidth_hz,
                        TaskParams{cycles_per_bit, cpu_mec_hz, cpu_cloud_hz, backhaul_bps,
                                   chip_coefficient}};
  }

  py::tuple evaluate(const py::object& w_obj, const py::object& a_obj, const py::object& b_obj) const {
    const Dims& d = view_.dims;
    auto w = checked<cdouble>(w_obj, "w", {d.K, d.N});
    auto a = checked<double>(a_obj, "a", {d.L, d.K});
    auto b = checked<double>(b_obj, "b", {d.L, d.K});
    auto rate = empty<double>({d.L, d.K});
    auto echo = empty<double>({d.K}), latency = empty<double>({d.K});
    auto power = empty<double>({d.K}), energy = empty<double>({d.K});
    EvaluationBuffers out{rate.mutable_data(), echo.mutable_data(), latency.mutable_data(),
                          power.mutable_data(), energy.mutable_data()};
    {
      // Safe: the kernel touches only buffers owned by this object and the arrays above; it
      // throws std::invalid_argument (-> ValueError) on bad w, a, b before any output is used.
      py::gil_scoped_release release;
      pyiscc::evaluate(view_, w.data(), a.data(), b.data(), out);
    }
    return py::make_tuple(rate, echo, latency, power, energy);
  }

  const NetworkView& view() const { return view_; }

 private:
  carray<cdouble> H_, HI_, steering_;
  carray<double> echo_gain_, task_bits_, cpu_local_;
  NetworkView view_{};
};

}  // namespace

void register_channel(py::module_& m) {
  m.def(
      "effective_channels",
      [](const py::object& H_obj, const py::object& w_obj) {
        auto H = checked<cdouble>(H_obj, "H", {-1, -1, -1, -1});
        const Dims d = dims_of_H(H);
        auto w = checked<cdouble>(w_obj, "w", {d.K, d.N});
        auto g = empty<cdouble>({d.L, d.K, d.M});
        py::gil_scoped_release release;  // safe: plain buffers, no Python objects touched
        effective_channels(H.data(), w.data(), d, g.mutable_data());
        return g;
      },
      py::arg("H"), py::arg("w"), "g[l,k] = H[l,k]^H w_k, eq. (2). H (L,K,N,M), w (K,N) -> (L,K,M).");

  m.def(
      "uplink_sinr",
      [](const py::object& g_obj, double noise_power) {
        auto g = checked<cdouble>(g_obj, "g", {-1, -1, -1});
        const Dims d{g.shape(0), g.shape(1), 0, g.shape(2)};
        auto sinr = empty<double>({d.L, d.K});
        py::gil_scoped_release release;  // safe: plain buffers, no Python objects touched
        uplink_sinr(g.data(), d, noise_power, sinr.mutable_data());
        return sinr;
      },
      py::arg("g"), py::arg("noise_power"),
      "MMSE uplink SINR of every (l,k), eqs. (3)-(4). g (L,K,M) -> (L,K).");

  m.def(
      "mmse_receivers",
      [](const py::object& g_obj, const py::object& serving_obj, double noise_power) {
        auto g = checked<cdouble>(g_obj, "g", {-1, -1, -1});
        const Dims d{g.shape(0), g.shape(1), 0, g.shape(2)};
        auto serving = checked<std::int64_t>(serving_obj, "serving", {d.K});
        auto u = empty<cdouble>({d.K, d.M});
        auto mse = empty<double>({d.K});
        {
          py::gil_scoped_release release;  // safe: plain buffers, no Python objects touched
          mmse_receivers(g.data(), d, noise_power, serving.data(), u.mutable_data(), mse.mutable_data());
        }
        return py::make_tuple(u, mse);
      },
      py::arg("g"), py::arg("serving"), py::arg("noise_power"),
      "MMSE receivers u_k = F_l^{-1} g_lk at serving BS l, eq. (46), and MSE (47). -> (u (K,M), mse (K,)).");

  m.def(
      "interference_matrix",
      [](const py::object& HI_obj, const py::object& w_obj) {
        auto HI = checked<cdouble>(HI_obj, "HI", {-1, -1, -1, -1});
        const Dims d{0, HI.shape(0), HI.shape(2), 0};
        require(HI.shape(1) == d.K && HI.shape(3) == d.N, "HI: expected shape (K, K, N, N)");
        auto w = checked<cdouble>(w_obj, "w", {d.K, d.N});
        auto out = empty<double>({d.K, d.K});
        py::gil_scoped_release release;  // safe: plain buffers, no Python objects touched
        interference_matrix(HI.data(), w.data(), d, out.mutable_data());
        return out;
      },
      py::arg("HI"), py::arg("w"), "out[k,j] = ||HI[k,j] w_j||^2 (j != k), 0 on the diagonal. -> (K,K).");

  m.def(
      "echo_sinr",
      [](const py::object& steering_obj, const py::object& w_obj, const py::object& gain_obj,
         const py::object& interference_obj, double noise_power) {
        auto steering = checked<cdouble>(steering_obj, "steering", {-1, -1});
        const Dims d{0, steering.shape(0), steering.shape(1), 0};
        auto w = checked<cdouble>(w_obj, "w", {d.K, d.N});
        auto gain = checked<double>(gain_obj, "echo_gain", {d.K});
        auto interference = checked<double>(interference_obj, "interference", {d.K, d.K});
        auto out = empty<double>({d.K});
        py::gil_scoped_release release;  // safe: plain buffers, no Python objects touched
        echo_sinr(steering.data(), w.data(), gain.data(), interference.data(), d, noise_power,
                  out.mutable_data());
        return out;
      },
      py::arg("steering"), py::arg("w"), py::arg("echo_gain"), py::arg("interference"),
      py::arg("noise_power"), "Echo SINR, eq. (8) with DESIGN.md resolutions 1-2. -> (K,).");

  m.def(
      "check_decisions",
      [](const py::object& a_obj, const py::object& b_obj) {
        auto a = checked<double>(a_obj, "a", {-1, -1});
        auto b = checked<double>(b_obj, "b", {a.shape(0), a.shape(1)});
        check_decisions(a.data(), b.data(), Dims{a.shape(0), a.shape(1), 0, 0});
      },
      py::arg("a"), py::arg("b"),
      "ValueError unless a, b (L,K) are binary with at most one choice per terminal, eqs. (18a-b).");

  py::class_<NetworkCore>(m, "NetworkCore",
                          "The arrays of one network, held for repeated C++ evaluation.")
      .def(py::init<const py::object&, const py::object&, const py::object&, const py::object&,
                    const py::object&, const py::object&, double, double, double, double, double,
                    double, double>(),
           py::arg("H"), py::arg("HI"), py::arg("steering"), py::arg("echo_gain"),
           py::arg("task_bits"), py::arg("cpu_local_hz"), py::arg("noise_power"),
           py::arg("bandwidth_hz"), py::arg("cycles_per_bit"), py::arg("cpu_mec_hz"),
           py::arg("cpu_cloud_hz"), py::arg("backhaul_bps"), py::arg("chip_coefficient"))
      .def("evaluate", &NetworkCore::evaluate, py::arg("w"), py::arg("a"), py::arg("b"),
           "-> (rate (L,K), echo_sinr (K,), latency (K,), power (K,), energy (K,)).")
      .def(
          "beam_latencies",
          [](const NetworkCore& self, const py::object& w_obj) {
            const NetworkView& v = self.view();
            const Dims& d = v.dims;
            auto w = checked<cdouble>(w_obj, "w", {d.K, d.N});
            auto tl = empty<double>({d.K}), tm = empty<double>({d.L, d.K}), tc = empty<double>({d.L, d.K});
            {
              py::gil_scoped_release release;  // safe: plain buffers, no Python objects touched
              beam_latencies(v, w.data(), tl.mutable_data(), tm.mutable_data(), tc.mutable_data());
            }
            return py::make_tuple(tl, tm, tc);
          },
          py::arg("w"), "Latency of each mode for beams w (uplink rates only, no echo terms): "
                        "-> (local (K,), mec (L,K), cloud (L,K)).")
      .def(
          "mode_latencies",
          [](const NetworkCore& self, const py::object& rate_obj) {
            const NetworkView& v = self.view();
            const Dims& d = v.dims;
            auto rate = checked<double>(rate_obj, "rate", {d.L, d.K});
            auto tl = empty<double>({d.K}), tm = empty<double>({d.L, d.K}), tc = empty<double>({d.L, d.K});
            {
              py::gil_scoped_release release;  // safe: plain buffers, no Python objects touched
              mode_latencies(rate.data(), v.task_bits, v.cpu_local_hz, d, v.task, tl.mutable_data(),
                             tm.mutable_data(), tc.mutable_data());
            }
            return py::make_tuple(tl, tm, tc);
          },
          py::arg("rate"), "Latency of each mode, eqs. (10), (12), (15): -> (local (K,), mec (L,K), cloud (L,K)).");
}

}  // namespace pyiscc::bind
