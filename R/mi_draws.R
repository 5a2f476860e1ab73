# Multiple imputation by random draws (issue 20): bootstrapped ML imputation
# (von Hippel & Bartlett 2021) and approximate Bayesian MI, rbmi's
# method_bmlmi() and method_approxbayes(); the fits, draws and analyses run in
# the C++ core (src/core/mi/draws.cpp), pooling in R/mi_pool.R.

#' Bootstrapped maximum-likelihood imputation method
#'
#' von Hippel & Bartlett (2021), as rbmi's `method_bmlmi()`: `B` bootstrap
#' samples of subjects (stratified by arm), the imputation model (an MMRM,
#' REML by default) fitted to each, and `D` random imputations of each
#' bootstrap sample from the conditional normal distribution of its missing
#' visits given its observed ones under its strategy, with that sample's
#' estimates. The `B x D` per-visit ANCOVA estimates are pooled by the
#' one-way random-effects ANOVA of von Hippel & Bartlett (see
#' [mi_reference_based()]).
#'
#' @param B Number of bootstrap samples (at least 2).
#' @param D Number of imputations per bootstrap sample (at least 2).
#' @inheritParams mi_condmean
#' @param threshold The largest share of failed bootstrap fits tolerated
#'   (replaced by further samples, as rbmi does).
#' @return A list of class `glycotrial_mi_method`.
#' @references von Hippel PT, Bartlett JW (2021). Maximum likelihood multiple
#'   imputation: faster imputations and consistent standard errors without
#'   posterior draws. Statistical Science 36:400-420.
#' @examples
#' mi_bmlmi(B = 100, D = 2)
#' @export
mi_bmlmi <- function(B = 20, D = 2, covariance = "us", same_cov = TRUE, reml = TRUE,
                     threshold = 0.01) {
  check_count(B, lower = 2, len = 1)
  check_count(D, lower = 2, len = 1)
  mi_draws_method("bmlmi", covariance, same_cov, reml, threshold,
                  list(B = as.integer(B), D = as.integer(D), n_samples = as.integer(B)))
}

#' Approximate Bayesian multiple imputation method
#'
#' As rbmi's `method_approxbayes()`: `n_samples` bootstrap samples of
#' subjects (stratified by arm), the imputation model fitted to each (an
#' approximate draw from the posterior of its parameters), and one random
#' imputation of the original data from each draw. The per-visit ANCOVA
#' results are pooled by Rubin's rules with the Barnard-Rubin degrees of
#' freedom (see [mi_reference_based()]).
#'
#' @param n_samples Number of imputations (at least 2).
#' @inheritParams mi_bmlmi
#' @return A list of class `glycotrial_mi_method`.
#' @references Little RJA, Rubin DB (2002). Statistical Analysis with Missing
#'   Data, 2nd ed., section 10.2.3 (approximate Bayesian bootstrap).
#' @examples
#' mi_approxbayes(n_samples = 100)
#' @export
mi_approxbayes <- function(n_samples = 20, covariance = "us", same_cov = TRUE, reml = TRUE,
                           threshold = 0.01) {
  check_count(n_samples, lower = 2, len = 1)
  mi_draws_method("approxbayes", covariance, same_cov, reml, threshold,
                  list(n_samples = as.integer(n_samples), D = 1L))
}

mi_draws_method <- function(name, covariance, same_cov, reml, threshold, extra, call = sys.call(-1)) {
  check_string(covariance, call = call)
  check_flag(same_cov, call = call)
  check_flag(reml, call = call)
  check_number(threshold, lower = 0, upper = 1, call = call)
  structure(c(list(method = name, type = "draws", covariance = covariance, same_cov = same_cov,
                   reml = reml, threshold = threshold), extra),
            class = "glycotrial_mi_method")
}

# A seed for the core's per-sample streams: given, or one drawn from R's RNG
# (so that set.seed() makes the run reproducible).
mi_seed <- function(seed, call = sys.call(-1)) {
  if (is.null(seed)) return(as.double(sample.int(.Machine$integer.max, 1L)))
  check_number(seed, lower = 0, upper = 4294967295, call = call)
  if (seed != round(seed)) glycotrial_abort("{.arg seed} must be a whole number; found {seed}.", call = call)
  as.double(seed)
}

# A seed in [0, 2^32) for R's set.seed(), which takes a 32-bit integer other
# than NA (-2^31): seeds 2^31 - 1 apart share R's stream.
mi_r_seed <- function(seed) if (is.null(seed)) NULL else as.integer(seed %% .Machine$integer.max)

# Bootstrap fits (spare samples replace failures, rbmi's failure_limit), the
# conditional MVN draws and the per-visit ANCOVA of every imputed data set.
mi_run_draws <- function(pb, method, n_threads, seed, chunks = 1L) {
  n_target <- method$n_samples
  limit <- ceiling(method$threshold * n_target)
  arm_code <- match(pb$arm, pb$arms) - 1L
  samples <- cpp_mi_bootstrap_samples(arm_code, n_target + limit, seed)
  fits <- mi_fit_samples(pb, samples, n_threads, chunks)
  ok <- vapply(fits, function(f) isTRUE(f$ok), logical(1))
  if (sum(ok) < n_target) {
    glycotrial_abort(c("{sum(!ok)} of {length(ok)} bootstrap fits of the imputation model failed (more than {.arg threshold} allows).",
                       "i" = "Try a simpler covariance structure or a larger {.arg threshold}."),
                     class = "convergence")
  }
  keep <- which(ok)[seq_len(n_target)]
  n_fail <- sum(!ok[seq_len(max(keep))])
  if (n_fail) {
    glycotrial_warn("{n_fail} bootstrap fit{?s} failed and {?was/were} replaced.",
                    class = "glycotrial_warning_convergence")
  }
  fits <- mi_add_custom(fits[keep], pb)
  sets <- if (method$method == "bmlmi") samples[keep] else
    rep(list(seq_along(pb$subjects)), n_target)
  list(samples = samples[keep], sets = sets, fits = fits, seed = seed,
       draws = mi_draw_analyse(pb$cpp, sets, fits, method$D, seed, n_threads, chunks))
}

# Re-imputes and re-analyses the stored fits of an MI result with the delta
# vector of cpp (same streams, so a delta of zero reproduces x) and pools.
mi_reanalyse <- function(x, cpp) {
  pb <- x$problem
  if (identical(x$method$type, "draws")) {
    dr <- mi_draw_analyse(cpp, x$sets, x$fits, x$method$D, x$seed, x$n_threads, x$chunks %||% 1L)
    return(mi_pool_draws(dr, pb, x$method, x$conf_level, x$alternative, x$df_method))
  }
  est <- mi_analyse_samples(cpp, x$samples, x$fits, x$n_threads, x$chunks %||% 1L)
  mi_pool(est, pb, x$method, x$conf_level, x$alternative, x$pool_type)
}
