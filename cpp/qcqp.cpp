#include "qcqp.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

namespace pyiscc {

const char* status_name(QcqpStatus s) {
  switch (s) {
    case QcqpStatus::optimal: return "optimal";
    case QcqpStatus::infeasible: return "infeasible";
    case QcqpStatus::max_iter: return "max_iter";
    case QcqpStatus::numerical_error: return "numerical_error";
  }
  return "numerical_error";
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// z_i / s_i above which constraint i is kept in the augmented Newton system.
constexpr double kAugmentAbove = 1e6;
// Up to this order the Cholesky factor and its solves are plain loops (Eigen's dynamic-size
// kernels cost more in dispatch than in arithmetic at n = 16); above it Eigen's blocked LLT.
constexpr std::ptrdiff_t kSmallOrder = 40;
// Smallest start of the multipliers in phase II (start_multiplier).
constexpr double kMinStartMultiplier = 1e-8;
// Iterations without a better merit after which interior_point also accepts a KKT point whose
// slack residual has stalled.
constexpr int kStallIterations = 3;

bool finite(const RMatrix& M) { return M.allFinite(); }

// Largest step in (0, 1] keeping v + step * dv >= 0 (fraction-to-boundary applied by the caller).
double max_step(const RVector& v, const RVector& dv) {
  double step = 1.0;
  for (std::ptrdiff_t i = 0; i < v.size(); ++i)
    if (dv[i] < 0.0) step = std::min(step, -v[i] / dv[i]);
  return step;
}

#if defined(__GNUC__) || defined(_MSC_VER)
#define PYISCC_RESTRICT __restrict
#else
#define PYISCC_RESTRICT
#endif

// The small kernels below use explicit vectors (GCC/Clang vector extensions): 4-lane AVX2 + FMA
// registers in the `x86_64_v3` build, 2-lane SSE2 (NEON) ones in the `generic` build
// (CMakeLists.txt).  Every sum runs in the order the code states (no alignment peeling, no
// reassociation), so a build's results do not depend on where a buffer sits in memory.
#if defined(__GNUC__)
#define PYISCC_VECTOR_EXT 1
#ifdef PYISCC_WIDE_VECTORS  // the x86_64_v3 build: 4 lanes (AVX2)
constexpr int kLanes = 4;
#else
constexpr int kLanes = 2;  // SSE2 / NEON
#endif
using vd = double __attribute__((vector_size(8 * kLanes)));
using vd_u = double __attribute__((vector_size(8 * kLanes), aligned(8)));  // unaligned access
inline vd loadv(const double* p) { return *reinterpret_cast<const vd_u*>(p); }
inline void storev(double* p, vd v) { *reinterpret_cast<vd_u*>(p) = v; }
inline vd splat(double x) { return vd{} + x; }
#endif

// One pass over a symmetric n x n buffer (either storage order): absmax = max |M|; returns 0 if
// every entry is finite and |M - M^T| <= 1e-12 max |M| entry-wise, 1 on a NaN or inf, 2 if not
// symmetric.  The binding checks P and every A_i of every call, so n = 16 compares 4 x 4 (AVX2)
// or 2 x 2 tiles with their mirror tiles transposed in registers; other n: the pairs one by one.
#if defined(PYISCC_VECTOR_EXT) && !defined(__clang__)
#define PYISCC_TILE_CHECK 1
using vl = long long __attribute__((vector_size(8 * kLanes)));
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
#endif

int check_matrix(const double* PYISCC_RESTRICT M, std::ptrdiff_t n, double& absmax) {
  double scale = 0.0, asym = 0.0, nan_probe = 0.0;  // nan_probe: sum of 0 * entries (NaN if any is)
#ifdef PYISCC_TILE_CHECK
  if (n == 16) {
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
    absmax = scale;
    if (!(nan_probe == 0.0)) return 1;
    return asym <= 1e-12 * scale ? 0 : 2;
  }
#endif
  for (std::ptrdiff_t j = 0; j < n; ++j) {
    const double* cj = M + j * n;
    scale = std::max(scale, std::abs(cj[j]));
    nan_probe += 0.0 * cj[j];
    for (std::ptrdiff_t i = j + 1; i < n; ++i) {
      const double lower = cj[i], upper = M[i * n + j];
      nan_probe += 0.0 * lower + 0.0 * upper;
      scale = std::max(scale, std::max(std::abs(lower), std::abs(upper)));
      asym = std::max(asym, std::abs(lower - upper));
    }
  }
  absmax = scale;
  if (!(nan_probe == 0.0)) return 1;
  return asym <= 1e-12 * scale ? 0 : 2;
}

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

// y = A x for a column-major (rows x cols) A, rows a multiple of 16: 16 rows at a time in vector
// registers, the columns summed in order.  The n = 16 hot path of the products T^T x (stacked
// blocks) and 2 P + 2 sum z_i A_i (T as an n^2 x (1 + m_q) matrix).
void gemv_rows16(const double* PYISCC_RESTRICT A, std::ptrdiff_t rows, std::ptrdiff_t cols,
                 const double* PYISCC_RESTRICT x, double* PYISCC_RESTRICT y) {
  for (std::ptrdiff_t r = 0; r < rows; r += 16) {
#ifdef PYISCC_VECTOR_EXT
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
#else
    double acc[16] = {};
    for (std::ptrdiff_t j = 0; j < cols; ++j)
      for (int t = 0; t < 16; ++t) acc[t] += x[j] * A[j * rows + r + t];
    for (int t = 0; t < 16; ++t) y[r + t] = acc[t];
#endif
  }
}

// n = 16, T = [B_0 B_1 ... B_{nb-1}] (16 x 16 nb, column-major, symmetric blocks): y_b = B_b x for
// every block (y: 16 nb) and, when coef is given, the lower triangle of H = sum_b coef_b B_b
// (16 x 16; of each column j the vectors from row j rounded down to the lane count, the rest of
// the upper triangle is not written).  Two passes over T (20 KB at 10 blocks: it stays in L1),
// each with its sums in vector registers: H column by column (over blocks b), then y block by
// block (over columns j); no partial sums go through memory.  Sums in the same order as
// gemv_rows16 on the stacked blocks (over j for y) and on T as a 256 x nb matrix (over b for H).
void blocks16_apply(const double* PYISCC_RESTRICT T, std::ptrdiff_t nb, const double* PYISCC_RESTRICT x,
                    double* PYISCC_RESTRICT y, const double* PYISCC_RESTRICT coef, double* PYISCC_RESTRICT H) {
#ifdef PYISCC_VECTOR_EXT
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
#else
  for (std::ptrdiff_t j = 0; j < 16; ++j)
    for (std::ptrdiff_t b = 0; b < nb; ++b)
      for (int t = 0; t < 16; ++t) {
        const double a = T[b * 256 + j * 16 + t];
        y[b * 16 + t] = j == 0 ? x[j] * a : y[b * 16 + t] + x[j] * a;
        if (coef) H[j * 16 + t] = (b == 0 ? 0.0 : H[j * 16 + t]) + coef[b] * a;
      }
#endif
}

// n = 16: K += J^T diag(wm) J on the lower triangle (K column-major; JT's columns are the rows of
// J), column by column with the column in vector registers; rows with wm_i = 0 skipped.  Each
// entry gets its terms in the order of i, as a sequence of rank-one updates would add them.
void add_jtwj16(double* PYISCC_RESTRICT K, const double* PYISCC_RESTRICT JT, const double* PYISCC_RESTRICT wm,
                std::ptrdiff_t m) {
#ifdef PYISCC_VECTOR_EXT
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
#else
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    if (wm[i] == 0.0) continue;
    const double* ji = JT + i * 16;
    for (std::ptrdiff_t j = 0; j < 16; ++j) axpy_from(K + j * 16, ji, wm[i] * ji[j], j, 16);
  }
#endif
}

// In-place Cholesky of the lower triangle (column-major, right-looking); false if not PD.
bool cholesky_lower(double* L, std::ptrdiff_t n) {
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
void cholesky_solve(const double* PYISCC_RESTRICT L, double* PYISCC_RESTRICT x, std::ptrdiff_t n) {
  forward_solve(L, x, n);
  backward_solve(L, x, n);
}

// n = 16: Cholesky L L^T = A of the lower triangle of A (column-major), left-looking with column
// j in vector registers: c = A(:, j) - sum_{k<j} L(j, k) L(:, k), then scaled by 1 / sqrt(c_j).
// Every entry receives the same subtractions in the same order as cholesky_lower's right-looking
// update (k ascending; one reciprocal per column instead of its divisions), without the trailing
// matrix's store-and-reload.  Writes L (column-major,
// zeros above the diagonal within the vectors the solves read), Ut = the strict lower triangle
// of L row-major, i.e. U = L^T column-major without its diagonal (only those 120 entries are
// written: the caller keeps the rest of Ut zero), and dinv = 1 / diag(L).  False if A is not
// (numerically) positive definite.
bool cholesky16(const double* PYISCC_RESTRICT A, double* PYISCC_RESTRICT L, double* PYISCC_RESTRICT Ut,
                double* PYISCC_RESTRICT dinv) {
#ifdef PYISCC_VECTOR_EXT
  constexpr int V = 16 / kLanes;
  using vl = long long __attribute__((vector_size(8 * kLanes)));
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
#else
  for (std::ptrdiff_t j = 0; j < 16; ++j)
    for (std::ptrdiff_t i = 0; i < 16; ++i) L[j * 16 + i] = i >= j ? A[j * 16 + i] : 0.0;
  if (!cholesky_lower(L, 16)) return false;
  for (std::ptrdiff_t j = 0; j < 16; ++j) {
    dinv[j] = 1.0 / L[j * 16 + j];
    for (std::ptrdiff_t i = j + 1; i < 16; ++i) Ut[i * 16 + j] = L[j * 16 + i];
  }
  return true;
#endif
}

// n = 16, one Newton solve of the reduced system with the factor of cholesky16, all in vector
// registers (fully unrolled):  r = -rd - J^T e;  dx = (L L^T)^{-1} r by the two substitutions
// (column by column, no store-and-reload of x, no reductions on the dependency chain); then
// Jdx = J dx and dz = w o Jdx + e.  JT: the gradients as 16-entry columns.
void newton_solve16(const double* PYISCC_RESTRICT L, const double* PYISCC_RESTRICT Ut,
                    const double* PYISCC_RESTRICT dinv, const double* PYISCC_RESTRICT JT, std::ptrdiff_t m,
                    const double* PYISCC_RESTRICT rd, const double* PYISCC_RESTRICT e,
                    const double* PYISCC_RESTRICT w, double* PYISCC_RESTRICT dx, double* PYISCC_RESTRICT dz,
                    double* PYISCC_RESTRICT Jdx) {
#ifdef PYISCC_VECTOR_EXT
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
#else
  for (int k = 0; k < 16; ++k) dx[k] = -rd[k];
  for (std::ptrdiff_t i = 0; i < m; ++i)
    for (int k = 0; k < 16; ++k) dx[k] -= e[i] * JT[i * 16 + k];
  for (std::ptrdiff_t j = 0; j < 16; ++j) {
    dx[j] *= dinv[j];
    for (std::ptrdiff_t i = j + 1; i < 16; ++i) dx[i] -= dx[j] * L[j * 16 + i];
  }
  for (std::ptrdiff_t j = 15; j >= 0; --j) {
    dx[j] *= dinv[j];
    for (std::ptrdiff_t i = 0; i < j; ++i) dx[i] -= dx[j] * Ut[j * 16 + i];
  }
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    Jdx[i] = dot(JT + i * 16, dx, 16);
    dz[i] = w[i] * Jdx[i] + e[i];
  }
#endif
}

// Order of the fixed-size kernels (2N real variables at the default N = 8 antennas).
constexpr std::ptrdiff_t kFixedOrder = 16;

// The problem as the interior-point method sees it, scaled:  P_s = obj_scale P,
// q_s = obj_scale q, A_s,i = r_i A_i, b_s,i = r_i b_i, c_s,i = r_i c_i.  P_s and the A_s,i of the
// quadratic constraints sit side by side in T = [P_s A_s,i0 A_s,i1 ...] (n x n (1 + m_q)): all the
// products A_s,i x are one matrix-vector product T^T x (the blocks are symmetric), and
// 2 P_s + 2 sum z_i A_s,i is another, T viewed as (n^2 x (1 + m_q)) times the coefficients.
struct View {
  std::ptrdiff_t n, m;
  const RMatrix* T;                         // (n, n (1 + m_q))
  const RMatrix* R;                         // (n (1 + m_q), n): the same blocks stacked vertically
  const std::vector<std::ptrdiff_t>* block; // (m,) block of A_s,i in T (>= 1), -1: linear
  const RMatrix* BT;                        // (n, m) b_s,i as columns
  const double* c;                          // (m,) c_s
  const RVector* q;                         // (n,) q_s
  double obj_scale;
};

// TX = T^T x (P_s x in the first n entries, then A_s,i x per block), g(x) = x^T A_s,i x + b_s,i^T x
// - c_s,i and, optionally, the gradients 2 A_s,i x + b_s,i as the columns of JT (n x m).
// N > 0: compile-time n (= v.n), the loops unrolled; same arithmetic in the same order.
// n = 16: T is read directly (no stacked copy R), and with coef/H the same pass forms
// H = sum_b coef_b (block b of T) (blocks16_apply).
template <std::ptrdiff_t N>
void constraints_impl(const View& v, const RVector& x, RVector& g, RMatrix* JT, RVector& TX,
                      const double* coef = nullptr, double* H = nullptr) {
  const std::ptrdiff_t n = N > 0 ? N : v.n, m = v.m;
  if (N == kFixedOrder)
    blocks16_apply(v.T->data(), v.T->cols() / kFixedOrder, x.data(), TX.data(), coef, H);
  else
    TX.noalias() = *v.R * x;  // column-major: long contiguous columns (faster than T^T x)
#ifdef PYISCC_VECTOR_EXT
  if constexpr (N == kFixedOrder) {  // the rows in vector registers: g_i = x . (b_i + A_i x) - c_i
    constexpr int V = 16 / kLanes;
    vd xv[V];
#pragma GCC unroll 8
    for (int t = 0; t < V; ++t) xv[t] = loadv(x.data() + t * kLanes);
    for (std::ptrdiff_t i = 0; i < m; ++i) {
      const double* bi = v.BT->data() + i * 16;
      const std::ptrdiff_t blk = (*v.block)[static_cast<std::size_t>(i)];
      double* ji = JT ? JT->data() + i * 16 : nullptr;
      vd acc = {};
      if (blk >= 0) {
        const double* ax = TX.data() + blk * 16;
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
      g[i] = gi - v.c[i];
    }
    return;
  }
#endif
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    const double* bi = v.BT->data() + i * n;
    double gi = dot(bi, x.data(), n) - v.c[i];
    const std::ptrdiff_t blk = (*v.block)[static_cast<std::size_t>(i)];
    if (blk >= 0) {
      const double* PYISCC_RESTRICT ax = TX.data() + blk * n;
      gi += dot(x.data(), ax, n);
      if (JT) {
        double* PYISCC_RESTRICT ji = JT->data() + i * n;
        for (std::ptrdiff_t k = 0; k < n; ++k) ji[k] = bi[k] + 2.0 * ax[k];
      }
    } else if (JT) {
      JT->col(i) = v.BT->col(i);
    }
    g[i] = gi;
  }
}

void constraints(const View& v, const RVector& x, RVector& g, RMatrix* JT, RVector& TX) {
  if (v.n == kFixedOrder)
    constraints_impl<kFixedOrder>(v, x, g, JT, TX);
  else
    constraints_impl<0>(v, x, g, JT, TX);
}

// Least-squares multipliers of the active set {i : z_i > s_i}: min ||grad_f + J_A^T z_A||.
// Returns false when the fit gives a negative multiplier.
bool polish_multipliers(const RMatrix& JT, const RVector& z, const RVector& s, const RVector& grad_f,
                        QcqpWorkspace& ws, RVector& out) {
  auto& active = ws.active;
  active.clear();
  for (std::ptrdiff_t i = 0; i < z.size(); ++i)
    if (z[i] > s[i]) active.push_back(i);
  out.setZero(z.size());
  if (active.empty()) return true;
  ws.JA.resize(JT.rows(), static_cast<std::ptrdiff_t>(active.size()));
  for (std::size_t t = 0; t < active.size(); ++t) ws.JA.col(static_cast<std::ptrdiff_t>(t)) = JT.col(active[t]);
  ws.qr.compute(ws.JA);
  const RVector zA = ws.qr.solve(-grad_f);
  if (!zA.allFinite() || zA.minCoeff() < 0.0) return false;
  for (std::size_t t = 0; t < active.size(); ++t) out[active[t]] = zA[static_cast<std::ptrdiff_t>(t)];
  return true;
}

// The multipliers' start in phase II (all equal), from the gradients at the start x: at an
// optimum |grad f| = |sum z_i grad g_i|, so the multipliers are about |grad f| / |grad g| in size;
// a tenth of that, clamped to [kMinStartMultiplier, 1].  Starting them at 1 instead (the usual
// choice for a problem scaled to O(1) coefficients) costs Algorithm 2's sub-problems 10.1 Newton
// steps instead of 6.1: their gradients at the previous beam, and their multipliers, are 1e-3 to
// 1e-6.  grad_f = Px2 - q (Px2 = 2 P_s x), the grad g_i are the columns of JT.
double start_multiplier(const RVector& Px2, const RVector& q, const RMatrix& JT) {
  const double grad_f = (Px2 - q).lpNorm<Eigen::Infinity>();
  const double grad_g = JT.size() ? JT.cwiseAbs().maxCoeff() : 0.0;
  if (!(grad_g > 0.0) || !std::isfinite(grad_f) || !std::isfinite(grad_g)) return 1.0;
  return std::clamp(0.1 * grad_f / grad_g, kMinStartMultiplier, 1.0);
}

struct CoreResult {
  int iterations = 0;
  bool converged = false;
  bool broke = false;  // factorisation failed / non-finite numbers
};

// The dense Newton system of interior_point: reduced matrix 2 P + 2 sum z_i A_i + J^T W J
// (Cholesky), constraints with weights above kAugmentAbove in an augmented system (LU).
class DenseOps {
 public:
  DenseOps(const View& v, QcqpWorkspace& ws)
      : v_(v), ws_(ws), n_(v.n), m_(v.m), nblocks_(v.T->cols() / v.n), small_(v.n <= kSmallOrder),
        fixed_(v.n == kFixedOrder) {
    ws.TX.resize(v.T->cols());
    ws.coef.resize(nblocks_);
    ws.KKT.setZero(n_, n_);  // n = 16 writes only the lower triangle (and a little above)
    if (small_) ws.Lf.resize(n_, n_);
    if (fixed_) {  // cholesky16 writes the strict lower part of L^T into Xr: the rest stays zero
      ws.Xr.setZero(n_, n_);
      ws.dinv.resize(n_);
    }
  }
  std::ptrdiff_t n() const { return n_; }
  std::ptrdiff_t m() const { return m_; }
  const RVector& q() const { return *v_.q; }

