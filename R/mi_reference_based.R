# Reference-based multiple imputation under intercurrent events (issue 20):
# conditional-mean imputation (Wolbers et al. 2022) with jackknife or bootstrap
# standard errors, bootstrapped ML and approximate Bayesian MI by random draws
# (R/mi_draws.R), rbmi's semantics, the resampling loop in C++ (src/core/mi).

#' Conditional-mean imputation method
#'
#' The imputation model is an MMRM of the outcome on
#' `group + visit + covariates` with an unstructured (or other) covariance,
#' fitted by REML as in rbmi's `method_condmean()`. Each subject's missing
#' visits are set to their conditional mean given its observed visits under its
#' intercurrent-event strategy (see [mi_reference_based()] for the formulas).
#' Standard errors come from the jackknife (one refit per left-out subject) or
#' from a bootstrap over subjects stratified by arm.
#'
#' @param type `"jackknife"` or `"bootstrap"`.
#' @param n_samples Number of bootstrap samples (bootstrap only).
#' @param covariance Covariance structure of the imputation model (a compiled
#'   structure key of [mmrm_fit()], default `"us"`).
#' @param same_cov One covariance matrix for all arms (`TRUE`, rbmi's default)
#'   or one per arm.
#' @param reml Fit by REML (`TRUE`, rbmi's default) or ML.
#' @param threshold Bootstrap only: the largest share of failed fits tolerated.
#' @return A list of class `glycotrial_mi_method`.
#' @examples
#' mi_condmean(type = "jackknife")
#' mi_condmean(type = "bootstrap", n_samples = 200)
#' @export
mi_condmean <- function(type = c("jackknife", "bootstrap"), n_samples = NULL, covariance = "us",
                        same_cov = TRUE, reml = TRUE, threshold = 0.01) {
  type <- match.arg(type)
  check_string(covariance)
  check_flag(same_cov)
  check_flag(reml)
  check_number(threshold, lower = 0, upper = 1)
  if (type == "bootstrap") {
    check_count(n_samples, lower = 2, len = 1)
  } else if (!is.null(n_samples)) {
    glycotrial_abort("{.arg n_samples} must be {.code NULL} for the jackknife; found {n_samples}.")
  }
  structure(list(method = "condmean", type = type, n_samples = n_samples, covariance = covariance,
                 same_cov = same_cov, reml = reml, threshold = threshold),
            class = "glycotrial_mi_method")
}

