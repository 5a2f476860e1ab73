# Stratified analyses of K 2x2 tables (C++ core: src/core/stats/stratified.cpp):
# CMH tests, Mantel-Haenszel common estimates, Breslow-Day, and stratified
# intervals for the common risk difference (SAS PROC FREQ CMH /
# COMMONRISKDIFF). Every function takes one element per stratum.

check_strata_counts <- function(x1, n1, x2, n2, call) {
  lens <- lengths(list(x1, n1, x2, n2))
  if (length(unique(lens)) != 1 || lens[1] < 1) {
    glycotrial_abort(c("{.arg x1}, {.arg n1}, {.arg x2} and {.arg n2} must have one element per stratum and the same length.",
                       "x" = "Lengths: {lens}."), call = call)
  }
  check_count(x1, arg = "x1", call = call)
  check_count(x2, arg = "x2", call = call)
  check_count(n1, arg = "n1", call = call)
  check_count(n2, arg = "n2", call = call)
  single <- which(n1 == 0 | n2 == 0)
  if (length(single)) {
    glycotrial_abort(c("Every stratum must contain both groups.",
                       "x" = "Stratum {single} ha{?s/ve} subjects in one group only."),
                     class = c("input", "glycotrial_error_single_arm_stratum"), call = call)
  }
  check_binomial_counts(x1, n1, "x1", "n1", call)
  check_binomial_counts(x2, n2, "x2", "n2", call)
}

#' Cochran–Mantel–Haenszel test
#'
#' For K 2x2 tables (`x1`, `n1`, `x2`, `n2` per stratum) the CMH statistic
#' (df 1); for a general r-by-c-by-K array (`table`) the general-association
#' statistic with df (r - 1)(c - 1), as SAS PROC FREQ `CMH` ("General
#' Association") and `stats::mantelhaen.test()`.
#'
#' @param x1,n1,x2,n2 Events and subjects in groups 1 and 2, one element per
#'   stratum.
#' @param correct Continuity correction (2x2xK only; SAS applies none).
#' @param table Alternatively, an r-by-c-by-K array of counts.
#' @return A one-row data frame: `statistic`, `df`, `p_value`.
#' @references Agresti A (2013). *Categorical Data Analysis*, 3rd ed.,
#'   sections 6.4 and 8.4.
#' @examples
#' # Agresti (2013) 8-centre data: CMH = 6.384, p = 0.0115.
#' x1 <- c(11, 16, 14, 2, 6, 1, 1, 4); n1 <- c(36, 20, 19, 16, 17, 11, 5, 6)
#' x2 <- c(10, 22, 7, 1, 0, 0, 1, 6); n2 <- c(37, 32, 19, 17, 12, 10, 9, 7)
#' cmh_test(x1, n1, x2, n2)
#' @export
cmh_test <- function(x1, n1, x2, n2, correct = FALSE, table = NULL) {
  call <- sys.call()
  if (!is.null(table) && !(missing(x1) && missing(n1) && missing(x2) && missing(n2))) {
    glycotrial_abort(c("Give either {.arg x1}, {.arg n1}, {.arg x2}, {.arg n2} or {.arg table}, not both.",
                       "i" = "With {.arg table}, the stratum counts are taken from the array."),
                     call = call)
  }
  if (!is.null(table)) {
    if (!is.array(table) || length(dim(table)) != 3 || !is.numeric(table)) {
      glycotrial_abort("{.arg table} must be a numeric r x c x K array, not {describe_value(table)}.",
                       call = call)
    }
    check_count(as.vector(table), arg = "table", call = call)
    d <- dim(table)
    r <- cpp_stats_cmh_general(as.double(table), d[1], d[2], d[3])
  } else {
    check_strata_counts(x1, n1, x2, n2, call)
    check_flag(correct, arg = "correct", call = call)
    r <- cpp_stats_cmh(as.double(x1), as.double(n1), as.double(x2), as.double(n2), correct)
  }
  data.frame(statistic = r$statistic, df = r$df, p_value = r$p_value)
}

