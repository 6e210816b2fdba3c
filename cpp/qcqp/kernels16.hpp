// The register kernels of the dense path at n = 16 (kFixedOrder: 2N real variables at N = 8
// antennas, Algorithm 2's sub-problem), and the vector helpers of the input checks and scaling.
// Header-only, with internal linkage: each translation unit inlines them (and contracts their
// multiply-adds to FMA in the x86_64_v3 build) exactly where it calls them.
//
// The kernels use explicit vectors (GCC/Clang vector extensions): 4-lane AVX2 + FMA registers in
// the `x86_64_v3` build, 2-lane SSE2 (NEON) ones in the `generic` build (CMakeLists.txt).  Every
// sum runs in the order the code states (no alignment peeling, no reassociation), so a build's
// results do not depend on where a buffer sits in memory.  cpp/tests/test_qcqp_kernels.cpp checks
// each kernel against the plain loops of the generic code path: bit for bit where the comment
// says "in the same order", to rounding where it says how the arithmetic differs.
//
// There is no scalar fallback: GCC and Clang, the compilers pyiscc supports, both have the vector
// extensions, and a fallback no build compiles would be a third, untested set of answers (the
// scalar forms of cholesky16 and newton_solve16 round differently from the vector ones).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "cholesky.hpp"
#include "common.hpp"
#include "constants.hpp"

#if !defined(__GNUC__)
#error "pyiscc's QCQP kernels need the GCC/Clang vector extensions (GCC or Clang)"
#endif

