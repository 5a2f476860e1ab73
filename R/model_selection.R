# model_selection(): fit several covariance structures to the same mean model
# and tabulate information criteria and convergence, so that a fallback can
# be chosen when the unstructured model does not converge.

#' Compare covariance structures for an MMRM
#'
#' @param formula Model formula without a covariance term, e.g.
#'   `CHG ~ BASE + ARM * AVISIT`.
#' @param data Data frame.
#' @param structures Keys of covariance structures to try.
#' @param visit,subject Column names of the visit factor (or time, for
#'   spatial structures) and the subject.
#' @param group Optional column name of a grouping factor.
#' @param reml Use REML (compare structures, not mean models) or ML.
#' @param ... Further arguments to [fit_mmrm()] (e.g. `weights`, `control`).
#' @return A data frame, one row per structure sorted by AIC, with columns
#'   `structure`, `n_theta`, `logLik`, `AIC`, `AICc`, `BIC`, `converged`,
#'   `message`; the fits are in attribute `"fits"`.
#' @examples
#' set.seed(6)
#' d <- expand.grid(USUBJID = factor(1:40), AVISIT = factor(c("W4", "W8", "W12"),
#'                  levels = c("W4", "W8", "W12")))
#' d$CHG <- rnorm(nrow(d)) + rep(rnorm(40), times = 3)
#' model_selection(CHG ~ AVISIT, d, structures = c("us", "ar1", "cs"))
#' @export
model_selection <- function(formula, data, structures = c("us", "toeph", "ar1h", "csh", "adh",
                                                          "toep", "ar1", "cs", "ad"),
                            visit = "AVISIT", subject = "USUBJID", group = NULL,
                            reml = TRUE, ...) {
  if (!inherits(formula, "formula") || length(formula) != 3) {
    glycotrial_abort("{.arg formula} must be a two-sided formula without covariance term, not {describe_value(formula)}.")
  }
  if (!is.character(structures) || !length(structures)) {
    glycotrial_abort("{.arg structures} must be a character vector of covariance keys.")
  }
  check_string(visit)
  check_string(subject)
  if (!is.null(group)) check_string(group)
  rhs <- if (is.null(group)) subject else paste(group, "/", subject)
  fits <- list()
  rows <- lapply(structures, function(st) {
    cov_term <- str2lang(sprintf("%s(%s | %s)", st, visit, rhs))
    f <- formula
    f[[3]] <- call("+", formula[[3]], cov_term)
    fit <- tryCatch(
      withCallingHandlers(fit_mmrm(f, data, reml = reml, df = "Residual", ...),
                          glycotrial_warning_convergence = function(w) invokeRestart("muffleWarning")),
      glycotrial_error = function(e) e)
    if (inherits(fit, "error")) {
      return(data.frame(structure = st, n_theta = NA_integer_, logLik = NA_real_, AIC = NA_real_,
                        AICc = NA_real_, BIC = NA_real_, converged = FALSE,
                        message = conditionMessage(fit), stringsAsFactors = FALSE))
    }
    fits[[st]] <<- fit
    data.frame(structure = st, n_theta = fit$n_theta, logLik = fit$loglik, AIC = stats::AIC(fit),
               AICc = stats::AIC(fit, corrected = TRUE), BIC = stats::BIC(fit),
               converged = fit$convergence$converged, message = fit$convergence$message,
               stringsAsFactors = FALSE)
  })
  out <- do.call(rbind, rows)
  out <- out[order(out$AIC, na.last = TRUE), , drop = FALSE]
  rownames(out) <- NULL
  attr(out, "fits") <- fits
  out
}