#' Mantel–Haenszel common odds ratio, relative risk and risk difference
#'
#' Mantel–Haenszel estimates across strata with the Robins–Breslow–Greenland
#' variance (odds ratio), Greenland–Robins variance (relative risk) or Sato
#' variance (risk difference), as SAS PROC FREQ `CMH` / `COMMONRISKDIFF`.
#'
#' @inheritParams cmh_test
#' @param measure Any of `"or"`, `"rr"`, `"rd"`.
#' @param conf_level Confidence level in (0, 1).
#' @return A data frame with one row per measure: `measure`, `estimate`,
#'   `se` (of the log for `or`/`rr`), `lower`, `upper`, `conf_level`.
#' @examples
#' x1 <- c(11, 16, 14, 2, 6, 1, 1, 4); n1 <- c(36, 20, 19, 16, 17, 11, 5, 6)
#' x2 <- c(10, 22, 7, 1, 0, 0, 1, 6); n2 <- c(37, 32, 19, 17, 12, 10, 9, 7)
#' mh_estimate(x1, n1, x2, n2, measure = c("or", "rr", "rd"))
#' @export
mh_estimate <- function(x1, n1, x2, n2, measure = "or", conf_level = 0.95) {
  call <- sys.call()
  check_strata_counts(x1, n1, x2, n2, call)
  measure <- match_ci_method(measure, c("or", "rr", "rd"), arg = "measure", call = call)
  check_number(conf_level, lower = 0, upper = 1, open = TRUE, arg = "conf_level", call = call)
  out <- lapply(measure, function(m) {
    r <- cpp_stats_mh_common(as.double(x1), as.double(n1), as.double(x2), as.double(n2), m,
                             conf_level)
    data.frame(measure = m, estimate = r$estimate, se = r$se, lower = r$lower,
               upper = r$upper, conf_level = conf_level, stringsAsFactors = FALSE)
  })
  do.call(rbind, out)
}

#' Breslow–Day test for homogeneity of odds ratios
#'
#' Breslow–Day statistic around the Mantel–Haenszel odds ratio, and with
#' Tarone's (1985) correction (SAS PROC FREQ `CMH(BDT)`). Strata whose margins
#' leave a single possible table carry no information and are dropped from
#' the degrees of freedom.
#'
#' @inheritParams cmh_test
#' @return A data frame with rows `"Breslow-Day"` and `"Breslow-Day-Tarone"`:
#'   `test`, `statistic`, `df`, `p_value`.
#' @examples
#' x1 <- c(11, 16, 14, 2, 6, 1, 1, 4); n1 <- c(36, 20, 19, 16, 17, 11, 5, 6)
#' x2 <- c(10, 22, 7, 1, 0, 0, 1, 6); n2 <- c(37, 32, 19, 17, 12, 10, 9, 7)
#' breslow_day_test(x1, n1, x2, n2)
#' @export
breslow_day_test <- function(x1, n1, x2, n2) {
  call <- sys.call()
  check_strata_counts(x1, n1, x2, n2, call)
  r <- cpp_stats_breslow_day(as.double(x1), as.double(n1), as.double(x2), as.double(n2))
  data.frame(test = c("Breslow-Day", "Breslow-Day-Tarone"),
             statistic = c(r$statistic, r$tarone), df = r$df,
             p_value = c(r$p_value, r$tarone_p_value), stringsAsFactors = FALSE)
}

strat_diff_methods <- c("mh", "mn", "mnmh", "newcombe", "newcombe-cc")

