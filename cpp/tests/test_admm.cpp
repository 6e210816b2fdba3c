// Algorithm 1's kernels (cpp/admm.hpp, cpp/admm_state.hpp): the local step's knapsack
// projection, the global step, the stopping rule and residual balancing, the ADMM on a tiny
// instance, and the recovery functions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "admm_state.hpp"

namespace pyiscc {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
using Events = std::vector<std::pair<double, std::ptrdiff_t>>;

// S(mu) = sum_i clip(t_i - mu, lo_i, hi_i) over the knapsack entries.
double knapsack_sum(const std::vector<double>& t, const std::vector<double>& lo,
                    const std::vector<double>& hi, std::size_t n_knapsack, double mu) {
  double s = 0.0;
  for (std::size_t i = 0; i < n_knapsack; ++i) s += std::clamp(t[i] - mu, lo[i], hi[i]);
  return s;
}

// Reference multiplier: sort the breakpoints of S (piecewise linear, nonincreasing), find the
// piece on which S crosses the capacity and solve it.
double reference_multiplier(const std::vector<double>& t, const std::vector<double>& lo,
                            const std::vector<double>& hi, std::size_t n_knapsack, double cap) {
  if (knapsack_sum(t, lo, hi, n_knapsack, 0.0) <= cap) return 0.0;
  std::vector<double> bp{0.0};
  for (std::size_t i = 0; i < n_knapsack; ++i) {
    bp.push_back(std::max(0.0, t[i] - lo[i]));
    bp.push_back(std::max(0.0, t[i] - hi[i]));
  }
  std::sort(bp.begin(), bp.end());
  for (std::size_t j = 0; j + 1 < bp.size(); ++j) {
    const double s0 = knapsack_sum(t, lo, hi, n_knapsack, bp[j]);
    const double s1 = knapsack_sum(t, lo, hi, n_knapsack, bp[j + 1]);
    if (s0 >= cap && s1 <= cap) {
      if (s0 == s1) return bp[j];
      return bp[j] + (s0 - cap) / (s0 - s1) * (bp[j + 1] - bp[j]);  // S is linear between them
    }
  }
  return bp.back();
}

struct LocalStepInstance {
  std::vector<double> t, lo, hi;
  std::size_t n_knapsack;
  double capacity;
};

LocalStepInstance random_local_step(std::mt19937_64& rng, std::size_t n) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  LocalStepInstance p;
  p.n_knapsack = 1 + static_cast<std::size_t>(u(rng) * static_cast<double>(n - 1) + 0.5);
  p.n_knapsack = std::min(p.n_knapsack, n);
  double sum_lo = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    p.t.push_back(-1.0 + 3.0 * u(rng));
    const double lo = u(rng) < 0.7 ? 0.0 : 0.3 * u(rng);
    p.lo.push_back(lo);
    p.hi.push_back(u(rng) < 0.1 ? lo : lo + u(rng));  // some held entries (lo == hi)
    if (i < p.n_knapsack) sum_lo += lo;
  }
  p.capacity = sum_lo + 2.0 * u(rng);
  return p;
}

TEST(AdmmLocalStep, KnapsackMatchesSortedBreakpointsAndKkt) {
  std::mt19937_64 rng(20240601);
  Events events;
  for (int trial = 0; trial < 500; ++trial) {
    const std::size_t n = 1 + static_cast<std::size_t>(trial % 12);
    const LocalStepInstance p = random_local_step(rng, n);
    std::vector<double> x(n);
    const double mu = box_knapsack_projection(static_cast<std::ptrdiff_t>(n),
                                              static_cast<std::ptrdiff_t>(p.n_knapsack), p.t.data(),
                                              p.lo.data(), p.hi.data(), p.capacity, x.data(), events);
    const double want = reference_multiplier(p.t, p.lo, p.hi, p.n_knapsack, p.capacity);
    ASSERT_TRUE(std::isfinite(mu)) << "trial " << trial;
    // mu is unique only where S is strictly decreasing; x always is.
    EXPECT_NEAR(knapsack_sum(p.t, p.lo, p.hi, p.n_knapsack, mu),
                knapsack_sum(p.t, p.lo, p.hi, p.n_knapsack, want), 1e-12) << "trial " << trial;
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const double shift = i < p.n_knapsack ? mu : 0.0;  // stationarity x = clip(t - mu)
      EXPECT_NEAR(x[i], std::clamp(p.t[i] - shift, p.lo[i], p.hi[i]), 1e-12);
      EXPECT_GE(x[i], p.lo[i]);
      EXPECT_LE(x[i], p.hi[i]);
      if (i < p.n_knapsack) sum += x[i];
    }
    EXPECT_GE(mu, 0.0);                                      // dual feasibility
    EXPECT_LE(sum, p.capacity + 1e-12);                      // primal feasibility
    if (mu > 0.0) {       // complementary slackness
      EXPECT_NEAR(sum, p.capacity, 1e-12);
    }
  }
}

