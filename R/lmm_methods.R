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

# Satterthwaite machinery: covariance of the absolute variance parameters
# (2 H^-1, H the Hessian of the deviance) and the Jacobian of vcov(beta).
lmm_satterthwaite_setup <- function(object) {
  if (inherits(object, "glycotrial_lmm_multi")) return(lmm_sparse_satterthwaite_setup(object))
  env <- object$cache
  if (!is.null(env$satt)) return(env$satt)
  ptr <- lmm_ptr(object)
  phi <- object$theta_absolute
  H <- cpp_lmm_hessian(ptr, phi, FALSE)
  A <- tryCatch(2 * solve(H), error = function(e) 2 * MASS_ginv(H))
  jac <- lapply(seq_along(phi), function(j) {
    h <- 1e-4 * max(1, abs(phi[j]))
    pp <- phi; pp[j] <- pp[j] + h
    pm <- phi; pm[j] <- pm[j] - h
    (cpp_lmm_evaluate(ptr, pp, FALSE, FALSE)$vcov - cpp_lmm_evaluate(ptr, pm, FALSE, FALSE)$vcov) / (2 * h)
  })
  env$satt <- list(A = A, jac = jac)
  env$satt
}

# Kenward-Roger setup (Phi, Phi_A, P_j, W), computed in the core and cached.
lmm_kr_setup <- function(object) {
  env <- object$cache
  if (!is.null(env$kr)) return(env$kr)
  if (!object$reml) {
    glycotrial_abort(c("Kenward-Roger df are defined for REML fits only.",
                       "i" = "Refit with {.code reml = TRUE} or use {.code ddf = \"Satterthwaite\"}."),
                     call = NULL)
  }
  kr <- if (inherits(object, "glycotrial_lmm_multi")) {
    lmm_sparse_kr_setup(object)
  } else {
    cpp_lmm_kr_setup(lmm_ptr(object), object$theta_absolute)
  }
  nm <- names(object$coefficients)
  dimnames(kr$phi) <- dimnames(kr$phi_adj) <- list(nm, nm)
  env$kr <- kr
  kr
}

lmm_match_ddf <- function(ddf) {
  choices <- c("Satterthwaite", "Kenward-Roger", "residual")
  if (identical(ddf, choices)) return(choices[1])
  check_choice(ddf, choices, arg = "ddf")
}

MASS_ginv <- function(X, tol = sqrt(.Machine$double.eps)) {
  s <- svd(X)
  pos <- s$d > max(tol * s$d[1L], 0)
  s$v[, pos, drop = FALSE] %*% ((1 / s$d[pos]) * t(s$u[, pos, drop = FALSE]))
}

lmm_df_1 <- function(object, l, setup) {
  v <- drop(t(l) %*% object$vcov %*% l)
  g <- vapply(setup$jac, function(J) drop(t(l) %*% J %*% l), numeric(1))
  2 * v^2 / drop(t(g) %*% setup$A %*% g)
}

