# Confidence intervals for the difference of two independent proportions
# (C++ core: src/core/stats/diff_ci.cpp, score.cpp, exact_unconditional.cpp).

diff_ci_methods <- c("wald", "wald-cc", "newcombe", "newcombe-cc", "mn", "mee",
                     "agresti-caffo", "hauck-anderson", "exact")
diff_ci_aliases <- c(ac = "agresti-caffo", ha = "hauck-anderson",
                     "miettinen-nurminen" = "mn", waldcc = "wald-cc",
                     newcombecc = "newcombe-cc", "chan-zhang" = "exact",
                     score = "mn")

#' Confidence intervals for a difference of two proportions
#'
#' Vectorised intervals for the risk difference `x1/n1 - x2/n2` (group 1 minus
#' group 2, as SAS PROC FREQ `RISKDIFF` row 1 minus row 2), computed by the C++
#' core. Method names follow SAS `RISKDIFF(CL=...)`:
#' \describe{
#'   \item{`"wald"`, `"wald-cc"`}{Unpooled Wald; `-cc` adds
#'     (1/n1 + 1/n2)/2 as SAS `CORRECT` does (not `prop.test()`'s
#'     `min(., |d|)`). Limits truncated to \[-1, 1\].}
#'   \item{`"newcombe"`, `"newcombe-cc"`}{Newcombe (1998b) hybrid score
#'     interval, methods 10 and 11 (SAS `NEWCOMBE`, `NEWCOMBE(CORRECT)`).}
#'   \item{`"mn"`}{Miettinen–Nurminen (1985) score interval, variance with the
#'     N/(N-1) factor (SAS `MN`).}
#'   \item{`"mee"`}{Mee (1984) / Farrington–Manning score interval without
#'     that factor (SAS `MN(CORRECT=NO)`).}
#'   \item{`"agresti-caffo"`}{Agresti & Caffo (2000) (SAS `AC`); the
#'     reported estimate stays x1/n1 - x2/n2.}
#'   \item{`"hauck-anderson"`}{Hauck & Anderson (1986) (SAS `HA`).}
#'   \item{`"exact"`}{Exact unconditional interval inverting two one-sided
#'     tests ordered by the score statistic (Chan & Zhang 1999; SAS
#'     `EXACT RISKDIFF(METHOD=SCORE)`); the nuisance parameter is maximised on
#'     a 201-point grid refined by golden-section search. Limited to
#'     (n1 + 1)(n2 + 1) <= 1e6 tables.}
#' }
#'
#' @param x1,n1 Successes and trials in group 1.
#' @param x2,n2 Successes and trials in group 2.
#' @param method One or more method names (case-insensitive).
#' @param conf_level Confidence level(s) in (0, 1).
#' @return A data frame with one row per input element and method: `x1`,
#'   `n1`, `x2`, `n2`, `estimate`, `lower`, `upper`, `method`, `conf_level`.
#'   An interval a method cannot give for an element (Hauck–Anderson with one
#'   subject in a group) has `NA` limits and raises a
#'   `glycotrial_warning_undefined_interval` warning; the other elements are
#'   unaffected. A zero-width interval (`lower == upper`: Wald when every
#'   subject in each group has the same outcome, e.g. 0/n vs 0/m gives
#'   (0, 0)) is returned as the closed form gives it, with a
#'   `glycotrial_warning_degenerate_interval` warning.
#' @references Newcombe RG (1998). Interval estimation for the difference
#'   between independent proportions: comparison of eleven methods. *Stat Med*
#'   17:873–890. Miettinen O, Nurminen M (1985). *Stat Med* 4:213–226.
#'   Chan ISF, Zhang Z (1999). *Biometrics* 55:1202–1209.
#' @examples
#' diff_ci(56, 70, 48, 80, method = c("wald", "newcombe", "mn", "agresti-caffo"))
#' diff_ci(9, 45, 2, 44, method = "wald")
#' @export
diff_ci <- function(x1, n1, x2, n2, method = "newcombe", conf_level = 0.95) {
  call <- sys.call()
  method <- match_ci_method(method, diff_ci_methods, diff_ci_aliases, call = call)
  a <- two_sample_ci_args(x1, n1, x2, n2, conf_level, call)
  two_sample_ci_table(a, method, function(m) {
    cpp_stats_diff_ci(as.double(a$x1), as.double(a$n1), as.double(a$x2), as.double(a$n2), m,
                      as.double(a$conf_level))
  })
}
