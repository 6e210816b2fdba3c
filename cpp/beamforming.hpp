// Algorithm 2 of the paper (Sec. III-B): distributed FP / WMMSE / SCA beamforming for fixed
// offloading decisions (DESIGN.md section 2, docs/algorithms.md).
#pragma once

#include <vector>

#include "common.hpp"
#include "qcqp.hpp"

namespace pyiscc {

// Read-only inputs; pointers into C-contiguous arrays of the shapes of DESIGN.md section 1.
struct BeamformingInput {
  Dims dims;
  const cdouble* H;             // (L,K,N,M)
  const cdouble* HI;            // (K,K,N,N)
  const cdouble* steering;      // (K,N)  a(theta_k)
  const double* echo_gain;      // (K,)   G_p zeta_k^2 N
  const double* task_bits;      // (K,)   Z_k [bit]
  const double* power_budget;   // (K,)   P-bar_k [W]: P_th, less eta (f^L)^3 for local terminals
  const std::int64_t* serving;  // (K,)   l(k) for offloading terminals, -1 for local ones
  const std::int64_t* group;    // (K,)   BS that updates w_k (l(k), or the nearest BS if local)
  double noise_power;           // sigma^2 [W]
  double sensing_sinr;          // Gamma_r (linear)
  double bandwidth_hz;          // B [Hz]
};

struct BeamformingSettings {
  int max_iter = 50;            // Algorithm 2 iterations
  double tol = 1e-4;            // stop when the relative decrease of (39) is below this
  int workers = 1;              // threads over the per-BS groups of sub-problems
  int feasibility_iter = 50;    // SCA iterations of the feasibility phase
  // The phase runs while the smallest normalised sensing margin is below this (0: it stops at
  // the first feasible point, the paper's phase; +inf: towards the max-min margin point).
  double feasibility_margin = 0.0;
  bool record_iterates = false; // keep every iterate (for Lemma 2 checks)
  // Interference caps: false = the paper's update (58), Upsilon = the interference caused now;
  // true = the slack rule (slack_caps in beamforming.cpp): each victim's echo-SINR slack is
  // shared among its interferers, so beams can grow where sensing allows it.
  bool slack_caps = false;
  double slack_share = 0.5;     // share of each victim's slack handed to its interferers
  // Slack rule only: a sub-problem whose optimum only the power budget binds is solved by the
  // trust-region equations instead of the interior-point method (the same optimum, exactly; the
  // interior-point solver runs whenever that point misses another constraint).  Never under the
  // paper's rule, which stays bit for bit.
  bool power_only_fast_path = true;
  // Slack rule only: each sub-problem carries only the caps in its working set (those a
  // solution once violated) and every solution is checked against all the others, so the step is
  // the all-caps step (the same optimum, to the solver's tolerance) at a fraction of the rows.
  bool working_set = true;
  // Slack rule only: the largest factor tau by which a step may divide the curvature of the
  // FP/WMMSE surrogate (its gradient at the current iterate kept), adapted step by step (the
  // scaled step, optimize_beamforming in beamforming.cpp); 1 = the surrogate itself, with the
  // extrapolation along the step.
  double curvature_max = 1.0;
  // Scaled step only: the first tau (0: kCurvatureStart in beamforming.cpp, the cold start's);
  // a warm start near a stationary point takes longer steps from the first iteration on.
  double curvature_start = 0.0;
  QcqpSettings qcqp;
};

// converged: the relative decrease of (39) fell below tol (or nothing offloads); max_iter: the
// iteration cap was reached; infeasible: the feasibility phase could not meet (18e).
enum class BeamformingStatus : int { converged = 0, max_iter = 1, infeasible = 2 };
const char* status_name(BeamformingStatus s);  // "converged", "max_iter", "infeasible"

struct BeamformingResult {
  CMatrixRM w;                       // (K,N) best feasible iterate
  double objective = 0.0;            // sum_{k offloads} Z_k / R_{l(k)k} at w [s]
  std::vector<double> history;       // objective of every iterate, start first
  int iterations = 0;                // Algorithm 2 iterations done
  int feasibility_iterations = 0;    // SCA iterations of the feasibility phase (0: start feasible)
  int subproblem_failures = 0;       // sub-problems not solved to optimality (w_k kept)
  long rejected_steps = 0;           // steps whose lower curvature did not lower (39), redone
  long power_only_solves = 0;        // sub-problems solved by the slack rule's power-only shortcut
  long working_set_solves = 0;       // interior-point solves of working-set sub-problems
  long working_set_rows = 0;         // caps they carried, summed over those solves
  long working_set_max_rows = 0;     // the most caps one of them carried
  long working_set_additions = 0;    // caps added to working sets (a solution violated them)
  BeamformingStatus status = BeamformingStatus::max_iter;
  std::vector<std::int64_t> failing; // infeasible: terminals whose (18e) could not be met
  std::vector<CMatrixRM> iterates;   // start and every iterate, when record_iterates
};

// Every entry point below checks `in` (dims >= 1, noise_power > 0, sensing_sinr >= 0,
// bandwidth_hz > 0, serving in [-1, L), group in [0, L), power_budget > 0) and its own
// arguments, and throws std::invalid_argument whose message starts with the parameter's name.

// Objective (39): sum over offloading terminals of Z_k / R_{l(k)k} [s].  w (K,N) finite.
double upload_latency(const BeamformingInput& in, const cdouble* w);

// The warm start's pull towards the MRS beams (start="w0", pyiscc.beamforming._given_start):
// per terminal the direction (1 - t) d0_k + t d1_k (d0_k = w0_k / ||w0_k||, the MRS direction
// where w0_k = 0; d1_k = mrs_k / sqrt(P-bar_k) phase-aligned to d0_k) scaled to the norm
// (1 - t) ||w0_k|| + t sqrt(P-bar_k), at the least t meeting (18e) on the grid 2^-7, ..., 2^-1,
// refined to 2^-halvings of the bracket it falls in (the bisection's answer where the margins
// grow with t).  The margins along the blend come in closed form (each blended beam is
// alpha d0 + beta d1 with real alpha, beta: O(K^2) per t after O(K^2 N^2) once); the beams taken
// are checked directly (a candidate that misses (18e) by a rounding gives way to the next).
// w0, mrs (K,N) within the budgets; mrs must meet (18e).  Writes the blend into w (K,N), mrs
// itself when no t < 1 meets (18e); returns t (1 for mrs).
double sensing_blend(const BeamformingInput& in, const cdouble* w0, const cdouble* mrs,
                     int halvings, cdouble* w);

// Per-terminal sub-problem (56) in real variables y = [Re w_k; Im w_k] / sqrt(P-bar_k), built
// from the previous iterate w (K,N) (the SCA point), the FP/WMMSE weights and the caps Upsilon
// = interference_matrix(w).  Constraint 0 is the power budget, then one cap per j != k with a
// nonzero HI[j,k], then the linearised sensing constraint (55).
QcqpProblem beamforming_subproblem(const BeamformingInput& in, const cdouble* w, std::ptrdiff_t k);

// The whole Algorithm 2 from w0 (K,N); w0 must be finite and satisfy the power budgets;
// settings: max_iter >= 0, tol >= 0, workers >= 1.  When w0 violates
// (18e) a feasibility phase (SCA on the smallest normalised sensing margin) runs first.
BeamformingResult optimize_beamforming(const BeamformingInput& in, const cdouble* w0,
                                       const BeamformingSettings& settings);

}  // namespace pyiscc
