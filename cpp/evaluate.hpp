// Everything evaluate() needs in one pass over the network (DESIGN.md section 1).
#pragma once

#include "channel.hpp"
#include "latency.hpp"

namespace pyiscc {

// Read-only inputs of one network; pointers into C-contiguous arrays of the documented shapes.
struct NetworkView {
  Dims dims;
  const cdouble* H;             // (L,K,N,M)
  const cdouble* HI;            // (K,K,N,N)
  const cdouble* steering;      // (K,N)  a(theta_k)
  const double* echo_gain;      // (K,)   G_p zeta_k^2 N
  const double* task_bits;      // (K,)   Z_k [bit]
  const double* cpu_local_hz;   // (K,)   f^L_k
  double noise_power;           // sigma^2 [W]
  double bandwidth_hz;          // B [Hz]
  TaskParams task;
};

// Outputs; caller-owned buffers.
struct EvaluationBuffers {
  double* rate;       // (L,K) [bit/s]
  double* echo_sinr;  // (K,)
  double* latency;    // (K,) [s]
  double* power;      // (K,) [W]
  double* energy;     // (K,) [J]
};

// R_lk = B log2(1 + sinr_lk), eq. (3).  sinr (L,K) -> rate (L,K), computed with log1p.
void rates_from_sinr(const double* sinr, std::ptrdiff_t count, double bandwidth_hz, double* rate);

// Checks offloading decisions a, b (L,K): every entry 0 or 1 (18b) and at most one choice per
// terminal (18a).  Throws std::invalid_argument naming the parameter.
void check_decisions(const double* a, const double* b, const Dims& d);

// Throws std::invalid_argument naming `name` if any entry is NaN or infinite.
void check_finite(const cdouble* x, std::ptrdiff_t count, const char* name);

// Latency of each execution mode for beams w (K,N) (finite), from the uplink rates alone (no
// echo terms): eqs. (2)-(4), (3), then (10), (12), (15) -> t_local (K,), t_mec, t_cloud (L,K) [s].
// The offloading costs of Algorithm 1.
void beam_latencies(const NetworkView& net, const cdouble* w, double* t_local, double* t_mec,
                    double* t_cloud);

// Validates w, a, b, then fills `out`.
void evaluate(const NetworkView& net, const cdouble* w, const double* a, const double* b,
              const EvaluationBuffers& out);

}  // namespace pyiscc
