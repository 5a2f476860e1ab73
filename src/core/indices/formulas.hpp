// Beta-cell function and insulin-sensitivity formulas on plain doubles, in the
// units of the original publications ("native" units). Unit conversion is done
// before these are called (R/units.R); every function returns NaN where the
// index is undefined (e.g. glucose <= 3.5 mmol/L in a %B denominator), never
// throws, and never touches R.
#pragma once

#include <cstddef>

namespace glycotrial {
namespace indices {

// Relative distance from a pole (zero denominator, log of 1) below which an
// index is undefined: closer than the rounding of a value reported to 4
// significant digits, the result is an artefact of rounding (see near_pole()).
constexpr double kPoleTolerance = 1e-4;
// True when `d` (a denominator) is within kPoleTolerance * |scale| of zero, or
// not finite; `scale` is the size of the values `d` was formed from.
bool near_pole(double d, double scale);

// ---- Fasting indices --------------------------------------------------------
// Matthews DR et al. Diabetologia 1985;28:412-9. G mmol/L, I uU/mL.
double homa1_ir(double glucose, double insulin);
double homa1_b(double glucose, double insulin);
// Katz A et al. J Clin Endocrinol Metab 2000;85:2402-10. G mg/dL, I uU/mL.
double quicki(double glucose_mgdl, double insulin);
// Li X et al. Zhong Nan Da Xue Xue Bao Yi Xue Ban 2004;29:419-23. G mmol/L, CP pmol/L.
double homa_ir_cp(double glucose, double cpeptide_pmol);
double homa_b_cp(double glucose, double cpeptide_pmol, double offset);
// C-peptide index CP[ng/mL] / FPG[mg/dL] * 100 (Funakoshi S et al. J Diabetes Investig 2011).
double cpi(double glucose_mgdl, double cpeptide_ngml);
// Ohkura T et al. Cardiovasc Diabetol 2013;12:21: 20 / (CP[ng/mL] * FPG[mg/dL]).
double ohkura(double glucose_mgdl, double cpeptide_ngml);
// Fasting glucose / insulin ratio (Legro RS et al. JCEM 1998;83:2694): G mg/dL / I uU/mL.
double glucose_insulin_ratio(double glucose_mgdl, double insulin);

// ---- Glycaemia and kidney helpers -------------------------------------------
// IFCC-NGSP master equation (Hoelzel W et al. Clin Chem 2004;50:166-74):
// NGSP[%] = 0.0915 * IFCC[mmol/mol] + 2.15.
double hba1c_ngsp_to_ifcc(double ngsp_percent);
double hba1c_ifcc_to_ngsp(double ifcc_mmolmol);
// ADAG (Nathan DM et al. Diabetes Care 2008;31:1473): eAG[mg/dL] = 28.7 A1c - 46.7.
double eag_mgdl(double hba1c_percent);
// CKD-EPI 2021 race-free creatinine equation (Inker LA et al. NEJM 2021;385:1737).
// creatinine mg/dL, age years, female 1/0.
double egfr_ckd_epi_2021(double creatinine_mgdl, double age, double female);

// ---- Curves (OGTT / mixed meal) ---------------------------------------------
// One curve: n time points t[0..n-1] (strictly increasing) and values y (NaN =
// not measured; such points are skipped).
struct Curve {
  const double* t;
  const double* y;
  std::size_t n;
  // Value measured at time t0 (exact match up to 1e-9), NaN if absent.
  double at(double t0) const;
};
// Trapezoidal area over the measured points (NaN with fewer than two).
double auc_total(const Curve& c);
// Incremental area above the value at the first measured point: positive-only
// (Wolever & Jenkins 1986; ISO 26642:2010), triangles interpolated at crossings.
double auc_incremental_positive(const Curve& c);
// Net incremental area (Allison DB et al. Diabetes Care 1995;18:245): area
// above baseline minus area below it = total - baseline * duration.
double auc_net(const Curve& c);
// Mean over the curve: trapezoidal AUC / duration, or arithmetic mean of the
// measured points.
double curve_mean_trapezoid(const Curve& c);
double curve_mean_arithmetic(const Curve& c);

// Matsuda & DeFronzo, Diabetes Care 1999;22:1462. G mg/dL, I uU/mL.
double matsuda(double g0, double i0, double gmean, double imean);
// Stumvoll M et al. Diabetes Care 2000;23:295-301. I pmol/L, G mmol/L.
double stumvoll_first_phase(double i0, double i30, double g30);
double stumvoll_second_phase(double i0, double i30, double g30);
double stumvoll_isi(double i0, double i120, double g120);
// Gutt M et al. Diabetes Res Clin Pract 2000;47:177-84. G mmol/L, I uU/mL, BW kg.
double gutt(double g0, double g120, double i0, double i120, double weight);
// Mari A et al. Diabetes Care 2001;24:539-48 (2-h: 0/90/120; 3-h: 0/120/180).
// G mg/dL, I uU/mL, height cm, weight kg; 75 g glucose.
double ogis_120(double g0, double g90, double g120, double i0, double i90, double height_cm,
                double weight_kg);
double ogis_180(double g0, double g120, double g180, double i0, double i120, double height_cm,
                double weight_kg);
// Body surface area, Gehan EA & George SL, Cancer Chemother Rep 1970;54:225.
double bsa_gehan_george(double height_cm, double weight_kg);

}  // namespace indices
}  // namespace glycotrial