#' Reference-based multiple imputation
#'
#' Imputes the missing outcomes of a longitudinal trial under the
#' intercurrent-event strategies of `data_ice`, analyses each visit by ANCOVA
#' and pools the treatment differences, as rbmi's
#' `draws()`/`impute()`/`analyse(ancova)`/`pool()` do with
#' `method_condmean()` ([mi_condmean()]), `method_bmlmi()` ([mi_bmlmi()]) or
#' `method_approxbayes()` ([mi_approxbayes()]). Strategies beyond the built-in
#' ones are added with [register_mi_strategy()].
#'
#' With \eqn{\mu_a = X_i(\text{own arm})\beta}, \eqn{\mu_r = X_i(\text{reference
#' arm})\beta} and \eqn{t} the first visit affected by the event, the imputation
#' mean is (Carpenter, Roger and Kenward 2013):
#' * `MAR`: \eqn{\mu_a};
#' * `JR` (jump to reference): \eqn{\mu_a} before \eqn{t}, \eqn{\mu_r} from \eqn{t};
#' * `CR` (copy reference): \eqn{\mu_r} throughout;
#' * `CIR` (copy increments in reference): \eqn{\mu_a} before \eqn{t},
#'   \eqn{\mu_a[t-1] + \mu_r[v] - \mu_r[t-1]} from \eqn{t};
#' * `LMCF` (last mean carried forward): \eqn{\mu_a[t-1]} from \eqn{t}.
#'
#' JR and CIR use the covariance that keeps the own arm's covariance before the
#' event and the reference arm's conditional structure after it (rbmi's
#' `compute_sigma()`); CR uses the reference arm's, MAR and LMCF the own arm's.
#' Missing values are the conditional means
#' \eqn{\mu_m + \Sigma_{mo}\Sigma_{oo}^{-1}(y_o - \mu_o)} given the observed
#' visits. Jackknife: \eqn{se = \sqrt{(n-1)/n \sum_j (\hat\theta_{-j} -
#' \bar\theta)^2}}; the point estimate is that of the full data; CI and p-value
#' from the normal distribution (rbmi's `pool()`).
#'
#' The draw-based methods impute the missing visits by random draws
#' \eqn{y_m = \mu_m + \Sigma_{mo}\Sigma_{oo}^{-1}(y_o - \mu_o) + L z} with
#' \eqn{L L^\top = \Sigma_{mm} - \Sigma_{mo}\Sigma_{oo}^{-1}\Sigma_{om}}
#' (one Cholesky factor per missingness pattern, strategy and parameter draw)
#' and \eqn{z} standard normal, from per-sample random streams of `seed`, so
#' results do not depend on `n_threads`. Each imputed data set is analysed by
#' a per-visit ANCOVA giving \eqn{\hat\theta_j}, \eqn{se_j} and
#' \eqn{\nu_{com} = n - q}.
#' * Approximate Bayes, Rubin's rules over \eqn{M} imputations:
#'   \eqn{\bar\theta = \sum_j \hat\theta_j / M},
#'   \eqn{W = \sum_j se_j^2 / M}, \eqn{B = \sum_j (\hat\theta_j -
#'   \bar\theta)^2 / (M - 1)}, \eqn{T = W + (1 + 1/M) B}; Barnard-Rubin df
#'   with \eqn{\lambda = (1 + 1/M) B / T}, \eqn{\nu_{old} = (M - 1) /
#'   \lambda^2}, \eqn{\nu_{obs} = (\nu_{com} + 1)/(\nu_{com} + 3)\,
#'   \nu_{com} (1 - \lambda)}, \eqn{\nu = \nu_{old}\nu_{obs} /
#'   (\nu_{old} + \nu_{obs})}; t-based CI and p-value.
#' * Bootstrapped ML, von Hippel & Bartlett over \eqn{B} samples times
#'   \eqn{D} imputations \eqn{\hat\theta_{bd}}: \eqn{\bar\theta} their mean,
#'   \eqn{MSB = D \sum_b (\bar\theta_b - \bar\theta)^2 / (B - 1)},
#'   \eqn{MSW = \sum_{b,d} (\hat\theta_{bd} - \bar\theta_b)^2 / (B(D - 1))},
#'   \eqn{Var = (1 + 1/B)(MSB - MSW)/D + MSW/(BD)},
#'   \eqn{\nu = Var^2 / \{((B + 1)/(BD))^2 MSB^2/(B - 1) + MSW^2/(B D^2 (D -
#'   1))\}} (at least 3); t-based CI and p-value.
#'
#' The results of the draw-based methods carry the Monte-Carlo standard error
#' of the estimate (`mcse`: \eqn{\sqrt{B/M}} for approximate Bayes,
#' \eqn{\sqrt{MSB/(BD)}} for bootstrapped ML).
#'
#' @param data Long data with one row per subject and visit (missing outcomes
#'   as `NA`), as rbmi expects.
#' @param vars Variable names: a list with `subjid`, `visit`, `group`,
#'   `outcome`, `covariates` (imputation model, e.g. `c("BASVAL*VISIT")`) and
#'   optionally `strategy` (the strategy column of `data_ice`, default
#'   `"strategy"`), like rbmi's `set_vars()`.
#' @param data_ice One row per subject with an intercurrent event: the subject,
#'   the first visit affected (`vars$visit` column) and the strategy (`MAR`,
#'   `JR`, `CR`, `CIR` or `LMCF`); an optional column `reference` names a
#'   per-subject reference arm. `NULL`: every missing value is MAR.
#' @param method A method from [mi_condmean()], [mi_bmlmi()] or [mi_approxbayes()].
#' @param reference Named character vector mapping each arm to its reference
#'   arm, e.g. `c(DRUG = "PLACEBO")`; a reference arm is its own reference.
#'   `JR`, `CR` and `CIR` in an arm that is neither named nor a reference arm
#'   are an error.
#' @param analysis_covariates Covariates of the per-visit ANCOVA (the arm is
#'   added last).
#' @param delta Optional data frame with columns `vars$subjid`, `vars$visit`
#'   and `delta`: added to the outcome of those subject-visits in the imputed
#'   data before the analysis (rbmi's `analyse(delta = )`).
#' @param post_ice What to do with outcomes observed after an event handled by
#'   a non-MAR strategy: `"error"` (default) or `"exclude"` (rbmi's rule: they
#'   are left out of the imputation model but kept, and conditioned on, in the
#'   imputation and analysis).
#' @param n_threads Threads for the refits (results do not depend on it).
#' @param chunks For very many samples: split the refits, draws and analyses
#'   into this many chunks of consecutive samples, each run as one
#'   [future::future()], so that the user's [future::plan()] decides where
#'   they run (`future::plan(future::multisession, workers = 4)` for local
#'   processes, `future.batchtools` for a Slurm cluster); each chunk uses
#'   `n_threads` threads. Every sample's random stream is keyed by its index
#'   in the whole run and every refit starts from the full-data optimum, so
#'   the results are identical for any `chunks`, plan and `n_threads`.
#'   `1` (the default) runs in this process without future (a run of 40
#'   samples or more in 20 parts, to show progress: a cli bar in interactive
#'   sessions, or the user's `progressr` handlers).
#' @param conf_level Confidence level.
#' @param alternative `"two.sided"`, `"less"` or `"greater"`.
#' @param pool_type Conditional mean with bootstrap only: `"percentile"`
#'   (rbmi's default) or `"normal"`.
#' @param seed Seed of the bootstrap samples and (draw-based methods) the
#'   random draws: a whole number in \eqn{[0, 2^{32})}. `NULL` takes them from
#'   R's random number generator, so [set.seed()] makes the run reproducible.
#'   The conditional-mean jackknife uses no random numbers.
#' @param df_method Approximate Bayes: `"barnard-rubin"` (rbmi's default) or
#'   `"rubin"` degrees of freedom.
#' @return An object of class `glycotrial_mi` with `results` (one row per visit
#'   and contrast: `visit`, `contrast`, `estimate`, `se`, `lower`, `upper`,
#'   `p_value`; draw-based methods add `df` and `mcse`), the per-sample
#'   estimates and what [mi_tipping_point()] needs.
#' @references Wolbers M, Noci A, Delmar P, Gower-Page C, Yiu S, Bartlett JW
#'   (2022). Standard and reference-based conditional mean imputation.
#'   Pharmaceutical Statistics 21:1246-1257.
#'
#'   von Hippel PT, Bartlett JW (2021). Maximum likelihood multiple
#'   imputation: faster imputations and consistent standard errors without
#'   posterior draws. Statistical Science 36:400-420.
#'
#'   Barnard J, Rubin DB (1999). Small-sample degrees of freedom with multiple
#'   imputation. Biometrika 86:948-955.
#' @examples
#' d <- mi_example_data(n = 40, seed = 1)
#' ice <- attr(d, "data_ice")
#' fit <- mi_reference_based(d, mi_example_vars(), data_ice = ice,
#'   reference = c(TRT = "PBO", PBO = "PBO"), analysis_covariates = "BASE")
#' fit
#' # bootstrapped ML imputation, 50 samples x 2 draws
#' mi_reference_based(d, mi_example_vars(), data_ice = ice,
#'   method = mi_bmlmi(B = 50, D = 2), reference = c(TRT = "PBO"),
#'   analysis_covariates = "BASE", seed = 1)
#' @export
mi_reference_based <- function(data, vars, data_ice = NULL, method = mi_condmean(),
                               reference = NULL, analysis_covariates = character(),
                               delta = NULL, post_ice = c("error", "exclude"), n_threads = 1L,
                               chunks = 1L, conf_level = 0.95, alternative = c("two.sided", "less", "greater"),
                               pool_type = c("percentile", "normal"), seed = NULL,
                               df_method = c("barnard-rubin", "rubin")) {
  post_ice <- match.arg(post_ice)
  alternative <- match.arg(alternative)
  pool_type <- match.arg(pool_type)
  df_method <- match.arg(df_method)
  if (!inherits(method, "glycotrial_mi_method")) {
    glycotrial_abort("{.arg method} must come from {.fun mi_condmean}, {.fun mi_bmlmi} or {.fun mi_approxbayes}; found {.cls {class(method)}}.")
  }
  check_count(n_threads, lower = 1, len = 1)
  check_count(chunks, lower = 1, len = 1)
  chunks <- as.integer(chunks)
  if (chunks > 1L && !requireNamespace("future", quietly = TRUE)) {
    glycotrial_abort("{.arg chunks} = {chunks} runs the samples as futures, and the {.pkg future} package is not installed.",
                     class = "glycotrial_error_dependency")
  }
  check_number(conf_level, lower = 0, upper = 1, open = TRUE)
  draws <- identical(method$type, "draws")
  if (draws || !is.null(seed)) seed <- mi_seed(seed)
  pb <- mi_problem(data, vars, data_ice, method, reference, analysis_covariates, delta, post_ice)
  out <- list(problem = pb, method = method, conf_level = conf_level, alternative = alternative,
              pool_type = pool_type, df_method = df_method, n_threads = as.integer(n_threads), chunks = chunks)
  if (draws) {
    r <- mi_run_draws(pb, method, as.integer(n_threads), seed, chunks)
    out <- c(list(results = mi_pool_draws(r$draws, pb, method, conf_level, alternative, df_method),
                  estimates = r$draws, samples = r$samples, sets = r$sets, fits = r$fits,
                  seed = seed), out)
  } else {
    # (the bootstrap samples are drawn with R's generator: under `seed`
    # without disturbing the caller's stream, else from its current state)
    samples <- with_local_seed(mi_r_seed(seed), mi_samples(pb, method))
    fits <- mi_fit_samples(pb, samples, as.integer(n_threads), chunks)
    keep <- mi_check_fits(fits, pb, method)
    fits <- mi_add_custom(fits[keep], pb)
    est <- mi_analyse_samples(pb$cpp, samples[keep], fits, as.integer(n_threads), chunks)
    out <- c(list(results = mi_pool(est, pb, method, conf_level, alternative, pool_type),
                  estimates = est, samples = samples[keep], fits = fits, seed = seed), out)
  }
  class(out) <- "glycotrial_mi"
  out
}

