#include "beamforming.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "channel.hpp"
#include "evaluate.hpp"
#include "qcqp/ball.hpp"
#include "thread_pool.hpp"

namespace pyiscc {

namespace {

using ConstCMapRM = Eigen::Map<const CMatrixRM>;
using ConstCVecMap = Eigen::Map<const CVector>;

// Real form of a Hermitian Q for x = [Re w; Im w]: w^H Q w = x^T [[Re Q, -Im Q], [Im Q, Re Q]] x.
void real_form(const CMatrix& Q, double scale, RMatrix& out) {
  const std::ptrdiff_t N = Q.rows();
  out.resize(2 * N, 2 * N);
  out.topLeftCorner(N, N) = scale * Q.real();
  out.bottomRightCorner(N, N) = scale * Q.real();
  out.bottomLeftCorner(N, N) = scale * Q.imag();
  out.topRightCorner(N, N) = -scale * Q.imag();
}

// [Re v; Im v] * scale.
RVector real_vec(const CVector& v, double scale) {
  RVector out(2 * v.size());
  out.head(v.size()) = scale * v.real();
  out.tail(v.size()) = scale * v.imag();
  return out;
}

// Everything one Jacobi iteration shares: FP weights (41), MMSE receivers (46), WMMSE weights
// (49) and the interference caps Upsilon (58) of the current iterate, and its objective (39)
// (computed exactly as upload_latency does, from the same SINRs).
struct IterationState {
  std::vector<double> alpha, V, interference, sinr;
  std::vector<double> upsilon;  // caps (K,K) of the slack rule; empty: the paper's (58)
  std::vector<cdouble> u, g;  // u (K,M), g (L,K,M)
  double objective = 0.0;
};

// The uplink part of the state: channels, SINRs, receivers, FP/WMMSE weights and (39).
void uplink_state(const BeamformingInput& in, const cdouble* w, IterationState& st,
                  ThreadPool* pool = nullptr) {
  const Dims& d = in.dims;
  const auto K = static_cast<std::size_t>(d.K);
  st.g.resize(static_cast<std::size_t>(d.L * d.K * d.M));
  st.sinr.resize(static_cast<std::size_t>(d.L * d.K));
  effective_channels(in.H, w, d, st.g.data(), pool);
  st.u.resize(K * static_cast<std::size_t>(d.M));
  uplink_sinr_receivers(st.g.data(), d, in.noise_power, in.serving, st.sinr.data(), st.u.data(), pool);
  st.alpha.assign(K, 0.0);
  st.V.assign(K, 1.0);
  const double scale = in.bandwidth_hz / std::log(2.0);
  double total = 0.0;
  for (std::ptrdiff_t k = 0; k < d.K; ++k) {
    const std::int64_t l = in.serving[k];
    if (l < 0) continue;
    const double s = st.sinr[static_cast<std::size_t>(l * d.K + k)];
    const double rate = scale * std::log1p(s);
    st.alpha[static_cast<std::size_t>(k)] = in.task_bits[k] / (rate * rate);
    // V = 1 / mse = 1 + sinr for the MMSE receiver; 1 + sinr avoids the cancellation in 1 - s.
    st.V[static_cast<std::size_t>(k)] = 1.0 + s;
    total += rate > 0.0 ? in.task_bits[k] / rate : std::numeric_limits<double>::infinity();
  }
  st.objective = total;
}

// pool (optional): the kernels' work split over its workers (the same bits for any count).
void iteration_state(const BeamformingInput& in, const cdouble* w, IterationState& st,
                     ThreadPool* pool = nullptr) {
  uplink_state(in, w, st, pool);
  const auto K = static_cast<std::size_t>(in.dims.K);
  st.interference.resize(K * K);
  interference_matrix(in.HI, w, in.dims, st.interference.data(), pool);
}

// Normalised sensing margin (gain |a^H w|^2 - Gamma (I_k + sigma^2)) / (Gamma sigma^2) of every
// terminal, from the interference matrix I (K,K) of w.
void margins_from(const BeamformingInput& in, const cdouble* w, const double* I, double* out) {
  const Dims& d = in.dims;
  const double unit = in.sensing_sinr * in.noise_power;
  for (std::ptrdiff_t k = 0; k < d.K; ++k) {
    double caused = in.noise_power;
    for (std::ptrdiff_t j = 0; j < d.K; ++j) caused += I[k * d.K + j];
    const double beam = std::norm(ConstCVecMap(in.steering + k * d.N, d.N).dot(ConstCVecMap(w + k * d.N, d.N)));
    out[k] = (in.echo_gain[k] * beam - in.sensing_sinr * caused) / unit;
  }
}

// Largest interference ||HI[k,j] w_j||^2 any beam within its budget can cause, bounded by
// P-bar_j ||HI[k,j]||_F^2, (K,K) row = victim: a cap above it is never active.
std::vector<double> interference_limits(const BeamformingInput& in) {
  const Dims& d = in.dims;
  std::vector<double> lim(static_cast<std::size_t>(d.K * d.K), 0.0);
  for (std::ptrdiff_t k = 0; k < d.K; ++k)
    for (std::ptrdiff_t j = 0; j < d.K; ++j)
      if (j != k)
        lim[static_cast<std::size_t>(k * d.K + j)] =
            in.power_budget[j] * ConstCMapRM(in.HI + (k * d.K + j) * d.N * d.N, d.N, d.N).squaredNorm();
  return lim;
}

// The slack rule for the caps: victim k tolerates the total interference
// S_k = gain_k |a_k^H w~_k|^2 / Gamma - sigma^2 at its current beam; of its slack S_k - sum_j I_kj
// a share `share` is handed to the interferers, 90 % in proportion to the interference they cause
// now and 10 % equally (so a silent interferer, I_kj = 0, is not held at zero for ever):
// Upsilon_kj = min(I_kj + share slack_k part_kj, limit_kj), sum_j part_kj = 1.
// Lemma 2 still holds: w~_k meets its own sensing row with sum_j Upsilon_kj <= S_k, every w_j
// meets its caps, and the linearisation under-estimates |a^H w|^2.  With Gamma = 0 the caps are
// the limits (no sensing constraint to protect).
void slack_caps(const BeamformingInput& in, const cdouble* w, const std::vector<double>& limit,
                double share, IterationState& st) {
  const Dims& d = in.dims;
  const auto K = static_cast<std::size_t>(d.K);
  st.upsilon.assign(K * K, 0.0);
  for (std::ptrdiff_t k = 0; k < d.K; ++k) {
    const std::size_t row = static_cast<std::size_t>(k) * K;
    double caused = 0.0;
    for (std::size_t j = 0; j < K; ++j) caused += st.interference[row + j];
    double slack = std::numeric_limits<double>::infinity();
    if (in.sensing_sinr > 0.0) {
      const double beam = std::norm(ConstCVecMap(in.steering + k * d.N, d.N).dot(ConstCVecMap(w + k * d.N, d.N)));
      slack = std::max(0.0, in.echo_gain[k] * beam / in.sensing_sinr - in.noise_power - caused);
    }
    const double others = static_cast<double>(std::max<std::ptrdiff_t>(d.K - 1, 1));
    for (std::size_t j = 0; j < K; ++j) {
      if (j == static_cast<std::size_t>(k)) continue;
      const double I = st.interference[row + j];
      const double part = caused > 0.0 ? 0.9 * I / caused + 0.1 / others : 1.0 / others;
      const double extra = std::isinf(slack) ? limit[row + j] : share * slack * part;
      st.upsilon[row + j] = std::max(I, std::min(I + extra, limit[row + j]));
    }
  }
}

// The caps of terminal k's sub-problem (56): every j != k whose HI[j,k] is nonzero (a zero
// channel causes no interference, so its cap can never bind).
std::vector<std::ptrdiff_t> nonzero_caps(const BeamformingInput& in, std::ptrdiff_t k) {
  const Dims& d = in.dims;
  std::vector<std::ptrdiff_t> caps;
  for (std::ptrdiff_t j = 0; j < d.K; ++j) {
    if (j == k) continue;
    ConstCMapRM HIjk(in.HI + (j * d.K + k) * d.N * d.N, d.N, d.N);
    if (!HIjk.isZero(0.0)) caps.push_back(j);
  }
  return caps;
}

// The parts of sub-problem (56) that do not change across iterations, with the caps `rows`
// (row t + 1 is the cap of victim rows[t]): the power budget A_0 = I and the caps
// A = p_k R(HI[j,k]^H HI[j,k]) (real form).  Filled once per run; when a working set grows, pr
// already holds the caps rows[0..first) and only the new ones are built.  Each iteration only
// rewrites P, q, c and the sensing row of b.
void subproblem_template(const BeamformingInput& in, std::ptrdiff_t k,
                         const std::vector<std::ptrdiff_t>& rows, QcqpProblem& pr,
                         std::size_t first = 0) {
  const Dims& d = in.dims;
  const std::ptrdiff_t N = d.N, n = 2 * N;
  const double p = in.power_budget[k];
  const std::ptrdiff_t m = 2 + static_cast<std::ptrdiff_t>(rows.size());
  pr.A.resize(static_cast<std::size_t>(m));  // keeps the power row and the caps before `first`
  pr.B = RMatrix::Zero(m, n);
  pr.c.resize(m);
  // Power budget (40a): ||w_k||^2 <= P-bar_k, i.e. ||y||^2 <= 1.
  if (first == 0) pr.A[0] = RMatrix::Identity(n, n);
  pr.c[0] = 1.0;
  // Interference caps (56a): ||HI[j,k] w_k||^2 <= Upsilon_jk.
  for (std::size_t t = first; t < rows.size(); ++t) {
    ConstCMapRM HIjk(in.HI + (rows[t] * d.K + k) * N * N, N, N);
    const CMatrix G = HIjk.adjoint() * HIjk;
    real_form(G, p, pr.A[t + 1]);
  }
  pr.A[static_cast<std::size_t>(m - 1)].resize(0, 0);  // linear sensing constraint
}

// The caps Upsilon (K,K), row = victim: the slack rule's, or the paper's (58) (the interference).
const std::vector<double>& current_caps(const IterationState& st) {
  return st.upsilon.empty() ? st.interference : st.upsilon;
}

// Sub-problem (56) of terminal k at iterate w into pr, which holds subproblem_template(k).
void fill_subproblem(const BeamformingInput& in, const IterationState& st, const cdouble* w,
                     std::ptrdiff_t k, const std::vector<std::ptrdiff_t>& caps, QcqpProblem& pr,
                     double tau = 1.0) {
  const Dims& d = in.dims;
  const std::ptrdiff_t N = d.N, M = d.M;
  const double p = in.power_budget[k];
  const double sp = std::sqrt(p);
  const auto uk = static_cast<std::size_t>(k);

  // Objective (52)/(56): 2 alpha_k V_k Re(u_k^H H_{l(k)k}^H w_k) - w_k^H Q_k w_k.
  // Q_k = sum_i weight_i v_i v_i^H = S S^H with the columns sqrt(weight_i) v_i, v_i = H[l(i),k] u_i
  // (one product instead of K rank-one updates; weight_i = alpha_i V_i >= 0).
  CMatrix S(N, d.K);
  CVector h = CVector::Zero(N);
  std::ptrdiff_t cols = 0;
  for (std::ptrdiff_t i = 0; i < d.K; ++i) {
    const std::int64_t l = in.serving[i];
    if (l < 0) continue;
    ConstCMapRM Hlk(in.H + (l * d.K + k) * N * M, N, M);
    ConstCVecMap ui(st.u.data() + i * M, M);
    const double weight = st.alpha[static_cast<std::size_t>(i)] * st.V[static_cast<std::size_t>(i)];
    auto v = S.col(cols++);
    v.noalias() = Hlk * ui;
    if (i == k) h = (2.0 * weight) * v;
    v *= std::sqrt(weight);
  }
  CMatrix Q(N, N);
  Q.noalias() = S.leftCols(cols) * S.leftCols(cols).adjoint();
  Q = 0.5 * (Q + Q.adjoint()).eval();  // exactly Hermitian, so the real form is symmetric

  real_form(Q, p, pr.P);
  pr.q = real_vec(h, sp);
  if (tau != 1.0) {
    // maximise q'^T y - y^T (P / tau) y with q' = q - 2 (1 - 1/tau) P y~: the same gradient at
    // the current scaled beam y~, tau times less curvature.
    const RVector yt = real_vec(ConstCVecMap(w + k * N, N), 1.0 / sp);
    pr.q.noalias() -= (2.0 * (1.0 - 1.0 / tau)) * (pr.P * yt);
    pr.P /= tau;
  }

  const std::ptrdiff_t m = pr.m();
  const std::vector<double>& cap = current_caps(st);
  for (std::size_t t = 0; t < caps.size(); ++t)
    pr.c[static_cast<std::ptrdiff_t>(t) + 1] = cap[static_cast<std::size_t>(caps[t] * d.K + k)];
  // Linearised sensing (55) around w~_k with G_p zeta^2 (resolution 3):
  // gain (2 Re(conj(beta) a^H w) - |beta|^2) >= Gamma (sum_j Upsilon_kj + sigma^2), beta = a^H w~.
  ConstCVecMap a(in.steering + k * N, N);
  ConstCVecMap wt(w + k * N, N);
  const cdouble beta = a.dot(wt);  // a^H w~
  double caused = in.noise_power;
  for (std::ptrdiff_t j = 0; j < d.K; ++j) caused += cap[uk * static_cast<std::size_t>(d.K) + static_cast<std::size_t>(j)];
  const double gain = in.echo_gain[k];
  pr.B.row(m - 1) = real_vec(a * beta, -2.0 * gain * sp).transpose();
  pr.c[m - 1] = -(in.sensing_sinr * caused + gain * std::norm(beta));
}

// Real scaled start of terminal k: [Re w_k; Im w_k] / sqrt(P-bar_k).
RVector scaled_start(const BeamformingInput& in, const cdouble* w, std::ptrdiff_t k) {
  return real_vec(ConstCVecMap(w + k * in.dims.N, in.dims.N), 1.0 / std::sqrt(in.power_budget[k]));
}

// Beam w_k = sqrt(P-bar_k) (y_re + i y_im) of the real scaled y into out[0..N).
void unscale(const BeamformingInput& in, const RVector& y, std::ptrdiff_t k, cdouble* out) {
  const std::ptrdiff_t N = in.dims.N;
  const double sp = std::sqrt(in.power_budget[k]);
  for (std::ptrdiff_t n = 0; n < N; ++n) out[n] = sp * cdouble(y[n], y[N + n]);
}

void write_back(const BeamformingInput& in, const RVector& y, std::ptrdiff_t k, cdouble* w) {
  unscale(in, y, k, w + k * in.dims.N);
}

// Counters of the working-set sub-problems (BeamformingResult::working_set_*).
struct WorkingSetStats {
  long solves = 0;     // interior-point solves of a working-set sub-problem
  long rows = 0;       // caps carried, summed over those solves
  long max_rows = 0;   // the most caps any of them carried
  long additions = 0;  // caps added to a working set because a solution violated them

