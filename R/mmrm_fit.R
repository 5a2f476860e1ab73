# mmrm_fit(): checks its arguments once and chains the exported stages
# (ARCHITECTURE.md): mmrm_formula() (R/mmrm_formula.R) -> mmrm_design()
# (R/mmrm_design.R: data -> design matrices, or pattern moments; the route is
# chosen there) -> mmrm_engine() (R/mmrm_engine.R: the C++ engine,
# src/core/mmrm/engine.hpp) -> the optimiser -> mmrm_result()
# (R/mmrm_result.R: the glycotrial_mmrm object).

mmrm_df_methods <- c("Kenward-Roger", "Kenward-Roger-Linear", "Satterthwaite",
                     "Between-Within", "Residual")
mmrm_vcov_types <- c("Asymptotic", "Kenward-Roger", "Kenward-Roger-Linear", "Empirical",
                     "Empirical-Jackknife", "Empirical-Bias-Reduced")

#' Control options for mmrm_fit()
#'
#' @param optimizers Optimisers tried in turn until one converges (a small
#'   gradient and a positive definite Hessian: a minimum, not a saddle point;
#'   each starts from the best point so far, moved off a saddle point along
#'   the direction of negative curvature; spatial structures then also try
#'   further starts of the range parameter):
#'   `"newton"` (Newton-Raphson with the exact Hessian of the C++ engine,
#'   Levenberg damping where it is not positive definite, and a line
#'   search), `"nlminb"`, `"BFGS"`, `"L-BFGS-B"` (driven with the analytic
#'   gradient).
#' @param start Optional starting values for the covariance parameters
#'   (unconstrained scale, all groups concatenated); `NULL` derives them from
#'   the empirical covariance of ordinary least-squares residuals (for
#'   `sp_exp`/`sp_gau`: the range parameter from the median within-subject
#'   distance of the times, so that the start suits their unit).
#' @param max_iter Maximum iterations per optimiser (at most
#'   `.Machine$integer.max`).
#' @param rel_tol Relative tolerance of the deviance for `nlminb`.
#' @param grad_tol Convergence is declared when the largest absolute gradient
#'   of the deviance is below `grad_tol * max(1, |deviance|)` after the
#'   optimiser and up to three Newton polishing steps.
#' @param accept_singular Drop aliased (linearly dependent) columns of the
#'   design matrix and report their coefficients as `NA` (as mmrm does)?
#'   With `FALSE` a rank-deficient design is an error.
#' @return A list of class `glycotrial_mmrm_control`.
#' @examples
#' mmrm_fit_control(optimizers = "BFGS")
#' @export
mmrm_fit_control <- function(optimizers = c("newton", "nlminb", "BFGS", "L-BFGS-B"), start = NULL,
                         max_iter = 1000L, rel_tol = 1e-12, grad_tol = 1e-6,
                         accept_singular = TRUE) {
  if (!is.character(optimizers) || !length(optimizers) ||
      !all(optimizers %in% c("newton", "nlminb", "BFGS", "L-BFGS-B"))) {
    glycotrial_abort("{.arg optimizers} must be a subset of {.val {c('newton', 'nlminb', 'BFGS', 'L-BFGS-B')}}; found {.val {optimizers}}.")
  }
  if (!is.null(start)) check_number(start, len = NULL)
  check_count(max_iter, lower = 1, len = 1)
  if (max_iter > .Machine$integer.max) {
    glycotrial_abort("{.arg max_iter} must be at most {(.Machine$integer.max)}; found {format(max_iter)}. A few hundred iterations are plenty: if an optimiser needs more, try another structure or rescale the data.")
  }
  check_number(rel_tol, lower = 0, open = TRUE)
  check_number(grad_tol, lower = 0, open = TRUE)
  check_flag(accept_singular)
  structure(list(optimizers = optimizers, start = start, max_iter = as.integer(max_iter),
                 rel_tol = rel_tol, grad_tol = grad_tol, accept_singular = accept_singular),
            class = "glycotrial_mmrm_control")
}

