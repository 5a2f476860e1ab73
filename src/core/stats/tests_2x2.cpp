#include "core/stats/tests_2x2.hpp"

#include <algorithm>
#include <cmath>

#include <boost/math/distributions/chi_squared.hpp>

namespace glycotrial {
namespace stats {

namespace {

void check_cell(double v, const char* name) {
  require(std::isfinite(v) && v >= 0 && v == std::floor(v), name,
          "must be a non-negative whole number");
}

// Noncentral hypergeometric distribution of the (1,1) cell given the margins
// (Fisher 1935; as R's fisher.test): support lo..hi with central log weights.
struct NcHyper {
  int lo, hi;
  std::vector<double> logdc;
  NcHyper(double n1, double n2, double m1) {
    // The support is enumerated with int indices: bound it before casting.
    // Without this, margins above INT_MAX were undefined behaviour (UBSan:
    // "2.14748e+09 is outside the range of representable values of type
    // 'int'") and large supports tried to allocate billions of doubles.
    const double lo_d = std::max(0.0, m1 - n2), hi_d = std::min(n1, m1);
    require(hi_d <= 2147483646.0 && hi_d - lo_d <= 1e7, "n1",
            "is too large for the exact conditional (Fisher) computation (more than 1e7 tables "
            "or counts above 2^31); use another method");
    lo = static_cast<int>(lo_d);
    hi = static_cast<int>(hi_d);
    for (int u = lo; u <= hi; ++u) {
      logdc.push_back(std::lgamma(n1 + 1) - std::lgamma(u + 1.0) - std::lgamma(n1 - u + 1) +
                      std::lgamma(n2 + 1) - std::lgamma(m1 - u + 1) -
                      std::lgamma(n2 - m1 + u + 1));
    }
  }
  std::vector<double> density(double log_psi) const {
    std::vector<double> d(logdc.size());
    double mx = -kInf;
    for (size_t i = 0; i < d.size(); ++i) {
      d[i] = logdc[i] + log_psi * (lo + static_cast<double>(i));
      mx = std::max(mx, d[i]);
    }
    double s = 0;
    for (double& v : d) {
      v = std::exp(v - mx);
      s += v;
    }
    for (double& v : d) v /= s;
    return d;
  }
  double mean(double log_psi) const {
    const std::vector<double> d = density(log_psi);
    double m = 0;
    for (size_t i = 0; i < d.size(); ++i) m += (lo + static_cast<double>(i)) * d[i];
    return m;
  }
  // P(X >= x) (upper) or P(X <= x).
  double tail(double x, double log_psi, bool upper) const {
    const std::vector<double> d = density(log_psi);
    double s = 0;
    for (size_t i = 0; i < d.size(); ++i) {
      const double u = lo + static_cast<double>(i);
      if (upper ? u >= x : u <= x) s += d[i];
    }
    return s;
  }
};

}  // namespace

FisherResult fisher_2x2(double a, double b, double c, double d, int alternative,
                        double conf_level) {
  check_cell(a, "x");
  check_cell(b, "x");
  check_cell(c, "x");
  check_cell(d, "x");
  check_conf_level(conf_level);
  const double n1 = a + b, n2 = c + d, m1 = a + c;
  require(n1 > 0 && n2 > 0, "x", "both groups must have at least one subject");
  NcHyper h(n1, n2, m1);
  const double x = a;
  // p-value.
  double p;
  if (alternative == 0) {
    const std::vector<double> d0 = h.density(0.0);
    const double dobs = d0[static_cast<size_t>(x - h.lo)];
    const double relErr = 1 + 1e-7;  // as R: tolerance for ties in probability
    p = 0;
    for (double v : d0)
      if (v <= dobs * relErr) p += v;
  } else {
    p = h.tail(x, 0.0, alternative > 0);
  }
  p = std::min(1.0, p);
  // Conditional MLE: mean of the noncentral distribution equals x.
  const double B = 40.0;
  double est;
  // As R's fisher.test: 0 at the lower end of the support (also when the
  // support is a single table), Inf at the upper end.
  if (x == h.lo) {
    est = 0.0;
  } else if (x == h.hi) {
    est = kInf;
  } else {
    est = std::exp(bisect([&](double t) { return h.mean(t) - x; }, -B, B, 1e-12));
  }
  // Exact conditional CI (Cornfield 1956), as R's fisher.test.
  double lo = 0.0, hi = kInf;
  const double alpha = 1.0 - conf_level;
  const double a_lo = alternative == 0 ? alpha / 2 : alpha;
  if (alternative >= 0 && x > h.lo && h.lo != h.hi) {
    lo = std::exp(bisect([&](double t) { return h.tail(x, t, true) - a_lo; }, -B, B, 1e-12));
  }
  if (alternative <= 0 && x < h.hi && h.lo != h.hi) {
    hi = std::exp(bisect([&](double t) { return h.tail(x, t, false) - a_lo; }, -B, B, 1e-12));
  }
  return {p, est, lo, hi};
}

ChisqResult pearson_chisq(const std::vector<double>& counts, int nrow, int ncol, bool correct) {
  require(nrow >= 2 && ncol >= 2, "x", "must have at least 2 rows and 2 columns");
  require(static_cast<int>(counts.size()) == nrow * ncol, "x", "has the wrong number of cells");
  std::vector<double> rs(nrow, 0.0), cs(ncol, 0.0);
  double N = 0;
  for (int i = 0; i < nrow; ++i)
    for (int j = 0; j < ncol; ++j) {
      const double v = counts[i * ncol + j];
      require(std::isfinite(v) && v >= 0, "x", "must contain non-negative counts");
      rs[i] += v;
      cs[j] += v;
      N += v;
    }
  for (double r : rs) require(r > 0, "x", "has an empty row");
  for (double cc : cs) require(cc > 0, "x", "has an empty column");
  const bool yates = correct && nrow == 2 && ncol == 2;
  double stat = 0, min_e = kInf;
  double yc = 0;
  if (yates) {
    // As R's chisq.test: the correction never exceeds |O - E|.
    yc = 0.5;
    for (int i = 0; i < nrow; ++i)
      for (int j = 0; j < ncol; ++j)
        yc = std::min(yc, std::abs(counts[i * ncol + j] - rs[i] * cs[j] / N));
  }
  for (int i = 0; i < nrow; ++i)
    for (int j = 0; j < ncol; ++j) {
      const double e = rs[i] * cs[j] / N;
      min_e = std::min(min_e, e);
      const double dev = std::abs(counts[i * ncol + j] - e) - yc;
      stat += dev * dev / e;
    }
  const double df = (nrow - 1.0) * (ncol - 1.0);
  boost::math::chi_squared_distribution<double> chi(df);
  const double p = boost::math::cdf(boost::math::complement(chi, stat));
  return {stat, df, p, min_e};
}

}  // namespace stats
}  // namespace glycotrial