  // Jz = J^T z (n = 16: the columns summed in vector registers, in order of i).
  void jt_times(const RMatrix& JT, const RVector& z, RVector& Jz) const {
#ifdef PYISCC_VECTOR_EXT
    if (fixed_) {
      constexpr int V = 16 / kLanes;
      vd acc[V] = {};
      for (std::ptrdiff_t i = 0; i < m_; ++i) {
        const vd f = splat(z[i]);
#pragma GCC unroll 8
        for (int t = 0; t < V; ++t) acc[t] += f * loadv(JT.data() + i * 16 + t * kLanes);
      }
#pragma GCC unroll 8
      for (int t = 0; t < V; ++t) storev(Jz.data() + t * kLanes, acc[t]);
      return;
    }
#endif
    Jz.noalias() = JT * z;
  }

  // g(x), optionally the gradients as columns of JT, and Px2 = 2 P_s x.  n = 16: the same pass
  // over T also forms H = 2 P + 2 sum z_i A_i at the multipliers z of this moment (interior_point
  // calls eval after each step and factor at the next iteration with the same z), for factor().
  void eval(const RVector& x, RVector& g, RMatrix* JT, RVector& Px2) {
    if (fixed_) {
      hessian_coef(ws_.z);
      constraints_impl<kFixedOrder>(v_, x, g, JT, ws_.TX, ws_.coef.data(), ws_.KKT.data());
      hessian_z_ = ws_.z;
    } else {
      constraints(v_, x, g, JT, ws_.TX);
    }
    Px2 = 2.0 * ws_.TX.head(n_);
  }