#' Fit a mixed model for repeated measures (MMRM)
#'
#' Fits a linear model with correlated residuals within subjects by REML or
#' ML, mmrm-style. The covariance structure is a term of the formula, e.g.
#' `CHG ~ BASE + ARM * AVISIT + us(AVISIT | USUBJID)`, grouped by a factor
#' with `us(AVISIT | ARM / USUBJID)` (separate parameters per group), or
#' spatial in a numeric time with `sp_exp(ADY | USUBJID)`. Built-in
#' structures: `us`, `toep`, `toeph`, `ar1`, `ar1h`, `ad`, `adh`, `cs`,
#' `csh`, `sp_exp`, `sp_gau` (same parametrisation as the R package mmrm);
#' structures added with [register_covariance()] or from compiled code work
#' the same way. The computation (per-visit-pattern moments, deviance,
#' analytic gradient, exact Hessian for Newton-Raphson and the covariance of
#' the variance parameters, Jacobians for the degrees of freedom) runs in C++.
#'
#' Rows with a missing response are not used (MMRM analyses the observed data
#' under missing at random); rows with missing covariates, visit, subject or
#' group are dropped with a message giving their number. Aliased design
#' columns give `NA` coefficients (see `mmrm_fit_control(accept_singular)`).
#'
#' @param formula Model formula with exactly one covariance term.
#' @param data Data frame in long format (one row per subject and visit), or a
#'   data source from [mmrm_data_dbi()], [mmrm_data_csv()] or
#'   [mmrm_data_chunks()] (fitted from pattern moments; also used for data
#'   frames of at least `getOption("glycotrial.mmrm_moment_rows", 250000)` rows).
#'   The visit levels of a data frame are put in visit order first (by
#'   `AVISITN` when present, with a message; see [order_visits()]).
#' @param reml Use REML (default) or ML.
#' @param weights Optional positive observation weights: a numeric vector of
#'   length `nrow(data)` or the name of a column of `data`. Subject `i`'s
#'   covariance is `W^{-1/2} Sigma W^{-1/2}`, as in mmrm.
#' @param df Degrees-of-freedom method for tests and intervals:
#'   `"Kenward-Roger"`, `"Kenward-Roger-Linear"`, `"Satterthwaite"`,
#'   `"Between-Within"` or `"Residual"`. With an empirical (sandwich) `vcov`,
#'   Satterthwaite df are those of Bell & McCaffrey (2002), as in mmrm.
#' @param vcov Covariance of the coefficients: `"Asymptotic"`,
#'   `"Kenward-Roger"`, `"Kenward-Roger-Linear"`, `"Empirical"` (CR0
#'   sandwich), `"Empirical-Jackknife"` or `"Empirical-Bias-Reduced"`.
#'   Default: the Kenward-Roger adjusted one for the Kenward-Roger methods,
#'   otherwise asymptotic.
#' @param control Options from [mmrm_fit_control()].
#' @param na.action What `fitted()`, `residuals()`, `predict()` (without
#'   `newdata`) and `augment()` return for the rows of `data` that the fit
#'   does not use (missing response or covariates), as for [stats::lm()]:
#'   [stats::na.omit()] (default; the used rows only) or [stats::na.exclude()]
#'   (every row of `data`, `NA` for the unused ones), or [stats::na.fail()]
#'   (an error when any row has a missing value). Either way the results are
#'   in the row order of `data`, named by its row names. (A function or its
#'   name.)
#' @return An object of class `glycotrial_mmrm`, a list with fields
#'   \describe{
#'   \item{`call`, `formula`, `formula_fixed`}{The call, the full formula and
#'     the formula without the covariance term.}
#'   \item{`cov_type`, `cov_spatial`, `cov_compiled`}{Key of the covariance
#'     structure, whether it is spatial, whether it is compiled.}
#'   \item{`response`, `visit_var`, `subject_var`, `group_var`}{Column names
#'     (`group_var` is `NULL` when ungrouped).}
#'   \item{`visit_levels`, `group_levels`}{Levels of the visit factor (or the
#'     distinct times for spatial structures) and of the group factor.}
#'   \item{`beta`}{Named coefficients including aliased ones as `NA`;
#'     `beta_est` only the estimable ones.}
#'   \item{`beta_vcov`}{Asymptotic covariance of `beta_est` (X'V^-1X)^-1;
#'     `beta_vcov_adj` the one chosen by `vcov` (used by `vcov()`,
#'     `summary()` and the tests).}
#'   \item{`theta`}{Covariance parameters on mmrm's unconstrained scale (all
#'     groups concatenated); `theta_vcov` their asymptotic covariance (inverse
#'     Hessian of minus the log-likelihood).}
#'   \item{`sigma`}{Estimated covariance matrix over the visits (a list by
#'     group when grouped); see `VarCorr()`.}
#'   \item{`loglik`, `deviance`, `reml`, `n_theta`, `n_obs`, `n_subjects`,
#'     `n_patterns`}{Fit statistics and sizes.}
#'   \item{`df_method`, `vcov_type`}{The chosen methods.}
#'   \item{`jac_list`}{Derivatives of the asymptotic `beta_vcov` in each
#'     `theta` (Satterthwaite); `kr` the Kenward-Roger pieces (`P` list,
#'     adjusted covariances) when computed.}
#'   \item{`convergence`}{A list: `converged`, `optimizer`, `iterations`,
#'     `max_gradient`, `hessian_pd`, `message`.}
#'   \item{`data`, `x_matrix`, `y`, `weights`, `subject`, `visit`, `group`,
#'     `rows`}{The model data in the engine's order (sorted by subject and
#'     visit), the full-rank design matrix, and `rows`, the row numbers in the
#'     original `data`; `n_dropped` rows with missing covariates.}
#'   \item{`terms`, `xlevels`, `contrasts`, `aliased`}{What is needed to
#'     rebuild the design matrix for new data.}
#'   }
#' @seealso The stages `mmrm_fit()` chains, to stop after any of them (e.g.
#'   for the deviance function of [mmrm_engine()] to profile):
#'   [mmrm_formula()] -> [mmrm_design()] -> [mmrm_engine()] ->
#'   `mmrm_optimise()` -> [mmrm_result()].
#' @references Mallinckrodt CH et al. (2008), Recommendations for the primary
#'   analysis of continuous endpoints in longitudinal clinical trials. Drug
#'   Information Journal 42:303-319. Kenward MG, Roger JH (1997), Small sample
#'   inference for fixed effects from restricted maximum likelihood.
#'   Biometrics 53:983-997. Sabanes Bove D et al., mmrm: Mixed Models for
#'   Repeated Measures (R package).
#' @examples
#' set.seed(1)
#' # levels in visit order (factor(paste0("W", c(4, 8, 12))) alone sorts them as
#' # text, W12 < W4 < W8; see order_visits())
#' wk <- paste0("W", c(4, 8, 12))
#' d <- expand.grid(USUBJID = factor(1:40), AVISIT = factor(wk, levels = wk))
#' d$ARM <- factor(ifelse(as.integer(d$USUBJID) %% 2 == 0, "Drug", "Placebo"))
#' d$CHG <- rnorm(nrow(d)) + 0.5 * (d$ARM == "Drug") +
#'   rep(rnorm(40), times = 3)
#' fit <- mmrm_fit(CHG ~ ARM * AVISIT + us(AVISIT | USUBJID), data = d)
#' fit
#' summary(fit)$coefficients
#' @export
mmrm_fit <- function(formula, data, reml = TRUE, weights = NULL,
                     df = c("Kenward-Roger", "Kenward-Roger-Linear", "Satterthwaite",
                            "Between-Within", "Residual"),
                     vcov = NULL, control = mmrm_fit_control(), na.action = stats::na.omit) {
  call <- match.call()
  # the arguments are checked here, once; the stages below trust them
  na_type <- mmrm_na_action_type(na.action)
  if (missing(df)) df <- df[1]
  inf <- mmrm_check_inference(reml, df, vcov)
  mmrm_check_control(control)
  spec <- mmrm_formula(formula)
  design <- mmrm_design_impl(spec, data, weights, control, na_type, inf$df, inf$vcov)
  engine <- mmrm_engine_impl(design, reml)
  optimum <- mmrm_run_optimiser(engine, control)
  mmrm_result_impl(optimum, engine, inf$df, inf$vcov, call)
}

