# Methods for glycotrial_lmm objects (fit_lmm() and fit_joint()).

#' @importFrom nlme fixef ranef VarCorr
#' @export
nlme::fixef
#' @export
nlme::ranef
# VarCorr() is re-exported in R/mmrm_methods.R.

#' Methods for linear mixed model fits
#'
#' Accessors and inference for [fit_lmm()] fits. `ranef()` returns the
#' conditional modes with their conditional variances (attribute `condVar`,
#' a q x q x n_subjects array, the posterior variance given the estimated
#' variance parameters and beta, as `lme4::ranef(condVar = TRUE)`).
#' `anova()` gives F tests per fixed-effect term (marginal, i.e. Type III for
#' the columns of each term) with Satterthwaite or Kenward-Roger denominator
#' degrees of freedom; `summary()` the t tests with the same df (as lmerTest;
#' with Kenward-Roger the standard errors come from the adjusted covariance).
#' emmeans reference grids (`emmeans::emmeans(fit, ~ ARM)`) use
#' Satterthwaite df by default; `mode = "kenward-roger"` (or `lmer.df =`, as
#' for lme4 fits) uses the Kenward-Roger adjusted covariance and df, and
#' `mode = "asymptotic"` infinite df.
#' `predict()` gives population-level (`level = "population"`, `X beta`) or
#' subject-level (`X beta + Z b`) predictions, also for new data (subjects
#' not in the fit get their population prediction). With observation weights
#' (`fit_lmm(weights = )`), predictions and `fitted()` are the (unweighted)
#' linear predictors, `residuals(type = "pearson")` are the response
#' residuals divided by each row's residual SD `sqrt(R_ii / w_i)` (as
#' `residuals(type = "pearson", scaled = TRUE)` in lme4 and nlme's Pearson
#' residuals), and `simulate()` draws from `N(X beta, Z G Z' + W^{-1/2} R
#' W^{-1/2})`.
#'
#' @param object,x A `glycotrial_lmm` object.
#' @param newdata Optional data frame for predictions.
#' @param level `"subject"` or `"population"`.
#' @param type For `residuals()`: `"response"` (`y - fitted`) or
#'   `"pearson"` (divided by the residual SD of each row, weights included).
#' @param nsim Number of simulated responses.
#' @param seed Optional random seed.
#' @param parm Names of parameters: fixed effects and, for
#'   `method = "profile"`, variance components named as by `tidy()`
#'   (`sd__(Intercept)`, `cor__(Intercept).Days`, `sd__Observation`);
#'   `"beta_"` and `"theta_"` select all of either kind, as in lme4. Default:
#'   the fixed effects (Wald) or all parameters (profile).
#' @param method For `confint()`: `"Wald"` (fixed effects; `NA` for variance
#'   components) or `"profile"` (likelihood-ratio intervals from the ML
#'   deviance profiled over all other parameters, for fixed effects and for
#'   variance components on lme4's scale: random-effect SDs, their
#'   correlations and the residual SD. Each point is a constrained refit in
#'   the C++ core; REML fits are profiled on their ML refit, as lme4 does.
#'   SD intervals stop at 0 and correlation intervals at -1 / 1 when the
#'   profile does not reach the critical value).
#' @param ddf Degrees-of-freedom method for `anova()`/`summary()`/
#'   `lmm_contrast()`: `"Satterthwaite"`, `"Kenward-Roger"` (Kenward & Roger
#'   1997: the small-sample adjusted covariance of the fixed effects, scaled F
#'   and its denominator df; REML fits only. Without a residual structure as
#'   pbkrtest (variance parameters: the elements of G and the residual
#'   variance, in which V is linear). With a residual structure (or the joint
#'   model's Kronecker residual) the parameters are the elements of G and the
#'   structure's own parameters, whose second derivatives enter the
#'   adjustment as in mmrm's `"Kenward-Roger"`) or `"residual"` (n - p).
#' @param L Optional contrast matrix (rows) for `lmm_contrast()`.
#' @param type For `anova()` of one fit: `"III"` (default; also `3`) gives
#'   the SAS / lmerTest Type III tests, each term's contrasts orthogonal to
#'   the higher-order terms containing it (built as for [mmrm_fit()]'s
#'   anova, from the `contr.sum` parametrisation); `"marginal"` tests the
#'   fit's own (treatment-coded) columns of each term jointly, which for a
#'   main effect inside an interaction is its effect at the reference level
#'   of the other factor (what `anova()` reported as "Type III" before).
#' @param refit For `anova()` with several fits in `...`: refit REML fits by
#'   maximum likelihood before the likelihood-ratio tests (default, as
#'   `lme4::anova.merMod()`).
#' @param conf.int,conf.level For `tidy()`: add intervals at this level.
#'   `tidy()` takes `ddf` too: the fixed-effect rows carry the t tests of
#'   `summary(x, ddf = ddf)` with their `df` and the method in `df.method`,
#'   and the intervals are the matching t intervals
#'   `estimate -/+ qt(1 - (1 - conf.level) / 2, df) * std.error` (with
#'   Kenward-Roger the adjusted standard error), as lmerTest's t tests and
#'   emmeans' intervals. `confint(method = "Wald")` instead gives normal
#'   (z) intervals, as `lme4::confint.merMod(method = "Wald")`.
#' @param effects For `tidy()`: `"fixed"`, `"ran_pars"` or both.
#' @param digits Printing digits.
#' @param ... Unused.
#' @return The usual value of each generic. `augment()`: the model's rows
#'   (in the order of `data`, incomplete rows dropped) or `newdata`, with
#'   `.fitted` (subject-level prediction), `.fixed` (population-level) and
#'   `.resid` (response minus `.fitted`; `NA` when `newdata` lacks the
#'   response). `anova(fit1, fit2, ...)` compares nested fits by
#'   likelihood-ratio tests (`npar`, `AIC`, `BIC`, `logLik`, `deviance`,
#'   `Chisq`, `Df`, `Pr(>Chisq)`, models sorted by `npar`, as lme4).
#'   `anova()` of a model whose fixed part is only an intercept
#'   is an empty table (the intercept is not tested, as in lmerTest).
#' @examples
#' if (requireNamespace("lme4", quietly = TRUE)) {
#'   fit <- fit_lmm(Reaction ~ Days + (1 + Days | Subject), lme4::sleepstudy)
#'   summary(fit)
#'   head(ranef(fit))
#'   anova(fit)
#'   anova(fit, ddf = "Kenward-Roger")
#'   confint(fit)
#'   confint(fit, parm = "theta_", method = "profile")
#'   head(predict(fit, level = "population"))
#' }
#' @name lmm_methods
NULL

