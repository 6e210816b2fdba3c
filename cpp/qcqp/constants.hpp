// The QCQP solver's tuning constants, in one place (docs/algorithms.md explains the method).
// Internal to cpp/qcqp/; the user-facing settings are QcqpSettings (qcqp.hpp).
#pragma once

#include <cstddef>
#include <limits>

namespace pyiscc::qcqp_detail {

constexpr double kInf = std::numeric_limits<double>::infinity();

// --- Interior-point iteration (interior_point.hpp) -------------------------------------------
// Fraction to the boundary: each step goes this fraction of the way to the nearest s_i = 0 or
// z_i = 0 (at most a full step).
constexpr double kFractionToBoundary = 0.995;
// Slacks start at s_i = max(-g_i(x0), kMinStartSlack).
constexpr double kMinStartSlack = 1e-2;
// Primal feasibility is met to kPrimalTolFactor * tol: it is cheap to get and what users check.
constexpr double kPrimalTolFactor = 1e-2;
// Smallest start of the multipliers in phase II (start_multiplier).
constexpr double kMinStartMultiplier = 1e-8;
// Iterations without a better merit after which a KKT point whose slack residual has stalled is
// accepted too.
constexpr int kStallIterations = 3;
// z_i / s_i above which constraint i stays in an augmented (quasi-definite) Newton system instead
// of being folded into H + J^T W J.
constexpr double kAugmentAbove = 1e6;

// --- Factorisations (cholesky.hpp) ---------------------------------------------------------
// Static regularisation of every Newton matrix: kStaticReg (1 + max |diagonal entry|) on the
// diagonal keeps the factor defined where the problem is flat in some direction.
constexpr double kStaticReg = 1e-13;
// factor_with_retries: up to kFactorRetries more tries, the regularisation kRegGrowth times larger
// at each.
constexpr int kFactorRetries = 4;
constexpr double kRegGrowth = 100.0;

// --- Block path: iterative refinement of the eliminated Newton solve (block.cpp) -------------
// Up to kRefinementSteps steps while the relative residual is above kRefinementTarget, each kept
// only if it reduces the residual by kRefinementGain at least.
constexpr int kRefinementSteps = 4;
constexpr double kRefinementTarget = 1e-14;
constexpr double kRefinementGain = 0.5;

// --- Phase I (interior_point.hpp, phase_one) -----------------------------------------------
// Weight eps of the proximal term eps ||x - x0||^2 that keeps phase I bounded in directions no
// constraint sees.
constexpr double kPhaseOneProximal = 1e-8;
// Phase I stops as soon as max_i g_i(x) < -kPhaseOneMargin (scaled units): strictly feasible.
constexpr double kPhaseOneMargin = 1e-3;
// Phase I's lower bound on t (the row -t <= kPhaseOneFloor), and the start t = max_i g_i(x0) +
// kPhaseOneStartGap.
constexpr double kPhaseOneFloor = 1.0;
constexpr double kPhaseOneStartGap = 1.0;

// --- Input checks (checks.cpp) ---------------------------------------------------------------
// P and the A_i are symmetric when |M - M^T| <= kSymmetryTol max |M| entry-wise.
constexpr double kSymmetryTol = 1e-12;

// --- Sizes -------------------------------------------------------------------------------------
// Order of the register kernels (kernels16.hpp): 2N real variables at the default N = 8 antennas.
constexpr std::ptrdiff_t kFixedOrder = 16;
// Up to this order the dense Cholesky factor and its solves are plain loops (Eigen's dynamic-size
// kernels cost more in dispatch than in arithmetic at n = 16); above it Eigen's blocked LLT.
constexpr std::ptrdiff_t kSmallOrder = 40;

}  // namespace pyiscc::qcqp_detail
