#include "evaluate.hpp"

#include <cmath>
#include <string>
#include <vector>

namespace pyiscc {

void rates_from_sinr(const double* sinr, std::ptrdiff_t count, double bandwidth_hz, double* rate) {
  const double scale = bandwidth_hz / std::log(2.0);
  for (std::ptrdiff_t i = 0; i < count; ++i) rate[i] = scale * std::log1p(sinr[i]);
}

void check_decisions(const double* a, const double* b, const Dims& d) {
  for (std::ptrdiff_t i = 0; i < d.L * d.K; ++i) {
    require(a[i] == 0.0 || a[i] == 1.0, "a: offloading decisions must be binary (0 or 1), eq. (18b)");
    require(b[i] == 0.0 || b[i] == 1.0, "b: offloading decisions must be binary (0 or 1), eq. (18b)");
  }
  for (std::ptrdiff_t k = 0; k < d.K; ++k) {
    double choices = 0.0;
    for (std::ptrdiff_t l = 0; l < d.L; ++l) choices += a[l * d.K + k] + b[l * d.K + k];
    require(choices <= 1.0, "a, b: terminal " + std::to_string(k) + " is assigned to " +
                                std::to_string(static_cast<int>(choices)) +
                                " servers; at most one per terminal, eq. (18a)");
  }
}

void check_finite(const cdouble* x, std::ptrdiff_t count, const char* name) {
  for (std::ptrdiff_t i = 0; i < count; ++i)
    require(std::isfinite(x[i].real()) && std::isfinite(x[i].imag()),
            std::string(name) + ": contains NaN or inf");
}

void beam_latencies(const NetworkView& net, const cdouble* w, double* t_local, double* t_mec,
                    double* t_cloud) {
  const Dims& d = net.dims;
  check_finite(w, d.K * d.N, "w");
  std::vector<cdouble> g(static_cast<std::size_t>(d.L * d.K * d.M));
  std::vector<double> rate(static_cast<std::size_t>(d.L * d.K));
  effective_channels(net.H, w, d, g.data());
  uplink_sinr(g.data(), d, net.noise_power, rate.data());
  rates_from_sinr(rate.data(), d.L * d.K, net.bandwidth_hz, rate.data());  // in place
  mode_latencies(rate.data(), net.task_bits, net.cpu_local_hz, d, net.task, t_local, t_mec, t_cloud);
}

void evaluate(const NetworkView& net, const cdouble* w, const double* a, const double* b,
              const EvaluationBuffers& out) {
  const Dims& d = net.dims;
  check_finite(w, d.K * d.N, "w");
  check_decisions(a, b, d);
  std::vector<cdouble> g(static_cast<std::size_t>(d.L * d.K * d.M));
  std::vector<double> sinr(static_cast<std::size_t>(d.L * d.K));
  effective_channels(net.H, w, d, g.data());
  uplink_sinr(g.data(), d, net.noise_power, sinr.data());
  rates_from_sinr(sinr.data(), d.L * d.K, net.bandwidth_hz, out.rate);

  std::vector<double> interference(static_cast<std::size_t>(d.K * d.K));
  interference_matrix(net.HI, w, d, interference.data());
  echo_sinr(net.steering, w, net.echo_gain, interference.data(), d, net.noise_power, out.echo_sinr);

  std::vector<double> t_local(static_cast<std::size_t>(d.K)), tx_power(static_cast<std::size_t>(d.K));
  std::vector<double> t_mec(sinr.size()), t_cloud(sinr.size());
  mode_latencies(out.rate, net.task_bits, net.cpu_local_hz, d, net.task, t_local.data(),
                 t_mec.data(), t_cloud.data());
  for (std::ptrdiff_t k = 0; k < d.K; ++k)
    tx_power[static_cast<std::size_t>(k)] = Eigen::Map<const CVector>(w + k * d.N, d.N).squaredNorm();
  terminal_totals(t_local.data(), t_mec.data(), t_cloud.data(), a, b, tx_power.data(),
                  net.cpu_local_hz, d, net.task, out.latency, out.power, out.energy);
}

}  // namespace pyiscc