  void merge(const WorkingSetStats& o) {
    solves += o.solves, rows += o.rows, additions += o.additions;
    max_rows = std::max(max_rows, o.max_rows);
  }
};

// One Algorithm-2 run's reusable state: the sub-problem of every terminal (templates filled once),
// one QCQP workspace and result per worker thread.
//
// Working sets (slack rule, BeamformingSettings::working_set): terminal k's sub-problem carries
// only the caps in its working set, empty at the start.  Every solution, of the power-only
// shortcut or of the interior-point method, is checked against every cap outside it (one
// product HI[j,k] w_k each, in original units); the violated caps join the set for good and the
// sub-problem is solved again from the same start.  A solution of the relaxed problem that meets
// every cap is the optimum of the whole problem (the relaxation's optimum is feasible for it), so
// the step is the all-caps step up to the solver's tolerance, while a sub-problem at K = 1000 keeps
// a handful of its 999 caps.  The cap matrices exist only for the caps in a working set.
class Stepper {
 public:
  // limit: interference_limits(in) (read by the working sets' check; must outlive the Stepper).
  // pool: the run's threads (its worker count is the number of groups).
  Stepper(const BeamformingInput& in, ThreadPool& pool, bool fast, bool working_set,
          const std::vector<double>* limit)
      : in_(in),
        limit_(limit),
        fast_(fast),
        working_set_(working_set),
        nworkers_(pool.workers()),
        problems_(static_cast<std::size_t>(in.dims.K)),
        caps_(static_cast<std::size_t>(in.dims.K)),
        rows_(static_cast<std::size_t>(in.dims.K)),
        member_(working_set ? static_cast<std::size_t>(in.dims.K * in.dims.K) : 0, 0),
        workspaces_(static_cast<std::size_t>(nworkers_)),
        results_(static_cast<std::size_t>(nworkers_)),
        ball_(static_cast<std::size_t>(nworkers_)),
        stats_(static_cast<std::size_t>(nworkers_)),
        failed_(static_cast<std::size_t>(in.dims.K), 0),
        shortcut_(static_cast<std::size_t>(in.dims.K), 0),
        pool_(pool) {
    // The templates (all caps: K - 1 cap matrices per terminal, O(K^2 N^3) work, O(K^2 N^2)
    // memory) are built by the worker that will solve the terminal's sub-problems (each writes
    // only its own).
    on_workers([&](int t) {
      for (std::ptrdiff_t k = 0; k < in_.dims.K; ++k) {
        if (in_.group[k] % nworkers_ != t) continue;
        const auto uk = static_cast<std::size_t>(k);
        caps_[uk] = nonzero_caps(in_, k);
        if (!working_set_) rows_[uk] = caps_[uk];
        subproblem_template(in_, k, rows_[uk], problems_[uk]);
      }
    });
  }