# Which samples to keep; the jackknife needs every refit (rbmi stops too).
mi_check_fits <- function(fits, pb, method) {
  ok <- vapply(fits, function(f) isTRUE(f$ok), logical(1))
  if (!ok[1]) {
    glycotrial_abort("The imputation model did not converge on the full data.", class = "convergence")
  }
  if (method$type == "jackknife" && !all(ok)) {
    bad <- pb$subjects[which(!ok)[1] - 1L]
    glycotrial_abort(c("The imputation model did not converge after removing subject {.val {bad}}.",
                       "i" = "Try a simpler covariance structure ({.arg covariance} of {.fun mi_condmean})."),
                     class = "convergence")
  }
  n_fail <- sum(!ok)
  if (n_fail > ceiling(method$threshold * method$n_samples %||% 0)) {
    glycotrial_abort("{n_fail} of {length(ok) - 1} bootstrap fits failed (more than {.arg threshold} allows); try a simpler covariance structure.",
                     class = "convergence")
  }
  if (n_fail) {
    glycotrial_warn("{n_fail} bootstrap fit{?s} failed and {?was/were} dropped.",
                    class = "glycotrial_warning_convergence")
  }
  ok
}

# Sample 1 is the full data; then one per left-out subject (jackknife) or
# n_samples bootstrap samples drawn within arms (rbmi's stratified bootstrap),
# plus spares for the threshold of failures.
mi_samples <- function(pb, method) {
  n <- length(pb$subjects)
  full <- list(seq_len(n))
  if (method$type == "jackknife") {
    return(c(full, lapply(seq_len(n), function(i) seq_len(n)[-i])))
  }
  by_arm <- split(seq_len(n), pb$arm)
  boot <- lapply(seq_len(method$n_samples), function(b) {
    sort(unlist(lapply(by_arm, function(ix) ix[sample.int(length(ix), length(ix), replace = TRUE)]),
                use.names = FALSE))
  })
  c(full, boot)
}

