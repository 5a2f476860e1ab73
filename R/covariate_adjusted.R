# Covariate-adjusted analysis of a binary endpoint: logistic regression on
# treatment and baseline covariates, and the marginal (g-computation) risk
# difference with a delta-method standard error (C++ core:
# src/core/stats/logistic.cpp).

#' Covariate-adjusted risk difference by logistic regression and g-computation
#'
#' Fits `response ~ arm + covariates` by logistic regression (IRLS in the C++
#' core), predicts every subject's response probability under each arm, and
#' averages them (standardisation / g-computation). The marginal risk
#' difference is the difference of the averages. Its standard error is
#' \describe{
#'   \item{`variance = "model"`}{the delta method with the model-based
#'     covariance of the coefficients, conditional on the observed covariates
#'     (Ge et al. 2011);}
#'   \item{`variance = "sandwich"`}{the influence-function (M-estimation)
#'     variance of the joint estimator, which is robust to misspecification of
#'     the working model and accounts for covariate sampling (Tsiatis et al.
#'     2008; Ye et al. 2023), as recommended by the FDA (2023) guidance on
#'     covariate adjustment.}
#' }
#' Rows with a missing response or covariate are dropped with a warning.
#'
#' @param data A data frame with one row per subject.
#' @param response Name of the 0/1 (or logical) response column.
#' @param arm Name of the treatment column (exactly two groups).
#' @param covariates Names of baseline covariate columns (numeric or factor).
#' @param treatment,control The arm values compared (treatment minus
#'   control). By default `control` is the first sorted value and `treatment`
#'   the other.
#' @param variance `"model"` or `"sandwich"`.
#' @param conf_level Confidence level in (0, 1).
#' @return An object of class `glycotrial_gcomp`: a list with `estimates` (a
#'   data frame with `p_treatment`, `p_control`, `estimate` (risk difference),
#'   `se`, `lower`, `upper`, `statistic`, `p_value`), `coefficients` (the
#'   logistic fit: `term`, `estimate`, `se`, `statistic`, `p_value`),
#'   `vcov`, `n`, `converged`, `variance`, `treatment`, `control`. Methods:
#'   `print()`, `tidy()`, `as.data.frame()`.
#' @references Ge M, Durham LK, Meyer RD, Xie W, Thomas N (2011). Covariate-
#'   adjusted difference in proportions from clinical trials using logistic
#'   regression and weighted risk differences. *Drug Inf J* 45:481–493.
#'   Ye T, Shao J, Yi Y, Zhao Q (2023). Toward better practice of covariate
#'   adjustment in analyzing randomized clinical trials. *JASA* 118:2370–2382.
#'   FDA (2023). Adjusting for Covariates in Randomized Clinical Trials for
#'   Drugs and Biological Products. Guidance for Industry.
#' @examples
#' set.seed(1)
#' d <- data.frame(ARM = rep(c("Placebo", "Active"), each = 60),
#'                 BASE = rnorm(120, 8, 1))
#' d$RESP <- rbinom(120, 1, plogis(-1 + (d$ARM == "Active") - 0.5 * (d$BASE - 8)))
#' covariate_adjusted_rd(d, "RESP", "ARM", "BASE", treatment = "Active")
#' @export
covariate_adjusted_rd <- function(data, response, arm = "ARM", covariates = character(),
                                  treatment = NULL, control = NULL,
                                  variance = c("sandwich", "model"), conf_level = 0.95) {
  call <- sys.call()
  check_string(response, arg = "response", call = call)
  check_string(arm, arg = "arm", call = call)
  if (!is.character(covariates)) {
    glycotrial_abort("{.arg covariates} must be a character vector of column names.", call = call)
  }
  if (anyNA(covariates)) {
    glycotrial_abort("{.arg covariates} must not contain NA.", call = call)
  }
  check_data_frame(data, cols = c(response, arm, covariates), arg = "data", call = call)
  if (nrow(data) == 0) {
    glycotrial_abort("{.arg data} has no rows.", call = call)
  }
  clash <- intersect(covariates, c(response, arm))
  if (length(clash)) {
    glycotrial_abort(c("{.arg covariates} must not include the response or arm column.",
                       "x" = "Found {.field {clash}}."), call = call)
  }
  for (v in covariates) check_gcomp_covariate(data[[v]], v, call)
  for (a in c("treatment", "control")) {
    val <- get(a)
    if (!is.null(val) && (length(val) != 1 || is.na(val) || !is.atomic(val))) {
      glycotrial_abort("{.arg {a}} must be a single arm value, not {describe_value(val)}.",
                       call = call)
    }
  }
  variance <- check_choice(variance[1], c("sandwich", "model"), arg = "variance", call = call)
  check_number(conf_level, lower = 0, upper = 1, open = TRUE, arg = "conf_level", call = call)
  arms <- resolve_arms(data[[arm]], treatment, control, arm, call)
  if (anyNA(data[[arm]])) {
    glycotrial_inform_dropped(character(), what = "rows", n = sum(is.na(data[[arm]])),
                              reason = sprintf("missing %s", arm),
                              class = "glycotrial_message_dropped_rows")
  }
  keep <- stats::complete.cases(data[, c(response, arm, covariates), drop = FALSE]) &
    data[[arm]] %in% arms
  if (any(!keep & data[[arm]] %in% arms)) {
    glycotrial_warn("Dropped {sum(!keep & data[[arm]] %in% arms)} row{?s} with missing response or covariates.",
                    class = "glycotrial_warning_missing_data")
  }
  d <- data[keep, , drop = FALSE]
  y <- d[[response]]
  if (is.logical(y)) y <- as.numeric(y)
  if (!is.numeric(y) || any(!y %in% c(0, 1))) {
    glycotrial_abort("{.arg response} column {.field {response}} must be 0/1 or logical.",
                     call = call)
  }
  trt <- as.numeric(d[[arm]] == arms[["treatment"]])
  if (length(unique(trt)) < 2) {
    glycotrial_abort("Both arms need subjects with complete data.", call = call)
  }
  mf <- d[, covariates, drop = FALSE]
  mf$.treatment <- trt
  form <- stats::reformulate(c(".treatment", if (length(covariates)) sprintf("`%s`", covariates)))
  X <- stats::model.matrix(form, mf)
  q <- qr(X)
  if (q$rank < ncol(X)) {
    # Name the aliased design columns (constant, collinear, or a level that
    # only occurs in one arm) instead of the core's generic message.
    aliased <- gsub("`", "", colnames(X)[q$pivot[seq.int(q$rank + 1L, ncol(X))]])
    aliased <- sub("^\\.treatment$", arm, aliased)
    glycotrial_abort(c("The covariates are constant or collinear (with each other, the arm or the intercept) in the {nrow(X)} complete row{?s}.",
                       "x" = "Aliased design column{?s}: {.field {aliased}}.",
                       "i" = "Remove or combine the covariates involved."),
                     class = c("input", "glycotrial_error_rank_deficient"), call = call)
  }
  treat_col <- which(colnames(X) == ".treatment") - 1L
  fit <- cpp_stats_logistic_gcomp(X, as.double(y), treat_col, variance)
  if (!fit$converged || fit$boundary) {
    glycotrial_warn("The logistic fit {if (!fit$converged) 'did not converge' else 'has fitted probabilities numerically 0 or 1'} (separation?); the risk difference may be unreliable.",
                    class = "glycotrial_warning_separation")
  }
  z <- stats::qnorm(1 - (1 - conf_level) / 2)
  se <- fit$se_rd
  terms <- sub("^\\.treatment$", paste0(arm, arms[["treatment"]]), colnames(X))
  terms <- gsub("`", "", terms)
  vc <- if (variance == "model") fit$vcov else fit$vcov_hc0
  dimnames(vc) <- list(terms, terms)
  coef_se <- sqrt(diag(vc))
  out <- list(
    estimates = data.frame(
      treatment = arms[["treatment"]], control = arms[["control"]],
      p_treatment = fit$p1, p_control = fit$p0, estimate = fit$rd, se = se,
      lower = fit$rd - z * se, upper = fit$rd + z * se, statistic = fit$rd / se,
      p_value = 2 * stats::pnorm(-abs(fit$rd / se)), conf_level = conf_level,
      stringsAsFactors = FALSE),
    coefficients = data.frame(term = terms, estimate = fit$beta, se = coef_se,
                              statistic = fit$beta / coef_se,
                              p_value = 2 * stats::pnorm(-abs(fit$beta / coef_se)),
                              stringsAsFactors = FALSE),
    vcov = vc, n = nrow(d), converged = fit$converged, variance = variance,
    treatment = arms[["treatment"]], control = arms[["control"]],
    covariates = covariates)
  class(out) <- "glycotrial_gcomp"
  out
}