#' @rdname lmm_methods
#' @export
lmm_contrast <- function(object, L, ddf = c("Satterthwaite", "Kenward-Roger", "residual")) {
  if (!inherits(object, "glycotrial_lmm")) {
    glycotrial_abort("{.arg object} must be a {.fn fit_lmm} fit, not {describe_value(object)}.")
  }
  ddf <- lmm_match_ddf(ddf)
  if (!is.numeric(L) || anyNA(L) || any(!is.finite(L))) {
    glycotrial_abort("{.arg L} must be a finite numeric vector or matrix, not {describe_value(L)}.")
  }
  if (is.null(dim(L))) L <- matrix(L, nrow = 1)
  if (ncol(L) != length(object$coefficients)) {
    glycotrial_abort("{.arg L} must have {length(object$coefficients)} columns, not {ncol(L)}.")
  }
  est <- drop(L %*% object$coefficients)
  V <- L %*% object$vcov %*% t(L)
  q <- nrow(L)
  if (ddf == "residual") {
    df <- object$nobs - length(object$coefficients)
    F <- drop(t(est) %*% solve(V, est)) / q
    return(list(estimate = est, se = sqrt(diag(V)), F = F, num_df = q, den_df = df,
                p.value = stats::pf(F, q, df, lower.tail = FALSE)))
  }
  if (ddf == "Kenward-Roger") {
    kr <- lmm_kr_setup(object)
    r <- cpp_lmm_kr_test(kr, L)
    VA <- L %*% kr$phi_adj %*% t(L)
    F <- r$f_scaling * drop(t(est) %*% solve(VA, est)) / q
    return(list(estimate = est, se = sqrt(diag(VA)), F = F, num_df = q, den_df = r$df,
                p.value = stats::pf(F, q, r$df, lower.tail = FALSE)))
  }
  setup <- lmm_satterthwaite_setup(object)
  if (q == 1) {
    df <- lmm_df_1(object, drop(L), setup)
    F <- est^2 / drop(V)
  } else {
    # Fai & Cornelius (1996) as in lmerTest::contestMD: q one-df tests on the
    # eigenvectors of L V L'.
    e <- eigen(V, symmetric = TRUE)
    tol <- sqrt(.Machine$double.eps)
    pos <- e$values > tol * max(e$values)
    q <- sum(pos)
    P <- t(e$vectors[, pos, drop = FALSE])
    PL <- P %*% L
    t2 <- drop(PL %*% object$coefficients)^2 / e$values[pos]
    F <- sum(t2) / q
    nu <- vapply(seq_len(q), function(i) lmm_df_1(object, PL[i, ], setup), numeric(1))
    E <- sum((nu / (nu - 2))[nu > 2])
    df <- if (E > q) 2 * E / (E - q) else NA_real_
  }
  list(estimate = est, se = sqrt(diag(V)), F = F, num_df = q, den_df = df,
       p.value = stats::pf(F, q, df, lower.tail = FALSE))
}

#' @rdname lmm_methods
#' @method anova glycotrial_lmm
#' @export
anova.glycotrial_lmm <- function(object, ..., ddf = c("Satterthwaite", "Kenward-Roger", "residual"),
                                 type = c("III", "marginal"), refit = TRUE) {
  dots <- list(...)
  is_fit <- vapply(dots, inherits, logical(1), what = "glycotrial_lmm")
  if (length(dots) && !all(is_fit)) {
    glycotrial_abort(c("{.fn anova} takes further {.fn fit_lmm} fits in {.arg ...} only.",
                       "x" = "Found {describe_value(dots[!is_fit][[1]])}."))
  }
  if (length(dots)) {
    cl <- match.call(expand.dots = FALSE)
    labs <- c(deparse1(cl$object), vapply(cl$..., deparse1, ""))
    return(lmm_anova_lrt(c(list(object), dots), labs, refit))
  }
  ddf <- lmm_match_ddf(ddf)
  if (identical(type, c("III", "marginal"))) type <- "III"
  if (identical(as.character(type), "3")) type <- "III"
  if (!is.character(type) || length(type) != 1 || !type %in% c("III", "marginal")) {
    glycotrial_abort(c("{.arg type} must be {.val III} (or 3) or {.val marginal}, not {describe_value(type)}.",
                       "i" = "Type II tests are available for {.fn mmrm_fit} fits."))
  }
  if (inherits(object, "glycotrial_joint")) {
    glycotrial_abort(c("{.fn anova} F tests per term are not available for joint models (two responses share the terms).",
                       "i" = "Test the coefficients of interest with {.fn lmm_contrast}."),
                     class = c("glycotrial_error_unsupported", "input"))
  }
  Ls <- if (type == "III") lmm_type3_contrasts(object) else lmm_marginal_contrasts(object)
  rows <- lapply(names(Ls), function(term) {
    L <- Ls[[term]]
    if (!nrow(L)) return(NULL)
    r <- lmm_contrast(object, L, ddf = ddf)
    data.frame(NumDF = r$num_df, DenDF = r$den_df, `F value` = r$F, `Pr(>F)` = r$p.value,
               check.names = FALSE, row.names = term)
  })
  out <- do.call(rbind, rows)
  heading <- if (type == "III") sprintf("Type III F tests (%s df)\n", ddf) else
    sprintf("Marginal F tests of the fit's coefficients per term (%s df)\n", ddf)
  if (is.null(out)) {
    # Intercept-only (or no) fixed part: nothing to test, as lmerTest.
    out <- data.frame(NumDF = numeric(), DenDF = numeric(), `F value` = numeric(),
                      `Pr(>F)` = numeric(), check.names = FALSE)
    heading <- c(heading, "No fixed-effect terms to test (the intercept is not tested).\n")
  }
  structure(out, heading = heading, class = c("anova", "data.frame"))
}

