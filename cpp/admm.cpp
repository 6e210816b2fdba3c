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

inline double clamp(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

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

// The ADMM state on the cost-scaled problem; (L,K) arrays row-major, so BS l owns the slice
// [l K, (l+1) K) of every local array (threads write only their own slices).
struct Admm {
  std::ptrdiff_t L, K;
  std::vector<double> cost_a, cost_b;      // scaled costs, 0 where unavailable
  std::vector<double> lo_a, hi_a, lo_b, hi_b;
  std::vector<std::uint8_t> free_a, free_b;
  std::vector<double> capacity, lower;     // (L,), (K,)
  std::vector<double> omega, varpi, a, b, phi_a, phi_b, a_prev, b_prev, v_a, v_b;
  double rho;
  // per-BS scratch
  std::vector<std::vector<std::pair<double, std::ptrdiff_t>>> events;
  std::vector<std::vector<double>> t_buf, lo_buf, hi_buf, x_buf;

  Admm(std::ptrdiff_t L_, std::ptrdiff_t K_) : L(L_), K(K_) {
    const std::size_t n = static_cast<std::size_t>(L * K);
    for (auto* v : {&cost_a, &cost_b, &lo_a, &hi_a, &lo_b, &hi_b, &omega, &varpi, &a, &b, &phi_a,
                    &phi_b, &a_prev, &b_prev, &v_a, &v_b})
      v->assign(n, 0.0);
    free_a.assign(n, 0);
    free_b.assign(n, 0);
    capacity.assign(static_cast<std::size_t>(L), 0.0);
    lower.assign(static_cast<std::size_t>(K), -kInf);
    events.resize(static_cast<std::size_t>(L));
    t_buf.resize(static_cast<std::size_t>(L));
    lo_buf.resize(static_cast<std::size_t>(L));
    hi_buf.resize(static_cast<std::size_t>(L));
    x_buf.resize(static_cast<std::size_t>(L));
  }

  void refresh_free() {
    for (std::size_t i = 0; i < free_a.size(); ++i) {
      free_a[i] = lo_a[i] < hi_a[i];
      free_b[i] = lo_b[i] < hi_b[i];
    }
  }

  // Local step (29) at BS l: t = (a, b) - (phi_a, phi_b) - cost / rho, then the box-knapsack
  // projection (omega) and the box (varpi).
  void local_step(std::ptrdiff_t l, const LocalStepFn* custom) {
    const std::ptrdiff_t o = l * K;
    if (!custom) {
      auto& t = t_buf[static_cast<std::size_t>(l)];
      t.resize(static_cast<std::size_t>(K));
      for (std::ptrdiff_t k = 0; k < K; ++k) t[k] = a[o + k] - phi_a[o + k] - cost_a[o + k] / rho;
      box_knapsack_projection(K, K, t.data(), &lo_a[o], &hi_a[o], capacity[l], &omega[o],
                              events[static_cast<std::size_t>(l)]);
      for (std::ptrdiff_t k = 0; k < K; ++k)
        varpi[o + k] = clamp(b[o + k] - phi_b[o + k] - cost_b[o + k] / rho, lo_b[o + k], hi_b[o + k]);
      return;
    }
    auto& t = t_buf[static_cast<std::size_t>(l)];
    auto& lo = lo_buf[static_cast<std::size_t>(l)];
    auto& hi = hi_buf[static_cast<std::size_t>(l)];
    auto& x = x_buf[static_cast<std::size_t>(l)];
    for (auto* v : {&t, &lo, &hi, &x}) v->resize(static_cast<std::size_t>(2 * K));
    for (std::ptrdiff_t k = 0; k < K; ++k) {
      t[k] = a[o + k] - phi_a[o + k] - cost_a[o + k] / rho;
      t[K + k] = b[o + k] - phi_b[o + k] - cost_b[o + k] / rho;
      lo[k] = lo_a[o + k];
      hi[k] = hi_a[o + k];
      lo[K + k] = lo_b[o + k];
      hi[K + k] = hi_b[o + k];
    }
    (*custom)(l, K, t.data(), lo.data(), hi.data(), capacity[l], x.data());
    // The replacement solver is accurate to its tolerance only: keep its answer in the box so
    // that held entries (lo = hi) stay exact.
    for (std::ptrdiff_t k = 0; k < K; ++k) {
      omega[o + k] = clamp(x[k], lo[k], hi[k]);
      varpi[o + k] = clamp(x[K + k], lo[K + k], hi[K + k]);
    }
  }

  // Runs ADMM iterations from the current state.  Returns the iterations done; `converged`
  // tells whether the residual test passed.
  int run(int max_iter, double tol, const AdmmSettings& cfg, ParallelFor& pool, const LocalStepFn* custom,
          OffloadingOutput* history, const std::vector<double>* cost_a0,
          const std::vector<double>* cost_b0, double t_local_sum, bool& converged) {
    const std::size_t n = free_a.size();
    std::size_t n_free = 0;
    for (std::size_t i = 0; i < n; ++i) n_free += free_a[i] + free_b[i];
    converged = n_free == 0;
    if (converged) {
      global_step(L, K, lo_a.data(), lo_b.data(), free_a.data(), free_b.data(), lower.data(),
                  a.data(), b.data());
      return 0;
    }
    const double sqrt_n = std::sqrt(static_cast<double>(n_free));
    const std::function<void(std::ptrdiff_t)> local = [&](std::ptrdiff_t l) { local_step(l, custom); };
    int it = 0;
    while (it < max_iter) {
      ++it;
      if (custom) {  // a Python replacement: serial, it needs the GIL anyway
        for (std::ptrdiff_t l = 0; l < L; ++l) local_step(l, custom);
      } else {
        pool.run(L, local);
      }
      a_prev = a;
      b_prev = b;
      const double al = cfg.alpha;
      for (std::size_t i = 0; i < n; ++i) {  // over-relaxed local copies (alpha = 1: plain)
        v_a[i] = al * omega[i] + (1.0 - al) * a_prev[i] + phi_a[i];
        v_b[i] = al * varpi[i] + (1.0 - al) * b_prev[i] + phi_b[i];
      }
      global_step(L, K, v_a.data(), v_b.data(), free_a.data(), free_b.data(), lower.data(),
                  a.data(), b.data());
      double r2 = 0, s2 = 0, x2 = 0, z2 = 0, y2 = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const double ra = omega[i] - a[i], rb = varpi[i] - b[i];
        phi_a[i] = v_a[i] - a[i];  // dual step (37): phi + alpha omega + (1 - alpha) a_prev - a
        phi_b[i] = v_b[i] - b[i];  // dual step (38)
        r2 += ra * ra + rb * rb;
        const double da = a[i] - a_prev[i], db = b[i] - b_prev[i];
        s2 += da * da + db * db;
        x2 += omega[i] * omega[i] + varpi[i] * varpi[i];
        z2 += a[i] * a[i] + b[i] * b[i];
        y2 += phi_a[i] * phi_a[i] + phi_b[i] * phi_b[i];
      }
      const double r = std::sqrt(r2), s = rho * std::sqrt(s2);
      if (history) {
        double obj = t_local_sum;
        for (std::size_t i = 0; i < n; ++i) obj += (*cost_a0)[i] * a[i] + (*cost_b0)[i] * b[i];
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
          for (std::size_t i = 0; i < n; ++i) {  // scaled duals phi = y / rho
            phi_a[i] /= factor;
            phi_b[i] /= factor;
          }
        }
      }
    }
    return it;
  }
};

}  // namespace