# A covariate column must be something model.matrix() can use: numeric
# (finite), logical, factor, character, or a date (used as a number).
check_gcomp_covariate <- function(x, name, call) {
  ok <- is.numeric(x) || is.logical(x) || is.factor(x) || is.character(x) ||
    inherits(x, c("Date", "POSIXt", "difftime"))
  if (!ok || is.list(x)) {
    glycotrial_abort(c("Covariate column {.field {name}} must be numeric, logical, factor, character or a date.",
                       "x" = "It is {describe_value(x)}."), call = call)
  }
  if (is.numeric(x) && any(is.infinite(x))) {
    glycotrial_abort(c("Covariate column {.field {name}} must be finite.",
                       "x" = "Found {sum(is.infinite(x))} infinite value{?s} (row{?s} {utils::head(which(is.infinite(x)), 5)}).",
                       "i" = "Recode or set them to NA (rows with NA are dropped with a warning)."),
                     call = call)
  }
  invisible(x)
}

# The two arm values compared: treatment minus control.
resolve_arms <- function(x, treatment, control, arm, call) {
  vals <- sort(unique(as.character(x[!is.na(x)])))
  if (is.null(control) && is.null(treatment)) {
    if (length(vals) != 2) {
      glycotrial_abort(c("{.arg {arm}} must have exactly two values, or give {.arg treatment} and {.arg control}.",
                         "x" = "Found {length(vals)}: {.val {vals}}."), call = call)
    }
    control <- vals[1]
  }
  if (is.null(control)) control <- setdiff(vals, treatment)[1]
  if (is.null(treatment)) treatment <- setdiff(vals, control)[1]
  for (v in c(treatment, control)) {
    if (is.na(v) || !v %in% vals) {
      glycotrial_abort(c("Arm value {.val {v}} not found in column {.field {arm}}.",
                         "i" = "Values present: {.val {vals}}."), call = call)
    }
  }
  if (identical(treatment, control)) {
    glycotrial_abort("{.arg treatment} and {.arg control} must differ.", call = call)
  }
  c(treatment = treatment, control = control)
}