TEST(AdmmLocalStep, KnapsackIsTheProjectionOnTinyInstances) {
  // Brute force on a grid of the feasible set: no feasible point is closer to t.
  std::mt19937_64 rng(7);
  Events events;
  for (int trial = 0; trial < 30; ++trial) {
    const LocalStepInstance p = random_local_step(rng, 2);
    double x[2];
    box_knapsack_projection(2, static_cast<std::ptrdiff_t>(p.n_knapsack), p.t.data(), p.lo.data(),
                            p.hi.data(), p.capacity, x, events);
    auto dist = [&](double x0, double x1) {
      return (x0 - p.t[0]) * (x0 - p.t[0]) + (x1 - p.t[1]) * (x1 - p.t[1]);
    };
    const double best = dist(x[0], x[1]);
    const int steps = 400;
    for (int i = 0; i <= steps; ++i) {
      for (int j = 0; j <= steps; ++j) {
        const double y0 = p.lo[0] + (p.hi[0] - p.lo[0]) * i / steps;
        const double y1 = p.lo[1] + (p.hi[1] - p.lo[1]) * j / steps;
        const double load = y0 + (p.n_knapsack > 1 ? y1 : 0.0);
        if (load > p.capacity) continue;
        EXPECT_GE(dist(y0, y1), best - 1e-12) << "trial " << trial;
      }
    }
  }
}

TEST(AdmmLocalStep, UnitBoxVariantAgreesAndInfeasibleCapacityGivesLowerBounds) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-1.0, 2.0);
  Events events;
  for (int trial = 0; trial < 100; ++trial) {
    const std::size_t n = 1 + static_cast<std::size_t>(trial % 20);
    std::vector<double> t(n), lo(n, 0.0), hi(n, 1.0), x(n), y(n);
    for (auto& v : t) v = u(rng);
    const double cap = 0.5 * static_cast<double>(n) * (u(rng) + 1.0) / 3.0;
    const double mu = box_knapsack_projection(static_cast<std::ptrdiff_t>(n), static_cast<std::ptrdiff_t>(n),
                                              t.data(), lo.data(), hi.data(), cap, x.data(), events);
    const double mu_unit = box_knapsack_unit(static_cast<std::ptrdiff_t>(n), t.data(), cap, y.data(),
                                             events, /*guess=*/u(rng));
    EXPECT_NEAR(mu, mu_unit, 1e-12);
    for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(x[i], y[i], 1e-12);
  }
  const double t[2] = {2.0, 3.0}, lo[2] = {1.0, 1.0}, hi[2] = {1.0, 1.0};
  double x[2];
  EXPECT_EQ(box_knapsack_projection(2, 2, t, lo, hi, 1.0, x, events), kInf);
  EXPECT_EQ(x[0], 1.0);
  EXPECT_EQ(x[1], 1.0);
}

TEST(AdmmGlobalStep, ClosedFormAtKnownPoints) {
  // One BS, two terminals: k = 0 above the upper bound (shift down), k = 1 below its lower bound
  // (shift up); the held entry b[0,1] stays.
  const double v_a[2] = {0.8, 0.1}, v_b[2] = {0.6, 0.3};
  const std::uint8_t free_a[2] = {1, 1}, free_b[2] = {1, 0};
  const double lower[2] = {-kInf, 0.7};
  double a[2], b[2];
  global_step(1, 2, v_a, v_b, free_a, free_b, lower, a, b);
  EXPECT_NEAR(a[0], 0.6, 1e-15);
  EXPECT_NEAR(b[0], 0.4, 1e-15);
  EXPECT_NEAR(a[1], 0.4, 1e-15);  // 0.1 + (0.7 - 0.4)
  EXPECT_EQ(b[1], 0.3);
  // Inside the bounds: unchanged.
  const double w_a[1] = {0.2}, w_b[1] = {0.3}, no_bound[1] = {-kInf};
  global_step(1, 1, w_a, w_b, free_a, free_a, no_bound, a, b);
  EXPECT_EQ(a[0], 0.2);
  EXPECT_EQ(b[0], 0.3);
}