  long shortcuts() const { return shortcuts_; }
  WorkingSetStats working_set_stats() const {
    WorkingSetStats total;
    for (const WorkingSetStats& s : stats_) total.merge(s);
    return total;
  }

  // Runs fn(t) for t = 0..workers-1, t = 0 on the calling thread, t on the pool's worker t.
  template <class Fn>
  void on_workers(Fn&& fn) {
    pool_.run(nworkers_, [&fn](std::ptrdiff_t t) { fn(static_cast<int>(t)); });
  }

  // A sub-problem that stalls at max_iter on a degenerate optimum (all caps active, sensing
  // nearly so) still returns a checked point; it replaces w~_k when it meets every constraint in
  // original units (so Lemma 2 keeps holding) and its objective is at least that of w~_k.
  static bool improves_feasibly(const QcqpProblem& p, const QcqpResult& res, const RVector& y0) {
    if (res.status != QcqpStatus::max_iter || res.x.size() != y0.size()) return false;
    if (!(res.primal_residual <= 1e-12)) return false;
    const double kept = p.q.dot(y0) - y0.dot(p.P * y0);
    return res.objective >= kept;
  }

  // One Jacobi iteration from w (state st) into w_next; returns the failed sub-problems.
  int step(const IterationState& st, const cdouble* w, const QcqpSettings& qcqp, cdouble* w_next,
           double tau = 1.0) {
    const Dims& d = in_.dims;
    std::copy(w, w + d.K * d.N, w_next);
    tau_ = tau;
    std::fill(failed_.begin(), failed_.end(), 0);
    std::fill(shortcut_.begin(), shortcut_.end(), 0);
    // Per-BS groups (the paper's distributed step): worker t owns the BSs l with l % workers == t.
    // Every sub-problem reads only the previous iterate (Jacobi) and solves with the worker's own
    // buffers (the answer does not depend on them), so the split changes nothing.
    auto run = [&](int t) {
      QcqpWorkspace& ws = workspaces_[static_cast<std::size_t>(t)];
      QcqpResult& res = results_[static_cast<std::size_t>(t)];
      WorkingSetStats& stats = stats_[static_cast<std::size_t>(t)];
      RVector y0;
      std::vector<std::ptrdiff_t> violated;
      BallOnlySolver& ball = ball_[static_cast<std::size_t>(t)];
      for (std::ptrdiff_t k = 0; k < d.K; ++k) {
        if (in_.group[k] % nworkers_ != t) continue;
        const auto uk = static_cast<std::size_t>(k);
        QcqpProblem& pr = problems_[uk];
        fill_subproblem(in_, st, w, k, rows_[uk], pr, tau_);
        if (fast_ && ball.solve(pr)) {
          if (meets_other_caps(st, k, ball.x(), violated)) {
            write_back(in_, ball.x(), k, w_next);
            shortcut_[uk] = 1;
            continue;
          }
          grow(st, w, k, violated, stats);
        }
        y0 = scaled_start(in_, w, k);
        for (;;) {
          if (working_set_) {
            ++stats.solves;
            stats.rows += static_cast<long>(rows_[uk].size());
            stats.max_rows = std::max(stats.max_rows, static_cast<long>(rows_[uk].size()));
          }
          solve_qcqp(pr, y0.data(), qcqp, ws, res);
          const bool usable = res.status == QcqpStatus::optimal || improves_feasibly(pr, res, y0);
          if (usable && !meets_other_caps(st, k, res.x, violated)) {
            grow(st, w, k, violated, stats);  // y0 meets every cap: the re-solve starts feasible
            continue;
          }
          if (usable) write_back(in_, res.x, k, w_next);
          if (res.status != QcqpStatus::optimal)
            failed_[uk] = 1;  // counted; w~_k kept unless the returned point is feasible and better
          break;
        }
      }
    };
    on_workers(run);  // the calling thread takes group 0
    int nfail = 0;
    for (int f : failed_) nfail += f;
    for (int f : shortcut_) shortcuts_ += f;
    return nfail;
  }

