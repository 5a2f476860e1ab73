// Built-in covariance structures (mmrm's parametrisation, see covariance.hpp)
// with analytic first derivatives, and the engine-side view of any plugin.
#include "core/covariance/covariance.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/common/errors.hpp"
#include "core/common/plugin_registry.hpp"

namespace glycotrial {
namespace mmrm {
namespace {

using Eigen::MatrixXd;

void set_err(char* err, int len, const std::string& msg) {
  if (err && len > 0) {
    std::strncpy(err, msg.c_str(), static_cast<size_t>(len) - 1);
    err[len - 1] = '\0';
  }
}

// Correlation parameter map of mmrm: rho = r / sqrt(1 + r^2) and d rho / d r.
inline double to_rho(double r) { return r / std::sqrt(1.0 + r * r); }
inline double drho(double r) { return std::pow(1.0 + r * r, -1.5); }

enum class Corr { toep, ar1, ad, cs };

// Visit indices from coordinates; false when one is not a valid index.
bool visit_indices(const double* coords, int m, int k, std::vector<int>& v) {
  v.resize(m);
  for (int a = 0; a < m; ++a) {
    double c = coords[a];
    if (!(c >= 0) || c != std::floor(c) || c >= k) return false;
    v[a] = static_cast<int>(c);
  }
  return true;
}

// Sigma_ab = sd_a sd_b corr(v_a, v_b) for the correlation families.
int corr_sigma(Corr type, bool hetero, const double* theta, int n_theta, int k,
               const double* coords, int m, double* sigma, double* dsigma, char* err, int len) {
  std::vector<int> v;
  if (!visit_indices(coords, m, k, v)) {
    set_err(err, len, "visit coordinates must be 0-based indices below the number of visits");
    return 1;
  }
  const int n_sd = hetero ? k : 1;
  const double* r = theta + n_sd;  // correlation parameters
  const int n_r = n_theta - n_sd;
  std::vector<double> rho(n_r), drho_dr(n_r);
  for (int l = 0; l < n_r; ++l) {
    if (type == Corr::cs && k > 1) {
      // mmrm maps cs to (-1/(k-1), 1), the positive-definite range:
      // rho = (k plogis(r) - 1) / (k - 1).
      const double pl = 1.0 / (1.0 + std::exp(-r[l]));
      rho[l] = (k * pl - 1.0) / (k - 1.0);
      drho_dr[l] = k / (k - 1.0) * pl * (1.0 - pl);
    } else {
      rho[l] = to_rho(r[l]);
      drho_dr[l] = drho(r[l]);
    }
  }
  auto sd = [&](int a) { return std::exp(theta[hetero ? v[a] : 0]); };
  // corr(i, j) for visits i > j and its derivative wrt correlation parameter l.
  auto corr = [&](int i, int j) -> double {
    if (i == j) return 1.0;
    if (i < j) std::swap(i, j);
    switch (type) {
      case Corr::toep: return rho[i - j - 1];
      case Corr::ar1: return std::pow(rho[0], i - j);
      case Corr::cs: return rho[0];
      case Corr::ad: {
        double p = 1.0;
        for (int l = j; l < i; ++l) p *= rho[l];
        return p;
      }
    }
    return 0.0;
  };
  auto dcorr = [&](int i, int j, int l) -> double {
    if (i == j) return 0.0;
    if (i < j) std::swap(i, j);
    switch (type) {
      case Corr::toep: return (l == i - j - 1) ? drho_dr[l] : 0.0;
      case Corr::ar1: return (i - j) * std::pow(rho[0], i - j - 1) * drho_dr[0];
      case Corr::cs: return drho_dr[0];
      case Corr::ad: {
        if (l < j || l >= i) return 0.0;
        double p = drho_dr[l];
        for (int q = j; q < i; ++q)
          if (q != l) p *= rho[q];
        return p;
      }
    }
    return 0.0;
  };
  for (int b = 0; b < m; ++b)
    for (int a = 0; a < m; ++a) sigma[a + b * m] = sd(a) * sd(b) * corr(v[a], v[b]);
  if (dsigma) {
    const size_t mm = static_cast<size_t>(m) * m;
    std::fill(dsigma, dsigma + mm * n_theta, 0.0);
    for (int b = 0; b < m; ++b) {
      for (int a = 0; a < m; ++a) {
        const double s = sigma[a + b * m];
        if (hetero) {
          dsigma[v[a] * mm + a + b * m] += s;
          dsigma[v[b] * mm + a + b * m] += s;
        } else {
          dsigma[a + b * m] = 2 * s;
        }
        for (int l = 0; l < n_r; ++l)
          dsigma[(n_sd + l) * mm + a + b * m] = sd(a) * sd(b) * dcorr(v[a], v[b], l);
      }
    }
  }
  return 0;
}

int us_sigma(const double* theta, int n_theta, int k, const double* coords, int m,
             double* sigma, double* dsigma, char* err, int len) {
  std::vector<int> v;
  if (!visit_indices(coords, m, k, v)) {
    set_err(err, len, "visit coordinates must be 0-based indices below the number of visits");
    return 1;
  }
  // L_ii = exp(theta_i); L_ij = exp(theta_i) * theta_{k + idx(i,j)}, row-wise.
  MatrixXd L = MatrixXd::Zero(k, k);
  std::vector<int> idx_i, idx_j;  // which (i, j) each off-diagonal parameter sits at
  int q = k;
  for (int i = 0; i < k; ++i) {
    const double s = std::exp(theta[i]);
    L(i, i) = s;
    for (int j = 0; j < i; ++j) {
      L(i, j) = s * theta[q++];
      idx_i.push_back(i);
      idx_j.push_back(j);
    }
  }
  MatrixXd S = L * L.transpose();
  for (int b = 0; b < m; ++b)
    for (int a = 0; a < m; ++a) sigma[a + b * m] = S(v[a], v[b]);
  if (dsigma) {
    // dSigma = dL L' + L dL'. For theta_i (log sd) dL is row i of L, so
    // dL L' = e_i Sigma_i' (row i of Sigma); for l_ij it is L_ii e_i e_j',
    // so dL L' = L_ii e_i L_.j' (column j of L): O(m^2) per parameter.
    const size_t mm = static_cast<size_t>(m) * m;
    Eigen::VectorXd a(k);
    for (int t = 0; t < n_theta; ++t) {
      int i;
      if (t < k) {
        i = t;
        a = S.col(i);
      } else {
        i = idx_i[t - k];
        a = L(i, i) * L.col(idx_j[t - k]);
      }
      double* D = dsigma + t * mm;
      for (int b = 0; b < m; ++b) {
        const int vb = v[b];
        for (int r = 0; r < m; ++r) {
          const int va = v[r];
          D[r + b * m] = (va == i ? a(vb) : 0.0) + (vb == i ? a(va) : 0.0);
        }
      }
    }
  }
  return 0;
}

int spatial_sigma(bool gauss, const double* theta, const double* coords, int m, double* sigma,
                  double* dsigma) {
  const double s2 = std::exp(theta[0]);
  const double rho = 1.0 / (1.0 + std::exp(-theta[1]));
  const double lrho = -std::log1p(std::exp(-theta[1]));  // log rho, stable
  const size_t mm = static_cast<size_t>(m) * m;
  for (int b = 0; b < m; ++b) {
    for (int a = 0; a < m; ++a) {
      double d = std::fabs(coords[a] - coords[b]);
      if (gauss) d = d * d;
      const double s = s2 * std::exp(d * lrho);
      sigma[a + b * m] = s;
      if (dsigma) {
        dsigma[a + b * m] = s;
        dsigma[mm + a + b * m] = s * d * (1.0 - rho);  // d log rho / d theta = 1 - rho
      }
    }
  }
  return 0;
}

// --- n_theta callbacks -------------------------------------------------------
int nt_us(int k) { return k >= 1 ? k * (k + 1) / 2 : -1; }
int nt_k(int k) { return k >= 1 ? k : -1; }
int nt_2k1(int k) { return k >= 1 ? 2 * k - 1 : -1; }
int nt_2(int k) { return k >= 1 ? 2 : -1; }
int nt_k1(int k) { return k >= 1 ? k + 1 : -1; }

#define GT_CORR_CB(name, type, hetero)                                                   \
  int name(const double* th, int nt, int k, const double* c, int m, double* s, double* ds, \
           char* e, int l) {                                                              \
    return corr_sigma(type, hetero, th, nt, k, c, m, s, ds, e, l);                       \
  }
GT_CORR_CB(cb_toep, Corr::toep, false)
GT_CORR_CB(cb_toeph, Corr::toep, true)
GT_CORR_CB(cb_ar1, Corr::ar1, false)
GT_CORR_CB(cb_ar1h, Corr::ar1, true)
GT_CORR_CB(cb_ad, Corr::ad, false)
GT_CORR_CB(cb_adh, Corr::ad, true)
GT_CORR_CB(cb_cs, Corr::cs, false)
GT_CORR_CB(cb_csh, Corr::cs, true)
#undef GT_CORR_CB

int cb_us(const double* th, int nt, int k, const double* c, int m, double* s, double* ds,
          char* e, int l) {
  return us_sigma(th, nt, k, c, m, s, ds, e, l);
}
int cb_sp_exp(const double* th, int, int, const double* c, int m, double* s, double* ds, char*,
              int) {
  return spatial_sigma(false, th, c, m, s, ds);
}
int cb_sp_gau(const double* th, int, int, const double* c, int m, double* s, double* ds, char*,
              int) {
  return spatial_sigma(true, th, c, m, s, ds);
}

}  // namespace

const std::vector<glycotrial_covariance_v1>& builtin_covariances() {
  static const char* mmrm_ref = "Parametrisation of the R package mmrm (covariance structures vignette)";
  static const std::vector<glycotrial_covariance_v1> v = {
      {GLYCOTRIAL_PLUGIN_ABI, "us", "Unstructured (log-Cholesky)", mmrm_ref, 0, nt_us, cb_us},
      {GLYCOTRIAL_PLUGIN_ABI, "toep", "Toeplitz, homogeneous variance", mmrm_ref, 0, nt_k, cb_toep},
      {GLYCOTRIAL_PLUGIN_ABI, "toeph", "Toeplitz, heterogeneous variances", mmrm_ref, 0, nt_2k1,
       cb_toeph},
      {GLYCOTRIAL_PLUGIN_ABI, "ar1", "First-order autoregressive, homogeneous variance", mmrm_ref,
       0, nt_2, cb_ar1},
      {GLYCOTRIAL_PLUGIN_ABI, "ar1h", "First-order autoregressive, heterogeneous variances",
       mmrm_ref, 0, nt_k1, cb_ar1h},
      {GLYCOTRIAL_PLUGIN_ABI, "ad", "Ante-dependence, homogeneous variance", mmrm_ref, 0, nt_k,
       cb_ad},
      {GLYCOTRIAL_PLUGIN_ABI, "adh", "Ante-dependence, heterogeneous variances", mmrm_ref, 0,
       nt_2k1, cb_adh},
      {GLYCOTRIAL_PLUGIN_ABI, "cs", "Compound symmetry, homogeneous variance", mmrm_ref, 0, nt_2,
       cb_cs},
      {GLYCOTRIAL_PLUGIN_ABI, "csh", "Compound symmetry, heterogeneous variances", mmrm_ref, 0,
       nt_k1, cb_csh},
      {GLYCOTRIAL_PLUGIN_ABI, "sp_exp", "Spatial exponential in continuous time", mmrm_ref, 1,
       nt_2, cb_sp_exp},
      {GLYCOTRIAL_PLUGIN_ABI, "sp_gau", "Spatial Gaussian in continuous time (nlme corGaus)",
       "Pinheiro & Bates (2000), Mixed-Effects Models in S, sec. 5.3", 1, nt_2, cb_sp_gau},
  };
  return v;
}

int PluginCovariance::n_theta(int n_visits) const {
  return plugins::checked_n_theta(p_, n_visits);
}

void PluginCovariance::sigma(const std::vector<double>& theta, int n_visits,
                             const std::vector<double>& coords, Eigen::MatrixXd& sigma,
                             std::vector<Eigen::MatrixXd>* dsigma) const {
  const int m = static_cast<int>(coords.size());
  const int k = static_cast<int>(theta.size());
  sigma.resize(m, m);
  char err[512] = {0};
  int rc;
  std::vector<double> d;
  if (dsigma) {
    d.assign(static_cast<size_t>(k) * m * m, 0.0);
    rc = p_.sigma(theta.data(), k, n_visits, coords.data(), m, sigma.data(), d.data(), err,
                  sizeof(err));
    if (rc == 2) {
      rc = p_.sigma(theta.data(), k, n_visits, coords.data(), m, sigma.data(), nullptr, err,
                    sizeof(err));
      if (rc == 0) *dsigma = numerical_dsigma(*this, theta, n_visits, coords);
    } else if (rc == 0) {
      dsigma->assign(k, Eigen::MatrixXd(m, m));
      for (int j = 0; j < k; ++j)
        std::copy(d.begin() + static_cast<long>(j) * m * m,
                  d.begin() + static_cast<long>(j + 1) * m * m, (*dsigma)[j].data());
    }
  } else {
    rc = p_.sigma(theta.data(), k, n_visits, coords.data(), m, sigma.data(), nullptr, err,
                  sizeof(err));
  }
  err[sizeof(err) - 1] = '\0';
  if (rc != 0)
    throw plugins::PluginFailedError(
        "covariance '" + key() + "' failed: " +
            (err[0] ? std::string(err) : std::string("no message from the plugin")),
        true);
  plugins::check_covariance_matrix(key(), sigma.data(), m);
}

std::vector<Eigen::MatrixXd> numerical_dsigma(const CovarianceModel& model,
                                              const std::vector<double>& theta, int n_visits,
                                              const std::vector<double>& coords, double h) {
  std::vector<Eigen::MatrixXd> out;
  std::vector<double> th = theta;
  Eigen::MatrixXd sp, sm;
  for (size_t j = 0; j < theta.size(); ++j) {
    const double step = h * std::max(1.0, std::fabs(theta[j]));
    th[j] = theta[j] + step;
    model.sigma(th, n_visits, coords, sp, nullptr);
    th[j] = theta[j] - step;
    model.sigma(th, n_visits, coords, sm, nullptr);
    th[j] = theta[j];
    out.push_back((sp - sm) / (2 * step));
  }
  return out;
}

std::vector<double> plugin_sigma(const glycotrial_covariance_v1& plugin,
                                 const std::vector<double>& theta, int n_visits,
                                 const std::vector<double>& coords,
                                 std::vector<double>* derivatives) {
  const int k = plugins::checked_n_theta(plugin, n_visits);
  require(static_cast<int>(theta.size()) == k, "theta",
          std::string("covariance '") + plugin.key + "' over " + std::to_string(n_visits) +
              " visits has " + std::to_string(k) + " parameters, got " +
              std::to_string(theta.size()));
  Eigen::MatrixXd s;
  std::vector<Eigen::MatrixXd> d;
  PluginCovariance(plugin).sigma(theta, n_visits, coords, s, derivatives ? &d : nullptr);
  if (derivatives) {
    derivatives->clear();
    for (const auto& dj : d) derivatives->insert(derivatives->end(), dj.data(), dj.data() + dj.size());
  }
  return std::vector<double>(s.data(), s.data() + s.size());
}

RegisteredCovariance::RegisteredCovariance(std::string key, int n_visits) : key_(std::move(key)) {
  const glycotrial_covariance_v1* p = plugins::find_covariance(key_);
  require(p != nullptr, "formula",
          "no covariance structure '" + key_ + "' is registered (see glycotrial_plugins())");
  // Bounded (visits <= 1e4, parameters <= visits^2): a plugin reporting
  // 2e9 parameters is refused here, before anything is allocated.
  plugins::checked_n_theta(*p, n_visits);
}

const glycotrial_covariance_v1& RegisteredCovariance::plugin() const {
  const glycotrial_covariance_v1* p = plugins::find_covariance(key_);
  if (p == nullptr)
    throw InputError("covariance structure '" + key_ + "' was unregistered during the fit",
                     "formula");
  return *p;
}

bool RegisteredCovariance::spatial() const { return plugin().spatial != 0; }

int RegisteredCovariance::n_theta(int n_visits) const {
  return plugins::checked_n_theta(plugin(), n_visits);
}

void RegisteredCovariance::sigma(const std::vector<double>& theta, int n_visits,
                                 const std::vector<double>& coords, Eigen::MatrixXd& sigma,
                                 std::vector<Eigen::MatrixXd>* dsigma) const {
  PluginCovariance(plugin()).sigma(theta, n_visits, coords, sigma, dsigma);
}

std::vector<double> RegisteredCovariance::start(const Eigen::MatrixXd& S,
                                                double fallback_var) const {
  return PluginCovariance(plugin()).start(S, fallback_var);
}

std::unique_ptr<CovarianceModel> find_covariance_model(const std::string& key) {
  const glycotrial_covariance_v1* p = plugins::find_covariance(key);
  require(p != nullptr, "formula",
          "no covariance structure '" + key + "' is registered");
  return std::unique_ptr<CovarianceModel>(new PluginCovariance(*p));
}

}  // namespace mmrm
}  // namespace glycotrial
