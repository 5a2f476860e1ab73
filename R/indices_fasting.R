# Fasting indices of insulin resistance and beta-cell function, from insulin
# or C-peptide. Thin front ends over the compiled plugins (evaluate_index()).

fasting_index <- function(key, glucose, other, other_name, glucose_unit, other_unit,
                          glucose_factor, insulin_factor, cpeptide_factor) {
  inputs <- list(glucose = glucose)
  inputs[[other_name]] <- other
  units <- c(glucose = glucose_unit)
  units[[other_name]] <- other_unit
  index_eval(key, inputs, units = units,
             factors = list(glucose_factor = glucose_factor, insulin_factor = insulin_factor,
                            cpeptide_factor = cpeptide_factor),
             call = sys.call(-1))
}

#' Fasting insulin-resistance and beta-cell indices from insulin
#'
#' Vectorised over subjects. Inputs in any accepted unit (see
#' [index_units]) are converted to the units of the original formula first.
#'
#' * `homa1_ir()`: HOMA1-IR = FPG\[mmol/L\] x FPI\[uU/mL\] / 22.5
#'   (Matthews et al. 1985, doi:10.1007/BF00280883).
#' * `homa1_b()`: HOMA1-%B = 20 x FPI\[uU/mL\] / (FPG\[mmol/L\] - 3.5); `NA`
#'   (with a `glycotrial_warning_undefined_index` warning) when FPG <= 3.5
#'   mmol/L or within a relative 1e-4 of 3.5 (the pole, where the result is an
#'   artefact of rounding: 63.056 mg/dL converts to 3.5 + 4e-16 mmol/L).
#'   Likewise QUICKI when log10 G + log10 I is within 1e-4 of 0.
#' * `quicki()`: QUICKI = 1 / (log10 FPI\[uU/mL\] + log10 FPG\[mg/dL\]) (Katz
#'   et al. 2000, doi:10.1210/jcem.85.7.6661).
#' * `glucose_insulin_ratio()`: FPG\[mg/dL\] / FPI\[uU/mL\] (Legro et al. 1998).
#'
#' These are the linear HOMA1 approximations. The HOMA2 computer model (Levy
#' et al. 1998) is **not** implemented: its equations are published only as
#' the supplementary appendix of Hill, Levy & Matthews (Diabetes Care
#' 2013;36:2324, iHOMA2) and the official calculator is closed source, so a
#' re-implementation could not be checked against published HOMA2 values
#' within glycotrial's validation standard (an independent reference with
#' stated tolerance). Use the Oxford HOMA2 calculator and import its output.
#'
#' Patients on exogenous insulin: insulin-based indices measure injected plus
#' endogenous insulin; prefer the C-peptide indices ([homa_ir_cp()],
#' [homa_b_cp()], [cpi()], [ohkura_index()]).
#'
#' @param glucose Fasting plasma glucose.
#' @param insulin Fasting plasma insulin.
#' @param insulin_unit Unit of `insulin`: `"uU/mL"` (= mU/L) or `"pmol/L"`.
#' @inheritParams index_unit_arguments
#' @return Numeric vector, one value per subject: HOMA1-IR and QUICKI
#'   unitless, HOMA1-%B in %, the ratio in mg/dL per uU/mL.
#' @examples
#' # Test profile: FPG 93 mg/dL, FPI 12.8 uU/mL
#' homa1_ir(93, 12.8, glucose_unit = "mg/dL", glucose_factor = 18)  # 2.939
#' homa1_b(93, 12.8, glucose_unit = "mg/dL", glucose_factor = 18)   # 153.6
#' quicki(93, 12.8, glucose_unit = "mg/dL")                         # 0.3251
#' homa1_ir(c(5.2, 7.8), c(60, 120), insulin_unit = "pmol/L")
#' @inheritSection evaluate_index Overflow and underflow
#' @export
homa1_ir <- function(glucose, insulin, glucose_unit = "mmol/L", insulin_unit = "uU/mL",
                     glucose_factor = 18.016, insulin_factor = 6) {
  fasting_index("homa1_ir", glucose, insulin, "insulin", glucose_unit, insulin_unit,
                glucose_factor, insulin_factor, 0.331)
}

#' @rdname homa1_ir
#' @export
homa1_b <- function(glucose, insulin, glucose_unit = "mmol/L", insulin_unit = "uU/mL",
                    glucose_factor = 18.016, insulin_factor = 6) {
  fasting_index("homa1_b", glucose, insulin, "insulin", glucose_unit, insulin_unit,
                glucose_factor, insulin_factor, 0.331)
}

#' @rdname homa1_ir
#' @export
quicki <- function(glucose, insulin, glucose_unit = "mmol/L", insulin_unit = "uU/mL",
                   glucose_factor = 18.016, insulin_factor = 6) {
  fasting_index("quicki", glucose, insulin, "insulin", glucose_unit, insulin_unit,
                glucose_factor, insulin_factor, 0.331)
}

