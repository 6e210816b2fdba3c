// Algorithm 1: the consensus ADMM (29)-(38) on the relaxation (19): the local step's
// box-knapsack projection, the global step, and the iterations of the Admm state
// (admm_state.hpp).  The recovery is in offloading_recovery.cpp, the driver in offloading.cpp;
// docs/algorithms.md ("Algorithm 1 - offloading") has the procedure and its choices.
#include <algorithm>
#include <cmath>
#include <limits>

#include "admm_state.hpp"

namespace pyiscc {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

inline double clamp(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }


// Global step (31)-(35) of one terminal: the shift nu of its free entries (x = v + nu 1) that
// projects them onto {lower <= sum <= 1}, given the sum `total` of v over all its entries.  KKT
// of (31): nu <= 0 when the upper bound (31a) is active, nu >= 0 when the power bound (31b) is
// (32)-(35).
inline double global_shift(double total, std::ptrdiff_t n_free, double lower) {
  if (n_free <= 0) return 0.0;
  if (total > 1.0) return (1.0 - total) / static_cast<double>(n_free);
  if (total < lower) return (lower - total) / static_cast<double>(n_free);
  return 0.0;
}


// The breakpoint search of box_knapsack_projection on the knapsack entries; Lo and Hi map an
// index to its bounds (arrays, or the unit box of the ADMM's free entries).
template <class Lo, class Hi>
double knapsack_search(std::ptrdiff_t n_knapsack, const double* t, Lo lo, Hi hi, double capacity,
                       double* x, std::vector<std::pair<double, std::ptrdiff_t>>& events,
                       double guess, int newton_passes) {
  double s0 = 0.0, s_lo = 0.0;
  for (std::ptrdiff_t i = 0; i < n_knapsack; ++i) {
    x[i] = clamp(t[i], lo(i), hi(i));
    s0 += x[i];
    s_lo += lo(i);
  }
  if (s0 <= capacity) return 0.0;
  if (s_lo >= capacity) {
    double mu = 0.0;
    for (std::ptrdiff_t i = 0; i < n_knapsack; ++i) {
      x[i] = lo(i);
      mu = std::max(mu, t[i] - lo(i));
    }
    return s_lo > capacity ? kInf : mu;
  }
  // S(mu) = sum_i clip(t_i - mu, lo_i, hi_i) is continuous, piecewise linear and nonincreasing,
  // S(0) > capacity > S(inf) = sum lo.  Newton's method on S from `guess` (the ADMM passes the
  // previous iteration's multiplier, usually a step or two away): each pass classifies every
  // entry at mu, which gives the linear piece of S around mu and its ends; the root of the piece
  // is the answer when it lies on the piece.  Safeguarded by the bracket of the values seen;
  // after `newton_passes` the exact breakpoint walk below takes over.
  {
    double mu_lo = 0.0, mu_hi = kInf;  // S(mu_lo) > capacity >= S(mu_hi)
    double mu = guess > 0.0 && std::isfinite(guess) ? guess : 0.0;
    for (int pass = 0; pass < newton_passes; ++pass) {
      double sum = 0.0, piece_lo = 0.0, piece_hi = kInf;
      std::ptrdiff_t n_free = 0;
      for (std::ptrdiff_t i = 0; i < n_knapsack; ++i) {
        const double l = lo(i), h = hi(i), d = t[i] - mu;
        if (d <= l) {  // at lo; leaves lo (going down) at t - lo <= mu
          sum += l;
          piece_lo = std::max(piece_lo, t[i] - l);
        } else if (d >= h) {  // at hi; becomes free (going up) at t - hi >= mu
          sum += h;
          piece_hi = std::min(piece_hi, t[i] - h);
        } else {
          sum += t[i];
          ++n_free;
          piece_lo = std::max(piece_lo, t[i] - h);
          piece_hi = std::min(piece_hi, t[i] - l);
        }
      }
      const double s_mu = sum - static_cast<double>(n_free) * mu;
      if (s_mu > capacity) mu_lo = std::max(mu_lo, mu);
      else mu_hi = std::min(mu_hi, mu);
      double next;
      if (n_free > 0) {
        const double root = (sum - capacity) / static_cast<double>(n_free);
        if (root >= piece_lo && root <= piece_hi) {
          mu = std::max(root, 0.0);
          for (std::ptrdiff_t i = 0; i < n_knapsack; ++i) x[i] = clamp(t[i] - mu, lo(i), hi(i));
          return mu;
        }
        next = root;
      } else {
        next = s_mu > capacity ? piece_hi : piece_lo;
      }
      if (!(next > mu_lo && next < mu_hi))
        next = std::isfinite(mu_hi) ? 0.5 * (mu_lo + mu_hi) : std::max(next, 2.0 * mu_lo + 1.0);
      mu = next;
    }
  }
  // Walk its positive breakpoints downwards from the top
  // (a max-heap: only the breakpoints above the root are popped, a handful when the capacity is
  // a few tasks out of K) until S reaches the capacity.  Entries with lo = hi are constants.
  events.clear();
  for (std::ptrdiff_t i = 0; i < n_knapsack; ++i) {
    if (!(lo(i) < hi(i))) continue;
    const double leave = t[i] - lo(i), enter = t[i] - hi(i);
    if (leave > 0.0) events.emplace_back(leave, ~i);   // going down: lo -> free
    if (enter > 0.0) events.emplace_back(enter, i);    // going down: free -> hi
  }
  std::make_heap(events.begin(), events.end());
  double base = s_lo;  // S(mu) = base - n_free mu between breakpoints
  std::ptrdiff_t n_free = 0;
  double prev = kInf, mu = 0.0;
  auto end = events.end();
  for (;;) {
    const double p = end == events.begin() ? 0.0 : events.front().first;
    if (n_free > 0 && base - static_cast<double>(n_free) * p >= capacity) {
      mu = clamp((base - capacity) / static_cast<double>(n_free), p, prev);
      break;
    }
    if (end == events.begin()) {  // only reachable through rounding: S(0) = s0 > capacity
      mu = 0.0;
      break;
    }
    std::pop_heap(events.begin(), end);
    --end;
    const std::ptrdiff_t code = end->second;
    if (code < 0) {  // lo -> free
      const std::ptrdiff_t i = ~code;
      base += t[i] - lo(i);
      ++n_free;
    } else {  // free -> hi
      base += hi(code) - t[code];
      --n_free;
    }
    prev = p;
  }
  for (std::ptrdiff_t i = 0; i < n_knapsack; ++i) x[i] = clamp(t[i] - mu, lo(i), hi(i));
  return mu;
}


}  // namespace

