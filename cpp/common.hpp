// Shared types for the pyiscc C++ kernels: pure C++17 + Eigen, no Python headers.
#pragma once

#include <Eigen/Dense>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace pyiscc {

using cdouble = std::complex<double>;
using CMatrix = Eigen::Matrix<cdouble, Eigen::Dynamic, Eigen::Dynamic>;
using CMatrixRM = Eigen::Matrix<cdouble, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using CVector = Eigen::Matrix<cdouble, Eigen::Dynamic, 1>;
using RMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic>;
using RMatrixRM = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RVector = Eigen::Matrix<double, Eigen::Dynamic, 1>;

// Sizes of one network: L base stations (M antennas), K terminals (N antennas).
struct Dims {
  std::ptrdiff_t L, K, N, M;
};

inline void require(bool ok, const char* message) {  // literals: no std::string built per call
  if (!ok) throw std::invalid_argument(message);
}
inline void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

}  // namespace pyiscc
