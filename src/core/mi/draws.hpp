// Multiple imputation by random draws (issue 20): bootstrapped ML imputation
// (von Hippel & Bartlett 2021; rbmi's method_bmlmi()) and approximate
// Bayesian MI (rbmi's method_approxbayes()). The imputation model is fitted to
// bootstrap samples by fit_samples() (condmean.hpp); here each fit imputes
// the missing visits of a set of subjects by draws from their conditional
// multivariate normal distribution under the strategy,
//   y_m = mu_m + Sigma_mo Sigma_oo^-1 (y_o - mu_o) + L z,   z ~ N(0, I),
// with L L' = Sigma_mm - Sigma_mo Sigma_oo^-1 Sigma_om computed once per
// missingness pattern, strategy, ICE visit and covariance group for each
// parameter draw, then analyses each imputed data set by a per-visit ANCOVA
// (estimate, standard error, residual df as rbmi's ancova()).
//
// Random numbers: every fit i has its own stream, std::mt19937_64 seeded by
// std::seed_seq{seed, i, purpose} and normals by Box-Muller, so the results
// depend on the seed only, never on the number of threads.
#pragma once

#include <Eigen/Dense>

#include <cstdint>
#include <random>
#include <vector>

#include "core/mi/condmean.hpp"

namespace glycotrial {
namespace mi {

// A reproducible stream: uniforms on (0, 1) with 53 random bits, standard
// normals by Box-Muller (both portable across standard libraries).
class Stream {
 public:
  Stream(std::uint32_t seed, std::uint32_t index, std::uint32_t purpose);
  double uniform();
  double normal();

 private:
  std::mt19937_64 eng_;
  bool has_spare_ = false;
  double spare_ = 0;
};

// Bootstrap samples of subjects stratified by arm (arm[s] = 0-based code):
// sample i resamples each arm's subjects with replacement from stream
// (seed, i, 0); indices 0-based and sorted.
std::vector<std::vector<int>> bootstrap_samples(const std::vector<int>& arm, int n_samples,
                                                std::uint32_t seed);

// Per-visit ANCOVA results of the imputed data sets, imputation-major:
// est/se of imputation j are k x n_contrasts; df = subjects - columns of Z.
struct DrawResults {
  std::vector<Eigen::MatrixXd> est, se;
  std::vector<double> df;
};

// For each fit i: n_draws imputations of the subjects imp_sets[i] (a
// bootstrap sample for bmlmi, all subjects for approximate Bayes), drawn
// from stream (seed, first_index + i, 1), each analysed; imputation
// i * n_draws + d. first_index lets a slice of the fits (one future's chunk)
// draw exactly what the whole run draws for them.
DrawResults draw_and_analyse(const MiProblem& pb, const std::vector<std::vector<int>>& imp_sets,
                             const std::vector<SampleFit>& fits, int n_draws, std::uint32_t seed,
                             int n_threads, int first_index = 0);

}  // namespace mi
}  // namespace glycotrial
