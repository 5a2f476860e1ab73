#include "core/stats/exact_unconditional.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/stats/score.hpp"

namespace glycotrial {
namespace stats {

namespace {

struct Enumerator {
  int n1, n2;
  std::vector<double> lchoose1, lchoose2;
  std::vector<double> pmf1, pmf2;
  std::vector<char> in_tail;  // tables at least as extreme as observed
  const InterruptCheck& check;
  double work = 0.0;  // tables visited since the last interrupt check

  // Asks for an interrupt about every 2^16 tables visited (a few ms).
  void tick(double tables) {
    work += tables;
    if (work >= 65536.0) {
      work = 0.0;
      if (check) check();
    }
  }

  Enumerator(int a, int b, const InterruptCheck& chk)
      : n1(a), n2(b), lchoose1(a + 1), lchoose2(b + 1), pmf1(a + 1), pmf2(b + 1),
        in_tail(static_cast<size_t>(a + 1) * (b + 1)), check(chk) {
    for (int y = 0; y <= n1; ++y)
      lchoose1[y] = std::lgamma(n1 + 1.0) - std::lgamma(y + 1.0) - std::lgamma(n1 - y + 1.0);
    for (int y = 0; y <= n2; ++y)
      lchoose2[y] = std::lgamma(n2 + 1.0) - std::lgamma(y + 1.0) - std::lgamma(n2 - y + 1.0);
  }

  static void fill(std::vector<double>& pmf, const std::vector<double>& lc, int n, double p) {
    if (p <= 0.0 || p >= 1.0) {
      std::fill(pmf.begin(), pmf.end(), 0.0);
      pmf[p <= 0.0 ? 0 : n] = 1.0;
      return;
    }
    const double lp = std::log(p), lq = std::log1p(-p);
    for (int y = 0; y <= n; ++y) pmf[y] = std::exp(lc[y] + y * lp + (n - y) * lq);
  }

  // Probability of the tail set when p2 = p and p1 = p + delta.
  double tail_prob(double p, double delta) {
    fill(pmf1, lchoose1, n1, std::min(1.0, std::max(0.0, p + delta)));
    fill(pmf2, lchoose2, n2, p);
    double total = 0.0;
    for (int y1 = 0; y1 <= n1; ++y1) {
      if (pmf1[y1] == 0.0) continue;
      double s = 0.0;
      const char* row = &in_tail[static_cast<size_t>(y1) * (n2 + 1)];
      for (int y2 = 0; y2 <= n2; ++y2)
        if (row[y2]) s += pmf2[y2];
      total += pmf1[y1] * s;
      tick(n2 + 1.0);
    }
    return std::min(1.0, total);
  }

  // Tail p-value at delta maximised over the nuisance p2: a grid followed by
  // golden-section refinement around the best grid point.
  double p_value(double delta, double t_obs, bool upper) {
    const double tol = 1e-9 * (1.0 + std::abs(t_obs));
    for (int y1 = 0; y1 <= n1; ++y1)
      for (int y2 = 0; y2 <= n2; ++y2) {
        const double t = score_z(Contrast::RD, y1, n1, y2, n2, delta, false);
        in_tail[static_cast<size_t>(y1) * (n2 + 1) + y2] =
            upper ? (t >= t_obs - tol) : (t <= t_obs + tol);
        if (y2 == n2) tick(n2 + 1.0);
      }
    const double lo = std::max(0.0, -delta), hi = std::min(1.0, 1.0 - delta);
    const int grid = 200;
    double best = -1.0, best_p = lo;
    for (int i = 0; i <= grid; ++i) {
      const double p = lo + (hi - lo) * i / grid;
      const double v = tail_prob(p, delta);
      if (v > best) {
        best = v;
        best_p = p;
      }
    }
    double a = std::max(lo, best_p - (hi - lo) / grid), b = std::min(hi, best_p + (hi - lo) / grid);
    const double g = 0.5 * (std::sqrt(5.0) - 1.0);
    double c = b - g * (b - a), d = a + g * (b - a);
    double fc = tail_prob(c, delta), fd = tail_prob(d, delta);
    for (int it = 0; it < 40; ++it) {
      if (fc > fd) {
        b = d;
        d = c;
        fd = fc;
        c = b - g * (b - a);
        fc = tail_prob(c, delta);
      } else {
        a = c;
        c = d;
        fc = fd;
        d = a + g * (b - a);
        fd = tail_prob(d, delta);
      }
    }
    return std::max(best, std::max(fc, fd));
  }
};

}  // namespace

Interval exact_unconditional_rd_ci(double x1, double n1, double x2, double n2,
                                   double conf_level, const InterruptCheck& check) {
  check_binomial(x1, n1, "x1", "n1");
  check_binomial(x2, n2, "x2", "n2");
  check_conf_level(conf_level);
  require((n1 + 1.0) * (n2 + 1.0) <= kExactMaxTables, "n1",
          "is too large for the exact unconditional interval (more than 1e6 tables); use "
          "method \"mn\"");
  const double half_alpha = (1.0 - conf_level) / 2.0;
  const double d = x1 / n1 - x2 / n2;
  Enumerator e(static_cast<int>(n1), static_cast<int>(n2), check);
  const double eps = 1e-10;
  auto t_obs = [&](double delta) {
    return score_z(Contrast::RD, x1, n1, x2, n2, delta, false);
  };
  double lo = -1.0, hi = 1.0;
  if (d > -1.0) {
    lo = bisect([&](double delta) { return e.p_value(delta, t_obs(delta), true) - half_alpha; },
                -1.0 + eps, d, 1e-7);
  }
  if (d < 1.0) {
    hi = bisect([&](double delta) { return e.p_value(delta, t_obs(delta), false) - half_alpha; },
                d, 1.0 - eps, 1e-7);
  }
  return {d, lo, hi};
}

}  // namespace stats
}  // namespace glycotrial