TEST(AdmmGlobalStep, ClosedFormBeatsBruteForce) {
  // Two BSs, one terminal, three free entries and one held: a grid over the free entries
  // restricted to {lower <= sum <= 1} finds no closer point.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-0.5, 1.0);
  for (int trial = 0; trial < 20; ++trial) {
    const double v_a[2] = {u(rng), u(rng)}, v_b[2] = {u(rng), u(rng)};
    const std::uint8_t free_a[2] = {1, 1}, free_b[2] = {1, 0};
    const double lower[1] = {trial % 2 ? 0.6 : -kInf};
    double a[2], b[2];
    global_step(2, 1, v_a, v_b, free_a, free_b, lower, a, b);
    EXPECT_EQ(b[1], v_b[1]);
    auto dist = [&](double x0, double x1, double x2) {
      return (x0 - v_a[0]) * (x0 - v_a[0]) + (x1 - v_a[1]) * (x1 - v_a[1]) + (x2 - v_b[0]) * (x2 - v_b[0]);
    };
    const double best = dist(a[0], a[1], b[0]);
    const double total = a[0] + a[1] + b[0] + b[1];
    EXPECT_LE(total, 1.0 + 1e-12);
    EXPECT_GE(total, lower[0] - 1e-12);
    const int steps = 60;
    for (int i = 0; i <= steps; ++i)
      for (int j = 0; j <= steps; ++j)
        for (int k = 0; k <= steps; ++k) {
          const double x0 = -1.0 + 2.5 * i / steps, x1 = -1.0 + 2.5 * j / steps, x2 = -1.0 + 2.5 * k / steps;
          const double s = x0 + x1 + x2 + v_b[1];
          if (s > 1.0 || s < lower[0]) continue;
          EXPECT_GE(dist(x0, x1, x2), best - 1e-12);
        }
  }
}

TEST(AdmmDualStep, StoppingRuleAndResidualBalancing) {
  EXPECT_TRUE(stopping_test(1e-7, 1e-7, 1e-6, 1e-6));
  EXPECT_TRUE(stopping_test(1e-6, 1e-6, 1e-6, 1e-6));  // the test is <=
  EXPECT_FALSE(stopping_test(2e-6, 1e-7, 1e-6, 1e-6));
  EXPECT_FALSE(stopping_test(1e-7, 2e-6, 1e-6, 1e-6));
  EXPECT_EQ(rho_factor(11.0, 1.0), 2.0);   // primal residual dominates: raise rho
  EXPECT_EQ(rho_factor(1.0, 11.0), 0.5);   // dual residual dominates: lower rho
  EXPECT_EQ(rho_factor(10.0, 1.0), 1.0);   // within the factor 10: keep
  EXPECT_EQ(rho_factor(1.0, 10.0), 1.0);
}

// One BS with room for one task, two terminals that gain by offloading (costs < 0), cloud for
// terminal 1 only: the relaxation's optimum puts terminal 0 (the larger gain) on the MEC and
// terminal 1 in the cloud.
struct TinyInstance {
  std::vector<double> t_local{1.0, 1.0}, cost_mec{-0.8, -0.5}, cost_cloud{kInf, -0.3},
      capacity{1.0}, min_offload{-kInf, -kInf};
  OffloadingInput input() const {
    return {1, 2, t_local.data(), cost_mec.data(), cost_cloud.data(), capacity.data(), min_offload.data()};
  }
};

TEST(AdmmIterations, TinyInstanceConvergesToTheRelaxedOptimum) {
  const TinyInstance p;
  const OffloadingInput in = p.input();
  const ModeTable table = ModeTable::of(in);
  AdmmSettings settings;
  settings.tol = 1e-9;
  Admm st(in, table, settings, nullptr);
  const AdmmRunOutcome outcome = st.run({settings.max_iter, true});
  EXPECT_TRUE(outcome.converged);
  EXPECT_LT(outcome.iterations, settings.max_iter);
  ASSERT_EQ(st.history.primal.size(), static_cast<std::size_t>(outcome.iterations));
  EXPECT_NEAR(st.a[0], 1.0, 1e-6);
  EXPECT_NEAR(st.a[1], 0.0, 1e-6);
  EXPECT_NEAR(st.b[1], 1.0, 1e-6);
  EXPECT_NEAR(st.history.objective.back(), 2.0 - 0.8 - 0.3, 1e-6);
  // The dual step keeps phi = v - z: at the fixed point the residuals vanish.
  EXPECT_LT(st.history.primal.back(), 1e-8);
  EXPECT_LT(st.history.dual.back(), 1e-8);
  // A second run from the converged state stops at once.
  const AdmmRunOutcome again = st.run({settings.max_iter, false});
  EXPECT_TRUE(again.converged);
  EXPECT_LE(again.iterations, 2);
}

