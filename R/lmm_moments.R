# fit_lmm() on out-of-core data, where the design allows it:
# when the random-effect design of a row depends only on its visit -- random
# intercept and slopes in one variable that is the visit key itself (e.g.
# (1 + WEEK | USUBJID), one row per subject and WEEK), optionally with a
# residual covariance structure over the same visits -- the marginal
# covariance of a subject is the submatrix, at its visits, of one k x k matrix
#   Sigma(theta) = Z G Z' + R,   R = sigma^2 I or a registered structure,
# with Z the k x q random design at the k visit values. The likelihood is then
# that of an MMRM with this structured covariance, so the MMRM pattern-moment
# route (one data pass over chunks, files, Parquet or a database table; see
# mmrm_moments.R) fits it exactly. The structure is handed to the MMRM engine
# as an unregistered R covariance plugin with analytic derivatives.

#' @include plugins_registry.R interop-emmeans.R
NULL

# Does fit_lmm() take the moment route for this `data`?
lmm_use_moments <- function(data) inherits(data, "glycotrial_mmrm_source")

lmm_moment_abort <- function(msg, .envir = parent.frame()) {
  glycotrial_abort(c(msg,
                     "i" = "Out-of-core {.fn fit_lmm} needs one grouping factor and a random-effect design that depends only on the visit: random intercept and/or slopes in one numeric variable with one row per subject and value (e.g. {.code (1 + WEEK | USUBJID)}), optionally with a residual structure over the same variable.",
                     "i" = "Otherwise fit a data frame."),
                   class = c("input", "glycotrial_error_moment_route"), call = NULL, .envir = .envir)
}

# The visit-level design of the random effects: which variable keys the
# visits, the terms, and the residual structure.
lmm_moment_spec <- function(formula) {
  if (lmm_sparse_needed(formula)) {
    lmm_moment_abort("The formula has several grouping factors (nested or crossed); the out-of-core route supports one.")
  }
  parsed <- lmm_parse_formula(formula)
  slope_vars <- unique(unlist(lapply(parsed$random, function(t) all.vars(t$lhs))))
  res <- parsed$residual
  if (length(slope_vars) > 1) {
    lmm_moment_abort("Random slopes in several variables ({.field {slope_vars}}) make the random design depend on more than the visit.")
  }
  if (!is.null(res)) {
    if (isTRUE(cpp_compiled_plugin_spatial(res$key)$spatial)) {
      lmm_moment_abort("The spatial residual structure {.val {res$key}} is not supported by the out-of-core route.")
    }
    visit <- res$time
  } else if (length(slope_vars)) {
    visit <- slope_vars
  } else {
    lmm_moment_abort("A random intercept alone without a residual structure has no visit variable to key the covariance by.")
  }
  # a slope variable other than the visit variable must be constant within
  # each visit (checked from the distinct pairs found by the data pass)
  value <- if (length(slope_vars) && !identical(slope_vars, visit)) slope_vars
  list(parsed = parsed, visit = visit, slope = slope_vars, value = value)
}

# Value of the slope variable at each visit level, from the distinct
# (visit, value) pairs of the rows with a response.
lmm_moment_visit_values <- function(pairs, vl, visit, value) {
  parts <- strsplit(pairs, "\r", fixed = TRUE)
  pv <- vapply(parts, `[`, "", 1)
  pw <- suppressWarnings(as.numeric(vapply(parts, function(x) if (length(x) > 1) x[2] else NA_character_, "")))
  vapply(vl, function(l) {
    w <- unique(pw[pv == l])
    if (anyNA(w)) {
      lmm_moment_abort("The random slope variable {.field {value}} is missing (or not numeric) in rows with a response at visit {.val {l}} of {.field {visit}}.")
    }
    if (length(w) != 1) {
      lmm_moment_abort("The random slope variable {.field {value}} is not constant within visit {.val {l}} of {.field {visit}} (values {.val {utils::head(sort(w), 4)}}), so the random design depends on more than the visit.")
    }
    w
  }, 1)
}

# Random design at the k visit values: Z (k x q), blocks (sizes of the
# correlated blocks, as lmm_random_design()).
lmm_moment_z <- function(random, visit, values) {
  df <- data.frame(.row = seq_along(values))
  df[[visit]] <- values
  rd <- lmm_random_design(random, df, call = NULL)
  list(Z = unname(rd$Z), blocks = rd$blocks, names = colnames(rd$Z))
}