  // Forms and factors the Newton matrix at multipliers z, weights w = z / s; false: broke.
  bool factor(const RVector& z, const RVector& w, const RMatrix& JT) {
    RMatrix& KKT = ws_.KKT;
    // Lower triangle of KKT = 2 P + 2 sum z_i A_i + J^T W J (weights up to kAugmentAbove).
    if (fixed_ && hessian_z_.size() == z.size() &&
        std::equal(z.data(), z.data() + z.size(), hessian_z_.data())) {
      // 2 P + 2 sum z_i A_i already in KKT, formed by eval() at this z
    } else {
      hessian_coef(z);
      if (fixed_)
        gemv_rows16(v_.T->data(), n_ * n_, nblocks_, ws_.coef.data(), KKT.data());
      else
        Eigen::Map<RVector>(KKT.data(), n_ * n_).noalias() =
            Eigen::Map<const RMatrix>(v_.T->data(), n_ * n_, nblocks_) * ws_.coef;
    }
    hessian_z_.resize(0);
    // Constraints with weight z/s above kAugmentAbove stay in an augmented (quasi-definite)
    // system instead of being folded into H + J^T W J: folding weights ~1/eps there wipes out
    // the tangential information near a degenerate optimum (the step then stalls).
    auto& active = ws_.active;
    active.clear();
    for (std::ptrdiff_t i = 0; i < m_; ++i)
      if (w[i] > kAugmentAbove) active.push_back(i);
    na_ = static_cast<std::ptrdiff_t>(active.size());
    RVector& wm = ws_.wm;
    for (std::ptrdiff_t i = 0; i < m_; ++i) wm[i] = w[i] <= kAugmentAbove ? w[i] : 0.0;
    if (fixed_) {
      add_jtwj16(KKT.data(), JT.data(), wm.data(), m_);
    } else {
      for (std::ptrdiff_t i = 0; i < m_; ++i) {
        if (wm[i] == 0.0) continue;
        const double* ji = JT.data() + i * n_;
        for (std::ptrdiff_t j = 0; j < n_; ++j) axpy_from(KKT.data() + j * n_, ji, wm[i] * ji[j], j, n_);
      }
    }
    // Tiny static regularisation: keeps the factor defined where the problem is flat in some
    // direction (a linear objective, rank-deficient constraints).
    double reg = 1e-13 * (1.0 + KKT.diagonal().cwiseAbs().maxCoeff());
    KKT.diagonal().array() += reg;
    if (na_ == 0) {
      auto factor = [&]() {
        if (fixed_) return cholesky16(KKT.data(), ws_.Lf.data(), ws_.Xr.data(), ws_.dinv.data());
        if (small_) {
          ws_.Lf = KKT;
          return cholesky_lower(ws_.Lf.data(), n_);
        }
        ws_.llt.compute(KKT);  // reads the lower triangle only
        return ws_.llt.info() == Eigen::Success;
      };
      bool ok = factor();
      for (int retry = 0; retry < 4 && !ok; ++retry) {
        KKT.diagonal().array() += 99.0 * reg;  // rounding made the (PSD) matrix indefinite
        reg *= 100.0;
        ok = factor();
      }
      return ok;
    }
    RMatrix& Aug = ws_.Aug;
    Aug.resize(n_ + na_, n_ + na_);
    Aug.topLeftCorner(n_, n_) = KKT.selfadjointView<Eigen::Lower>();
    for (std::ptrdiff_t t = 0; t < na_; ++t) {
      Aug.block(0, n_ + t, n_, 1) = JT.col(active[static_cast<std::size_t>(t)]);
      Aug.block(n_ + t, 0, 1, n_) = JT.col(active[static_cast<std::size_t>(t)]).transpose();
    }
    Aug.bottomRightCorner(na_, na_).setZero();
    for (std::ptrdiff_t t = 0; t < na_; ++t) Aug(n_ + t, n_ + t) = -1.0 / w[active[static_cast<std::size_t>(t)]] - reg;
    ws_.lu.compute(Aug);
    return ws_.lu.matrixLU().diagonal().allFinite();
  }

  // coef = (2, 2 z_i per quadratic block): H = sum_b coef_b (block b of T).
  void hessian_coef(const RVector& z) {
    ws_.coef.setZero();
    ws_.coef[0] = 2.0;
    for (std::ptrdiff_t i = 0; i < m_; ++i) {
      const std::ptrdiff_t blk = (*v_.block)[static_cast<std::size_t>(i)];
      if (blk >= 0) ws_.coef[blk] += 2.0 * z[i];
    }
  }

  // Newton step for the residual rd and e = (z o rp - rc) / s: dx, dz = W J dx + e, Jdx = J dx.
  void solve(const RVector& rd, const RVector& e, const RVector& w, const RMatrix& JT, RVector& dx,
             RVector& dz, RVector& Jdx) {
    if (na_ == 0) {
      if (fixed_) {
        newton_solve16(ws_.Lf.data(), ws_.Xr.data(), ws_.dinv.data(), JT.data(), m_, rd.data(), e.data(),
                       w.data(), dx.data(), dz.data(), Jdx.data());
        return;
      }
      RVector& rhs = ws_.rhs;
      rhs = -rd;
      rhs.noalias() -= JT * e;
      if (small_) {
        dx = rhs;
        cholesky_solve(ws_.Lf.data(), dx.data(), n_);
      } else {
        dx = ws_.llt.solve(rhs);
      }
      Jdx.noalias() = JT.transpose() * dx;
      dz = w.cwiseProduct(Jdx) + e;
      return;
    }
    // [KKT_I  J_A^T; J_A  -W_A^{-1}] [dx; dz_A] = [-rd - J_I^T e_I; -e_A / w_A].
    const auto& active = ws_.active;
    RVector& r2 = ws_.r2;
    r2.resize(n_ + na_);
    r2.head(n_) = -rd;
    for (std::ptrdiff_t i = 0; i < m_; ++i)
      if (w[i] <= kAugmentAbove) r2.head(n_).noalias() -= e[i] * JT.col(i);
    for (std::ptrdiff_t t = 0; t < na_; ++t) {
      const std::ptrdiff_t i = active[static_cast<std::size_t>(t)];
      r2[n_ + t] = -e[i] / w[i];
    }
    r2 = ws_.lu.solve(r2).eval();
    dx = r2.head(n_);
    Jdx.noalias() = JT.transpose() * dx;
    dz = w.cwiseProduct(Jdx) + e;
    for (std::ptrdiff_t t = 0; t < na_; ++t) dz[active[static_cast<std::size_t>(t)]] = r2[n_ + t];
  }

