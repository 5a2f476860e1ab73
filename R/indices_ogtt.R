# OGTT / mixed-meal indices: one value per curve. Each curve is given in long
# form (time, values, optional curve id); time points must increase within a
# curve. Thin front ends over the compiled curve plugins.

ogtt_index <- function(key, time, values, units, id, time_unit, strict, factors) {
  inputs <- c(list(time = time), values)
  index_eval(key, inputs, units = c(time = time_unit, units), id = id, strict = strict,
             factors = factors, call = sys.call(-1))
}

ogtt_factors <- function(glucose_factor = 18.016, insulin_factor = 6, cpeptide_factor = 0.331) {
  list(glucose_factor = glucose_factor, insulin_factor = insulin_factor,
       cpeptide_factor = cpeptide_factor)
}

#' Insulin sensitivity and secretion from an OGTT
#'
#' One value per curve. Time points are in minutes from the glucose load
#' (`time_unit = "h"` for hours), increasing within each curve; curves lacking
#' a needed time point give `NA` with a `glycotrial_warning_missing_timepoint`
#' warning (an error with `strict = TRUE`).
#'
#' * `matsuda()`: ISI(comp) = 10000 / sqrt(G0 x I0 x Gmean x Imean), G mg/dL,
#'   I uU/mL (Matsuda & DeFronzo, Diabetes Care 1999;22:1462). `method =
#'   "trapezoid"` (default) takes the means as trapezoidal AUC / duration, the
#'   form Matsuda & DeFronzo recommend for any sampling grid (Diabetes Care
#'   2010;33:e93); `"arithmetic"` takes the plain mean of the samples. Needs
#'   0 min.
#' * `insulinogenic_index()`: (I30 - I0) / (G30 - G0) in uU/mL per mg/dL, or
#'   with `cpeptide` the C-peptide analogue (CP30 - CP0) / (G30 - G0) in ng/mL
#'   per mg/dL. Undefined (`NA` with a warning) unless glucose rises from 0 to
#'   30 min.
#' * `disposition_index()`: oral disposition index IGI x Matsuda ISI
#'   (trapezoid) (Abdul-Ghani et al. Diabetes Care 2007;30:1544); with
#'   `cpeptide`, the C-peptide insulinogenic index times Matsuda ISI (the
#'   Matsuda factor is still insulin-based, so in insulin-treated patients
#'   only the secretion term is free of exogenous insulin).
#' * `stumvoll()`: Stumvoll et al. (Diabetes Care 2000;23:295), I pmol/L, G
#'   mmol/L: first phase = 1283 + 1.829 I30 - 138.7 G30 + 3.772 I0; second
#'   phase = 287 + 0.4164 I30 - 26.07 G30 + 0.9226 I0 (pmol/L); ISI = 0.156 -
#'   0.0000459 I120 - 0.000321 I0 - 0.00541 G120 (umol/kg/min per pmol/L).
#' * `gutt_isi()`: ISI(0,120) = m / (MPG x log10 MSI), m = \[75000 + (G0 -
#'   G120) x 0.19 x BW\] / 120 with glucose in mg/L in m, MPG the mean of G0
#'   and G120 in mmol/L, MSI the mean of I0 and I120 in mU/L and BW the body
#'   weight in kg (Gutt et al., Diabetes Res Clin Pract 2000;47:177; units
#'   and log base as summarised from the paper, whose full text was not
#'   available to us for a worked example). InsuSensCalc and tabletools use
#'   mg/dL and natural logarithms throughout; their values are on another
#'   scale and are not comparable.
#' * `ogis()`: oral glucose insulin sensitivity (Mari et al., Diabetes Care
#'   2001;24:539), mL/min/m2, 75 g load, body surface area by Gehan & George;
#'   `version = "120"` uses 0/90/120 min, `"180"` 0/120/180 min. Constants as
#'   in the authors' calculator for glucose in mg/dL and insulin in uU/mL.
#'
#' @param time Sampling times.
#' @param glucose,insulin,cpeptide Plasma concentrations at `time`.
#' @param id Curve identifier (e.g. subject-visit); `NULL` for one curve.
#' @param method For `matsuda()`: `"trapezoid"` or `"arithmetic"` means.
#' @param index For `stumvoll()`: `"first_phase"`, `"second_phase"` or `"isi"`.
#' @param weight,height Body weight and height (one per curve or per row).
#' @param weight_unit,height_unit Their units (`"kg"`, `"lb"`; `"cm"`, `"m"`,
#'   `"in"`).
#' @param version For `ogis()`: `"120"` or `"180"`.
#' @param strict Make missing time points an error instead of `NA`.
#' @inheritParams index_unit_arguments
#' @param cpeptide_unit Unit of `cpeptide`.
#' @param insulin_unit Unit of `insulin`.
#' @return Numeric vector with one value per curve (named by `id` when given).
#' @examples
#' t <- c(0, 30, 60, 90, 120)
#' g <- c(93, 129, 178, 164, 97)          # mg/dL
#' i <- c(12.8, 30.7, 68.5, 74.1, 44.0)   # uU/mL
#' matsuda(t, g, i, glucose_unit = "mg/dL")                         # 3.431
#' matsuda(t, g, i, glucose_unit = "mg/dL", method = "arithmetic")  # 3.716
#' insulinogenic_index(t, g, i, glucose_unit = "mg/dL")             # 0.497
#' stumvoll(t, g, i, glucose_unit = "mg/dL", index = "first_phase")
#' ogis(c(0, 90, 120), c(90, 135, 115), c(15, 150, 0), height = 170, weight = 70,
#'      glucose_unit = "mg/dL")                                     # 344.5
#' @inheritSection evaluate_index Overflow and underflow
#' @export
matsuda <- function(time, glucose, insulin, id = NULL, method = c("trapezoid", "arithmetic"),
                    glucose_unit = "mmol/L", insulin_unit = "uU/mL", time_unit = "min",
                    glucose_factor = 18.016, insulin_factor = 6, strict = FALSE) {
  method <- check_choice(method[1], c("trapezoid", "arithmetic"), arg = "method")
  key <- if (method == "trapezoid") "matsuda" else "matsuda_arithmetic"
  ogtt_index(key, time, list(glucose = glucose, insulin = insulin),
             c(glucose = glucose_unit, insulin = insulin_unit), id, time_unit, strict,
             ogtt_factors(glucose_factor, insulin_factor))
}

