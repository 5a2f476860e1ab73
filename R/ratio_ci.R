# Confidence intervals for the relative risk and the odds ratio (C++ core:
# src/core/stats/ratio_ci.cpp, score.cpp).

ratio_ci_methods <- c("score", "score-nobcf", "wald", "wald-modified", "exact")
ratio_ci_aliases <- c(mn = "score", woolf = "wald", log = "wald", katz = "wald",
                      waldmodified = "wald-modified", koopman = "score-nobcf")

#' Confidence intervals for the relative risk and the odds ratio
#'
#' Vectorised intervals for the relative risk `(x1/n1) / (x2/n2)` or the odds
#' ratio of group 1 versus group 2 (SAS PROC FREQ `RELRISK` / `ODDSRATIO`).
#' \describe{
#'   \item{`"score"`}{Miettinen–Nurminen (1985) score interval with the
#'     N/(N-1) variance factor (SAS `CL=SCORE`).}
#'   \item{`"score-nobcf"`}{The same without the factor (Koopman 1984 for the
#'     relative risk; SAS `CL=SCORE(CORRECT=NO)`).}
#'   \item{`"wald"`}{Log-scale Wald interval (Katz et al. 1978 for the relative
#'     risk, Woolf 1955 for the odds ratio; SAS `CL=WALD`); `(0, Inf)` when a
#'     needed cell is zero.}
#'   \item{`"wald-modified"`}{Wald after adding 1/2 to each cell (SAS
#'     `CL=WALDMODIFIED`); the reported estimate stays the observed one.}
#'   \item{`"exact"`}{Odds ratio only: the exact conditional (Cornfield)
#'     interval, as `stats::fisher.test()` and SAS `CL=EXACT`; the reported
#'     estimate stays the sample odds ratio (the conditional MLE is given by
#'     [fisher_exact_test()]).}
#' }
#'
#' @inheritParams diff_ci
#' @param measure `"rr"` (relative risk) or `"or"` (odds ratio).
#' @return A data frame with `x1`, `n1`, `x2`, `n2`, `measure`, `estimate`,
#'   `lower`, `upper`, `method`, `conf_level`; an undefined estimate (no
#'   events) is `NaN`, an infinite limit `Inf`. A zero-width interval (Wald
#'   relative risk for 100 % vs 100 %, which is (1, 1)) is returned with a
#'   `glycotrial_warning_degenerate_interval` warning, as in [diff_ci()].
#' @references Miettinen O, Nurminen M (1985). Comparative analysis of two
#'   rates. *Stat Med* 4:213–226. Fagerland MW, Newcombe RG (2013). *Stat Med*
#'   32:2823–2836.
#' @examples
#' ratio_ci(24, 73, 53, 65, measure = "rr", method = c("score", "wald"))
#' ratio_ci(9, 45, 2, 44, measure = "or")
#' @export
ratio_ci <- function(x1, n1, x2, n2, measure = c("rr", "or"), method = "score",
                     conf_level = 0.95) {
  call <- sys.call()
  measure <- check_choice(measure[1], c("rr", "or"), arg = "measure", call = call)
  method <- match_ci_method(method, ratio_ci_methods, ratio_ci_aliases, call = call)
  a <- two_sample_ci_args(x1, n1, x2, n2, conf_level, call)
  two_sample_ci_table(a, method, function(m) {
    cpp_stats_ratio_ci(as.double(a$x1), as.double(a$n1), as.double(a$x2), as.double(a$n2),
                       measure, m, as.double(a$conf_level))
  }, measure = measure)
}
