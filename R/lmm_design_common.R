# Pieces of the mixed-model design shared by the single-grouping-factor path
# (lmm_design(), R/fit_lmm.R) and the several-grouping-factor path
# (lmm_multi_design(), R/lmm_multi.R), and the residuals() body both use.

# Fixed-effects part of a design from the complete rows `d`: terms, model
# frame, numeric response and model matrix, rank-deficient columns dropped
# with a warning. `check_finite` rejects non-finite responses/covariates.
lmm_fixed_design <- function(fixed, d, call = NULL, check_finite = FALSE) {
  tt <- stats::terms(fixed, data = d)
  mf <- stats::model.frame(tt, data = d, na.action = stats::na.pass, drop.unused.levels = TRUE)
  y <- stats::model.response(mf)
  if (!is.numeric(y) || is.matrix(y)) {
    glycotrial_abort("The response {.field {deparse(fixed[[2]])}} must be a numeric vector, not {describe_value(y)}.",
                     call = call)
  }
  X <- stats::model.matrix(tt, mf)
  if (check_finite && (!all(is.finite(y)) || !all(is.finite(X)))) {
    glycotrial_abort(c("The response and fixed-effect variables in {.arg data} must be finite.",
                       "x" = "Found {sum(!is.finite(y))} non-finite response{?s}."), call = call)
  }
  qx <- qr(X)
  if (qx$rank < ncol(X)) {
    drop <- qx$pivot[seq.int(qx$rank + 1, ncol(X))]
    glycotrial_warn("The fixed-effects design is rank deficient: dropping column{?s} {.field {colnames(X)[drop]}}.",
                    class = "glycotrial_warning_rank_deficient")
    asg <- attr(X, "assign")
    X <- X[, -drop, drop = FALSE]
    attr(X, "assign") <- asg[-drop]
  }
  list(terms = tt, mf = mf, y = as.numeric(y), X = X)
}

# A grouping column must have no missing values.
lmm_check_group_na <- function(x, name, call = NULL) {
  if (anyNA(x)) {
    glycotrial_abort(c("The grouping variable {.field {name}} has missing values.",
                       "x" = "{sum(is.na(x))} row{?s} with NA (first at row {which(is.na(x))[1]}).",
                       "i" = "Remove or impute them before fitting."), call = call)
  }
  invisible(x)
}

# A variable of a random-effect term (slope covariate) must be numeric.
lmm_check_re_numeric <- function(x, name, call = NULL) {
  if (!is.numeric(x) || is.factor(x)) {
    glycotrial_abort(c("Random-effect variable {.field {name}} must be numeric.",
                       "x" = "Found {describe_value(x)}.",
                       "i" = "Use a numeric covariate or time (e.g. {.field AVISITN}) for random slopes."),
                     call = call)
  }
  invisible(x)
}

# residuals() of a mixed model: response or Pearson residuals in data order,
# given the fitted values (model order) and the residual SD of each row.
lmm_residuals_common <- function(object, fitted_sorted, residual_sd, type) {
  r <- object$design$y - fitted_sorted
  if (type == "pearson") r <- r / residual_sd(object)
  unname(r[order(object$design$rows)])
}

# Population (fixed-effects) linear predictor for new data, with the fit's
# factor levels and contrasts.
lmm_population_eta <- function(object, newdata) {
  d <- object$design
  tt <- stats::delete.response(d$terms)
  mf <- stats::model.frame(tt, newdata, na.action = stats::na.pass, xlev = d$xlevels)
  X <- stats::model.matrix(tt, mf, contrasts.arg = d$contrasts)
  X <- X[, names(object$coefficients), drop = FALSE]
  drop(X %*% object$coefficients)
}

# confint()'s `parm` for a mixed model: names of fixed effects and variance
# components, "beta_" / "theta_" for all of either; unknown names (and
# variance components when `vc_allowed` is FALSE) are an error.
lmm_confint_parm <- function(parm, b_names, vc_names, vc_allowed = TRUE) {
  if (!is.character(parm)) {
    glycotrial_abort("{.arg parm} must be a character vector of parameter names, not {describe_value(parm)}.",
                     call = NULL)
  }
  parm <- unique(unlist(lapply(parm, function(p) {
    if (identical(p, "beta_")) b_names else if (identical(p, "theta_")) vc_names else p
  })))
  bad <- setdiff(parm, c(if (vc_allowed) vc_names, b_names))
  if (length(bad)) {
    glycotrial_abort(c("{.arg parm} names unknown parameter{?s} {.val {bad}}.",
                       "i" = "Fixed effects: {.val {b_names}}; variance components{if (vc_allowed) '' else ' (profile intervals only)'}: {.val {vc_names}} (or {.val beta_} / {.val theta_})."),
                     call = NULL)
  }
  parm
}
