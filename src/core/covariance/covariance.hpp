// Residual covariance structures of the MMRM engine.
//
// Every structure, built-in or added by another package or from R, is a
// glycotrial_covariance_v1 plugin (inst/include/glycotrial/plugin_api.h). The
// built-ins are defined in covariance.cpp and registered at load through the
// same C entry point other packages use (glycotrial_register_covariance_v1).
//
// The parametrisation of every built-in equals that of the R package mmrm
// (openpharma/mmrm, src/covariance.h), so theta can be compared directly:
//   us     theta = (log sd_1..k, l_21, l_31, l_32, l_41, ...): L lower
//          triangular with L_ii = sd_i, L_ij = sd_i * l_ij (row-wise order),
//          Sigma = L L'.                                       k(k+1)/2 params
//   toep   (log sd, r_1..r_{k-1}), corr(i,j) = rho(r_|i-j|)          k params
//   toeph  (log sd_1..k, r_1..r_{k-1})                            2k-1 params
//   ar1    (log sd, r), corr = rho(r)^|i-j|                         2 params
//   ar1h   (log sd_1..k, r)                                       k+1 params
//   ad     (log sd, r_1..r_{k-1}), corr(i,j) = prod_{l=j}^{i-1} rho(r_l)  k
//   adh    (log sd_1..k, r_1..r_{k-1})                            2k-1 params
//   cs     (log sd, r), corr = (k plogis(r) - 1) / (k - 1), which keeps
//          Sigma positive definite (mmrm >= 0.3)                   2 params
//   csh    (log sd_1..k, r), same correlation map                 k+1 params
//   sp_exp (log variance, logit rho), Sigma_ij = s2 * rho^d_ij      2 params
//   sp_gau (log variance, logit rho), Sigma_ij = s2 * rho^(d_ij^2)  2 params
// with rho(r) = r / sqrt(1 + r^2) (toep, ar1, ad) and d_ij = |t_i - t_j|.
// (sp_gau is not in mmrm; it is nlme's corGaus with range 1/sqrt(-log rho).)
#pragma once

#include <Eigen/Dense>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "glycotrial/plugin_api.h"

namespace glycotrial {
namespace mmrm {

// The built-in plugins (static storage; strings live forever).
const std::vector<glycotrial_covariance_v1>& builtin_covariances();

// A covariance structure as the engine sees it: number of parameters and the
// matrix with its first derivatives for a set of coordinates. This is the API
// the LMM engine may reuse.
class CovarianceModel {
 public:
  virtual ~CovarianceModel() = default;
  virtual std::string key() const = 0;
  // Coordinates are continuous times (spatial) or 0-based visit indices.
  virtual bool spatial() const = 0;
  // Parameters for a structure over n_visits visits (or distinct times).
  virtual int n_theta(int n_visits) const = 0;
  // Sigma (m x m) at coords (size m) and, when dsigma != nullptr, its
  // derivatives d Sigma / d theta_j, j < n_theta. Throws NumericalError when
  // the structure cannot be evaluated.
  virtual void sigma(const std::vector<double>& theta, int n_visits,
                     const std::vector<double>& coords, Eigen::MatrixXd& sigma,
                     std::vector<Eigen::MatrixXd>* dsigma) const = 0;
  // Starting theta from an empirical covariance S over the k = S.rows()
  // visits (NaN where a pair of visits was never observed) and a fallback
  // variance for visits without one (not finite or <= 0: the median of the
  // usable variances). The default is zeros; see start.cpp.
  virtual std::vector<double> start(const Eigen::MatrixXd& S, double fallback_var) const;
};

// Wraps a registered C plugin; falls back to central differences when the
// plugin has no analytic derivatives (returns 2).
class PluginCovariance : public CovarianceModel {
 public:
  explicit PluginCovariance(const glycotrial_covariance_v1& plugin) : p_(plugin) {}
  std::string key() const override { return p_.key ? p_.key : ""; }
  bool spatial() const override { return p_.spatial != 0; }
  int n_theta(int n_visits) const override;
  void sigma(const std::vector<double>& theta, int n_visits, const std::vector<double>& coords,
             Eigen::MatrixXd& sigma, std::vector<Eigen::MatrixXd>* dsigma) const override;
  // The built-in start of the structure's key (start.cpp), zeros for other
  // keys. Spatial structures: spatial_starts() (the engine,
  // MmrmEngine::default_starts(), chooses among them by deviance).
  std::vector<double> start(const Eigen::MatrixXd& S, double fallback_var) const override;

