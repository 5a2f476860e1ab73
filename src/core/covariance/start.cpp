// Starting values of the built-in covariance structures from an empirical
// covariance matrix (the OLS residual covariance of the MMRM engine, or the
// one of the pattern moments): variances and (lag-averaged) correlations
// mapped to each structure's parameters (covariance.hpp). These were an R
// `switch` (mmrm_start_theta()); they live here so that a structure added in
// C++ carries its start. The arithmetic follows R's step by step (R's mean()
// with its long-double second pass, the reference LAPACK Cholesky dpotrf2),
// so the starts, and hence the fits, equal those of the R code bit for bit.
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "core/covariance/covariance.hpp"

namespace glycotrial {
namespace mmrm {
namespace {

using Eigen::MatrixXd;

// R's mean() of doubles: a long-double sum, then one correction pass.
double r_mean(const std::vector<double>& x) {
  const long double n = static_cast<long double>(x.size());
  long double s = 0;
  for (double v : x) s += v;
  s /= n;
  if (std::isfinite(static_cast<double>(s))) {
    long double t = 0;
    for (double v : x) t += (v - s);
    s += t / n;
  }
  return static_cast<double>(s);
}

// R's median() (NaN for no values).
double r_median(std::vector<double> x) {
  if (x.empty()) return std::nan("");
  std::sort(x.begin(), x.end());
  const size_t h = (x.size() + 1) / 2;
  if (x.size() % 2 == 1) return x[h - 1];
  return r_mean({x[h - 1], x[h]});
}

// Upper Cholesky factor in place, in the operation order of reference LAPACK
// dpotrf2 (recursive) with reference BLAS dtrsm/dsyrk (what R's chol() runs);
// false when A is not positive definite.
bool dpotrf2_upper(MatrixXd& A, int off, int n) {
  if (n == 1) {
    const double a = A(off, off);
    if (!(a > 0)) return false;
    A(off, off) = std::sqrt(a);
    return true;
  }
  const int n1 = n / 2, n2 = n - n1;
  if (!dpotrf2_upper(A, off, n1)) return false;
  // dtrsm('L', 'U', 'T', 'N'): A12 := U11^-T A12
  for (int j = 0; j < n2; ++j) {
    const int c = off + n1 + j;
    for (int i = 0; i < n1; ++i) {
      double t = A(off + i, c);
      for (int k = 0; k < i; ++k) t -= A(off + k, off + i) * A(off + k, c);
      A(off + i, c) = t / A(off + i, off + i);
    }
  }
  // dsyrk('U', 'T', alpha = -1, beta = 1): A22 := A22 - A12' A12
  for (int j = 0; j < n2; ++j) {
    for (int i = 0; i <= j; ++i) {
      double t = 0;
      for (int l = 0; l < n1; ++l) t += A(off + l, off + n1 + i) * A(off + l, off + n1 + j);
      A(off + n1 + i, off + n1 + j) = -t + A(off + n1 + i, off + n1 + j);
    }
  }
  return dpotrf2_upper(A, off + n1, n2);
}

// Correlation r (clamped to +-0.9) on mmrm's scale r / sqrt(1 - r^2).
double to_theta(double r) {
  r = std::min(std::max(r, -0.9), 0.9);
  return r / std::sqrt(1 - r * r);
}

// What every structure's start needs: standard deviations and correlations.
struct Empirical {
  int k;
  std::vector<double> sds;
  MatrixXd C;
  double mean_sd() const { return r_mean(sds); }
  std::vector<double> log_sds() const {
    std::vector<double> o;
    for (double s : sds) o.push_back(std::log(s));
    return o;
  }
  // mean correlation at lag l (1..k-1)
  double lag_mean(int l) const {
    std::vector<double> x;
    for (int i = 0; i + l < k; ++i) x.push_back(C(i + l, i));
    return r_mean(x);
  }
  // mmrm's cs map rho = (k plogis(theta) - 1) / (k - 1), inverted at the
  // mean off-diagonal correlation (at least 0, at most 0.9).
  double cs_theta() const {
    if (k <= 1) return 0;
    std::vector<double> off;
    for (int j = 0; j < k; ++j)
      for (int i = j + 1; i < k; ++i) off.push_back(C(i, j));
    const double r = std::min(std::max(r_mean(off), 0.0), 0.9);
    const double p = (r * (k - 1) + 1) / k;
    return std::log(p / (1. - p));
  }
};

Empirical empirical(const MatrixXd& S, double fallback_var) {
  Empirical e;
  e.k = static_cast<int>(S.rows());
  std::vector<double> vars(e.k), ok;
  for (int i = 0; i < e.k; ++i) {
    vars[i] = S(i, i);
    if (std::isfinite(vars[i]) && vars[i] > 0) ok.push_back(vars[i]);
  }
  if (!std::isfinite(fallback_var) || fallback_var <= 0) fallback_var = r_median(ok);
  if (!std::isfinite(fallback_var)) fallback_var = 1;
  for (int i = 0; i < e.k; ++i) {
    if (!std::isfinite(vars[i]) || vars[i] <= 0) vars[i] = fallback_var;
    e.sds.push_back(std::sqrt(vars[i]));
  }
  e.C.resize(e.k, e.k);
  for (int j = 0; j < e.k; ++j)
    for (int i = 0; i < e.k; ++i) {
      const double c = S(i, j) / (e.sds[i] * e.sds[j]);
      e.C(i, j) = i == j ? 1.0 : (std::isfinite(c) ? c : 0.0);
    }
  return e;
}

std::vector<double> start_us(const Empirical& e) {
  const int k = e.k;
  // ridge 1e-3 on the correlations, so that an empirical matrix that is
  // not positive definite still has a Cholesky factor
  MatrixXd A(k, k);
  for (int j = 0; j < k; ++j)
    for (int i = 0; i < k; ++i)
      A(i, j) = e.sds[i] * (e.C(i, j) + (i == j ? 1e-3 : 0.0)) * e.sds[j] / 1.001;
  MatrixXd L = MatrixXd::Zero(k, k);
  if (dpotrf2_upper(A, 0, k)) {
    for (int j = 0; j < k; ++j)
      for (int i = 0; i <= j; ++i) L(j, i) = A(i, j);
  } else {
    for (int i = 0; i < k; ++i) L(i, i) = e.sds[i];
  }
  std::vector<double> th;
  for (int i = 0; i < k; ++i) th.push_back(std::log(L(i, i)));
  for (int i = 1; i < k; ++i)
    for (int j = 0; j < i; ++j) th.push_back(L(i, j) / L(i, i));
  return th;
}

enum class Sd { one, each };
enum class Rho { toep, ar1, ad, cs };

std::vector<double> start_corr(const Empirical& e, Sd sd, Rho rho) {
  std::vector<double> th = sd == Sd::one ? std::vector<double>{std::log(e.mean_sd())}
                                         : e.log_sds();
  const int k = e.k;
  switch (rho) {
    case Rho::toep:  // half the lag means: Toeplitz correlations shrink fast
      for (int l = 1; l < k; ++l) th.push_back(to_theta(e.lag_mean(l) * 0.5));
      break;
    case Rho::ar1:
      th.push_back(to_theta(k > 1 ? e.lag_mean(1) : 0.0));
      break;
    case Rho::ad:
      for (int i = 0; i + 1 < k; ++i) th.push_back(to_theta(e.C(i + 1, i)));
      break;
    case Rho::cs:
      th.push_back(e.cs_theta());
      break;
  }
  return th;
}

using StartFn = std::function<std::vector<double>(const Empirical&)>;

const std::map<std::string, StartFn>& starts() {
  static const std::map<std::string, StartFn> m = {
      {"us", start_us},
      {"toep", [](const Empirical& e) { return start_corr(e, Sd::one, Rho::toep); }},
      {"toeph", [](const Empirical& e) { return start_corr(e, Sd::each, Rho::toep); }},
      {"ar1", [](const Empirical& e) { return start_corr(e, Sd::one, Rho::ar1); }},
      {"ar1h", [](const Empirical& e) { return start_corr(e, Sd::each, Rho::ar1); }},
      {"ad", [](const Empirical& e) { return start_corr(e, Sd::one, Rho::ad); }},
      {"adh", [](const Empirical& e) { return start_corr(e, Sd::each, Rho::ad); }},
      {"cs", [](const Empirical& e) { return start_corr(e, Sd::one, Rho::cs); }},
      {"csh", [](const Empirical& e) { return start_corr(e, Sd::each, Rho::cs); }},
  };
  return m;
}

}  // namespace

bool builtin_start(const std::string& key, const MatrixXd& S, double fallback_var,
                   std::vector<double>& theta) {
  auto it = starts().find(key);
  if (it == starts().end()) return false;
  theta = it->second(empirical(S, fallback_var));
  return true;
}

std::vector<std::string> builtin_start_keys() {
  std::vector<std::string> out;
  for (const auto& kv : starts()) out.push_back(kv.first);
  return out;
}

double weighted_median(std::vector<std::pair<double, double>> dn) {
  std::sort(dn.begin(), dn.end());
  double total = 0;
  for (const auto& p : dn) total += p.second;
  if (!(total >= 1)) return std::nan("");
  // the value at 0-based position i of the expanded, sorted vector
  auto at = [&](double i) {
    double seen = 0;
    for (const auto& p : dn) {
      seen += p.second;
      if (i < seen) return p.first;
    }
    return dn.back().first;
  };
  const double h = std::floor((total + 1) / 2);  // R's half, 1-based
  if (std::fmod(total, 2.0) == 1.0) return at(h - 1);
  return r_mean({at(h - 1), at(h)});
}

std::vector<std::vector<double>> spatial_starts(const std::string& key,
                                                const std::vector<double>& variance,
                                                double median_distance, int n_theta) {
  std::vector<double> th;
  for (double v : variance) {
    std::vector<double> g(static_cast<size_t>(std::max(n_theta, 0)), 0.0);
    if (!g.empty()) g[0] = std::log(v);
    th.insert(th.end(), g.begin(), g.end());
  }
  std::vector<std::vector<double>> out{th};
  const double d = median_distance;
  if (!(std::isfinite(d) && d > 0) || (key != "sp_exp" && key != "sp_gau") || n_theta < 2)
    return out;
  const double dp = key == "sp_gau" ? d * d : d;
  for (double c : {0.5, 0.3, 0.7, 0.1, 0.9}) {
    const double rho = std::exp(std::log(c) / dp);
    const double t2 = std::log(rho / (1. - rho));  // R's qlogis()
    if (!std::isfinite(t2)) continue;
    std::vector<double> x = th;
    for (size_t j = 1; j < x.size(); j += 2) x[j] = t2;
    out.push_back(x);
  }
  return out;
}

std::vector<double> CovarianceModel::start(const MatrixXd& S, double) const {
  return std::vector<double>(static_cast<size_t>(n_theta(static_cast<int>(S.rows()))), 0.0);
}

std::vector<double> PluginCovariance::start(const MatrixXd& S, double fallback_var) const {
  std::vector<double> th;
  if (builtin_start(key(), S, fallback_var, th)) return th;
  return CovarianceModel::start(S, fallback_var);
}

}  // namespace mmrm
}  // namespace glycotrial
