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
#' @param ... Further arguments to [mmrm_fit()]: `weights`, `control` or
#'   `vcov` (others are an error of class
#'   `glycotrial_error_unknown_argument`).
#' @return A data frame, one row per structure, with columns `rank` (by AIC
#'   among the converged fits; `NA` for fits that did not converge, which
#'   come last and are announced by a `glycotrial_message_not_converged`
#'   message), `structure`, `n_theta`, `logLik`, `AIC`, `AICc`, `BIC`, `converged`,
#'   `message`; the fits are in attribute `"fits"`. A structure that cannot
#'   be fitted is a row with `converged = FALSE`; when no structure can be
#'   fitted (bad data or formula), the first structure's error is raised.
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
  check_data_frame(data, cols = c(visit, subject, group))
  if (any(vapply(split_plus(formula[[3]]), is_cov_term, logical(1)))) {
    glycotrial_abort("{.arg formula} must not contain a covariance term; {.fn model_selection} adds one per entry of {.arg structures}.")
  }
  extra <- names(list(...))
  if (...length() && (is.null(extra) || any(!nzchar(extra)) ||
                      any(!extra %in% c("weights", "control", "vcov")))) {
    bad <- if (is.null(extra)) "(unnamed)" else setdiff(extra, c("weights", "control", "vcov"))
    bad[!nzchar(bad)] <- "(unnamed)"
    glycotrial_abort(c(
      "Unknown argument{?s} to {.fn model_selection}: {.val {bad}}.",
      "i" = "Further arguments must be named and go to {.fn mmrm_fit}: {.arg weights}, {.arg control} or {.arg vcov}."),
      class = c("glycotrial_error_unknown_argument", "glycotrial_error_input"))
  }
  # Visit order resolved once (one message or warning, not one per structure).
  data <- visit_order_apply(data, visit, structure = intersect(structures, visit_order_dependent)[1])
  rhs <- if (is.null(group)) subject else paste(group, "/", subject)
  fits <- list()
  errs <- list()
  rows <- lapply(structures, function(st) {
    cov_term <- str2lang(sprintf("%s(%s | %s)", st, visit, rhs))
    f <- formula
    f[[3]] <- call("+", formula[[3]], cov_term)
    fit <- tryCatch(
      withCallingHandlers(mmrm_fit(f, data, reml = reml, df = "Residual", ...),
                          glycotrial_warning_convergence = function(w) invokeRestart("muffleWarning"),
                          glycotrial_warning_visit_order = function(w) invokeRestart("muffleWarning")),
      glycotrial_error = function(e) e)
    if (inherits(fit, "error")) {
      errs[[st]] <<- fit
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
  # A problem with the data or the formula makes every fit fail: that is the
  # caller's error, not a property of the structures.
  if (!length(fits)) stop(errs[[1]])
  # Only converged fits are ranked (a degenerate fit that did not converge
  # can have an absurdly low AIC): converged first by AIC, rank NA for the
  # others, which follow.
  conv <- out$converged & is.finite(out$AIC)
  out <- out[order(!conv, out$AIC, na.last = TRUE), , drop = FALSE]
  out$rank <- NA_integer_
  out$rank[!out$converged | !is.finite(out$AIC)] <- NA_integer_
  n_conv <- sum(conv)
  if (n_conv) out$rank[seq_len(n_conv)] <- seq_len(n_conv)
  if (n_conv < nrow(out)) {
    cli::cli_inform(c(
      "{.fn model_selection}: {nrow(out) - n_conv} structure{?s} did not converge and {?is/are} not ranked: {.val {out$structure[is.na(out$rank)]}}.",
      "i" = "See the {.field message} column."),
      class = c("glycotrial_message_not_converged", "glycotrial_message"))
  }
  out <- out[c("rank", setdiff(names(out), "rank"))]
  rownames(out) <- NULL
  attr(out, "fits") <- fits
  out
}
