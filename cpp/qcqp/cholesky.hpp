// Dense linear algebra of the QCQP solver on plain column-major buffers: dot products, the
// in-place Cholesky factor and its triangular solves (the generic code path, any order; n = 16
// has register kernels in kernels16.hpp), and the one regularise-and-retry loop every Newton
// factorisation goes through (factor_with_retries).  Header-only: the callers inline them.
#pragma once

#include <cmath>
#include <cstddef>

#include "constants.hpp"

#if defined(__GNUC__) || defined(_MSC_VER)
#define PYISCC_RESTRICT __restrict
#else
#define PYISCC_RESTRICT
#endif

namespace pyiscc::qcqp_detail {
namespace {  // internal linkage in each translation unit, as for the rest of the solver's kernels

// a . b, even and odd entries in two running sums.
inline double dot(const double* PYISCC_RESTRICT a, const double* PYISCC_RESTRICT b, std::ptrdiff_t n) {
  double s0 = 0.0, s1 = 0.0;
  std::ptrdiff_t i = 0;
  for (; i + 1 < n; i += 2) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
  }
  double s = s0 + s1;
  if (i < n) s += a[i] * b[i];
  return s;
}

// y[k0..n) += f * a[k0..n).
inline void axpy_from(double* PYISCC_RESTRICT y, const double* PYISCC_RESTRICT a, double f,
                      std::ptrdiff_t k0, std::ptrdiff_t n) {
  for (std::ptrdiff_t k = k0; k < n; ++k) y[k] += f * a[k];
}

// In-place Cholesky of the lower triangle (column-major, right-looking); false if not PD.
[[maybe_unused]] bool cholesky_lower(double* L, std::ptrdiff_t n) {
  for (std::ptrdiff_t j = 0; j < n; ++j) {
    double* PYISCC_RESTRICT cj = L + j * n;
    const double d = cj[j];
    if (!(d > 0.0)) return false;
    const double ljj = std::sqrt(d);
    cj[j] = ljj;
    for (std::ptrdiff_t i = j + 1; i < n; ++i) cj[i] /= ljj;
    // Column c from row c on (the upper triangle is unused).
    for (std::ptrdiff_t c = j + 1; c < n; ++c) axpy_from(L + c * n, cj, -cj[c], c, n);
  }
  return true;
}

// x <- L^{-1} x with the factor of cholesky_lower.
inline void forward_solve(const double* PYISCC_RESTRICT L, double* PYISCC_RESTRICT x, std::ptrdiff_t n) {
  for (std::ptrdiff_t j = 0; j < n; ++j) {
    const double* cj = L + j * n;
    const double yj = x[j] / cj[j];
    x[j] = yj;
    for (std::ptrdiff_t i = j + 1; i < n; ++i) x[i] -= yj * cj[i];
  }
}

// x <- L^{-T} x with the factor of cholesky_lower.
inline void backward_solve(const double* PYISCC_RESTRICT L, double* PYISCC_RESTRICT x, std::ptrdiff_t n) {
  for (std::ptrdiff_t j = n - 1; j >= 0; --j) {
    const double* cj = L + j * n;
    x[j] = (x[j] - dot(cj + j + 1, x + j + 1, n - j - 1)) / cj[j];
  }
}

// x <- (L L^T)^{-1} x with the factor of cholesky_lower.
[[maybe_unused]] void cholesky_solve(const double* PYISCC_RESTRICT L, double* PYISCC_RESTRICT x, std::ptrdiff_t n) {
  forward_solve(L, x, n);
  backward_solve(L, x, n);
}

// The static regularisation of a Newton matrix whose largest diagonal magnitude is max_diagonal.
inline double static_regularisation(double max_diagonal) { return kStaticReg * (1.0 + max_diagonal); }

// The regularise-and-retry loop of every Cholesky factorisation of the solver: factor() (which
// factors M, true on success); while it fails, at most kFactorRetries times, the diagonal of M is
// raised and factor() runs again.  The diagonal shift grows kRegGrowth-fold per retry:
//   shifted = true:  the caller has already added reg to the diagonal (the dense Newton matrix,
//                    the blocks of H'); the retries lift the shift to reg kRegGrowth^k;
//   shifted = false: M is unshifted (the capacitance and tail systems of the block path); the
//                    k-th retry adds reg kRegGrowth^(k-1).
// Rounding is what makes a PSD matrix plus a tiny shift indefinite; a matrix that still fails is
// the caller's numerical_error.  M: an Eigen matrix or block expression (its diagonal is written).
template <class Matrix, class Factor>
bool factor_with_retries(Matrix&& M, double reg, bool shifted, Factor&& factor) {
  bool ok = factor();
  for (int retry = 0; retry < kFactorRetries && !ok; ++retry) {
    M.diagonal().array() += shifted ? (kRegGrowth - 1.0) * reg : reg;
    reg *= kRegGrowth;
    ok = factor();
  }
  return ok;
}

}  // namespace
}  // namespace pyiscc::qcqp_detail
