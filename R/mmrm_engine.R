# Stage 3 of mmrm_fit(): the C++ engine (src/core/mmrm/engine.hpp) built
# once from the design of stage 2, on either route; it evaluates the REML/ML
# deviance, its analytic gradient and Hessian. The optimiser (stage 4,
# mmrm_optimise()) and the results (stage 5, R/mmrm_result.R) use it.

#' Build the deviance engine of an MMRM (stage 3 of mmrm_fit())
#'
#' Builds the C++ engine that evaluates the REML (or ML) deviance of the
#' covariance parameters, with its analytic gradient and Hessian, from the
#' output of [mmrm_design()]. Its `deviance` function is what profiling
#' needs: minus twice the (restricted) log-likelihood, with the coefficients
#' profiled out, at covariance parameters `theta` on mmrm's unconstrained
#' scale (all groups concatenated, as `fit$theta`).
#'
#' @param design The output of [mmrm_design()].
#' @param reml Use REML (default) or ML.
#' @return An object of class `glycotrial_mmrm_engine`, a list with `ptr`
#'   (the C++ engine), `plugin` (the covariance structure), `design` (the
#'   model data the engine holds on the row route, `NULL` on the moment
#'   route), `moments` (the prepared moments on the moment route), `reml`,
#'   `route` (`"rows"` or `"moments"`), `start` (on the moment route the
#'   function giving the default starting values, otherwise `NULL`),
#'   `n_theta` (the number of covariance
#'   parameters), `deviance` (a function of `theta`) and `mmrm_design` (the
#'   stage-2 object, for [mmrm_result()]).
#' @seealso [mmrm_fit()], which chains all stages.
#' @examples
#' wk <- paste0("W", c(4, 8, 12))
#' d <- expand.grid(USUBJID = factor(1:20), AVISIT = factor(wk, levels = wk))
#' set.seed(2)
#' d$CHG <- rnorm(nrow(d)) + rep(rnorm(20), times = 3)
#' eng <- mmrm_engine(mmrm_design(CHG ~ AVISIT + cs(AVISIT | USUBJID), d))
#' eng$n_theta
#' # profile the deviance in the correlation parameter of cs
#' fit <- mmrm_fit(CHG ~ AVISIT + cs(AVISIT | USUBJID), d)
#' grid <- fit$theta[2] + seq(-1, 1, by = 0.5)
#' sapply(grid, function(t2) eng$deviance(c(fit$theta[1], t2)))
#' @export
mmrm_engine <- function(design, reml = TRUE) {
  if (!inherits(design, "glycotrial_mmrm_design")) {
    glycotrial_abort("{.arg design} must come from {.fun mmrm_design}, not {describe_value(design)}.",
                     call = NULL)
  }
  check_flag(reml, call = NULL)
  mmrm_engine_impl(design, reml)
}

mmrm_engine_impl <- function(design, reml) {
  spec <- design$formula
  start <- NULL
  if (identical(design$route, "moments")) {
    ptr <- moments_engine(design$moments, spec, reml)
    rows_design <- NULL
    start <- function() moments_default_start(design$moments, spec$plugin)
    n_theta <- design$moments$K * design$moments$G
  } else {
    rows_design <- design$engine_design
    ptr <- mmrm_engine_ptr(rows_design, spec$plugin, reml)
    n_theta <- rows_design$n_theta_group * rows_design$n_groups
  }
  structure(list(ptr = ptr, plugin = spec$plugin, design = rows_design,
                 moments = if (identical(design$route, "moments")) design$moments,
                 reml = reml, route = design$route, start = start, n_theta = n_theta,
                 deviance = mmrm_deviance_function(ptr), mmrm_design = design),
            class = "glycotrial_mmrm_engine")
}

# The deviance as a function of theta (a closure over the engine only).
mmrm_deviance_function <- function(ptr) {
  force(ptr)
  function(theta) as.numeric(cpp_mmrm_deviance(ptr, as.numeric(theta), FALSE))
}

mmrm_engine_ptr <- function(design, spec_plugin, reml) {
  r_plugin <- if (spec_plugin$compiled) NULL else spec_plugin$impl[c("n_theta", "sigma", "spatial")]
  cpp_mmrm_engine(design$X, design$y, if (design$has_weights) design$weights else numeric(0),
                  design$coord, design$subject_start, design$subject_group, design$n_groups,
                  design$n_visits, reml, spec_plugin$key, r_plugin)
}

#' @export
print.glycotrial_mmrm_engine <- function(x, ...) {
  cat("<glycotrial_mmrm_engine> ", x$plugin$key, ", ", if (x$reml) "REML" else "ML", ", ",
      x$route, " route, ", x$n_theta, " covariance parameter", if (x$n_theta != 1) "s", "\n", sep = "")
  cat("  deviance function: $deviance(theta)\n")
  invisible(x)
}

# Stage 4 as mmrm_fit() and the moment route call it: mmrm_optimise() of
# R/mmrm_optimise.R with the engine's default start.
mmrm_run_optimiser <- function(engine, control, start = NULL) {
  mmrm_optimise(engine, control, start)
}
