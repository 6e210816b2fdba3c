// Algorithm 1's internals, shared by cpp/admm.cpp (the iterations), cpp/offloading_recovery.cpp
// (the binary recovery), cpp/offloading.cpp (the driver) and the C++ unit tests; not part of the
// bindings' API (that is admm.hpp).
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "admm.hpp"
#include "thread_pool.hpp"

namespace pyiscc {

// Mode m of terminal k: kLocal (-1) local execution, l in [0, L) MEC at BS l, L + l cloud via BS l;
// kUndecided (-2) before the recovery fixes it.
constexpr int kUndecided = -2;
constexpr int kLocal = -1;

// Per-terminal costs and feasible modes of the binary problem, in original units [s].
struct ModeTable {
  std::ptrdiff_t L = 0, K = 0;
  std::vector<double> cost_mec, cost_cloud;  // (L,K) T^E - T^L, T^C - T^L; 0 where unavailable
  std::vector<char> has_mec, has_cloud;      // (L,K) the mode exists (finite input cost)
  std::vector<char> must;                    // (K,) s_min,k > 0: the task must be offloaded
  std::vector<double> slots;                 // (L,) floor(G_l / f^E): tasks a MEC server takes
  double t_local_sum = 0.0;                  // sum_k T^L_k [s]
  double scale = 1.0;                        // largest finite |cost|: the ADMM's unit of cost

  // The table of a validated input.
  static ModeTable of(const OffloadingInput& in);

  int n_modes() const { return static_cast<int>(2 * L); }
  bool is_mec(int m) const { return m >= 0 && m < L; }
  double cost(std::ptrdiff_t k, int m) const {
    if (m < 0) return 0.0;
    if (m < L) return cost_mec[static_cast<std::size_t>(m * K + k)];
    return cost_cloud[static_cast<std::size_t>((m - L) * K + k)];
  }
  bool available(std::ptrdiff_t k, int m) const {
    if (m < 0) return !must[static_cast<std::size_t>(k)];
    if (m < L) return has_mec[static_cast<std::size_t>(m * K + k)] != 0;
    return has_cloud[static_cast<std::size_t>((m - L) * K + k)] != 0;
  }
};

// A (partial) binary decision: one mode per terminal and the MEC slots it uses.
struct Assignment {
  std::vector<int> mode;     // (K,) kUndecided until fixed
  std::vector<double> used;  // (L,) tasks placed on each MEC server

  explicit Assignment(const ModeTable& t)
      : mode(static_cast<std::size_t>(t.K), kUndecided), used(static_cast<std::size_t>(t.L), 0.0) {}
  // Whether mode m has a free slot (always, for local and cloud modes).
  bool has_room(const ModeTable& t, int m) const {
    return !t.is_mec(m) || used[static_cast<std::size_t>(m)] + 1.0 <= t.slots[static_cast<std::size_t>(m)];
  }
  bool fits(const ModeTable& t, std::ptrdiff_t k, int m) const { return t.available(k, m) && has_room(t, m); }
  // Moves terminal k to mode m, keeping `used` in step.
  void move(const ModeTable& t, std::ptrdiff_t k, int m) {
    int& cur = mode[static_cast<std::size_t>(k)];
    if (t.is_mec(cur)) used[static_cast<std::size_t>(cur)] -= 1.0;
    if (t.is_mec(m)) used[static_cast<std::size_t>(m)] += 1.0;
    cur = m;
  }
  // Sum of the costs of the chosen modes plus sum_k T^L_k: the objective (20) [s].
  double objective(const ModeTable& t) const;
};

// Stopping rule (Boyd et al. 2011, eq. 3.12): primal residual r and dual residual s both within
// their tolerances.
inline bool stopping_test(double r, double s, double eps_pri, double eps_dual) {
  return r <= eps_pri && s <= eps_dual;
}

// Residual balancing (Boyd et al. 2011, sec. 3.4.1): the factor rho is multiplied by (the scaled
// duals are divided by it): 2 when r > 10 s, 1/2 when s > 10 r, else 1.
inline double rho_factor(double r, double s) {
  constexpr double kBalance = 10.0, kRhoStep = 2.0;
  if (r > kBalance * s) return kRhoStep;
  if (s > kBalance * r) return 1.0 / kRhoStep;
  return 1.0;
}

// One ADMM solve from the current state.
struct AdmmRun {
  int max_iter = 1000;
  bool record_history = false;  // append to Admm::history (the relaxation's trace)
};

struct AdmmRunOutcome {
  int iterations = 0;
  bool converged = false;  // the residual test passed
};

// The ADMM state on the cost-scaled problem.  The (L,K) arrays (row-major) hold every entry;
// the iterations run on a compact copy of the free entries only (lo < hi: available, not
// dominated, terminal not yet fixed by the recovery), BS by BS (BS l owns the range
// [start[l], start[l+1]): its MEC entries, then its cloud entries), since the held entries are
// constants of both steps.  Threads write only their own BS's range.
class Admm {
 public:
  // The relaxation (19) of a validated input: scaled costs, boxes with the unavailable and the
  // dominated modes held at 0, the bound (18d).  local_step: nullptr for the exact local step,
  // else a replacement (then serial); it must outlive the object.
  Admm(const OffloadingInput& in, const ModeTable& table, const AdmmSettings& settings,
       const LocalStepFn* local_step);

