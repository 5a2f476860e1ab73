#include "formulas.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace glycotrial {
namespace indices {
namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();
bool ok(double x) { return std::isfinite(x); }
bool pos(double x) { return std::isfinite(x) && x > 0; }
bool nonneg(double x) { return std::isfinite(x) && x >= 0; }
}  // namespace

// A denominator (or log) this close to zero, relative to the values it is formed
// from, is a pole of the formula within the precision lab values are reported at
// (4 significant digits: 63.06 mg/dL is 3.50022 mmol/L, at the HOMA %B pole;
// 63.056 mg/dL is 3.5 + 4e-16 after conversion and gave %B = 4.5e17). The result
// there is arbitrary, so the index is undefined (NaN, reported as
// glycotrial_warning_undefined_index by the R layer).
bool near_pole(double d, double scale) {
  return !(std::fabs(d) > kPoleTolerance * std::fabs(scale));
}

// HOMA1: the published linear approximations of the 1985 model,
// IR = G * I / 22.5 and %B = 20 * I / (G - 3.5).
double homa1_ir(double g, double i) {
  if (!nonneg(g) || !nonneg(i)) return kNaN;
  return g * i / 22.5;
}

double homa1_b(double g, double i) {
  if (!nonneg(g) || !nonneg(i) || g <= 3.5 || near_pole(g - 3.5, 3.5)) return kNaN;
  return 20.0 * i / (g - 3.5);
}

double quicki(double g, double i) {
  if (!pos(g) || !pos(i)) return kNaN;
  const double lg = std::log10(g), li = std::log10(i);
  const double s = lg + li;
  if (!(s > 0) || near_pole(s, std::fabs(lg) + std::fabs(li))) return kNaN;
  return 1.0 / s;
}

// Li 2004: HOMA-IR(CP) = 1.5 + FPG * FCP / 2800; HOMA-islet(CP) = 0.27 * FCP / (FPG - 3.5)
// (+ 50 in the form calibrated for normoglycaemic subjects).
double homa_ir_cp(double g, double cp) {
  if (!nonneg(g) || !nonneg(cp)) return kNaN;
  return 1.5 + g * cp / 2800.0;
}

double homa_b_cp(double g, double cp, double offset) {
  if (!nonneg(g) || !nonneg(cp) || g <= 3.5 || near_pole(g - 3.5, 3.5)) return kNaN;
  return 0.27 * cp / (g - 3.5) + offset;
}

double cpi(double g, double cp) {
  if (!pos(g) || !nonneg(cp)) return kNaN;
  return cp / g * 100.0;
}

double ohkura(double g, double cp) {
  if (!pos(g) || !pos(cp)) return kNaN;
  return 20.0 / (cp * g);
}

double glucose_insulin_ratio(double g, double i) {
  if (!nonneg(g) || !pos(i)) return kNaN;
  return g / i;
}

double hba1c_ngsp_to_ifcc(double ngsp) {
  if (!pos(ngsp)) return kNaN;
  return (ngsp - 2.15) / 0.0915;
}

double hba1c_ifcc_to_ngsp(double ifcc) {
  if (!pos(ifcc)) return kNaN;
  return 0.0915 * ifcc + 2.15;
}

double eag_mgdl(double a1c) {
  if (!pos(a1c)) return kNaN;
  return 28.7 * a1c - 46.7;
}

// eGFR = 142 * min(Scr/k, 1)^a * max(Scr/k, 1)^-1.200 * 0.9938^age * 1.012 [female],
// k = 0.7 (F) / 0.9 (M), a = -0.241 (F) / -0.302 (M).
double egfr_ckd_epi_2021(double scr, double age, double female) {
  if (!pos(scr) || !nonneg(age) || !(female == 0.0 || female == 1.0)) return kNaN;
  const bool f = female == 1.0;
  const double k = f ? 0.7 : 0.9;
  const double a = f ? -0.241 : -0.302;
  const double r = scr / k;
  double e = 142.0 * std::pow(std::min(r, 1.0), a) * std::pow(std::max(r, 1.0), -1.200) *
             std::pow(0.9938, age);
  if (f) e *= 1.012;
  return e;
}

double Curve::at(double t0) const {
  for (std::size_t k = 0; k < n; ++k) {
    if (std::fabs(t[k] - t0) < 1e-9) return ok(y[k]) ? y[k] : kNaN;
    if (t[k] > t0) break;
  }
  return kNaN;
}

namespace {
// Indices of the measured (finite) points.
template <class F>
void for_each_segment(const Curve& c, F&& f) {
  std::size_t prev = c.n;
  for (std::size_t k = 0; k < c.n; ++k) {
    if (!ok(c.y[k])) continue;
    if (prev < c.n) f(c.t[prev], c.y[prev], c.t[k], c.y[k]);
    prev = k;
  }
}
std::size_t n_measured(const Curve& c) {
  std::size_t m = 0;
  for (std::size_t k = 0; k < c.n; ++k) m += ok(c.y[k]) ? 1 : 0;
  return m;
}
double first_measured(const Curve& c, double* t) {
  for (std::size_t k = 0; k < c.n; ++k) {
    if (ok(c.y[k])) {
      if (t) *t = c.t[k];
      return c.y[k];
    }
  }
  return kNaN;
}
double last_time(const Curve& c) {
  for (std::size_t k = c.n; k-- > 0;) {
    if (ok(c.y[k])) return c.t[k];
  }
  return kNaN;
}
}  // namespace

double auc_total(const Curve& c) {
  if (n_measured(c) < 2) return kNaN;
  double a = 0;
  for_each_segment(c, [&](double t1, double y1, double t2, double y2) {
    a += 0.5 * (y1 + y2) * (t2 - t1);
  });
  return a;
}