# ---- stage 3: optimisation ---------------------------------------------------

# Starting values from the empirical covariance of OLS residuals, computed
# by the engine from its pattern moments (cpp_mmrm_ols_residual_covariance():
# average r_a r_b per visit pair, mean r^2 per group), mapped to each built-in
# structure's parameters by mmrm_start_theta(); user structures use their
# start function (or zeros).
mmrm_start <- function(design, plugin, engine) {
  k <- design$n_visits
  K <- design$n_theta_group
  if (!plugin$compiled) {
    st <- if (is.function(plugin$impl$start)) plugin$impl$start(k) else rep(0, K)
    th <- rep(st, design$n_groups)
  } else {
    rc <- cpp_mmrm_ols_residual_covariance(engine)
    th <- unlist(lapply(seq_len(design$n_groups), function(g) {
      v <- rc$variance[g]
      if (plugin$spatial) return(c(log(v), 0))
      mmrm_start_theta(rc$S[[g]], plugin, K, fallback_var = v)
    }))
    if (plugin$spatial) return(mmrm_spatial_starts(design, plugin, engine, th))
  }
  th[!is.finite(th)] <- 0
  th
}

# Spatial structures: the range parameter must suit the unit of time. With
# rho = plogis(theta2) fixed at 0.5 (theta2 = 0), times in weeks or days make
# rho^d (rho^(d^2) for sp_gau) vanish for every pair of visits, and the
# deviance is flat in theta2: the optimiser stops on that plateau (a saddle
# point). The starts put the correlation at the median within-subject
# distance d_med at 0.1, 0.3, 0.5, 0.7 or 0.9 (rho = c^(1 / d_med^p), p = 1
# for sp_exp, 2 for sp_gau); the one with the lowest deviance is used, the
# others are kept as restarts (attribute "alternatives") for
# mmrm_optimise().
mmrm_spatial_starts <- function(design, plugin, engine, th) {
  K <- length(th)
  dmed <- mmrm_median_distance(design$coord, design$subject_start)
  p <- if (identical(plugin$key, "sp_gau")) 2 else 1
  cands <- list(th)
  if (is.finite(dmed) && dmed > 0 && plugin$key %in% c("sp_exp", "sp_gau")) {
    for (cc in c(0.5, 0.3, 0.7, 0.1, 0.9)) {
      rho <- exp(log(cc) / dmed^p)
      t2 <- stats::qlogis(rho)
      if (!is.finite(t2)) next
      x <- th
      x[seq(2, K, by = 2)] <- t2
      cands[[length(cands) + 1]] <- x
    }
  }
  dev <- vapply(cands, function(x) {
    v <- tryCatch(as.numeric(cpp_mmrm_deviance(engine, x, FALSE)), error = function(e) NA_real_)
    if (is.finite(v)) v else Inf
  }, numeric(1))
  o <- order(dev)
  o <- o[is.finite(dev[o])]
  if (!length(o)) return(th)
  out <- cands[[o[1]]]
  attr(out, "alternatives") <- cands[o[-1]]
  out
}

