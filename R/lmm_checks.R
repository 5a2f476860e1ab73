# Input checks shared by fit_lmm() and fit_joint(): every one an error of
# class glycotrial_error_input (plus a specific class) that says what to do,
# instead of an error from model.frame()/contrasts() or a silent NaN.

# Columns used by the model must be atomic vectors (not list columns).
lmm_check_atomic_columns <- function(d, vars, call = NULL) {
  bad <- vars[vapply(vars, function(v) v %in% names(d) && is.list(d[[v]]), logical(1))]
  if (length(bad)) {
    ex <- sprintf("data$%s <- unlist(data$%s)", bad[1], bad[1])
    glycotrial_abort(c("List column{?s} used by the model: {.field {bad}}.",
                       "i" = "Convert each to an atomic vector with one value per row first, e.g. {.code {ex}}."),
                     class = c("glycotrial_error_list_column", "input"), call = call)
  }
  invisible(d)
}

# Factors (and character columns) of the fixed effects need at least two
# levels among the rows used.
lmm_check_factor_levels <- function(tt, mf, call = NULL) {
  vars <- intersect(all.vars(stats::delete.response(tt)), names(mf))
  for (v in vars) {
    x <- mf[[v]]
    if (is.character(x) || is.factor(x) || is.logical(x)) {
      k <- length(unique(x[!is.na(x)]))
      if (k < 2) {
        glycotrial_abort(c("The factor {.field {v}} has {k} level{?s} in the rows used; a factor in the model needs at least 2.",
                           "i" = "Drop {.field {v}} from the formula (it is constant here), or check that the rows were not filtered to one {.field {v}}."),
                         class = c("glycotrial_error_single_level", "input"), call = call)
      }
    }
  }
  invisible(mf)
}

# Response and fixed-effect columns must be finite (Inf, -Inf are refused;
# NA rows were dropped before).
lmm_check_finite <- function(y, X, call = NULL) {
  bad_y <- sum(!is.finite(y))
  bad_x <- colnames(X)[colSums(!is.finite(X)) > 0]
  if (bad_y || length(bad_x)) {
    glycotrial_abort(c("The response and the fixed-effect covariates in {.arg data} must be finite.",
                       "x" = if (bad_y) "Found {bad_y} non-finite response{?s}." else "Found non-finite values in {.field {bad_x}}.",
                       "i" = "Replace Inf/-Inf by NA (the rows are then dropped) or correct the values, e.g. a log of 0."),
                     class = c("glycotrial_error_nonfinite", "input"), call = call)
  }
  invisible(TRUE)
}

# A response with no variation left after the fixed effects: refuse (the
# variance components are 0 and every test would be NaN).
lmm_check_perfect_fit <- function(y, X, call = NULL) {
  if (!length(y)) return(invisible(TRUE))
  r <- qr.resid(qr(X), y)
  if (sum(r^2) <= 1e-20 * max(1, sum(y^2)) || diff(range(y)) == 0) {
    glycotrial_abort(c("The response is fitted exactly by the fixed effects (e.g. it is constant): there is no variation left for a mixed model.",
                       "i" = "Check the response column; with no residual variation variance components, standard errors and tests are undefined."),
                     class = c("glycotrial_error_perfect_fit", "input"), call = call)
  }
  invisible(TRUE)
}

# newdata for predict(): every fixed-effect variable present, factor levels
# known to the fit.
lmm_check_newdata <- function(newdata, tt, xlevels, call = NULL) {
  vars <- all.vars(tt)
  miss <- setdiff(vars, names(newdata))
  if (length(miss)) {
    glycotrial_abort(c("{.arg newdata} lacks column{?s} {.field {miss}} used by the model's fixed effects.",
                       "i" = "Add the missing columns to {.arg newdata} (covariates at the values to predict at)."),
                     class = c("glycotrial_error_missing_column", "input"), call = call)
  }
  lmm_check_atomic_columns(newdata, vars, call = call)
  for (v in intersect(names(xlevels), names(newdata))) {
    x <- newdata[[v]]
    new <- setdiff(unique(as.character(x[!is.na(x)])), xlevels[[v]])
    if (length(new)) {
      known <- xlevels[[v]]
      glycotrial_abort(c("{.arg newdata} has a level of {.field {v}} that the fit has not seen: {.val {new}}.",
                         "i" = "Levels in the fit: {.val {known}}. Predictions are only defined for these; recode or drop those rows."),
                       class = c("glycotrial_error_new_level", "input"), call = call)
    }
  }
  invisible(newdata)
}

# offset() terms where they cannot be honoured: a classed error, not a
# silently ignored term.
lmm_refuse_offset <- function(formula, where, call = NULL) {
  tt <- if (inherits(formula, "terms")) formula else stats::terms(formula)
  if (!is.null(attr(tt, "offset"))) {
    glycotrial_abort(c(paste0("An {.code offset()} term is not supported by ", where, "."),
                       "i" = "Subtract the offset from the response before fitting, or fit a data frame with {.fn fit_lmm}, which honours it."),
                     class = c("glycotrial_error_unsupported", "input"), call = call)
  }
  invisible(TRUE)
}