 private:
  const View& v_;
  QcqpWorkspace& ws_;
  std::ptrdiff_t n_, m_, nblocks_;
  bool small_;
  bool fixed_;  // n == kFixedOrder: compile-time-size kernels (same arithmetic, same order)
  std::ptrdiff_t na_ = 0;
  RVector hessian_z_;  // the z at which eval() formed 2 P + 2 sum z_i A_i in KKT (n = 16), else empty
};

// Infeasible-start primal-dual interior-point method (Mehrotra predictor-corrector) on a
// well-scaled problem:  min x^T P x - q^T x  s.t.  g(x) + s = 0, s >= 0, multipliers z >= 0.
// Newton system reduced to (H + J^T diag(z/s) J) dx = rhs, H = 2P + 2 sum z_i A_i; how it is
// formed and solved is the Ops' business (DenseOps: one Cholesky; BlockOps: block Cholesky and
// a capacitance system).  stop_index >= 0 (phase I, t = x[stop_index], rows g_i(x) - t): return
// as soon as max_{i < stop_rows} g_i(x) = max (g_ph,i + t) < stop_below, i.e. x is strictly
// feasible.  x: the start, overwritten.  The answer is left in ws.best_x, ws.best_s, ws.best_z.
template <class Ops>
CoreResult interior_point(Ops& ops, RVector& x, int max_iter, double tol, QcqpWorkspace& ws,
                          std::ptrdiff_t stop_index = -1, std::ptrdiff_t stop_rows = 0,
                          double stop_below = -kInf) {
  const std::ptrdiff_t n = ops.n(), m = ops.m();
  const RVector& q = ops.q();
  CoreResult out;
  RVector &g = ws.g, &s = ws.s, &z = ws.z, &w = ws.w, &wm = ws.wm, &rd = ws.rd, &rp = ws.rp;
  RVector &dx = ws.dx, &ds = ws.ds, &dz = ws.dz, &dx_a = ws.dx_a, &ds_a = ws.ds_a;
  RVector &dz_a = ws.dz_a, &rc = ws.rc, &e = ws.e, &Px = ws.Px, &Jz = ws.Jz, &Jdx = ws.Jdx;
  RMatrix& JT = ws.JT;
  for (RVector* vec : {&g, &s, &z, &w, &wm, &rp, &ds, &dz, &ds_a, &dz_a, &rc, &e, &Jdx}) vec->resize(m);
  for (RVector* vec : {&rd, &ws.rhs, &dx, &dx_a, &Px, &Jz}) vec->resize(n);
  JT.resize(n, m);
  ws.best_x.resize(0);
  z.setOnes();  // before eval(): DenseOps forms the Hessian at this z in the same pass
  ops.eval(x, g, &JT, Px);
  if (m > 0 && stop_index < 0) {  // phase II (phase I's multipliers sum to 1: they start at 1)
    const double z0 = start_multiplier(Px, q, JT);
    if (z0 != 1.0) z.setConstant(z0);  // then DenseOps::factor() forms the Hessian again, at this z
  }
  for (std::ptrdiff_t i = 0; i < m; ++i) s[i] = std::max(-g[i], 1e-2);
  const double ptol = 1e-2 * tol;  // primal feasibility is cheap to get and what users check
  const double qnorm = q.lpNorm<Eigen::Infinity>();
  double best_merit = kInf;
  int stalled = 0;  // iterations since best_merit last improved
  auto keep_best = [&]() { ws.best_x = x, ws.best_s = s, ws.best_z = z; };

  for (int it = 0; it <= max_iter; ++it) {
    // Px = 2 P_s x from eval() at this x
    ops.jt_times(JT, z, Jz);
    rd = Px - q + Jz;
    rp = g + s;
    const double viol = m ? std::max(g.maxCoeff(), 0.0) : 0.0;
    const double fval = 0.5 * x.dot(Px) - q.dot(x);
    const double gap = m ? std::abs(z.dot(g)) : 0.0;
    const double mu = m ? s.dot(z) / static_cast<double>(m) : 0.0;
    if (!std::isfinite(fval) || !rd.allFinite() || !g.allFinite() || !z.allFinite()) {
      out.broke = true;
      break;
    }
    if (stop_index >= 0 && g.head(stop_rows).maxCoeff() + x[stop_index] < stop_below) {
      out.converged = true;
      keep_best();
      return out;
    }
    // Relative KKT merit (<= 1: converged): stationarity relative to the size of its terms.
    const double dscale = std::max({1.0, qnorm, Px.lpNorm<Eigen::Infinity>(), Jz.lpNorm<Eigen::Infinity>()});
    const double fscale = 1.0 + std::abs(fval);
    const double primal_merit =
        std::max({viol / ptol, m ? rp.lpNorm<Eigen::Infinity>() / tol : 0.0, gap / (tol * fscale),
                  mu / (tol * fscale)});
    const double dual_merit = rd.lpNorm<Eigen::Infinity>() / (tol * dscale);
    double merit = std::max(primal_merit, dual_merit);
    // Least-squares multipliers of the active set (polish_multipliers), adopted when with them
    // the merit is <= 1: `primal` is its part that does not depend on z; the complementarity is
    // |z^T g| (slack form) or sum z_i |g_i| (without the slacks).
    auto polish = [&](double primal, bool abs_comp) {
      RVector& zp = ws.zp;
      RVector& rdp = ws.rdp;
      rdp = Px - q;
      if (!polish_multipliers(JT, z, s, rdp, ws, zp)) return;
      rdp.noalias() += JT * zp;
      const double gp = abs_comp ? zp.dot(g.cwiseAbs()) : std::abs(zp.dot(g));
      const double mp = std::max(primal, std::max(rdp.lpNorm<Eigen::Infinity>() / (tol * dscale),
                                                  gp / (tol * fscale)));
      if (mp <= 1.0) {
        z = zp;
        merit = mp;
      }
    };
    // Near a degenerate optimum the reduced Newton system (weights z/s ~ 1/eps) stops resolving
    // stationarity while x is already exact: re-fit the multipliers.
    if (merit > 1.0 && primal_merit <= 1.0) polish(primal_merit, false);
    if (merit > 1.0 && stalled >= kStallIterations && viol <= ptol) {
      // Stalled: the merit has not improved for kStallIterations steps.  Near some degenerate
      // optima the slack residual g + s stays above tol while x is exact (the curvature of the
      // g_i undoes each step's reduction of g + s; the iterates cycle).  Then the test without
      // the slacks decides: x feasible, z >= 0, stationarity and sum z_i |g_i| to tol make a KKT
      // point of the problem itself, whatever s is; with the re-fitted multipliers if need be.
      const double comp = z.dot(g.cwiseAbs());
      const double kkt_merit = std::max({viol / ptol, comp / (tol * fscale), dual_merit});
      if (kkt_merit <= 1.0)
        merit = kkt_merit;
      else
        polish(viol / ptol, true);
    }
    if (merit < best_merit) {
      best_merit = merit;
      keep_best();
      stalled = 0;
    } else {
      ++stalled;
    }
    if (merit <= 1.0) {
      out.converged = true;
      break;
    }
    if (it == max_iter) break;
    out.iterations = it + 1;

    w = z.cwiseQuotient(s);
    if (!ops.factor(z, w, JT)) {
      out.broke = true;
      break;
    }
    auto newton = [&](const RVector& rc_, RVector& dx_, RVector& ds_, RVector& dz_) {
      // rc_ = target of s o z; ds = -rp - J dx; dz = W J dx + e, e = (z o rp - rc) / s.
      e = (z.cwiseProduct(rp) - rc_).cwiseQuotient(s);
      ops.solve(rd, e, w, JT, dx_, dz_, Jdx);
      ds_ = -rp - Jdx;
    };
    // Predictor (affine scaling).
    rc = s.cwiseProduct(z);
    newton(rc, dx_a, ds_a, dz_a);
    const double a_aff = std::min(max_step(s, ds_a), max_step(z, dz_a));
    const double mu_aff =
        m ? (s + a_aff * ds_a).dot(z + a_aff * dz_a) / static_cast<double>(m) : 0.0;
    const double ratio = mu > 0.0 ? std::min(1.0, mu_aff / mu) : 0.0;
    const double sigma = ratio * ratio * ratio;
    // Corrector with centring.
    rc = s.cwiseProduct(z) + ds_a.cwiseProduct(dz_a);
    rc.array() -= sigma * mu;
    newton(rc, dx, ds, dz);
    const double tau = 0.995;  // fraction to the boundary
    const double step = std::min(1.0, tau * std::min(max_step(s, ds), max_step(z, dz)));
    x += step * dx;
    s += step * ds;
    z += step * dz;
    ops.eval(x, g, &JT, Px);
  }
  if (ws.best_x.size() == 0) keep_best();  // broke before the first check
  return out;
}

// R = the n x n blocks of T stacked vertically.
void stack_blocks(const RMatrix& T, RMatrix& R) {
  const std::ptrdiff_t n = T.rows(), nb = T.cols() / n;
  R.resize(n * nb, n);
  for (std::ptrdiff_t b = 0; b < nb; ++b) R.middleRows(b * n, n) = T.middleCols(b * n, n);
}

// dst[0..len) = r * src[0..len) (in full-width vectors: Eigen's are 2 lanes wide here).
void scaled_copy(double* PYISCC_RESTRICT dst, const double* PYISCC_RESTRICT src, double r, std::ptrdiff_t len) {
  std::ptrdiff_t k = 0;
#ifdef PYISCC_VECTOR_EXT
  const vd rv = splat(r);
  for (; k + kLanes <= len; k += kLanes) storev(dst + k, rv * loadv(src + k));
#endif
  for (; k < len; ++k) dst[k] = r * src[k];
}

// max |x_k| over n >= 1 finite entries; n = 16 x 16 matrices: four full-width running maxima (Eigen's
// reduction here is 2 lanes wide with a short dependency chain: 3x slower).  A max is exact in any
// order.
double absmax_of(const double* x, std::ptrdiff_t n) {
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

// Row i of B (b_i^T) of a view, as an Eigen expression.
Eigen::Map<const RVector, 0, Eigen::InnerStride<>> b_row(const QcqpProblemView& p, std::ptrdiff_t i) {
  return {p.B + i * p.b_row, p.n, Eigen::InnerStride<>(p.b_col)};
}

// The scaled problem into ws (see View): objective scale, row scales, T, BT, c_s, q_s.  One read
// of each matrix when check_qcqp has measured them (p.absmax), two otherwise.
void scale_problem(const QcqpProblemView& p, QcqpWorkspace& ws) {
  const std::ptrdiff_t n = p.n, m = p.m;
  const bool measured = static_cast<std::ptrdiff_t>(p.absmax.size()) == m + 1;
  const double pmax = measured ? p.absmax[0] : absmax_of(p.P, n * n);
  const double omax = std::max(pmax, absmax_of(p.q, n));
  ws.obj_scale = omax > 0.0 ? 1.0 / omax : 1.0;
  ws.row_scale.resize(m);
  ws.cs.resize(m);
  ws.BT.resize(n, m);
  ws.block.assign(static_cast<std::size_t>(m), -1);
  std::ptrdiff_t nblocks = 1;
  for (std::ptrdiff_t i = 0; i < m; ++i)
    if (p.quadratic(i)) ws.block[static_cast<std::size_t>(i)] = nblocks++;
  ws.T.resize(n, n * nblocks);
  scaled_copy(ws.T.data(), p.P, ws.obj_scale, n * n);
  ws.qs = ws.obj_scale * Eigen::Map<const RVector>(p.q, n);
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    const auto bi = b_row(p, i);
    double r = std::max(std::abs(p.c[i]), bi.cwiseAbs().maxCoeff());
    if (p.quadratic(i)) r = std::max(r, measured ? p.absmax[ui + 1] : absmax_of(p.A[ui], n * n));
    r = r > 0.0 ? 1.0 / r : 1.0;
    ws.row_scale[i] = r;
    ws.BT.col(i) = r * bi;
    ws.cs[i] = r * p.c[i];
    if (p.quadratic(i)) scaled_copy(ws.T.data() + ws.block[ui] * n * n, p.A[ui], r, n * n);
  }
  if (n != kFixedOrder) stack_blocks(ws.T, ws.R);  // n = 16 reads T directly
}

View scaled_view(const QcqpProblemView& p, const QcqpWorkspace& ws) {
  return View{p.n, p.m, &ws.T, &ws.R, &ws.block, &ws.BT, ws.cs.data(), &ws.qs, ws.obj_scale};
}

// Phase I: min t + eps ||x - x0||^2 s.t. g_i(x) <= t, t >= -1 on the scaled problem; the proximal
// term keeps it bounded in directions no constraint sees.  Leaves (x, t) in ws.best_x after an
// early exit at t < -margin (a strictly feasible point is all phase II needs) or at the optimum.
CoreResult phase_one(const QcqpProblemView& pr, const RVector& x0, int max_iter, double tol,
                     QcqpWorkspace& ws) {
  const std::ptrdiff_t n = pr.n, m = pr.m;
  constexpr double eps = 1e-8;
  QcqpProblem ph;
  ph.P = RMatrix::Zero(n + 1, n + 1);
  ph.P.topLeftCorner(n, n).diagonal().setConstant(eps);
  ph.q = RVector::Zero(n + 1);
  ph.q.head(n) = 2.0 * eps * x0;
  ph.q[n] = -1.0;
  ph.A.resize(static_cast<std::size_t>(m + 1));
  ph.B = RMatrix::Zero(m + 1, n + 1);
  ph.c = RVector::Zero(m + 1);
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    if (pr.quadratic(i)) {
      ph.A[ui] = RMatrix::Zero(n + 1, n + 1);
      ph.A[ui].topLeftCorner(n, n) = ws.T.middleCols(ws.block[ui] * n, n);  // r A_i
    }
    ph.B.row(i).head(n) = ws.BT.col(i).transpose();
    ph.B(i, n) = -1.0;
    ph.c[i] = ws.cs[i];
  }
  ph.B(m, n) = -1.0;  // -t <= 1
  ph.c[m] = 1.0;
  RVector g(m), TX(ws.T.cols());
  constraints(scaled_view(pr, ws), x0, g, nullptr, TX);
  RVector y(n + 1);
  y.head(n) = x0;
  y[n] = g.maxCoeff() + 1.0;
  // The phase-I problem is already scaled (row scales 1 keep it so); its own buffers.
  QcqpWorkspace& pw = ws.phase1 ? *ws.phase1 : *(ws.phase1 = std::make_unique<QcqpWorkspace>());
  pw.block.assign(static_cast<std::size_t>(m + 1), -1);
  std::ptrdiff_t nblocks = 1;
  for (std::ptrdiff_t i = 0; i <= m; ++i)
    if (ph.quadratic(i)) pw.block[static_cast<std::size_t>(i)] = nblocks++;
  pw.T.resize(n + 1, (n + 1) * nblocks);
  pw.T.leftCols(n + 1) = ph.P;
  for (std::ptrdiff_t i = 0; i <= m; ++i)
    if (ph.quadratic(i)) pw.T.middleCols(pw.block[static_cast<std::size_t>(i)] * (n + 1), n + 1) = ph.A[static_cast<std::size_t>(i)];
  stack_blocks(pw.T, pw.R);
  pw.BT = ph.B.transpose();
  pw.cs = ph.c;
  pw.qs = ph.q;
  const View pv{n + 1, m + 1, &pw.T, &pw.R, &pw.block, &pw.BT, pw.cs.data(), &pw.qs, 1.0};
  DenseOps ops(pv, pw);
  const CoreResult out = interior_point(ops, y, max_iter, tol, pw, n, m, -1e-3);
  ws.best_x = pw.best_x;
  return out;
}

