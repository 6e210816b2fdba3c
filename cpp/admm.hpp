// Algorithm 1: distributed consensus ADMM for the offloading decisions with fixed beams
// (Sec. III-A, eqs. 19-38) and the binary recovery (DESIGN.md section 2).  The iterations are in
// cpp/admm.cpp, the recovery in cpp/offloading_recovery.cpp, the driver in cpp/offloading.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "common.hpp"

namespace pyiscc {

// Newton passes of the knapsack multiplier search before the breakpoint walk takes over.
constexpr int kNewtonPasses = 12;

// Local step (29) in canonical form: x = argmin 1/2 ||x - t||^2 subject to lo <= x <= hi and
// sum_{i < n_knapsack} x_i <= capacity (the entries from n_knapsack on only have the box).
// Exact: safeguarded Newton on the knapsack multiplier from `guess` (O(n) a pass, a few passes
// from a good guess), then if needed a walk down the breakpoints (O(n + j log n) for the j
// breakpoints above the answer).  `events` is scratch space.  Returns the multiplier mu >= 0
// (x_i = clip(t_i - mu, lo_i, hi_i) on the knapsack entries); +inf when sum lo > capacity
// (then x = lo there).  The answer does not depend on guess or newton_passes beyond rounding.
// Throws std::invalid_argument naming the parameter unless n_knapsack <= n, capacity is finite
// and >= 0, lo <= hi, guess is not NaN and newton_passes >= 0.
double box_knapsack_projection(std::ptrdiff_t n, std::ptrdiff_t n_knapsack, const double* t,
                               const double* lo, const double* hi, double capacity, double* x,
                               std::vector<std::pair<double, std::ptrdiff_t>>& events,
                               double guess = 0.0, int newton_passes = kNewtonPasses);

// The same on the unit box (lo = 0, hi = 1, every entry in the knapsack): the ADMM's free
// MEC entries; the search for mu starts from `guess` (any value; the answer does not depend on
// it beyond rounding).  Unchecked: the ADMM's inner loop.
double box_knapsack_unit(std::ptrdiff_t n, const double* t, double capacity, double* x,
                         std::vector<std::pair<double, std::ptrdiff_t>>& events, double guess);

// Global step (31)-(35): for every terminal k, the Euclidean projection of the free entries of
// (v_a[:,k], v_b[:,k]) onto {lower_k <= sum_l (a_lk + b_lk) <= 1}, the non-free entries held at
// their value in v (closed form: a shift of the free entries along the all-ones vector).
// v_a, v_b, a, b (L,K) row-major; free_a, free_b (L,K) 0/1; lower (K,) (-inf: no bound, NaN:
// std::invalid_argument).
void global_step(std::ptrdiff_t L, std::ptrdiff_t K, const double* v_a, const double* v_b,
                 const std::uint8_t* free_a, const std::uint8_t* free_b, const double* lower,
                 double* a, double* b);

// A replacement local step for one BS l (the OSQP cross-check): writes x (2K) = argmin
// 1/2 ||x - t||^2 s.t. lo <= x <= hi, sum_{i<K} x_i <= capacity, for t, lo, hi of length 2K
// (omega_l first, then varpi_l).
using LocalStepFn = std::function<void(std::ptrdiff_t l, std::ptrdiff_t K, const double* t,
                                       const double* lo, const double* hi, double capacity,
                                       double* x)>;

struct OffloadingInput {
  std::ptrdiff_t L, K;
  const double* t_local;     // (K,) T^L_k [s]
  const double* cost_mec;    // (L,K) T^E_lk - T^L_k [s]; inf: mode unavailable
  const double* cost_cloud;  // (L,K) T^C_lk - T^L_k [s]; inf: mode unavailable (cloud=False)
  const double* capacity;    // (L,) MEC capacity in tasks G_l / f^E
  const double* min_offload; // (K,) s_min,k of (18d); <= 0 or -inf: no bound
};

struct AdmmSettings {
  double rho = 1.0;       // initial penalty on the scaled problem
  int max_iter = 1000;    // per ADMM solve (the relaxation and every warm re-solve)
  double tol = 1e-6;      // absolute and relative tolerance of the residual test
  int workers = 1;        // threads for the per-BS local steps
  bool adapt_rho = true;  // residual balancing
  int adapt_every = 5;    // rebalance at most every this many iterations
  int adapt_until = 1000; // and only during the first this many iterations of a solve
  double alpha = 1.0;     // over-relaxation (1: the paper's plain ADMM)
  int recovery_iter = 10; // iteration cap of each warm re-solve of the recovery
};

// optimal: the relaxation converged; max_iter: it hit max_iter (the decisions are still
// feasible); infeasible: some must-offload terminal found no server.
enum class OffloadingStatus : int { optimal = 0, max_iter = 1, infeasible = 2 };
const char* status_name(OffloadingStatus s);  // "optimal", "max_iter", "infeasible"

// Per ADMM iteration of the relaxation: objective (20) of the global iterate [s], primal and
// dual residuals, the penalty rho.
struct AdmmHistory {
  std::vector<double> objective, primal, dual, rho;
};

struct OffloadingOutput {
  std::vector<std::int64_t> a, b;        // (L,K) binary decisions
  std::vector<double> relaxed_a, relaxed_b;  // (L,K) relaxation (19) at the global iterate
  double objective = 0.0;                // sum_k T_k of (a, b) [s]
  double relaxed_objective = 0.0;        // objective (20) of the relaxation [s]
  int iterations = 0;                    // ADMM iterations of the relaxation
  int recovery_iterations = 0;           // ADMM iterations of the warm re-solves
  AdmmHistory history;                   // of the relaxation
  OffloadingStatus status = OffloadingStatus::optimal;
  std::vector<std::int64_t> unplaced;    // must-offload terminals for which no server was found
};

// Algorithm 1 end to end: ADMM on the relaxation (19), then relaxation-and-inflation, repair and
// 1-exchange improvement.  local_step: nullptr for the exact C++ local step, else a replacement
// (then run serially whatever settings.workers says).  The pointers of `in` must hold L K, K, L
// entries as documented; throws std::invalid_argument naming the parameter on bad sizes, values
// or settings.
OffloadingOutput solve_offloading(const OffloadingInput& in, const AdmmSettings& settings,
                                  const LocalStepFn* local_step = nullptr);

}  // namespace pyiscc