#' @export
print.glycotrial_gcomp <- function(x, digits = 4, ...) {
  e <- x$estimates
  cat("Covariate-adjusted risk difference (logistic regression, g-computation)\n")
  cat(sprintf("  %s vs %s; covariates: %s; n = %d; variance: %s\n", x$treatment, x$control,
              if (length(x$covariates)) paste(x$covariates, collapse = ", ") else "none",
              x$n, x$variance))
  cat(sprintf("  marginal risks: %s %.*f, %s %.*f\n", x$treatment, digits, e$p_treatment,
              x$control, digits, e$p_control))
  cat(sprintf("  risk difference %.*f (SE %.*f), %g%% CI %.*f to %.*f, p = %s\n", digits,
              e$estimate, digits, e$se, 100 * e$conf_level, digits, e$lower, digits, e$upper,
              format.pval(e$p_value, digits = 3)))
  invisible(x)
}

#' @export
as.data.frame.glycotrial_gcomp <- function(x, ...) x$estimates

#' @importFrom generics tidy
#' @export
generics::tidy

#' @method tidy glycotrial_gcomp
#' @export
tidy.glycotrial_gcomp <- function(x, ...) {
  e <- x$estimates
  data.frame(term = paste0(x$treatment, " - ", x$control), estimate = e$estimate,
             std.error = e$se, statistic = e$statistic, p.value = e$p_value,
             conf.low = e$lower, conf.high = e$upper, stringsAsFactors = FALSE)
}