// g_i(x) in original units and, optionally, the gradients as columns of JT (the final check).
void original_constraints(const QcqpProblemView& p, const RVector& x, RVector& g, RMatrix* JT) {
  const std::ptrdiff_t n = p.n, m = p.m;
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    const auto bi = b_row(p, i);
    g[i] = bi.dot(x) - p.c[i];
    if (JT) JT->col(i) = bi;
    if (!p.quadratic(i)) continue;
    const Eigen::Map<const RMatrix> Ai(p.A[static_cast<std::size_t>(i)], n, n);
    if (n == kFixedOrder) {  // fixed-size product (vectorised, no per-column dispatch)
      using M16 = Eigen::Matrix<double, kFixedOrder, kFixedOrder>;
      using V16 = Eigen::Matrix<double, kFixedOrder, 1>;
      const V16 ax = Eigen::Map<const M16>(Ai.data()) * Eigen::Map<const V16>(x.data());
      g[i] += Eigen::Map<const V16>(x.data()).dot(ax);
      if (JT) JT->col(i) += 2.0 * ax;
      continue;
    }
    for (std::ptrdiff_t j = 0; j < n; ++j) {  // (A x)_j = A.col(j) . x (A symmetric)
      const double axj = Ai.col(j).dot(x);
      g[i] += x[j] * axj;
      if (JT) (*JT)(j, i) += 2.0 * axj;
    }
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Block-structured path.  The scaled problem (same scale factors as the dense path) with P and
// the A_i stored block by block, and the sparsity of the rows: the nonzero blocks of each A_i
// and the blocks its gradient 2 A_i x + b_i can touch.
struct QcqpWorkspace::BlockData {
  std::ptrdiff_t nb = 0, K = 0, r = 0, n = 0, m = 0;
  double obj_scale = 1.0;
  RVector row_scale;
  RMatrix PB, PT;  // (nb, K nb), (r, r)
  RMatrix AT;      // (r, m r) scaled tail blocks
  // The nonzero blocks of the A_i in CSR order, read in place from the caller's problem:
  // block t is bscale[t] * (the nb x nb column-major block at Asrc[t]).  No scaled copy (at
  // K = 1000 the feasibility phase of Algorithm 2 has 10^6 nonzero 16 x 16 blocks, 2 GB).
  std::vector<const double*> Asrc;
  std::vector<double> bscale;
  // scale_problem's scratch: block k of A_i in the caller's problem, dense or sparse form, at
  // i K + k (nullptr: not stored, i.e. zero).
  std::vector<const double*> Ain;
  RMatrix BT;      // (n, m) b_s,i as columns
  RVector cs, qs;
  std::vector<std::ptrdiff_t> nz_start, nz_block;  // CSR: the nonzero blocks of A_i
  std::vector<char> tail_nz;                        // A_i has a nonzero tail block
  // Support of the gradient of row i: one block k in [0, K), K: the tail only, kEmpty: no
  // variable (a constant row), kCoupling: several blocks.
  std::vector<std::ptrdiff_t> local;
  // Block t of the CSR lists (row i's blocks are t in [nz_start[i], nz_start[i + 1]), block
  // column nz_block[t]): its unscaled data and its scale.
  const double* Az(std::ptrdiff_t t) const { return Asrc[static_cast<std::size_t>(t)]; }
  double Ascale(std::ptrdiff_t t) const { return bscale[static_cast<std::size_t>(t)]; }
};

// The Newton system's factors (BlockOps).  Rows in `cap` (gradients across several blocks, or
// weights above kAugmentAbove) stay in the capacitance system; the others are folded into their
// block of H.
struct QcqpWorkspace::BlockFactor {
  RMatrix H, L;  // (nb, K nb): H' = 2 P + 2 sum z_i A_i + folded rows + reg, and its Cholesky factors
  RMatrix HT;    // (r, r) tail block of H'
  std::vector<std::ptrdiff_t> cap;
  RVector cdiag;  // (mc,) 1 / w_i (+ reg for the augmented rows)
  RMatrix V;      // (K nb, mc) L^{-1} J_C^T (block by block)
  RMatrix NC;     // (mc, mc) diag(cdiag) + V^T V
  RMatrix JCT;    // (mc, r) tail columns of the capacitance rows
  RMatrix G, ST;  // (mc, r) L_N^{-1} J_CT, (r, r) H_T' + G^T G
  Eigen::LLT<RMatrix> llt_c, llt_t;
  RVector ef, rhs, rz, u, dzc, y, t1, res_x, res_z, ddx, ddz, ax;
};

QcqpWorkspace::QcqpWorkspace() = default;
QcqpWorkspace::~QcqpWorkspace() = default;
QcqpWorkspace::QcqpWorkspace(QcqpWorkspace&&) noexcept = default;
QcqpWorkspace& QcqpWorkspace::operator=(QcqpWorkspace&&) noexcept = default;

namespace {

using BlockData = QcqpWorkspace::BlockData;
using BlockFactor = QcqpWorkspace::BlockFactor;
constexpr std::ptrdiff_t kEmpty = -2, kCoupling = -1;
using CMap = Eigen::Map<const RMatrix>;

// d.nz_*, d.tail_nz and d.local from BT, AT and nonzero(i, k) (block k of A_i is nonzero; called
// for increasing i, and increasing k within each i).
template <class NonZero>
void block_sparsity(BlockData& d, NonZero&& nonzero) {
  const std::ptrdiff_t nb = d.nb, K = d.K, r = d.r, m = d.m;
  d.nz_start.assign(1, 0);
  d.nz_block.clear();
  d.tail_nz.assign(static_cast<std::size_t>(m), 0);
  d.local.assign(static_cast<std::size_t>(m), kEmpty);
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    std::ptrdiff_t support = kEmpty;
    auto touch = [&](std::ptrdiff_t k) { support = support == kEmpty || support == k ? k : kCoupling; };
    for (std::ptrdiff_t k = 0; k < K; ++k) {
      const bool a = nonzero(i, k);
      if (a) d.nz_block.push_back(k);
      if (a || !d.BT.col(i).segment(k * nb, nb).isZero(0.0)) touch(k);
    }
    d.nz_start.push_back(static_cast<std::ptrdiff_t>(d.nz_block.size()));
    if (r > 0) {
      d.tail_nz[static_cast<std::size_t>(i)] = !d.AT.middleCols(i * r, r).isZero(0.0);
      if (d.tail_nz[static_cast<std::size_t>(i)] || !d.BT.col(i).tail(r).isZero(0.0)) touch(K);
    }
    d.local[static_cast<std::size_t>(i)] = support;
  }
}

// The scaled block problem into d: the dense path's scale factors (objective by max(|P|, |q|),
// row i by max(|A_i|, |b_i|, |c_i|)), so both paths iterate on the same scaled problem.
void scale_problem(const BlockQcqpProblem& p, BlockData& d) {
  const std::ptrdiff_t nb = p.block_size, K = p.blocks, r = p.tail(), n = p.n(), m = p.m();
  d.nb = nb, d.K = K, d.r = r, d.n = n, d.m = m;
  double omax = p.q.size() ? p.q.cwiseAbs().maxCoeff() : 0.0;
  if (p.P.size()) omax = std::max(omax, p.P.cwiseAbs().maxCoeff());
  if (p.P_tail.size()) omax = std::max(omax, p.P_tail.cwiseAbs().maxCoeff());
  d.obj_scale = omax > 0.0 ? 1.0 / omax : 1.0;
  d.PB = d.obj_scale * p.P;
  d.PT = d.obj_scale * p.P_tail;
  d.qs = d.obj_scale * p.q;
  d.row_scale.resize(m);
  d.cs.resize(m);
  d.BT.resize(n, m);
  d.AT.resize(r, m * r);
  d.Ain.assign(static_cast<std::size_t>(m * K), nullptr);
  const std::ptrdiff_t stored = p.A_index.empty() ? m * K : static_cast<std::ptrdiff_t>(p.A_index.size());
  for (std::ptrdiff_t t = 0; t < stored; ++t)
    d.Ain[static_cast<std::size_t>(p.A_index.empty() ? t : p.A_index[static_cast<std::size_t>(t)])] =
        p.A.data() + t * nb * nb;
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    double s = std::max(std::abs(p.c[i]), p.B.row(i).cwiseAbs().maxCoeff());
    for (std::ptrdiff_t k = 0; k < K; ++k)
      if (const double* blk = d.Ain[static_cast<std::size_t>(i * K + k)])
        s = std::max(s, CMap(blk, nb, nb).cwiseAbs().maxCoeff());
    if (r > 0) s = std::max(s, p.A_tail.middleCols(i * r, r).cwiseAbs().maxCoeff());
    s = s > 0.0 ? 1.0 / s : 1.0;
    d.row_scale[i] = s;
    d.BT.col(i) = s * p.B.row(i).transpose();
    d.cs[i] = s * p.c[i];
    if (r > 0) d.AT.middleCols(i * r, r) = s * p.A_tail.middleCols(i * r, r);
  }
  d.Asrc.clear();
  d.bscale.clear();
  block_sparsity(d, [&](std::ptrdiff_t i, std::ptrdiff_t k) {
    const double* blk = d.Ain[static_cast<std::size_t>(i * K + k)];
    if (!blk || CMap(blk, nb, nb).isZero(0.0)) return false;
    d.Asrc.push_back(blk);
    d.bscale.push_back(d.row_scale[i]);
    return true;
  });
}

// g(x) (scaled), optionally the gradients as columns of JT and Px2 = 2 P_s x.
void block_eval(const BlockData& d, const RVector& x, RVector& g, RMatrix* JT, RVector* Px2, RVector& ax) {
  const std::ptrdiff_t nb = d.nb, K = d.K, r = d.r, nB = K * nb;
  if (Px2) {
    Px2->resize(d.n);
    for (std::ptrdiff_t k = 0; k < K; ++k)
      Px2->segment(k * nb, nb).noalias() = 2.0 * d.PB.middleCols(k * nb, nb) * x.segment(k * nb, nb);
    if (r > 0) Px2->tail(r).noalias() = 2.0 * d.PT * x.tail(r);
  }
  ax.resize(std::max(nb, r));
  for (std::ptrdiff_t i = 0; i < d.m; ++i) {
    double gi = dot(d.BT.col(i).data(), x.data(), d.n) - d.cs[i];
    if (JT) JT->col(i) = d.BT.col(i);
    for (std::ptrdiff_t t = d.nz_start[static_cast<std::size_t>(i)]; t < d.nz_start[static_cast<std::size_t>(i) + 1]; ++t) {
      const std::ptrdiff_t k = d.nz_block[static_cast<std::size_t>(t)];
      auto xk = x.segment(k * nb, nb);
      ax.head(nb).noalias() = d.Ascale(t) * (CMap(d.Az(t), nb, nb) * xk);  // symmetric: A^T x = A x
      gi += xk.dot(ax.head(nb));
      if (JT) JT->col(i).segment(k * nb, nb) += 2.0 * ax.head(nb);
    }
    if (r > 0 && d.tail_nz[static_cast<std::size_t>(i)]) {
      ax.head(r).noalias() = d.AT.middleCols(i * r, r) * x.tail(r);
      gi += x.tail(r).dot(ax.head(r));
      if (JT) JT->col(i).segment(nB, r) += 2.0 * ax.head(r);
    }
    g[i] = gi;
  }
}