# Median distance between two times of the same subject (at most 2000
# subjects looked at).
mmrm_median_distance <- function(coord, subject_start) {
  n_s <- length(subject_start) - 1L
  if (n_s < 1L) return(NA_real_)
  use <- unique(round(seq(1, n_s, length.out = min(n_s, 2000L))))
  d <- unlist(lapply(use, function(s) {
    if (subject_start[s + 1L] - subject_start[s] < 2L) return(NULL)
    t <- coord[(subject_start[s] + 1L):subject_start[s + 1L]]
    dd <- abs(outer(t, t, "-"))
    dd[lower.tri(dd)]
  }))
  d <- d[is.finite(d) & d > 0]
  if (!length(d)) NA_real_ else stats::median(d)
}

# Starting theta for a visit structure from an empirical covariance S
# (k x k, NA where no pair was observed): user structures use their start
# function (or zeros); built-ins map variances and (lag-averaged)
# correlations to their parameters.
mmrm_start_theta <- function(S, plugin, K, fallback_var = NULL) {
  k <- nrow(S)
  if (!plugin$compiled) {
    if (is.function(plugin$impl$start)) return(plugin$impl$start(k))
    return(rep(0, K))
  }
  vars <- diag(S)
  if (is.null(fallback_var) || !is.finite(fallback_var) || fallback_var <= 0) {
    fallback_var <- stats::median(vars[is.finite(vars) & vars > 0])
  }
  if (!is.finite(fallback_var)) fallback_var <- 1
  vars[!is.finite(vars) | vars <= 0] <- fallback_var
  sds <- sqrt(vars)
  C <- S / outer(sds, sds)
  C[!is.finite(C)] <- 0
  diag(C) <- 1
  clamp <- function(r) pmin(pmax(r, -0.9), 0.9)
  to_theta <- function(r) {
    r <- clamp(r)
    r / sqrt(1 - r^2)
  }
  lagmean <- function(l) {
    idx <- cbind(seq_len(k - l) + l, seq_len(k - l))
    mean(C[idx], na.rm = TRUE)
  }
  # mmrm's cs map: rho = (k plogis(theta) - 1) / (k - 1).
  cs_theta <- function(r) if (k > 1) stats::qlogis((min(r, 0.9) * (k - 1) + 1) / k) else 0
  mean_off <- if (k > 1) mean(C[lower.tri(C)], na.rm = TRUE) else 0
  switch(plugin$key,
    us = {
      S2 <- diag(sds, k) %*% (C + diag(1e-3, k)) %*% diag(sds, k) / 1.001
      L <- tryCatch(t(chol(S2)), error = function(e) diag(sds, k))
      d <- diag(L)
      off <- unlist(lapply(seq_len(k)[-1], function(i) L[i, seq_len(i - 1)] / d[i]))
      c(log(d), off)
    },
    toep = c(log(mean(sds)), if (k > 1) to_theta(sapply(seq_len(k - 1), lagmean) * 0.5)),
    toeph = c(log(sds), if (k > 1) to_theta(sapply(seq_len(k - 1), lagmean) * 0.5)),
    ar1 = c(log(mean(sds)), to_theta(if (k > 1) lagmean(1) else 0)),
    ar1h = c(log(sds), to_theta(if (k > 1) lagmean(1) else 0)),
    ad = c(log(mean(sds)), if (k > 1) to_theta(C[cbind(2:k, 1:(k - 1))])),
    adh = c(log(sds), if (k > 1) to_theta(C[cbind(2:k, 1:(k - 1))])),
    cs = c(log(mean(sds)), cs_theta(max(mean_off, 0))),
    csh = c(log(sds), cs_theta(max(mean_off, 0))),
    rep(0, K))
}

