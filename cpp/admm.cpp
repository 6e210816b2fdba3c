// Algorithm 1: consensus ADMM (29)-(38) and the binary recovery.  See admm.hpp and
// docs/algorithms.md ("Algorithm 1 - offloading") for the procedure and its choices.
#include "admm.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <limits>
#include <mutex>
#include <thread>

namespace pyiscc {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kUndecided = -2;
constexpr int kLocal = -1;
// A relaxed choice this close to 1 is already integral (the ADMM stops at tol ~ 1e-6).
constexpr double kIntegralGap = 1e-3;
// Residual balancing (Boyd et al. 2011, sec. 3.4.1): rebalance when one residual exceeds the
// other by kBalance, by the factor kRhoStep.
constexpr double kBalance = 10.0;
constexpr double kRhoStep = 2.0;
constexpr int kMaxImprovementPasses = 1000;
constexpr std::ptrdiff_t kInflationShare = 8;

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

// Calls fn(i) for i in [0, n) on `workers` threads with a static partition (i mod workers), so
// that every index is always handled the same way; threads live as long as the object.
class ParallelFor {
 public:
  explicit ParallelFor(int workers) : workers_(std::max(1, workers)) {
    for (int w = 1; w < workers_; ++w) threads_.emplace_back([this, w] { loop(w); });
  }
  ~ParallelFor() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }
  ParallelFor(const ParallelFor&) = delete;
  ParallelFor& operator=(const ParallelFor&) = delete;

  void run(std::ptrdiff_t n, const std::function<void(std::ptrdiff_t)>& fn) {
    if (workers_ == 1 || n <= 1) {
      for (std::ptrdiff_t i = 0; i < n; ++i) fn(i);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      fn_ = &fn;
      n_ = n;
      pending_ = workers_ - 1;
      error_ = nullptr;
      ++generation_;
    }
    wake_.notify_all();
    std::exception_ptr mine;
    try {
      for (std::ptrdiff_t i = 0; i < n; i += workers_) fn(i);
    } catch (...) {
      mine = std::current_exception();
    }
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    fn_ = nullptr;
    if (mine) std::rethrow_exception(mine);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void loop(int w) {
    std::uint64_t seen = 0;
    for (;;) {
      const std::function<void(std::ptrdiff_t)>* fn;
      std::ptrdiff_t n;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        fn = fn_;
        n = n_;
      }
      std::exception_ptr err;
      try {
        for (std::ptrdiff_t i = w; i < n; i += workers_) (*fn)(i);
      } catch (...) {
        err = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (err && !error_) error_ = err;
        if (--pending_ == 0) done_.notify_one();
      }
    }
  }

  int workers_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(std::ptrdiff_t)>* fn_ = nullptr;
  std::ptrdiff_t n_ = 0;
  int pending_ = 0;
  std::uint64_t generation_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

// The ADMM state on the cost-scaled problem.  The (L,K) arrays (row-major) hold every entry;
// the iterations run on a compact copy of the free entries only (lo < hi: available, not
// dominated, terminal not yet fixed by the recovery), BS by BS (BS l owns the range
// [start[l], start[l+1]): its MEC entries, then its cloud entries), since the held entries are
// constants of both steps.  Threads write only their own BS's range.
struct Admm {
  std::ptrdiff_t L, K;
  std::vector<double> cost_a, cost_b;      // scaled costs, 0 where unavailable
  std::vector<double> lo_a, hi_a, lo_b, hi_b;
  std::vector<double> capacity, lower;     // (L,), (K,)
  std::vector<double> a, b, phi_a, phi_b;  // global iterate and scaled duals (L,K)
  double rho;
  // compact free entries (see above)
  std::vector<std::ptrdiff_t> start, n_mec;  // (L+1,), (L,)
  std::vector<std::ptrdiff_t> index;         // position in the (L,K) arrays; + L K: cloud
  std::vector<std::int32_t> term;            // terminal of the entry
  std::vector<double> c, x, z, phi;          // scaled cost, local copy, global copy, dual
  std::vector<double> cap_free;              // (L,) capacity left for the free MEC entries
  std::vector<double> mu_prev;               // (L,) last positive knapsack multiplier
  std::vector<double> total, shift;          // (K,) global-step scratch
  std::vector<std::int32_t> n_free_k;        // (K,)
  std::vector<std::vector<std::pair<double, std::ptrdiff_t>>> events;  // per-BS scratch
  std::vector<std::vector<double>> t_buf, lo_buf, hi_buf, x_buf;       // per-BS scratch