# G from the log-Cholesky parameters of each block (in C++, as the engine).
lmm_moment_g <- function(theta, blocks) cpp_log_cholesky_cov(as.numeric(theta), as.integer(blocks))

lmm_moment_n_g <- function(blocks) sum(blocks * (blocks + 1L) / 2L)

# The covariance "plugin" for the MMRM engine: Z G Z' + R at the visits of
# a pattern, with analytic derivatives, evaluated in C++
# (src/core/covariance/visit_re_covariance.hpp).
lmm_moment_plugin <- function(Z, blocks, residual, rank, start) {
  k <- nrow(Z)
  n_g <- lmm_moment_n_g(blocks)
  n_r <- if (is.null(residual)) 1L else as.integer(cpp_covariance_info(residual$key, k)$n_theta)
  visit_re <- list(Z = Z, blocks = as.integer(blocks), residual_key = residual$key,
                   residual_coords = as.numeric(rank))
  list(key = "lmm_moments", compiled = FALSE, spatial = FALSE,
       impl = list(n_theta = function(n_visits) n_g + n_r, spatial = FALSE,
                   start = function(n_visits) start, visit_re = visit_re),
       n_g = n_g, n_r = n_r)
}

# fit_lmm() for a data source (mmrm_data_chunks(), _csv(), _parquet(), _dbi()).
lmm_fit_moments <- function(call, formula, data, reml, weights, control) {
  check_flag(reml)
  ms <- lmm_moment_spec(formula)
  parsed <- ms$parsed
  lmm_refuse_offset(parsed$fixed, "{.fn fit_lmm} on a data source")
  if (!is.null(weights)) {
    # fit_lmm() weights scale only the residual (Z G Z' + sigma^2 W^-1); the
    # moment data pass scales whole rows (W^-1/2 Sigma W^-1/2, as mmrm)
    glycotrial_abort(c("{.arg weights} are not supported by {.fn fit_lmm} on a data source yet.",
                       "i" = "Fit a data frame, or drop {.arg weights}."),
                     class = c("input", "glycotrial_error_moment_route"))
  }
  spec <- list(fixed = parsed$fixed, visit = ms$visit, subject = parsed$group, group = NULL,
               formula = formula, response = deparse(parsed$fixed[[2]]))
  roles <- moments_roles(spec, weights)
  roles$visit_alias <- TRUE
  roles$visit_value <- ms$value
  pass <- mmrm_data_pass(data, roles)
  mom <- pass$moments
  enc <- pass$encoding
  if (!length(mom$patterns) || mom$n_obs == 0) {
    glycotrial_abort("No complete rows remain after removing missing values.", call = NULL)
  }
  used <- sort(unique(unlist(lapply(mom$patterns, `[[`, "visits"))))
  vl <- enc$visit_levels[used + 1L]
  k <- length(vl)
  values <- suppressWarnings(as.numeric(vl))
  numeric_visits <- all(is.finite(values))
  slope_values <- if (!is.null(ms$value)) {
    lmm_moment_visit_values(enc$schema[[".visit"]]$pairs, vl, ms$visit, ms$value)
  } else {
    values
  }
  if (length(ms$slope) && !all(is.finite(slope_values))) {
    glycotrial_abort("Random-effect variable {.field {ms$slope}} must be numeric; found values {.val {utils::head(vl[!is.finite(slope_values)], 3)}}.",
                     call = NULL)
  }
  # visit order for the residual structure: given levels as given, numeric
  # visits by value (as factor() orders them in memory), others as sorted
  given <- !is.null(data$levels[[ms$visit]])
  rank <- if (!given && numeric_visits) rank(values, ties.method = "first") - 1 else seq_len(k) - 1
  zd <- lmm_moment_z(parsed$random, if (length(ms$slope)) ms$slope else ms$visit,
                     if (length(ms$slope)) slope_values else seq_len(k))
  # start: half of the OLS residual variance to the random intercept (or the
  # residual structure), the rest to the residual
  p <- length(enc$colnames)
  XY <- moments_crossprod(mom, p)
  b_ols <- tryCatch(qr.solve(XY[seq_len(p), seq_len(p)], XY[seq_len(p), p + 1]),
                    error = function(e) rep(0, p))
  s2 <- max((XY[p + 1, p + 1] - sum(b_ols * XY[seq_len(p), p + 1])) / mom$n_obs, 1e-8)
  n_g <- lmm_moment_n_g(zd$blocks)
  th_g <- numeric(n_g)
  kk <- 0L
  for (b in zd$blocks) for (j in seq_len(b)) for (i in j:b) {
    kk <- kk + 1L
    if (i == j) th_g[kk] <- 0.5 * log(if (kk == 1L) s2 / 2 else s2 / 20 / max(1, max(abs(slope_values))^2))
  }
  th_r <- if (is.null(parsed$residual)) 0.5 * log(s2 / 2) else {
    mmrm_start_theta(diag(s2 / 2, k), list(compiled = TRUE, key = parsed$residual$key),
                     cpp_covariance_info(parsed$residual$key, as.integer(k))$n_theta)
  }
  plugin <- lmm_moment_plugin(zd$Z, zd$blocks, parsed$residual, rank, c(th_g, th_r))
  spec$plugin <- plugin
  spec$key <- plugin$key
  mctl <- mmrm_fit_control(accept_singular = FALSE)
  mctl$max_iter <- control$max_iter %||% mctl$max_iter
  fit <- moments_fit(mom, enc, spec, reml, df = "Satterthwaite", vcov = "Asymptotic", control = mctl)
  fit$call <- call  # emmeans recovers the reference grid through it
  theta <- fit$theta
  G <- lmm_moment_g(theta[seq_len(plugin$n_g)], zd$blocks)
  dimnames(G) <- list(zd$names, zd$names)
  beta <- fit$beta
  V <- fit$beta_vcov
  out <- list(
    coefficients = beta, vcov = V, G = G,
    sigma2 = if (is.null(parsed$residual)) exp(2 * theta[plugin$n_g + 1]) else NA_real_,
    residual_theta = if (!is.null(parsed$residual)) theta[plugin$n_g + seq_len(plugin$n_r)],
    theta = theta, marginal_sigma = fit$sigma, visit_levels = fit$visit_levels,
    deviance = fit$deviance, logLik = -fit$deviance / 2,
    df_logLik = length(beta) + length(theta), reml = reml,
    nobs = as.integer(fit$n_obs), n_subjects = as.integer(fit$n_subjects), n_patterns = fit$moments$n_patterns,
    converged = isTRUE(fit$convergence$converged), convergence = fit$convergence,
    singular = any(abs(diag(G)) < control$singular_tol * max(1, max(abs(diag(G))))),
    design = list(residual = parsed$residual), parsed = parsed, visit_var = ms$visit,
    formula = formula, call = call, data_source = class(data)[1], moments_only = TRUE,
    df_residual = fit$n_obs - length(beta),
    # the MMRM fit behind it: fixed-effect inference (see summary() below)
    engine_fit = fit)
  if (!is.null(parsed$residual)) {
    # residual covariance over the visits: marginal minus Z G Z'
    R <- tryCatch({
      m <- fit$sigma - zd$Z %*% G %*% t(zd$Z)
      dimnames(m) <- list(as.character(fit$visit_levels), as.character(fit$visit_levels))
      m
    }, error = function(e) NULL)
    if (!is.null(R) && all(is.finite(R))) {
      out$residual_cov <- R
      out$sigma2 <- mean(diag(R))
    }
  }
  class(out) <- "glycotrial_lmm_moments"
  out
}