// Newton system of interior_point for block-diagonal P, A_i:
//   [H'   J_C^T  ] [dx  ]   [-rd - J_F^T e_F]
//   [J_C  -W_C^-1] [dz_C] = [-e_C / w_C     ]
// F: rows whose gradient lives in one block and whose weight is <= kAugmentAbove, folded into
// that block of H' = blockdiag(2 P + 2 sum z_i A_i) + J_F^T W_F J_F (exactly what the dense path
// folds); C: the others.  The block part of dx is eliminated with the block Cholesky factors L_k,
// leaving the capacitance matrix N_C = W_C^{-1} + J_CB H_B'^{-1} J_CB^T (mc x mc, positive
// definite) and, with tail variables, the r x r Schur complement H_T' + J_CT^T N_C^{-1} J_CT.
// Huge weights stay as tiny diagonal entries 1/w of N_C: never folded, as in the dense
// augmented system.  Iterative refinement on the full system guards the elimination against
// ill-conditioned blocks.
class BlockOps {
 public:
  BlockOps(const BlockData& d, QcqpWorkspace& ws) : d_(d), f_(block_factor(ws)) {}
  std::ptrdiff_t n() const { return d_.n; }
  std::ptrdiff_t m() const { return d_.m; }
  const RVector& q() const { return d_.qs; }
  void jt_times(const RMatrix& JT, const RVector& z, RVector& Jz) const { Jz.noalias() = JT * z; }
  void eval(const RVector& x, RVector& g, RMatrix* JT, RVector& Px2) { block_eval(d_, x, g, JT, &Px2, f_.ax); }

  bool factor(const RVector& z, const RVector& w, const RMatrix& JT) {
    const std::ptrdiff_t nb = d_.nb, K = d_.K, r = d_.r, m = d_.m, nB = K * nb;
    RMatrix& H = f_.H;
    H.noalias() = 2.0 * d_.PB;
    f_.HT.noalias() = 2.0 * d_.PT;
    for (std::ptrdiff_t i = 0; i < m; ++i) {
      const double zi = 2.0 * z[i];
      for (std::ptrdiff_t t = d_.nz_start[static_cast<std::size_t>(i)]; t < d_.nz_start[static_cast<std::size_t>(i) + 1]; ++t) {
        const std::ptrdiff_t k = d_.nz_block[static_cast<std::size_t>(t)];
        Eigen::Map<RVector>(H.data() + k * nb * nb, nb * nb) += (zi * d_.Ascale(t)) * Eigen::Map<const RVector>(d_.Az(t), nb * nb);
      }
      if (r > 0 && d_.tail_nz[static_cast<std::size_t>(i)]) f_.HT += zi * d_.AT.middleCols(i * r, r);
    }
    f_.cap.clear();
    for (std::ptrdiff_t i = 0; i < m; ++i) {
      const std::ptrdiff_t k = d_.local[static_cast<std::size_t>(i)];
      if (k == kEmpty) continue;  // a zero gradient: nothing to fold (w_i J_i^T J_i = 0)
      if (k == kCoupling || w[i] > kAugmentAbove) {
        f_.cap.push_back(i);
      } else if (k < K) {
        const auto jk = JT.col(i).segment(k * nb, nb);
        H.middleCols(k * nb, nb).noalias() += w[i] * jk * jk.transpose();
      } else {
        const auto jt = JT.col(i).tail(r);
        f_.HT.noalias() += w[i] * jt * jt.transpose();
      }
    }
    const auto mc = static_cast<std::ptrdiff_t>(f_.cap.size());
    // The dense path's static regularisation, relative to the largest diagonal entry of H'.
    double dmax = 0.0;
    for (std::ptrdiff_t k = 0; k < K; ++k)
      dmax = std::max(dmax, H.middleCols(k * nb, nb).diagonal().cwiseAbs().maxCoeff());
    if (r > 0) dmax = std::max(dmax, f_.HT.diagonal().cwiseAbs().maxCoeff());
    const double reg = 1e-13 * (1.0 + dmax);
    f_.L.resize(nb, nB);
    for (std::ptrdiff_t k = 0; k < K; ++k) {
      auto Hk = H.middleCols(k * nb, nb);
      Hk.diagonal().array() += reg;
      double* Lk = f_.L.data() + k * nb * nb;
      auto factor_block = [&]() {
        f_.L.middleCols(k * nb, nb) = Hk;
        return cholesky_lower(Lk, nb);
      };
      bool ok = factor_block();
      double rk = reg;
      for (int retry = 0; retry < 4 && !ok; ++retry) {
        Hk.diagonal().array() += 99.0 * rk;  // rounding made the (PSD) block indefinite
        rk *= 100.0;
        ok = factor_block();
      }
      if (!ok) return false;
    }
    if (r > 0) f_.HT.diagonal().array() += reg;
    // Capacitance rows: V = L^{-1} J_CB^T, N_C = diag(1/w_C) + V^T V.
    f_.cdiag.resize(mc);
    f_.V.setZero(nB, mc);
    f_.JCT.resize(mc, r);
    for (std::ptrdiff_t t = 0; t < mc; ++t) {
      const std::ptrdiff_t i = f_.cap[static_cast<std::size_t>(t)];
      f_.cdiag[t] = 1.0 / w[i] + (w[i] > kAugmentAbove ? reg : 0.0);
      for (std::ptrdiff_t k = 0; k < K; ++k) {
        const auto jk = JT.col(i).segment(k * nb, nb);
        if (jk.isZero(0.0)) continue;
        f_.V.col(t).segment(k * nb, nb) = jk;
        forward_solve(f_.L.data() + k * nb * nb, f_.V.col(t).data() + k * nb, nb);
      }
      if (r > 0) f_.JCT.row(t) = JT.col(i).tail(r).transpose();
    }
    if (mc > 0) {
      f_.NC.setZero(mc, mc);
      f_.NC.selfadjointView<Eigen::Lower>().rankUpdate(f_.V.transpose());
      f_.NC.diagonal() += f_.cdiag;
      if (!factor_with_retries(f_.NC, f_.llt_c)) return false;
    }
    if (r > 0) {
      f_.ST = f_.HT;
      if (mc > 0) {
        f_.G = f_.llt_c.matrixL().solve(f_.JCT);
        f_.ST.noalias() += f_.G.transpose() * f_.G;
      }
      if (!factor_with_retries(f_.ST, f_.llt_t)) return false;
    }
    return true;
  }

  void solve(const RVector& rd, const RVector& e, const RVector& w, const RMatrix& JT, RVector& dx,
             RVector& dz, RVector& Jdx) {
    const auto mc = static_cast<std::ptrdiff_t>(f_.cap.size());
    // Right-hand side: [-rd - J_F^T e_F; -e_C / w_C].
    f_.ef = e;
    f_.rz.resize(mc);
    for (std::ptrdiff_t t = 0; t < mc; ++t) {
      const std::ptrdiff_t i = f_.cap[static_cast<std::size_t>(t)];
      f_.rz[t] = -e[i] / w[i];
      f_.ef[i] = 0.0;
    }
    f_.rhs = -rd;
    f_.rhs.noalias() -= JT * f_.ef;
    solve_once(f_.rhs, f_.rz, dx, f_.dzc);
    // Iterative refinement on [H' J_C^T; J_C -diag(cdiag)]: the elimination through the block
    // factors loses accuracy when a block of H' is ill-conditioned (phase I: 2e-8 I plus low-rank
    // terms; relative residuals up to 1e-8 seen, against <= 1e-13 in the CCET-ISCC problems).
    // Up to 4 steps while the relative residual is above 1e-14, each kept only if it halves it.
    const double sx = std::max(f_.rhs.lpNorm<Eigen::Infinity>(), 1e-300);
    const double sz = mc ? std::max(f_.rz.lpNorm<Eigen::Infinity>(), 1e-300) : 1.0;
    auto relative = [&]() {
      return std::max(f_.res_x.lpNorm<Eigen::Infinity>() / sx, mc ? f_.res_z.lpNorm<Eigen::Infinity>() / sz : 0.0);
    };
    residual(JT, dx, f_.dzc, f_.rhs, f_.rz, f_.res_x, f_.res_z);
    double rn = relative();
    for (int step = 0; step < 4 && rn > 1e-14; ++step) {
      solve_once(f_.res_x, f_.res_z, f_.ddx, f_.ddz);
      f_.ddx += dx;
      f_.ddz += f_.dzc;
      residual(JT, f_.ddx, f_.ddz, f_.rhs, f_.rz, f_.res_x, f_.res_z);
      const double rn_new = relative();
      if (!(rn_new < 0.5 * rn)) break;
      dx.swap(f_.ddx);
      f_.dzc.swap(f_.ddz);
      rn = rn_new;
    }
    Jdx.noalias() = JT.transpose() * dx;
    dz = w.cwiseProduct(Jdx) + e;
    for (std::ptrdiff_t t = 0; t < mc; ++t) {
      const std::ptrdiff_t i = f_.cap[static_cast<std::size_t>(t)];
      dz[i] = f_.dzc[t];
      // For the rows the dense path would augment (w_i > kAugmentAbove, s_i -> 0), J_i dx as the
      // row's Newton equation gives it rather than as the product: the step needs
      // ds_i = -rp_i - J_i dx to within s_i, and the product carries the block elimination's
      // rounding (seen: phase I stalling at a zero step on degenerate infeasible problems).
      if (w[i] > kAugmentAbove) Jdx[i] = f_.cdiag[t] * dz[i] - e[i] / w[i];
    }
  }

 private:
  static BlockFactor& block_factor(QcqpWorkspace& ws) {
    if (!ws.bfactor) ws.bfactor = std::make_unique<BlockFactor>();
    return *ws.bfactor;
  }

  // LLT of the (positive definite) lower triangle of M; on failure the diagonal is raised by a
  // relative 1e-13, 1e-11, ... (rounding made it indefinite).
  static bool factor_with_retries(RMatrix& M, Eigen::LLT<RMatrix>& llt) {
    double reg = 1e-13 * (1.0 + M.diagonal().cwiseAbs().maxCoeff());
    llt.compute(M);
    for (int retry = 0; retry < 4 && llt.info() != Eigen::Success; ++retry) {
      M.diagonal().array() += reg;
      reg *= 100.0;
      llt.compute(M);
    }
    return llt.info() == Eigen::Success && llt.matrixLLT().diagonal().allFinite();
  }

