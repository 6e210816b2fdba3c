// The C++/Python boundary of Algorithm 1, Algorithm 2 and the network kernels: status names,
// and bad input rejected with std::invalid_argument whose message starts with the parameter.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "admm.hpp"
#include "beamforming.hpp"
#include "channel.hpp"
#include "evaluate.hpp"

namespace pyiscc {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Runs fn, expects std::invalid_argument whose message starts with `name` + ":".
template <class Fn>
void expect_rejects(Fn&& fn, const std::string& name) {
  try {
    fn();
    ADD_FAILURE() << "no exception; expected one naming " << name;
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).rfind(name + ":", 0), 0u) << e.what();
  }
}

TEST(Status, EveryOffloadingStatusHasItsName) {
  EXPECT_STREQ(status_name(OffloadingStatus::optimal), "optimal");
  EXPECT_STREQ(status_name(OffloadingStatus::max_iter), "max_iter");
  EXPECT_STREQ(status_name(OffloadingStatus::infeasible), "infeasible");
}

TEST(Status, EveryBeamformingStatusHasItsName) {
  EXPECT_STREQ(status_name(BeamformingStatus::converged), "converged");
  EXPECT_STREQ(status_name(BeamformingStatus::max_iter), "max_iter");
  EXPECT_STREQ(status_name(BeamformingStatus::infeasible), "infeasible");
}

struct OffloadingArrays {
  std::vector<double> t_local{1.0, 1.0}, cost_mec{-0.5, -0.2}, cost_cloud{-0.1, kInf}, capacity{1.0},
      min_offload{-kInf, 0.5};
  OffloadingInput input() const {
    return {1, 2, t_local.data(), cost_mec.data(), cost_cloud.data(), capacity.data(), min_offload.data()};
  }
};

TEST(Validation, SolveOffloadingNamesTheParameter) {
  OffloadingArrays p;
  EXPECT_NO_THROW(solve_offloading(p.input(), AdmmSettings{}));
  auto with = [&](auto change, const char* name) {
    AdmmSettings s;
    change(s);
    expect_rejects([&] { solve_offloading(p.input(), s); }, name);
  };
  with([](AdmmSettings& s) { s.rho = 0.0; }, "rho");
  with([](AdmmSettings& s) { s.rho = kNaN; }, "rho");
  with([](AdmmSettings& s) { s.max_iter = 0; }, "max_iter");
  with([](AdmmSettings& s) { s.tol = kInf; }, "tol");
  with([](AdmmSettings& s) { s.workers = 0; }, "workers");
  with([](AdmmSettings& s) { s.adapt_every = 0; }, "adapt_every");
  with([](AdmmSettings& s) { s.alpha = 2.0; }, "alpha");
  with([](AdmmSettings& s) { s.recovery_iter = -1; }, "recovery_iter");
  auto bad = [&](std::vector<double>& v, double value, const char* name) {
    const double keep = v[0];
    v[0] = value;
    expect_rejects([&] { solve_offloading(p.input(), AdmmSettings{}); }, name);
    v[0] = keep;
  };
  bad(p.capacity, -1.0, "capacity");
  bad(p.t_local, kNaN, "t_local");
  bad(p.min_offload, 1.5, "min_offload");
  bad(p.cost_mec, kNaN, "cost");
  bad(p.cost_cloud, -kInf, "cost");
  OffloadingInput empty = p.input();
  empty.K = 0;
  expect_rejects([&] { solve_offloading(empty, AdmmSettings{}); }, "network");
}

TEST(Validation, StepKernelsNameTheParameter) {
  std::vector<std::pair<double, std::ptrdiff_t>> events;
  const double t[2] = {0.5, 0.2}, lo[2] = {0.0, 0.0}, hi[2] = {1.0, 1.0}, bad_hi[2] = {1.0, -1.0};
  double x[2];
  expect_rejects([&] { box_knapsack_projection(2, 2, t, lo, hi, -1.0, x, events); }, "capacity");
  expect_rejects([&] { box_knapsack_projection(2, 2, t, lo, bad_hi, 1.0, x, events); }, "lo, hi");
  expect_rejects([&] { box_knapsack_projection(2, 3, t, lo, hi, 1.0, x, events); }, "n_knapsack");
  expect_rejects([&] { box_knapsack_projection(2, 2, t, lo, hi, 1.0, x, events, kNaN); }, "guess");
  expect_rejects([&] { box_knapsack_projection(2, 2, t, lo, hi, 1.0, x, events, 0.0, -1); },
                 "newton_passes");
  const std::uint8_t free[1] = {1};
  const double v[1] = {0.5}, lower[1] = {kNaN};
  double a[1], b[1];
  expect_rejects([&] { global_step(1, 1, v, v, free, free, lower, a, b); }, "lower");
}