double box_knapsack_projection(std::ptrdiff_t n, std::ptrdiff_t n_knapsack, const double* t,
                               const double* lo, const double* hi, double capacity, double* x,
                               std::vector<std::pair<double, std::ptrdiff_t>>& events,
                               double guess, int newton_passes) {
  require(n_knapsack >= 0 && n_knapsack <= n, "n_knapsack: must be in [0, len(t)]");
  require(capacity >= 0.0 && std::isfinite(capacity), "capacity: must be finite and >= 0");
  require(!std::isnan(guess), "guess: must not be NaN");
  require(newton_passes >= 0, "newton_passes: must be >= 0");
  for (std::ptrdiff_t i = 0; i < n; ++i) require(lo[i] <= hi[i], "lo, hi: need lo <= hi");
  for (std::ptrdiff_t i = n_knapsack; i < n; ++i) x[i] = clamp(t[i], lo[i], hi[i]);
  return knapsack_search(
      n_knapsack, t, [lo](std::ptrdiff_t i) { return lo[i]; },
      [hi](std::ptrdiff_t i) { return hi[i]; }, capacity, x, events, guess, newton_passes);
}

double box_knapsack_unit(std::ptrdiff_t n, const double* t, double capacity, double* x,
                         std::vector<std::pair<double, std::ptrdiff_t>>& events, double guess) {
  return knapsack_search(
      n, t, [](std::ptrdiff_t) { return 0.0; }, [](std::ptrdiff_t) { return 1.0; }, capacity, x,
      events, guess, kNewtonPasses);
}

void global_step(std::ptrdiff_t L, std::ptrdiff_t K, const double* v_a, const double* v_b,
                 const std::uint8_t* free_a, const std::uint8_t* free_b, const double* lower,
                 double* a, double* b) {
  for (std::ptrdiff_t k = 0; k < K; ++k) require(!std::isnan(lower[k]), "lower: must not be NaN");
  for (std::ptrdiff_t k = 0; k < K; ++k) {
    double total = 0.0;
    std::ptrdiff_t n_free = 0;
    for (std::ptrdiff_t l = 0; l < L; ++l) {
      const std::ptrdiff_t i = l * K + k;
      total += v_a[i] + v_b[i];
      n_free += free_a[i] + free_b[i];
    }
    const double shift = global_shift(total, n_free, lower[k]);
    for (std::ptrdiff_t l = 0; l < L; ++l) {
      const std::ptrdiff_t i = l * K + k;
      a[i] = free_a[i] ? v_a[i] + shift : v_a[i];
      b[i] = free_b[i] ? v_b[i] + shift : v_b[i];
    }
  }
}