# ---- methods ---------------------------------------------------------------------

lmm_moments_need_rows <- function(what) {
  glycotrial_abort(c(
    "{what} need{?s} the data rows, which a fit from pattern moments (chunked, file, Parquet or database data) does not keep.",
    "i" = "Fit a data frame with {.fn fit_lmm} for conditional modes, conditional predictions and residuals."),
    class = c("input", "glycotrial_error_moments_only"), call = NULL)
}

#' @export
fixef.glycotrial_lmm_moments <- function(object, ...) object$coefficients

#' @export
coef.glycotrial_lmm_moments <- function(object, ...) object$coefficients

#' @export
vcov.glycotrial_lmm_moments <- function(object, ...) object$vcov

#' @export
logLik.glycotrial_lmm_moments <- function(object, ...) {
  structure(object$logLik, df = object$df_logLik, nobs = object$nobs, class = "logLik")
}

#' @export
nobs.glycotrial_lmm_moments <- function(object, ...) object$nobs

#' @export
deviance.glycotrial_lmm_moments <- function(object, ...) object$deviance

#' @export
# same fields (G, sigma2, residual structure) as an in-memory fit
VarCorr.glycotrial_lmm_moments <- function(x, ...) VarCorr.glycotrial_lmm(x, ...)

#' @export
ranef.glycotrial_lmm_moments <- function(object, ...) lmm_moments_need_rows("Conditional modes (ranef)")

