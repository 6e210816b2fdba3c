// Algorithm 1 end to end (admm.hpp): checks the input, builds the mode table and the ADMM state,
// solves the relaxation (19), then runs the binary recovery (offloading_recovery.cpp).
#include <algorithm>
#include <cmath>
#include <limits>

#include "admm_state.hpp"

namespace pyiscc {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

void check_input(const OffloadingInput& in, const AdmmSettings& settings) {
  const std::ptrdiff_t L = in.L, K = in.K;
  require(L >= 1 && K >= 1, "network: need at least one BS and one terminal");
  require(settings.rho > 0.0 && std::isfinite(settings.rho), "rho: must be a positive finite number");
  require(settings.max_iter >= 1, "max_iter: must be >= 1");
  require(settings.tol > 0.0 && std::isfinite(settings.tol), "tol: must be a positive finite number");
  require(settings.workers >= 1, "workers: must be >= 1");
  require(settings.adapt_every >= 1, "adapt_every: must be >= 1");
  require(settings.adapt_until >= 0, "adapt_until: must be >= 0");
  require(settings.alpha > 0.0 && settings.alpha < 2.0, "alpha: must be in (0, 2)");
  require(settings.recovery_iter >= 0, "recovery_iter: must be >= 0");
  const std::size_t n = static_cast<std::size_t>(L * K);
  for (std::ptrdiff_t l = 0; l < L; ++l)
    require(in.capacity[l] >= 0.0 && std::isfinite(in.capacity[l]), "capacity: must be finite and >= 0");
  for (std::ptrdiff_t k = 0; k < K; ++k) {
    require(std::isfinite(in.t_local[k]), "t_local: must be finite");
    require(!std::isnan(in.min_offload[k]) && in.min_offload[k] <= 1.0,
            "min_offload: must be <= 1 and not NaN");
  }
  for (std::size_t i = 0; i < n; ++i)
    require(!std::isnan(in.cost_mec[i]) && !std::isnan(in.cost_cloud[i]) &&
                in.cost_mec[i] > -kInf && in.cost_cloud[i] > -kInf,
            "cost: must not be NaN or -inf");
}

}  // namespace

ModeTable ModeTable::of(const OffloadingInput& in) {
  ModeTable t;
  t.L = in.L;
  t.K = in.K;
  const std::size_t n = static_cast<std::size_t>(in.L * in.K);
  // Cost scaling: one scalar for all costs (a per-terminal scale would change the problem).
  double scale = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isfinite(in.cost_mec[i])) scale = std::max(scale, std::abs(in.cost_mec[i]));
    if (std::isfinite(in.cost_cloud[i])) scale = std::max(scale, std::abs(in.cost_cloud[i]));
  }
  t.scale = scale == 0.0 ? 1.0 : scale;
  for (std::ptrdiff_t k = 0; k < in.K; ++k) t.t_local_sum += in.t_local[k];
  t.cost_mec.resize(n);
  t.cost_cloud.resize(n);
  t.has_mec.resize(n);
  t.has_cloud.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    t.has_mec[i] = std::isfinite(in.cost_mec[i]);
    t.has_cloud[i] = std::isfinite(in.cost_cloud[i]);
    t.cost_mec[i] = t.has_mec[i] ? in.cost_mec[i] : 0.0;
    t.cost_cloud[i] = t.has_cloud[i] ? in.cost_cloud[i] : 0.0;
  }
  // Valid for binary decisions: at most floor(G_l / f^E) tasks per MEC server, and s_min > 0
  // means "offload" (sum = 1).
  t.slots.resize(static_cast<std::size_t>(in.L));
  for (std::ptrdiff_t l = 0; l < in.L; ++l) t.slots[l] = std::floor(in.capacity[l] + 1e-9);
  t.must.resize(static_cast<std::size_t>(in.K));
  for (std::ptrdiff_t k = 0; k < in.K; ++k) t.must[k] = in.min_offload[k] > 0.0;
  return t;
}

OffloadingOutput solve_offloading(const OffloadingInput& in, const AdmmSettings& settings,
                                  const LocalStepFn* local_step) {
  check_input(in, settings);
  const ModeTable table = ModeTable::of(in);
  Admm st(in, table, settings, local_step);
  OffloadingOutput out;

  const AdmmRunOutcome relaxation = st.run({settings.max_iter, /*record_history=*/true});
  out.iterations = relaxation.iterations;
  out.history = std::move(st.history);
  out.relaxed_a = st.a;
  out.relaxed_b = st.b;
  out.relaxed_objective = table.t_local_sum;
  const std::size_t n = static_cast<std::size_t>(in.L * in.K);
  for (std::size_t i = 0; i < n; ++i)
    out.relaxed_objective += table.cost_mec[i] * st.a[i] + table.cost_cloud[i] * st.b[i];

  Assignment as(table);
  const std::vector<std::int64_t> unplaced = inflate(st, table, settings, as, out.recovery_iterations);
  out.unplaced = repair(table, as, unplaced);
  improve(table, as, out.unplaced, 1e-12 * table.scale);

  out.a.assign(n, 0);
  out.b.assign(n, 0);
  for (std::ptrdiff_t k = 0; k < in.K; ++k) {
    const int m = as.mode[static_cast<std::size_t>(k)];
    if (table.is_mec(m)) out.a[static_cast<std::size_t>(m * in.K + k)] = 1;
    if (m >= in.L) out.b[static_cast<std::size_t>((m - in.L) * in.K + k)] = 1;
  }
  out.objective = as.objective(table);
  out.status = !out.unplaced.empty() ? OffloadingStatus::infeasible
               : relaxation.converged ? OffloadingStatus::optimal
                                      : OffloadingStatus::max_iter;
  return out;
}

}  // namespace pyiscc
