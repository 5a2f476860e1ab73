#include "builtin.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include "formulas.hpp"

namespace glycotrial {
namespace indices {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

int fail(char* err, int len, const std::string& msg) {
  if (err && len > 0) {
    std::strncpy(err, msg.c_str(), static_cast<std::size_t>(len) - 1);
    err[len - 1] = '\0';
  }
  return 1;
}

// Row plugins --------------------------------------------------------------
template <double (*F)(double, double)>
int row2(int n, const double* const* in, double* out, char*, int) {
  for (int i = 0; i < n; ++i) out[i] = F(in[0][i], in[1][i]);
  return 0;
}
template <double (*F)(double)>
int row1(int n, const double* const* in, double* out, char*, int) {
  for (int i = 0; i < n; ++i) out[i] = F(in[0][i]);
  return 0;
}
double homa_b_cp_diabetic(double g, double cp) { return homa_b_cp(g, cp, 0.0); }
double homa_b_cp_normal(double g, double cp) { return homa_b_cp(g, cp, 50.0); }
int egfr_compute(int n, const double* const* in, double* out, char*, int) {
  for (int i = 0; i < n; ++i) out[i] = egfr_ckd_epi_2021(in[0][i], in[1][i], in[2][i]);
  return 0;
}

// Curve plugins --------------------------------------------------------------
struct Rows {
  const double* const* in;
  std::size_t s, m;  // first row, number of rows
  Curve curve(int j) const { return Curve{in[1] + s, in[j] + s, m}; }
  double at(int j, double t) const { return curve(j).at(t); }
  // A per-curve covariate: its first finite value on the curve's rows.
  double cov(int j) const {
    for (std::size_t k = 0; k < m; ++k)
      if (std::isfinite(in[j][s + k])) return in[j][s + k];
    return kNaN;
  }
};

template <class F>
int for_each_curve(int n, const double* const* in, double* out, char* err, int len, F f) {
  std::size_t s = 0;
  const std::size_t N = static_cast<std::size_t>(n);
  while (s < N) {
    std::size_t e = s + 1;
    while (e < N && in[0][e] == in[0][s]) ++e;
    for (std::size_t k = s; k < e; ++k) {
      if (!std::isfinite(in[1][k]))
        return fail(err, len, "time is missing or infinite at row " + std::to_string(k + 1));
      if (k > s && !(in[1][k] > in[1][k - 1]))
        return fail(err, len, "time points must be strictly increasing within a curve (row " +
                                  std::to_string(k + 1) + ")");
    }
    const double v = f(Rows{in, s, e - s});
    for (std::size_t k = s; k < e; ++k) out[k] = v;
    s = e;
  }
  return 0;
}

#define CURVE_PLUGIN(name, expr)                                                   \
  int name(int n, const double* const* in, double* out, char* err, int len) {     \
    return for_each_curve(n, in, out, err, len, [](const Rows& r) { return expr; }); \
  }

// inputs: 0 id, 1 time, 2 value
CURVE_PLUGIN(c_auc_total, auc_total(r.curve(2)))
CURVE_PLUGIN(c_auc_incremental, auc_incremental_positive(r.curve(2)))
CURVE_PLUGIN(c_auc_net, auc_net(r.curve(2)))
// inputs: 0 id, 1 time, 2 glucose, 3 cpeptide
// Undefined (not Inf) when the glucose AUC is zero.
double auc_ratio(const Rows& r) {
  const double ag = auc_total(r.curve(2)), ac = auc_total(r.curve(3));
  if (!(ag > 0) || !std::isfinite(ac)) return kNaN;
  return ac / ag;
}
CURVE_PLUGIN(c_cp_glucose_auc_ratio, auc_ratio(r))

// inputs: 0 id, 1 time, 2 glucose [mg/dL], 3 insulin [uU/mL]
double matsuda_of(const Rows& r, bool trapezoid) {
  const Curve g = r.curve(2), i = r.curve(3);
  if (trapezoid)
    return matsuda(g.at(0), i.at(0), curve_mean_trapezoid(g), curve_mean_trapezoid(i));
  return matsuda(g.at(0), i.at(0), curve_mean_arithmetic(g), curve_mean_arithmetic(i));
}
// Delta over 0-30 min of column j divided by the glucose (column 2) delta;
// undefined unless glucose rose by more than rounding (near_pole()): a rise of
// 1e-12 mg/dL left by a unit conversion would give an IGI of 1e13.
double delta30_ratio(const Rows& r, int j) {
  const double g0 = r.at(2, 0), g30 = r.at(2, 30);
  const double dg = g30 - g0;
  const double dy = r.at(j, 30) - r.at(j, 0);
  if (!std::isfinite(dg) || !std::isfinite(dy) || !(dg > 0) ||
      near_pole(dg, std::max(std::fabs(g0), std::fabs(g30))))
    return kNaN;
  return dy / dg;
}
CURVE_PLUGIN(c_matsuda, matsuda_of(r, true))
CURVE_PLUGIN(c_matsuda_arith, matsuda_of(r, false))
CURVE_PLUGIN(c_igi, delta30_ratio(r, 3))
CURVE_PLUGIN(c_di_oral, delta30_ratio(r, 3) * matsuda_of(r, true))
// inputs: 0 id, 1 time, 2 glucose [mg/dL], 3 cpeptide [ng/mL]
CURVE_PLUGIN(c_igi_cp, delta30_ratio(r, 3))
// inputs: 0 id, 1 time, 2 glucose [mg/dL], 3 insulin [uU/mL], 4 cpeptide [ng/mL]
CURVE_PLUGIN(c_di_oral_cp, delta30_ratio(r, 4) * matsuda_of(r, true))
// inputs: 0 id, 1 time, 2 glucose [mmol/L], 3 insulin [pmol/L]
CURVE_PLUGIN(c_stumvoll1, stumvoll_first_phase(r.at(3, 0), r.at(3, 30), r.at(2, 30)))
CURVE_PLUGIN(c_stumvoll2, stumvoll_second_phase(r.at(3, 0), r.at(3, 30), r.at(2, 30)))
CURVE_PLUGIN(c_stumvoll_isi, stumvoll_isi(r.at(3, 0), r.at(3, 120), r.at(2, 120)))
// inputs: 0 id, 1 time, 2 glucose [mmol/L], 3 insulin [uU/mL], 4 weight [kg]
CURVE_PLUGIN(c_gutt, gutt(r.at(2, 0), r.at(2, 120), r.at(3, 0), r.at(3, 120), r.cov(4)))
// inputs: 0 id, 1 time, 2 glucose [mg/dL], 3 insulin [uU/mL], 4 height [cm], 5 weight [kg]
CURVE_PLUGIN(c_ogis120, ogis_120(r.at(2, 0), r.at(2, 90), r.at(2, 120), r.at(3, 0), r.at(3, 90),
                                 r.cov(4), r.cov(5)))
CURVE_PLUGIN(c_ogis180, ogis_180(r.at(2, 0), r.at(2, 120), r.at(2, 180), r.at(3, 0),
                                 r.at(3, 120), r.cov(4), r.cov(5)))
#undef CURVE_PLUGIN

// Input declarations ---------------------------------------------------------
const char* n_gi[] = {"glucose", "insulin"};
const char* u_gi_si[] = {"mmol/L", "uU/mL"};
const char* u_gi_us[] = {"mg/dL", "uU/mL"};
const char* n_gc[] = {"glucose", "cpeptide"};
const char* u_gc_si[] = {"mmol/L", "pmol/L"};
const char* u_gc_us[] = {"mg/dL", "ng/mL"};
const char* n_a1c[] = {"hba1c"};
const char* u_pct[] = {"%"};
const char* u_mmolmol[] = {"mmol/mol"};
const char* n_egfr[] = {"creatinine", "age", "sex"};
const char* u_egfr[] = {"mg/dL", "years", "female=1"};

const char* n_cv_glucose[] = {"curve_id", "time", "glucose"};
const char* n_cv_insulin[] = {"curve_id", "time", "insulin"};
const char* n_cv_cpeptide[] = {"curve_id", "time", "cpeptide"};
const char* n_cv_value[] = {"curve_id", "time", "value"};
const char* u_cv_glucose[] = {"1", "min", "mmol/L"};
const char* u_cv_insulin[] = {"1", "min", "uU/mL"};
const char* u_cv_cpeptide[] = {"1", "min", "nmol/L"};
const char* u_cv_value[] = {"1", "min", "1"};
const char* n_cv_gc[] = {"curve_id", "time", "glucose", "cpeptide"};
const char* u_cv_gc_si[] = {"1", "min", "mmol/L", "nmol/L"};
const char* u_cv_gc_us[] = {"1", "min", "mg/dL", "ng/mL"};
const char* n_cv_gi[] = {"curve_id", "time", "glucose", "insulin"};
const char* u_cv_gi_us[] = {"1", "min", "mg/dL", "uU/mL"};
const char* u_cv_gi_stumvoll[] = {"1", "min", "mmol/L", "pmol/L"};
const char* n_cv_gic[] = {"curve_id", "time", "glucose", "insulin", "cpeptide"};
const char* u_cv_gic[] = {"1", "min", "mg/dL", "uU/mL", "ng/mL"};
const char* n_cv_gutt[] = {"curve_id", "time", "glucose", "insulin", "weight"};
const char* u_cv_gutt[] = {"1", "min", "mmol/L", "uU/mL", "kg"};
const char* n_cv_ogis[] = {"curve_id", "time", "glucose", "insulin", "height", "weight"};
const char* u_cv_ogis[] = {"1", "min", "mg/dL", "uU/mL", "cm", "kg"};

#define ABI GLYCOTRIAL_PLUGIN_ABI
// The three AUC variants of one analyte: the same inputs and unit, the key
// and description built from the analyte's name.
#define AUC_ROWS(key, label, unit, names, units)                                                \
  {ABI, key "_auc", label " total AUC (trapezoid)", kAuc, unit, 3, names, units, c_auc_total},  \
      {ABI, key "_iauc", label " incremental AUC, positive only (Wolever)", kAuc, unit, 3, names, \
       units, c_auc_incremental},                                                                 \
      {ABI, key "_auc_net", label " net incremental AUC", kAuc, unit, 3, names, units, c_auc_net}
const char* kMatthews = "Matthews DR et al. Diabetologia 1985;28:412-9. doi:10.1007/BF00280883";
const char* kLi = "Li X et al. Zhong Nan Da Xue Xue Bao Yi Xue Ban 2004;29(4):419-23";
const char* kStumvoll = "Stumvoll M et al. Diabetes Care 2000;23:295-301. doi:10.2337/diacare.23.3.295";
const char* kMari = "Mari A et al. Diabetes Care 2001;24:539-48. doi:10.2337/diacare.24.3.539";
const char* kAuc =
    "Allison DB et al. Diabetes Care 1995;18:245-50; Wolever TMS & Jenkins DJA, Am J Clin Nutr "
    "1986;43:167-72";
const char* kMatsuda = "Matsuda M & DeFronzo RA, Diabetes Care 1999;22:1462-70; DeFronzo RA & "
                       "Matsuda M, Diabetes Care 2010;33:e93";

const glycotrial_index_v1 kPlugins[] = {
    // Fasting
    {ABI, "homa1_ir", "HOMA1-IR = FPG[mmol/L] * FPI[uU/mL] / 22.5", kMatthews, "1", 2, n_gi,
     u_gi_si, row2<homa1_ir>},
    {ABI, "homa1_b", "HOMA1-%B = 20 * FPI[uU/mL] / (FPG[mmol/L] - 3.5)", kMatthews, "%", 2, n_gi,
     u_gi_si, row2<homa1_b>},
    {ABI, "quicki", "QUICKI = 1 / (log10 FPI[uU/mL] + log10 FPG[mg/dL])",
     "Katz A et al. J Clin Endocrinol Metab 2000;85:2402-10. doi:10.1210/jcem.85.7.6661", "1", 2,
     n_gi, u_gi_us, row2<quicki>},
    {ABI, "glucose_insulin_ratio", "Fasting glucose/insulin ratio = FPG[mg/dL] / FPI[uU/mL]",
     "Legro RS et al. J Clin Endocrinol Metab 1998;83:2694-8", "mg/dL per uU/mL", 2, n_gi,
     u_gi_us, row2<glucose_insulin_ratio>},
    {ABI, "homa_ir_cp", "HOMA-IR(CP) = 1.5 + FPG[mmol/L] * FCP[pmol/L] / 2800", kLi, "1", 2, n_gc,
     u_gc_si, row2<homa_ir_cp>},
    {ABI, "homa_b_cp", "HOMA-islet(CP) = 0.27 * FCP[pmol/L] / (FPG[mmol/L] - 3.5)", kLi, "%", 2,
     n_gc, u_gc_si, row2<homa_b_cp_diabetic>},
    {ABI, "homa_b_cp_normal",
     "HOMA-islet(CP), normoglycaemic form = 0.27 * FCP[pmol/L] / (FPG[mmol/L] - 3.5) + 50", kLi,
     "%", 2, n_gc, u_gc_si, row2<homa_b_cp_normal>},
    {ABI, "cpi", "C-peptide index CPI = FCP[ng/mL] / FPG[mg/dL] * 100",
     "Funakoshi S et al. J Diabetes Investig 2011;2:297-303", "1", 2, n_gc, u_gc_us, row2<cpi>},
    {ABI, "ohkura", "Ohkura index = 20 / (FCP[ng/mL] * FPG[mg/dL])",
     "Ohkura T et al. Cardiovasc Diabetol 2013;12:21. doi:10.1186/1475-2840-12-21", "1", 2, n_gc,
     u_gc_us, row2<ohkura>},
    // Glycaemia and kidney
    {ABI, "hba1c_ifcc", "HbA1c IFCC[mmol/mol] = (NGSP[%] - 2.15) / 0.0915",
     "Hoelzel W et al. Clin Chem 2004;50:166-74 (IFCC-NGSP master equation)", "mmol/mol", 1,
     n_a1c, u_pct, row1<hba1c_ngsp_to_ifcc>},
    {ABI, "hba1c_ngsp", "HbA1c NGSP[%] = 0.0915 * IFCC[mmol/mol] + 2.15",
     "Hoelzel W et al. Clin Chem 2004;50:166-74 (IFCC-NGSP master equation)", "%", 1, n_a1c,
     u_mmolmol, row1<hba1c_ifcc_to_ngsp>},
    {ABI, "eag", "eAG[mg/dL] = 28.7 * HbA1c[%] - 46.7",
     "Nathan DM et al. Diabetes Care 2008;31:1473-8 (ADAG)", "mg/dL", 1, n_a1c, u_pct,
     row1<eag_mgdl>},
    {ABI, "egfr_ckd_epi_2021",
     "eGFR = 142 * min(Scr/k,1)^a * max(Scr/k,1)^-1.2 * 0.9938^age * 1.012[F]; k 0.7/0.9, a "
     "-0.241/-0.302 (F/M)",
     "Inker LA et al. N Engl J Med 2021;385:1737-49. doi:10.1056/NEJMoa2102953",
     "mL/min/1.73m2", 3, n_egfr, u_egfr, egfr_compute},
    // OGTT
    {ABI, "matsuda", "Matsuda ISI = 10000 / sqrt(G0 * I0 * Gmean * Imean), means = AUC/duration",
     kMatsuda, "1", 4, n_cv_gi, u_cv_gi_us, c_matsuda},
    {ABI, "matsuda_arithmetic",
     "Matsuda ISI = 10000 / sqrt(G0 * I0 * Gmean * Imean), means = arithmetic means", kMatsuda,
     "1", 4, n_cv_gi, u_cv_gi_us, c_matsuda_arith},
    {ABI, "igi", "Insulinogenic index = (I30 - I0) / (G30 - G0)",
     "Seltzer HS et al. J Clin Invest 1967;46:323; Utzschneider KM et al. Diabetes Care "
     "2009;32:335-41",
     "uU/mL per mg/dL", 4, n_cv_gi, u_cv_gi_us, c_igi},
    {ABI, "igi_cp", "C-peptide insulinogenic index = (CP30 - CP0) / (G30 - G0)",
     "Utzschneider KM et al. Diabetes Care 2009;32:335-41 (C-peptide analogue)",
     "ng/mL per mg/dL", 4, n_cv_gc, u_cv_gc_us, c_igi_cp},
    {ABI, "di_oral", "Oral disposition index = IGI * Matsuda ISI (trapezoid means)",
     "Abdul-Ghani MA et al. Diabetes Care 2007;30:1544-8; Utzschneider KM et al. Diabetes Care "
     "2009;32:335-41",
     "uU/mL per mg/dL", 4, n_cv_gi, u_cv_gi_us, c_di_oral},
    {ABI, "di_oral_cp", "C-peptide oral disposition index = (CP30 - CP0)/(G30 - G0) * Matsuda ISI",
     "Abdul-Ghani MA et al. Diabetes Care 2007;30:1544-8 (C-peptide analogue)",
     "ng/mL per mg/dL", 5, n_cv_gic, u_cv_gic, c_di_oral_cp},
    {ABI, "stumvoll_first_phase",
     "Stumvoll 1st phase = 1283 + 1.829 I30 - 138.7 G30 + 3.772 I0 (I pmol/L, G mmol/L)",
     kStumvoll, "pmol/L", 4, n_cv_gi, u_cv_gi_stumvoll, c_stumvoll1},
    {ABI, "stumvoll_second_phase",
     "Stumvoll 2nd phase = 287 + 0.4164 I30 - 26.07 G30 + 0.9226 I0 (I pmol/L, G mmol/L)",
     kStumvoll, "pmol/L", 4, n_cv_gi, u_cv_gi_stumvoll, c_stumvoll2},
    {ABI, "stumvoll_isi",
     "Stumvoll ISI = 0.156 - 0.0000459 I120 - 0.000321 I0 - 0.00541 G120 (I pmol/L, G mmol/L)",
     kStumvoll, "umol/kg/min per pmol/L", 4, n_cv_gi, u_cv_gi_stumvoll, c_stumvoll_isi},
    {ABI, "gutt",
     "Gutt ISI0,120 = m / (MPG * log10 MSI), m = [75000 + (G0 - G120)[mg/L] * 0.19 * BW] / 120",
     "Gutt M et al. Diabetes Res Clin Pract 2000;47:177-84. doi:10.1016/S0168-8227(99)00116-3",
     "mg/L^2 per mmol/mU/min", 5, n_cv_gutt, u_cv_gutt, c_gutt},
    {ABI, "ogis", "OGIS 2-h (0/90/120 min, 75 g) model-based glucose clearance", kMari,
     "mL/min/m2", 6, n_cv_ogis, u_cv_ogis, c_ogis120},
    {ABI, "ogis_180", "OGIS 3-h (0/120/180 min, 75 g) model-based glucose clearance", kMari,
     "mL/min/m2", 6, n_cv_ogis, u_cv_ogis, c_ogis180},
    // AUCs
    {ABI, "auc_total", "Total area under the curve (trapezoid rule)", kAuc, "value*min", 3,
     n_cv_value, u_cv_value, c_auc_total},
    {ABI, "auc_incremental", "Incremental AUC above baseline, positive areas only (Wolever)", kAuc,
     "value*min", 3, n_cv_value, u_cv_value, c_auc_incremental},
    {ABI, "auc_net", "Net incremental AUC (area above minus area below baseline)", kAuc,
     "value*min", 3, n_cv_value, u_cv_value, c_auc_net},
    AUC_ROWS("glucose", "Glucose", "mmol/L*min", n_cv_glucose, u_cv_glucose),
    AUC_ROWS("insulin", "Insulin", "uU/mL*min", n_cv_insulin, u_cv_insulin),
    AUC_ROWS("cpeptide", "C-peptide", "nmol/L*min", n_cv_cpeptide, u_cv_cpeptide),
    {ABI, "cpeptide_glucose_auc_ratio",
     "AUC C-peptide[nmol/L*min] / AUC glucose[mmol/L*min] (total AUCs, same time grid)", kAuc,
     "nmol/mmol", 4, n_cv_gc, u_cv_gc_si, c_cp_glucose_auc_ratio},
};
#undef AUC_ROWS
#undef ABI

}  // namespace

const glycotrial_index_v1* builtin_plugins(std::size_t* n) {
  *n = sizeof(kPlugins) / sizeof(kPlugins[0]);
  return kPlugins;
}

}  // namespace indices
}  // namespace glycotrial