# Likelihood-ratio tests between nested fits, as lme4's anova(m1, m2): REML
# fits are refitted by ML first (refit = TRUE), models sorted by their number
# of parameters, each compared with the previous one.
lmm_anova_lrt <- function(fits, labs, refit) {
  check_flag(refit)
  n <- vapply(fits, function(f) f$nobs, numeric(1))
  if (length(unique(n)) > 1) {
    glycotrial_abort(c("The models in {.fn anova} must be fitted to the same observations.",
                       "x" = "Numbers of observations: {n}."))
  }
  if (refit) {
    fits <- lapply(fits, function(f) {
      if (!f$reml) f else if (inherits(f, "glycotrial_lmm_multi")) {
        lmm_fit_sparse_design(f$design, reml = FALSE)
      } else lmm_ml_fit(f)
    })
  }
  ll <- vapply(fits, function(f) f$logLik, numeric(1))
  np <- vapply(fits, function(f) f$df_logLik, numeric(1))
  o <- order(np)
  ll <- ll[o]; np <- np[o]
  chisq <- c(NA, 2 * pmax(diff(ll), 0))
  df <- c(NA, diff(np))
  p <- ifelse(!is.na(df) & df > 0, stats::pchisq(chisq, df, lower.tail = FALSE), NA_real_)
  out <- data.frame(npar = np, AIC = -2 * ll + 2 * np, BIC = -2 * ll + log(n[1]) * np,
                    logLik = ll, deviance = -2 * ll, Chisq = chisq, Df = df, `Pr(>Chisq)` = p,
                    check.names = FALSE, row.names = make.unique(labs[o]))
  structure(out, heading = sprintf("Likelihood-ratio tests (%s fits)\n",
                                   if (refit || !any(vapply(fits, `[[`, TRUE, "reml"))) "ML" else "REML"),
            class = c("anova", "data.frame"))
}

lmm_coef_table <- function(object, ddf = "Satterthwaite") {
  b <- object$coefficients
  se <- sqrt(diag(object$vcov))
  if (ddf == "Kenward-Roger") {
    kr <- lmm_kr_setup(object)
    se <- sqrt(diag(kr$phi_adj))
  }
  df <- if (ddf == "Kenward-Roger") {
    vapply(seq_along(b), function(j) {
      l <- matrix(0, 1, length(b)); l[j] <- 1
      cpp_lmm_kr_test(kr, l)$df
    }, numeric(1))
  } else if (ddf == "Satterthwaite") {
    setup <- lmm_satterthwaite_setup(object)
    vapply(seq_along(b), function(j) {
      l <- numeric(length(b)); l[j] <- 1
      lmm_df_1(object, l, setup)
    }, numeric(1))
  } else rep(object$nobs - length(b), length(b))
  t <- b / se
  data.frame(Estimate = b, `Std. Error` = se, df = df, `t value` = t,
             `Pr(>|t|)` = 2 * stats::pt(abs(t), df, lower.tail = FALSE), check.names = FALSE)
}