  Admm(std::ptrdiff_t L_, std::ptrdiff_t K_) : L(L_), K(K_) {
    const std::size_t n = static_cast<std::size_t>(L * K);
    for (auto* v : {&cost_a, &cost_b, &lo_a, &hi_a, &lo_b, &hi_b, &a, &b, &phi_a, &phi_b})
      v->assign(n, 0.0);
    capacity.assign(static_cast<std::size_t>(L), 0.0);
    mu_prev.assign(static_cast<std::size_t>(L), 0.0);
    lower.assign(static_cast<std::size_t>(K), -kInf);
    for (auto* v : {&events}) v->resize(static_cast<std::size_t>(L));
    for (auto* v : {&t_buf, &lo_buf, &hi_buf, &x_buf}) v->resize(static_cast<std::size_t>(L));
  }

  // Gathers the free entries into the compact arrays; returns their number.
  std::size_t compact() {
    start.assign(static_cast<std::size_t>(L + 1), 0);
    n_mec.assign(static_cast<std::size_t>(L), 0);
    cap_free.assign(static_cast<std::size_t>(L), 0.0);
    n_free_k.assign(static_cast<std::size_t>(K), 0);
    index.clear();
    const std::ptrdiff_t n = L * K;
    for (std::ptrdiff_t l = 0; l < L; ++l) {
      double held = 0.0;
      for (std::ptrdiff_t k = 0; k < K; ++k) {
        const std::ptrdiff_t i = l * K + k;
        if (lo_a[i] < hi_a[i]) index.push_back(i);
        else held += lo_a[i];
      }
      n_mec[l] = static_cast<std::ptrdiff_t>(index.size()) - start[l];
      cap_free[l] = capacity[l] - held;
      for (std::ptrdiff_t k = 0; k < K; ++k) {
        const std::ptrdiff_t i = l * K + k;
        if (lo_b[i] < hi_b[i]) index.push_back(n + i);
      }
      start[l + 1] = static_cast<std::ptrdiff_t>(index.size());
    }
    const std::size_t m = index.size();
    term.resize(m);
    for (auto* v : {&c, &x, &z, &phi}) v->resize(m);
    for (std::size_t j = 0; j < m; ++j) {
      const std::ptrdiff_t i = index[j] < n ? index[j] : index[j] - n;
      const bool mec = index[j] < n;
      term[j] = static_cast<std::int32_t>(i % K);
      c[j] = mec ? cost_a[i] : cost_b[i];
      z[j] = mec ? a[i] : b[i];
      x[j] = z[j];
      phi[j] = mec ? phi_a[i] : phi_b[i];
      ++n_free_k[term[j]];
    }
    total.assign(static_cast<std::size_t>(K), 0.0);
    shift.assign(static_cast<std::size_t>(K), 0.0);
    return m;
  }

  void scatter() {  // compact -> (L,K)
    const std::ptrdiff_t n = L * K;
    for (std::size_t j = 0; j < index.size(); ++j) {
      if (index[j] < n) {
        a[index[j]] = z[j];
        phi_a[index[j]] = phi[j];
      } else {
        b[index[j] - n] = z[j];
        phi_b[index[j] - n] = phi[j];
      }
    }
  }

