#include "latency.hpp"

#include <limits>

namespace pyiscc {

void mode_latencies(const double* rate, const double* task_bits, const double* cpu_local_hz,
                    const Dims& d, const TaskParams& p, double* t_local, double* t_mec,
                    double* t_cloud) {
  const double inf = std::numeric_limits<double>::infinity();
  for (std::ptrdiff_t k = 0; k < d.K; ++k) t_local[k] = p.cycles_per_bit * task_bits[k] / cpu_local_hz[k];
  for (std::ptrdiff_t l = 0; l < d.L; ++l) {
    for (std::ptrdiff_t k = 0; k < d.K; ++k) {
      const std::ptrdiff_t i = l * d.K + k;
      const double z = task_bits[k];
      const double upload = rate[i] > 0.0 ? z / rate[i] : inf;
      t_mec[i] = upload + p.cycles_per_bit * z / p.cpu_mec_hz;
      t_cloud[i] = upload + z / p.backhaul_bps + p.cycles_per_bit * z / p.cpu_cloud_hz;
    }
  }
}

void terminal_totals(const double* t_local, const double* t_mec, const double* t_cloud,
                     const double* a, const double* b, const double* tx_power,
                     const double* cpu_local_hz, const Dims& d, const TaskParams& p,
                     double* latency, double* power, double* energy) {
  for (std::ptrdiff_t k = 0; k < d.K; ++k) {
    double offloaded = 0.0, t = 0.0;
    for (std::ptrdiff_t l = 0; l < d.L; ++l) {
      const std::ptrdiff_t i = l * d.K + k;
      if (a[i] != 0.0) t += a[i] * t_mec[i];
      if (b[i] != 0.0) t += b[i] * t_cloud[i];
      offloaded += a[i] + b[i];
    }
    const double local_share = 1.0 - offloaded;
    if (local_share != 0.0) t += local_share * t_local[k];
    const double f = cpu_local_hz[k];
    latency[k] = t;
    power[k] = tx_power[k] + local_share * p.chip_coefficient * f * f * f;
    energy[k] = power[k] * t;
  }
}

}  // namespace pyiscc