TEST(AdmmIterations, SolveOffloadingIsBitIdenticalForOneToFourWorkers) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const std::ptrdiff_t L = 5, K = 40;
  std::vector<double> t_local(K), cost_mec(L * K), cost_cloud(L * K), capacity(L), min_offload(K);
  for (auto& v : t_local) v = 0.5 + u(rng);
  for (auto& v : cost_mec) v = u(rng) < 0.1 ? kInf : -1.0 + 1.5 * u(rng);
  for (auto& v : cost_cloud) v = -0.5 + u(rng);
  for (auto& v : capacity) v = 1.0 + 4.0 * u(rng);
  for (auto& v : min_offload) v = u(rng) < 0.2 ? 0.5 : -kInf;
  const OffloadingInput in{L, K, t_local.data(), cost_mec.data(), cost_cloud.data(), capacity.data(),
                           min_offload.data()};
  AdmmSettings settings;
  const OffloadingOutput serial = solve_offloading(in, settings);
  for (int workers = 2; workers <= 4; ++workers) {
    settings.workers = workers;
    const OffloadingOutput threaded = solve_offloading(in, settings);
    EXPECT_EQ(serial.a, threaded.a);
    EXPECT_EQ(serial.b, threaded.b);
    EXPECT_EQ(0, std::memcmp(serial.relaxed_a.data(), threaded.relaxed_a.data(),
                             serial.relaxed_a.size() * sizeof(double)));
    EXPECT_EQ(serial.objective, threaded.objective);
    EXPECT_EQ(serial.iterations, threaded.iterations);
    EXPECT_EQ(serial.recovery_iterations, threaded.recovery_iterations);
  }
}

// ---- the recovery --------------------------------------------------------------------

// A hand-made mode table: L BSs, K terminals, every MEC and cloud mode available.
ModeTable table_of(std::ptrdiff_t L, std::ptrdiff_t K, std::vector<double> mec, std::vector<double> cloud,
                   std::vector<double> slots, std::vector<char> must) {
  ModeTable t;
  t.L = L;
  t.K = K;
  t.cost_mec = std::move(mec);
  t.cost_cloud = std::move(cloud);
  t.has_mec.assign(static_cast<std::size_t>(L * K), 1);
  t.has_cloud.assign(static_cast<std::size_t>(L * K), 1);
  t.slots = std::move(slots);
  t.must = std::move(must);
  t.t_local_sum = static_cast<double>(K);
  return t;
}

// Feasible: every terminal on an available mode, no MEC server over its slots, `used` in step.
void expect_feasible(const ModeTable& t, const Assignment& as) {
  std::vector<double> used(static_cast<std::size_t>(t.L), 0.0);
  for (std::ptrdiff_t k = 0; k < t.K; ++k) {
    const int m = as.mode[static_cast<std::size_t>(k)];
    ASSERT_GE(m, kLocal);
    ASSERT_LT(m, t.n_modes());
    EXPECT_TRUE(t.available(k, m)) << "terminal " << k << " mode " << m;
    if (t.is_mec(m)) used[static_cast<std::size_t>(m)] += 1.0;
  }
  for (std::ptrdiff_t l = 0; l < t.L; ++l) {
    EXPECT_LE(used[l], t.slots[l]);
    EXPECT_EQ(used[l], as.used[l]);
  }
}

TEST(AdmmRecovery, RepairEvictsToPlaceAMustOffloadTerminal) {
  // One MEC slot held by terminal 0; terminal 1 must offload but its cloud mode is unavailable:
  // terminal 0 moves to the cloud, terminal 1 takes the slot.
  ModeTable t = table_of(1, 2, {-0.5, -0.2}, {-0.4, 0.0}, {1.0}, {0, 1});
  t.has_cloud[1] = 0;
  Assignment as(t);
  as.move(t, 0, 0);
  as.move(t, 1, kLocal);  // unplaced: held local by the inflation
  const std::vector<std::int64_t> still = repair(t, as, {1});
  EXPECT_TRUE(still.empty());
  EXPECT_EQ(as.mode[0], 1);  // cloud via BS 0
  EXPECT_EQ(as.mode[1], 0);  // MEC at BS 0
  expect_feasible(t, as);
}

TEST(AdmmRecovery, RepairReportsATerminalWithNoServer) {
  ModeTable t = table_of(1, 1, {-0.5}, {-0.4}, {0.0}, {1});
  t.has_cloud[0] = 0;
  Assignment as(t);
  as.move(t, 0, kLocal);
  const std::vector<std::int64_t> still = repair(t, as, {0});
  ASSERT_EQ(still.size(), 1u);
  EXPECT_EQ(still[0], 0);
}