 private:
  // Working sets: whether the scaled beam y of terminal k meets every cap outside its working
  // set (always true without working sets: every cap is a row); the violated ones into `out`.
  bool meets_other_caps(const IterationState& st, std::ptrdiff_t k, const RVector& y,
                        std::vector<std::ptrdiff_t>& out) const {
    out.clear();
    if (!working_set_) return true;
    const Dims& d = in_.dims;
    const std::ptrdiff_t N = d.N;
    CVector wk(N), caused(N);
    unscale(in_, y, k, wk.data());
    const std::vector<double>& cap = current_caps(st);
    const char* member = member_.data() + k * d.K;
    // ||HI[j,k] w_k||^2 <= ||HI[j,k]||_F^2 ||w_k||^2 = ||y||^2 limit_jk (w_k = sqrt(P-bar_k) y):
    // a cap at or above that bound holds without the product (most caps of far victims).
    const double power = y.squaredNorm();
    for (std::ptrdiff_t j : caps_[static_cast<std::size_t>(k)]) {
      if (member[j]) continue;
      const auto jk = static_cast<std::size_t>(j * d.K + k);
      if (power * (*limit_)[jk] * (1.0 + 1e-12) <= cap[jk]) continue;
      ConstCMapRM HIjk(in_.HI + (j * d.K + k) * N * N, N, N);
      caused.noalias() = HIjk * wk;  // into a buffer: no allocation per product
      if (!(caused.squaredNorm() <= cap[jk])) out.push_back(j);
    }
    return out.empty();
  }

  // Adds the caps `add` to terminal k's working set and rebuilds its sub-problem.
  void grow(const IterationState& st, const cdouble* w, std::ptrdiff_t k,
            const std::vector<std::ptrdiff_t>& add, WorkingSetStats& stats) {
    const auto uk = static_cast<std::size_t>(k);
    const std::size_t first = rows_[uk].size();
    for (std::ptrdiff_t j : add) {
      member_[static_cast<std::size_t>(k * in_.dims.K + j)] = 1;
      rows_[uk].push_back(j);
    }
    stats.additions += static_cast<long>(add.size());
    subproblem_template(in_, k, rows_[uk], problems_[uk], first);  // builds only the new caps
    fill_subproblem(in_, st, w, k, rows_[uk], problems_[uk], tau_);
  }