# Pools the per-sample estimates (rbmi's pool_internal.jackknife/bootstrap).
mi_pool <- function(est, pb, method, conf_level, alternative, pool_type) {
  arr <- simplify2array(est)  # visits x contrasts x samples
  dim(arr) <- c(length(pb$visits), length(pb$contrasts), length(est))
  alpha <- 1 - conf_level
  rows <- list()
  for (v in seq_along(pb$visits)) for (c in seq_along(pb$contrasts)) {
    e <- arr[v, c, ]
    point <- e[1]
    rest <- e[-1]
    if (method$type == "jackknife") {
      nj <- length(rest)
      se <- sqrt((nj - 1) / nj * sum((rest - mean(rest))^2))
      r <- mi_parametric_ci(point, se, alpha, alternative)
    } else if (pool_type == "normal") {
      r <- mi_parametric_ci(point, stats::sd(rest), alpha, alternative)
    } else {
      r <- mi_percentile_ci(point, rest, alpha, alternative)
    }
    rows[[length(rows) + 1L]] <- data.frame(visit = pb$visits[v], contrast = pb$contrasts[c],
                                            estimate = point, se = r$se, lower = r$ci[1],
                                            upper = r$ci[2], p_value = r$p,
                                            stringsAsFactors = FALSE)
  }
  do.call(rbind, rows)
}

