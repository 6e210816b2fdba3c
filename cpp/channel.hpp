// Channel algebra of the system model (DESIGN.md section 1): uplink and echo quantities.
// Arrays are C-contiguous (row-major) buffers with the shapes of DESIGN.md section 1.  A kernel
// with a noise_power or serving argument checks it (std::invalid_argument naming it).
#pragma once

#include "common.hpp"
#include "thread_pool.hpp"

namespace pyiscc {

// g[l,k,:] = H[l,k]^H w_k, eq. (2).  H (L,K,N,M), w (K,N) -> g (L,K,M).
// pool (optional, here and below): the work split over its workers by BS (or by victim row), each
// output computed by the same operations as without it: the same bits for every worker count.
void effective_channels(const cdouble* H, const cdouble* w, const Dims& d, cdouble* g,
                        ThreadPool* pool = nullptr);

// Uplink SINR of every (l,k) pair with the MMSE receiver, eq. (3)-(4):
// sinr_lk = g_lk^H D_lk^{-1} g_lk, D_lk = sum_{i!=k} g_li g_li^H + noise I.
// Uses one Cholesky factor of F_l = D_lk + g_lk g_lk^H per BS and Sherman-Morrison
// (s = g^H F^{-1} g  =>  sinr = s / (1 - s)); no inverse is formed.  g (L,K,M) -> sinr (L,K).
void uplink_sinr(const cdouble* g, const Dims& d, double noise_power, double* sinr);

// uplink_sinr (all l, k) and the MMSE receivers u_k of mmse_receivers from one Cholesky factor of
// F_l per BS (Algorithm 2 needs both every iteration): sinr (L,K), u (K,M).  The receivers equal
// mmse_receivers' to rounding (L^{-H} applied to the whitened column instead of llt.solve).
// serving and u may both be nullptr: the SINRs only (uplink_sinr).
void uplink_sinr_receivers(const cdouble* g, const Dims& d, double noise_power,
                           const std::int64_t* serving, double* sinr, cdouble* u,
                           ThreadPool* pool = nullptr);

// MMSE receivers at the serving BS, eq. (46): u_k = F_l^{-1} g_lk (so the row receiver of the
// paper is u_k^H), and the MSE e_k = 1 - g_lk^H F_l^{-1} g_lk, eq. (47).
// serving[k] in [0, L) for every k, or -1 (then u_k = 0, e_k = 1).  u (K,M), mse (K,).
void mmse_receivers(const cdouble* g, const Dims& d, double noise_power, const std::int64_t* serving,
                    cdouble* u, double* mse);

// interference[k,j] = ||HI[k,j] w_j||^2 for j != k, 0 on the diagonal (denominator of eq. 8).
// HI (K,K,N,N), w (K,N) -> (K,K).
void interference_matrix(const cdouble* HI, const cdouble* w, const Dims& d, double* interference,
                         ThreadPool* pool = nullptr);

// Echo SINR, eq. (8) with resolutions 1-2: gamma_k = echo_gain_k |a_k^H w_k|^2 /
// (sum_j interference[k,j] + noise), echo_gain_k = G_p zeta_k^2 N.  steering (K,N) -> (K,).
void echo_sinr(const cdouble* steering, const cdouble* w, const double* echo_gain,
               const double* interference, const Dims& d, double noise_power, double* gamma);

}  // namespace pyiscc