#' @rdname lmm_methods
#' @method confint glycotrial_lmm
#' @export
confint.glycotrial_lmm <- function(object, parm, level = 0.95, method = c("Wald", "profile"),
                                   ...) {
  method <- match.arg(method)
  check_number(level, lower = 0, upper = 1, open = TRUE)
  b <- object$coefficients
  vc <- lmm_vc_table(object)
  if (missing(parm)) parm <- if (method == "profile") c(vc$name, names(b)) else names(b)
  parm <- lmm_confint_parm(parm, names(b), vc$name)
  z <- stats::qnorm(1 - (1 - level) / 2)
  out <- matrix(NA_real_, length(parm), 2)
  is_b <- parm %in% names(b)
  if (method == "profile") {
    for (k in seq_along(parm)) {
      nm <- parm[k]
      out[k, ] <- if (is_b[k]) {
        lmm_profile_beta(object, nm, z, sqrt(object$vcov[nm, nm]))
      } else {
        lmm_profile_vc(object, vc[vc$name == nm, , drop = FALSE], z)
      }
    }
  } else if (any(is_b)) {
    se <- sqrt(diag(object$vcov))[parm[is_b]]
    out[is_b, ] <- cbind(b[parm[is_b]] - z * se, b[parm[is_b]] + z * se)
  }
  dimnames(out) <- list(parm, sprintf("%.1f %%", 100 * c((1 - level) / 2, 1 - (1 - level) / 2)))
  out
}

# Variance components on lme4's scale, in lme4's order (per block: the lower
# triangle column by column, SDs on the diagonal and correlations below it;
# then the residual SD when the residual is iid), named as tidy() names them.
lmm_vc_table <- function(object) {
  G <- object$G
  nm <- colnames(G)
  blocks <- object$design$blocks
  rows <- list()
  off <- 0L
  for (k in seq_along(blocks)) {
    bsz <- blocks[k]
    for (c in seq_len(bsz)) {
      for (r in c:bsz) {
        gi <- off + r
        gj <- off + c
        if (r == c) {
          rows[[length(rows) + 1]] <- data.frame(
            name = paste0("sd__", nm[gi]), kind = "sd", block = k, i = r, j = r,
            estimate = sqrt(G[gi, gi]), stringsAsFactors = FALSE)
        } else {
          rows[[length(rows) + 1]] <- data.frame(
            name = paste0("cor__", nm[gj], ".", nm[gi]), kind = "cor", block = k, i = c, j = r,
            estimate = G[gi, gj] / sqrt(G[gi, gi] * G[gj, gj]), stringsAsFactors = FALSE)
        }
      }
    }
    off <- off + bsz
  }
  if (is.null(object$design$residual)) {
    rows[[length(rows) + 1]] <- data.frame(name = "sd__Observation", kind = "sigma", block = 0L,
                                           i = 0L, j = 0L, estimate = sqrt(object$sigma2),
                                           stringsAsFactors = FALSE)
  }
  do.call(rbind, rows)
}

# The ML fit used for likelihood profiles (a REML fit's ML refit, cached).
lmm_ml_fit <- function(object) {
  if (!object$reml) return(object)
  env <- object$cache
  if (is.null(env$ml)) {
    env$ml <- if (inherits(object, "glycotrial_lmm_multi")) {
      lmm_fit_sparse_design(object$design, reml = FALSE)
    } else {
      lmm_fit_design(object$design, reml = FALSE)
    }
  }
  env$ml
}

