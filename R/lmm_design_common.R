# Pieces of the mixed-model design shared by the single-grouping-factor path
# (lmm_design(), R/lmm_dense.R) and the several-grouping-factor path
# (lmm_sparse_design(), R/lmm_sparse.R): fixed effects, random-effect
# matrices, residual coordinates, weights, and the residuals() body both use.

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
  lmm_check_factor_levels(tt, mf, call = call)
  X <- stats::model.matrix(tt, mf)
  lmm_check_finite(y, X, call = call)
  # offset() terms (as lme4): the model is fitted to y - offset, fitted
  # values and predictions add it back
  offset <- stats::model.offset(mf)
  if (!is.null(offset)) {
    lmm_check_finite(offset, matrix(0, length(y), 0), call = call)
    y <- y - offset
  }
  lmm_check_perfect_fit(y, X, call = call)
  qx <- qr(X)
  if (qx$rank < ncol(X)) {
    drop <- qx$pivot[seq.int(qx$rank + 1, ncol(X))]
    glycotrial_warn("The fixed-effects design is rank deficient: dropping column{?s} {.field {colnames(X)[drop]}}.",
                    class = "glycotrial_warning_rank_deficient")
    asg <- attr(X, "assign")
    X <- X[, -drop, drop = FALSE]
    attr(X, "assign") <- asg[-drop]
  }
  list(terms = tt, mf = mf, y = as.numeric(y), X = X,
       offset = if (is.null(offset)) NULL else as.numeric(offset))
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
  y <- object$design$y
  if (!is.null(object$design$offset)) y <- y + object$design$offset
  r <- y - fitted_sorted
  if (type == "pearson") r <- r / residual_sd(object)
  lmm_in_data_order(object, r)
}

# Population (fixed-effects) linear predictor for new data, with the fit's
# factor levels and contrasts.
lmm_population_eta <- function(object, newdata) {
  d <- object$design
  tt <- stats::delete.response(d$terms)
  lmm_check_newdata(newdata, tt, d$xlevels)
  mf <- stats::model.frame(tt, newdata, na.action = stats::na.pass, xlev = d$xlevels)
  X <- stats::model.matrix(tt, mf, contrasts.arg = d$contrasts)
  X <- X[, names(object$coefficients), drop = FALSE]
  eta <- drop(X %*% object$coefficients)
  off <- stats::model.offset(mf)
  if (!is.null(off)) eta <- eta + off
  eta
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

# Observation weights given as a column name or a vector, one value per row
# (shape only; fit_lmm() and fit_joint() check the values on the rows they use).
lmm_resolve_weights <- function(weights, data, call = NULL) {
  if (is.character(weights) && length(weights) == 1 && !is.na(weights)) {
    if (!weights %in% names(data)) {
      glycotrial_abort(c("{.arg weights} names column {.field {weights}}, which {.arg data} lacks.",
                         "i" = "Columns present: {.field {names(data)}}."), call = call)
    }
    weights <- data[[weights]]
  }
  if (!is.numeric(weights) || is.matrix(weights) || length(weights) != nrow(data)) {
    glycotrial_abort(c("{.arg weights} must be a numeric vector with one value per row of {.arg data} ({nrow(data)}) or a column name.",
                       "x" = "Found {describe_value(weights)}."),
                     call = call)
  }
  as.numeric(weights)
}

# Observation weights: NULL, a column name, or one positive finite number per
# row of data (checked before incomplete rows are dropped).
lmm_check_weights <- function(weights, data, call = NULL) {
  if (is.null(weights)) return(NULL)
  weights <- lmm_resolve_weights(weights, data, call)
  bad <- is.na(weights) | !is.finite(weights) | weights <= 0
  if (any(bad)) {
    k <- which(bad)[1]
    glycotrial_abort(c("{.arg weights} must be positive and finite (no missing values).",
                       "x" = "Found {format(weights[k])} at row {k} ({sum(bad)} bad value{?s})."),
                     call = call)
  }
  as.numeric(weights)
}

# Random-effects design: one block per term; `||` splits a term into one
# block per column. Returns Z, blocks, block term labels, column names.
lmm_random_design <- function(random, data, call = sys.call(-1)) {
  if (!length(random)) {
    # residual-structure-only model (no random effects)
    return(list(Z = matrix(0, nrow(data), 0), blocks = integer()))
  }
  Zs <- list()
  blocks <- integer()
  names_all <- character()
  for (t in random) {
    vars <- all.vars(t$lhs)
    for (v in vars) {
      if (!v %in% names(data)) {
        glycotrial_abort("{.arg data} lacks column {.field {v}} used in a random-effect term.",
                         call = call)
      }
      lmm_check_re_numeric(data[[v]], v, call = call)
    }
    mm <- stats::model.matrix(t$lhs, data = data)
    if (ncol(mm) == 0) {
      glycotrial_abort("The random-effect term {.code {deparse(t$lhs[[2]])}} has no columns.",
                       call = call)
    }
    if (t$double_bar) {
      for (j in seq_len(ncol(mm))) {
        Zs[[length(Zs) + 1]] <- mm[, j, drop = FALSE]
        blocks <- c(blocks, 1L)
      }
    } else {
      Zs[[length(Zs) + 1]] <- mm
      blocks <- c(blocks, ncol(mm))
    }
    names_all <- c(names_all, colnames(mm))
  }
  Z <- do.call(cbind, Zs)
  colnames(Z) <- make.unique(names_all)
  list(Z = Z, blocks = blocks)
}

# Residual coordinates: visit indices (0-based, in the sorted order of the
# time variable's levels) for visit-based structures, times for spatial ones.
lmm_residual_coords <- function(residual, data, group, call = sys.call(-1)) {
  if (is.null(residual)) return(list(coords = numeric(nrow(data)), n_visits = 0L, levels = NULL))
  tv <- data[[residual$time]]
  if (is.null(tv)) {
    glycotrial_abort("{.arg data} lacks the residual time column {.field {residual$time}}.",
                     call = call)
  }
  info <- cpp_compiled_plugin_spatial(residual$key)
  if (info$spatial) {
    if (!is.numeric(tv)) {
      glycotrial_abort("The spatial structure {.val {residual$key}} needs a numeric time, not {describe_value(tv)}.",
                       call = call)
    }
    lev <- sort(unique(tv))
    coords <- as.numeric(tv)
  } else {
    f <- if (is.factor(tv)) droplevels(tv) else factor(tv)
    lev <- levels(f)
    coords <- as.numeric(f) - 1
  }
  key <- paste(group, coords, sep = "\r")
  if (!info$spatial && anyDuplicated(key)) {
    glycotrial_abort(c("Each subject may have at most one row per visit of {.field {residual$time}}.",
                       "x" = "Subject {.val {group[duplicated(key)][1]}} has duplicates."),
                     call = call)
  }
  list(coords = coords, n_visits = length(lev), levels = lev, spatial = info$spatial)
}
