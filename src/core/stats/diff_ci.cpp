#include "core/stats/diff_ci.hpp"

#include <algorithm>
#include <cmath>

#include <boost/math/distributions/normal.hpp>

#include "core/stats/exact_unconditional.hpp"
#include "core/stats/proportion_ci.hpp"
#include "core/stats/score.hpp"

namespace glycotrial {
namespace stats {

const std::vector<std::string>& diff_method_names() {
  static const std::vector<std::string> names = {
      "wald", "wald-cc", "newcombe", "newcombe-cc", "mn", "mee", "agresti-caffo",
      "hauck-anderson", "exact"};
  return names;
}

DiffMethod parse_diff_method(const std::string& name) {
  if (name == "wald") return DiffMethod::Wald;
  if (name == "wald-cc") return DiffMethod::WaldCC;
  if (name == "newcombe") return DiffMethod::Newcombe;
  if (name == "newcombe-cc") return DiffMethod::NewcombeCC;
  if (name == "mn" || name == "miettinen-nurminen") return DiffMethod::MN;
  if (name == "mee") return DiffMethod::Mee;
  if (name == "agresti-caffo" || name == "ac") return DiffMethod::AgrestiCaffo;
  if (name == "hauck-anderson" || name == "ha") return DiffMethod::HauckAnderson;
  if (name == "exact") return DiffMethod::Exact;
  throw InputError("unknown method \"" + name + "\"; valid methods are " +
                       join_names(diff_method_names()),
                   "method");
}

Interval rd_score_ci(double x1, double n1, double x2, double n2, double conf_level, bool bcf) {
  const double z = z_two_sided(conf_level);
  const double d = x1 / n1 - x2 / n2;
  auto f = [&](double delta) { return score_z(Contrast::RD, x1, n1, x2, n2, delta, bcf); };
  // z(delta) decreases in delta; the limits solve z = +z (lower), -z (upper).
  double lo = -1.0, hi = 1.0;
  if (d > -1.0 && f(-1.0) > z) lo = bisect([&](double t) { return f(t) - z; }, -1.0, d);
  if (d < 1.0 && f(1.0) < -z) hi = bisect([&](double t) { return f(t) + z; }, d, 1.0);
  return {d, lo, hi};
}

Interval diff_ci(double x1, double n1, double x2, double n2, DiffMethod method,
                 double conf_level, const InterruptCheck& check) {
  check_binomial(x1, n1, "x1", "n1");
  check_binomial(x2, n2, "x2", "n2");
  const double z = z_two_sided(conf_level);
  const double p1 = x1 / n1, p2 = x2 / n2, d = p1 - p2;
  auto trunc = [](double est, double lo, double hi) {
    return Interval{est, std::max(-1.0, lo), std::min(1.0, hi)};
  };
  switch (method) {
    case DiffMethod::Wald:
    case DiffMethod::WaldCC: {
      // SAS RISKDIFF Wald; CORRECT adds (1/n1 + 1/n2)/2 (not prop.test's
      // min(., |d|)). Limits truncated to [-1, 1].
      double half = z * std::sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2);
      if (method == DiffMethod::WaldCC) half += 0.5 * (1.0 / n1 + 1.0 / n2);
      return trunc(d, d - half, d + half);
    }
    case DiffMethod::Newcombe:
    case DiffMethod::NewcombeCC: {
      // Newcombe (1998b) method 10 (11 with continuity correction): hybrid
      // score "square-and-add" of the two Wilson intervals.
      const bool cc = method == DiffMethod::NewcombeCC;
      const Interval w1 = wilson_ci(x1, n1, z, cc), w2 = wilson_ci(x2, n2, z, cc);
      const double lo = d - std::sqrt((p1 - w1.lower) * (p1 - w1.lower) +
                                      (w2.upper - p2) * (w2.upper - p2));
      const double hi = d + std::sqrt((w1.upper - p1) * (w1.upper - p1) +
                                      (p2 - w2.lower) * (p2 - w2.lower));
      return trunc(d, lo, hi);
    }
    case DiffMethod::MN:
      return rd_score_ci(x1, n1, x2, n2, conf_level, true);
    case DiffMethod::Mee:
      return rd_score_ci(x1, n1, x2, n2, conf_level, false);
    case DiffMethod::AgrestiCaffo: {
      // Agresti & Caffo (2000): Wald after adding one success and one failure
      // to each group; the reported estimate stays p1 - p2.
      const double a1 = (x1 + 1) / (n1 + 2), a2 = (x2 + 1) / (n2 + 2);
      const double half = z * std::sqrt(a1 * (1 - a1) / (n1 + 2) + a2 * (1 - a2) / (n2 + 2));
      return trunc(d, a1 - a2 - half, a1 - a2 + half);
    }
    case DiffMethod::HauckAnderson: {
      // Hauck & Anderson (1986), as SAS RISKDIFF(CL=HA).
      // Undefined with one subject in a group (variance divides by n - 1):
      // NaN limits, which the R layer turns into NA with a classed warning.
      if (n1 < 2 || n2 < 2) return {d, kNaN, kNaN};
      const double cc = 1.0 / (2.0 * std::min(n1, n2));
      const double half =
          cc + z * std::sqrt(p1 * (1 - p1) / (n1 - 1) + p2 * (1 - p2) / (n2 - 1));
      return trunc(d, d - half, d + half);
    }
    case DiffMethod::Exact:
      return exact_unconditional_rd_ci(x1, n1, x2, n2, conf_level, check);
  }
  throw InputError("unknown method", "method");
}

TestResult fm_test(double x1, double n1, double x2, double n2, double margin, int alternative) {
  check_binomial(x1, n1, "x1", "n1");
  check_binomial(x2, n2, "x2", "n2");
  require(std::isfinite(margin) && margin > -1.0 && margin < 1.0, "margin",
          "must lie strictly between -1 and 1");
  const double zs = score_z(Contrast::RD, x1, n1, x2, n2, margin, false);
  boost::math::normal_distribution<double> nd;
  auto upper = [&](double v) {
    if (std::isinf(v)) return v > 0 ? 0.0 : 1.0;
    return boost::math::cdf(boost::math::complement(nd, v));
  };
  double p;
  if (alternative > 0) {
    p = upper(zs);
  } else if (alternative < 0) {
    p = std::isinf(zs) ? (zs > 0 ? 1.0 : 0.0) : boost::math::cdf(nd, zs);
  } else {
    p = std::min(1.0, 2.0 * upper(std::abs(zs)));
  }
  return {zs, p};
}

}  // namespace stats
}  // namespace glycotrial