namespace pyiscc::qcqp_detail {
namespace {

#ifdef PYISCC_WIDE_VECTORS  // the x86_64_v3 build: 4 lanes (AVX2)
constexpr int kLanes = 4;
#else
constexpr int kLanes = 2;  // SSE2 / NEON
#endif
using vd = double __attribute__((vector_size(8 * kLanes)));
using vl = long long __attribute__((vector_size(8 * kLanes)));
// Unaligned loads and stores (any double* will do) through memcpy: an under-aligned vector
// typedef is honoured by GCC but not by Clang, whose AVX build then faults on 16-byte-aligned data.
inline vd loadv(const double* p) {
  vd v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
inline void storev(double* p, vd v) { __builtin_memcpy(p, &v, sizeof v); }
inline vd splat(double x) { return vd{} + x; }

// The tiled check and maximum below transpose tiles with __builtin_shuffle (GCC only); Clang
// builds use the plain loops (same results: a maximum is exact in any order).
#if !defined(__clang__)
#define PYISCC_TILE_CHECK 1
inline vd abs_v(vd a) { return reinterpret_cast<vd>(reinterpret_cast<vl>(a) & ~reinterpret_cast<vl>(-vd{})); }  // -vd{}: -0.0
inline vd max_v(vd a, vd b) { return a > b ? a : b; }
// The kLanes x kLanes tile whose rows are r[0..kLanes), transposed in place.
inline void transpose_tile(vd* r) {
#ifdef PYISCC_WIDE_VECTORS
  const vd t0 = __builtin_shuffle(r[0], r[1], vl{0, 4, 2, 6}), t1 = __builtin_shuffle(r[0], r[1], vl{1, 5, 3, 7});
  const vd t2 = __builtin_shuffle(r[2], r[3], vl{0, 4, 2, 6}), t3 = __builtin_shuffle(r[2], r[3], vl{1, 5, 3, 7});
  r[0] = __builtin_shuffle(t0, t2, vl{0, 1, 4, 5});
  r[1] = __builtin_shuffle(t1, t3, vl{0, 1, 4, 5});
  r[2] = __builtin_shuffle(t0, t2, vl{2, 3, 6, 7});
  r[3] = __builtin_shuffle(t1, t3, vl{2, 3, 6, 7});
#else
  const vd t0 = __builtin_shuffle(r[0], r[1], vl{0, 2});
  r[1] = __builtin_shuffle(r[0], r[1], vl{1, 3});
  r[0] = t0;
#endif
}

// check_matrix (checks.cpp) at n = 16: compares 4 x 4 (AVX2) or 2 x 2 tiles with their mirror
// tiles transposed in registers.  Same results as the pairwise loop: scale = max |M|, asym =
// max |M - M^T| and the NaN probe (a sum of 0 * entries) are exact in any order.
[[maybe_unused]] void check16_tiles(const double* PYISCC_RESTRICT M, double& scale, double& asym, double& nan_probe) {
  constexpr int W = kLanes, T = 16 / kLanes;
  vd mx = {}, dmax = {}, probe = {};
  for (int I = 0; I < T; ++I)
    for (int J = I; J < T; ++J) {
      vd a[W], b[W];
#pragma GCC unroll 4
      for (int k = 0; k < W; ++k) {
        a[k] = loadv(M + (I * W + k) * 16 + J * W);
        b[k] = loadv(M + (J * W + k) * 16 + I * W);
      }
      transpose_tile(b);  // now b[k] holds the mirror entries of a[k]
#pragma GCC unroll 4
      for (int k = 0; k < W; ++k) {
        dmax = max_v(dmax, abs_v(a[k] - b[k]));
        probe += 0.0 * a[k];
        mx = max_v(mx, abs_v(a[k]));
        if (I != J) {  // on the diagonal tiles b is a's transpose
          probe += 0.0 * b[k];
          mx = max_v(mx, abs_v(b[k]));
        }
      }
    }
  for (int l = 0; l < W; ++l) {
    nan_probe += probe[l];
    scale = std::max(scale, mx[l]);
    asym = std::max(asym, dmax[l]);
  }
}
#endif

// max |x_k| over n >= 1 finite entries; n a multiple of 4 kLanes (16 x 16 matrices): four
// full-width running maxima (Eigen's reduction here is 2 lanes wide with a short dependency
// chain: 3x slower).  A max is exact in any order.
[[maybe_unused]] double absmax_of(const double* x, std::ptrdiff_t n) {
#ifdef PYISCC_TILE_CHECK
  constexpr int U = 4 * kLanes;
  if (n % U == 0) {
    vd mx[4] = {};
    for (std::ptrdiff_t k = 0; k < n; k += U)
#pragma GCC unroll 4
      for (int t = 0; t < 4; ++t) mx[t] = max_v(mx[t], abs_v(loadv(x + k + t * kLanes)));
    const vd m2 = max_v(max_v(mx[0], mx[1]), max_v(mx[2], mx[3]));
    double r = 0.0;
    for (int l = 0; l < kLanes; ++l) r = std::max(r, m2[l]);
    return r;
  }
#endif
  return Eigen::Map<const RVector>(x, n).cwiseAbs().maxCoeff();
}

// dst[0..len) = r * src[0..len) (in full-width vectors: Eigen's are 2 lanes wide here).
[[maybe_unused]] void scaled_copy(double* PYISCC_RESTRICT dst, const double* PYISCC_RESTRICT src, double r,
                                  std::ptrdiff_t len) {
  std::ptrdiff_t k = 0;
  const vd rv = splat(r);
  for (; k + kLanes <= len; k += kLanes) storev(dst + k, rv * loadv(src + k));
  for (; k < len; ++k) dst[k] = r * src[k];
}

// y = A x for a column-major (rows x cols) A, rows a multiple of 16: 16 rows at a time in vector
// registers, the columns summed in order (y_r = (..(x_0 A_r0 + x_1 A_r1) + ..) + x_{c-1} A_r,c-1).
// The n = 16 hot path of 2 P + 2 sum z_i A_i (T as an n^2 x (1 + m_q) matrix).
[[maybe_unused]] void gemv_rows16(const double* PYISCC_RESTRICT A, std::ptrdiff_t rows, std::ptrdiff_t cols,
                                  const double* PYISCC_RESTRICT x, double* PYISCC_RESTRICT y) {
  for (std::ptrdiff_t r = 0; r < rows; r += 16) {
    constexpr int V = 16 / kLanes;
    vd acc[V] = {};
    for (std::ptrdiff_t j = 0; j < cols; ++j) {
      const vd xj = splat(x[j]);
      const double* a = A + j * rows + r;
#pragma GCC unroll 8
      for (int t = 0; t < V; ++t) acc[t] += xj * loadv(a + t * kLanes);
    }
#pragma GCC unroll 8
    for (int t = 0; t < V; ++t) storev(y + r + t * kLanes, acc[t]);
  }
}

// n = 16, T = [B_0 B_1 ... B_{nb-1}] (16 x 16 nb, column-major, symmetric blocks): y_b = B_b x for
// every block (y: 16 nb) and, when coef is given, the lower triangle of H = sum_b coef_b B_b
// (16 x 16; of each column j the vectors from row j rounded down to the lane count, the rest of
// the upper triangle is not written).  Two passes over T (20 KB at 10 blocks: it stays in L1),
// each with its sums in vector registers: H column by column (over blocks b), then y block by
// block (over columns j); no partial sums go through memory.  The sums run in the same order as
// gemv_rows16 on the stacked blocks (over j for y) and on T as a 256 x nb matrix (over b for H).
[[maybe_unused]] void blocks16_apply(const double* PYISCC_RESTRICT T, std::ptrdiff_t nb,
                                     const double* PYISCC_RESTRICT x, double* PYISCC_RESTRICT y,
                                     const double* PYISCC_RESTRICT coef, double* PYISCC_RESTRICT H) {
  constexpr int V = 16 / kLanes;
  if (coef) {
#pragma GCC unroll 16
    for (int j = 0; j < 16; ++j) {
      vd h[V] = {};
      for (std::ptrdiff_t b = 0; b < nb; ++b) {
        const double* col = T + b * 256 + j * 16;
        const vd cb = splat(coef[b]);
#pragma GCC unroll 8
        for (int t = j / kLanes; t < V; ++t) h[t] += cb * loadv(col + t * kLanes);
      }
#pragma GCC unroll 8
      for (int t = j / kLanes; t < V; ++t) storev(H + j * 16 + t * kLanes, h[t]);
    }
  }
  for (std::ptrdiff_t b = 0; b < nb; ++b) {
    const double* blk = T + b * 256;
    vd acc[V] = {};
#pragma GCC unroll 16
    for (int j = 0; j < 16; ++j) {
      const vd xj = splat(x[j]);
#pragma GCC unroll 8
      for (int t = 0; t < V; ++t) acc[t] += xj * loadv(blk + j * 16 + t * kLanes);
    }
#pragma GCC unroll 8
    for (int t = 0; t < V; ++t) storev(y + b * 16 + t * kLanes, acc[t]);
  }
}

// n = 16, the constraint rows from TX = T^T x (blocks16_apply): g_i = x . (b_i + A_i x) - c_i, one
// dot product in vector lanes (lane sums added in lane order, then c_i subtracted), and, when
// JT is given, the gradients b_i + 2 A_i x as its columns (entry by entry the generic path's
// b_i[k] + 2.0 * ax[k]).  block[i] >= 1: A_i's block of TX; -1: a linear row.  BT: b_i as
// 16-entry columns.
[[maybe_unused]] void constraint_rows16(const double* PYISCC_RESTRICT x, const double* PYISCC_RESTRICT TX,
                                        const double* PYISCC_RESTRICT BT, const std::ptrdiff_t* block,
                                        const double* PYISCC_RESTRICT c, std::ptrdiff_t m,
                                        double* PYISCC_RESTRICT g, double* PYISCC_RESTRICT JT) {
  constexpr int V = 16 / kLanes;
  vd xv[V];
#pragma GCC unroll 8
  for (int t = 0; t < V; ++t) xv[t] = loadv(x + t * kLanes);
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    const double* bi = BT + i * 16;
    const std::ptrdiff_t blk = block[i];
    double* ji = JT ? JT + i * 16 : nullptr;
    vd acc = {};
    if (blk >= 0) {
      const double* ax = TX + blk * 16;
#pragma GCC unroll 8
      for (int t = 0; t < V; ++t) {
        const vd bv = loadv(bi + t * kLanes), av = loadv(ax + t * kLanes);
        acc += xv[t] * (bv + av);
        if (ji) storev(ji + t * kLanes, bv + 2.0 * av);
      }
    } else {
#pragma GCC unroll 8
      for (int t = 0; t < V; ++t) {
        const vd bv = loadv(bi + t * kLanes);
        acc += xv[t] * bv;
        if (ji) storev(ji + t * kLanes, bv);
      }
    }
    double gi = 0.0;
#pragma GCC unroll 4
    for (int l = 0; l < kLanes; ++l) gi += acc[l];
    g[i] = gi - c[i];
  }
}

// n = 16: Jz = J^T z = sum_i z_i JT(:, i), the columns summed in order of i in vector registers.
[[maybe_unused]] void jt_times16(const double* PYISCC_RESTRICT JT, std::ptrdiff_t m, const double* PYISCC_RESTRICT z,
                                 double* PYISCC_RESTRICT Jz) {
  constexpr int V = 16 / kLanes;
  vd acc[V] = {};
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    const vd f = splat(z[i]);
#pragma GCC unroll 8
    for (int t = 0; t < V; ++t) acc[t] += f * loadv(JT + i * 16 + t * kLanes);
  }
#pragma GCC unroll 8
  for (int t = 0; t < V; ++t) storev(Jz + t * kLanes, acc[t]);
}

// n = 16: K += J^T diag(wm) J on the lower triangle (K column-major; JT's columns are the rows of
// J), column by column with the column in vector registers; rows with wm_i = 0 skipped.  Each
// entry gets its terms in the order of i, as the generic path's sequence of rank-one updates
// (axpy_from per row i and column j) adds them.
[[maybe_unused]] void add_jtwj16(double* PYISCC_RESTRICT K, const double* PYISCC_RESTRICT JT,
                                 const double* PYISCC_RESTRICT wm, std::ptrdiff_t m) {
  constexpr int V = 16 / kLanes;
#pragma GCC unroll 16
  for (int j = 0; j < 16; ++j) {
    vd c[V];
#pragma GCC unroll 8
    for (int t = j / kLanes; t < V; ++t) c[t] = loadv(K + j * 16 + t * kLanes);
    for (std::ptrdiff_t i = 0; i < m; ++i) {
      if (wm[i] == 0.0) continue;
      const double* ji = JT + i * 16;
      const vd f = splat(wm[i] * ji[j]);
#pragma GCC unroll 8
      for (int t = j / kLanes; t < V; ++t) c[t] += f * loadv(ji + t * kLanes);
    }
#pragma GCC unroll 8
    for (int t = j / kLanes; t < V; ++t) storev(K + j * 16 + t * kLanes, c[t]);
  }
}

// n = 16: Cholesky L L^T = A of the lower triangle of A (column-major), left-looking with column
// j in vector registers: c = A(:, j) - sum_{k<j} L(j, k) L(:, k), then scaled by 1 / sqrt(c_j).
// Every entry receives the same subtractions in the same order as cholesky_lower's right-looking
// update (k ascending), without the trailing matrix's store-and-reload; the scaling differs: one
// reciprocal r = 1 / L(j, j) per column and products c_i r, where cholesky_lower divides c_i by
// L(j, j) (so the factors agree to rounding, not bit for bit).  Writes L (column-major, zeros
// above the diagonal within the vectors the solves read), Ut = the strict lower triangle of L
// row-major, i.e. U = L^T column-major without its diagonal (only those 120 entries are written:
// the caller keeps the rest of Ut zero), and dinv = r per column.  False if A is not
// (numerically) positive definite.
[[maybe_unused]] bool cholesky16(const double* PYISCC_RESTRICT A, double* PYISCC_RESTRICT L,
                                 double* PYISCC_RESTRICT Ut, double* PYISCC_RESTRICT dinv) {
  constexpr int V = 16 / kLanes;
  vl lane{};
  for (int l = 0; l < kLanes; ++l) lane[l] = l;
#pragma GCC unroll 16
  for (int j = 0; j < 16; ++j) {
    vd c[V];
#pragma GCC unroll 8
    for (int t = j / kLanes; t < V; ++t) c[t] = loadv(A + j * 16 + t * kLanes);
#pragma GCC unroll 16
    for (int k = 0; k < j; ++k) {
      const vd f = splat(L[k * 16 + j]);
#pragma GCC unroll 8
      for (int t = j / kLanes; t < V; ++t) c[t] -= f * loadv(L + k * 16 + t * kLanes);
    }
    const double d = c[j / kLanes][j % kLanes];
    if (!(d > 0.0)) return false;
    const double ljj = std::sqrt(d);
    const double r = 1.0 / ljj;
    const vd rv = splat(r);
    // The first vector holds rows above the diagonal: zero them (compile-time lane mask).
    const vl below = lane > static_cast<long long>(j % kLanes);
    c[j / kLanes] = reinterpret_cast<vd>(reinterpret_cast<vl>(c[j / kLanes] * rv) & below);
#pragma GCC unroll 8
    for (int t = j / kLanes + 1; t < V; ++t) c[t] *= rv;
#pragma GCC unroll 8
    for (int t = j / kLanes; t < V; ++t) storev(L + j * 16 + t * kLanes, c[t]);
    L[j * 16 + j] = ljj;
    dinv[j] = r;
#pragma GCC unroll 16
    for (int i = j + 1; i < 16; ++i) Ut[i * 16 + j] = c[i / kLanes][i % kLanes];
  }
  return true;
}

// n = 16, one Newton solve of the reduced system with the factor of cholesky16, all in vector
// registers (fully unrolled):  r = -rd - J^T e (the columns of J^T in order of i);
// dx = (L L^T)^{-1} r by the two substitutions, both column-oriented (x_j = r_j dinv_j, then
// r_i -= x_j L(i, j) for the rows still open: no store-and-reload of x, no reductions on the
// dependency chain; the generic cholesky_solve divides by L(j, j) and runs the backward
// substitution row by row with dot(), so the two agree to rounding); then Jdx = J dx (lane sums
// in lane order) and dz = w o Jdx + e.  JT: the gradients as 16-entry columns.
[[maybe_unused]] void newton_solve16(const double* PYISCC_RESTRICT L, const double* PYISCC_RESTRICT Ut,
                                     const double* PYISCC_RESTRICT dinv, const double* PYISCC_RESTRICT JT,
                                     std::ptrdiff_t m, const double* PYISCC_RESTRICT rd,
                                     const double* PYISCC_RESTRICT e, const double* PYISCC_RESTRICT w,
                                     double* PYISCC_RESTRICT dx, double* PYISCC_RESTRICT dz,
                                     double* PYISCC_RESTRICT Jdx) {
  constexpr int V = 16 / kLanes;
  vd r[V];
#pragma GCC unroll 8
  for (int t = 0; t < V; ++t) r[t] = -loadv(rd + t * kLanes);
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    const vd f = splat(e[i]);
#pragma GCC unroll 8
    for (int t = 0; t < V; ++t) r[t] -= f * loadv(JT + i * 16 + t * kLanes);
  }
#pragma GCC unroll 16
  for (int j = 0; j < 16; ++j) {  // forward: L y = r (lane j of column j, the diagonal, is reset)
    const double yj = r[j / kLanes][j % kLanes] * dinv[j];
    const vd f = splat(yj);
#pragma GCC unroll 8
    for (int t = j / kLanes; t < V; ++t) r[t] -= f * loadv(L + j * 16 + t * kLanes);
    r[j / kLanes][j % kLanes] = yj;
  }
#pragma GCC unroll 16
  for (int j = 15; j >= 0; --j) {  // backward: L^T x = y (Ut's column j: zero from row j on)
    const double xj = r[j / kLanes][j % kLanes] * dinv[j];
    r[j / kLanes][j % kLanes] = xj;
    const vd f = splat(xj);
#pragma GCC unroll 8
    for (int t = 0; t <= j / kLanes; ++t) r[t] -= f * loadv(Ut + j * 16 + t * kLanes);
  }
#pragma GCC unroll 8
  for (int t = 0; t < V; ++t) storev(dx + t * kLanes, r[t]);
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    vd acc = r[0] * loadv(JT + i * 16);
#pragma GCC unroll 8
    for (int t = 1; t < V; ++t) acc += r[t] * loadv(JT + i * 16 + t * kLanes);
    double s = 0.0;
#pragma GCC unroll 4
    for (int l = 0; l < kLanes; ++l) s += acc[l];
    Jdx[i] = s;
    dz[i] = w[i] * s + e[i];
  }
}

}  // namespace
}  // namespace pyiscc::qcqp_detail
