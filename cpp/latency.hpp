// Task latency, power and energy of the three execution modes (DESIGN.md section 1, eqs. 10-17).
#pragma once

#include "common.hpp"

namespace pyiscc {

struct TaskParams {
  double cycles_per_bit;    // beta [cycles/bit]
  double cpu_mec_hz;        // f^E [cycles/s]
  double cpu_cloud_hz;      // f^C [cycles/s]
  double backhaul_bps;      // r^f [bit/s]
  double chip_coefficient;  // eta [W s^3 / cycles^3]
};

// T^L_k = beta Z_k / f^L_k (10); T^E_lk = Z_k / R_lk + beta Z_k / f^E (12);
// T^C_lk = Z_k / R_lk + Z_k / r^f + beta Z_k / f^C (15).  rate (L,K) [bit/s];
// task_bits, cpu_local_hz (K,) -> t_local (K,), t_mec, t_cloud (L,K) [s] (inf where R = 0).
void mode_latencies(const double* rate, const double* task_bits, const double* cpu_local_hz,
                    const Dims& d, const TaskParams& p, double* t_local, double* t_mec,
                    double* t_cloud);

// Total latency (16), power (17, resolution 4) and energy E = p T of every terminal for binary
// decisions a, b (L,K).  tx_power (K,) = ||w_k||^2 [W].  Only chosen modes enter the sums, so an
// unused link with R = 0 does not turn the total into NaN.
void terminal_totals(const double* t_local, const double* t_mec, const double* t_cloud,
                     const double* a, const double* b, const double* tx_power,
                     const double* cpu_local_hz, const Dims& d, const TaskParams& p,
                     double* latency, double* power, double* energy);

}  // namespace pyiscc
