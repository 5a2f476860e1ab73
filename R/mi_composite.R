# The primary composite (responder) endpoint under multiple imputation
# (issue 20, item 4): responder status derived in each imputed data set with
# the package's responder rules, pooled risk difference by Rubin's rules on
# the difference (Wald within imputation) and by the MI-Newcombe interval
# built from Lott & Reiter's MI-Wilson intervals of the two arms.

# Lott & Reiter (2020) MI-Wilson interval of a proportion from m imputed
# proportions `p` out of `n`: Wilson's interval with the effective sample size
# n / (1 + r) and the t quantile with Rubin's (1987) degrees of freedom,
# where r = (1 + 1/m) B / U is the relative increase in variance (U: mean of
# p(1 - p)/n, B: between-imputation variance).
mi_wilson <- function(p, n, conf_level) {
  m <- length(p)
  qbar <- mean(p)
  u <- mean(p * (1 - p) / n)
  b <- if (m > 1) stats::var(p) else 0
  r <- if (u > 0) (1 + 1 / m) * b / u else if (b > 0) Inf else 0
  nu <- if (r > 0) (m - 1) * (1 + 1 / r)^2 else Inf
  t <- stats::qt(1 - (1 - conf_level) / 2, nu)
  ne <- n / (1 + r)
  centre <- qbar + t^2 / (2 * ne)
  half <- t * sqrt(qbar * (1 - qbar) / ne + t^2 / (4 * ne^2))
  den <- 1 + t^2 / ne
  list(estimate = qbar, lower = max(0, (centre - half) / den), upper = min(1, (centre + half) / den),
       r = r, df = nu)
}

# Pools per-imputation 0/1 response vectors of the subjects in the two arms
# (g1: treatment, g0: control): per-arm MI-Wilson intervals, the Rubin-pooled
# risk difference (Wald within imputation, Barnard-Rubin df) and the
# MI-Newcombe hybrid-score interval of the difference.
mi_pool_responders <- function(imps, g1, g0, arms, conf_level) {
  n1 <- sum(g1); n0 <- sum(g0)
  per <- t(vapply(imps, function(y) {
    p1 <- mean(y[g1]); p0 <- mean(y[g0])
    c(p1 = p1, p0 = p0, v1 = p1 * (1 - p1) / n1, v0 = p0 * (1 - p0) / n0)
  }, numeric(4)))
  rd <- rubin_pool(per[, "p1"] - per[, "p0"], per[, "v1"] + per[, "v0"], n1 + n0 - 2, conf_level)
  w1 <- mi_wilson(per[, "p1"], n1, conf_level)
  w0 <- mi_wilson(per[, "p0"], n0, conf_level)
  d <- w1$estimate - w0$estimate
  nc_lower <- d - sqrt((w1$estimate - w1$lower)^2 + (w0$upper - w0$estimate)^2)
  nc_upper <- d + sqrt((w1$upper - w1$estimate)^2 + (w0$estimate - w0$lower)^2)
  arms_tab <- data.frame(arm = unname(arms), n = c(n1, n0),
                         responders = c(w1$estimate * n1, w0$estimate * n0),
                         proportion = c(w1$estimate, w0$estimate),
                         lower = c(w1$lower, w0$lower), upper = c(w1$upper, w0$upper),
                         method = "mi-wilson (Lott-Reiter)", stringsAsFactors = FALSE)
  difference <- data.frame(method = c("rubin (wald within imputation)", "mi-newcombe (Lott-Reiter Wilson)"),
                           estimate = c(rd$estimate, d), lower = c(rd$lower, nc_lower),
                           upper = c(rd$upper, nc_upper), stringsAsFactors = FALSE)
  list(arms = arms_tab, difference = difference, rubin = rd, per_imputation = per, m = length(imps))
}

