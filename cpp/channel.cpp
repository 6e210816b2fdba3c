#include "channel.hpp"

#include <algorithm>

namespace pyiscc {

namespace {
using ConstCMapRM = Eigen::Map<const CMatrixRM>;
using ConstCVecMap = Eigen::Map<const CVector>;

// fn(i) for i in [0, n): on the pool's workers when one is given, else in order.
template <class Fn>
void for_each_index(ThreadPool* pool, std::ptrdiff_t n, Fn&& fn) {
  if (pool) {
    pool->run(n, [&fn](std::ptrdiff_t i) { fn(i); });
  } else {
    for (std::ptrdiff_t i = 0; i < n; ++i) fn(i);
  }
}
}  // namespace

void effective_channels(const cdouble* H, const cdouble* w, const Dims& d, cdouble* g, ThreadPool* pool) {
  const std::ptrdiff_t block = d.N * d.M;
  for_each_index(pool, d.L, [&](std::ptrdiff_t l) {
    for (std::ptrdiff_t k = 0; k < d.K; ++k) {
      ConstCMapRM Hlk(H + (l * d.K + k) * block, d.N, d.M);
      ConstCVecMap wk(w + k * d.N, d.N);
      Eigen::Map<CVector>(g + (l * d.K + k) * d.M, d.M).noalias() = Hlk.adjoint() * wk;
    }
  });
}

namespace {
// Cholesky factor of F_l = G G^H + noise I for BS l, G = [g_l0 ... g_l,K-1] (M x K): F holds L in
// its lower triangle on return.  Eigen 3.4's in-place kernel is the one LLT::compute runs, minus
// the matrix l1 norm LLT computes for rcond() (M^2 complex |.| = hypot calls per factorisation,
// ~3 % of a default solve, never used here): the same factor to the bit.
void factor_covariance(const cdouble* g_l, const Dims& d, double noise_power, CMatrix& G, CMatrix& F) {
  // g_l is K x M row-major, i.e. G (M x K) column-major.
  G = Eigen::Map<const CMatrix>(g_l, d.M, d.K);
  F = CMatrix::Identity(d.M, d.M) * noise_power;
  F.selfadjointView<Eigen::Lower>().rankUpdate(G);
#if EIGEN_VERSION_AT_LEAST(3, 4, 0) && !EIGEN_VERSION_AT_LEAST(3, 5, 0)
  const bool ok = Eigen::internal::llt_inplace<cdouble, Eigen::Lower>::blocked(F) == -1;
#else
  Eigen::LLT<CMatrix> llt(F);
  const bool ok = llt.info() == Eigen::Success;
  if (ok) F = llt.matrixLLT();
#endif
  if (!ok) throw std::domain_error("noise_power: covariance F_l is not positive definite");
}
}  // namespace

void uplink_sinr(const cdouble* g, const Dims& d, double noise_power, double* sinr) {
  uplink_sinr_receivers(g, d, noise_power, nullptr, sinr, nullptr);
}

void uplink_sinr_receivers(const cdouble* g, const Dims& d, double noise_power,
                           const std::int64_t* serving, double* sinr, cdouble* u, ThreadPool* pool) {
  require(noise_power > 0.0, "noise_power: must be > 0");
  if (serving) {
    for (std::ptrdiff_t k = 0; k < d.K; ++k)
      require(serving[k] >= -1 && serving[k] < d.L, "serving: BS index out of range");
    std::fill(u, u + d.K * d.M, cdouble(0.0));
  }
  for_each_index(pool, d.L, [&](std::ptrdiff_t l) {
    CMatrix G, F;
    factor_covariance(g + l * d.K * d.M, d, noise_power, G, F);
    F.triangularView<Eigen::Lower>().solveInPlace(G);  // G <- L^{-1} G: whitened columns
    for (std::ptrdiff_t k = 0; k < d.K; ++k) {
      // s = g^H F^{-1} g in [0, 1).  1 - s cancels at high SINR: the relative error of the SINR
      // is ~eps * SINR (1e-11 at 50 dB), that of the rate smaller by ln(1 + SINR).  A
      // rank-one Cholesky downdate of F to D_lk was measured to gain only a small constant
      // factor (the information is lost in F itself) at 3x the cost, so it is not used.
      const double s = G.col(k).squaredNorm();
      sinr[l * d.K + k] = s / (1.0 - s);
      if (!serving || serving[k] != l) continue;
      Eigen::Map<CVector> uk(u + k * d.M, d.M);
      uk = G.col(k);
      F.adjoint().triangularView<Eigen::Upper>().solveInPlace(uk);  // u_k = L^{-H} L^{-1} g_lk = F_l^{-1} g_lk
    }
  });
}

void mmse_receivers(const cdouble* g, const Dims& d, double noise_power, const std::int64_t* serving,
                    cdouble* u, double* mse) {
  require(noise_power > 0.0, "noise_power: must be > 0");
  for (std::ptrdiff_t k = 0; k < d.K; ++k)
    require(serving[k] >= -1 && serving[k] < d.L, "serving: BS index out of range");
  std::fill(u, u + d.K * d.M, cdouble(0.0));
  std::fill(mse, mse + d.K, 1.0);
  CMatrix G, F;
  for (std::ptrdiff_t l = 0; l < d.L; ++l) {
    bool any = false;
    for (std::ptrdiff_t k = 0; k < d.K; ++k) any = any || serving[k] == l;
    if (!any) continue;
    factor_covariance(g + l * d.K * d.M, d, noise_power, G, F);
    for (std::ptrdiff_t k = 0; k < d.K; ++k) {
      if (serving[k] != l) continue;
      Eigen::Map<CVector> uk(u + k * d.M, d.M);
      uk = G.col(k);  // LLT::solve's operations: L^{-1}, then L^{-H}
      F.triangularView<Eigen::Lower>().solveInPlace(uk);
      F.adjoint().triangularView<Eigen::Upper>().solveInPlace(uk);
      mse[k] = 1.0 - std::real(G.col(k).dot(uk));
    }
  }
}

void interference_matrix(const cdouble* HI, const cdouble* w, const Dims& d, double* interference,
                         ThreadPool* pool) {
  const std::ptrdiff_t block = d.N * d.N;
  for_each_index(pool, d.K, [&](std::ptrdiff_t k) {
    // One buffer per victim for the products (the expression's own temporary is a heap
    // allocation per pair); the same product kernel, so the same bits.
    CVector y(d.N);
    for (std::ptrdiff_t j = 0; j < d.K; ++j) {
      if (j == k) {
        interference[k * d.K + j] = 0.0;
        continue;
      }
      ConstCMapRM HIkj(HI + (k * d.K + j) * block, d.N, d.N);
      ConstCVecMap wj(w + j * d.N, d.N);
      y.noalias() = HIkj * wj;
      interference[k * d.K + j] = y.squaredNorm();
    }
  });
}

void echo_sinr(const cdouble* steering, const cdouble* w, const double* echo_gain,
               const double* interference, const Dims& d, double noise_power, double* gamma) {
  require(noise_power > 0.0, "noise_power: must be > 0");
  for (std::ptrdiff_t k = 0; k < d.K; ++k) {
    ConstCVecMap ak(steering + k * d.N, d.N);
    ConstCVecMap wk(w + k * d.N, d.N);
    const double beam = std::norm(ak.dot(wk));  // |a^H w|^2 (dot conjugates its left side)
    double denom = noise_power;
    for (std::ptrdiff_t j = 0; j < d.K; ++j) denom += interference[k * d.K + j];
    gamma[k] = echo_gain[k] * beam / denom;
  }
}

}  // namespace pyiscc