  const BeamformingInput& in_;
  const std::vector<double>* limit_;  // interference_limits (K,K), row = victim
  bool fast_;         // the power-only fast path (slack rule only: the paper's rule stays bit for bit)
  bool working_set_;  // working-set sub-problems (slack rule only)
  int nworkers_;
  std::vector<QcqpProblem> problems_;
  std::vector<std::vector<std::ptrdiff_t>> caps_;  // every cap of terminal k (nonzero_caps)
  std::vector<std::vector<std::ptrdiff_t>> rows_;  // the caps its sub-problem carries
  std::vector<char> member_;                       // (K,K): j in terminal k's working set
  std::vector<QcqpWorkspace> workspaces_;
  std::vector<QcqpResult> results_;
  std::vector<BallOnlySolver> ball_;  // the power-only shortcut's buffers, one per worker
  std::vector<WorkingSetStats> stats_;  // one per worker
  std::vector<int> failed_;
  std::vector<int> shortcut_;  // solved by the power-only shortcut in the last step
  long shortcuts_ = 0;         // ... in every step so far
  double tau_ = 1.0;           // the curvature divisor of the current step
  ThreadPool& pool_;  // persistent through the run: a wake-up per step, no thread spawns
};

// Smallest normalised sensing margin and the per-terminal margins
// (gain |a^H w|^2 - Gamma (I_k + sigma^2)) / (Gamma sigma^2).
std::vector<double> sensing_margins(const BeamformingInput& in, const cdouble* w,
                                    ThreadPool* pool = nullptr) {
  const Dims& d = in.dims;
  const auto K = static_cast<std::size_t>(d.K);
  std::vector<double> I(K * K), out(K);
  interference_matrix(in.HI, w, d, I.data(), pool);
  margins_from(in, w, I.data(), out.data());
  return out;
}

// One SCA step of the feasibility phase: the joint problem over all K beams,
//   max t  s.t. ||y_k||^2 <= 1,  margin_k linearised at w (own beam) with exact interference >= t.
// Block-diagonal: K blocks of 2N (beam k), the tail t; the sensing rows couple the blocks only
// through their gradients.  The interference blocks sensing_sinr p_j R(HI[k,j]^H HI[k,j]) / unit
// do not depend on w: `caps` holds them (filled on the first call), and each SCA step rewrites
// only q, b and c.
//
// The variable is t / T, T the largest magnitude of the sensing rows' data (returned): the
// solver scales each row by its own magnitude, which would leave t with coefficients down to
// 1e-6 and steps in t of 1e9 (measured: 95 Newton steps, or a stall); t / T keeps them O(1).
double feasibility_problem(const BeamformingInput& in, const cdouble* w, BlockQcqpProblem& pr) {
  const Dims& d = in.dims;
  const std::ptrdiff_t N = d.N, K = d.K, nb = 2 * N, n = K * nb + 1, m = 2 * K;
  const double unit = in.sensing_sinr * in.noise_power;
  // A in the sparse form: the K power-ball blocks, then the K - 1 blocks of each sensing row.
  auto first_sensing_block = [K](std::ptrdiff_t k) { return K + k * (K - 1); };
  if (pr.blocks != K || pr.block_size != nb || pr.m() != m) {
    pr.block_size = nb;
    pr.blocks = K;
    pr.P.setZero(nb, K * nb);
    pr.P_tail.setZero(1, 1);
    pr.q.setZero(n);
    pr.q[n - 1] = 1.0;
    // A in the sparse form (A_index): the K power-ball blocks, then the K - 1 interference
    // blocks of each sensing row, K^2 blocks instead of the dense form's 2 K^2 (half of them zero:
    // 4 GB at K = 1000).
    pr.A.resize(nb, K * K * nb);
    pr.A_index.resize(static_cast<std::size_t>(K * K));
    pr.A_tail.setZero(1, m);
    pr.B.setZero(m, n);
    pr.c.resize(m);
    RMatrix block;
    for (std::ptrdiff_t k = 0; k < K; ++k) {
      pr.A.middleCols(k * nb, nb).setIdentity();  // ||y_k||^2 <= 1: block k of row k
      pr.A_index[static_cast<std::size_t>(k)] = k * K + k;
      pr.c[k] = 1.0;
      std::ptrdiff_t t = first_sensing_block(k);
      for (std::ptrdiff_t j = 0; j < K; ++j) {
        if (j == k) continue;
        ConstCMapRM HIkj(in.HI + (k * K + j) * N * N, N, N);
        real_form(HIkj.adjoint() * HIkj, in.sensing_sinr * in.power_budget[j] / unit, block);
        pr.A.middleCols(t * nb, nb) = block;
        pr.A_index[static_cast<std::size_t>(t)] = (K + k) * K + j;
        ++t;
      }
    }
  }
  for (std::ptrdiff_t k = 0; k < K; ++k) {
    ConstCVecMap a(in.steering + k * N, N);
    const cdouble beta = a.dot(ConstCVecMap(w + k * N, N));
    const double gain = in.echo_gain[k];
    pr.B.block(K + k, k * nb, 1, nb) =
        real_vec(a * beta, -2.0 * gain * std::sqrt(in.power_budget[k]) / unit).transpose();
    pr.c[K + k] = -(in.sensing_sinr * in.noise_power + gain * std::norm(beta)) / unit;
  }
  double T = 0.0;
  for (std::ptrdiff_t k = 0; k < K; ++k) {
    const std::ptrdiff_t i = K + k;
    T = std::max({T, std::abs(pr.c[i]), pr.B.row(i).head(n - 1).cwiseAbs().maxCoeff()});
    if (K > 1) T = std::max(T, pr.A.middleCols(first_sensing_block(k) * nb, (K - 1) * nb).cwiseAbs().maxCoeff());
  }
  T = T > 0.0 ? T : 1.0;
  pr.B.col(n - 1).tail(K).setConstant(T);
  return T;
}

// First curvature divisor of the scaled step (BeamformingSettings::curvature_max): the WMMSE
// surrogate's curvature exceeds that of the rate by about the uplink SINR, 30-50 dB at Table III.
constexpr double kCurvatureStart = 256.0;

// Extrapolation of the slack rule: the FP/WMMSE step is short at high uplink SINR (the
// surrogate's curvature) and points the same way iteration after iteration, so w + t (w_next - w)
// is tried for t in {2, 4, ..., 64} (each beam projected onto its power ball): the largest t at
// which every sensing margin stays >= 0 exactly and (39) keeps decreasing along the doubling
// sequence.  The search starts at the previous iteration's t (`hint`): doubling from there while
// it improves, halving while it fails, so a steady t costs one or two trials.  Every accepted
// point is checked in original units, so every iterate stays feasible.  st_next holds the state
// of w_next on entry and on return (a trial's state is the next iteration's state when it is
// accepted: nothing is evaluated twice); trial and kept are scratch.  Returns the accepted t.
double extrapolate(const BeamformingInput& in, const cdouble* w, IterationState& st_next,
                   CMatrixRM& w_next, double& hint, IterationState& trial_st, IterationState& kept_st,
                   ThreadPool& pool) {
  const Dims& d = in.dims;
  const Eigen::Map<const CMatrixRM> w_prev(w, d.K, d.N);
  const CMatrixRM step = w_next - w_prev;
  CMatrixRM trial(d.K, d.N), kept;
  std::vector<double> margin(static_cast<std::size_t>(d.K));
  const auto K = static_cast<std::size_t>(d.K);
  // Objective at t (inf when infeasible); trial_st: the state of the trial point when finite.
  auto value = [&](double t) {
    trial = w_prev + t * step;
    for (std::ptrdiff_t k = 0; k < d.K; ++k) {
      const double norm2 = trial.row(k).squaredNorm();
      if (norm2 > in.power_budget[k]) trial.row(k) *= std::sqrt(in.power_budget[k] / norm2);
    }
    trial_st.interference.resize(K * K);
    interference_matrix(in.HI, trial.data(), d, trial_st.interference.data(), &pool);
    if (in.sensing_sinr > 0.0) {
      margins_from(in, trial.data(), trial_st.interference.data(), margin.data());
      if (*std::min_element(margin.begin(), margin.end()) < 0.0)
        return std::numeric_limits<double>::infinity();
    }
    uplink_state(in, trial.data(), trial_st, &pool);
    return trial_st.objective;
  };
  auto keep = [&]() {
    kept = trial;
    std::swap(kept_st, trial_st);
  };
  double best = st_next.objective, t_best = 1.0;
  double t = std::min(64.0, std::max(2.0, hint));
  double obj = value(t);
  if (obj < best) {
    best = obj, t_best = t;
    keep();
    for (t *= 2.0; t <= 64.0; t *= 2.0) {
      obj = value(t);
      if (!(obj < best)) break;
      best = obj, t_best = t;
      keep();
    }
  } else {
    for (t *= 0.5; t >= 2.0; t *= 0.5) {
      obj = value(t);
      if (obj < best) {
        best = obj, t_best = t;
        keep();
        break;
      }
    }
  }
  hint = t_best;
  if (t_best > 1.0) {
    w_next = kept;
    std::swap(st_next, kept_st);
  }
  return t_best;
}

bool power_ok(const BeamformingInput& in, const cdouble* w) {
  for (std::ptrdiff_t k = 0; k < in.dims.K; ++k)
    if (ConstCVecMap(w + k * in.dims.N, in.dims.N).squaredNorm() > in.power_budget[k] * (1.0 + 1e-9))
      return false;
  return true;
}

void check_input(const BeamformingInput& in) {
  const Dims& d = in.dims;
  require(d.L >= 1 && d.K >= 1 && d.N >= 1 && d.M >= 1, "H: every dimension must be >= 1");
  require(in.noise_power > 0.0 && std::isfinite(in.noise_power), "noise_power: must be finite and > 0");
  require(in.sensing_sinr >= 0.0 && std::isfinite(in.sensing_sinr), "sensing_sinr: must be finite and >= 0");
  require(in.bandwidth_hz > 0.0 && std::isfinite(in.bandwidth_hz), "bandwidth_hz: must be finite and > 0");
  for (std::ptrdiff_t k = 0; k < d.K; ++k) {
    require(in.serving[k] >= -1 && in.serving[k] < d.L, "serving: BS index out of range");
    require(in.group[k] >= 0 && in.group[k] < d.L, "group: BS index out of range");
    require(in.power_budget[k] > 0.0 && std::isfinite(in.power_budget[k]),
            "power_budget: must be finite and > 0 everywhere");
  }
}

}  // namespace

const char* status_name(BeamformingStatus s) {
  switch (s) {
    case BeamformingStatus::converged: return "converged";
    case BeamformingStatus::max_iter: return "max_iter";
    case BeamformingStatus::infeasible: return "infeasible";
  }
  return "unknown";
}

double upload_latency(const BeamformingInput& in, const cdouble* w) {
  check_input(in);
  check_finite(w, in.dims.K * in.dims.N, "w");
  const Dims& d = in.dims;
  std::vector<cdouble> g(static_cast<std::size_t>(d.L * d.K * d.M));
  std::vector<double> sinr(static_cast<std::size_t>(d.L * d.K));
  effective_channels(in.H, w, d, g.data());
  uplink_sinr(g.data(), d, in.noise_power, sinr.data());
  const double scale = in.bandwidth_hz / std::log(2.0);
  double total = 0.0;
  for (std::ptrdiff_t k = 0; k < d.K; ++k) {
    const std::int64_t l = in.serving[k];
    if (l < 0) continue;
    const double rate = scale * std::log1p(sinr[static_cast<std::size_t>(l * d.K + k)]);
    total += rate > 0.0 ? in.task_bits[k] / rate : std::numeric_limits<double>::infinity();
  }
  return total;
}

double sensing_blend(const BeamformingInput& in, const cdouble* w0, const cdouble* mrs,
                     int halvings, cdouble* w) {
  check_input(in);
  require(halvings >= 0 && halvings <= 30, "halvings: must be in [0, 30]");
  const Dims& d = in.dims;
  const std::ptrdiff_t K = d.K, N = d.N;
  check_finite(w0, K * N, "w0");
  check_finite(mrs, K * N, "mrs");
  CMatrixRM d0(K, N), d1(K, N);
  std::vector<double> norm0(static_cast<std::size_t>(K)), root(static_cast<std::size_t>(K));
  for (std::ptrdiff_t k = 0; k < K; ++k) {
    const auto uk = static_cast<std::size_t>(k);
    ConstCVecMap w0k(w0 + k * N, N), mk(mrs + k * N, N);
    root[uk] = std::sqrt(in.power_budget[k]);
    norm0[uk] = w0k.norm();
    d1.row(k) = mk.transpose() / root[uk];
    if (norm0[uk] == 0.0) {
      d0.row(k) = d1.row(k);
    } else {
      d0.row(k) = w0k.transpose() / norm0[uk];
    }
    const cdouble phase = d1.row(k).transpose().dot(d0.row(k).transpose());  // d1^H d0
    if (std::abs(phase) > 0.0) d1.row(k) *= phase / std::abs(phase);
  }
  auto blend = [&](double t, cdouble* out) {
    for (std::ptrdiff_t k = 0; k < K; ++k) {
      const auto uk = static_cast<std::size_t>(k);
      Eigen::Map<CVector> o(out + k * N, N);
      o = ((1.0 - t) * d0.row(k) + t * d1.row(k)).transpose();
      const double norm = o.norm();
      o *= ((1.0 - t) * norm0[uk] + t * root[uk]) / (norm > 0.0 ? norm : 1.0);
    }
  };
  // The products of the closed form: ||HI[k,j] d_j||^2 for d0 and d1 and their cross term, the
  // steering products a_k^H d and the Gram entries of d0_k, d1_k.
  const auto KK = static_cast<std::size_t>(K * K);
  std::vector<double> A(KK, 0.0), B(KK, 0.0), C(KK, 0.0);
  CVector x0(N), x1(N);
  for (std::ptrdiff_t k = 0; k < K; ++k)
    for (std::ptrdiff_t j = 0; j < K; ++j) {
      if (j == k) continue;
      ConstCMapRM HIkj(in.HI + (k * K + j) * N * N, N, N);
      x0.noalias() = HIkj * d0.row(j).transpose();
      x1.noalias() = HIkj * d1.row(j).transpose();
      const auto kj = static_cast<std::size_t>(k * K + j);
      A[kj] = x0.squaredNorm(), B[kj] = x1.squaredNorm(), C[kj] = x0.dot(x1).real();
    }
  std::vector<cdouble> s0(static_cast<std::size_t>(K)), s1(static_cast<std::size_t>(K));
  std::vector<double> g00(static_cast<std::size_t>(K)), g11(static_cast<std::size_t>(K)),
      g01(static_cast<std::size_t>(K)), alpha(static_cast<std::size_t>(K)),
      beta(static_cast<std::size_t>(K));
  for (std::ptrdiff_t k = 0; k < K; ++k) {
    const auto uk = static_cast<std::size_t>(k);
    ConstCVecMap a(in.steering + k * N, N);
    s0[uk] = a.dot(d0.row(k).transpose());
    s1[uk] = a.dot(d1.row(k).transpose());
    g00[uk] = d0.row(k).squaredNorm();
    g11[uk] = d1.row(k).squaredNorm();
    g01[uk] = d0.row(k).transpose().dot(d1.row(k).transpose()).real();  // Re d0^H d1
  }
  // (18e) at t in closed form, as margins_from: gain |a^H w_k|^2 >= Gamma (I_k + sigma^2).
  auto meets = [&](double t) {
    const double u = 1.0 - t;
    for (std::ptrdiff_t k = 0; k < K; ++k) {
      const auto uk = static_cast<std::size_t>(k);
      const double norm2 = u * u * g00[uk] + t * t * g11[uk] + 2.0 * u * t * g01[uk];
      const double norm = std::sqrt(std::max(norm2, 0.0));
      const double c = (u * norm0[uk] + t * root[uk]) / (norm > 0.0 ? norm : 1.0);
      alpha[uk] = c * u, beta[uk] = c * t;
    }
    for (std::ptrdiff_t k = 0; k < K; ++k) {
      const auto uk = static_cast<std::size_t>(k);
      double caused = in.noise_power;
      for (std::ptrdiff_t j = 0; j < K; ++j) {
        const auto kj = static_cast<std::size_t>(k * K + j);
        const auto uj = static_cast<std::size_t>(j);
        caused += alpha[uj] * alpha[uj] * A[kj] + beta[uj] * beta[uj] * B[kj] +
                  2.0 * alpha[uj] * beta[uj] * C[kj];
      }
      const double beam = std::norm(alpha[uk] * s0[uk] + beta[uk] * s1[uk]);
      if (in.echo_gain[k] * beam - in.sensing_sinr * caused < 0.0) return false;
    }
    return true;
  };
  double lo = 0.5, hi = 1.0;
  for (int i = -7; i < 0; ++i) {
    const double t = std::ldexp(1.0, i);
    if (meets(t)) {
      hi = t;
      lo = i == -7 ? 0.0 : 0.5 * t;
      break;
    }
  }
  std::vector<double> candidates;
  const int parts = 1 << halvings;
  for (int j = 1; j < parts; ++j) {
    const double t = lo + (hi - lo) * j / parts;
    if (meets(t)) candidates.push_back(t);
  }
  candidates.push_back(hi);
  for (double t : candidates) {
    if (t >= 1.0) break;
    blend(t, w);
    const std::vector<double> margin = sensing_margins(in, w);
    if (*std::min_element(margin.begin(), margin.end()) >= 0.0) return t;
  }
  std::copy(mrs, mrs + K * N, w);
  return 1.0;
}

QcqpProblem beamforming_subproblem(const BeamformingInput& in, const cdouble* w, std::ptrdiff_t k) {
  check_input(in);
  check_finite(w, in.dims.K * in.dims.N, "w");
  require(k >= 0 && k < in.dims.K, "k: terminal index out of range");
  IterationState st;
  iteration_state(in, w, st);
  QcqpProblem pr;
  const std::vector<std::ptrdiff_t> caps = nonzero_caps(in, k);
  subproblem_template(in, k, caps, pr);
  fill_subproblem(in, st, w, k, caps, pr);
  return pr;
}

BeamformingResult optimize_beamforming(const BeamformingInput& in, const cdouble* w0,
                                       const BeamformingSettings& settings) {
  const Dims& d = in.dims;
  check_input(in);
  require(settings.max_iter >= 0, "max_iter: must be >= 0");
  require(settings.tol >= 0.0, "tol: must be >= 0");
  require(settings.workers >= 1, "workers: must be >= 1");
  check_finite(w0, d.K * d.N, "w0");
  BeamformingResult res;
  CMatrixRM w = Eigen::Map<const CMatrixRM>(w0, d.K, d.N);
  require(power_ok(in, w.data()), "w0: violates the power budget (18d)");
  // The run's threads: the per-BS groups of sub-problems and the model evaluations.
  ThreadPool pool(std::max(1, std::min<int>(settings.workers, static_cast<int>(d.L))));

  // Feasibility phase: SCA on the smallest sensing margin, monotone because the linearisation
  // of |a^H w|^2 is a global under-estimator and the interference enters exactly.
  std::vector<double> margin = sensing_margins(in, w.data(), &pool);
  double worst = *std::min_element(margin.begin(), margin.end());
  if (worst < 0.0) {
    const std::ptrdiff_t nb = 2 * d.N, n = d.K * nb + 1;
    BlockQcqpProblem pr;
    // Its own workspace, freed with the problem when the phase ends (the per-thread one would
    // keep the scaled blocks, O(K^2 N^2), alive through all of Algorithm 2).
    QcqpWorkspace fws;
    QcqpResult sol;
    for (int it = 0; it < settings.feasibility_iter && worst < settings.feasibility_margin; ++it) {
      const double t_scale = feasibility_problem(in, w.data(), pr);
      RVector x0(n);
      for (std::ptrdiff_t k = 0; k < d.K; ++k) x0.segment(k * nb, nb) = scaled_start(in, w.data(), k);
      x0[n - 1] = (worst - 1.0) / t_scale;
      solve_qcqp(pr, x0.data(), settings.qcqp, fws, sol);
      res.feasibility_iterations = it + 1;
      if (sol.status != QcqpStatus::optimal) break;
      CMatrixRM w_new(d.K, d.N);
      for (std::ptrdiff_t k = 0; k < d.K; ++k) write_back(in, sol.x.segment(k * nb, nb), k, w_new.data());
      if (!power_ok(in, w_new.data())) break;
      std::vector<double> m_new = sensing_margins(in, w_new.data(), &pool);
      const double worst_new = *std::min_element(m_new.begin(), m_new.end());
      const bool stalled = worst_new - worst <= 1e-9 * std::max(1.0, std::abs(worst));
      const double gained = worst_new - worst;
      if (worst_new > worst) {
        w = w_new;
        margin = m_new;
        worst = worst_new;
      }
      if (stalled) break;
      // Past feasibility (feasibility_margin > 0) only while the margin still grows by 1 %.
      if (worst >= 0.0 && gained < 1e-2 * std::max(1.0, std::abs(worst))) break;
    }
    if (worst < 0.0) {
      res.w = w;
      res.status = BeamformingStatus::infeasible;
      for (std::ptrdiff_t k = 0; k < d.K; ++k)
        if (margin[static_cast<std::size_t>(k)] < 0.0) res.failing.push_back(k);
      res.objective = upload_latency(in, w.data());
      return res;
    }
  }

  IterationState st, st_next, st_trial, st_kept;
  iteration_state(in, w.data(), st, &pool);
  const std::vector<double> limit = settings.slack_caps ? interference_limits(in) : std::vector<double>();
  if (settings.slack_caps) slack_caps(in, w.data(), limit, settings.slack_share, st);
  double obj = st.objective;  // == upload_latency(in, w): the same SINRs, the same sum
  res.history.push_back(obj);
  if (settings.record_iterates) res.iterates.push_back(w);
  res.w = w;
  res.objective = obj;
  res.status = BeamformingStatus::max_iter;
  bool any_offloading = false;
  for (std::ptrdiff_t k = 0; k < d.K; ++k) any_offloading = any_offloading || in.serving[k] >= 0;
  if (!any_offloading) {  // (39) is an empty sum: every feasible w is optimal
    res.status = BeamformingStatus::converged;
    return res;
  }
  Stepper stepper(in, pool, settings.slack_caps && settings.power_only_fast_path,
                  settings.slack_caps && settings.working_set, &limit);
  CMatrixRM w_next(d.K, d.N);
  double t_hint = 2.0;  // the slack rule's extrapolation factor of the previous iteration
  // The scaled step (curvature_max > 1): the divisor tau of the surrogate's curvature starts at
  // curvature_start (kCurvatureStart unless given), doubles after every step that lowers (39)
  // and falls by 4 (the step redone from the same state) after one that does not, within
  // [1, curvature_max]; at tau = 1 the step is the surrogate's own.  No extrapolation then: a
  // step of the right length needs none.
  const bool scaled = settings.slack_caps && settings.curvature_max > 1.0;
  const double tau_start =
      settings.curvature_start > 0.0 ? settings.curvature_start : kCurvatureStart;
  double tau = scaled ? std::min(settings.curvature_max, tau_start) : 1.0;
  for (int it = 0; it < settings.max_iter; ++it) {
    for (;;) {
      res.subproblem_failures += stepper.step(st, w.data(), settings.qcqp, w_next.data(), tau);
      // The state of the new iterate gives its objective and serves the next iteration.
      iteration_state(in, w_next.data(), st_next, &pool);
      if (tau == 1.0 || st_next.objective < st.objective) break;
      ++res.rejected_steps;
      tau = std::max(1.0, 0.25 * tau);
    }
    if (scaled) tau = std::min(settings.curvature_max, 2.0 * tau);
    else if (settings.slack_caps) extrapolate(in, w.data(), st_next, w_next, t_hint, st_trial, st_kept, pool);
    if (settings.slack_caps) slack_caps(in, w_next.data(), limit, settings.slack_share, st_next);
    const double obj_next = st_next.objective;
    std::swap(st, st_next);
    res.history.push_back(obj_next);
    res.iterations = it + 1;
    w.swap(w_next);
    if (settings.record_iterates) res.iterates.push_back(w);
    if (obj_next < res.objective) {
      res.objective = obj_next;
      res.w = w;
    }
    const double decrease = (obj - obj_next) / obj;
    obj = obj_next;
    // Under the scaled step a small decrease while tau is below its largest value is not
    // convergence: the next step is longer (tau has just doubled).  Only a step at the largest
    // tau that barely lowers (39) ends the run.
    if (decrease < settings.tol && !(scaled && tau < settings.curvature_max)) {
      res.status = BeamformingStatus::converged;
      break;
    }
  }
  res.power_only_solves = stepper.shortcuts();
  const WorkingSetStats ws = stepper.working_set_stats();
  res.working_set_solves = ws.solves;
  res.working_set_rows = ws.rows;
  res.working_set_max_rows = ws.max_rows;
  res.working_set_additions = ws.additions;
  return res;
}

}  // namespace pyiscc
