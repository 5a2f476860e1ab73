# Tests for 2x2 tables: Farrington-Manning score test (C++ core:
# src/core/stats/diff_ci.cpp), Fisher's exact test, Pearson chi-square.

#' Farrington–Manning test for a risk difference
#'
#' Score test of `H0: p1 - p2 = margin` using the variance at the restricted
#' maximum likelihood estimates (Farrington & Manning 1990), as SAS PROC FREQ
#' `RISKDIFF(METHOD=FM)` for equality, non-inferiority and superiority.
#' With `margin = 0` it is Pearson's chi-square test (statistic squared).
#'
#' @inheritParams diff_ci
#' @param margin Risk difference under the null hypothesis, in (-1, 1).
#' @param alternative `"two.sided"`, `"greater"` (p1 - p2 > margin, e.g.
#'   non-inferiority with a negative margin) or `"less"`.
#' @return A data frame with `x1`, `n1`, `x2`, `n2`, `margin`, `estimate`
#'   (x1/n1 - x2/n2), `statistic` (standard normal under H0), `p_value`,
#'   `alternative`.
#' @references Farrington CP, Manning G (1990). Test statistics and sample
#'   size formulae for comparative binomial trials with null hypothesis of
#'   non-zero risk difference or non-unity relative risk. *Stat Med*
#'   9:1447–1454.
#' @examples
#' farrington_manning_test(56, 70, 48, 80, margin = 0.1, alternative = "greater")
#' @export
farrington_manning_test <- function(x1, n1, x2, n2, margin = 0,
                                    alternative = c("two.sided", "greater", "less")) {
  call <- sys.call()
  alternative <- check_choice(alternative[1], c("two.sided", "greater", "less"),
                              arg = "alternative", call = call)
  check_binomial_counts(x1, n1, "x1", "n1", call)
  check_binomial_counts(x2, n2, "x2", "n2", call)
  check_number(margin, lower = -1, upper = 1, open = TRUE, len = NULL, arg = "margin",
               call = call)
  a <- recycle_args(list(x1 = x1, n1 = n1, x2 = x2, n2 = n2, margin = margin), call)
  alt <- switch(alternative, two.sided = 0L, greater = 1L, less = -1L)
  r <- cpp_stats_fm_test(as.double(a$x1), as.double(a$n1), as.double(a$x2), as.double(a$n2),
                         as.double(a$margin), alt)
  data.frame(x1 = a$x1, n1 = a$n1, x2 = a$x2, n2 = a$n2, margin = a$margin,
             estimate = a$x1 / a$n1 - a$x2 / a$n2, statistic = r$statistic,
             p_value = r$p_value, alternative = alternative, stringsAsFactors = FALSE)
}

#' Fisher's exact test for 2x2 tables
#'
#' Fisher's exact test of group 1 (`x1` events of `n1`) versus group 2, with
#' the conditional maximum likelihood estimate of the odds ratio and its exact
#' conditional (Cornfield) confidence interval, computed in the C++ core. The
#' two-sided p-value sums the probabilities of tables no more likely than the
#' observed one (as `stats::fisher.test()` and SAS PROC FREQ `FISHER`).
#'
#' @inheritParams diff_ci
#' @param alternative `"two.sided"`, `"greater"` (odds ratio > 1) or `"less"`.
#' @return A data frame with one row per table: `x1`, `n1`, `x2`, `n2`,
#'   `estimate` (conditional MLE of the odds ratio), `lower`, `upper`,
#'   `p_value`, `alternative`, `conf_level`.
#' @examples
#' fisher_exact_test(9, 45, 2, 44)
#' @export
fisher_exact_test <- function(x1, n1, x2, n2, alternative = c("two.sided", "greater", "less"),
                              conf_level = 0.95) {
  call <- sys.call()
  alternative <- check_choice(alternative[1], c("two.sided", "greater", "less"),
                              arg = "alternative", call = call)
  check_binomial_counts(x1, n1, "x1", "n1", call)
  check_binomial_counts(x2, n2, "x2", "n2", call)
  check_number(conf_level, lower = 0, upper = 1, open = TRUE, arg = "conf_level", call = call)
  a <- recycle_args(list(x1 = x1, n1 = n1, x2 = x2, n2 = n2), call)
  alt <- switch(alternative, two.sided = 0L, greater = 1L, less = -1L)
  res <- lapply(seq_along(a$x1), function(i) {
    cpp_stats_fisher(a$x1[i], a$n1[i] - a$x1[i], a$x2[i], a$n2[i] - a$x2[i], alt, conf_level)
  })
  pick <- function(nm) vapply(res, `[[`, numeric(1), nm)
  data.frame(x1 = a$x1, n1 = a$n1, x2 = a$x2, n2 = a$n2, estimate = pick("estimate"),
             lower = pick("lower"), upper = pick("upper"), p_value = pick("p_value"),
             alternative = alternative, conf_level = conf_level, stringsAsFactors = FALSE)
}

#' Pearson's chi-square test for a two-way table
#'
#' @param x A matrix of counts (rows = groups, columns = categories), at least
#'   2 x 2, with no empty row or column.
#' @param correct Apply Yates' continuity correction (2 x 2 tables only; as
#'   `stats::chisq.test()`, the correction never exceeds |O - E|).
#' @return A one-row data frame: `statistic`, `df`, `p_value`,
#'   `min_expected` (smallest expected count; check it before trusting the
#'   asymptotic p-value).
#' @examples
#' pearson_chisq_test(matrix(c(9, 2, 36, 42), 2))
#' @export
pearson_chisq_test <- function(x, correct = FALSE) {
  call <- sys.call()
  if (!is.matrix(x) || !is.numeric(x)) {
    glycotrial_abort("{.arg x} must be a numeric matrix of counts, not {describe_value(x)}.",
                     call = call)
  }
  check_flag(correct, arg = "correct", call = call)
  check_count(as.vector(x), arg = "x", call = call)
  r <- cpp_stats_chisq(as.double(t(x)), nrow(x), ncol(x), correct)
  data.frame(statistic = r$statistic, df = r$df, p_value = r$p_value,
             min_expected = r$min_expected)
}
