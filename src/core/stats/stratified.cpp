#include "core/stats/stratified.hpp"

#include <algorithm>
#include <cmath>

#include <Eigen/Dense>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>

#include "core/stats/proportion_ci.hpp"
#include "core/stats/score.hpp"

namespace glycotrial {
namespace stats {

namespace {

double chisq_upper(double stat, double df) {
  if (!std::isfinite(stat)) return std::isnan(stat) ? kNaN : 0.0;
  boost::math::chi_squared_distribution<double> chi(df);
  return boost::math::cdf(boost::math::complement(chi, std::max(0.0, stat)));
}

double normal_two_sided(double z) {
  if (std::isnan(z)) return kNaN;
  if (std::isinf(z)) return 0.0;
  boost::math::normal_distribution<double> nd;
  return std::min(1.0, 2.0 * boost::math::cdf(boost::math::complement(nd, std::abs(z))));
}

}  // namespace

void check_strata(const Strata& s) {
  const size_t k = s.x1.size();
  require(k >= 1, "x1", "must contain at least one stratum");
  require(s.n1.size() == k && s.x2.size() == k && s.n2.size() == k, "x1",
          "x1, n1, x2 and n2 must have the same length (one element per stratum)");
  for (size_t h = 0; h < k; ++h) {
    require(s.n1[h] >= 1 && s.n2[h] >= 1, "n1",
            "every stratum must contain both groups (stratum " + std::to_string(h + 1) +
                " has a group with no subjects)");
    check_binomial(s.x1[h], s.n1[h], "x1", "n1");
    check_binomial(s.x2[h], s.n2[h], "x2", "n2");
  }
}

ChiTest cmh_2x2(const Strata& s, bool correct) {
  check_strata(s);
  double dev = 0, var = 0;
  for (size_t h = 0; h < s.size(); ++h) {
    const double N = s.n1[h] + s.n2[h], m1 = s.x1[h] + s.x2[h];
    if (N < 2) continue;
    dev += s.x1[h] - s.n1[h] * m1 / N;
    var += s.n1[h] * s.n2[h] * m1 * (N - m1) / (N * N * (N - 1));
  }
  require(var > 0, "x1", "the CMH statistic is undefined: no stratum has variation in both margins");
  // The continuity correction applies only when |O - E| >= 1/2, as in
  // stats::mantelhaen.test(); below that it would overshoot past 0.
  const double yates = (correct && std::abs(dev) >= 0.5) ? 0.5 : 0.0;
  const double d = std::abs(dev) - yates;
  const double stat = d * d / var;
  return {stat, 1.0, chisq_upper(stat, 1.0)};
}

ChiTest cmh_general(const std::vector<double>& counts, int r, int c, int k) {
  require(r >= 2 && c >= 2 && k >= 1, "x", "must be an r x c x K array with r, c >= 2");
  require(static_cast<int>(counts.size()) == r * c * k, "x", "has the wrong number of cells");
  const int p = (r - 1) * (c - 1);
  Eigen::VectorXd dev = Eigen::VectorXd::Zero(p);
  Eigen::MatrixXd V = Eigen::MatrixXd::Zero(p, p);
  for (int h = 0; h < k; ++h) {
    auto cell = [&](int i, int j) { return counts[i + r * (j + c * h)]; };
    Eigen::VectorXd rs = Eigen::VectorXd::Zero(r), cs = Eigen::VectorXd::Zero(c);
    for (int i = 0; i < r; ++i)
      for (int j = 0; j < c; ++j) {
        const double v = cell(i, j);
        require(std::isfinite(v) && v >= 0, "x", "must contain non-negative counts");
        rs(i) += v;
        cs(j) += v;
      }
    const double n = rs.sum();
    if (n < 2) continue;
    // Cells (i, j), i < r - 1, j < c - 1, in column-major order as R's
    // mantelhaen.test; Var = (n diag(r) - r r')/(n - 1) (x) (n diag(c) - c c') / n^2.
    Eigen::VectorXd rr = rs.head(r - 1), cc = cs.head(c - 1);
    Eigen::MatrixXd Vr = (n * Eigen::MatrixXd(rr.asDiagonal()) - rr * rr.transpose());
    Eigen::MatrixXd Vc = (n * Eigen::MatrixXd(cc.asDiagonal()) - cc * cc.transpose());
    for (int j = 0; j < c - 1; ++j)
      for (int i = 0; i < r - 1; ++i) {
        const int a = i + (r - 1) * j;
        dev(a) += cell(i, j) - rs(i) * cs(j) / n;
        for (int j2 = 0; j2 < c - 1; ++j2)
          for (int i2 = 0; i2 < r - 1; ++i2) {
            const int b = i2 + (r - 1) * j2;
            V(a, b) += Vr(i, i2) * Vc(j, j2) / (n * n * (n - 1));
          }
      }
  }
  Eigen::LDLT<Eigen::MatrixXd> ldlt(V);
  if (ldlt.info() != Eigen::Success || !(ldlt.vectorD().minCoeff() > 1e-12 * V.norm())) {
    throw NumericalError("the CMH covariance matrix is singular (empty rows or columns in every stratum)", "x");
  }
  const double stat = dev.dot(ldlt.solve(dev));
  return {stat, static_cast<double>(p), chisq_upper(stat, p)};
}

CommonEstimate mh_odds_ratio(const Strata& s, double conf_level) {
  check_strata(s);
  const double z = z_two_sided(conf_level);
  // Robins, Breslow & Greenland (1986) variance of log OR_MH.
  double R = 0, S = 0, PR = 0, PS_QR = 0, QS = 0;
  for (size_t h = 0; h < s.size(); ++h) {
    const double a = s.x1[h], b = s.n1[h] - s.x1[h], c = s.x2[h], d = s.n2[h] - s.x2[h];
    const double N = s.n1[h] + s.n2[h];
    const double Rh = a * d / N, Sh = b * c / N, Ph = (a + d) / N, Qh = (b + c) / N;
    R += Rh;
    S += Sh;
    PR += Ph * Rh;
    PS_QR += Ph * Sh + Qh * Rh;
    QS += Qh * Sh;
  }
  const double est = S > 0 ? R / S : (R > 0 ? kInf : kNaN);
  if (!(R > 0 && S > 0)) return {est, kNaN, 0.0, kInf};
  const double v = PR / (2 * R * R) + PS_QR / (2 * R * S) + QS / (2 * S * S);
  const double se = std::sqrt(v);
  return {est, se, est * std::exp(-z * se), est * std::exp(z * se)};
}

CommonEstimate mh_relative_risk(const Strata& s, double conf_level) {
  check_strata(s);
  const double z = z_two_sided(conf_level);
  // Greenland & Robins (1985) variance of log RR_MH.
  double R = 0, S = 0, num = 0;
  for (size_t h = 0; h < s.size(); ++h) {
    const double N = s.n1[h] + s.n2[h], m1 = s.x1[h] + s.x2[h];
    R += s.x1[h] * s.n2[h] / N;
    S += s.x2[h] * s.n1[h] / N;
    num += (s.n1[h] * s.n2[h] * m1 - s.x1[h] * s.x2[h] * N) / (N * N);
  }
  const double est = S > 0 ? R / S : (R > 0 ? kInf : kNaN);
  if (!(R > 0 && S > 0)) return {est, kNaN, 0.0, kInf};
  const double se = std::sqrt(num / (R * S));
  return {est, se, est * std::exp(-z * se), est * std::exp(z * se)};
}

CommonEstimate mh_risk_difference(const Strata& s, double conf_level) {
  check_strata(s);
  const double z = z_two_sided(conf_level);
  double W = 0, WD = 0, P = 0, Q = 0;
  for (size_t h = 0; h < s.size(); ++h) {
    const double n1 = s.n1[h], n2 = s.n2[h], x1 = s.x1[h], x2 = s.x2[h], N = n1 + n2;
    const double w = n1 * n2 / N;
    W += w;
    WD += w * (x1 / n1 - x2 / n2);
    // Sato (1989), as in SAS PROC FREQ COMMONRISKDIFF.
    P += (n1 * n1 * x2 - n2 * n2 * x1 + n1 * n2 * (n2 - n1) / 2.0) / (N * N);
    Q += (x1 * (n2 - x2) + x2 * (n1 - x1)) / (2.0 * N);
  }
  const double d = WD / W;
  const double v = std::max(0.0, (d * P + Q) / (W * W));
  const double se = std::sqrt(v);
  return {d, se, std::max(-1.0, d - z * se), std::min(1.0, d + z * se)};
}

BreslowDay breslow_day(const Strata& s) {
  check_strata(s);
  const CommonEstimate mh = mh_odds_ratio(s, 0.95);
  const double psi = mh.estimate;
  require(std::isfinite(psi) && psi > 0, "x1",
          "the Breslow-Day test needs a finite, positive Mantel-Haenszel odds ratio");
  double bd = 0, sum_dev = 0, sum_var = 0;
  int used = 0;
  for (size_t h = 0; h < s.size(); ++h) {
    const double n1 = s.n1[h], N = s.n1[h] + s.n2[h], m1 = s.x1[h] + s.x2[h];
    const double lo = std::max(0.0, n1 + m1 - N), hi = std::min(n1, m1);
    if (hi <= lo) continue;  // a stratum with a degenerate margin carries no information
    // Expected (1,1) cell under the common OR: root in [lo, hi] of
    // (1 - psi) E^2 + (N - n1 - m1 + psi (n1 + m1)) E - psi n1 m1 = 0.
    const double A = 1 - psi, B = N - n1 - m1 + psi * (n1 + m1), C = -psi * n1 * m1;
    double E;
    if (std::abs(A) < 1e-12) {
      E = -C / B;
    } else {
      const double disc = std::sqrt(std::max(0.0, B * B - 4 * A * C));
      const double q = -0.5 * (B + (B >= 0 ? 1.0 : -1.0) * disc);
      const double r1 = q / A, r2 = C / q;
      E = (r1 >= lo - 1e-9 && r1 <= hi + 1e-9) ? r1 : r2;
    }
    const double var = 1.0 / (1.0 / E + 1.0 / (n1 - E) + 1.0 / (m1 - E) + 1.0 / (N - n1 - m1 + E));
    const double dv = s.x1[h] - E;
    bd += dv * dv / var;
    sum_dev += dv;
    sum_var += var;
    ++used;
  }
  require(used >= 2, "x1", "the Breslow-Day test needs at least two informative strata");
  const double df = used - 1.0;
  const double tarone = bd - sum_dev * sum_dev / sum_var;
  return {bd, df, chisq_upper(bd, df), tarone, chisq_upper(tarone, df)};
}

namespace {

// Stratified score statistic for the common risk difference delta.
double strat_z(const Strata& s, StratWeights wt, double delta) {
  const size_t k = s.size();
  std::vector<double> S(k), V(k), p1t(k), p2t(k), w(k);
  for (size_t h = 0; h < k; ++h) {
    const Rmle r = rmle_rd(s.x1[h], s.n1[h], s.x2[h], s.n2[h], delta);
    const double N = s.n1[h] + s.n2[h];
    p1t[h] = r.p1;
    p2t[h] = r.p2;
    S[h] = s.x1[h] / s.n1[h] - s.x2[h] / s.n2[h] - delta;
    V[h] = (r.p1 * (1 - r.p1) / s.n1[h] + r.p2 * (1 - r.p2) / s.n2[h]) * N / (N - 1);
    w[h] = s.n1[h] * s.n2[h] / N;  // MH weights (and MN starting values)
  }
  if (wt == StratWeights::MN) {
    // Miettinen & Nurminen (1985) weights, iterated with the pooled restricted
    // estimates (as ratesci weighting = "MN").
    for (int it = 0; it < 500; ++it) {
      double sw = 0, a1 = 0, a2 = 0;
      for (size_t h = 0; h < k; ++h) {
        sw += w[h];
        a1 += w[h] * p1t[h];
        a2 += w[h] * p2t[h];
      }
      double q1 = a1 / sw, q2 = a2 / sw;
      q2 = std::min(1 - 1e-8, std::max(1e-8, q2));
      double diff = 0;
      for (size_t h = 0; h < k; ++h) {
        const double nw = 1.0 / ((q1 * (1 - q1) / (q2 * (1 - q2))) / s.n1[h] + 1.0 / s.n2[h]);
        diff = std::max(diff, std::abs(nw - w[h]));
        w[h] = nw;
      }
      if (diff <= 1e-10) break;
    }
  }
  double sw = 0;
  for (double v : w) sw += v;
  double num = 0, var = 0;
  for (size_t h = 0; h < k; ++h) {
    const double u = w[h] / sw;
    num += u * S[h];
    var += u * u * V[h];
  }
  if (num == 0.0) return 0.0;
  if (!(var > 0)) return num > 0 ? kInf : -kInf;
  return num / std::sqrt(var);
}

}  // namespace

StratifiedScore stratified_mn_rd(const Strata& s, StratWeights wt, double conf_level) {
  check_strata(s);
  const double z = z_two_sided(conf_level);
  auto f = [&](double d) { return strat_z(s, wt, d); };
  const double eps = 1e-12;
  // Point estimate: the root of the score statistic.
  double est;
  const double flo = f(-1 + eps), fhi = f(1 - eps);
  if (flo <= 0) {
    est = -1;
  } else if (fhi >= 0) {
    est = 1;
  } else {
    est = bisect(f, -1 + eps, 1 - eps);
  }
  double lo = -1, hi = 1;
  if (est > -1 && flo > z) lo = bisect([&](double d) { return f(d) - z; }, -1 + eps, est);
  if (est < 1 && fhi < -z) hi = bisect([&](double d) { return f(d) + z; }, est, 1 - eps);
  const double z0 = f(0.0);
  return {est, lo, hi, z0, normal_two_sided(z0)};
}

namespace {

// Yan & Su (2010) stratified normal quantile: z sqrt(sum w^2 v) / sum(w sqrt(v))
// for stratum variances v (tern::strata_normal_quantile). When every variance
// is 0 (all proportions 0 or 1) the ratio is 0/0; z itself is used then.
double strata_quantile(const std::vector<double>& v, const std::vector<double>& w, double z) {
  double s2 = 0, s1 = 0;
  for (size_t h = 0; h < v.size(); ++h) {
    s2 += w[h] * w[h] * v[h];
    s1 += w[h] * std::sqrt(v[h]);
  }
  return s1 > 0 ? z * std::sqrt(s2) / s1 : z;
}

}  // namespace

StratNewcombe stratified_newcombe_rd(const Strata& s, double conf_level, bool correct,
                                     NewcombeWeights weights) {
  check_strata(s);
  const double z = z_two_sided(conf_level);
  const size_t k = s.size();
  std::vector<double> w(k);
  bool converged = true;
  int iterations = 0;
  if (weights == NewcombeWeights::CMH) {
    // CMH weights n1 n2 / (n1 + n2), normalised (tern::prop_diff_cmh).
    double sw = 0;
    for (size_t h = 0; h < k; ++h) {
      w[h] = s.n1[h] * s.n2[h] / (s.n1[h] + s.n2[h]);
      sw += w[h];
    }
    for (double& v : w) v /= sw;
  } else {
    // Yan & Su (2010) weights that minimise the weighted squared length of
    // the stratified Wilson interval of the pooled (both groups) proportions,
    // by the fixed-point iteration of tern::update_weights_strat_wilson():
    // start from equal weights, w_h proportional to (1 + z*^2/n_h)^2 /
    // (v_h + z*^2/(4 n_h^2)), z* recomputed from the new weights; stop when
    // sum |w_new - w_old| < 0.001, at most 10 iterations (tern's defaults).
    std::vector<double> v(k), n(k);
    for (size_t h = 0; h < k; ++h) {
      n[h] = s.n1[h] + s.n2[h];
      const double p = (s.x1[h] + s.x2[h]) / n[h];
      v[h] = p * (1 - p) / n[h];
      w[h] = 1.0 / static_cast<double>(k);
    }
    double zs = strata_quantile(v, w, z);
    const int max_iter = 10;
    const double tol = 0.001;
    std::vector<double> wn(k);
    converged = false;
    while (iterations < max_iter) {
      ++iterations;
      double sw = 0;
      for (size_t h = 0; h < k; ++h) {
        const double top = (1 + zs * zs / n[h]) * (1 + zs * zs / n[h]);
        wn[h] = top / (v[h] + zs * zs / (4 * n[h] * n[h]));
        sw += wn[h];
      }
      double diff = 0;
      for (size_t h = 0; h < k; ++h) {
        wn[h] /= sw;
        diff += std::abs(wn[h] - w[h]);
      }
      zs = strata_quantile(v, wn, z);
      w = wn;
      if (diff < tol) {
        converged = true;
        break;
      }
    }
  }
  // Stratified Wilson limits of one group with these weights (Yan & Su 2010,
  // tern::prop_strat_wilson): stratum Wilson limits at the stratified
  // quantile z*, combined with the weights.
  auto strat_wilson = [&](const std::vector<double>& x, const std::vector<double>& nn) {
    std::vector<double> v(k);
    double p = 0;
    for (size_t h = 0; h < k; ++h) {
      const double ph = x[h] / nn[h];
      v[h] = ph * (1 - ph) / nn[h];
      p += w[h] * ph;
    }
    const double zs = strata_quantile(v, w, z);
    double lo = 0, hi = 0;
    for (size_t h = 0; h < k; ++h) {
      const Interval wi = wilson_ci(x[h], nn[h], zs, correct);
      lo += w[h] * wi.lower;
      hi += w[h] * wi.upper;
    }
    return Interval{p, lo, hi};
  };
  const Interval g1 = strat_wilson(s.x1, s.n1), g2 = strat_wilson(s.x2, s.n2);
  double lambda1 = 0, lambda2 = 0;
  for (size_t h = 0; h < k; ++h) {
    lambda1 += w[h] * w[h] / s.n1[h];
    lambda2 += w[h] * w[h] / s.n2[h];
  }
  // Yan & Su (2010), eq. for the stratified Newcombe interval (tern::prop_diff_strat_nc):
  // L = d - z sqrt(lambda1 L1 (1 - L1) + lambda2 U2 (1 - U2)),
  // U = d + z sqrt(lambda2 L2 (1 - L2) + lambda1 U1 (1 - U1)).
  const double d = g1.estimate - g2.estimate;
  const double lo =
      d - z * std::sqrt(lambda1 * g1.lower * (1 - g1.lower) + lambda2 * g2.upper * (1 - g2.upper));
  const double hi =
      d + z * std::sqrt(lambda2 * g2.lower * (1 - g2.lower) + lambda1 * g1.upper * (1 - g1.upper));
  StratNewcombe out;
  out.interval = {d, std::max(-1.0, lo), std::min(1.0, hi)};
  out.weights = w;
  out.converged = converged;
  out.iterations = iterations;
  return out;
}

}  // namespace stats
}  // namespace glycotrial
