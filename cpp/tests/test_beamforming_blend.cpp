// sensing_blend (cpp/beamforming.hpp): the warm start's pull towards the MRS beams, against a
// transcription that checks every grid point's margins directly (no closed form), on random
// networks where the start misses (18e) by different amounts; and its bad arguments.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <random>
#include <vector>

#include "beamforming.hpp"

namespace pyiscc {
namespace {

std::size_t ix(std::ptrdiff_t i) { return static_cast<std::size_t>(i); }

// A random network of K terminals with N antennas (one BS, M = 2) and MRS beams at the budget.
struct Case {
  Dims d{1, 4, 3, 2};
  std::vector<cdouble> H, HI, steering, w0, mrs;
  std::vector<double> gain, bits, budget;
  std::vector<std::int64_t> serving, group;
  BeamformingInput in{};

  Case(unsigned seed, double sensing_sinr) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> n;
    auto cn = [&] { return cdouble(n(rng), n(rng)) / std::sqrt(2.0); };
    const std::ptrdiff_t L = d.L, K = d.K, N = d.N, M = d.M;
    H.resize(ix(L * K * N * M));
    for (auto& x : H) x = cn();
    HI.assign(ix(K * K * N * N), 0.0);
    for (std::ptrdiff_t k = 0; k < K; ++k)
      for (std::ptrdiff_t j = 0; j < K; ++j)
        if (j != k)
          for (std::ptrdiff_t e = 0; e < N * N; ++e)
            HI[ix((k * K + j) * N * N + e)] = 0.05 * cn();
    steering.resize(ix(K * N));
    for (std::ptrdiff_t k = 0; k < K; ++k)
      for (std::ptrdiff_t i = 0; i < N; ++i)
        steering[ix(k * N + i)] = std::polar(1.0, 0.7 * (k + 1) * i);
    gain.assign(ix(K), 1.0);
    bits.assign(ix(K), 1e5);
    budget.assign(ix(K), 0.2);
    serving.assign(ix(K), 0);
    group.assign(ix(K), 0);
    w0.resize(ix(K * N));
    mrs.resize(ix(K * N));
    for (std::ptrdiff_t k = 0; k < K; ++k) {
      double norm2 = 0.0;
      for (std::ptrdiff_t i = 0; i < N; ++i) {
        auto& x = w0[ix(k * N + i)];
        x = cn();
        norm2 += std::norm(x);
      }
      const double scale = std::sqrt(0.9 * budget[ix(k)] / norm2);
      for (std::ptrdiff_t i = 0; i < N; ++i) {
        w0[ix(k * N + i)] *= scale;
        mrs[ix(k * N + i)] = std::sqrt(budget[ix(k)] / N) * steering[ix(k * N + i)];
      }
    }
    in = BeamformingInput{d, H.data(), HI.data(), steering.data(), gain.data(), bits.data(),
                          budget.data(), serving.data(), group.data(), 1e-3, sensing_sinr, 1e6};
  }

  // Smallest of gain |a^H w_k|^2 - Gamma (sum_j ||HI[k,j] w_j||^2 + sigma^2), directly; with
  // `ratio`, the smallest echo SINR gain |a^H w_k|^2 / (sum_j ... + sigma^2) instead.
  double worst(const cdouble* w, bool ratio = false) const {
    const std::ptrdiff_t K = d.K, N = d.N;
    double out = INFINITY;
    for (std::ptrdiff_t k = 0; k < K; ++k) {
      cdouble beam = 0.0;
      for (std::ptrdiff_t i = 0; i < N; ++i)
        beam += std::conj(steering[ix(k * N + i)]) * w[k * N + i];
      double caused = in.noise_power;
      for (std::ptrdiff_t j = 0; j < K; ++j) {
        if (j == k) continue;
        for (std::ptrdiff_t r = 0; r < N; ++r) {
          cdouble y = 0.0;
          for (std::ptrdiff_t c = 0; c < N; ++c)
            y += HI[ix((k * K + j) * N * N + r * N + c)] * w[j * N + c];
          caused += std::norm(y);
        }
      }
      const double signal = gain[ix(k)] * std::norm(beam);
      out = std::min(out, ratio ? signal / caused : signal - in.sensing_sinr * caused);
    }
    return out;
  }

