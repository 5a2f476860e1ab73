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
#'   events) is `NaN`, an infinite limit `Inf`.
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
  check_binomial_counts(x1, n1, "x1", "n1", call)
  check_binomial_counts(x2, n2, "x2", "n2", call)
  check_conf_level(conf_level, call)
  a <- recycle_args(list(x1 = x1, n1 = n1, x2 = x2, n2 = n2, conf_level = conf_level), call)
  out <- lapply(method, function(m) {
    r <- cpp_stats_ratio_ci(as.double(a$x1), as.double(a$n1), as.double(a$x2),
                            as.double(a$n2), measure, m, as.double(a$conf_level))
    data.frame(x1 = a$x1, n1 = a$n1, x2 = a$x2, n2 = a$n2, measure = measure,
               estimate = r$estimate, lower = r$lower, upper = r$upper, method = m,
               conf_level = a$conf_level, stringsAsFactors = FALSE)
  })
  out <- do.call(rbind, out)
  rownames(out) <- NULL
  out
}
