// Algorithm 1's binary recovery (admm_state.hpp; docs/algorithms.md): relaxation and inflation
// on the tightened binary problem, feasibility repair, 1-exchange improvement.
#include <algorithm>
#include <cmath>
#include <limits>

#include "admm_state.hpp"

namespace pyiscc {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// A relaxed choice this close to 1 is already integral (the ADMM stops at tol ~ 1e-6).
constexpr double kIntegralGap = 1e-3;
constexpr int kMaxImprovementPasses = 1000;
// Inflation fixes 1/kInflationShare of the undecided terminals per round (at least one).
constexpr std::ptrdiff_t kInflationShare = 8;

inline double clamp(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

struct Candidate {
  double value;  // relaxed value of the mode (1 - sum for local execution)
  std::ptrdiff_t k;
  int m;
};

// Visiting order of the candidates: by decreasing value, ties by lower terminal, then lower mode
// (the "less" of a max-heap).
bool after(const Candidate& x, const Candidate& y) {
  if (x.value != y.value) return x.value < y.value;
  if (x.k != y.k) return x.k > y.k;
  return x.m > y.m;
}

// Fixes terminal k to mode m in both the assignment and the ADMM state.
void fix(Admm& st, const ModeTable& t, Assignment& as, std::ptrdiff_t k, int m) {
  as.move(t, k, m);
  st.hold(k, m);
}

// The candidates (k, m) of every undecided terminal at the relaxed iterate of st; a terminal
// with no mode that fits (must offload, no room anywhere) is held local and added to
// `unplaced`.  Returns the number of undecided terminals left.
std::ptrdiff_t collect_candidates(Admm& st, const ModeTable& t, Assignment& as,
                                  std::vector<Candidate>& cands, std::vector<std::int64_t>& unplaced) {
  const std::ptrdiff_t L = t.L, K = t.K;
  cands.clear();
  std::ptrdiff_t undecided = 0;
  for (std::ptrdiff_t k = 0; k < K; ++k) {
    if (as.mode[k] != kUndecided) continue;
    double sum = 0.0;
    for (std::ptrdiff_t l = 0; l < L; ++l) sum += st.a[l * K + k] + st.b[l * K + k];
    bool any = false;
    for (int m = -1; m < t.n_modes(); ++m) {
      if (!as.fits(t, k, m)) continue;
      any = true;
      const double v = m < 0 ? 1.0 - sum : (m < L ? st.a[m * K + k] : st.b[(m - L) * K + k]);
      cands.push_back({clamp(v, 0.0, 1.0), k, m});
    }
    if (!any) {  // must offload, but no server has room: repaired later
      fix(st, t, as, k, kLocal);
      unplaced.push_back(k);
    } else {
      ++undecided;
    }
  }
  return undecided;
}

// One inflation round: fixes the largest candidates that still fit.  Returns how many.
std::ptrdiff_t fix_largest(Admm& st, const ModeTable& t, Assignment& as,
                           std::vector<Candidate>& cands, std::ptrdiff_t undecided) {
  // A heap, since a round usually stops after a small share of the candidates.
  std::make_heap(cands.begin(), cands.end(), after);
  const bool integral = cands.front().value >= 1.0 - kIntegralGap;
  // Inflation fixes the largest relaxed choice; on large instances a few of the largest per
  // round (1/kInflationShare of the undecided terminals) keep the number of re-solves
  // logarithmic.  Below kInflationShare terminals it is one at a time, as in ref. [35].
  const std::ptrdiff_t batch = std::max<std::ptrdiff_t>(1, undecided / kInflationShare);
  std::ptrdiff_t fixed = 0;
  for (auto end = cands.end(); end != cands.begin(); --end) {
    std::pop_heap(cands.begin(), end, after);
    const Candidate c = *(end - 1);
    if (as.mode[c.k] != kUndecided) continue;
    if (integral && c.value < 1.0 - kIntegralGap) break;
    if (!as.fits(t, c.k, c.m)) continue;
    fix(st, t, as, c.k, c.m);
    ++fixed;
    if (!integral && fixed >= batch) break;
  }
  return fixed;
}

}  // namespace

double Assignment::objective(const ModeTable& t) const {
  double total = t.t_local_sum;
  for (std::ptrdiff_t k = 0; k < t.K; ++k) total += t.cost(k, mode[static_cast<std::size_t>(k)]);
  return total;
}

std::vector<std::int64_t> inflate(Admm& st, const ModeTable& t, const AdmmSettings& settings,
                                  Assignment& as, int& recovery_iterations) {
  const std::ptrdiff_t L = t.L, K = t.K;
  std::vector<std::int64_t> unplaced;
  std::vector<Candidate> cands;
  bool tightened = false;
  for (;;) {
    const std::ptrdiff_t undecided = collect_candidates(st, t, as, cands, unplaced);
    if (undecided == 0) break;
    if (fix_largest(st, t, as, cands, undecided) == undecided) break;
    // The binary problem's valid tightening: integer MEC capacities, s_min > 0 means offload.
    if (!tightened) {
      for (std::ptrdiff_t l = 0; l < L; ++l) st.capacity[l] = t.slots[l];
      for (std::ptrdiff_t k = 0; k < K; ++k)
        if (as.mode[k] == kUndecided && t.must[k]) st.lower[k] = 1.0;
      tightened = true;
    }
    // Terminals that must offload but have no room left are caught by the next round; do not
    // let their bound make the re-solve infeasible.
    for (std::ptrdiff_t k = 0; k < K; ++k) {
      if (as.mode[k] != kUndecided || !t.must[k]) continue;
      bool any = false;
      for (int m = 0; m < t.n_modes() && !any; ++m) any = as.fits(t, k, m);
      if (!any) st.lower[k] = -kInf;
    }
    recovery_iterations += st.run({std::min(settings.max_iter, settings.recovery_iter), false}).iterations;
  }
  return unplaced;
}

std::vector<std::int64_t> repair(const ModeTable& t, Assignment& as,
                                 const std::vector<std::int64_t>& unplaced) {
  const std::ptrdiff_t L = t.L, K = t.K;
  std::vector<std::int64_t> still_unplaced;
  for (std::int64_t k64 : unplaced) {
    const std::ptrdiff_t k = static_cast<std::ptrdiff_t>(k64);
    double best = kInf;
    std::ptrdiff_t best_j = -1;
    int best_l = -1, best_alt = 0;
    for (int m = 0; m < t.n_modes(); ++m) {  // room may have appeared meanwhile
      if (as.fits(t, k, m) && t.cost(k, m) < best) {
        best = t.cost(k, m);
        best_l = m;
        best_j = -1;
      }
    }
    const bool direct = best_l >= 0;
    // Else evict: j leaves MEC l for alt (one with room), k takes its slot.
    for (int l = 0; l < L && !direct; ++l) {
      if (!t.available(k, l)) continue;
      for (std::ptrdiff_t j = 0; j < K; ++j) {
        if (as.mode[j] != l) continue;
        for (int alt = -1; alt < t.n_modes(); ++alt) {
          if (alt == l || !as.fits(t, j, alt)) continue;
          const double delta = t.cost(k, l) + t.cost(j, alt) - t.cost(j, l);
          if (delta < best) {
            best = delta;
            best_j = j;
            best_l = l;
            best_alt = alt;
          }
        }
      }
    }
    if (best_l < 0) {
      still_unplaced.push_back(k64);
      continue;
    }
    if (best_j >= 0) as.move(t, best_j, best_alt);
    as.move(t, k, best_l);
  }
  return still_unplaced;
}

void improve(const ModeTable& t, Assignment& as, const std::vector<std::int64_t>& stuck_terminals,
             double threshold) {
  const std::ptrdiff_t L = t.L, K = t.K;
  std::vector<char> stuck(static_cast<std::size_t>(K), 0);
  for (std::int64_t k : stuck_terminals) stuck[static_cast<std::size_t>(k)] = 1;
  for (int pass = 0; pass < kMaxImprovementPasses; ++pass) {
    bool improved = false;
    // Best single move per terminal.
    for (std::ptrdiff_t k = 0; k < K; ++k) {
      if (stuck[k]) continue;
      const int cur = as.mode[k];
      double best = -threshold;
      int best_m = cur;
      for (int m = -1; m < t.n_modes(); ++m) {
        if (m == cur || !as.fits(t, k, m)) continue;
        const double delta = t.cost(k, m) - t.cost(k, cur);
        if (delta < best) {
          best = delta;
          best_m = m;
        }
      }
      if (best_m != cur) {
        as.move(t, k, best_m);
        improved = true;
      }
    }
    // Ejection: j takes i's MEC slot l, i moves to its best other mode (j's old MEC slot
    // included).  Covers plain swaps and the MEC -> cloud / cloud -> MEC chains.
    for (int l = 0; l < L; ++l) {
      for (std::ptrdiff_t i = 0; i < K; ++i) {
        if (as.mode[i] != l || stuck[i]) continue;
        // i's best other mode with room (first index among equal costs), then for each j the
        // MEC slot j frees, if i could not use it before: O(L + K) per i instead of O(L K).
        double room_cost = kInf;
        int room_mode = l;
        for (int m = -1; m < t.n_modes(); ++m) {
          if (m == l || !as.fits(t, i, m)) continue;
          if (t.cost(i, m) < room_cost) {
            room_cost = t.cost(i, m);
            room_mode = m;
          }
        }
        for (std::ptrdiff_t j = 0; j < K; ++j) {
          const int mj = as.mode[j];
          if (mj == l || stuck[j] || !t.available(j, l)) continue;
          double best_alt_cost = room_cost;
          int best_alt = room_mode;
          if (t.is_mec(mj) && !as.has_room(t, mj) && t.available(i, mj)) {
            const double c_mj = t.cost(i, mj);
            if (c_mj < best_alt_cost || (c_mj == best_alt_cost && mj < best_alt)) {
              best_alt_cost = c_mj;
              best_alt = mj;
            }
          }
          if (best_alt == l) continue;
          const double delta = t.cost(j, l) - t.cost(j, mj) + best_alt_cost - t.cost(i, l);
          if (delta < -threshold) {
            as.move(t, j, l);
            as.move(t, i, best_alt);
            improved = true;
            break;  // i left l
          }
        }
      }
    }
    if (!improved) break;
  }
}

}  // namespace pyiscc
