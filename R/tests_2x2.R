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
