# HbA1c units, estimated average glucose and eGFR.

#' HbA1c units, estimated average glucose and eGFR (CKD-EPI 2021)
#'
#' * `hba1c_convert()`: between NGSP/DCCT % and IFCC mmol/mol by the IFCC-NGSP
#'   master equation NGSP = 0.0915 x IFCC + 2.15 (Hoelzel et al., Clin Chem
#'   2004;50:166; the rounded inverse IFCC = 10.93 x NGSP - 23.5 agrees to 0.1
#'   mmol/mol). IFCC values are usually reported rounded to whole mmol/mol.
#' * `eag()`: estimated average glucose, eAG\[mg/dL\] = 28.7 x HbA1c\[%\] - 46.7
#'   (ADAG study, Nathan et al., Diabetes Care 2008;31:1473).
#' * `egfr_ckd_epi_2021()`: race-free CKD-EPI creatinine equation (Inker et
#'   al., N Engl J Med 2021;385:1737): 142 x min(Scr/k, 1)^a x max(Scr/k,
#'   1)^-1.200 x 0.9938^age x 1.012 \[if female\], k = 0.7 (F) / 0.9 (M), a =
#'   -0.241 (F) / -0.302 (M); mL/min/1.73 m2.
#'
#' @param x HbA1c values.
#' @param from,to Units, `"%"` or `"mmol/mol"`.
#' @param hba1c HbA1c.
#' @param hba1c_unit Unit of `hba1c`.
#' @param unit Output unit of `eag()`: `"mmol/L"` or `"mg/dL"`.
#' @param creatinine Serum creatinine.
#' @param creatinine_unit `"mg/dL"` or `"umol/L"`.
#' @param age Age in years.
#' @param sex `"F"`/`"M"`, `"Female"`/`"Male"`, or 1 = female / 0 = male.
#' @param glucose_factor mg/dL per mmol/L of glucose (default 18.016), for
#'   `unit = "mmol/L"`.
#' @return Numeric vector.
#' @examples
#' hba1c_convert(c(7.0, 9.02))                       # 53.0, 75.1 mmol/mol
#' hba1c_convert(53, from = "mmol/mol", to = "%")    # 7.0
#' eag(7, unit = "mg/dL")                            # 154.2
#' egfr_ckd_epi_2021(1.09, age = 55, sex = "M")      # 80
#' @inheritSection evaluate_index Overflow and underflow
#' @export
hba1c_convert <- function(x, from = "%", to = if (from == "%") "mmol/mol" else "%") {
  check_string(from)
  check_string(to)
  f <- match_unit(from, "hba1c", default_unit_factors(), arg = "from")
  t <- match_unit(to, "hba1c", default_unit_factors(), arg = "to")
  if (f == t) {
    if (!is.numeric(x)) glycotrial_abort("{.arg x} must be numeric, not {describe_value(x)}.")
    return(as.numeric(x))
  }
  key <- if (f == "%") "hba1c_ifcc" else "hba1c_ngsp"
  index_eval(key, list(hba1c = x), call = sys.call())
}

#' @rdname hba1c_convert
#' @export
eag <- function(hba1c, hba1c_unit = "%", unit = c("mmol/L", "mg/dL"),
                glucose_factor = 18.016) {
  unit <- check_choice(unit[1], c("mmol/L", "mg/dL"), arg = "unit")
  out <- index_eval("eag", list(hba1c = hba1c), units = c(hba1c = hba1c_unit), call = sys.call())
  if (unit == "mmol/L") out <- out / glucose_factor
  out
}

#' @rdname hba1c_convert
#' @export
egfr_ckd_epi_2021 <- function(creatinine, age, sex, creatinine_unit = "mg/dL") {
  index_eval("egfr_ckd_epi_2021", list(creatinine = creatinine, age = age, sex = sex),
             units = c(creatinine = creatinine_unit), call = sys.call())
}
