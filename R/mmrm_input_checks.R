# Checks of the model data of mmrm_fit() (row route) that turn R's generic
# errors into classed ones saying what to do: list columns, logical
# covariates (used as two-level factors), single-level factors, data whose
# scale the optimiser cannot handle.

# List columns are refused; logical covariates become factors with levels
# FALSE, TRUE (what model.matrix() does with them, so the coefficients keep
# their names), so that least_squares_means(), predict() and emmeans treat them as the
# factors they are.
mmrm_check_columns <- function(spec, data, vars, fixed_vars) {
  for (v in intersect(vars, names(data))) {
    if (is.list(data[[v]])) {
      glycotrial_abort(c(
        "Column {.field {v}} of {.arg data} is a list column; {.fn mmrm_fit} needs atomic columns.",
        "i" = "Convert it first, e.g. {.code data${v} <- unlist(data${v})} when every element has length 1."),
        class = c("glycotrial_error_list_column", "glycotrial_error_input"), call = NULL)
    }
  }
  # only variables that enter the formula by name (not inside I(), ...)
  vexpr <- as.list(attr(stats::terms(spec$fixed), "variables"))[-1L]
  bare <- vapply(vexpr[vapply(vexpr, is.name, NA)], as.character, "")
  rhs_vars <- setdiff(intersect(fixed_vars, bare), c(spec$visit, spec$subject, spec$group))
  for (v in intersect(rhs_vars, names(data))) {
    if (is.logical(data[[v]])) data[[v]] <- factor(data[[v]], levels = c(FALSE, TRUE))
  }
  data
}

# Factors and character covariates need at least two levels among the
# analysed rows (model.matrix() stops with "contrasts can be applied only to
# factors with 2 or more levels").
mmrm_check_single_levels <- function(data, rows, fixed_vars) {
  for (v in intersect(fixed_vars, names(data))) {
    x <- data[[v]]
    if (!(is.factor(x) || is.character(x))) next
    u <- unique(as.character(x[rows]))
    u <- u[!is.na(u)]
    if (length(u) < 2) {
      glycotrial_abort(c(
        "Covariate {.field {v}} has a single level ({.val {u}}) in the analysed rows; a factor needs at least two.",
        "i" = "Remove {.field {v}} from the formula (it is constant in these data), or check the filtering of {.arg data}."),
        class = c("glycotrial_error_single_level", "glycotrial_error_input"), call = NULL)
    }
  }
  invisible(NULL)
}

# Values beyond 1e+-100 overflow or underflow the deviance and its
# derivatives (variances are squares): ask for rescaling.
mmrm_check_scale <- function(y, X) {
  big <- 1e100
  small <- 1e-100
  ay <- max(abs(y))
  ax <- if (length(X)) apply(abs(X), 2, max) else numeric(0)
  ax <- ax[ax > 0]
  bad <- ay > big || (ay > 0 && ay < small) || any(ax > big | ax < small)
  if (bad) {
    glycotrial_abort(c(
      "The data are on a scale the MMRM cannot be fitted on (largest absolute response {format(ay, digits = 3)}, covariate columns between {format(min(ax), digits = 3)} and {format(max(ax), digits = 3)}).",
      "i" = "Rescale: express the response and covariates in other units (or divide/multiply by a power of 10) so that their values lie roughly within 1e-6 to 1e6; estimates scale back linearly."),
      class = c("glycotrial_error_scale", "glycotrial_error_numerical"), call = NULL)
  }
  invisible(NULL)
}