  // The blend at t, as sensing_blend defines it.
  std::vector<cdouble> blend(double t) const {
    const std::ptrdiff_t K = d.K, N = d.N;
    std::vector<cdouble> out(ix(K * N));
    for (std::ptrdiff_t k = 0; k < K; ++k) {
      const double root = std::sqrt(budget[ix(k)]);
      double norm0 = 0.0;
      cdouble phase = 0.0;
      for (std::ptrdiff_t i = 0; i < N; ++i) norm0 += std::norm(w0[ix(k * N + i)]);
      norm0 = std::sqrt(norm0);
      for (std::ptrdiff_t i = 0; i < N; ++i)
        phase += std::conj(mrs[ix(k * N + i)] / root) * w0[ix(k * N + i)] / norm0;
      phase /= std::abs(phase);
      double norm = 0.0;
      for (std::ptrdiff_t i = 0; i < N; ++i) {
        const auto e = ix(k * N + i);
        out[e] = (1.0 - t) * w0[e] / norm0 + t * phase * mrs[e] / root;
        norm += std::norm(out[e]);
      }
      for (std::ptrdiff_t i = 0; i < N; ++i)
        out[ix(k * N + i)] *= ((1.0 - t) * norm0 + t * root) / std::sqrt(norm);
    }
    return out;
  }
};

class SensingBlend : public ::testing::TestWithParam<unsigned> {};

TEST_P(SensingBlend, IsTheLeastGridPointThatMeetsSensing) {
  // Thresholds between the start's smallest echo SINR and the MRS beams' (geometrically): the
  // start misses (18e), the MRS beams meet it, at different distances from each.
  const Case base(GetParam(), 1.0);
  const double s0 = base.worst(base.w0.data(), true), s1 = base.worst(base.mrs.data(), true);
  ASSERT_GT(s1, 1.01 * s0) << "the MRS beams sense no better than the start";
  std::vector<double> pulls;
  for (double f : {0.02, 0.3, 0.7, 0.98}) {
    Case c(GetParam(), std::pow(s0, 1.0 - f) * std::pow(s1, f));
    ASSERT_LT(c.worst(c.w0.data()), 0.0);
    ASSERT_GE(c.worst(c.mrs.data()), 0.0);
    std::vector<cdouble> w(c.w0.size());
    const int halvings = 4;
    const double t = sensing_blend(c.in, c.w0.data(), c.mrs.data(), halvings, w.data());
    // The transcription: doubling from 1/128, then 16 parts of the bracket, margins direct.
    auto meets = [&](double s) { return c.worst(c.blend(s).data()) >= 0.0; };
    double lo = 0.5, hi = 1.0;
    for (int i = -7; i < 0; ++i)
      if (meets(std::ldexp(1.0, i))) {
        hi = std::ldexp(1.0, i);
        lo = i == -7 ? 0.0 : 0.5 * hi;
        break;
      }
    double expected = hi;
    for (int j = 1; j < 16; ++j)
      if (meets(lo + (hi - lo) * j / 16)) {
        expected = lo + (hi - lo) * j / 16;
        break;
      }
    EXPECT_EQ(t, expected) << "fraction " << f;
    pulls.push_back(t);
    EXPECT_GE(c.worst(w.data()), 0.0);
    if (t < 1.0) {
      const std::vector<cdouble> ref = c.blend(t);
      for (std::size_t e = 0; e < w.size(); ++e) EXPECT_NEAR(std::abs(w[e] - ref[e]), 0.0, 1e-13);
    }
  }
  // a harder threshold needs a longer pull, and the easiest one less than the whole way
  for (std::size_t i = 1; i < pulls.size(); ++i) EXPECT_GE(pulls[i], pulls[i - 1]);
  EXPECT_LT(pulls.front(), pulls.back());
  EXPECT_LT(pulls.front(), 1.0);
}

INSTANTIATE_TEST_SUITE_P(Seeds, SensingBlend, ::testing::Values(1u, 2u, 3u, 4u, 5u, 6u));

TEST(SensingBlendEdges, RejectsBadArguments) {
  Case c(1, 1.0);
  std::vector<cdouble> w(c.w0.size());
  EXPECT_THROW(sensing_blend(c.in, c.w0.data(), c.mrs.data(), -1, w.data()), std::invalid_argument);
  c.w0[0] = cdouble(NAN, 0.0);
  EXPECT_THROW(sensing_blend(c.in, c.w0.data(), c.mrs.data(), 4, w.data()), std::invalid_argument);
}

}  // namespace
}  // namespace pyiscc
