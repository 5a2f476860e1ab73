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

namespace {

// The (1,1) cell of a 2x2 table with first-row total r, first-column total
// k and grand total N whose expected cells have odds ratio psi: the root in
// [max(0, r + k - N), min(r, k)] of a (N - r - k + a) = psi (r - a)(k - a)
// (Miettinen & Nurminen 1985; the Breslow-Day quadratic). The quadratic is
// scaled by 1/psi when psi > 1 so that extreme odds ratios do not overflow,
// and the root is taken by the cancellation-free formula so that a cell near
// zero keeps its relative precision.
double or_expected_cell(double psi, double r, double k, double N) {
  const double lo = std::max(0.0, r + k - N), hi = std::min(r, k);
  if (!(hi > lo)) return lo;
  if (psi <= 0.0) return lo;
  if (std::isinf(psi)) return hi;
  double A, B, C;
  if (psi > 1.0) {
    const double ip = 1.0 / psi;
    A = ip - 1.0;
    B = (N - r - k) * ip + r + k;
    C = -r * k;
  } else {
    A = 1.0 - psi;
    B = N - r - k + psi * (r + k);
    C = -psi * r * k;
  }
  if (C == 0.0) return lo;  // psi underflowed relative to the margins
  const double disc = std::sqrt(std::max(0.0, B * B - 4.0 * A * C));
  const double q = -0.5 * (B + (B >= 0 ? 1.0 : -1.0) * disc);
  const double r1 = A != 0.0 ? q / A : kNaN, r2 = q != 0.0 ? C / q : kNaN;
  auto dist = [&](double v) {
    if (std::isnan(v)) return kInf;
    return v < lo ? lo - v : (v > hi ? v - hi : 0.0);
  };
  const double root = dist(r1) <= dist(r2) ? r1 : r2;
  return std::min(hi, std::max(lo, root));
}

// Miettinen-Nurminen score statistic for H0: OR = exp(t). With the four
// restricted-MLE cells a~, b~, c~, d~ (each computed from its own quadratic,
// so none loses precision to cancellation) the score for the log odds ratio
// is (x1 - a~) (1/a~ + 1/b~ + 1/c~ + 1/d~) with variance
// (1/a~ + 1/b~ + 1/c~ + 1/d~) (times N/(N-1) with bcf), hence
// z = (x1 - a~) sqrt(1/a~ + 1/b~ + 1/c~ + 1/d~) / sqrt(lambda).
double or_score_z(double x1, double n1, double x2, double n2, double t, bool bcf) {
  const double N = n1 + n2, m = x1 + x2;
  const double psi = std::exp(t), ipsi = std::exp(-t);
  const double a = or_expected_cell(psi, n1, m, N);
  const double b = or_expected_cell(ipsi, n1, N - m, N);
  const double c = or_expected_cell(ipsi, n2, m, N);
  const double d = or_expected_cell(psi, n2, N - m, N);
  // x1 - a~ is written through whichever cell is smallest, since
  // the four differences are equal (the margins are fixed) and only the
  // smallest one is free of cancellation (e.g. x1 = n1 = 1e5 with b~ = 0.5).
  const double ob = n1 - x1, oc = x2, od = n2 - x2;
  double num = x1 - a, size = x1 + a;
  if (ob + b < size) {
    num = b - ob;
    size = ob + b;
  }
  if (oc + c < size) {
    num = c - oc;
    size = oc + c;
  }
  if (od + d < size) num = od - d;
  if (num == 0.0) return 0.0;
  const double info = 1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d;
  const double lambda = bcf ? N / (N - 1.0) : 1.0;
  if (std::isinf(info)) return num > 0 ? kInf : -kInf;
  return num * std::sqrt(info / lambda);
}

// Root of a decreasing function g of t (log theta) with g = target, found by
// stepping outward from t0 (doubling steps) until the root is bracketed, then
// bisecting. Returns NaN when no bracket exists within |t| <= 700.
template <class G>
double bracket_root(G&& g, double target, double t0) {
  const double tmax = 700.0;
  double left = t0, right = t0;
  double step = 1.0;
  // Need g(left) >= target >= g(right).
  while (g(left) < target) {
    if (left <= -tmax) return kNaN;
    right = left;
    left = std::max(-tmax, left - step);
    step *= 2.0;
  }
  step = 1.0;
  while (g(right) > target) {
    if (right >= tmax) return kNaN;
    left = right;
    right = std::min(tmax, right + step);
    step *= 2.0;
  }
  for (int i = 0; i < 200 && (right - left) > 1e-13 * std::max(1.0, std::fabs(left)); ++i) {
    const double mid = 0.5 * (left + right);
    const double gm = g(mid);
    if (gm == target) return mid;
    if (gm > target) {
      left = mid;
    } else {
      right = mid;
    }
  }
  return 0.5 * (left + right);
}

Interval or_score_ci(double x1, double n1, double x2, double n2, double conf_level, bool bcf) {
  const double z = z_two_sided(conf_level);
  const double est = point_estimate(x1, n1, x2, n2, Contrast::OR);
  // Nothing varies (no events, or all events): the statistic is 0 everywhere.
  if (x1 + x2 == 0.0 || x1 + x2 == n1 + n2) return {est, 0.0, kInf};
  // x1 at its smallest possible value given the margins (a = 0 or d = 0):
  // lower limit 0; at its largest (b = 0 or c = 0): upper limit Inf.
  const bool lower_zero = x1 == 0.0 || x2 == n2;
  const bool upper_inf = x2 == 0.0 || x1 == n1;
  // Start at the Haldane-corrected log odds ratio: always finite.
  const double t0 = std::log((x1 + 0.5) * (n2 - x2 + 0.5)) -
                    std::log((n1 - x1 + 0.5) * (x2 + 0.5));
  auto g = [&](double t) { return or_score_z(x1, n1, x2, n2, t, bcf); };
  double lo = 0.0, hi = kInf;
  if (!lower_zero) {
    const double t = bracket_root(g, z, t0);
    lo = std::isnan(t) ? 0.0 : std::exp(t);
  }
  if (!upper_inf) {
    const double t = bracket_root(g, -z, t0);
    hi = std::isnan(t) ? kInf : std::exp(t);
  }
  return {est, lo, hi};
}

}  // namespace

Interval ratio_score_ci(double x1, double n1, double x2, double n2, Contrast measure,
                        double conf_level, bool bcf) {
  if (measure == Contrast::OR) return or_score_ci(x1, n1, x2, n2, conf_level, bcf);
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