  // Local step (29) at BS l: t = z - phi - c / rho, then the box-knapsack projection (MEC
  // entries, lo = 0, hi = 1) and the box (cloud entries).
  void local_step(std::ptrdiff_t l, const LocalStepFn* custom) {
    const std::ptrdiff_t j0 = start[l], jm = j0 + n_mec[l], j1 = start[l + 1];
    auto& t = t_buf[static_cast<std::size_t>(l)];
    const double inv_rho = 1.0 / rho;
    if (!custom) {
      t.resize(static_cast<std::size_t>(jm - j0));
      for (std::ptrdiff_t j = j0; j < jm; ++j) t[j - j0] = z[j] - phi[j] - c[j] * inv_rho;
      double& mu = mu_prev[static_cast<std::size_t>(l)];
      const double found = box_knapsack_unit(jm - j0, t.data(), cap_free[l], &x[j0],
                                             events[static_cast<std::size_t>(l)], mu);
      if (found > 0.0 && std::isfinite(found)) mu = found;
      for (std::ptrdiff_t j = jm; j < j1; ++j) x[j] = clamp(z[j] - phi[j] - c[j] * inv_rho, 0.0, 1.0);
      return;
    }
    // The replacement solver sees the whole BS (2K entries, the held ones with lo = hi).
    auto& lo = lo_buf[static_cast<std::size_t>(l)];
    auto& hi = hi_buf[static_cast<std::size_t>(l)];
    auto& xs = x_buf[static_cast<std::size_t>(l)];
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
      const std::ptrdiff_t i = index[j];
      return i < L * K ? i - o : K + (i - L * K - o);
    };
    for (std::ptrdiff_t j = j0; j < j1; ++j) t[pos(j)] = z[j] - phi[j] - c[j] * inv_rho;
    (*custom)(l, K, t.data(), lo.data(), hi.data(), capacity[l], xs.data());
    // The replacement solver is accurate to its tolerance only: keep its answer in the box.
    for (std::ptrdiff_t j = j0; j < j1; ++j) x[j] = clamp(xs[pos(j)], 0.0, 1.0);
  }

  // Runs ADMM iterations from the current state.  Returns the iterations done; `converged`
  // tells whether the residual test passed.
  int run(int max_iter, double tol, const AdmmSettings& cfg, ParallelFor& pool, const LocalStepFn* custom,
          OffloadingOutput* history, const std::vector<double>* cost_a0,
          const std::vector<double>* cost_b0, double t_local_sum, bool& converged) {
    const std::size_t m = compact();
    converged = m == 0;
    if (converged) {  // every entry held: the global step keeps them
      return 0;
    }
    // Held entries are constants: their share of ||x||, ||z|| and of the objective.
    const std::size_t n = static_cast<std::size_t>(L * K);
    double held_sq = 0.0, held_obj = t_local_sum;
    for (std::size_t i = 0; i < n; ++i) {
      if (!(lo_a[i] < hi_a[i])) {
        held_sq += lo_a[i] * lo_a[i];
        if (history) held_obj += (*cost_a0)[i] * lo_a[i];
      }
      if (!(lo_b[i] < hi_b[i])) {
        held_sq += lo_b[i] * lo_b[i];
        if (history) held_obj += (*cost_b0)[i] * lo_b[i];
      }
    }
    std::vector<double> c0;
    if (history) {
      c0.resize(m);
      for (std::size_t j = 0; j < m; ++j)
        c0[j] = index[j] < static_cast<std::ptrdiff_t>(n) ? (*cost_a0)[index[j]] : (*cost_b0)[index[j] - n];
    }
    const double sqrt_n = std::sqrt(static_cast<double>(m));
    const std::function<void(std::ptrdiff_t)> local = [&](std::ptrdiff_t l) { local_step(l, custom); };
    const double al = cfg.alpha;
    int it = 0;
    while (it < max_iter) {
      ++it;
      if (custom) {  // a Python replacement: serial, it needs the GIL anyway
        for (std::ptrdiff_t l = 0; l < L; ++l) local_step(l, custom);
      } else {
        pool.run(L, local);
      }
      // Global step (31)-(35) on the over-relaxed local copies v = alpha x + (1 - alpha) z + phi
      // (alpha = 1: plain), then the dual step (37)-(38) phi = v - z_new, and the residuals.
      std::fill(total.begin(), total.end(), 0.0);
      for (std::size_t j = 0; j < m; ++j) total[term[j]] += al * x[j] + (1.0 - al) * z[j] + phi[j];
      for (std::ptrdiff_t k = 0; k < K; ++k) shift[k] = global_shift(total[k], n_free_k[k], lower[k]);
      double r2 = 0, s2 = 0, x2 = held_sq, z2 = held_sq, y2 = 0, obj = held_obj;
      for (std::size_t j = 0; j < m; ++j) {
        const double v = al * x[j] + (1.0 - al) * z[j] + phi[j];
        const double zn = v + shift[term[j]];
        const double r = x[j] - zn, d = zn - z[j];
        phi[j] = v - zn;
        r2 += r * r;
        s2 += d * d;
        x2 += x[j] * x[j];
        z2 += zn * zn;
        y2 += phi[j] * phi[j];
        z[j] = zn;
      }
      const double r = std::sqrt(r2), s = rho * std::sqrt(s2);
      if (history) {
        for (std::size_t j = 0; j < m; ++j) obj += c0[j] * z[j];
        history->history_objective.push_back(obj);
        history->history_primal.push_back(r);
        history->history_dual.push_back(s);
        history->history_rho.push_back(rho);
      }
      const double eps_pri = sqrt_n * tol + tol * std::sqrt(std::max(x2, z2));
      const double eps_dual = sqrt_n * tol + tol * rho * std::sqrt(y2);
      if (r <= eps_pri && s <= eps_dual) {
        converged = true;
        break;
      }
      if (cfg.adapt_rho && it <= cfg.adapt_until && it % cfg.adapt_every == 0) {
        double factor = 1.0;
        if (r > kBalance * s) factor = kRhoStep;
        else if (s > kBalance * r) factor = 1.0 / kRhoStep;
        if (factor != 1.0) {
          rho *= factor;
          for (std::size_t j = 0; j < m; ++j) phi[j] /= factor;  // scaled duals phi = y / rho
        }
      }
    }
    scatter();
    return it;
  }
};

}  // namespace