  // [dx; dz_C] for the right-hand side [rx; rz] by block elimination.
  void solve_once(const RVector& rx, const RVector& rz, RVector& dx, RVector& dzc) {
    const std::ptrdiff_t nb = d_.nb, K = d_.K, r = d_.r, nB = K * nb;
    const auto mc = static_cast<std::ptrdiff_t>(f_.cap.size());
    RVector& u = f_.u;
    u = rx.head(nB);
    for (std::ptrdiff_t k = 0; k < K; ++k) forward_solve(f_.L.data() + k * nb * nb, u.data() + k * nb, nb);
    dzc.resize(mc);
    if (mc > 0) {
      RVector& y = f_.y;  // N_C^{-1} (rz - V^T u)
      y = rz;
      y.noalias() -= f_.V.transpose() * u;
      f_.llt_c.solveInPlace(y);
      dzc = -y;
      if (r > 0) {  // (H_T' + J_CT^T N_C^{-1} J_CT) dx_T = rx_T + J_CT^T y;  dz_C = N_C^{-1} J_CT dx_T - y
        f_.t1 = rx.tail(r);
        f_.t1.noalias() += f_.JCT.transpose() * y;
        f_.llt_t.solveInPlace(f_.t1);
        RVector& v = f_.y;
        v.noalias() = f_.JCT * f_.t1;
        f_.llt_c.solveInPlace(v);
        dzc += v;
      }
      u.noalias() -= f_.V * dzc;
    } else if (r > 0) {
      f_.t1 = rx.tail(r);
      f_.llt_t.solveInPlace(f_.t1);
    }
    dx.resize(d_.n);
    dx.head(nB) = u;
    for (std::ptrdiff_t k = 0; k < K; ++k) backward_solve(f_.L.data() + k * nb * nb, dx.data() + k * nb, nb);
    if (r > 0) dx.tail(r) = f_.t1;
  }

  // [rx; rz] - [H' J_C^T; J_C -diag(cdiag)] [dx; dz_C].
  void residual(const RMatrix& JT, const RVector& dx, const RVector& dzc, const RVector& rx,
                const RVector& rz, RVector& res_x, RVector& res_z) {
    const std::ptrdiff_t nb = d_.nb, K = d_.K, r = d_.r;
    const auto mc = static_cast<std::ptrdiff_t>(f_.cap.size());
    res_x = rx;
    for (std::ptrdiff_t k = 0; k < K; ++k)
      res_x.segment(k * nb, nb).noalias() -=
          f_.H.middleCols(k * nb, nb).selfadjointView<Eigen::Lower>() * dx.segment(k * nb, nb);
    if (r > 0) res_x.tail(r).noalias() -= f_.HT.selfadjointView<Eigen::Lower>() * dx.tail(r);
    res_z.resize(mc);
    for (std::ptrdiff_t t = 0; t < mc; ++t) {
      const std::ptrdiff_t i = f_.cap[static_cast<std::size_t>(t)];
      res_x.noalias() -= dzc[t] * JT.col(i);
      res_z[t] = rz[t] - JT.col(i).dot(dx) + f_.cdiag[t] * dzc[t];
    }
  }

  const BlockData& d_;
  BlockFactor& f_;
};

// Phase I of the block problem (as phase_one): one more tail variable t.
CoreResult phase_one(const BlockQcqpProblem&, const RVector& x0, int max_iter, double tol,
                     QcqpWorkspace& ws) {
  const BlockData& d = *ws.bdata;  // the scaled problem (prepare())
  const std::ptrdiff_t nb = d.nb, K = d.K, r = d.r, n = d.n, m = d.m, r1 = r + 1;
  constexpr double eps = 1e-8;
  QcqpWorkspace& pw = ws.phase1 ? *ws.phase1 : *(ws.phase1 = std::make_unique<QcqpWorkspace>());
  if (!pw.bdata) pw.bdata = std::make_unique<BlockData>();
  BlockData& p = *pw.bdata;
  p.nb = nb, p.K = K, p.r = r1, p.n = n + 1, p.m = m + 1, p.obj_scale = 1.0;
  p.row_scale.setOnes(m + 1);
  p.PB.resize(nb, K * nb);
  for (std::ptrdiff_t k = 0; k < K; ++k) p.PB.middleCols(k * nb, nb) = eps * RMatrix::Identity(nb, nb);
  p.PT.setZero(r1, r1);
  p.PT.topLeftCorner(r, r).diagonal().setConstant(eps);
  p.qs.resize(n + 1);
  p.qs.head(n) = 2.0 * eps * x0;
  p.qs[n] = -1.0;
  p.Asrc = d.Asrc;  // the same (scaled) nonzero blocks in the same order; row m (-t <= 1) has none
  p.bscale = d.bscale;
  p.AT.setZero(r1, (m + 1) * r1);
  for (std::ptrdiff_t i = 0; i < m; ++i) p.AT.block(0, i * r1, r, r) = d.AT.middleCols(i * r, r);
  p.BT.setZero(n + 1, m + 1);
  p.BT.topLeftCorner(n, m) = d.BT;
  p.BT.row(n).setConstant(-1.0);  // g_i(x) - t <= 0 and -t <= 1
  p.cs.resize(m + 1);
  p.cs.head(m) = d.cs;
  p.cs[m] = 1.0;
  std::ptrdiff_t cursor = 0;  // walks d's CSR lists: nonzero(i, k) comes in increasing (i, k)
  block_sparsity(p, [&](std::ptrdiff_t i, std::ptrdiff_t k) {
    if (i >= m) return false;
    const std::ptrdiff_t end = d.nz_start[static_cast<std::size_t>(i) + 1];
    cursor = std::max(cursor, d.nz_start[static_cast<std::size_t>(i)]);
    while (cursor < end && d.nz_block[static_cast<std::size_t>(cursor)] < k) ++cursor;
    return cursor < end && d.nz_block[static_cast<std::size_t>(cursor)] == k;
  });
  RVector g(m);
  block_eval(d, x0, g, nullptr, nullptr, pw.TX);
  RVector y(n + 1);
  y.head(n) = x0;
  y[n] = g.maxCoeff() + 1.0;
  BlockOps ops(p, pw);
  const CoreResult out = interior_point(ops, y, max_iter, tol, pw, n, m, -1e-3);
  ws.best_x = pw.best_x;
  return out;
}

// g_i(x) in original units and, optionally, the gradients as columns of JT (the final check).
void original_constraints(const BlockQcqpProblem& p, const BlockData& d, const RVector& x, RVector& g,
                          RMatrix* JT) {
  const std::ptrdiff_t nb = p.block_size, K = p.blocks, r = p.tail(), nB = K * nb;
  RVector ax;
  for (std::ptrdiff_t i = 0; i < p.m(); ++i) {
    g[i] = p.B.row(i).dot(x) - p.c[i];
    if (JT) JT->col(i) = p.B.row(i).transpose();
    for (std::ptrdiff_t t = d.nz_start[static_cast<std::size_t>(i)]; t < d.nz_start[static_cast<std::size_t>(i) + 1]; ++t) {
      const std::ptrdiff_t k = d.nz_block[static_cast<std::size_t>(t)];
      ax.noalias() = CMap(d.Az(t), nb, nb) * x.segment(k * nb, nb);  // unscaled: original units
      g[i] += x.segment(k * nb, nb).dot(ax);
      if (JT) JT->col(i).segment(k * nb, nb) += 2.0 * ax;
    }
    if (r > 0 && d.tail_nz[static_cast<std::size_t>(i)]) {
      ax.noalias() = p.A_tail.middleCols(i * r, r) * x.tail(r);
      g[i] += x.tail(r).dot(ax);
      if (JT) JT->col(i).segment(nB, r) += 2.0 * ax;
    }
  }
}

// Per-problem-kind steps of the shared driver (solve_impl): scaling, the scaled constraints,
// phase II, and P x in original units.
void prepare(const QcqpProblemView& p, QcqpWorkspace& ws) { scale_problem(p, ws); }
void prepare(const BlockQcqpProblem& p, QcqpWorkspace& ws) {
  if (!ws.bdata) ws.bdata = std::make_unique<BlockData>();
  scale_problem(p, *ws.bdata);
}

void scaled_constraints(const QcqpProblemView& p, QcqpWorkspace& ws, const RVector& x, RVector& g) {
  ws.TX.resize(ws.T.cols());
  constraints(scaled_view(p, ws), x, g, nullptr, ws.TX);
}
void scaled_constraints(const BlockQcqpProblem&, QcqpWorkspace& ws, const RVector& x, RVector& g) {
  block_eval(*ws.bdata, x, g, nullptr, nullptr, ws.TX);
}

CoreResult phase_two(const QcqpProblemView& p, RVector& x, const QcqpSettings& st, QcqpWorkspace& ws) {
  const View sv = scaled_view(p, ws);
  DenseOps ops(sv, ws);
  return interior_point(ops, x, st.max_iter, st.tol, ws);
}
CoreResult phase_two(const BlockQcqpProblem&, RVector& x, const QcqpSettings& st, QcqpWorkspace& ws) {
  BlockOps ops(*ws.bdata, ws);
  return interior_point(ops, x, st.max_iter, st.tol, ws);
}

double row_scale(const QcqpProblemView&, const QcqpWorkspace& ws, std::ptrdiff_t i) { return ws.row_scale[i]; }
double row_scale(const BlockQcqpProblem&, const QcqpWorkspace& ws, std::ptrdiff_t i) { return ws.bdata->row_scale[i]; }
double obj_scale(const QcqpProblemView&, const QcqpWorkspace& ws) { return ws.obj_scale; }
double obj_scale(const BlockQcqpProblem&, const QcqpWorkspace& ws) { return ws.bdata->obj_scale; }

void original_constraints(const QcqpProblemView& p, const QcqpWorkspace&, const RVector& x, RVector& g, RMatrix* JT) {
  original_constraints(p, x, g, JT);
}
void original_constraints(const BlockQcqpProblem& p, const QcqpWorkspace& ws, const RVector& x, RVector& g,
                          RMatrix* JT) {
  original_constraints(p, *ws.bdata, x, g, JT);
}

void apply_P(const QcqpProblemView& p, const RVector& x, RVector& Px) {
  Px.noalias() = Eigen::Map<const RMatrix>(p.P, p.n, p.n) * x;
}

// The problem's q as an Eigen vector, and its sizes.
Eigen::Map<const RVector> q_of(const QcqpProblemView& p) { return {p.q, p.n}; }
const RVector& q_of(const BlockQcqpProblem& p) { return p.q; }
std::ptrdiff_t n_of(const QcqpProblemView& p) { return p.n; }
std::ptrdiff_t n_of(const BlockQcqpProblem& p) { return p.n(); }
std::ptrdiff_t m_of(const QcqpProblemView& p) { return p.m; }
std::ptrdiff_t m_of(const BlockQcqpProblem& p) { return p.m(); }