#' @rdname matsuda
#' @export
insulinogenic_index <- function(time, glucose, insulin = NULL, cpeptide = NULL, id = NULL,
                                glucose_unit = "mmol/L", insulin_unit = "uU/mL",
                                cpeptide_unit = "ng/mL", time_unit = "min",
                                glucose_factor = 18.016, insulin_factor = 6,
                                cpeptide_factor = 0.331, strict = FALSE) {
  if (is.null(insulin) == is.null(cpeptide)) {
    glycotrial_abort("Give exactly one of {.arg insulin} and {.arg cpeptide}.")
  }
  f <- ogtt_factors(glucose_factor, insulin_factor, cpeptide_factor)
  if (!is.null(insulin)) {
    ogtt_index("igi", time, list(glucose = glucose, insulin = insulin),
               c(glucose = glucose_unit, insulin = insulin_unit), id, time_unit, strict, f)
  } else {
    ogtt_index("igi_cp", time, list(glucose = glucose, cpeptide = cpeptide),
               c(glucose = glucose_unit, cpeptide = cpeptide_unit), id, time_unit, strict, f)
  }
}

#' @rdname matsuda
#' @export
disposition_index <- function(time, glucose, insulin, cpeptide = NULL, id = NULL,
                              glucose_unit = "mmol/L", insulin_unit = "uU/mL",
                              cpeptide_unit = "ng/mL", time_unit = "min",
                              glucose_factor = 18.016, insulin_factor = 6,
                              cpeptide_factor = 0.331, strict = FALSE) {
  f <- ogtt_factors(glucose_factor, insulin_factor, cpeptide_factor)
  if (is.null(cpeptide)) {
    ogtt_index("di_oral", time, list(glucose = glucose, insulin = insulin),
               c(glucose = glucose_unit, insulin = insulin_unit), id, time_unit, strict, f)
  } else {
    ogtt_index("di_oral_cp", time, list(glucose = glucose, insulin = insulin, cpeptide = cpeptide),
               c(glucose = glucose_unit, insulin = insulin_unit, cpeptide = cpeptide_unit),
               id, time_unit, strict, f)
  }
}

#' @rdname matsuda
#' @export
stumvoll <- function(time, glucose, insulin, id = NULL,
                     index = c("first_phase", "second_phase", "isi"),
                     glucose_unit = "mmol/L", insulin_unit = "uU/mL", time_unit = "min",
                     glucose_factor = 18.016, insulin_factor = 6, strict = FALSE) {
  index <- check_choice(index[1], c("first_phase", "second_phase", "isi"), arg = "index")
  ogtt_index(paste0("stumvoll_", index), time, list(glucose = glucose, insulin = insulin),
             c(glucose = glucose_unit, insulin = insulin_unit), id, time_unit, strict,
             ogtt_factors(glucose_factor, insulin_factor))
}

#' @rdname matsuda
#' @export
gutt_isi <- function(time, glucose, insulin, weight, id = NULL, glucose_unit = "mmol/L",
                     insulin_unit = "uU/mL", weight_unit = "kg", time_unit = "min",
                     glucose_factor = 18.016, insulin_factor = 6, strict = FALSE) {
  ogtt_index("gutt", time, list(glucose = glucose, insulin = insulin, weight = weight),
             c(glucose = glucose_unit, insulin = insulin_unit, weight = weight_unit), id,
             time_unit, strict, ogtt_factors(glucose_factor, insulin_factor))
}

#' @rdname matsuda
#' @export
ogis <- function(time, glucose, insulin, height, weight, id = NULL, version = c("120", "180"),
                 glucose_unit = "mmol/L", insulin_unit = "uU/mL", height_unit = "cm",
                 weight_unit = "kg", time_unit = "min", glucose_factor = 18.016,
                 insulin_factor = 6, strict = FALSE) {
  version <- check_choice(as.character(version[1]), c("120", "180"), arg = "version")
  key <- if (version == "120") "ogis" else "ogis_180"
  ogtt_index(key, time, list(glucose = glucose, insulin = insulin, height = height,
                             weight = weight),
             c(glucose = glucose_unit, insulin = insulin_unit, height = height_unit,
               weight = weight_unit), id, time_unit, strict,
             ogtt_factors(glucose_factor, insulin_factor))
}