double auc_incremental_positive(const Curve& c) {
  if (n_measured(c) < 2) return kNaN;
  const double b = first_measured(c, nullptr);
  double a = 0;
  for_each_segment(c, [&](double t1, double y1, double t2, double y2) {
    const double d1 = y1 - b, d2 = y2 - b, dt = t2 - t1;
    if (d1 >= 0 && d2 >= 0) {
      a += 0.5 * (d1 + d2) * dt;
    } else if (d1 > 0 && d2 < 0) {
      a += 0.5 * d1 * d1 / (d1 - d2) * dt;  // triangle up to the crossing
    } else if (d1 < 0 && d2 > 0) {
      a += 0.5 * d2 * d2 / (d2 - d1) * dt;  // triangle after the crossing
    }
  });
  return a;
}

double auc_net(const Curve& c) {
  if (n_measured(c) < 2) return kNaN;
  double t0 = 0;
  const double b = first_measured(c, &t0);
  return auc_total(c) - b * (last_time(c) - t0);
}

double curve_mean_trapezoid(const Curve& c) {
  if (n_measured(c) < 2) return kNaN;
  double t0 = 0;
  first_measured(c, &t0);
  const double dur = last_time(c) - t0;
  return dur > 0 ? auc_total(c) / dur : kNaN;
}

double curve_mean_arithmetic(const Curve& c) {
  double s = 0;
  std::size_t m = 0;
  for (std::size_t k = 0; k < c.n; ++k) {
    if (ok(c.y[k])) {
      s += c.y[k];
      ++m;
    }
  }
  return m ? s / static_cast<double>(m) : kNaN;
}

double matsuda(double g0, double i0, double gm, double im) {
  if (!pos(g0) || !pos(i0) || !pos(gm) || !pos(im)) return kNaN;
  return 10000.0 / std::sqrt(g0 * i0 * gm * im);
}

double stumvoll_first_phase(double i0, double i30, double g30) {
  if (!nonneg(i0) || !nonneg(i30) || !nonneg(g30)) return kNaN;
  return 1283.0 + 1.829 * i30 - 138.7 * g30 + 3.772 * i0;
}

double stumvoll_second_phase(double i0, double i30, double g30) {
  if (!nonneg(i0) || !nonneg(i30) || !nonneg(g30)) return kNaN;
  return 287.0 + 0.4164 * i30 - 26.07 * g30 + 0.9226 * i0;
}

double stumvoll_isi(double i0, double i120, double g120) {
  if (!nonneg(i0) || !nonneg(i120) || !nonneg(g120)) return kNaN;
  return 0.156 - 0.0000459 * i120 - 0.000321 * i0 - 0.00541 * g120;
}

// ISI(0,120) = m / (MPG * log10 MSI), m = [75000 + (G0 - G120)[mg/L] * 0.19 * BW] / 120,
// MPG mean of G0, G120 in mmol/L, MSI mean of I0, I120 in mU/L. Glucose mmol/L -> mg/L
// with the molar mass 180.16 g/mol.
double gutt(double g0, double g120, double i0, double i120, double bw) {
  if (!pos(g0) || !pos(g120) || !pos(i0) || !pos(i120) || !pos(bw)) return kNaN;
  const double m = (75000.0 + (g0 - g120) * 180.16 * 0.19 * bw) / 120.0;
  const double mpg = 0.5 * (g0 + g120);
  const double lmsi = std::log10(0.5 * (i0 + i120));
  if (!(lmsi > 0) || near_pole(lmsi, 1.0)) return kNaN;
  return m / (mpg * lmsi);
}

double bsa_gehan_george(double h, double w) {
  if (!pos(h) || !pos(w)) return kNaN;
  return 0.0235 * std::pow(h, 0.42246) * std::pow(w, 0.51456);
}

namespace {
// The OGIS model solution with constants p1..p6 of Mari 2001 expressed for
// glucose in mg/dL and insulin in uU/mL; V = 10 L/m^2 (10000 dL-scaled), Gclamp 90 mg/dL.
double ogis_core(double p1, double p2, double p3, double p4, double p5, double p6, double dt,
                 double g0, double ga, double gb, double i0, double ia, double h, double w) {
  if (!pos(g0) || !pos(ga) || !pos(gb) || !nonneg(i0) || !nonneg(ia)) return kNaN;
  const double bsa = bsa_gehan_george(h, w);
  if (!pos(bsa)) return kNaN;
  const double V = 10000.0, D = 75.0 / bsa, gcl = 90.0;
  const double den = ia - i0 + p2;
  if (!(den > 0) || near_pole(den, std::max(std::fabs(ia - i0), p2))) return kNaN;
  const double x1 = p4 * ((p1 * D - V * (gb - ga) / dt) / ga + p3 / g0) / den;
  const double x2 = (p5 * (ga - gcl) + 1.0) * x1;
  const double disc = x2 * x2 + 4.0 * p5 * p6 * (ga - gcl) * x1;
  if (!(disc >= 0)) return kNaN;
  return 0.5 * (x2 + std::sqrt(disc));
}
}  // namespace

double ogis_120(double g0, double g90, double g120, double i0, double i90, double h, double w) {
  return ogis_core(650, 325, 81300, 132, 0.000652, 173, 30, g0, g90, g120, i0, i90, h, w);
}

double ogis_180(double g0, double g120, double g180, double i0, double i120, double h,
                double w) {
  return ogis_core(289, 270, 14000, 440, 0.000637, 117, 60, g0, g120, g180, i0, i120, h, w);
}

}  // namespace indices
}  // namespace glycotrial
