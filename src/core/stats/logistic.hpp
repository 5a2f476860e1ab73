// Logistic regression by iteratively reweighted least squares and the
// g-computation (standardisation) estimate of the marginal risk difference
// with its delta-method standard error (Ge et al. 2011; FDA 2023 guidance on
// covariate adjustment).
#pragma once

#include <Eigen/Dense>

namespace glycotrial {
namespace stats {

struct LogisticFit {
  Eigen::VectorXd beta;
  Eigen::MatrixXd vcov;      // model-based (inverse Fisher information)
  Eigen::MatrixXd vcov_hc0;  // sandwich (HC0)
  Eigen::VectorXd fitted;
  double deviance;
  int iterations;
  bool converged;
  bool boundary;  // some fitted probabilities numerically 0 or 1
};

LogisticFit logistic_fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, int max_iter = 100,
                         double tol = 1e-10);

enum class GcompVariance { Model, Sandwich };

struct Gcomp {
  double p1, p0, rd;
  double se_p1, se_p0, se_rd;
};

// X must contain the 0/1 treatment indicator in column treat_col (0-based).
// Model: Ge et al. (2011) delta method with the model-based covariance of
// beta, conditional on the covariates. Sandwich: the influence function of
// the joint M-estimator (beta, mean predictions), which also accounts for the
// sampling of the covariates (Ye et al. 2023; Tsiatis et al. 2008).
Gcomp gcomp_risk_difference(const LogisticFit& fit, const Eigen::MatrixXd& X,
                            const Eigen::VectorXd& y, int treat_col, GcompVariance v);

}  // namespace stats
}  // namespace glycotrial
