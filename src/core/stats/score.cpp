#include "core/stats/score.hpp"

#include <algorithm>
#include <cmath>

#include "core/stats/common.hpp"

namespace glycotrial {
namespace stats {

namespace {
double clamp01(double v) { return std::min(1.0, std::max(0.0, v)); }
}  // namespace

Rmle rmle_rd(double x1, double n1, double x2, double n2, double delta) {
  // Farrington & Manning (1990) cubic in p1 with theta = n2 / n1; the root is
  // taken by the trigonometric formula as in Miettinen & Nurminen (1985).
  const double p1 = x1 / n1, p2 = x2 / n2, th = n2 / n1;
  const double a = 1.0 + th;
  const double b = -(1.0 + th + p1 + th * p2 + delta * (th + 2.0));
  const double c = delta * delta + delta * (2.0 * p1 + th + 1.0) + p1 + th * p2;
  const double d = -p1 * delta * (1.0 + delta);
  const double v = b * b * b / (27.0 * a * a * a) - b * c / (6.0 * a * a) + d / (2.0 * a);
  const double u2 = b * b / (9.0 * a * a) - c / (3.0 * a);
  const double u = (v >= 0 ? 1.0 : -1.0) * std::sqrt(std::max(0.0, u2));
  double ratio = (u == 0.0) ? 0.0 : v / (u * u * u);
  ratio = std::max(-1.0, std::min(1.0, ratio));
  const double w = (M_PI + std::acos(ratio)) / 3.0;
  double pt1 = 2.0 * u * std::cos(w) - b / (3.0 * a);
  // The trigonometric root loses all relative precision when the proportions
  // are small (it is the difference of O(1) terms: for 3/1e7 vs 2/1e7 the FM
  // statistic was off by 1e-4 relative, for 3/1e9 vs 2/1e9 by 40%). A few
  // Newton steps on the cubic itself, whose terms are all of the root's
  // magnitude, restore full precision; a step is kept only if it reduces |f|.
  auto cubic = [&](double p) { return ((a * p + b) * p + c) * p + d; };
  for (int it = 0; it < 4; ++it) {
    const double f = cubic(pt1), fp = (3.0 * a * pt1 + 2.0 * b) * pt1 + c;
    if (f == 0.0 || !(fp != 0.0) || !std::isfinite(f / fp)) break;
    const double next = pt1 - f / fp;
    if (!(std::fabs(cubic(next)) < std::fabs(f))) break;
    pt1 = next;
  }
  // Stay inside the parameter space {max(0, delta) <= p1 <= min(1, 1 + delta)}.
  pt1 = std::min(std::min(1.0, 1.0 + delta), std::max(std::max(0.0, delta), pt1));
  return {pt1, clamp01(pt1 - delta)};
}

Rmle rmle_rr(double x1, double n1, double x2, double n2, double phi) {
  const double N = n1 + n2;
  const double A = N * phi;
  const double B = -(n1 * phi + x1 + n2 + x2 * phi);
  const double C = x1 + x2;
  const double D = std::max(0.0, B * B - 4.0 * A * C);
  // Smaller root, written without cancellation: 2C / (-B + sqrt(D)).
  const double denom = -B + std::sqrt(D);
  double pt2 = denom > 0 ? 2.0 * C / denom : 0.0;
  pt2 = clamp01(pt2);
  double pt1 = phi * pt2;
  if (pt1 > 1.0) {
    pt1 = 1.0;
    pt2 = 1.0 / phi;
  }
  return {pt1, pt2};
}

Rmle rmle_or(double x1, double n1, double x2, double n2, double psi) {
  const double m = x1 + x2;
  double pt2;
  if (std::abs(psi - 1.0) < 1e-12) {
    pt2 = m / (n1 + n2);
  } else {
    const double A = n2 * (psi - 1.0);
    const double B = n1 * psi + n2 - m * (psi - 1.0);
    const double C = -m;
    const double D = std::max(0.0, B * B - 4.0 * A * C);
    const double q = -0.5 * (B + (B >= 0 ? 1.0 : -1.0) * std::sqrt(D));
    const double r1 = q / A;
    const double r2 = (q != 0.0) ? C / q : kNaN;
    // Both roots can lie in [0, 1]; keep the one that reproduces the margin
    // n1 p~1 + n2 p~2 = x1 + x2 that defines the restricted MLE.
    auto resid = [&](double r) {
      if (!(r >= -1e-12 && r <= 1.0 + 1e-12)) return kInf;
      r = clamp01(r);
      const double pp1 = r * psi / (1.0 + r * (psi - 1.0));
      return std::abs(n1 * pp1 + n2 * r - m);
    };
    pt2 = clamp01(resid(r1) <= resid(r2) ? r1 : r2);
  }
  const double pt1 = clamp01(pt2 * psi / (1.0 + pt2 * (psi - 1.0)));
  return {pt1, pt2};
}

Rmle rmle(Contrast c, double x1, double n1, double x2, double n2, double theta) {
  switch (c) {
    case Contrast::RD:
      return rmle_rd(x1, n1, x2, n2, theta);
    case Contrast::RR:
      return rmle_rr(x1, n1, x2, n2, theta);
    case Contrast::OR:
      return rmle_or(x1, n1, x2, n2, theta);
  }
  return {kNaN, kNaN};
}

ScoreParts score_parts(Contrast c, double x1, double n1, double x2, double n2, double theta) {
  const double p1 = x1 / n1, p2 = x2 / n2;
  const Rmle r = rmle(c, x1, n1, x2, n2, theta);
  const double v1 = r.p1 * (1.0 - r.p1), v2 = r.p2 * (1.0 - r.p2);
  switch (c) {
    case Contrast::RD:
      return {p1 - p2 - theta, v1 / n1 + v2 / n2};
    case Contrast::RR:
      return {p1 - theta * p2, v1 / n1 + theta * theta * v2 / n2};
    case Contrast::OR: {
      // Score for the log odds ratio: (p1 - p~1)/(p~1 q~1) - (p2 - p~2)/(p~2 q~2)
      // with variance 1/(n1 p~1 q~1) + 1/(n2 p~2 q~2).
      const double num1 = (p1 - r.p1), num2 = (p2 - r.p2);
      const double t1 = num1 == 0.0 ? 0.0 : num1 / v1;
      const double t2 = num2 == 0.0 ? 0.0 : num2 / v2;
      return {t1 - t2, 1.0 / (n1 * v1) + 1.0 / (n2 * v2)};
    }
  }
  return {kNaN, kNaN};
}

double score_z(Contrast c, double x1, double n1, double x2, double n2, double theta, bool bcf) {
  const ScoreParts s = score_parts(c, x1, n1, x2, n2, theta);
  if (s.num == 0.0 || std::isnan(s.num)) return 0.0;
  double var = s.var;
  if (bcf) {
    const double N = n1 + n2;
    var *= N / (N - 1.0);
  }
  if (!(var > 0.0) || std::isinf(var)) {
    if (std::isinf(var)) return 0.0;
    return s.num > 0 ? kInf : -kInf;
  }
  return s.num / std::sqrt(var);
}

}  // namespace stats
}  // namespace glycotrial