  // ADMM iterations (29)-(38) from the current state.
  AdmmRunOutcome run(const AdmmRun& opts);
  // Holds terminal k at mode m (the recovery's fixing): its entries become constants.
  void hold(std::ptrdiff_t k, int m);

  std::ptrdiff_t L, K;
  std::vector<double> lo_a, hi_a, lo_b, hi_b;  // (L,K) boxes; lo == hi: held
  std::vector<double> capacity, lower;         // (L,) MEC capacity, (K,) bound of (18d)
  std::vector<double> a, b, phi_a, phi_b;      // global iterate and scaled duals (L,K)
  double rho;
  AdmmHistory history;                         // per iteration of the recorded runs

 private:
  std::size_t compact();
  void scatter();
  void local_step(std::ptrdiff_t l);

  const ModeTable& table_;
  AdmmSettings settings_;
  const LocalStepFn* custom_;
  ThreadPool pool_;
  std::vector<double> cost_a_, cost_b_;       // scaled costs, 0 where unavailable
  // compact free entries (see above)
  std::vector<std::ptrdiff_t> start_, n_mec_;  // (L+1,), (L,)
  std::vector<std::ptrdiff_t> index_;          // position in the (L,K) arrays; + L K: cloud
  std::vector<std::int32_t> term_;             // terminal of the entry
  std::vector<double> c_, x_, z_, phi_;        // scaled cost, local copy, global copy, dual
  std::vector<double> cap_free_;               // (L,) capacity left for the free MEC entries
  std::vector<double> mu_prev_;                // (L,) last positive knapsack multiplier
  std::vector<double> total_, shift_;          // (K,) global-step scratch
  std::vector<std::int32_t> n_free_k_;         // (K,)
  std::vector<std::vector<std::pair<double, std::ptrdiff_t>>> events_;  // per-BS scratch
  std::vector<std::vector<double>> t_buf_, lo_buf_, hi_buf_, x_buf_;    // per-BS scratch
};

// ---- the binary recovery (cpp/offloading_recovery.cpp; docs/algorithms.md) ----------------

// Relaxation and inflation: fixes terminals to their largest relaxed choice that fits (a batch
// per round), re-solving the rest warm (recovery_iter iterations) on the tightened problem, until
// every terminal is fixed.  Returns the must-offload terminals no server had room for (held
// local); adds the re-solves' iterations to recovery_iterations.
std::vector<std::int64_t> inflate(Admm& st, const ModeTable& t, const AdmmSettings& settings,
                                  Assignment& as, int& recovery_iterations);

// Feasibility repair: places each unplaced terminal on a free mode, else on a MEC slot whose
// holder moves to its cheapest other mode.  Returns those still unplaced.
std::vector<std::int64_t> repair(const ModeTable& t, Assignment& as,
                                 const std::vector<std::int64_t>& unplaced);

// 1-exchange improvement: best single moves, then ejections (j takes i's MEC slot, i its best
// other mode), while a move lowers the objective by more than `threshold` [s].  Terminals in
// `stuck` are not moved.  Never raises the objective; keeps every fixed terminal feasible.
void improve(const ModeTable& t, Assignment& as, const std::vector<std::int64_t>& stuck,
             double threshold);

}  // namespace pyiscc
