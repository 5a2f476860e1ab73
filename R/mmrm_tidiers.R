# broom-style tidiers for glycotrial_mmrm fits (generics::tidy / glance /
# augment).

#' Tidy, glance at and augment an MMRM fit
#'
#' @param x A [mmrm_fit()] fit.
#' @param newdata For `augment()`: optional data frame to predict for
#'   (default: the rows used by the fit in the row order of the data, and
#'   with `na.action = na.exclude` its unused rows too, with `.fitted` and
#'   `.resid` `NA` there, as for `lm()`).
#' @param se_fit For `augment()`: add `.se.fit`, the standard error of the
#'   population prediction `x'beta` (from the fit's covariance, `vcov()`)?
#' @param conf.int Add confidence limits?
#' @param conf.level Confidence level.
#' @param ... Unused.
#' @return `tidy()`: a data frame with one row per estimable coefficient and
#'   columns `term`, `estimate`, `std.error`, `df`, `statistic`, `p.value`
#'   (and `conf.low`, `conf.high`). `glance()`: a one-row data frame with
#'   `logLik`, `AIC`, `AICc`, `BIC`, `deviance`, `nobs`, `n_subjects`,
#'   `n_theta`, `cov_type`, `converged`. `augment()`: the data with columns
#'   `.fitted` (population prediction, as `predict()`), `.resid` (response
#'   minus `.fitted`, `NA` where the response is missing) and, with
#'   `se_fit = TRUE`, `.se.fit`.
#' @examples
#' set.seed(5)
#' d <- expand.grid(USUBJID = factor(1:30), AVISIT = factor(c("W4", "W8")))
#' d$CHG <- rnorm(nrow(d)) + rep(rnorm(30), times = 2)
#' fit <- mmrm_fit(CHG ~ AVISIT + cs(AVISIT | USUBJID), data = d, df = "Residual")
#' tidy(fit, conf.int = TRUE)
#' glance(fit)
#' head(augment(fit, se_fit = TRUE))
#' @name mmrm_tidiers
NULL

#' @rdname mmrm_tidiers
#' @importFrom generics tidy
#' @export
tidy.glycotrial_mmrm <- function(x, conf.int = FALSE, conf.level = 0.95, ...) {
  check_flag(conf.int)
  check_number(conf.level, lower = 0, upper = 1, open = TRUE)
  ct <- mmrm_coef_table(x)
  out <- data.frame(term = rownames(ct), estimate = ct[, "Estimate"],
                    std.error = ct[, "Std. Error"], df = ct[, "df"],
                    statistic = ct[, "t value"], p.value = ct[, "Pr(>|t|)"],
                    stringsAsFactors = FALSE, row.names = NULL)
  if (conf.int) {
    q <- stats::qt((1 + conf.level) / 2, out$df)
    out$conf.low <- out$estimate - q * out$std.error
    out$conf.high <- out$estimate + q * out$std.error
  }
  out
}

#' @rdname mmrm_tidiers
#' @importFrom generics glance
#' @export
glance.glycotrial_mmrm <- function(x, ...) {
  data.frame(logLik = x$loglik, AIC = stats::AIC(x), AICc = stats::AIC(x, corrected = TRUE),
             BIC = stats::BIC(x), deviance = x$deviance, nobs = x$n_obs,
             n_subjects = x$n_subjects, n_theta = x$n_theta, cov_type = x$cov_type,
             converged = x$convergence$converged, stringsAsFactors = FALSE)
}

#' @importFrom generics glance
#' @export
generics::glance

#' @rdname mmrm_tidiers
#' @importFrom generics augment
#' @method augment glycotrial_mmrm
#' @export
augment.glycotrial_mmrm <- function(x, newdata = NULL, se_fit = FALSE, ...) {
  check_flag(se_fit)
  if (is.null(newdata)) {
    if (is.null(x$data)) mmrm_need_rows(x, "{.fun augment} without {.arg newdata}")
    # the data's row order; with na.exclude also its unused rows
    data <- mmrm_data_in_order(x)
  } else {
    check_data_frame(newdata)
    data <- newdata
  }
  p <- stats::predict(x, newdata = data, interval = if (se_fit) "confidence" else "none")
  fitted <- if (se_fit) unname(p[, "fit"]) else unname(p)
  if (is.null(newdata) && identical(x$na_action, "exclude")) {
    unused <- !row.names(data) %in% x$data_rownames[x$rows]
    fitted[unused] <- NA_real_
    if (se_fit) p[unused, "se"] <- NA_real_
  }
  data$.fitted <- fitted
  y <- tryCatch(as.numeric(eval(x$formula[[2]], data, environment(x$formula))),
                error = function(e) NA_real_)
  if (length(y) != nrow(data)) y <- rep(NA_real_, nrow(data))
  data$.resid <- y - fitted
  if (se_fit) data$.se.fit <- unname(p[, "se"])
  data
}

#' @importFrom generics augment
#' @export
generics::augment