namespace {

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

OffloadingOutput solve_offloading(const OffloadingInput& in, const AdmmSettings& settings,
                                  const LocalStepFn* local_step) {
  const std::ptrdiff_t L = in.L, K = in.K;
  require(L >= 1 && K >= 1, "network: need at least one BS and one terminal");
  require(settings.rho > 0.0 && std::isfinite(settings.rho), "rho: must be a positive finite number");
  require(settings.max_iter >= 1, "max_iter: must be >= 1");
  require(settings.tol > 0.0 && std::isfinite(settings.tol), "tol: must be a positive finite number");
  require(settings.workers >= 1, "workers: must be >= 1");
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

  // Cost scaling: one scalar for all costs (a per-terminal scale would change the problem).
  double scale = 0.0, t_local_sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isfinite(in.cost_mec[i])) scale = std::max(scale, std::abs(in.cost_mec[i]));
    if (std::isfinite(in.cost_cloud[i])) scale = std::max(scale, std::abs(in.cost_cloud[i]));
  }
  if (scale == 0.0) scale = 1.0;
  for (std::ptrdiff_t k = 0; k < K; ++k) t_local_sum += in.t_local[k];

  Admm st(L, K);
  std::vector<double> cost_a0(n), cost_b0(n);
  for (std::size_t i = 0; i < n; ++i) {
    const bool ok_a = std::isfinite(in.cost_mec[i]), ok_b = std::isfinite(in.cost_cloud[i]);
    cost_a0[i] = ok_a ? in.cost_mec[i] : 0.0;
    cost_b0[i] = ok_b ? in.cost_cloud[i] : 0.0;
    st.cost_a[i] = cost_a0[i] / scale;
    st.cost_b[i] = cost_b0[i] / scale;
    st.hi_a[i] = ok_a ? 1.0 : 0.0;
    st.hi_b[i] = ok_b ? 1.0 : 0.0;
  }
  for (std::ptrdiff_t l = 0; l < L; ++l) st.capacity[l] = in.capacity[l];
  // Dominated modes: a mode dearer than the terminal's best cloud mode (uncapacitated, same
  // offloaded share), or than local execution when (18d) sets no bound, is 0 in every optimum
  // of the relaxation and of the binary problem (moving its share there is feasible and
  // strictly better), so it is held at 0.  Fewer free entries per terminal also speed up the
  // ADMM: every free entry of a terminal carries a share of the global step's shift.
  for (std::ptrdiff_t k = 0; k < K; ++k) {
    double fallback = in.min_offload[k] > 0.0 ? kInf : 0.0;
    for (std::ptrdiff_t l = 0; l < L; ++l)
      if (std::isfinite(in.cost_cloud[l * K + k])) fallback = std::min(fallback, in.cost_cloud[l * K + k]);
    for (std::ptrdiff_t l = 0; l < L; ++l) {
      const std::size_t i = static_cast<std::size_t>(l * K + k);
      if (cost_a0[i] > fallback) st.hi_a[i] = 0.0;
      if (cost_b0[i] > fallback) st.hi_b[i] = 0.0;
    }
  }
  for (std::ptrdiff_t k = 0; k < K; ++k) st.lower[k] = in.min_offload[k] > 0.0 ? in.min_offload[k] : -kInf;
  st.rho = settings.rho;
  OffloadingOutput out;
  ParallelFor pool(local_step ? 1 : std::min<std::ptrdiff_t>(settings.workers, L));
  bool converged = false;
  out.iterations = st.run(settings.max_iter, settings.tol, settings, pool, local_step,
                          &out, &cost_a0, &cost_b0, t_local_sum, converged);
  out.relaxed_a = st.a;
  out.relaxed_b = st.b;
  out.relaxed_objective = t_local_sum;
  for (std::size_t i = 0; i < n; ++i)
    out.relaxed_objective += cost_a0[i] * st.a[i] + cost_b0[i] * st.b[i];
  const bool relaxation_converged = converged;

  // ---- binary recovery: relaxation and inflation on the tightened binary problem -----------
  // Valid for binary decisions: at most floor(G_l / f^E) tasks per MEC server, and s_min > 0
  // means "offload" (sum = 1).
  std::vector<double> cap_int(static_cast<std::size_t>(L));
  for (std::ptrdiff_t l = 0; l < L; ++l) cap_int[l] = std::floor(in.capacity[l] + 1e-9);
  std::vector<char> must(static_cast<std::size_t>(K));
  for (std::ptrdiff_t k = 0; k < K; ++k) must[k] = in.min_offload[k] > 0.0;
  std::vector<int> mode(static_cast<std::size_t>(K), kUndecided);
  std::vector<double> used(static_cast<std::size_t>(L), 0.0);
  auto mode_cost = [&](std::ptrdiff_t k, int m) -> double {
    if (m < 0) return 0.0;
    if (m < L) return cost_a0[static_cast<std::size_t>(m * K + k)];
    return cost_b0[static_cast<std::size_t>((m - L) * K + k)];
  };
  auto available = [&](std::ptrdiff_t k, int m) -> bool {
    if (m < 0) return !must[k];
    if (m < L) return std::isfinite(in.cost_mec[m * K + k]);
    return std::isfinite(in.cost_cloud[(m - L) * K + k]);
  };
  auto fits = [&](std::ptrdiff_t k, int m) -> bool {
    return available(k, m) && (m < 0 || m >= L || used[m] + 1.0 <= cap_int[m]);
  };
  const int n_modes = static_cast<int>(2 * L);
  auto hold = [&](std::ptrdiff_t k, int m) {  // fix terminal k to mode m in the ADMM state
    mode[k] = m;
    if (m >= 0 && m < L) used[m] += 1.0;
    for (std::ptrdiff_t l = 0; l < L; ++l) {
      const std::size_t i = static_cast<std::size_t>(l * K + k);
      const double va = (m == l) ? 1.0 : 0.0, vb = (m == L + l) ? 1.0 : 0.0;
      st.lo_a[i] = st.hi_a[i] = st.a[i] = va;
      st.lo_b[i] = st.hi_b[i] = st.b[i] = vb;
      st.phi_a[i] = st.phi_b[i] = 0.0;
    }
    st.lower[k] = -kInf;
  };
  std::vector<std::int64_t> unplaced;
  struct Candidate {
    double value;
    std::ptrdiff_t k;
    int m;
  };
  std::vector<Candidate> cands;
  bool tightened = false;
  for (;;) {
    cands.clear();
    std::ptrdiff_t undecided = 0;
    for (std::ptrdiff_t k = 0; k < K; ++k) {
      if (mode[k] != kUndecided) continue;
      double sum = 0.0;
      for (std::ptrdiff_t l = 0; l < L; ++l) sum += st.a[l * K + k] + st.b[l * K + k];
      bool any = false;
      for (int m = -1; m < n_modes; ++m) {
        if (!fits(k, m)) continue;
        any = true;
        const double v = m < 0 ? 1.0 - sum : (m < L ? st.a[m * K + k] : st.b[(m - L) * K + k]);
        cands.push_back({clamp(v, 0.0, 1.0), k, m});
      }
      if (!any) {  // must offload, but no server has room: repaired below
        hold(k, kLocal);
        unplaced.push_back(k);
      } else {
        ++undecided;
      }
    }
    if (undecided == 0) break;
    // Visit the candidates by decreasing value (ties: lower terminal, then lower mode); a heap,
    // since a round usually stops after a small share of them.
    auto after = [](const Candidate& x, const Candidate& y) {
      if (x.value != y.value) return x.value < y.value;
      if (x.k != y.k) return x.k > y.k;
      return x.m > y.m;
    };
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
      if (mode[c.k] != kUndecided) continue;
      if (integral && c.value < 1.0 - kIntegralGap) break;
      if (!fits(c.k, c.m)) continue;
      hold(c.k, c.m);
      ++fixed;
      if (!integral && fixed >= batch) break;
    }
    if (fixed == undecided) break;
    if (!tightened) {
      for (std::ptrdiff_t l = 0; l < L; ++l) st.capacity[l] = cap_int[l];
      for (std::ptrdiff_t k = 0; k < K; ++k)
        if (mode[k] == kUndecided && must[k]) st.lower[k] = 1.0;
      tightened = true;
    }
    // Terminals that must offload but have no room left are caught above on the next pass;
    // do not let their bound make the re-solve infeasible.
    for (std::ptrdiff_t k = 0; k < K; ++k) {
      if (mode[k] != kUndecided || !must[k]) continue;
      bool any = false;
      for (int m = 0; m < n_modes && !any; ++m) any = fits(k, m);
      if (!any) st.lower[k] = -kInf;
    }
    bool ok = false;
    out.recovery_iterations += st.run(std::min(settings.max_iter, settings.recovery_iter),
                                      settings.tol, settings, pool,
                                      local_step, nullptr, nullptr, nullptr, 0.0, ok);
  }

  // ---- feasibility repair: place unplaced must-offload terminals by evicting another --------
  const double threshold = 1e-12 * scale;
  std::vector<std::int64_t> still_unplaced;
  for (std::int64_t k64 : unplaced) {
    const std::ptrdiff_t k = static_cast<std::ptrdiff_t>(k64);
    double best = kInf;
    std::ptrdiff_t best_j = -1;
    int best_l = -1, best_alt = 0;
    for (int m = 0; m < n_modes; ++m) {  // room may have appeared meanwhile
      if (fits(k, m) && mode_cost(k, m) < best) {
        best = mode_cost(k, m);
        best_l = m;
        best_j = -1;
      }
    }
    const bool direct = best_l >= 0;
    for (int l = 0; l < L && !direct; ++l) {
      if (!available(k, l)) continue;
      for (std::ptrdiff_t j = 0; j < K; ++j) {
        if (mode[j] != l) continue;
        for (int alt = -1; alt < n_modes; ++alt) {
          if (alt == l || !available(j, alt) || (alt >= 0 && alt < L && used[alt] + 1.0 > cap_int[alt]))
            continue;
          const double delta = mode_cost(k, l) + mode_cost(j, alt) - mode_cost(j, l);
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
    if (best_j >= 0) {  // j leaves MEC best_l for best_alt, k takes its slot
      mode[best_j] = best_alt;
      if (best_alt >= 0 && best_alt < L) used[best_alt] += 1.0;
      mode[k] = best_l;
    } else {
      mode[k] = best_l;
      if (best_l < L) used[best_l] += 1.0;
    }
  }

  // ---- 1-exchange improvement: best single move per terminal, then ejections -------------
  std::vector<char> stuck(static_cast<std::size_t>(K), 0);
  for (std::int64_t k : still_unplaced) stuck[static_cast<std::size_t>(k)] = 1;
  for (int pass = 0; pass < kMaxImprovementPasses; ++pass) {
    bool improved = false;
    for (std::ptrdiff_t k = 0; k < K; ++k) {
      if (stuck[k]) continue;
      const int cur = mode[k];
      double best = -threshold;
      int best_m = cur;
      for (int m = -1; m < n_modes; ++m) {
        if (m == cur || !fits(k, m)) continue;
        const double delta = mode_cost(k, m) - mode_cost(k, cur);
        if (delta < best) {
          best = delta;
          best_m = m;
        }
      }
      if (best_m != cur) {
        if (cur >= 0 && cur < L) used[cur] -= 1.0;
        if (best_m >= 0 && best_m < L) used[best_m] += 1.0;
        mode[k] = best_m;
        improved = true;
      }
    }
    // Ejection: j takes i's MEC slot l, i moves to its best other mode (j's old MEC slot
    // included).  Covers plain swaps and the MEC -> cloud / cloud -> MEC chains.
    for (int l = 0; l < L; ++l) {
      for (std::ptrdiff_t i = 0; i < K; ++i) {
        if (mode[i] != l || stuck[i]) continue;
        // i's best other mode with room (first index among equal costs), then for each j the
        // MEC slot j frees, if i could not use it before: O(L + K) per i instead of O(L K).
        double room_cost = kInf;
        int room_mode = l;
        for (int m = -1; m < n_modes; ++m) {
          if (m == l || !available(i, m)) continue;
          if (m >= 0 && m < L && used[m] + 1.0 > cap_int[m]) continue;
          if (mode_cost(i, m) < room_cost) {
            room_cost = mode_cost(i, m);
            room_mode = m;
          }
        }
        for (std::ptrdiff_t j = 0; j < K; ++j) {
          const int mj = mode[j];
          if (mj == l || stuck[j] || !available(j, l)) continue;
          double best_alt_cost = room_cost;
          int best_alt = room_mode;
          if (mj >= 0 && mj < L && used[mj] + 1.0 > cap_int[mj] && available(i, mj)) {
            const double c_mj = mode_cost(i, mj);
            if (c_mj < best_alt_cost || (c_mj == best_alt_cost && mj < best_alt)) {
              best_alt_cost = c_mj;
              best_alt = mj;
            }
          }
          if (best_alt == l) continue;
          const double delta = mode_cost(j, l) - mode_cost(j, mj) + best_alt_cost - mode_cost(i, l);
          if (delta < -threshold) {
            if (mj >= 0 && mj < L) used[mj] -= 1.0;
            if (best_alt >= 0 && best_alt < L) used[best_alt] += 1.0;
            mode[j] = l;
            mode[i] = best_alt;
            improved = true;
            break;  // i left l
          }
        }
      }
    }
    if (!improved) break;
  }

  out.a.assign(n, 0);
  out.b.assign(n, 0);
  out.objective = t_local_sum;
  for (std::ptrdiff_t k = 0; k < K; ++k) {
    const int m = mode[k];
    if (m >= 0 && m < L) out.a[static_cast<std::size_t>(m * K + k)] = 1;
    if (m >= L) out.b[static_cast<std::size_t>((m - L) * K + k)] = 1;
    out.objective += mode_cost(k, m);
  }
  out.unplaced = still_unplaced;
  out.status = !still_unplaced.empty() ? OffloadingStatus::infeasible
               : relaxation_converged  ? OffloadingStatus::optimal
                                       : OffloadingStatus::max_iter;
  return out;
}

}  // namespace pyiscc