#' Stratified confidence intervals for a common risk difference
#'
#' Methods follow SAS PROC FREQ `COMMONRISKDIFF(CL=...)`:
#' \describe{
#'   \item{`"mh"`}{Mantel–Haenszel estimate (weights n1 n2 / N) with the
#'     Sato (1989) variance and Wald limits.}
#'   \item{`"mnmh"`}{Stratified Miettinen–Nurminen score interval with MH
#'     weights (SAS Viya `CL=MNMH`); its test at 0 is the CMH test without
#'     continuity correction.}
#'   \item{`"mn"`}{Stratified Miettinen–Nurminen with the iterative
#'     Miettinen–Nurminen (1985) weights (SAS Viya `CL=MN`; ratesci
#'     `weighting = "MN"`).}
#'   \item{`"newcombe"`, `"newcombe-cc"`}{Stratified Newcombe interval of
#'     Yan & Su (2010), as `prop_diff_strat_nc()` of the tern package. With normalised
#'     stratum weights w (see `weights`), each group's stratified Wilson
#'     limits (L_i, U_i) are the weighted stratum Wilson limits at the
#'     stratified quantile z* = z sqrt(sum w^2 v) / sum(w sqrt(v)), v the
#'     stratum variances p(1 - p)/n (`"newcombe-cc"`: continuity-corrected
#'     Wilson limits); then, with lambda_i = sum(w^2 / n_i) and
#'     d = sum(w p1) - sum(w p2), the limits are
#'     d - z sqrt(lambda1 L1 (1 - L1) + lambda2 U2 (1 - U2)) and
#'     d + z sqrt(lambda2 L2 (1 - L2) + lambda1 U1 (1 - U1)). With one
#'     stratum this is Newcombe's hybrid score interval. When every stratum
#'     proportion of a group is 0 or 1 (z* is 0/0), z* = z is used, where
#'     tern returns `NaN`.}
#' }
#' The score methods report the estimate at which the score statistic is 0,
#' and their statistic and two-sided p-value at a difference of 0. Note that
#' SAS 9.4's "summary score" limits are a different method.
#'
#' @inheritParams cmh_test
#' @param method One or more of the methods above.
#' @param conf_level Confidence level in (0, 1).
#' @param weights Stratum weights of the Newcombe methods (ignored by the
#'   others): `"cmh"` (default), the CMH weights n1 n2 / (n1 + n2); or
#'   `"wilson"`, the Yan & Su (2010) weights minimising the squared length of
#'   the stratified Wilson interval of the pooled proportions, found by
#'   tern's fixed-point iteration (equal starting weights, stop when the
#'   weights change by less than 0.001 in sum, at most 10 iterations; a
#'   `glycotrial_warning_convergence` warning otherwise). These are tern's
#'   `weights_method = "cmh"` and `"wilson_h"`.
#' @return A data frame with one row per method: `method`, `estimate`,
#'   `lower`, `upper`, `se` (MH only), `statistic`, `p_value` (score methods),
#'   `conf_level`.
#' @references Sato T (1989). *Biometrics* 45:1323–1324. Miettinen O,
#'   Nurminen M (1985). *Stat Med* 4:213–226. Yan X, Su XG (2010).
#'   *Stat Biopharm Res* 2:329–335.
#' @examples
#' x1 <- c(11, 16, 14, 2, 6, 1, 1, 4); n1 <- c(36, 20, 19, 16, 17, 11, 5, 6)
#' x2 <- c(10, 22, 7, 1, 0, 0, 1, 6); n2 <- c(37, 32, 19, 17, 12, 10, 9, 7)
#' stratified_diff_ci(x1, n1, x2, n2, method = c("mh", "mnmh", "mn", "newcombe"))
#' @export
stratified_diff_ci <- function(x1, n1, x2, n2, method = "mnmh", conf_level = 0.95,
                               weights = c("cmh", "wilson")) {
  call <- sys.call()
  method <- match_ci_method(method, strat_diff_methods, call = call)
  check_strata_counts(x1, n1, x2, n2, call)
  check_number(conf_level, lower = 0, upper = 1, open = TRUE, arg = "conf_level", call = call)
  if (!is.character(weights) || length(weights) < 1 || anyNA(weights)) {
    glycotrial_abort("{.arg weights} must be {.val cmh} or {.val wilson}, not {describe_value(weights)}.",
                     call = call)
  }
  weights <- match_ci_method(weights[1], c("cmh", "wilson"), c(wilson_h = "wilson"),
                             arg = "weights", call = call)
  out <- lapply(method, function(m) {
    r <- cpp_stats_strat_rd(as.double(x1), as.double(n1), as.double(x2), as.double(n2), m,
                            conf_level, weights)
    if (!isTRUE(r$converged)) {
      glycotrial_warn(c("The Yan-Su stratified Wilson weights did not converge in 10 iterations.",
                        "i" = "The interval uses the last iterate (as tern does); consider {.code weights = \"cmh\"}."),
                      class = "glycotrial_warning_convergence")
    }
    data.frame(method = m, estimate = r$estimate, lower = r$lower, upper = r$upper,
               se = r$se, statistic = r$statistic, p_value = r$p_value,
               conf_level = conf_level, stringsAsFactors = FALSE)
  })
  do.call(rbind, out)
}