mi_parametric_ci <- function(point, se, alpha, alternative) {
  z <- switch(alternative, two.sided = c(-1, 1) * stats::qnorm(1 - alpha / 2),
              greater = c(-Inf, 1) * stats::qnorm(1 - alpha),
              less = c(-1, Inf) * stats::qnorm(1 - alpha))
  p_lo <- stats::pnorm(point / se)
  p_hi <- stats::pnorm(point / se, lower.tail = FALSE)
  p <- switch(alternative, two.sided = 2 * min(p_lo, p_hi), greater = p_hi, less = p_lo)
  list(ci = point + z * se, se = se, p = p)
}

# rbmi's pool_bootstrap_percentile(): quantiles of type 6 and the
# percentile p-value.
mi_percentile_ci <- function(point, est, alpha, alternative) {
  q2 <- stats::quantile(est, c(alpha / 2, 1 - alpha / 2), type = 6, names = FALSE)
  q1 <- stats::quantile(est, c(alpha, 1 - alpha), type = 6, names = FALSE)
  ci <- switch(alternative, two.sided = q2, greater = c(-Inf, q1[2]), less = c(q1[1], Inf))
  # rbmi's pval_percentile(): the quantile level at which the bootstrap
  # distribution crosses 0
  pv <- if (all(est == 0)) c(1, 1) else if (min(est) > 0) c(0, 1) else if (max(est) < 0) c(1, 0) else {
    q0 <- stats::uniroot(function(q) stats::quantile(est, q, type = 6, names = FALSE), c(0, 1))$root
    c(q0, 1 - q0)
  }
  p <- switch(alternative, two.sided = min(1, 2 * min(pv)), greater = pv[1], less = pv[2])
  list(ci = ci, se = NA_real_, p = p)
}