 private:
  glycotrial_covariance_v1 p_;
};

// A registered plugin looked up by key at every evaluation, so that a model
// that outlives a plugin replaced with overwrite = TRUE never calls it stale
// (the LMM's model objects live on in R); evaluates through
// PluginCovariance, so with its one finite-difference fallback.
class RegisteredCovariance : public CovarianceModel {
 public:
  // Throws InputError when `key` is not registered or its parameter count
  // over n_visits is out of bounds.
  RegisteredCovariance(std::string key, int n_visits);
  std::string key() const override { return key_; }
  bool spatial() const override;
  int n_theta(int n_visits) const override;
  void sigma(const std::vector<double>& theta, int n_visits, const std::vector<double>& coords,
             Eigen::MatrixXd& sigma, std::vector<Eigen::MatrixXd>* dsigma) const override;
  std::vector<double> start(const Eigen::MatrixXd& S, double fallback_var) const override;

 private:
  const glycotrial_covariance_v1& plugin() const;
  std::string key_;
};

// Start values of the built-in structure `key` from an empirical covariance
// (see CovarianceModel::start); false when `key` has no built-in start.
bool builtin_start(const std::string& key, const Eigen::MatrixXd& S, double fallback_var,
                   std::vector<double>& theta);
// Keys with a built-in start (every non-spatial built-in structure).
std::vector<std::string> builtin_start_keys();

// Starts of a spatial structure (sp_exp, sp_gau and spatial plugins; n_theta
// per group, its first parameter the log variance, its second the range on
// the logit scale of rho): per group (log variance[g], 0), then, for sp_exp
// and sp_gau with a finite median within-subject distance d, the same with
// the range parameter putting the correlation at distance d at 0.5, 0.3,
// 0.7, 0.1, 0.9 (rho = c^(1 / d^p), p = 1 for sp_exp, 2 for sp_gau). Times in
// weeks or days otherwise make rho^d vanish for every pair of visits and the
// deviance flat in the range (a saddle point); the engine starts at the
// candidate of lowest deviance and keeps the others as restarts.
std::vector<std::vector<double>> spatial_starts(const std::string& key,
                                                const std::vector<double>& variance,
                                                double median_distance, int n_theta);
// R's median() of values d, each counted n times (pairs (d, n)); NaN for none.
double weighted_median(std::vector<std::pair<double, double>> dn);

// A plugin's covariance for one subject as a column-major m x m vector, with
// its n_theta m x m derivative matrices stored one after another when
// `derivatives` is non-null (PluginCovariance, so the same finite-difference
// fallback); checks the length of theta first (InputError).
std::vector<double> plugin_sigma(const glycotrial_covariance_v1& plugin,
                                 const std::vector<double>& theta, int n_visits,
                                 const std::vector<double>& coords,
                                 std::vector<double>* derivatives = nullptr);

// Look up a registered plugin by key; throws InputError when unknown.
std::unique_ptr<CovarianceModel> find_covariance_model(const std::string& key);

// Central-difference derivatives of Sigma for a structure, as a fallback and
// for tests (relative step h * max(1, |theta_j|)).
std::vector<Eigen::MatrixXd> numerical_dsigma(const CovarianceModel& model,
                                              const std::vector<double>& theta, int n_visits,
                                              const std::vector<double>& coords,
                                              double h = 1e-5);

}  // namespace mmrm
}  // namespace glycotrial
