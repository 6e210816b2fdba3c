// Validation of problems from outside C++ (solve_qcqp(QcqpArguments), qcqp.cpp): sizes,
// finiteness and symmetry, each failure a std::invalid_argument whose message starts with the
// argument's name.  PSD is the caller's promise (a non-PSD input ends in numerical_error, never
// in a wrong "optimal").  One symmetry test for both paths: check_matrix.
#include <algorithm>
#include <cmath>

#include "constants.hpp"
#include "kernels16.hpp"
#include "workspace.hpp"

namespace pyiscc::qcqp_detail {

int check_matrix(const double* PYISCC_RESTRICT M, std::ptrdiff_t n, double& absmax) {
  double scale = 0.0, asym = 0.0, nan_probe = 0.0;  // nan_probe: sum of 0 * entries (NaN if any is)
#ifdef PYISCC_TILE_CHECK
  if (n == 16) {  // the binding checks P and every A_i of every call: 16 x 16 in register tiles
    check16_tiles(M, scale, asym, nan_probe);
    absmax = scale;
    if (!(nan_probe == 0.0)) return 1;
    return asym <= kSymmetryTol * scale ? 0 : 2;
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
  return asym <= kSymmetryTol * scale ? 0 : 2;
}

void check_dense(DenseView& p) {
  const std::ptrdiff_t n = p.n, m = p.m;
  require(n >= 1, "q: at least one variable is needed");
  require(static_cast<std::ptrdiff_t>(p.A.size()) == m, "A: expected m matrices");
  p.absmax.resize(static_cast<std::size_t>(m + 1));
  const int pcheck = check_matrix(p.P, n, p.absmax[0]);
  require(pcheck != 1, "P: contains NaN or inf");
  require(pcheck != 2, "P: must be symmetric");
  require(Eigen::Map<const RVector>(p.q, n).allFinite(), "q: contains NaN or inf");
  bool b_finite = true;
  for (std::ptrdiff_t i = 0; i < m; ++i)
    b_finite = b_finite && Eigen::Map<const RVector, 0, Eigen::InnerStride<>>(
                               p.B + i * p.b_row, n, Eigen::InnerStride<>(p.b_col)).allFinite();
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

void check_block(const BlockQcqpProblem& p) {
  const std::ptrdiff_t nb = p.block_size, K = p.blocks, n = p.n(), m = p.m();
  require(nb >= 1, "block_size: must be >= 1");
  require(K >= 1, "block_size: at least one block is needed");
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
              "A: A_index must be strictly increasing in [0, m K)");
  }
  require(p.A_tail.rows() == r && p.A_tail.cols() == m * r, "A: expected m tail blocks of shape (tail, tail)");
  require(p.B.rows() == m && p.B.cols() == n, "b: expected shape (m, n)");
  require(p.P.allFinite() && p.P_tail.allFinite(), "P: contains NaN or inf");
  require(p.q.allFinite(), "q: contains NaN or inf");
  require(p.A.allFinite() && p.A_tail.allFinite(), "A: contains NaN or inf");
  require(p.B.allFinite(), "b: contains NaN or inf");
  require(p.c.allFinite(), "c: contains NaN or inf");
  // Every block is finite by now: check_matrix returns 0 (symmetric) or 2.
  double absmax = 0.0;
  for (std::ptrdiff_t k = 0; k < K; ++k)
    require(check_matrix(p.P.data() + k * nb * nb, nb, absmax) == 0, "P: must be symmetric");
  require(r == 0 || check_matrix(p.P_tail.data(), r, absmax) == 0, "P: must be symmetric");
  for (std::ptrdiff_t b = 0; b < p.A.cols() / nb; ++b)
    require(check_matrix(p.A.data() + b * nb * nb, nb, absmax) == 0, "A: every A[i] must be symmetric");
  for (std::ptrdiff_t i = 0; r > 0 && i < m; ++i)
    require(check_matrix(p.A_tail.data() + i * r * r, r, absmax) == 0, "A: every A[i] must be symmetric");
}

}  // namespace pyiscc::qcqp_detail