// v = the view of a QcqpProblem (pointers into its matrices); returns v.
const QcqpProblemView& view_of(const QcqpProblem& p, QcqpProblemView& v) {
  v.n = p.n();
  v.m = p.m();
  v.P = p.P.data();
  v.q = p.q.data();
  v.A.resize(static_cast<std::size_t>(v.m));
  for (std::ptrdiff_t i = 0; i < v.m; ++i)
    v.A[static_cast<std::size_t>(i)] = p.quadratic(i) ? p.A[static_cast<std::size_t>(i)].data() : nullptr;
  v.B = p.B.data();
  v.b_row = 1;  // column-major (m, n)
  v.b_col = p.B.rows();
  v.c = p.c.data();
  v.absmax.clear();
  return v;
}
void apply_P(const BlockQcqpProblem& p, const RVector& x, RVector& Px) {
  const std::ptrdiff_t nb = p.block_size, r = p.tail();
  Px.resize(p.n());
  for (std::ptrdiff_t k = 0; k < p.blocks; ++k)
    Px.segment(k * nb, nb).noalias() = p.P.middleCols(k * nb, nb) * x.segment(k * nb, nb);
  if (r > 0) Px.tail(r).noalias() = p.P_tail * x.tail(r);
}

QcqpWorkspace& thread_workspace() {
  thread_local QcqpWorkspace ws;
  return ws;
}

}  // namespace

void check_qcqp(QcqpProblemView& p) {
  const std::ptrdiff_t n = p.n, m = p.m;
  require(n >= 1, "q: at least one variable is needed");
  require(static_cast<std::ptrdiff_t>(p.A.size()) == m, "A: expected m matrices");
  p.absmax.resize(static_cast<std::size_t>(m + 1));
  const int pcheck = check_matrix(p.P, n, p.absmax[0]);
  require(pcheck != 1, "P: contains NaN or inf");
  require(pcheck != 2, "P: must be symmetric");
  require(Eigen::Map<const RVector>(p.q, n).allFinite(), "q: contains NaN or inf");
  bool b_finite = true;
  for (std::ptrdiff_t i = 0; i < m; ++i) b_finite = b_finite && b_row(p, i).allFinite();
  require(b_finite, "b: contains NaN or inf");
  require(Eigen::Map<const RVector>(p.c, m).allFinite(), "c: contains NaN or inf");
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    p.absmax[ui + 1] = 0.0;
    if (!p.A[ui]) continue;
    const int acheck = check_matrix(p.A[ui], n, p.absmax[ui + 1]);
    require(acheck != 1, "A: contains NaN or inf");
    require(acheck != 2, "A: every A[i] must be symmetric");
    if (p.absmax[ui + 1] == 0.0) p.A[ui] = nullptr;  // A_i = 0: a linear constraint
  }
}

void check_qcqp(const QcqpProblem& p) {
  const std::ptrdiff_t n = p.n(), m = p.m();
  require(n >= 1, "q: at least one variable is needed");
  require(p.P.rows() == n && p.P.cols() == n, "P: expected shape (n, n)");
  require(p.B.rows() == m && p.B.cols() == n, "b: expected shape (m, n)");
  require(static_cast<std::ptrdiff_t>(p.A.size()) == m, "A: expected m matrices");
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    const RMatrix& Ai = p.A[static_cast<std::size_t>(i)];
    require(Ai.size() == 0 || (Ai.rows() == n && Ai.cols() == n), "A: expected shape (m, n, n)");
  }
  QcqpProblemView v;
  view_of(p, v);
  check_qcqp(v);
}

void check_qcqp(const BlockQcqpProblem& p) {
  const std::ptrdiff_t nb = p.block_size, K = p.blocks, n = p.n(), m = p.m();
  require(nb >= 1, "block_size: must be >= 1");
  require(K >= 1, "blocks: at least one block is needed");
  require(n >= K * nb, "q: fewer variables than blocks * block_size");
  const std::ptrdiff_t r = p.tail();
  require(p.P.rows() == nb && p.P.cols() == K * nb, "P: expected K blocks of shape (block_size, block_size)");
  require(p.P_tail.rows() == r && p.P_tail.cols() == r, "P: expected a (tail, tail) tail block");
  if (p.A_index.empty()) {
    require(p.A.rows() == nb && p.A.cols() == m * K * nb, "A: expected m x K blocks of shape (block_size, block_size)");
  } else {
    require(p.A.rows() == nb && p.A.cols() == static_cast<std::ptrdiff_t>(p.A_index.size()) * nb,
            "A: expected one (block_size, block_size) block per A_index entry");
    for (std::size_t t = 0; t < p.A_index.size(); ++t)
      require(p.A_index[t] >= 0 && p.A_index[t] < m * K && (t == 0 || p.A_index[t] > p.A_index[t - 1]),
              "A_index: must be strictly increasing in [0, m K)");
  }
  require(p.A_tail.rows() == r && p.A_tail.cols() == m * r, "A: expected m tail blocks of shape (tail, tail)");
  require(p.B.rows() == m && p.B.cols() == n, "b: expected shape (m, n)");
  require(finite(p.P) && finite(p.P_tail), "P: contains NaN or inf");
  require(p.q.allFinite(), "q: contains NaN or inf");
  require(finite(p.A) && finite(p.A_tail), "A: contains NaN or inf");
  require(finite(p.B), "b: contains NaN or inf");
  require(p.c.allFinite(), "c: contains NaN or inf");
  auto sym = [](const auto& M) {  // the symmetry test of check_matrix, on a block expression
    const double scale = M.size() ? M.cwiseAbs().maxCoeff() : 0.0;
    return (M - M.transpose()).cwiseAbs().maxCoeff() <= 1e-12 * scale;
  };
  for (std::ptrdiff_t k = 0; k < K; ++k) require(sym(p.P.middleCols(k * nb, nb)), "P: must be symmetric");
  require(r == 0 || sym(p.P_tail), "P: must be symmetric");
  for (std::ptrdiff_t b = 0; b < p.A.cols() / std::max<std::ptrdiff_t>(nb, 1); ++b)
    require(sym(p.A.middleCols(b * nb, nb)), "A: every A[i] must be symmetric");
  for (std::ptrdiff_t i = 0; r > 0 && i < m; ++i)
    require(sym(p.A_tail.middleCols(i * r, r)), "A: every A[i] must be symmetric");
}

namespace {

// The solve shared by both paths: phase I when the start is infeasible, phase II, and the check
// of the returned point in original units.
template <class Problem>
void solve_impl(const Problem& problem, const double* x0, const QcqpSettings& settings,
                QcqpWorkspace& ws, QcqpResult& res) {
  const std::ptrdiff_t n = n_of(problem), m = m_of(problem);
  prepare(problem, ws);
  res.status = QcqpStatus::numerical_error;
  res.iterations = 0;
  res.phase1_iterations = 0;
  res.phase1_value = 0.0;
  res.violated.clear();

  RVector& start = ws.start;
  if (x0)
    start = Eigen::Map<const RVector>(x0, n);
  else
    start.setZero(n);
  RVector& g = ws.gfin;
  g.resize(m);
  scaled_constraints(problem, ws, start, g);
  bool run_phase2 = true;
  if (m > 0 && g.maxCoeff() > settings.tol) {
    const CoreResult ph = phase_one(problem, start, settings.max_iter, settings.tol, ws);
    res.phase1_iterations = ph.iterations;
    res.iterations += ph.iterations;
    start = ws.best_x.head(n);
    scaled_constraints(problem, ws, start, g);
    res.phase1_value = g.maxCoeff();
    if (ph.broke || !ph.converged) {
      res.status = ph.broke ? QcqpStatus::numerical_error : QcqpStatus::max_iter;
      run_phase2 = false;
    } else if (res.phase1_value > settings.feas_tol) {
      res.status = QcqpStatus::infeasible;
      run_phase2 = false;
      for (std::ptrdiff_t i = 0; i < m; ++i)
        if (g[i] > settings.feas_tol) res.violated.push_back(i);
    }
  } else if (m > 0) {
    res.phase1_value = g.maxCoeff();
  }

  res.z.setZero(m);
  if (run_phase2) {
    RVector& x = ws.x;
    x = start;
    const CoreResult core = phase_two(problem, x, settings, ws);
    res.iterations += core.iterations;
    res.status = core.broke       ? QcqpStatus::numerical_error
                 : core.converged ? QcqpStatus::optimal
                                  : QcqpStatus::max_iter;
    if (ws.best_x.allFinite()) {
      start = ws.best_x;
      res.z = ws.best_z;
    }
  }

  // Check the returned point in original units: violation, stationarity, complementarity.
  res.x = start;
  for (std::ptrdiff_t i = 0; i < m; ++i) res.z[i] = std::max(res.z[i], 0.0) * row_scale(problem, ws, i) / obj_scale(problem, ws);
  RMatrix& JT = ws.JT;
  JT.resize(n, m);
  original_constraints(problem, ws, res.x, g, &JT);
  RVector& Px = ws.Px;
  apply_P(problem, res.x, Px);
  const auto q = q_of(problem);
  res.objective = q.dot(res.x) - res.x.dot(Px);
  res.primal_residual = m ? std::max(g.maxCoeff(), 0.0) : 0.0;
  RVector& rd = ws.rd;
  rd = 2.0 * Px - q;
  if (res.status != QcqpStatus::infeasible) rd.noalias() += JT * res.z;
  res.dual_residual = rd.lpNorm<Eigen::Infinity>();
  res.complementarity = m ? res.z.cwiseProduct(g.cwiseAbs()).maxCoeff() : 0.0;
  if (res.status == QcqpStatus::optimal) {
    // The scaled tolerances were met inside; confirm them on the unscaled point before saying so.
    RVector& gs = ws.rp;
    gs.resize(m);
    scaled_constraints(problem, ws, res.x, gs);
    const double viol_scaled = m ? std::max(gs.maxCoeff(), 0.0) : 0.0;
    if (!(viol_scaled <= settings.tol) || !res.x.allFinite() || !std::isfinite(res.objective))
      res.status = QcqpStatus::numerical_error;
  }
}

}  // namespace

QcqpResult solve_qcqp(const QcqpProblem& problem, const double* x0, const QcqpSettings& settings) {
  QcqpResult res;
  QcqpWorkspace& ws = thread_workspace();
  solve_impl(view_of(problem, ws.view), x0, settings, ws, res);
  return res;
}

void solve_qcqp(const QcqpProblem& problem, const double* x0, const QcqpSettings& settings,
                QcqpWorkspace& ws, QcqpResult& res) {
  solve_impl(view_of(problem, ws.view), x0, settings, ws, res);
}

void solve_qcqp(const QcqpProblemView& problem, const double* x0, const QcqpSettings& settings,
                QcqpWorkspace& ws, QcqpResult& res) {
  solve_impl(problem, x0, settings, ws, res);
}

QcqpResult solve_qcqp(const BlockQcqpProblem& problem, const double* x0, const QcqpSettings& settings) {
  QcqpResult res;
  solve_impl(problem, x0, settings, thread_workspace(), res);
  return res;
}

void solve_qcqp(const BlockQcqpProblem& problem, const double* x0, const QcqpSettings& settings,
                QcqpWorkspace& ws, QcqpResult& res) {
  solve_impl(problem, x0, settings, ws, res);
}

}  // namespace pyiscc