# Row route: engine from the design matrix, starting values from OLS
# residuals, then the shared optimiser.
mmrm_fit_design <- function(design, reml, control, plugin) {
  engine <- mmrm_engine(design, plugin, reml)
  mmrm_optimise(engine, control, plugin, default_start = function() mmrm_start(design, plugin, engine))
}

# The optimiser shared by the row route (above) and the moment route
# (moments_fit() in R/mmrm_moments.R): checks control$start or takes
# default_start() (zeros when that is unusable), tries the optimisers of
# `control` in turn, each followed by Newton polishing (to grad_tol *
# polish_factor), and returns theta, the deviance, its Hessian and the
# convergence diagnostics.
mmrm_optimise <- function(engine, control, plugin, default_start, polish_factor = 1) {
  K <- cpp_mmrm_info(engine)$n_theta
  start <- control$start
  if (!is.null(start) && length(start) != K) {
    glycotrial_abort("{.arg control$start} must have {K} value{?s} (covariance parameters), not {length(start)}.",
                     call = NULL)
  }
  alternatives <- list()
  if (is.null(start)) {
    start <- default_start()
    alternatives <- attr(start, "alternatives")
    attr(start, "alternatives") <- NULL
    if (length(start) != K) start <- rep(0, K)
    start[!is.finite(start)] <- 0
    if (!is.finite(cpp_mmrm_deviance(engine, start, FALSE))) start <- rep(0, K)
  }
  if (!is.finite(cpp_mmrm_deviance(engine, start, FALSE))) {
    glycotrial_abort(c(
      "The deviance is not finite at the starting values.",
      "i" = "The usual cause is the scale of the data: rescale the response and covariates (e.g. other units, or divide by a power of 10) so that their values lie roughly within 1e-6 to 1e6.",
      "i" = if (is.null(control$start)) "Otherwise try another covariance structure." else "Check {.code mmrm_fit_control(start = )}: it gives a non-finite deviance."),
      class = "numerical", call = NULL)
  }
  fn <- function(th) {
    v <- cpp_mmrm_deviance(engine, th, FALSE)
    if (!is.finite(v)) 1e300 else as.numeric(v)
  }
  gr <- function(th) {
    v <- cpp_mmrm_deviance(engine, th, TRUE)
    g <- attr(v, "gradient")
    if (!is.finite(v) || any(!is.finite(g))) rep(0, length(th)) else g
  }
  polish_control <- control
  polish_control$grad_tol <- control$grad_tol * polish_factor
  best <- NULL
  tried <- character()
  # Converged means a small gradient AND a positive definite Hessian (a
  # minimum, not a saddle point or a plateau). Until then the optimisers of
  # `control` run in turn, each started from the best point so far, moved
  # off a saddle point along the direction of negative curvature
  # (mmrm_saddle_escape()); then the alternative starts (spatial structures).
  is_done <- function(b) {
    !is.null(b) && is.finite(b$value) && b$max_gradient <= control$grad_tol * max(1, abs(b$value)) &&
      mmrm_hessian_pd(b$hessian)
  }
  run_one <- function(opt, x0) {
    res <- tryCatch({
      if (opt == "newton") {
        mmrm_newton(engine, x0, polish_control)
      } else if (opt == "nlminb") {
        o <- stats::nlminb(x0, fn, gr, control = list(iter.max = control$max_iter,
                                                     eval.max = 2 * control$max_iter,
                                                     rel.tol = control$rel_tol))
        list(par = o$par, value = o$objective, iterations = o$iterations,
             code = o$convergence, message = o$message)
      } else {
        # optim() warns about tolerances its method does not use.
        ctl <- if (opt == "L-BFGS-B") list(maxit = control$max_iter, factr = 10) else
          list(maxit = control$max_iter, reltol = 1e-14)
        o <- stats::optim(x0, fn, gr, method = opt, control = ctl)
        list(par = o$par, value = o$value, iterations = o$counts[["function"]],
             code = o$convergence, message = if (is.null(o$message)) "" else o$message)
      }
    }, error = function(e) e)
    # A bad input (e.g. a user covariance returning the wrong shape) is not an
    # optimiser failure: report it rather than trying the next optimiser.
    if (inherits(res, "glycotrial_error_input")) stop(res)
    if (inherits(res, "error") || is.null(res) || !is.finite(res$value)) return(NULL)
    res$optimizer <- opt
    # Newton is polished already; the others get Newton polishing steps.
    pol <- if (identical(opt, "newton")) res$polished else mmrm_polish(engine, res$par, polish_control)
    if (!is.finite(pol$value)) return(NULL)
    res$par <- pol$par
    res$value <- pol$value
    res$max_gradient <- pol$max_gradient
    res$hessian <- pol$hessian
    res$jacobian <- pol$jacobian
    res
  }
  better <- function(res, b) {
    if (is.null(res)) return(FALSE)
    if (is.null(b)) return(TRUE)
    # a minimum beats a stationary point that is not one
    if (is_done(res) != is_done(b)) return(is_done(res) && res$value <= b$value + 1e-8 * max(1, abs(b$value)))
    res$value <= b$value
  }
  for (opt in control$optimizers) {
    tried <- c(tried, opt)
    x0 <- if (is.null(best)) start else mmrm_saddle_escape(engine, best)
    res <- run_one(opt, x0)
    if (better(res, best)) best <- res
    if (is_done(best)) break
  }
  # Further starts (spatial range parameters) when no optimiser reached a
  # minimum from the first one.
  for (x0 in alternatives) {
    if (is_done(best)) break
    for (opt in control$optimizers) {
      tried <- c(tried, opt)
      res <- run_one(opt, x0)
      if (better(res, best)) best <- res
      if (is_done(res)) break
    }
  }
  tried <- unique(tried)
  if (is.null(best)) {
    glycotrial_abort("All optimisers failed ({.val {tried}}).", class = "convergence", call = NULL)
  }
  conv_ok <- best$max_gradient <= control$grad_tol * max(1, abs(best$value))
  hess_pd <- mmrm_hessian_pd(best$hessian)
  msg <- if (conv_ok && hess_pd) "converged" else if (!conv_ok) {
    sprintf("largest absolute gradient %.3g exceeds the tolerance", best$max_gradient)
  } else {
    "the Hessian of the deviance is not positive definite at the optimum"
  }
  list(engine = engine, theta = best$par, deviance = best$value, hessian = best$hessian,
       jacobian = best$jacobian, convergence = list(converged = conv_ok && hess_pd, optimizer = best$optimizer,
                          optimizers_tried = tried, iterations = best$iterations,
                          max_gradient = best$max_gradient, hessian_pd = hess_pd,
                          optimizer_code = best$code, message = msg),
       plugin = plugin)
}