#' @rdname lmm_methods
#' @method fixef glycotrial_lmm
#' @export
fixef.glycotrial_lmm <- function(object, ...) object$coefficients

#' @rdname lmm_methods
#' @method ranef glycotrial_lmm
#' @export
ranef.glycotrial_lmm <- function(object, ...) {
  re <- as.data.frame(object$ranef, check.names = FALSE)
  cv <- simplify2array(object$condvar)
  cv <- array(as.numeric(cv), c(ncol(re), ncol(re), nrow(re)))
  attr(re, "condVar") <- cv
  re
}

#' @rdname lmm_methods
#' @method VarCorr glycotrial_lmm
#' @export
VarCorr.glycotrial_lmm <- function(x, ...) {
  G <- x$G
  sd <- sqrt(diag(G))
  cor <- G / outer(sd, sd)
  cor[!is.finite(cor)] <- 0
  structure(list(G = G, sd = sd, cor = cor, sigma = sqrt(x$sigma2),
                 residual = lmm_residual_summary(x), residual_pars = lmm_residual_pars(x)),
            class = "glycotrial_lmm_varcorr")
}

#' @export
print.glycotrial_lmm_varcorr <- function(x, digits = 4, ...) {
  if (!length(x$sd)) {
    cat("No random effects.\n")
  } else {
    lmm_print_re_table(x, digits)
  }
  if (!is.null(x$residual_pars)) {
    cat("Residual structure:", x$residual, "\n")
    print(data.frame(Parameter = x$residual_pars$term,
                     Estimate = signif(x$residual_pars$estimate, digits)), row.names = FALSE)
  } else if (!is.na(x$sigma)) {
    cat("Residual: variance ", signif(x$sigma^2, digits), ", SD ", signif(x$sigma, digits), "\n", sep = "")
  } else if (!is.null(x$residual)) {
    cat("Residual structure:", x$residual, "\n")
  }
  invisible(x)
}

