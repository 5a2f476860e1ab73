#include "core/stats/ratio_ci.hpp"

#include <algorithm>
#include <cmath>

#include "core/stats/tests_2x2.hpp"

namespace glycotrial {
namespace stats {

const std::vector<std::string>& ratio_method_names() {
  static const std::vector<std::string> names = {"score", "score-nobcf", "wald", "wald-modified",
                                                  "exact"};
  return names;
}

RatioMethod parse_ratio_method(const std::string& name) {
  if (name == "score" || name == "mn") return RatioMethod::Score;
  if (name == "score-nobcf") return RatioMethod::ScoreNoBcf;
  if (name == "wald" || name == "woolf" || name == "log") return RatioMethod::Wald;
  if (name == "wald-modified") return RatioMethod::WaldModified;
  if (name == "exact") return RatioMethod::Exact;
  throw InputError("unknown method \"" + name + "\"; valid methods are " +
                       join_names(ratio_method_names()),
                   "method");
}

namespace {

double point_estimate(double x1, double n1, double x2, double n2, Contrast m) {
  if (m == Contrast::RR) {
    const double p1 = x1 / n1, p2 = x2 / n2;
    if (p2 == 0.0) return p1 == 0.0 ? kNaN : kInf;
    return p1 / p2;
  }
  const double a = x1, b = n1 - x1, c = x2, d = n2 - x2;
  const double num = a * d, den = b * c;
  if (den == 0.0) return num == 0.0 ? kNaN : kInf;
  return num / den;
}

}  // namespace

Interval ratio_score_ci(double x1, double n1, double x2, double n2, Contrast measure,
                        double conf_level, bool bcf) {
  const double z = z_two_sided(conf_level);
  const double est = point_estimate(x1, n1, x2, n2, measure);
  // The statistic is undefined when nothing varies (no events, or, for the
  // odds ratio, all events): the interval is then (0, Inf).
  if (x1 + x2 == 0.0 || (measure == Contrast::OR && x1 + x2 == n1 + n2)) return {est, 0.0, kInf};
  auto f = [&](double log_theta) {
    return score_z(measure, x1, n1, x2, n2, std::exp(log_theta), bcf);
  };
  // Search on log(theta) in [-B, B]; the statistic decreases in theta.
  const double B = 30.0;
  const bool lower_zero = x1 == 0.0 || (measure == Contrast::OR && x2 == n2);
  const bool upper_inf = x2 == 0.0 || (measure == Contrast::OR && x1 == n1);
  double lo = 0.0, hi = kInf;
  double centre;
  if (std::isfinite(est) && est > 0) {
    centre = std::log(est);
  } else {
    // One limit is degenerate: bracket the other from the null value side.
    centre = est == 0.0 ? -B : B;
  }
  if (!lower_zero) {
    const double a = -B, b = std::min(centre, B);
    if (f(a) > z) lo = std::exp(bisect([&](double t) { return f(t) - z; }, a, b, 1e-12));
  }
  if (!upper_inf) {
    const double a = std::max(centre, -B), b = B;
    if (f(b) < -z) hi = std::exp(bisect([&](double t) { return f(t) + z; }, a, b, 1e-12));
  }
  return {est, lo, hi};
}

Interval ratio_ci(double x1, double n1, double x2, double n2, Contrast measure,
                  RatioMethod method, double conf_level) {
  check_binomial(x1, n1, "x1", "n1");
  check_binomial(x2, n2, "x2", "n2");
  require(measure == Contrast::RR || measure == Contrast::OR, "measure",
          "must be the relative risk or the odds ratio");
  const double z = z_two_sided(conf_level);
  switch (method) {
    case RatioMethod::Score:
      return ratio_score_ci(x1, n1, x2, n2, measure, conf_level, true);
    case RatioMethod::ScoreNoBcf:
      return ratio_score_ci(x1, n1, x2, n2, measure, conf_level, false);
    case RatioMethod::Exact: {
      // Exact conditional interval for the odds ratio (Cornfield 1956; SAS
      // ODDSRATIO(CL=EXACT)); the estimate stays the sample odds ratio.
      require(measure == Contrast::OR, "method",
              "\"exact\" is available for the odds ratio only (exact conditional interval)");
      const FisherResult f = fisher_2x2(x1, n1 - x1, x2, n2 - x2, 0, conf_level);
      return {point_estimate(x1, n1, x2, n2, measure), f.lower, f.upper};
    }
    case RatioMethod::Wald:
    case RatioMethod::WaldModified: {
      // Log-scale Wald: Katz et al. (1978) for RR, Woolf (1955) for OR.
      // wald-modified adds 1/2 to every cell (Haldane 1956; SAS WALDMODIFIED).
      const double add = method == RatioMethod::WaldModified ? 0.5 : 0.0;
      const double a = x1 + add, b = n1 - x1 + add, c = x2 + add, d = n2 - x2 + add;
      double est, se;
      if (measure == Contrast::RR) {
        const double m1 = a + b, m2 = c + d;
        est = (a / m1) / (c / m2);
        se = std::sqrt(1.0 / a - 1.0 / m1 + 1.0 / c - 1.0 / m2);
      } else {
        est = (a * d) / (b * c);
        se = std::sqrt(1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d);
      }
      // The interval is centred on the (modified) estimate; the reported
      // estimate is always the observed one.
      const double observed = point_estimate(x1, n1, x2, n2, measure);
      if (!std::isfinite(se) || !std::isfinite(est) || est == 0.0) return {observed, 0.0, kInf};
      const double le = std::log(est);
      return {observed, std::exp(le - z * se), std::exp(le + z * se)};
    }
  }
  throw InputError("unknown method", "method");
}

}  // namespace stats
}  // namespace glycotrial