#' @export
print.glycotrial_mi <- function(x, ...) {
  cat(mi_method_label(x), "\n", sep = "")
  res <- x$results
  num <- vapply(res, is.numeric, logical(1))
  res[num] <- lapply(res[num], signif, digits = 4)
  print(res, row.names = FALSE)
  invisible(x)
}

# One line naming the method, its settings and the number of samples.
mi_method_label <- function(x) {
  m <- x$method
  switch(m$method,
         condmean = sprintf("Reference-based MI: conditional mean, %s (%s), %d samples", m$type,
                            m$covariance, length(x$samples) - 1L),
         bmlmi = sprintf("Reference-based MI: bootstrapped ML (von Hippel-Bartlett pooling), B = %d samples x D = %d draws (%s), seed %.0f",
                         m$B, m$D, m$covariance, x$seed),
         approxbayes = sprintf("Reference-based MI: approximate Bayes (Rubin's rules, %s df), %d imputations (%s), seed %.0f",
                               x$df_method, m$n_samples, m$covariance, x$seed))
}

#' @export
as.data.frame.glycotrial_mi <- function(x, ...) x$results

#' Tidy and summarise a reference-based MI result
#'
#' @param x,object A result of [mi_reference_based()].
#' @param ... Unused.
#' @return `tidy()`: a data frame with one row per visit and contrast
#'   (`visit`, `contrast`, `estimate`, `std.error`, `conf.low`, `conf.high`,
#'   `p.value`, and `df`, `mcse` for draw-based methods). `summary()`: an
#'   object printing the method, the strategies in use and the results.
#' @examples
#' d <- mi_example_data(n = 30, seed = 1)
#' fit <- mi_reference_based(d, mi_example_vars(), data_ice = attr(d, "data_ice"),
#'   method = mi_approxbayes(n_samples = 20), reference = c(TRT = "PBO"), seed = 3)
#' tidy(fit)
#' summary(fit)
#' @name tidy.glycotrial_mi
#' @export
tidy.glycotrial_mi <- function(x, ...) {
  r <- x$results
  names(r)[match(c("se", "lower", "upper", "p_value"), names(r))] <-
    c("std.error", "conf.low", "conf.high", "p.value")
  r
}

#' @rdname tidy.glycotrial_mi
#' @export
summary.glycotrial_mi <- function(object, ...) {
  pb <- object$problem
  strat <- table(factor(pb$strategy, levels = unique(c("MAR", sort(unique(pb$strategy))))))
  structure(list(label = mi_method_label(object), n_subjects = length(pb$subjects),
                 n_missing = sum(pb$is_missing), strategies = strat,
                 results = object$results, conf_level = object$conf_level),
            class = "summary.glycotrial_mi")
}

#' @export
print.summary.glycotrial_mi <- function(x, ...) {
  cat(x$label, "\n", sep = "")
  cat(sprintf("%d subjects, %d missing outcomes imputed; strategies: %s\n", x$n_subjects,
              x$n_missing, paste(sprintf("%s %d", names(x$strategies), x$strategies),
                                 collapse = ", ")))
  cat(sprintf("%g%% confidence intervals\n", 100 * x$conf_level))
  res <- x$results
  num <- vapply(res, is.numeric, logical(1))
  res[num] <- lapply(res[num], signif, digits = 4)
  print(res, row.names = FALSE)
  invisible(x)
}