// ---- the ADMM state ---------------------------------------------------------------------

Admm::Admm(const OffloadingInput& in, const ModeTable& table, const AdmmSettings& settings,
           const LocalStepFn* local_step)
    : L(in.L),
      K(in.K),
      rho(settings.rho),
      table_(table),
      settings_(settings),
      custom_(local_step),
      pool_(local_step ? 1 : static_cast<int>(std::min<std::ptrdiff_t>(settings.workers, in.L))) {
  const std::size_t n = static_cast<std::size_t>(L * K);
  for (auto* v : {&cost_a_, &cost_b_, &lo_a, &hi_a, &lo_b, &hi_b, &a, &b, &phi_a, &phi_b})
    v->assign(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    cost_a_[i] = table.cost_mec[i] / table.scale;
    cost_b_[i] = table.cost_cloud[i] / table.scale;
    hi_a[i] = table.has_mec[i] ? 1.0 : 0.0;
    hi_b[i] = table.has_cloud[i] ? 1.0 : 0.0;
  }
  capacity.assign(in.capacity, in.capacity + L);
  // Dominated modes: a mode dearer than the terminal's best cloud mode (uncapacitated, same
  // offloaded share), or than local execution when (18d) sets no bound, is 0 in every optimum
  // of the relaxation and of the binary problem (moving its share there is feasible and
  // strictly better), so it is held at 0.  Fewer free entries per terminal also speed up the
  // ADMM: every free entry of a terminal carries a share of the global step's shift.
  for (std::ptrdiff_t k = 0; k < K; ++k) {
    double fallback = in.min_offload[k] > 0.0 ? kInf : 0.0;
    for (std::ptrdiff_t l = 0; l < L; ++l)
      if (table.has_cloud[static_cast<std::size_t>(l * K + k)])
        fallback = std::min(fallback, table.cost_cloud[static_cast<std::size_t>(l * K + k)]);
    for (std::ptrdiff_t l = 0; l < L; ++l) {
      const std::size_t i = static_cast<std::size_t>(l * K + k);
      if (table.cost_mec[i] > fallback) hi_a[i] = 0.0;
      if (table.cost_cloud[i] > fallback) hi_b[i] = 0.0;
    }
  }
  lower.resize(static_cast<std::size_t>(K));
  for (std::ptrdiff_t k = 0; k < K; ++k) lower[k] = in.min_offload[k] > 0.0 ? in.min_offload[k] : -kInf;
  mu_prev_.assign(static_cast<std::size_t>(L), 0.0);
  events_.resize(static_cast<std::size_t>(L));
  for (auto* v : {&t_buf_, &lo_buf_, &hi_buf_, &x_buf_}) v->resize(static_cast<std::size_t>(L));
}

void Admm::hold(std::ptrdiff_t k, int m) {
  for (std::ptrdiff_t l = 0; l < L; ++l) {
    const std::size_t i = static_cast<std::size_t>(l * K + k);
    const double va = (m == l) ? 1.0 : 0.0, vb = (m == L + l) ? 1.0 : 0.0;
    lo_a[i] = hi_a[i] = a[i] = va;
    lo_b[i] = hi_b[i] = b[i] = vb;
    phi_a[i] = phi_b[i] = 0.0;
  }
  lower[static_cast<std::size_t>(k)] = -kInf;
}