#' @rdname homa1_ir
#' @export
glucose_insulin_ratio <- function(glucose, insulin, glucose_unit = "mmol/L",
                                  insulin_unit = "uU/mL", glucose_factor = 18.016,
                                  insulin_factor = 6) {
  fasting_index("glucose_insulin_ratio", glucose, insulin, "insulin", glucose_unit,
                insulin_unit, glucose_factor, insulin_factor, 0.331)
}

#' Fasting indices from C-peptide
#'
#' C-peptide is co-secreted with insulin in equimolar amounts but is not in
#' insulin preparations, so it measures endogenous secretion in patients on
#' insulin therapy.
#'
#' * `homa_ir_cp()`: HOMA-IR(CP) = 1.5 + FPG\[mmol/L\] x FCP\[pmol/L\] / 2800
#'   (Li X et al., Zhong Nan Da Xue Xue Bao Yi Xue Ban 2004;29:419-23).
#' * `homa_b_cp()`: HOMA-islet(CP) = 0.27 x FCP\[pmol/L\] / (FPG\[mmol/L\] - 3.5)
#'   (`population = "diabetic"`), plus 50 in the form calibrated in
#'   normoglycaemic subjects (`population = "normal"`; Li 2004); `NA` with a
#'   warning when FPG <= 3.5 mmol/L.
#' * `cpi()`: C-peptide index = FCP\[ng/mL\] / FPG\[mg/dL\] x 100 (Funakoshi et
#'   al., J Diabetes Investig 2011;2:297).
#' * `ohkura_index()`: 20 / (FCP\[ng/mL\] x FPG\[mg/dL\]) (Ohkura et al.,
#'   Cardiovasc Diabetol 2013;12:21), correlated with clamp glucose infusion
#'   rate in insulin-treated type 2 diabetes.
#'
#' Li et al. state the formulas but not the units in their abstract; glycotrial
#' uses FPG in mmol/L and C-peptide in pmol/L, the units of the Chinese
#' literature that applies them and the only ones under which the HOMA-islet
#' form gives values on the %B scale (0.27 x 500 pmol/L / 1.5 = 90). Some
#' authors (e.g. Tekoh et al., BMC Res Notes 2022;15:322) apply the IR form to
#' glucose in mg/dL and C-peptide in ng/mL; values computed in other units are
#' not comparable with these.
#'
#' @param glucose Fasting plasma glucose.
#' @param cpeptide Fasting serum C-peptide.
#' @param cpeptide_unit Unit of `cpeptide`: `"ng/mL"`, `"nmol/L"` or `"pmol/L"`.
#' @param population For `homa_b_cp()`: `"diabetic"` or `"normal"` form.
#' @inheritParams index_unit_arguments
#' @return Numeric vector, one value per subject.
#' @examples
#' homa_ir_cp(7.2, 2.1, cpeptide_unit = "ng/mL")
#' homa_b_cp(7.2, 695, cpeptide_unit = "pmol/L")
#' cpi(130, 1.5, glucose_unit = "mg/dL")     # 1.154
#' ohkura_index(130, 1.5, glucose_unit = "mg/dL")  # 0.1026
#' @inheritSection evaluate_index Overflow and underflow
#' @export
homa_ir_cp <- function(glucose, cpeptide, glucose_unit = "mmol/L", cpeptide_unit = "ng/mL",
                       glucose_factor = 18.016, cpeptide_factor = 0.331) {
  fasting_index("homa_ir_cp", glucose, cpeptide, "cpeptide", glucose_unit, cpeptide_unit,
                glucose_factor, 6, cpeptide_factor)
}

#' @rdname homa_ir_cp
#' @export
homa_b_cp <- function(glucose, cpeptide, glucose_unit = "mmol/L", cpeptide_unit = "ng/mL",
                      population = c("diabetic", "normal"), glucose_factor = 18.016,
                      cpeptide_factor = 0.331) {
  population <- check_choice(population[1], c("diabetic", "normal"), arg = "population")
  key <- if (population == "diabetic") "homa_b_cp" else "homa_b_cp_normal"
  fasting_index(key, glucose, cpeptide, "cpeptide", glucose_unit, cpeptide_unit,
                glucose_factor, 6, cpeptide_factor)
}

#' @rdname homa_ir_cp
#' @export
cpi <- function(glucose, cpeptide, glucose_unit = "mmol/L", cpeptide_unit = "ng/mL",
                glucose_factor = 18.016, cpeptide_factor = 0.331) {
  fasting_index("cpi", glucose, cpeptide, "cpeptide", glucose_unit, cpeptide_unit,
                glucose_factor, 6, cpeptide_factor)
}

#' @rdname homa_ir_cp
#' @export
ohkura_index <- function(glucose, cpeptide, glucose_unit = "mmol/L", cpeptide_unit = "ng/mL",
                         glucose_factor = 18.016, cpeptide_factor = 0.331) {
  fasting_index("ohkura", glucose, cpeptide, "cpeptide", glucose_unit, cpeptide_unit,
                glucose_factor, 6, cpeptide_factor)
}