#' @export
fitted.glycotrial_lmm_moments <- function(object, ...) lmm_moments_need_rows("Fitted values")

#' @export
residuals.glycotrial_lmm_moments <- function(object, ...) lmm_moments_need_rows("Residuals")

#' @export
predict.glycotrial_lmm_moments <- function(object, ...) lmm_moments_need_rows("Predictions")

#' @export
simulate.glycotrial_lmm_moments <- function(object, ...) lmm_moments_need_rows("Simulation")

#' @export
print.glycotrial_lmm_moments <- function(x, digits = 4, ...) {
  cat("Linear mixed model fitted from pattern moments (", x$data_source, ") by ",
      if (x$reml) "REML" else "ML", "\n", sep = "")
  cat("Formula:", paste(deparse(x$formula), collapse = " "), "\n")
  cat(x$nobs, " observations, ", x$n_subjects, " subjects, ", x$n_patterns,
      " visit patterns; logLik ", format(x$logLik, digits = 8), "\n", sep = "")
  print(VarCorr(x), digits = digits)
  cat("Fixed effects:\n")
  se <- sqrt(diag(x$vcov))
  print(data.frame(Estimate = x$coefficients, `Std. Error` = se, check.names = FALSE),
        digits = digits)
  invisible(x)
}

# Fixed-effect inference. The pattern-moment fit is an MMRM whose covariance is
# the LMM's marginal covariance, so its Satterthwaite df, F tests, intervals
# and least-squares means are those of the LMM; they come from that fit
# (tested against the in-memory fit_lmm() and lmerTest).

#' @export
summary.glycotrial_lmm_moments <- function(object, ...) {
  out <- list(fit = object, coefficients = summary(object$engine_fit)$coefficients,
              varcorr = VarCorr(object), logLik = logLik(object),
              AIC = stats::AIC(object), BIC = stats::BIC(object))
  class(out) <- "summary.glycotrial_lmm_moments"
  out
}

#' @export
print.summary.glycotrial_lmm_moments <- function(x, digits = 4, ...) {
  f <- x$fit
  cat("Linear mixed model fitted from pattern moments (", f$data_source, ") by ",
      if (f$reml) "REML" else "ML", "\n", sep = "")
  cat("Formula:", paste(deparse(f$formula), collapse = " "), "\n")
  cat(f$nobs, " observations, ", f$n_subjects, " subjects; logLik ",
      format(as.numeric(x$logLik), digits = 8), ", AIC ", format(x$AIC, digits = 8),
      ", BIC ", format(x$BIC, digits = 8), "\n", sep = "")
  print(x$varcorr, digits = digits)
  cat("Fixed effects (Satterthwaite df):\n")
  stats::printCoefmat(x$coefficients, digits = digits, has.Pvalue = TRUE, P.values = TRUE)
  invisible(x)
}

#' @export
anova.glycotrial_lmm_moments <- function(object, ...) {
  if (length(list(...)) && any(vapply(list(...), is.list, logical(1)))) {
    glycotrial_abort("Comparing several fits needs per-row data; {.fn anova} on a fit from a data source tests its fixed-effect terms only.",
                     class = c("input", "glycotrial_error_moments_only"), call = NULL)
  }
  stats::anova(object$engine_fit, ...)
}

#' @export
confint.glycotrial_lmm_moments <- function(object, parm, level = 0.95, ...) {
  if (missing(parm)) stats::confint(object$engine_fit, level = level, ...)
  else stats::confint(object$engine_fit, parm = parm, level = level, ...)
}
