// Conditional-mean imputation and the resampling loop (formulas in
// condmean.hpp).
#include "core/mi/condmean.hpp"

#include <cmath>
#include <exception>
#include <limits>
#include <memory>

#include "core/common/errors.hpp"
#include "core/covariance/covariance.hpp"
#include "core/mi/parallel.hpp"
#include "core/mmrm/engine.hpp"
#include "core/optim/optim.hpp"

namespace glycotrial {
namespace mi {

using Eigen::MatrixXd;
using Eigen::VectorXd;

MatrixXd reference_sigma(const MatrixXd& A, const MatrixXd& R, int n_mar) {
  const int k = static_cast<int>(A.rows());
  if (n_mar >= k) return A;
  if (n_mar <= 0) return R;
  const int n2 = k - n_mar;
  const MatrixXd A11 = A.topLeftCorner(n_mar, n_mar);
  const MatrixXd R11 = R.topLeftCorner(n_mar, n_mar);
  const MatrixXd R21 = R.bottomLeftCorner(n2, n_mar);
  const MatrixXd R22 = R.bottomRightCorner(n2, n2);
  Eigen::LLT<MatrixXd> llt(R11);
  if (llt.info() != Eigen::Success)
    throw NumericalError("the reference arm's covariance is not positive definite");
  const MatrixXd R21_R11inv = llt.solve(R21.transpose()).transpose();  // R21 R11^-1
  MatrixXd S(k, k);
  S.topLeftCorner(n_mar, n_mar) = A11;
  S.bottomLeftCorner(n2, n_mar) = R21_R11inv * A11;
  S.topRightCorner(n_mar, n2) = S.bottomLeftCorner(n2, n_mar).transpose();
  S.bottomRightCorner(n2, n2) = R22 - R21_R11inv * (R11 - A11) * R21_R11inv.transpose();
  return S;
}

// rbmi: CR always, and JR/CIR with every visit affected (all(!index_mar)),
// use the reference arm's mean and covariance throughout.
static bool all_reference(Strategy s, int ice) {
  return s == Strategy::CR || (ice <= 0 && (s == Strategy::JR || s == Strategy::CIR));
}

void strategy_mean(Strategy s, int ice, const VectorXd& mu_own, const VectorXd& mu_ref,
                   VectorXd& mu) {
  const int k = static_cast<int>(mu_own.size());
  if (s == Strategy::MAR || ice >= k) {
    mu = mu_own;
    return;
  }
  if (all_reference(s, ice)) {
    mu = mu_ref;
    return;
  }
  mu = mu_own;
  switch (s) {
    case Strategy::JR:
      mu.tail(k - ice) = mu_ref.tail(k - ice);
      break;
    case Strategy::CIR:
      for (int v = ice; v < k; ++v) mu(v) = mu_own(ice - 1) + mu_ref(v) - mu_ref(ice - 1);
      break;
    case Strategy::LMCF:
      if (ice <= 0)
        throw InputError("LMCF needs at least one visit before the intercurrent event", "data_ice");
      for (int v = ice; v < k; ++v) mu(v) = mu_own(ice - 1);
      break;
    default:
      throw InputError("unknown imputation strategy", "data_ice");
  }
}

MatrixXd strategy_sigma(Strategy s, int ice, const MatrixXd& sigma_own, const MatrixXd& sigma_ref) {
  const int k = static_cast<int>(sigma_own.rows());
  if (s == Strategy::MAR || ice >= k || s == Strategy::LMCF) return sigma_own;
  if (all_reference(s, ice)) return sigma_ref;
  if (s == Strategy::JR || s == Strategy::CIR) return reference_sigma(sigma_own, sigma_ref, ice);
  throw InputError("unknown imputation strategy", "data_ice");
}

void strategy_parameters(Strategy s, int ice, const VectorXd& mu_own, const VectorXd& mu_ref,
                         const MatrixXd& sigma_own, const MatrixXd& sigma_ref, VectorXd& mu,
                         MatrixXd& sigma) {
  strategy_mean(s, ice, mu_own, mu_ref, mu);
  sigma = strategy_sigma(s, ice, sigma_own, sigma_ref);
}

MatrixXd submatrix(const MatrixXd& S, const std::vector<int>& rows, const std::vector<int>& cols) {
  MatrixXd out(rows.size(), cols.size());
  for (size_t a = 0; a < rows.size(); ++a)
    for (size_t b = 0; b < cols.size(); ++b) out(a, b) = S(rows[a], cols[b]);
  return out;
}

void conditional_mean(const VectorXd& mu, const MatrixXd& sigma, VectorXd& y, MatrixXd* cond_sigma) {
  const int k = static_cast<int>(y.size());
  std::vector<int> obs, mis;
  for (int v = 0; v < k; ++v) (std::isnan(y(v)) ? mis : obs).push_back(v);
  if (mis.empty()) {
    if (cond_sigma) cond_sigma->resize(0, 0);
    return;
  }
  const int no = static_cast<int>(obs.size()), nm = static_cast<int>(mis.size());
  if (no == 0) {
    for (int a = 0; a < nm; ++a) y(mis[a]) = mu(mis[a]);
    if (cond_sigma) *cond_sigma = sigma;
    return;
  }
  const MatrixXd Soo = submatrix(sigma, obs, obs), Smo = submatrix(sigma, mis, obs);
  VectorXd r(no);
  for (int a = 0; a < no; ++a) r(a) = y(obs[a]) - mu(obs[a]);
  Eigen::LLT<MatrixXd> llt(Soo);
  if (llt.info() != Eigen::Success)
    throw NumericalError("the covariance of the observed visits is not positive definite");
  const VectorXd w = llt.solve(r);
  const VectorXd m = Smo * w;
  for (int a = 0; a < nm; ++a) y(mis[a]) = mu(mis[a]) + m(a);
  if (cond_sigma) {
    *cond_sigma = submatrix(sigma, mis, mis) - Smo * llt.solve(Smo.transpose());
  }
}

namespace {

mmrm::MmrmInput sample_input(const MiProblem& pb, const std::vector<int>& sample) {
  mmrm::MmrmInput in;
  in.p = pb.p;
  in.n_groups = pb.n_groups;
  in.n_visits = pb.k;
  in.reml = pb.reml;
  const long long N = static_cast<long long>(pb.n_subjects) * pb.k;
  std::vector<long long> rows;
  for (int s : sample) {
    const size_t before = rows.size();
    for (int v = 0; v < pb.k; ++v) {
      const long long r = static_cast<long long>(s) * pb.k + v;
      if (pb.fit_row[r] && !std::isnan(pb.y[r])) rows.push_back(r);
    }
    if (rows.size() == before) continue;  // nothing observed to fit: imputed only
    in.subject_start.push_back(static_cast<int>(before));
    in.subject_group.push_back(pb.group_own[s]);
  }
  in.subject_start.push_back(static_cast<int>(rows.size()));
  in.n = static_cast<int>(rows.size());
  in.X.resize(static_cast<size_t>(in.n) * pb.p);
  in.y.resize(in.n);
  in.coords.resize(in.n);
  for (int i = 0; i < in.n; ++i) {
    in.y[i] = pb.y[rows[i]];
    in.coords[i] = static_cast<double>(rows[i] % pb.k);
    for (int j = 0; j < pb.p; ++j)
      in.X[static_cast<size_t>(j) * in.n + i] = pb.X_own[static_cast<size_t>(j) * N + rows[i]];
  }
  return in;
}

// BFGS (core/optim) from theta with the initial inverse Hessian Hinv, on the
// engine's deviance and analytic gradient; true when the largest absolute
// gradient falls below the engine's own Newton tolerance
// (grad_tol 1e-3 max(1, |dev|)).
bool quasi_newton(mmrm::MmrmEngine& engine, std::vector<double>& theta, const MatrixXd& Hinv,
                  double grad_tol, int max_iter) {
  const int m = static_cast<int>(theta.size());
  optim::FunctionObjective fn([&engine, m](const VectorXd& x, VectorXd* g) {
    std::vector<double> th(x.data(), x.data() + m), gg(m);
    const double dev = engine.deviance(th, g ? &gg : nullptr);
    if (g) *g = Eigen::Map<const VectorXd>(gg.data(), m);
    return dev;
  });
  const double dev0 = engine.deviance(theta, nullptr);
  if (!std::isfinite(dev0)) return false;
  const double tol = grad_tol * 1e-3 * std::max(1.0, std::abs(dev0));
  optim::Options opt = optim::bfgs_options(max_iter, tol, 0);
  opt.inverse_hessian = Hinv;
  const optim::Result r =
      optim::minimise(fn, Eigen::Map<const VectorXd>(theta.data(), m), opt);
  if (!r.ok || !(r.g.cwiseAbs().maxCoeff() <= grad_tol * 1e-3 * std::max(1.0, std::abs(r.f))))
    return false;
  theta.assign(r.x.data(), r.x.data() + m);
  return true;
}

}  // namespace

std::vector<SampleFit> fit_samples(const MiProblem& pb, const std::vector<std::vector<int>>& samples,
                                   const std::vector<double>& theta0, int n_threads,
                                   double grad_tol, int max_iter) {
  const int n = static_cast<int>(samples.size());
  n_threads = std::max(1, std::min(n_threads, n));
  // One covariance object per thread, looked up here on the caller's thread.
  std::vector<std::unique_ptr<mmrm::CovarianceModel>> cov;
  for (int t = 0; t < n_threads; ++t) cov.push_back(mmrm::find_covariance_model(pb.cov_key));
  std::vector<double> coords(pb.k);
  for (int v = 0; v < pb.k; ++v) coords[v] = v;
  // The Hessian of the full data at its optimum: a resample's optimum is
  // O(1/n) away and its Hessian differs by O(1/n), so quasi-Newton steps
  // from theta0 with this Hessian (BFGS-updated) gain several digits per
  // deviance-and-gradient evaluation; the exact-Hessian Newton of the engine
  // is the fallback.
  std::vector<int> all(pb.n_subjects);
  for (int s = 0; s < pb.n_subjects; ++s) all[s] = s;
  MatrixXd H0;
  {
    mmrm::MmrmEngine full(sample_input(pb, all), *cov[0]);
    H0 = full.hessian(theta0);
  }
  Eigen::LDLT<MatrixXd> ldlt(H0);
  const bool h0_ok = ldlt.info() == Eigen::Success && ldlt.isPositive();
  const MatrixXd H0inv = h0_ok ? MatrixXd(ldlt.solve(MatrixXd::Identity(H0.rows(), H0.cols())))
                               : MatrixXd();
  std::vector<SampleFit> out(n);
  parallel_for(n, n_threads, [&](int i, int t) {
    SampleFit& f = out[i];
    mmrm::MmrmEngine engine(sample_input(pb, samples[i]), *cov[t]);
    std::vector<double> th = theta0;
    bool done = false;
    if (h0_ok) done = quasi_newton(engine, th, H0inv, grad_tol, max_iter);
    if (!done) {
      auto r = engine.newton(theta0, grad_tol, max_iter);
      if (!r.ok || !r.converged) return;
      th = r.theta;
    }
    auto est = engine.estimates(th);
    if (!std::isfinite(est.deviance) || !est.beta.allFinite()) return;
    f.theta = th;
    f.beta = est.beta;
    for (int g = 0; g < pb.n_groups; ++g) f.sigma.push_back(engine.sigma(th, g, coords));
    f.ok = true;
  });
  return out;
}

void check_custom(const SampleFit& fit, int slot, int k) {
  if (slot >= static_cast<int>(fit.custom_mu.size()) ||
      slot >= static_cast<int>(fit.custom_sigma.size()) || fit.custom_mu[slot].size() != k ||
      fit.custom_sigma[slot].rows() != k || fit.custom_sigma[slot].cols() != k)
    throw InputError("a user-registered strategy's mean or covariance is missing or has the wrong size",
                     "strategy");
}

VectorXd impute_sample(const MiProblem& pb, const std::vector<int>& sample, const SampleFit& fit) {
  const int k = pb.k;
  const long long N = static_cast<long long>(pb.n_subjects) * k;
  Eigen::Map<const MatrixXd> Xo(pb.X_own.data(), N, pb.p), Xr(pb.X_ref.data(), N, pb.p);
  VectorXd out(static_cast<long long>(sample.size()) * k);
  VectorXd y(k), mu, mu_own, mu_ref;
  MatrixXd S;
  for (size_t i = 0; i < sample.size(); ++i) {
    const int s = sample[i];
    bool any_missing = false;
    for (int v = 0; v < k; ++v) {
      y(v) = pb.y[static_cast<long long>(s) * k + v];
      any_missing = any_missing || std::isnan(y(v));
    }
    if (any_missing) {
      const int slot = pb.custom.empty() ? -1 : pb.custom[s];
      if (slot >= 0) {
        check_custom(fit, slot, k);
        conditional_mean(fit.custom_mu[slot], fit.custom_sigma[slot], y);
      } else {
        mu_own = Xo.middleRows(static_cast<long long>(s) * k, k) * fit.beta;
        mu_ref = Xr.middleRows(static_cast<long long>(s) * k, k) * fit.beta;
        strategy_parameters(static_cast<Strategy>(pb.strategy[s]), pb.ice[s], mu_own, mu_ref,
                            fit.sigma[pb.group_own[s]], fit.sigma[pb.group_ref[s]], mu, S);
        conditional_mean(mu, S, y);
      }
    }
    out.segment(static_cast<long long>(i) * k, k) = y;
  }
  return out;
}

std::vector<MatrixXd> analyse_samples(const MiProblem& pb, const std::vector<std::vector<int>>& samples,
                                      const std::vector<SampleFit>& fits, int n_threads) {
  const int n = static_cast<int>(samples.size());
  const int k = pb.k, nc = static_cast<int>(pb.contrast_cols.size());
  std::vector<MatrixXd> out(n);
  parallel_for(n, n_threads, [&](int i, int) {
    const auto& sample = samples[i];
    MatrixXd est = MatrixXd::Constant(k, nc, std::numeric_limits<double>::quiet_NaN());
    if (fits[i].ok) {
      const VectorXd yi = impute_sample(pb, sample, fits[i]);
      const int ns = static_cast<int>(sample.size());
      MatrixXd Zs(ns, pb.q);
      VectorXd ys(ns);
      for (int v = 0; v < k; ++v) {
        Eigen::Map<const MatrixXd> Z(pb.Z[v].data(), pb.n_subjects, pb.q);
        for (int a = 0; a < ns; ++a) {
          const long long r = static_cast<long long>(sample[a]) * k + v;
          Zs.row(a) = Z.row(sample[a]);
          ys(a) = yi(static_cast<long long>(a) * k + v) + (pb.delta.empty() ? 0.0 : pb.delta[r]);
        }
        Eigen::ColPivHouseholderQR<MatrixXd> qr(Zs);
        if (qr.rank() < pb.q)
          throw NumericalError("the analysis model's design is rank deficient at visit " +
                               std::to_string(v + 1));
        const VectorXd b = qr.solve(ys);
        for (int c = 0; c < nc; ++c) est(v, c) = b(pb.contrast_cols[c]);
      }
    }
    out[i] = est;
  });
  return out;
}

}  // namespace mi
}  // namespace glycotrial