// A one-BS, one-terminal, one-antenna network.
struct Network1 {
  std::vector<cdouble> H{cdouble(1.0, 0.5)}, HI{cdouble(0.0)}, steering{cdouble(1.0)}, w{cdouble(0.1)};
  std::vector<double> echo_gain{1.0}, task_bits{1e6}, power{1.0}, cpu_local{1e9};
  std::vector<std::int64_t> serving{0}, group{0};
  BeamformingInput beamforming() const {
    return {Dims{1, 1, 1, 1}, H.data(), HI.data(), steering.data(), echo_gain.data(), task_bits.data(),
            power.data(), serving.data(), group.data(), 1e-3, 1.0, 1e6};
  }
  NetworkView view() const {
    return {Dims{1, 1, 1, 1}, H.data(), HI.data(), steering.data(), echo_gain.data(), task_bits.data(),
            cpu_local.data(), 1e-3, 1e6, TaskParams{1e3, 1e10, 1e11, 1e8, 1e-28}};
  }
};

TEST(Validation, OptimizeBeamformingNamesTheParameter) {
  Network1 net;
  BeamformingSettings settings;
  settings.max_iter = 2;
  EXPECT_NO_THROW(optimize_beamforming(net.beamforming(), net.w.data(), settings));
  auto with = [&](auto change, const char* name) {
    BeamformingInput in = net.beamforming();
    BeamformingSettings s = settings;
    change(in, s);
    expect_rejects([&] { optimize_beamforming(in, net.w.data(), s); }, name);
  };
  with([](BeamformingInput& in, BeamformingSettings&) { in.noise_power = 0.0; }, "noise_power");
  with([](BeamformingInput& in, BeamformingSettings&) { in.sensing_sinr = -1.0; }, "sensing_sinr");
  with([](BeamformingInput& in, BeamformingSettings&) { in.bandwidth_hz = kNaN; }, "bandwidth_hz");
  with([](BeamformingInput& in, BeamformingSettings&) { in.dims.N = 0; }, "H");
  with([](BeamformingInput&, BeamformingSettings& s) { s.max_iter = -1; }, "max_iter");
  with([](BeamformingInput&, BeamformingSettings& s) { s.tol = -1.0; }, "tol");
  with([](BeamformingInput&, BeamformingSettings& s) { s.workers = 0; }, "workers");
  net.serving[0] = 3;
  expect_rejects([&] { optimize_beamforming(net.beamforming(), net.w.data(), settings); }, "serving");
  net.serving[0] = 0;
  net.group[0] = -1;
  expect_rejects([&] { optimize_beamforming(net.beamforming(), net.w.data(), settings); }, "group");
  net.group[0] = 0;
  net.power[0] = 0.0;
  expect_rejects([&] { optimize_beamforming(net.beamforming(), net.w.data(), settings); }, "power_budget");
  net.power[0] = 1.0;
  const std::vector<cdouble> nan_w{cdouble(kNaN, 0.0)}, big_w{cdouble(2.0, 0.0)};
  expect_rejects([&] { optimize_beamforming(net.beamforming(), nan_w.data(), settings); }, "w0");
  expect_rejects([&] { optimize_beamforming(net.beamforming(), big_w.data(), settings); }, "w0");
  expect_rejects([&] { upload_latency(net.beamforming(), nan_w.data()); }, "w");
  expect_rejects([&] { beamforming_subproblem(net.beamforming(), net.w.data(), 1); }, "k");
}

TEST(Validation, NetworkKernelsNameTheParameter) {
  Network1 net;
  const std::vector<cdouble> nan_w{cdouble(0.0, kNaN)};
  double t_local[1], t_mec[1], t_cloud[1];
  EXPECT_NO_THROW(beam_latencies(net.view(), net.w.data(), t_local, t_mec, t_cloud));
  EXPECT_TRUE(std::isfinite(t_mec[0]));
  expect_rejects([&] { beam_latencies(net.view(), nan_w.data(), t_local, t_mec, t_cloud); }, "w");
  NetworkView noiseless = net.view();
  noiseless.noise_power = 0.0;
  expect_rejects([&] { beam_latencies(noiseless, net.w.data(), t_local, t_mec, t_cloud); }, "noise_power");
  const cdouble g[1] = {cdouble(1.0)};
  double sinr[1], gamma[1], interference[1] = {0.0};
  expect_rejects([&] { uplink_sinr(g, Dims{1, 1, 0, 1}, -1.0, sinr); }, "noise_power");
  expect_rejects([&] { echo_sinr(net.steering.data(), net.w.data(), net.echo_gain.data(), interference,
                                 Dims{1, 1, 1, 1}, 0.0, gamma); },
                 "noise_power");
  const double a[1] = {0.5}, b[1] = {0.0};
  expect_rejects([&] { check_decisions(a, b, Dims{1, 1, 0, 0}); }, "a");
}

}  // namespace
}  // namespace pyiscc