# Profile-likelihood interval of one variance component: the signed root of
# the ML deviance difference with the component fixed and all other variance
# parameters re-optimised in the core (beta profiled out), solved for +-z.
# SDs are bounded below by 0 and correlations by -1 and 1: when the profile
# does not reach the bound's zeta, the bound itself is returned (as lme4).
lmm_profile_vc <- function(object, row, z) {
  ml <- lmm_ml_fit(object)
  vc <- lmm_vc_table(ml)
  row <- vc[vc$name == row$name, , drop = FALSE]
  ptr <- lmm_ptr(ml)
  th0 <- ml$theta_absolute
  dev0 <- ml$deviance
  est <- row$estimate
  ctl <- lmm_control()
  dev <- function(v) {
    cpp_lmm_profile_vc(ptr, row$kind, row$block - 1L, row$i - 1L, row$j - 1L, v, th0,
                       ctl$max_iter, ctl$grad_tol, ctl$newton_steps)$deviance
  }
  zeta <- function(v) sign(v - est) * sqrt(max(dev(v) - dev0, 0))
  tol <- 1e-9 * max(1, abs(est))
  if (row$kind == "cor") {
    edge <- 1 - 1e-7
    lo <- if (est <= -edge || zeta(-edge) > -z) -1 else
      stats::uniroot(function(v) zeta(v) + z, c(-edge, est), tol = tol)$root
    hi <- if (est >= edge || zeta(edge) < z) 1 else
      stats::uniroot(function(v) zeta(v) - z, c(est, edge), tol = tol)$root
    return(c(lo, hi))
  }
  ref <- sqrt(ml$sigma2)
  if (!is.finite(ref)) ref <- ml$y_scale
  eps <- max(est, 1e-8 * ref) * 1e-4
  lo <- if (zeta(eps) > -z) 0 else
    stats::uniroot(function(v) zeta(v) + z, c(eps, est), tol = tol)$root
  hi <- max(2 * est, 0.1 * ref)
  k <- 0
  while (zeta(hi) < z && k < 40) {
    hi <- 2 * hi
    k <- k + 1
  }
  up <- stats::uniroot(function(v) zeta(v) - z, c(est, hi), tol = tol)$root
  c(lo, up)
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

# tidy() is re-exported in R/covariate_adjusted.R.
#' @importFrom generics tidy glance
#' @export
generics::glance

#' @rdname lmm_methods
#' @method tidy glycotrial_lmm
#' @export
tidy.glycotrial_lmm <- function(x, effects = c("fixed", "ran_pars"), conf.int = FALSE,
                                conf.level = 0.95,
                                ddf = c("Satterthwaite", "Kenward-Roger", "residual"), ...) {
  effects <- match.arg(effects, several.ok = TRUE)
  check_flag(conf.int)
  check_number(conf.level, lower = 0, upper = 1, open = TRUE)
  ddf <- lmm_match_ddf(ddf)
  out <- NULL
  if ("fixed" %in% effects) {
    tab <- lmm_coef_table(x, ddf)
    fx <- data.frame(effect = "fixed", term = rownames(tab), estimate = tab$Estimate,
                     std.error = tab$`Std. Error`, statistic = tab$`t value`, df = tab$df,
                     p.value = tab$`Pr(>|t|)`, df.method = ddf, stringsAsFactors = FALSE)
    if (conf.int) {
      # t intervals with the df of the chosen method (and, for Kenward-Roger,
      # the adjusted SE), consistent with the reported t tests.
      qt <- stats::qt(1 - (1 - conf.level) / 2, fx$df)
      fx$conf.low <- fx$estimate - qt * fx$std.error
      fx$conf.high <- fx$estimate + qt * fx$std.error
    }
    out <- fx
  }
  if ("ran_pars" %in% effects) {
    vc <- VarCorr(x)
    nm <- names(vc$sd)
    rp <- data.frame(effect = rep("ran_pars", length(nm)), term = paste0("sd__", nm)[seq_along(nm)],
                     estimate = unname(vc$sd), stringsAsFactors = FALSE)
    if (length(nm) > 1) {
      idx <- which(lower.tri(vc$cor), arr.ind = TRUE)
      rp <- rbind(rp, data.frame(effect = "ran_pars",
                                 term = paste0("cor__", nm[idx[, 2]], ".", nm[idx[, 1]]),
                                 estimate = vc$cor[idx], stringsAsFactors = FALSE))
    }
    if (!is.null(vc$residual_pars)) {
      rp <- rbind(rp, data.frame(effect = "ran_pars", term = vc$residual_pars$term,
                                 estimate = vc$residual_pars$estimate, stringsAsFactors = FALSE))
    } else if (!is.na(vc$sigma)) {
      rp <- rbind(rp, data.frame(effect = "ran_pars", term = "sd__Observation",
                                 estimate = vc$sigma, stringsAsFactors = FALSE))
    }
    out <- if (is.null(out)) rp else merge(out, rp, all = TRUE, sort = FALSE)
  }
  rownames(out) <- NULL
  out
}

#' @rdname lmm_methods
#' @method augment glycotrial_lmm
#' @export
augment.glycotrial_lmm <- function(x, newdata = NULL, ...) {
  d <- x$design
  if (is.null(newdata)) {
    # the rows used, in the data's order (na.exclude padding does not apply)
    x$na.action <- NULL
    data <- d$data[order(d$rows), , drop = FALSE]
    data$.fitted <- unname(stats::fitted(x))
    data$.fixed <- unname(stats::fitted(x, level = "population"))
    data$.resid <- unname(stats::residuals(x))
  } else {
    check_data_frame(newdata)
    data <- newdata
    data$.fitted <- stats::predict(x, newdata = data)
    data$.fixed <- stats::predict(x, newdata = data, level = "population")
    resp <- d$parsed$fixed[[2]]
    y <- if (is.null(resp)) NULL else
      tryCatch(as.numeric(eval(resp, data, environment(d$parsed$fixed))), error = function(e) NULL)
    data$.resid <- if (length(y) == nrow(data)) y - data$.fitted else NA_real_
  }
  rownames(data) <- NULL
  data
}

#' @rdname lmm_methods
#' @method glance glycotrial_lmm
#' @export
glance.glycotrial_lmm <- function(x, ...) {
  data.frame(nobs = x$nobs, n_subjects = x$n_subjects,
             sigma = if (is.finite(x$sigma2)) sqrt(x$sigma2) else NA_real_,
             logLik = x$logLik, AIC = stats::AIC(x), BIC = stats::BIC(x),
             REMLcrit = if (x$reml) x$deviance else NA_real_,
             deviance = if (x$reml) NA_real_ else x$deviance,
             singular = x$singular, converged = x$converged)
}

# emmeans support (registered when emmeans loads): the reference grid uses
# the fixed-effects terms and, by default, the Satterthwaite df of each
# linear function; `mode` / `lmer.df = "kenward-roger"` as for lme4 fits.
#' @include plugins_registry.R
NULL

recover_data_glycotrial_lmm <- function(object, data = NULL, ...) {
  if (inherits(object, "glycotrial_joint")) {
    glycotrial_abort("emmeans support is for {.fn fit_lmm} fits, not joint models.")
  }
  d <- object$design
  if (is.null(data)) data <- d$data
  emmeans::recover_data(object$call, stats::delete.response(d$terms), na.action = NULL,
                        data = data, ...)
}

# emmeans mode (alias lmer.df, as for lme4 fits): "satterthwaite" (default),
# "kenward-roger" (adjusted covariance Phi_A, KR df of each linear function)
# or "asymptotic" (df = Inf).
emm_basis_glycotrial_lmm <- function(object, trms, xlev, grid, mode = "satterthwaite", lmer.df,
                                     ...) {
  if (!missing(lmer.df)) mode <- lmer.df
  modes <- c("satterthwaite", "kenward-roger", "asymptotic")
  if (!is.character(mode) || length(mode) != 1 || is.na(mode) ||
      is.na(pmatch(tolower(mode), modes))) {
    glycotrial_abort("{.arg mode} (or {.arg lmer.df}) must be one of {.val {modes}}, not {describe_value(mode)}.")
  }
  mode <- modes[pmatch(tolower(mode), modes)]
  m <- stats::model.frame(trms, grid, na.action = stats::na.pass, xlev = xlev)
  X <- stats::model.matrix(trms, m, contrasts.arg = object$design$contrasts)
  bhat <- object$coefficients
  X <- X[, names(bhat), drop = FALSE]
  V <- object$vcov
  if (mode == "kenward-roger") {
    kr <- lmm_kr_setup(object)
    V <- kr$phi_adj
    # Self-contained KR df of L beta (pbkrtest's Lb_ddf, as lmm_contrast()):
    # phi and P on the core's standardised scale, W their weights.
    dffun <- function(k, dfargs) {
      L <- if (is.matrix(k)) k else matrix(as.numeric(k), nrow = 1)
      phi <- dfargs$phi
      q <- nrow(L)
      Theta <- t(L) %*% solve(L %*% phi %*% t(L), L)
      u <- lapply(dfargs$P, function(Pj) Theta %*% phi %*% Pj %*% phi)
      tr <- vapply(u, function(x) sum(diag(x)), numeric(1))
      K <- length(u)
      A1 <- sum(dfargs$W * outer(tr, tr))
      A2 <- 0
      for (i in seq_len(K)) for (j in seq_len(K)) A2 <- A2 + dfargs$W[i, j] * sum(u[[i]] * t(u[[j]]))
      B <- (A1 + 6 * A2) / (2 * q)
      g <- ((q + 1) * A1 - (q + 4) * A2) / ((q + 2) * A2)
      den <- 3 * q + 2 * (1 - g)
      c1 <- g / den
      c2 <- (q - g) / den
      c3 <- (q + 2 - g) / den
      V0 <- 1 + c1 * B
      V1 <- 1 - c2 * B
      V2 <- 1 - c3 * B
      if (abs(V0) < 1e-10) V0 <- 0
      num <- 1 - A2 / q
      ratio <- if (abs(num) < 1e-14 && abs(V1) < 1e-14) 1 else num / V1
      rho <- ratio^2 * V0 / V2 / q
      4 + (q + 2) / (q * rho - 1)
    }
    dfargs <- list(phi = kr$phi / kr$scale2, P = kr$P, W = kr$W)
  } else if (mode == "satterthwaite") {
    setup <- lmm_satterthwaite_setup(object)
    # Self-contained (emmeans may evaluate dffun outside this namespace):
    # Satterthwaite df = 2 v^2 / (g' A g), as lmm_df_1().
    dffun <- function(k, dfargs) {
      k <- as.numeric(k)
      v <- sum(k * (dfargs$V %*% k))
      g <- vapply(dfargs$jac, function(J) sum(k * (J %*% k)), numeric(1))
      2 * v^2 / sum(g * (dfargs$A %*% g))
    }
    dfargs <- list(V = object$vcov, jac = setup$jac, A = setup$A)
  } else {
    dffun <- function(k, dfargs) Inf
    dfargs <- list()
  }
  attr(dffun, "mesg") <- mode
  list(X = X, bhat = bhat, nbasis = matrix(NA), V = V, dffun = dffun, dfargs = dfargs,
       misc = list())
}

add_builtin_plugins("lmm", function() {
  add_s3_interop("emmeans", "recover_data", "glycotrial_lmm", recover_data_glycotrial_lmm)
  add_s3_interop("emmeans", "emm_basis", "glycotrial_lmm", emm_basis_glycotrial_lmm)
})

# Profile-likelihood interval of one fixed effect: the signed root of the ML
# deviance difference, with beta_j fixed (moved to an offset) and everything
# else re-maximised, solved for +-z by uniroot (Venzon & Moolgavkar 1988).
lmm_profile_beta <- function(object, name, z, se) {
  d <- object$design
  ml <- lmm_ml_fit(object)
  j <- match(name, colnames(d$X))
  bhat <- ml$coefficients[[name]]
  dev0 <- ml$deviance
  dj <- d
  dj$X <- d$X[, -j, drop = FALSE]
  if (ncol(dj$X) == 0) dj$X <- matrix(0, nrow(d$X), 0)
  multi <- inherits(object, "glycotrial_lmm_multi")
  if (!multi && ncol(dj$X) == 0) {
    glycotrial_abort(c("Profile intervals for fixed effects need at least two fixed effects; the model has only {.val {name}}.",
                       "i" = "Use {.code parm = \"theta_\"} for the variance components, or {.code method = \"Wald\"}."),
                     call = NULL)
  }
  prof_dev <- function(bj) {
    dj$y <- d$y - d$X[, j] * bj
    if (multi) return(lmm_fit_sparse_design(dj, reml = FALSE)$deviance)
    lmm_fit_design(dj, reml = FALSE)$deviance
  }
  zeta <- function(bj) sign(bj - bhat) * sqrt(max(prof_dev(bj) - dev0, 0))
  se_ml <- sqrt(ml$vcov[name, name])
  lower <- stats::uniroot(function(x) zeta(x) + z, c(bhat - 3 * z * se_ml, bhat),
                          extendInt = "upX", tol = 1e-8 * max(1, abs(bhat)))$root
  upper <- stats::uniroot(function(x) zeta(x) - z, c(bhat, bhat + 3 * z * se_ml),
                          extendInt = "upX", tol = 1e-8 * max(1, abs(bhat)))$root
  c(lower, upper)
}
