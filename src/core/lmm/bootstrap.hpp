// Parametric bootstrap of the joint model's composite probability
// (fit_joint()): per replicate, simulate y* ~ N(X beta, V_i(theta)) subject by
// subject at the fitted parameters, refit the model by (RE)ML, and evaluate
// the standardised probability of the composite per arm,
//   P_a = mean_k Phi_2((c1_k - x1_k' beta) / s1, (c2_k - x2_k' beta) / s2; rho),
// with (s1, s2, rho) from zt G zt' + R(target visit). Deterministic given
// the seed (std::mt19937_64 + Box-Muller, so identical on every platform).
#pragma once

#include <Eigen/Dense>

#include <cstdint>
#include <vector>

#include "core/lmm/lmm.hpp"

namespace glycotrial {
namespace lmm {

struct CompositeArm {
  Eigen::MatrixXd X1, X2;  // prediction rows of response 1 and 2 (one per subject)
  Eigen::VectorXd c1, c2;  // thresholds on the model scale
};

struct CompositeSpec {
  std::vector<CompositeArm> arms;
  Eigen::MatrixXd zt;   // 2 x q random-effect design at the target visit
  double target = 0;    // residual coordinate (visit index) of the target visit
};

// Composite probability per arm at (theta_absolute, beta) of `model`.
Eigen::VectorXd composite_probability(const Model& model, const Eigen::VectorXd& theta_absolute,
                                      const Eigen::VectorXd& beta, const CompositeSpec& spec);

// n_boot x n_arms matrix of bootstrap probabilities (NaN where a refit
// failed); `data` is the design of the original fit including its response
// (theta is on that fit's standardised scale).
Eigen::MatrixXd bootstrap_composite(const Data& data, const Eigen::VectorXd& theta_absolute,
                                    const Eigen::VectorXd& beta, const CompositeSpec& spec,
                                    int n_boot, std::uint64_t seed, const FitOptions& options);

}  // namespace lmm
}  // namespace glycotrial