mmrm_hessian_pd <- function(H) {
  if (is.null(H) || !all(is.finite(H))) return(FALSE)
  ev <- tryCatch(eigen(H, symmetric = TRUE, only.values = TRUE)$values,
                 error = function(e) NA_real_)
  all(is.finite(ev)) && min(ev) > 0
}

# From a stationary point that is not a minimum (Hessian with a negative or
# zero eigenvalue), step along the eigenvector of the smallest eigenvalue
# (both signs, several lengths) to the lowest deviance found; otherwise
# return the point unchanged.
mmrm_saddle_escape <- function(engine, best) {
  x <- best$par
  H <- best$hessian
  if (is.null(H) || !all(is.finite(H)) || mmrm_hessian_pd(H)) return(x)
  e <- eigen(H, symmetric = TRUE)
  v <- e$vectors[, length(e$values)]
  f0 <- best$value
  cand <- NULL
  fbest <- f0
  for (a in c(0.1, 0.3, 1, 3, 10)) {
    for (sg in c(1, -1)) {
      y <- x + sg * a * v
      f <- tryCatch(as.numeric(cpp_mmrm_deviance(engine, y, FALSE)), error = function(e) NA_real_)
      if (is.finite(f) && f < fbest - 1e-8 * max(1, abs(f0))) {
        fbest <- f
        cand <- y
      }
    }
  }
  if (is.null(cand)) x else cand
}