// Gathers the free entries into the compact arrays; returns their number.
std::size_t Admm::compact() {
  start_.assign(static_cast<std::size_t>(L + 1), 0);
  n_mec_.assign(static_cast<std::size_t>(L), 0);
  cap_free_.assign(static_cast<std::size_t>(L), 0.0);
  n_free_k_.assign(static_cast<std::size_t>(K), 0);
  index_.clear();
  const std::ptrdiff_t n = L * K;
  for (std::ptrdiff_t l = 0; l < L; ++l) {
    double held = 0.0;
    for (std::ptrdiff_t k = 0; k < K; ++k) {
      const std::ptrdiff_t i = l * K + k;
      if (lo_a[i] < hi_a[i]) index_.push_back(i);
      else held += lo_a[i];
    }
    n_mec_[l] = static_cast<std::ptrdiff_t>(index_.size()) - start_[l];
    cap_free_[l] = capacity[l] - held;
    for (std::ptrdiff_t k = 0; k < K; ++k) {
      const std::ptrdiff_t i = l * K + k;
      if (lo_b[i] < hi_b[i]) index_.push_back(n + i);
    }
    start_[l + 1] = static_cast<std::ptrdiff_t>(index_.size());
  }
  const std::size_t m = index_.size();
  term_.resize(m);
  for (auto* v : {&c_, &x_, &z_, &phi_}) v->resize(m);
  for (std::size_t j = 0; j < m; ++j) {
    const std::ptrdiff_t i = index_[j] < n ? index_[j] : index_[j] - n;
    const bool mec = index_[j] < n;
    term_[j] = static_cast<std::int32_t>(i % K);
    c_[j] = mec ? cost_a_[i] : cost_b_[i];
    z_[j] = mec ? a[i] : b[i];
    x_[j] = z_[j];
    phi_[j] = mec ? phi_a[i] : phi_b[i];
    ++n_free_k_[term_[j]];
  }
  total_.assign(static_cast<std::size_t>(K), 0.0);
  shift_.assign(static_cast<std::size_t>(K), 0.0);
  return m;
}

void Admm::scatter() {  // compact -> (L,K)
  const std::ptrdiff_t n = L * K;
  for (std::size_t j = 0; j < index_.size(); ++j) {
    if (index_[j] < n) {
      a[index_[j]] = z_[j];
      phi_a[index_[j]] = phi_[j];
    } else {
      b[index_[j] - n] = z_[j];
      phi_b[index_[j] - n] = phi_[j];
    }
  }
}

// Local step (29) at BS l: t = z - phi - c / rho, then the box-knapsack projection (MEC
// entries, lo = 0, hi = 1) and the box (cloud entries).
void Admm::local_step(std::ptrdiff_t l) {
  const std::ptrdiff_t j0 = start_[l], jm = j0 + n_mec_[l], j1 = start_[l + 1];
  auto& t = t_buf_[static_cast<std::size_t>(l)];
  const double inv_rho = 1.0 / rho;
  if (!custom_) {
    t.resize(static_cast<std::size_t>(jm - j0));
    for (std::ptrdiff_t j = j0; j < jm; ++j) t[j - j0] = z_[j] - phi_[j] - c_[j] * inv_rho;
    double& mu = mu_prev_[static_cast<std::size_t>(l)];
    const double found = box_knapsack_unit(jm - j0, t.data(), cap_free_[l], &x_[j0],
                                           events_[static_cast<std::size_t>(l)], mu);
    if (found > 0.0 && std::isfinite(found)) mu = found;
    for (std::ptrdiff_t j = jm; j < j1; ++j) x_[j] = clamp(z_[j] - phi_[j] - c_[j] * inv_rho, 0.0, 1.0);
    return;
  }
  // The replacement solver sees the whole BS (2K entries, the held ones with lo = hi).
  auto& lo = lo_buf_[static_cast<std::size_t>(l)];
  auto& hi = hi_buf_[static_cast<std::size_t>(l)];
  auto& xs = x_buf_[static_cast<std::size_t>(l)];
  for (auto* v : {&t, &lo, &hi, &xs}) v->resize(static_cast<std::size_t>(2 * K));
  const std::ptrdiff_t o = l * K;
  for (std::ptrdiff_t k = 0; k < K; ++k) {
    lo[k] = lo_a[o + k];
    hi[k] = hi_a[o + k];
    lo[K + k] = lo_b[o + k];
    hi[K + k] = hi_b[o + k];
    t[k] = lo[k];
    t[K + k] = lo[K + k];
  }
  auto pos = [&](std::ptrdiff_t j) {  // position of compact entry j in the 2K vector
    const std::ptrdiff_t i = index_[j];
    return i < L * K ? i - o : K + (i - L * K - o);
  };
  for (std::ptrdiff_t j = j0; j < j1; ++j) t[pos(j)] = z_[j] - phi_[j] - c_[j] * inv_rho;
  (*custom_)(l, K, t.data(), lo.data(), hi.data(), capacity[l], xs.data());
  // The replacement solver is accurate to its tolerance only: keep its answer in the box.
  for (std::ptrdiff_t j = j0; j < j1; ++j) x_[j] = clamp(xs[pos(j)], 0.0, 1.0);
}

