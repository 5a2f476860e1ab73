// Conditional multivariate normal draws and the analysis of the imputed data
// sets (formulas in draws.hpp).
#include "core/mi/draws.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <string>

#include "core/common/errors.hpp"
#include "core/mi/parallel.hpp"

namespace glycotrial {
namespace mi {

using Eigen::MatrixXd;
using Eigen::VectorXd;

Stream::Stream(std::uint32_t seed, std::uint32_t index, std::uint32_t purpose) {
  std::seed_seq seq{seed, index, purpose, 0x9e3779b9u};
  eng_.seed(seq);
}

double Stream::uniform() {
  // 53 random bits, shifted by half a unit so that 0 never occurs
  return (static_cast<double>(eng_() >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

double Stream::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  const double r = std::sqrt(-2.0 * std::log(uniform()));
  const double t = 6.283185307179586476925 * uniform();
  spare_ = r * std::sin(t);
  has_spare_ = true;
  return r * std::cos(t);
}

std::vector<std::vector<int>> bootstrap_samples(const std::vector<int>& arm, int n_samples,
                                                std::uint32_t seed) {
  int n_arms = 0;
  for (int a : arm) {
    require(a >= 0, "arm", "arm codes must be non-negative");
    n_arms = std::max(n_arms, a + 1);
  }
  std::vector<std::vector<int>> by_arm(n_arms);
  for (int s = 0; s < static_cast<int>(arm.size()); ++s) by_arm[arm[s]].push_back(s);
  std::vector<std::vector<int>> out(n_samples);
  for (int i = 0; i < n_samples; ++i) {
    Stream rng(seed, static_cast<std::uint32_t>(i), 0u);
    auto& smp = out[i];
    smp.reserve(arm.size());
    for (const auto& ix : by_arm) {
      const double m = static_cast<double>(ix.size());
      for (size_t j = 0; j < ix.size(); ++j) {
        const size_t pick = std::min(ix.size() - 1, static_cast<size_t>(rng.uniform() * m));
        smp.push_back(ix[pick]);
      }
    }
    std::sort(smp.begin(), smp.end());
  }
  return out;
}

namespace {

// What the conditional distribution of one missingness pattern needs.
struct Pattern {
  std::vector<int> obs, mis;
  MatrixXd reg;  // Sigma_mo Sigma_oo^-1
  MatrixXd L;    // lower Cholesky factor of the conditional covariance
};

Pattern make_pattern(const std::vector<int>& obs, const std::vector<int>& mis, const MatrixXd& S) {
  Pattern p;
  p.obs = obs;
  p.mis = mis;
  const int no = static_cast<int>(obs.size()), nm = static_cast<int>(mis.size());
  MatrixXd C = submatrix(S, mis, mis);
  if (no > 0) {
    const MatrixXd Soo = submatrix(S, obs, obs), Smo = submatrix(S, mis, obs);
    Eigen::LLT<MatrixXd> llt(Soo);
    if (llt.info() != Eigen::Success)
      throw NumericalError("the covariance of the observed visits is not positive definite");
    p.reg = llt.solve(Smo.transpose()).transpose();
    C -= p.reg * Smo.transpose();
  } else {
    p.reg.resize(nm, 0);
  }
  C = 0.5 * (C + C.transpose());
  Eigen::LLT<MatrixXd> lc(C);
  if (lc.info() != Eigen::Success)
    throw NumericalError("the conditional covariance of the missing visits is not positive definite");
  p.L = lc.matrixL();
  return p;
}

// One subject of the imputation set: its conditional mean of the missing
// visits and the pattern whose Cholesky factor scales its draws.
struct Pending {
  long long offset;  // of the subject's first visit in the imputed vector
  VectorXd mean;     // conditional mean of the missing visits
  int pattern;
};

}  // namespace

DrawResults draw_and_analyse(const MiProblem& pb, const std::vector<std::vector<int>>& imp_sets,
                             const std::vector<SampleFit>& fits, int n_draws, std::uint32_t seed,
                             int n_threads, int first_index) {
  const int n = static_cast<int>(fits.size());
  require(first_index >= 0, "first", "a non-negative index of the first fit");
  require(static_cast<int>(imp_sets.size()) == n, "samples", "one imputation set per fit");
  require(n_draws >= 1, "D", "at least one draw per fit");
  require(pb.k <= 62, "visits", "at most 62 visits");
  const int k = pb.k, nc = static_cast<int>(pb.contrast_cols.size()), q = pb.q;
  const long long N = static_cast<long long>(pb.n_subjects) * k;
  Eigen::Map<const MatrixXd> Xo(pb.X_own.data(), N, pb.p), Xr(pb.X_ref.data(), N, pb.p);
  DrawResults res;
  const size_t n_imp = static_cast<size_t>(n) * n_draws;
  res.est.resize(n_imp);
  res.se.resize(n_imp);
  res.df.resize(n_imp);
  parallel_for(n, n_threads, [&](int i, int) {
    const SampleFit& fit = fits[i];
    require(fit.ok, "fits", "a failed fit cannot impute");
    const auto& set = imp_sets[i];
    const int ns = static_cast<int>(set.size());
    require(ns > q, "samples", "an imputation set needs more subjects than analysis-model columns");
    // observed outcomes (+ delta later), conditional means of the missing
    VectorXd y(static_cast<long long>(ns) * k);
    std::map<std::array<long long, 5>, int> key_of;
    std::vector<Pattern> patterns;
    std::vector<Pending> pending;
    VectorXd yi(k), mu, mu_own, mu_ref, r;
    std::vector<int> obs, mis;
    for (int a = 0; a < ns; ++a) {
      const int s = set[a];
      long long mask = 0;
      obs.clear();
      mis.clear();
      for (int v = 0; v < k; ++v) {
        yi(v) = pb.y[static_cast<long long>(s) * k + v];
        if (std::isnan(yi(v))) {
          mask |= 1LL << v;
          mis.push_back(v);
        } else {
          obs.push_back(v);
        }
      }
      y.segment(static_cast<long long>(a) * k, k) = yi;
      if (mis.empty()) continue;
      const int slot = pb.custom.empty() ? -1 : pb.custom[s];
      const MatrixXd* S_custom = nullptr;
      int pat;
      if (slot >= 0) {
        check_custom(fit, slot, k);
        mu = fit.custom_mu[slot];
        S_custom = &fit.custom_sigma[slot];
        pat = static_cast<int>(patterns.size());
        patterns.push_back(make_pattern(obs, mis, *S_custom));
      } else {
        const Strategy st = static_cast<Strategy>(pb.strategy[s]);
        mu_own = Xo.middleRows(static_cast<long long>(s) * k, k) * fit.beta;
        mu_ref = Xr.middleRows(static_cast<long long>(s) * k, k) * fit.beta;
        strategy_mean(st, pb.ice[s], mu_own, mu_ref, mu);
        const std::array<long long, 5> key{mask, pb.strategy[s], pb.ice[s], pb.group_own[s],
                                           pb.group_ref[s]};
        auto it = key_of.find(key);
        if (it == key_of.end()) {
          const MatrixXd S = strategy_sigma(st, pb.ice[s], fit.sigma[pb.group_own[s]],
                                            fit.sigma[pb.group_ref[s]]);
          pat = static_cast<int>(patterns.size());
          patterns.push_back(make_pattern(obs, mis, S));
          key_of.emplace(key, pat);
        } else {
          pat = it->second;
        }
      }
      const Pattern& P = patterns[pat];
      const int no = static_cast<int>(P.obs.size()), nm = static_cast<int>(P.mis.size());
      r.resize(no);
      for (int b = 0; b < no; ++b) r(b) = yi(P.obs[b]) - mu(P.obs[b]);
      VectorXd m(nm);
      for (int b = 0; b < nm; ++b) m(b) = mu(P.mis[b]);
      if (no > 0) m += P.reg * r;
      pending.push_back(Pending{static_cast<long long>(a) * k, std::move(m), pat});
    }
    // Per visit: the ANCOVA's projection (Z'Z)^-1 Z' and diag((Z'Z)^-1) at
    // the contrasts, the same for every draw of this fit.
    std::vector<MatrixXd> proj(k), Zs(k);
    std::vector<VectorXd> dinv(k);
    for (int v = 0; v < k; ++v) {
      Eigen::Map<const MatrixXd> Z(pb.Z[v].data(), pb.n_subjects, q);
      Zs[v].resize(ns, q);
      for (int a = 0; a < ns; ++a) Zs[v].row(a) = Z.row(set[a]);
      const MatrixXd ZtZ = Zs[v].transpose() * Zs[v];
      Eigen::LDLT<MatrixXd> ldlt(ZtZ);
      Eigen::ColPivHouseholderQR<MatrixXd> qr(Zs[v]);
      if (qr.rank() < q || ldlt.info() != Eigen::Success)
        throw NumericalError("the analysis model's design is rank deficient at visit " +
                             std::to_string(v + 1));
      const MatrixXd inv = ldlt.solve(MatrixXd::Identity(q, q));
      proj[v] = inv * Zs[v].transpose();
      dinv[v].resize(nc);
      for (int c = 0; c < nc; ++c) dinv[v](c) = inv(pb.contrast_cols[c], pb.contrast_cols[c]);
    }
    Stream rng(seed, static_cast<std::uint32_t>(first_index + i), 1u);
    VectorXd yd = y, z, yv(ns);
    const double df = ns - q;
    for (int d = 0; d < n_draws; ++d) {
      for (const auto& pe : pending) {
        const Pattern& P = patterns[pe.pattern];
        const int nm = static_cast<int>(P.mis.size());
        z.resize(nm);
        for (int b = 0; b < nm; ++b) z(b) = rng.normal();
        const VectorXd draw = pe.mean + P.L * z;
        for (int b = 0; b < nm; ++b) yd(pe.offset + P.mis[b]) = draw(b);
      }
      MatrixXd est(k, nc), se(k, nc);
      for (int v = 0; v < k; ++v) {
        for (int a = 0; a < ns; ++a) {
          const long long row = static_cast<long long>(set[a]) * k + v;
          yv(a) = yd(static_cast<long long>(a) * k + v) + (pb.delta.empty() ? 0.0 : pb.delta[row]);
        }
        const VectorXd b = proj[v] * yv;
        const double rss = (yv - Zs[v] * b).squaredNorm();
        for (int c = 0; c < nc; ++c) {
          est(v, c) = b(pb.contrast_cols[c]);
          se(v, c) = std::sqrt(rss / df * dinv[v](c));
        }
      }
      const size_t j = static_cast<size_t>(i) * n_draws + d;
      res.est[j] = std::move(est);
      res.se[j] = std::move(se);
      res.df[j] = df;
    }
  });
  return res;
}

}  // namespace mi
}  // namespace glycotrial