#' Composite responder endpoint from multiply imputed data sets
#'
#' Derives the responder status in each imputed data set with
#' [derive_responders()] (the same rules, e.g. [glycaemic_composite()]: HbA1c
#' below a threshold and insulin dose reduced), and pools the risk difference
#' (treatment minus control) over the imputations:
#' \describe{
#'   \item{Rubin's rules on the difference}{per imputation \eqn{\hat d_l =
#'     \hat p_{1l} - \hat p_{0l}} with the Wald variance \eqn{\hat p_{1l}(1 -
#'     \hat p_{1l})/n_1 + \hat p_{0l}(1 - \hat p_{0l})/n_0}; pooled estimate,
#'     total variance \eqn{\bar U + (1 + 1/m) B}, Barnard–Rubin degrees of
#'     freedom.}
#'   \item{MI-Newcombe}{each arm's proportion gets the MI-Wilson interval of
#'     Lott & Reiter (2020): Wilson's score interval with the effective sample
#'     size \eqn{n/(1 + r)}, \eqn{r = (1 + 1/m) B / \bar U}, and the
#'     \eqn{t} quantile on \eqn{(m - 1)(1 + 1/r)^2} degrees of freedom; the
#'     difference gets Newcombe's hybrid-score interval from the two arms'
#'     intervals, \eqn{\hat d - \sqrt{(\hat p_1 - l_1)^2 + (u_0 - \hat
#'     p_0)^2}} to \eqn{\hat d + \sqrt{(u_1 - \hat p_1)^2 + (\hat p_0 -
#'     l_0)^2}}. Without between-imputation variance both reduce to the
#'     Wilson and Newcombe intervals of the single data set.}
#' }
#' The imputed data sets come from any imputation model (e.g. HbA1c and
#' insulin dose imputed jointly by a bivariate MMRM, or sequentially, with
#' random draws); `imputed` may also be a function returning them.
#'
#' @param imputed A list of imputed ADLB-like data sets (each complete at the
#'   responder visit), or a function of no arguments returning such a list.
#' @param adsl ADSL (arms and subjects), as for [derive_responders()].
#' @param arm Arm column.
#' @param treatment,control Arms compared.
#' @param conf_level Confidence level.
#' @param ... Passed to [derive_responders()] (`rules`, `visit`, ...).
#' @return An object of class `glycotrial_mi_composite`: `arms` (pooled
#'   proportion with MI-Wilson CI per arm), `difference` (Rubin and
#'   MI-Newcombe rows), `rubin` (the pooled statistics: se, df, p-value,
#'   fraction of missing information), `per_imputation` and `m`.
#' @references Lott A, Reiter JP (2020). Wilson confidence intervals for
#'   binomial proportions with multiple imputation for missing data. The
#'   American Statistician 74:109-115. Newcombe RG (1998). Interval estimation
#'   for the difference between independent proportions: comparison of eleven
#'   methods. Statistics in Medicine 17:873-890.
#' @examples
#' # two "imputations" of the shipped trial: the missing week-48 HbA1c and
#' # insulin dose set to fixed values (a real analysis draws them from a model)
#' fill <- function(hba1c, dose) {
#'   wk48 <- adlb$AVISIT == "Week 48" & adlb$PARAMCD %in% c("HBA1C", "INSDOSE")
#'   miss <- setdiff(adlb$USUBJID, adlb$USUBJID[wk48 & adlb$PARAMCD == "HBA1C"])
#'   add <- adlb[adlb$AVISIT == "Week 12" & adlb$USUBJID %in% miss &
#'                 adlb$PARAMCD %in% c("HBA1C", "INSDOSE"), ]
#'   add$AVISIT <- "Week 48"; add$AVISITN <- 48
#'   add$AVAL <- ifelse(add$PARAMCD == "HBA1C", hba1c, dose)
#'   add$CHG <- add$AVAL - add$BASE
#'   rbind(adlb, add)
#' }
#' imps <- list(fill(6.5, 20), fill(8, 60), fill(6.8, 25))
#' mi_composite(imps, adsl, treatment = "UC-MSC", control = "Placebo")
#' @export
mi_composite <- function(imputed, adsl, arm = "ARM", treatment, control, conf_level = 0.95, ...) {
  call <- sys.call()
  if (is.function(imputed)) imputed <- imputed()
  if (!is.list(imputed) || is.data.frame(imputed) || length(imputed) < 2 ||
      !all(vapply(imputed, is.data.frame, logical(1)))) {
    glycotrial_abort("{.arg imputed} must be a list of at least two imputed data sets (or a function returning one); found {describe_value(imputed)}.",
                     class = c("input", "glycotrial_error_mi_composite"), call = call)
  }
  check_number(conf_level, lower = 0, upper = 1, open = TRUE, arg = "conf_level", call = call)
  check_data_frame(adsl, cols = arm, arg = "adsl", call = call)
  for (a in c("treatment", "control")) {
    val <- get(a)
    if (!is.character(val) || length(val) != 1L || !val %in% as.character(adsl[[arm]])) {
      glycotrial_abort("{.arg {a}} must be one arm of {.field {arm}}; found {describe_value(val)}.",
                       call = call)
    }
  }
  rsp <- lapply(imputed, function(d) derive_responders(d, adsl, arm = arm, ...))
  resp <- attr(rsp[[1]], "response") %||% "RESPONDER"
  subject <- attr(rsp[[1]], "subject") %||% "USUBJID"
  ids <- rsp[[1]][[subject]]
  ys <- lapply(seq_along(rsp), function(l) {
    r <- rsp[[l]]
    if (!identical(r[[subject]], ids)) {
      glycotrial_abort("Imputed data set {l} has other subjects than the first one; every imputation must hold the same subjects.",
                       class = c("input", "glycotrial_error_mi_composite"), call = call)
    }
    y <- as.numeric(r[[resp]])
    miss <- is.na(y) & r[[arm]] %in% c(treatment, control)
    if (any(miss)) {
      glycotrial_abort("Imputed data set {l} leaves the response of subject{?s} {.val {ids[miss]}} undetermined; impute every component at the responder visit.",
                       class = c("input", "glycotrial_error_mi_composite"), call = call)
    }
    y
  })
  a <- as.character(rsp[[1]][[arm]])
  out <- mi_pool_responders(ys, a == treatment, a == control,
                            c(treatment = treatment, control = control), conf_level)
  out$settings <- list(arm = arm, treatment = treatment, control = control, conf_level = conf_level)
  class(out) <- "glycotrial_mi_composite"
  out
}

#' @export
print.glycotrial_mi_composite <- function(x, ...) {
  s <- x$settings
  cat(sprintf("Composite responder endpoint under MI (m = %d): %s vs %s\n", x$m, s$treatment, s$control))
  f <- function(v) sprintf("%.1f%%", 100 * v)
  cat(sprintf("  %s: %s (%g%% CI %s to %s)\n", x$arms$arm, f(x$arms$proportion),
              100 * s$conf_level, f(x$arms$lower), f(x$arms$upper)), sep = "")
  cat(sprintf("  risk difference, %s: %s (%s to %s)\n", x$difference$method, f(x$difference$estimate),
              f(x$difference$lower), f(x$difference$upper)), sep = "")
  invisible(x)
}
