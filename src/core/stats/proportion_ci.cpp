#include "core/stats/proportion_ci.hpp"

#include <algorithm>
#include <cmath>

#include <boost/math/distributions/binomial.hpp>
#include <boost/math/special_functions/beta.hpp>

namespace glycotrial {
namespace stats {

const std::vector<std::string>& prop_method_names() {
  static const std::vector<std::string> names = {
      "wilson", "wilson-cc", "clopper-pearson", "jeffreys", "agresti-coull", "mid-p", "wald",
      "wald-cc"};
  return names;
}

PropMethod parse_prop_method(const std::string& name) {
  if (name == "wilson") return PropMethod::Wilson;
  if (name == "wilson-cc") return PropMethod::WilsonCC;
  if (name == "clopper-pearson" || name == "exact") return PropMethod::ClopperPearson;
  if (name == "jeffreys") return PropMethod::Jeffreys;
  if (name == "agresti-coull") return PropMethod::AgrestiCoull;
  if (name == "mid-p") return PropMethod::MidP;
  if (name == "wald") return PropMethod::Wald;
  if (name == "wald-cc") return PropMethod::WaldCC;
  throw InputError("unknown method \"" + name + "\"; valid methods are " +
                       join_names(prop_method_names()),
                   "method");
}

Interval wilson_ci(double x, double n, double z, bool correct) {
  const double p = x / n, q = 1.0 - p, z2 = z * z;
  double lo, hi;
  if (!correct) {
    // Wilson (1927): (p + z^2/2n +- z sqrt(pq/n + z^2/4n^2)) / (1 + z^2/n).
    const double centre = p + z2 / (2.0 * n);
    const double half = z * std::sqrt(p * q / n + z2 / (4.0 * n * n));
    const double denom = 1.0 + z2 / n;
    lo = (centre - half) / denom;
    hi = (centre + half) / denom;
  } else {
    // Newcombe (1998a, Stat Med 17:857) method 4.
    const double denom = 2.0 * (n + z2);
    lo = (2.0 * n * p + z2 - 1.0 -
          z * std::sqrt(std::max(0.0, z2 - 2.0 - 1.0 / n + 4.0 * p * (n * q + 1.0)))) /
         denom;
    hi = (2.0 * n * p + z2 + 1.0 +
          z * std::sqrt(std::max(0.0, z2 + 2.0 - 1.0 / n + 4.0 * p * (n * q - 1.0)))) /
         denom;
  }
  if (x == 0) lo = 0.0;
  if (x == n) hi = 1.0;
  return {p, std::max(0.0, lo), std::min(1.0, hi)};
}

namespace {

// P(X > x) + P(X = x)/2 under Binomial(n, p): increasing in p.
double midp_upper_tail(double x, double n, double p) {
  boost::math::binomial_distribution<double> b(n, p);
  return boost::math::cdf(boost::math::complement(b, x)) + 0.5 * boost::math::pdf(b, x);
}

// P(X < x) + P(X = x)/2: decreasing in p.
double midp_lower_tail(double x, double n, double p) {
  boost::math::binomial_distribution<double> b(n, p);
  const double below = x > 0 ? boost::math::cdf(b, x - 1.0) : 0.0;
  return below + 0.5 * boost::math::pdf(b, x);
}

}  // namespace

Interval prop_ci(double x, double n, PropMethod method, double conf_level) {
  check_binomial(x, n, "x", "n");
  const double z = z_two_sided(conf_level);
  const double alpha = 1.0 - conf_level;
  const double p = x / n;
  switch (method) {
    case PropMethod::Wilson:
      return wilson_ci(x, n, z, false);
    case PropMethod::WilsonCC:
      return wilson_ci(x, n, z, true);
    case PropMethod::ClopperPearson: {
      // Clopper & Pearson (1934) via beta quantiles.
      const double lo = x > 0 ? boost::math::ibeta_inv(x, n - x + 1.0, alpha / 2.0) : 0.0;
      const double hi = x < n ? boost::math::ibeta_inv(x + 1.0, n - x, 1.0 - alpha / 2.0) : 1.0;
      return {p, lo, hi};
    }
    case PropMethod::Jeffreys: {
      // Beta(x + 1/2, n - x + 1/2) equal-tailed interval; limits forced to 0 / 1
      // at x = 0 / n (Brown, Cai & DasGupta 2001).
      const double lo = x > 0 ? boost::math::ibeta_inv(x + 0.5, n - x + 0.5, alpha / 2.0) : 0.0;
      const double hi =
          x < n ? boost::math::ibeta_inv(x + 0.5, n - x + 0.5, 1.0 - alpha / 2.0) : 1.0;
      return {p, lo, hi};
    }
    case PropMethod::AgrestiCoull: {
      // Agresti & Coull (1998): Wald on x + z^2/2 successes out of n + z^2,
      // truncated to [0, 1]; the reported estimate stays x / n.
      const double nt = n + z * z;
      const double pt = (x + z * z / 2.0) / nt;
      const double half = z * std::sqrt(pt * (1.0 - pt) / nt);
      return {p, std::max(0.0, pt - half), std::min(1.0, pt + half)};
    }
    case PropMethod::MidP: {
      // Lancaster mid-p: P(X > x) + P(X = x)/2 = alpha/2 at the lower limit,
      // P(X < x) + P(X = x)/2 = alpha/2 at the upper (Agresti 2013, 16.6).
      const double a2 = alpha / 2.0;
      // Bisection to a tolerance relative to the scale of the limits (about
      // max(p, 1/n)): the former absolute 1e-13 returned [2.8e-14, 2.8e-14]
      // for 2 events in 1e15, an interval that excludes the estimate.
      const double tol = 1e-13 * std::min(1.0, std::max(p, 1.0 / n));
      const double lo =
          x > 0 ? bisect([&](double pp) { return midp_upper_tail(x, n, pp) - a2; }, 0.0, 1.0, tol)
                : 0.0;
      const double hi =
          x < n ? bisect([&](double pp) { return midp_lower_tail(x, n, pp) - a2; }, 0.0, 1.0, tol)
                : 1.0;
      return {p, lo, hi};
    }
    case PropMethod::Wald:
    case PropMethod::WaldCC: {
      // SAS: p +- (z sqrt(pq/n) [+ 1/(2n)]), truncated to [0, 1].
      double half = z * std::sqrt(p * (1.0 - p) / n);
      if (method == PropMethod::WaldCC) half += 1.0 / (2.0 * n);
      return {p, std::max(0.0, p - half), std::min(1.0, p + half)};
    }
  }
  throw InputError("unknown method", "method");
}

}  // namespace stats
}  // namespace glycotrial