lmm_print_re_table <- function(x, digits) {
  cat("Random effects (subject level):\n")
  tab <- data.frame(Name = names(x$sd), Variance = signif(diag(x$G), digits),
                    Std.Dev. = signif(x$sd, digits), check.names = FALSE)
  if (length(x$sd) > 1) {
    cm <- format(round(x$cor, 3), nsmall = 3)
    cm[upper.tri(cm, diag = TRUE)] <- ""
    tab <- cbind(tab, Corr = cm[, -ncol(cm), drop = FALSE])
  }
  print(tab, row.names = FALSE)
}

lmm_residual_summary <- function(object) {
  r <- object$design$residual
  if (is.null(r)) return("iid")
  if (!is.null(r$type) && r$type == "kronecker") return("bivariate Kronecker")
  sprintf("%s(%s | %s)", r$key, r$time, r$group)
}

#' @rdname lmm_methods
#' @method coef glycotrial_lmm
#' @export
coef.glycotrial_lmm <- function(object, ...) {
  re <- object$ranef
  b <- object$coefficients
  out <- matrix(b, nrow(re), length(b), byrow = TRUE, dimnames = list(rownames(re), names(b)))
  shared <- intersect(colnames(re), names(b))
  for (nm in shared) out[, nm] <- out[, nm] + re[, nm]
  as.data.frame(out, check.names = FALSE)
}

#' @rdname lmm_methods
#' @method vcov glycotrial_lmm
#' @export
vcov.glycotrial_lmm <- function(object, ...) object$vcov

#' @rdname lmm_methods
#' @method logLik glycotrial_lmm
#' @export
logLik.glycotrial_lmm <- function(object, ...) {
  structure(object$logLik, df = object$df_logLik, nobs = object$nobs, class = "logLik")
}

#' @rdname lmm_methods
#' @method nobs glycotrial_lmm
#' @export
nobs.glycotrial_lmm <- function(object, ...) object$nobs

#' @rdname lmm_methods
#' @method deviance glycotrial_lmm
#' @export
deviance.glycotrial_lmm <- function(object, ...) object$deviance

lmm_fitted_sorted <- function(object, level = "subject") {
  d <- object$design
  eta <- drop(d$X %*% object$coefficients)
  if (!is.null(d$offset)) eta <- eta + d$offset
  if (level == "subject") {
    b <- object$ranef[as.integer(d$subject), , drop = FALSE]
    eta <- eta + rowSums(d$Z * b)
  }
  eta
}

#' @rdname lmm_methods
#' @method fitted glycotrial_lmm
#' @export
fitted.glycotrial_lmm <- function(object, level = c("subject", "population"), ...) {
  level <- match.arg(level)
  lmm_in_data_order(object, lmm_fitted_sorted(object, level))
}

#' @rdname lmm_methods
#' @method residuals glycotrial_lmm
#' @export
residuals.glycotrial_lmm <- function(object, level = c("subject", "population"),
                                     type = c("response", "pearson"), ...) {
  level <- match.arg(level)
  type <- match.arg(type)
  lmm_residuals_common(object, lmm_fitted_sorted(object, level), lmm_residual_sd, type)
}

# Residual SD of each row in model order: sqrt(diag(R_i)) / sqrt(w).
lmm_residual_sd <- function(object) {
  d <- object$design
  sd <- if (is.null(d$residual)) {
    rep(sqrt(object$sigma2), length(d$y))
  } else {
    ptr <- lmm_ptr(object)
    unlist(lapply(seq_len(object$n_subjects), function(s) {
      rows <- seq.int(d$subject_start[s] + 1L, d$subject_start[s + 1L])
      sqrt(diag(cpp_lmm_residual_cov(ptr, object$theta_absolute, d$coords[rows],
                                     as.integer(d$groups[rows])), names = FALSE))
    }))
  }
  if (!is.null(d$weights)) sd <- sd / sqrt(d$weights)
  sd
}

