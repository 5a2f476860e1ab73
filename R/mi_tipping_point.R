#' Tipping-point analysis over a grid of delta adjustments
#'
#' Adds `delta` to every imputed outcome (missing in the data) of the subjects
#' in `arms` at `visits`, re-analyses every sample of `x` (the imputation-model
#' fits are reused, so the grid costs only imputations and ANCOVAs) and pools
#' as [mi_reference_based()] does. The delta at which the treatment difference
#' loses significance is the tipping point.
#'
#' @param x A result of [mi_reference_based()].
#' @param deltas Numeric vector of shifts.
#' @param arms Arms whose imputed values are shifted (default: all arms that
#'   are not their own reference, i.e. the active arms).
#' @param visits Visits whose imputed values are shifted (default: all).
#' @return A data frame (class `glycotrial_mi_tipping`) with `delta` and the
#'   columns of `x$results`, one row per delta, visit and contrast; see
#'   [mi_tipping_delta()] for the tipping point and `autoplot()`/`plot()` for
#'   the plot.
#' @examples
#' d <- mi_example_data(n = 40, seed = 1)
#' fit <- mi_reference_based(d, mi_example_vars(), data_ice = attr(d, "data_ice"),
#'   reference = c(TRT = "PBO"), analysis_covariates = "BASE")
#' tp <- mi_tipping_point(fit, deltas = c(0, 0.5, 1))
#' tp[tp$visit == "WEEK16", ]
#' @export
mi_tipping_point <- function(x, deltas, arms = NULL, visits = NULL) {
  if (!inherits(x, "glycotrial_mi")) {
    glycotrial_abort("{.arg x} must come from {.fun mi_reference_based}; found {.cls {class(x)}}.")
  }
  if (!is.numeric(deltas) || !length(deltas) || anyNA(deltas)) {
    glycotrial_abort("{.arg deltas} must be a numeric vector without {.code NA}.")
  }
  pb <- x$problem
  arms <- arms %||% unique(pb$arm[pb$reference != pb$arm])
  bad <- setdiff(arms, pb$arms)
  if (length(bad)) glycotrial_abort("{.arg arms} has {.val {bad}}, not among {.val {pb$arms}}.")
  visits <- visits %||% pb$visits
  bad <- setdiff(visits, pb$visits)
  if (length(bad)) glycotrial_abort("{.arg visits} has {.val {bad}}, not among {.val {pb$visits}}.")
  k <- length(pb$visits)
  shifted <- pb$is_missing & rep(pb$arm %in% arms, each = k) &
    rep(pb$visits %in% visits, times = length(pb$subjects))
  base <- pb$cpp$delta
  if (!length(base)) base <- numeric(length(shifted))
  out <- lapply(deltas, function(dv) {
    cpp <- pb$cpp
    cpp$delta <- base + dv * shifted
    cbind(delta = dv, mi_reanalyse(x, cpp))
  })
  out <- do.call(rbind, out)
  attr(out, "alpha") <- 1 - x$conf_level
  attr(out, "arms") <- arms
  class(out) <- c("glycotrial_mi_tipping", "data.frame")
  out
}

#' The conditional-mean imputed data
#'
#' The data of [mi_reference_based()] with every missing outcome replaced by
#' its conditional mean under the subject's strategy (full-data imputation
#' model, also for the draw-based methods), as rbmi's `extract_imputed_dfs()`
#' gives for the first sample of `method_condmean()`.
#'
#' @param x A result of [mi_reference_based()].
#' @return A data frame: subject, visit, arm, outcome and `imputed` (logical).
#' @examples
#' d <- mi_example_data(n = 20, seed = 2)
#' fit <- mi_reference_based(d, mi_example_vars(), data_ice = attr(d, "data_ice"),
#'   reference = c(TRT = "PBO"))
#' head(mi_imputed_data(fit))
#' @export
mi_imputed_data <- function(x) {
  if (!inherits(x, "glycotrial_mi")) {
    glycotrial_abort("{.arg x} must come from {.fun mi_reference_based}; found {.cls {class(x)}}.")
  }
  pb <- x$problem
  k <- length(pb$visits)
  full <- x$fits[[1]]
  if (identical(x$method$type, "draws")) {
    # the draw-based methods keep bootstrap fits only: refit the full data
    full <- cpp_mi_fit_samples(pb$cpp, list(seq_along(pb$subjects)), pb$theta0, 1L, 1e-6, 100L)
    full <- mi_add_custom(full, pb)[[1]]
  }
  y <- cpp_mi_impute(pb$cpp, seq_along(pb$subjects), full)
  v <- pb$vars
  out <- data.frame(rep(pb$subjects, each = k), factor(rep(pb$visits, length(pb$subjects)), pb$visits),
                    factor(rep(pb$arm, each = k), pb$arms), y, pb$is_missing,
                    stringsAsFactors = FALSE)
  names(out) <- c(v$subjid, v$visit, v$group, v$outcome, "imputed")
  out
}