double box_knapsack_projection(std::ptrdiff_t n, std::ptrdiff_t n_knapsack, const double* t,
                               const double* lo, const double* hi, double capacity, double* x,
                               std::vector<std::pair<double, std::ptrdiff_t>>& events) {
  for (std::ptrdiff_t i = n_knapsack; i < n; ++i) x[i] = clamp(t[i], lo[i], hi[i]);
  double s0 = 0.0, s_lo = 0.0;
  for (std::ptrdiff_t i = 0; i < n_knapsack; ++i) {
    x[i] = clamp(t[i], lo[i], hi[i]);
    s0 += x[i];
    s_lo += lo[i];
  }
  if (s0 <= capacity) return 0.0;
  if (s_lo >= capacity) {
    double mu = 0.0;
    for (std::ptrdiff_t i = 0; i < n_knapsack; ++i) {
      x[i] = lo[i];
      mu = std::max(mu, t[i] - lo[i]);
    }
    return s_lo > capacity ? kInf : mu;
  }
  // S(mu) = sum_i clip(t_i - mu, lo_i, hi_i) is continuous, piecewise linear and nonincreasing;
  // walk its breakpoints upwards from mu = 0 until it drops to the capacity.
  events.clear();
  double fixed_sum = 0.0, free_t_sum = 0.0;
  std::ptrdiff_t n_free = 0;
  for (std::ptrdiff_t i = 0; i < n_knapsack; ++i) {
    const double enter = t[i] - hi[i], leave = t[i] - lo[i];
    if (enter > 0.0) {
      fixed_sum += hi[i];
      events.emplace_back(enter, i);
      events.emplace_back(leave, ~i);
    } else if (leave > 0.0) {
      free_t_sum += t[i];
      ++n_free;
      events.emplace_back(leave, ~i);
    } else {
      fixed_sum += lo[i];
    }
  }
  std::sort(events.begin(), events.end());
  double mu = 0.0, prev = 0.0;
  bool found = false;
  for (const auto& [p, code] : events) {
    const double s_p = fixed_sum + free_t_sum - static_cast<double>(n_free) * p;
    if (s_p <= capacity) {
      mu = n_free > 0 ? clamp((fixed_sum + free_t_sum - capacity) / static_cast<double>(n_free), prev, p) : p;
      found = true;
      break;
    }
    if (code >= 0) {  // hi -> free
      fixed_sum -= hi[code];
      free_t_sum += t[code];
      ++n_free;
    } else {  // free -> lo
      const std::ptrdiff_t i = ~code;
      free_t_sum -= t[i];
      fixed_sum += lo[i];
      --n_free;
    }
    prev = p;
  }
  if (!found) mu = prev;  // only reachable through rounding: S(last breakpoint) = sum lo < capacity
  for (std::ptrdiff_t i = 0; i < n_knapsack; ++i) x[i] = clamp(t[i] - mu, lo[i], hi[i]);
  return mu;
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
    // KKT of (31): x = v + nu 1 on the free entries, nu <= 0 when the upper bound (31a) is
    // active, nu >= 0 when the power bound (31b) is (32)-(35).
    double shift = 0.0;
    if (n_free > 0) {
      if (total > 1.0) shift = (1.0 - total) / static_cast<double>(n_free);
      else if (total < lower[k]) shift = (lower[k] - total) / static_cast<double>(n_free);
    }
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
  for (std::ptrdiff_t k = 0; k < K; ++k) st.lower[k] = in.min_offload[k] > 0.0 ? in.min_offload[k] : -kInf;
  st.refresh_free();
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
      st.lo_a[i] = st.hi_a[i] = st.a[i] = st.omega[i] = va;
      st.lo_b[i] = st.hi_b[i] = st.b[i] = st.varpi[i] = vb;
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
    std::sort(cands.begin(), cands.end(), [](const Candidate& x, const Candidate& y) {
      if (x.value != y.value) return x.value > y.value;
      if (x.k != y.k) return x.k < y.k;
      return x.m < y.m;
    });
    const bool integral = cands.front().value >= 1.0 - kIntegralGap;
    std::ptrdiff_t fixed = 0;
    for (const Candidate& c : cands) {
      if (mode[c.k] != kUndecided) continue;
      if (integral && c.value < 1.0 - kIntegralGap) break;
      if (!fits(c.k, c.m)) continue;
      hold(c.k, c.m);
      ++fixed;
      if (!integral) break;  // inflation: one (the largest) at a time
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
    st.refresh_free();
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
        for (std::ptrdiff_t j = 0; j < K; ++j) {
          const int mj = mode[j];
          if (mj == l || stuck[j] || !available(j, l)) continue;
          double best_alt_cost = kInf;
          int best_alt = l;
          for (int m = -1; m < n_modes; ++m) {
            if (m == l || !available(i, m)) continue;
            if (m >= 0 && m < L && m != mj && used[m] + 1.0 > cap_int[m]) continue;
            if (mode_cost(i, m) < best_alt_cost) {
              best_alt_cost = mode_cost(i, m);
              best_alt = m;
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