#' @rdname lmm_methods
#' @method predict glycotrial_lmm
#' @export
predict.glycotrial_lmm <- function(object, newdata = NULL, level = c("subject", "population"),
                                   ...) {
  level <- match.arg(level)
  if (is.null(newdata)) return(fitted(object, level = level))
  check_data_frame(newdata)
  if (inherits(object, "glycotrial_joint")) {
    glycotrial_abort("{.fn predict} with {.arg newdata} is not available for joint models; use {.code object$joint$composite} or {.fn fitted}.")
  }
  d <- object$design
  eta <- lmm_population_eta(object, newdata)
  if (level == "subject") {
    g <- d$parsed$group
    if (!g %in% names(newdata)) {
      glycotrial_abort("{.arg newdata} lacks the grouping column {.field {g}} needed for subject-level predictions.")
    }
    Z <- lmm_random_design(d$parsed$random, newdata)$Z
    idx <- match(as.character(newdata[[g]]), rownames(object$ranef))
    b <- object$ranef[ifelse(is.na(idx), 1L, idx), , drop = FALSE]
    b[is.na(idx), ] <- 0
    eta <- eta + rowSums(Z * b)
  }
  unname(eta)
}

# Marginal covariance of one subject's responses (original scale).
lmm_subject_cov <- function(object, ptr, s) {
  d <- object$design
  rows <- seq.int(d$subject_start[s] + 1L, d$subject_start[s + 1L])
  Z <- d$Z[rows, , drop = FALSE]
  R <- cpp_lmm_residual_cov(ptr, object$theta_absolute, d$coords[rows], as.integer(d$groups[rows]))
  if (!is.null(d$weights)) {
    s <- 1 / sqrt(d$weights[rows])
    R <- R * outer(s, s)
  }
  list(rows = rows, Z = Z, R = R, V = Z %*% object$G %*% t(Z) + R)
}

#' @rdname lmm_methods
#' @method simulate glycotrial_lmm
#' @export
simulate.glycotrial_lmm <- function(object, nsim = 1, seed = NULL, ...) {
  check_count(nsim, lower = 1, len = 1)
  if (!is.null(seed)) set.seed(seed)
  d <- object$design
  ptr <- lmm_ptr(object)
  mu <- drop(d$X %*% object$coefficients)
  if (!is.null(d$offset)) mu <- mu + d$offset
  out <- matrix(NA_real_, length(mu), nsim)
  for (s in seq_len(object$n_subjects)) {
    sc <- lmm_subject_cov(object, ptr, s)
    L <- t(chol(sc$V + diag(1e-12 * max(diag(sc$V)), nrow(sc$V))))
    out[sc$rows, ] <- mu[sc$rows] + L %*% matrix(stats::rnorm(length(sc$rows) * nsim),
                                                  length(sc$rows), nsim)
  }
  out <- out[order(d$rows), , drop = FALSE]
  out <- as.data.frame(out)
  names(out) <- paste0("sim_", seq_len(nsim))
  out
}

#' @rdname lmm_methods
#' @method print glycotrial_lmm
#' @export
print.glycotrial_lmm <- function(x, digits = 4, ...) {
  cat("Linear mixed model fit by ", if (x$reml) "REML" else "maximum likelihood",
      " (glycotrial)\n", sep = "")
  cat("Formula:", paste(deparse(x$formula), collapse = " "), "\n")
  cat(sprintf("%s criterion: %.4f   logLik: %.4f   AIC: %.4f\n",
              if (x$reml) "REML" else "ML", x$deviance, x$logLik, stats::AIC(x)))
  cat(sprintf("%d observations, %d subjects (%d covariance patterns)%s\n", x$nobs,
              x$n_subjects, x$n_patterns, if (x$singular) ", boundary (singular) fit" else ""))
  print(VarCorr(x), digits = digits)
  cat("Fixed effects:\n")
  print(signif(x$coefficients, digits))
  invisible(x)
}

#' @rdname lmm_methods
#' @method summary glycotrial_lmm
#' @export
summary.glycotrial_lmm <- function(object, ddf = c("Satterthwaite", "Kenward-Roger", "residual"),
                                   ...) {
  ddf <- lmm_match_ddf(ddf)
  structure(list(fit = object, coefficients = lmm_coef_table(object, ddf), ddf = ddf),
            class = "summary.glycotrial_lmm")
}

#' @export
print.summary.glycotrial_lmm <- function(x, digits = 4, ...) {
  print(x$fit, digits = digits)
  cat("\nCoefficients (", x$ddf, " df):\n", sep = "")
  stats::printCoefmat(x$coefficients, digits = digits, has.Pvalue = TRUE)
  invisible(x)
}