AdmmRunOutcome Admm::run(const AdmmRun& opts) {
  AdmmRunOutcome outcome;
  const std::size_t m = compact();
  outcome.converged = m == 0;
  if (outcome.converged) return outcome;  // every entry held: the global step keeps them
  const bool record = opts.record_history;
  // Held entries are constants: their share of ||x||, ||z|| and of the objective.
  const std::size_t n = static_cast<std::size_t>(L * K);
  double held_sq = 0.0, held_obj = table_.t_local_sum;
  for (std::size_t i = 0; i < n; ++i) {
    if (!(lo_a[i] < hi_a[i])) {
      held_sq += lo_a[i] * lo_a[i];
      if (record) held_obj += table_.cost_mec[i] * lo_a[i];
    }
    if (!(lo_b[i] < hi_b[i])) {
      held_sq += lo_b[i] * lo_b[i];
      if (record) held_obj += table_.cost_cloud[i] * lo_b[i];
    }
  }
  std::vector<double> c0;  // unscaled costs of the free entries, for the recorded objective
  if (record) {
    c0.resize(m);
    for (std::size_t j = 0; j < m; ++j)
      c0[j] = index_[j] < static_cast<std::ptrdiff_t>(n) ? table_.cost_mec[index_[j]]
                                                         : table_.cost_cloud[index_[j] - n];
  }
  const double sqrt_n = std::sqrt(static_cast<double>(m));
  const std::function<void(std::ptrdiff_t)> local = [this](std::ptrdiff_t l) { local_step(l); };
  const double al = settings_.alpha, tol = settings_.tol;
  int it = 0;
  while (it < opts.max_iter) {
    ++it;
    pool_.run(L, local);  // serial for a replacement local step (a one-worker pool)
    // Global step (31)-(35) on the over-relaxed local copies v = alpha x + (1 - alpha) z + phi
    // (alpha = 1: plain), then the dual step (37)-(38) phi = v - z_new, and the residuals.
    std::fill(total_.begin(), total_.end(), 0.0);
    for (std::size_t j = 0; j < m; ++j) total_[term_[j]] += al * x_[j] + (1.0 - al) * z_[j] + phi_[j];
    for (std::ptrdiff_t k = 0; k < K; ++k) shift_[k] = global_shift(total_[k], n_free_k_[k], lower[k]);
    double r2 = 0, s2 = 0, x2 = held_sq, z2 = held_sq, y2 = 0, obj = held_obj;
    for (std::size_t j = 0; j < m; ++j) {
      const double v = al * x_[j] + (1.0 - al) * z_[j] + phi_[j];
      const double zn = v + shift_[term_[j]];
      const double r = x_[j] - zn, d = zn - z_[j];
      phi_[j] = v - zn;
      r2 += r * r;
      s2 += d * d;
      x2 += x_[j] * x_[j];
      z2 += zn * zn;
      y2 += phi_[j] * phi_[j];
      z_[j] = zn;
    }
    const double r = std::sqrt(r2), s = rho * std::sqrt(s2);
    if (record) {
      for (std::size_t j = 0; j < m; ++j) obj += c0[j] * z_[j];
      history.objective.push_back(obj);
      history.primal.push_back(r);
      history.dual.push_back(s);
      history.rho.push_back(rho);
    }
    if (stopping_test(r, s, sqrt_n * tol + tol * std::sqrt(std::max(x2, z2)),
                      sqrt_n * tol + tol * rho * std::sqrt(y2))) {
      outcome.converged = true;
      break;
    }
    if (settings_.adapt_rho && it <= settings_.adapt_until && it % settings_.adapt_every == 0) {
      const double factor = rho_factor(r, s);
      if (factor != 1.0) {
        rho *= factor;
        for (std::size_t j = 0; j < m; ++j) phi_[j] /= factor;  // scaled duals phi = y / rho
      }
    }
  }
  scatter();
  outcome.iterations = it;
  return outcome;
}

const char* status_name(OffloadingStatus s) {
  switch (s) {
    case OffloadingStatus::optimal: return "optimal";
    case OffloadingStatus::max_iter: return "max_iter";
    case OffloadingStatus::infeasible: return "infeasible";
  }
  return "unknown";
}

}  // namespace pyiscc