# Newton-Raphson on the deviance in the C++ engine (newton() of the MmrmEngine class:
# exact Hessians at the start and the end, BFGS updates of it in between,
# Levenberg damping, backtracking, a last Newton step to rounding
# precision). Stops when the largest absolute gradient is below
# grad_tol * 1e-3 * max(1, |deviance|). Returns NULL when the deviance is not
# finite at the start.
mmrm_newton <- function(engine, theta, control) {
  # Newton needs few iterations when it works; past 100 the next optimiser
  # of control$optimizers is the better bet.
  r <- cpp_mmrm_newton(engine, theta, control$grad_tol, min(control$max_iter, 100L))
  if (is.null(r)) return(NULL)
  mg <- max(abs(r$gradient))
  pol <- list(par = r$par, value = r$value, max_gradient = mg,
              hessian = r$hessian, jacobian = r$jacobian)
  list(par = r$par, value = r$value, iterations = r$iterations,
       code = if (r$converged) 0L else 1L, message = "", polished = pol,
       n_hessian = r$n_hessian, n_gradient = r$n_gradient)
}

# Newton steps with the exact Hessian after another optimiser: take its
# answer to the precision the degrees of freedom need.
mmrm_polish <- function(engine, theta, control) {
  d <- cpp_mmrm_derivatives(engine, theta, TRUE)
  if (!is.finite(d$deviance)) {
    dev <- cpp_mmrm_deviance(engine, theta, TRUE)
    return(list(par = theta, value = as.numeric(dev), max_gradient = Inf,
                hessian = matrix(NA_real_, length(theta), length(theta)), jacobian = NULL))
  }
  for (i in 1:3) {
    g <- d$gradient
    tol <- control$grad_tol * max(1, abs(d$deviance))
    if (max(abs(g)) <= tol * 1e-3) break
    step <- tryCatch(solve(d$hessian, g), error = function(e) NULL)
    if (is.null(step) || any(!is.finite(step))) break
    accepted <- FALSE
    for (a in c(1, 0.5, 0.25, 0.1)) {
      d_new <- cpp_mmrm_derivatives(engine, theta - a * step, TRUE)
      if (is.finite(d_new$deviance) && d_new$deviance <= d$deviance + 1e-10 * abs(d$deviance) &&
          max(abs(d_new$gradient)) < max(abs(g))) {
        theta <- theta - a * step
        d <- d_new
        accepted <- TRUE
        break
      }
    }
    if (!accepted) break
  }
  list(par = theta, value = d$deviance, max_gradient = max(abs(d$gradient)),
       hessian = d$hessian, jacobian = d$jacobian)
}

