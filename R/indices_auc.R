# Areas under concentration-time curves on arbitrary sampling grids.

#' Areas under the curve
#'
#' Trapezoidal areas over the measured points of each curve (missing values
#' are skipped; fewer than two measured points give `NA`).
#'
#' * `auc_total()`: total area.
#' * `auc_incremental(method = "positive")`: incremental area above the value
#'   at the first time point counting only areas above it, with triangles
#'   interpolated where the curve crosses the baseline (Wolever & Jenkins, Am
#'   J Clin Nutr 1986;43:167; ISO 26642:2010).
#' * `auc_incremental(method = "net")`: net incremental area, area above minus
#'   area below the baseline = total - baseline x duration (Allison et al.,
#'   Diabetes Care 1995;18:245).
#' * `cpeptide_glucose_auc_ratio()`: total AUC of C-peptide (nmol/L x min) over
#'   total AUC of glucose (mmol/L x min) on the same grid.
#'
#' The result is in the unit of `value` times minutes (or `time_unit`
#' converted to minutes).
#'
#' @param time Sampling times.
#' @param value Concentrations.
#' @param id Curve identifier; `NULL` for one curve.
#' @param method `"positive"` (Wolever) or `"net"`.
#' @param glucose,cpeptide Concentrations for the ratio.
#' @inheritParams matsuda
#' @return Numeric vector, one value per curve (named by `id` when given).
#' @examples
#' t <- c(0, 30, 60, 90, 120)
#' g <- c(93, 129, 178, 164, 97)
#' auc_total(t, g)                          # 16980 mg/dL x min
#' auc_incremental(t, g)                    # 5820
#' auc_incremental(c(0, 30, 60, 120), c(5, 7, 3, 6), method = "net")  # 0
#' @inheritSection evaluate_index Overflow and underflow
#' @export
auc_total <- function(time, value, id = NULL, time_unit = "min") {
  index_eval("auc_total", list(time = time, value = value), units = c(time = time_unit),
             id = id, call = sys.call())
}

#' @rdname auc_total
#' @export
auc_incremental <- function(time, value, id = NULL, method = c("positive", "net"),
                            time_unit = "min") {
  method <- check_choice(method[1], c("positive", "net"), arg = "method")
  key <- if (method == "positive") "auc_incremental" else "auc_net"
  index_eval(key, list(time = time, value = value), units = c(time = time_unit), id = id,
             call = sys.call())
}

#' @rdname auc_total
#' @export
cpeptide_glucose_auc_ratio <- function(time, glucose, cpeptide, id = NULL,
                                       glucose_unit = "mmol/L", cpeptide_unit = "ng/mL",
                                       time_unit = "min", glucose_factor = 18.016,
                                       cpeptide_factor = 0.331) {
  ogtt_index("cpeptide_glucose_auc_ratio", time, list(glucose = glucose, cpeptide = cpeptide),
             c(glucose = glucose_unit, cpeptide = cpeptide_unit), id, time_unit, FALSE,
             ogtt_factors(glucose_factor, 6, cpeptide_factor))
}
