#include "core/lmm/bvn.hpp"

#include <cmath>

#include "core/common/errors.hpp"

namespace glycotrial {
namespace lmm {

double norm_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double bvn_cdf(double a, double b, double rho) {
  require(rho >= -1 && rho <= 1, "rho", "correlation must lie in [-1, 1]");
  if (std::isinf(a) && a < 0) return 0;
  if (std::isinf(b) && b < 0) return 0;
  if (std::isinf(a)) return norm_cdf(b);
  if (std::isinf(b)) return norm_cdf(a);
  const double base = norm_cdf(a) * norm_cdf(b);
  if (rho == 0) return base;
  // 20-point Gauss-Legendre nodes/weights on [-1, 1] (positive half).
  static const double x[10] = {0.0765265211334973, 0.2277858511416451, 0.3737060887154195,
                               0.5108670019508271, 0.6360536807265150, 0.7463319064601508,
                               0.8391169718222188, 0.9122344282513259, 0.9639719272779138,
                               0.9931285991850949};
  static const double w[10] = {0.1527533871307258, 0.1491729864726037, 0.1420961093183820,
                               0.1316886384491766, 0.1181945319615184, 0.1019301198172404,
                               0.0832767415767048, 0.0626720483341091, 0.0406014298003869,
                               0.0176140071391521};
  const double tmax = std::asin(rho);
  const int panels = 8;
  const double h = tmax / panels;
  double sum = 0;
  for (int k = 0; k < panels; ++k) {
    const double mid = (k + 0.5) * h, half = 0.5 * h;
    for (int j = 0; j < 10; ++j) {
      for (int sgn = -1; sgn <= 1; sgn += 2) {
        const double t = mid + sgn * half * x[j];
        const double st = std::sin(t), ct = std::cos(t);
        const double c2 = ct * ct;
        double f = 0;
        if (c2 > 0) f = std::exp(-(a * a - 2 * a * b * st + b * b) / (2 * c2));
        sum += w[j] * half * f;
      }
    }
  }
  double p = base + sum / (2 * M_PI);
  if (p < 0) p = 0;
  if (p > 1) p = 1;
  return p;
}

}  // namespace lmm
}  // namespace glycotrial