TEST(AdmmRecovery, ImproveNeverRaisesTheObjectiveAndStaysFeasible) {
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 200; ++trial) {
    const std::ptrdiff_t L = 1 + trial % 4, K = 2 + trial % 9;
    std::vector<double> mec(L * K), cloud(L * K), slots(L);
    for (auto& v : mec) v = -1.0 + 1.5 * u(rng);
    for (auto& v : cloud) v = -0.6 + 1.2 * u(rng);
    for (auto& v : slots) v = std::floor(3.0 * u(rng));
    std::vector<char> must(static_cast<std::size_t>(K));
    for (auto& v : must) v = u(rng) < 0.3;
    ModeTable t = table_of(L, K, mec, cloud, slots, must);
    for (auto& v : t.has_mec) v = u(rng) < 0.8;
    // A random feasible start: every terminal on a random mode that fits (cloud always does).
    Assignment as(t);
    for (std::ptrdiff_t k = 0; k < K; ++k) {
      int m;
      do m = static_cast<int>(u(rng) * static_cast<double>(t.n_modes() + 1)) - 1;
      while (m >= t.n_modes() || !as.fits(t, k, m));
      as.move(t, k, m);
    }
    expect_feasible(t, as);
    const double before = as.objective(t);
    improve(t, as, {}, 1e-12);
    EXPECT_LE(as.objective(t), before) << "trial " << trial;
    expect_feasible(t, as);
    // A local optimum: no single move that fits improves.
    for (std::ptrdiff_t k = 0; k < K; ++k)
      for (int m = -1; m < t.n_modes(); ++m)
        if (m != as.mode[k] && as.fits(t, k, m)) {
          EXPECT_GE(t.cost(k, m) - t.cost(k, as.mode[k]), -1e-12) << "trial " << trial;
        }
  }
}

TEST(AdmmRecovery, SolveOffloadingReturnsFeasibleDecisions) {
  std::mt19937_64 rng(23);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 30; ++trial) {
    const std::ptrdiff_t L = 1 + trial % 4, K = 3 + trial % 15;
    std::vector<double> t_local(K), cost_mec(L * K), cost_cloud(L * K), capacity(L), min_offload(K);
    for (auto& v : t_local) v = 0.5 + u(rng);
    for (auto& v : cost_mec) v = u(rng) < 0.1 ? kInf : -1.0 + 1.5 * u(rng);
    for (auto& v : cost_cloud) v = trial % 3 == 0 ? kInf : -0.5 + u(rng);
    for (auto& v : capacity) v = 3.0 * u(rng);
    for (auto& v : min_offload) v = u(rng) < 0.3 ? 0.5 : -kInf;
    const OffloadingInput in{L, K, t_local.data(), cost_mec.data(), cost_cloud.data(),
                             capacity.data(), min_offload.data()};
    const OffloadingOutput out = solve_offloading(in, AdmmSettings{});
    const ModeTable table = ModeTable::of(in);
    std::vector<char> unplaced(static_cast<std::size_t>(K), 0);
    for (auto k : out.unplaced) unplaced[static_cast<std::size_t>(k)] = 1;
    EXPECT_EQ(out.status == OffloadingStatus::infeasible, !out.unplaced.empty());
    double objective = table.t_local_sum;
    for (std::ptrdiff_t k = 0; k < K; ++k) {
      std::int64_t choices = 0;
      for (std::ptrdiff_t l = 0; l < L; ++l) {
        const std::size_t i = static_cast<std::size_t>(l * K + k);
        choices += out.a[i] + out.b[i];
        if (out.a[i]) {
          EXPECT_TRUE(std::isfinite(cost_mec[i]));
        }
        if (out.b[i]) {
          EXPECT_TRUE(std::isfinite(cost_cloud[i]));
        }
        objective += out.a[i] * table.cost_mec[i] + out.b[i] * table.cost_cloud[i];
      }
      EXPECT_LE(choices, 1);                                                // (18a)
      if (min_offload[k] > 0.0 && !unplaced[k]) {  // (18d)
        EXPECT_EQ(choices, 1) << "k=" << k;
      }
    }
    for (std::ptrdiff_t l = 0; l < L; ++l) {
      std::int64_t load = 0;
      for (std::ptrdiff_t k = 0; k < K; ++k) load += out.a[static_cast<std::size_t>(l * K + k)];
      EXPECT_LE(static_cast<double>(load), capacity[l] + 1e-9);            // (18c)
    }
    EXPECT_NEAR(out.objective, objective, 1e-12);
  }
}

}  // namespace
}  // namespace pyiscc
