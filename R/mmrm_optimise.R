# Stage 4 of the MMRM pipeline (mmrm_formula -> mmrm_design -> mmrm_engine
# -> mmrm_optimise -> mmrm_result): starting values and the optimisation of
# the REML/ML deviance of a C++ engine (src/core/mmrm/engine.hpp), for the
# row route and the moment route alike. Starting values of the compiled
# structures come from their start() in C++ (src/core/covariance/start.cpp).

# The engine stage's object: the C++ engine (external pointer) with what the
# optimiser needs to start it. `design` is the row route's design list (NULL
# on the moment route); `start` (moment route) a function giving default
# starting values when the design cannot.
new_mmrm_engine <- function(ptr, plugin, design, reml, route = c("rows", "moments"),
                            start = NULL) {
  route <- match.arg(route)
  structure(list(ptr = ptr, plugin = plugin, design = design, reml = reml, route = route,
                 start = start),
            class = "glycotrial_mmrm_engine")
}

#' Optimise the deviance of an MMRM engine
#'
#' The optimisation stage of [mmrm_fit()]: minimises the REML (or ML)
#' deviance of a model prepared by the earlier stages with the C++
#' optimiser (the methods of [mmrm_fit_control()]: Newton-Raphson on the
#' exact Hessian of the engine, then BFGS with Newton polishing), starting
#' from the empirical covariance of ordinary
#' least-squares residuals (each built-in structure maps it to its
#' parameters; structures registered with [register_covariance()] use their
#' `start` function, otherwise zeros). Convergence needs a small gradient
#' and a positive definite Hessian (a minimum, not a saddle point).
#'
#' @param engine An engine object (class `glycotrial_mmrm_engine`) from the
#'   engine stage of the MMRM pipeline, or a fit from [mmrm_fit()] (its
#'   engine, started at its estimate unless `start` is given).
#' @param control Options from [mmrm_fit_control()].
#' @param start Optional starting values of the covariance parameters
#'   (unconstrained scale, all groups concatenated); overrides
#'   `control$start`. Use it for warm starts, e.g. the `theta` of an earlier
#'   fit.
#' @return A list of class `glycotrial_mmrm_optimum` with `theta` (the
#'   estimate), `deviance`, `hessian` (of the deviance in `theta`),
#'   `jacobian`, `engine` (the C++ engine) and `plugin`, and `convergence`, a
#'   list with `converged`, `optimizer`, `optimizers_tried`, `iterations`,
#'   `max_gradient`, `hessian_pd`, `optimizer_code` and `message`.
#' @examples
#' set.seed(1)
#' wk <- paste0("W", c(4, 8, 12))
#' d <- expand.grid(USUBJID = factor(1:40), AVISIT = factor(wk, levels = wk))
#' d$ARM <- factor(ifelse(as.integer(d$USUBJID) %% 2 == 0, "Drug", "Placebo"))
#' d$CHG <- rnorm(nrow(d)) + 0.5 * (d$ARM == "Drug") + rep(rnorm(40), times = 3)
#' fit <- mmrm_fit(CHG ~ ARM * AVISIT + ar1(AVISIT | USUBJID), data = d)
#' # the same optimum again from other starting values
#' opt <- mmrm_optimise(fit, start = c(0, 0))
#' opt$theta - fit$theta
#' opt$convergence$converged
#' @export
mmrm_optimise <- function(engine, control = mmrm_fit_control(), start = NULL) {
  if (inherits(engine, "glycotrial_mmrm")) {
    theta <- engine$theta
    engine <- new_mmrm_engine(engine$engine, engine$plugin, NULL, engine$reml,
                              if (isTRUE(engine$moments_only)) "moments" else "rows",
                              start = function() theta)
  }
  if (!inherits(engine, "glycotrial_mmrm_engine")) {
    glycotrial_abort("{.arg engine} must be an MMRM engine (class {.cls glycotrial_mmrm_engine}), not {describe_value(engine)}.")
  }
  if (!inherits(control, "glycotrial_mmrm_control")) {
    glycotrial_abort("{.arg control} must come from {.fun mmrm_fit_control}, not {describe_value(control)}.")
  }
  if (!is.null(start)) {
    check_number(start, len = NULL)
    control$start <- start
  }
  default_start <- engine$start %||% function() mmrm_start(engine$design, engine$plugin, engine$ptr)
  # The moment route polishes further (polish_factor) so that the estimate
  # does not depend on how the moments were summed.
  polish_factor <- if (identical(engine$route, "moments")) 1e-4 else 1
  fit <- mmrm_optimise_engine(engine$ptr, control, engine$plugin, default_start, polish_factor)
  structure(fit, class = "glycotrial_mmrm_optimum")
}

# Starting values. Structures with a C++ start() (built-in and compiled
# plugins): the engine maps the empirical covariance of OLS residuals to the
# parameters (MmrmEngine::default_starts(), core/covariance/start.cpp); for
# sp_exp/sp_gau it also picks the range parameter from the median
# within-subject distance and keeps further candidates (attribute
# "alternatives") as restarts. Structures registered in R use their start
# function (or zeros).
mmrm_start <- function(design, plugin, engine) {
  if (!plugin$compiled) {
    st <- if (is.function(plugin$impl$start)) plugin$impl$start(design$n_visits) else
      rep(0, design$n_theta_group)
    return(rep(st, design$n_groups))
  }
  cand <- cpp_mmrm_default_starts(engine)
  out <- cand[[1]]
  if (length(cand) > 1) attr(out, "alternatives") <- cand[-1]
  out
}

# Starting theta for a visit structure from an empirical covariance S
# (k x k, NA where no pair was observed): user structures use their start
# function (or zeros); compiled ones their start() in C++
# (core/covariance/start.cpp: variances and lag-averaged correlations mapped
# to the structure's parameters; zeros for a structure without one).
mmrm_start_theta <- function(S, plugin, K, fallback_var = NULL) {
  if (!plugin$compiled) {
    if (is.function(plugin$impl$start)) return(plugin$impl$start(nrow(S)))
    return(rep(0, K))
  }
  fallback_var <- if (is.null(fallback_var)) NA_real_ else as.numeric(fallback_var)
  cpp_covariance_start(plugin$key, S, fallback_var)
}

# The optimiser behind mmrm_optimise(), for the row route (above) and the
# moment route (moments_fit() in R/mmrm_moments.R): checks control$start or
# takes default_start() (zeros when that is unusable), then minimises in C++
# (cpp_mmrm_optimise(): the methods of control$optimizers in turn, each
# later one started off a saddle point along the direction of negative
# curvature, then the alternative starts; src/core/optim/) and returns
# theta, the deviance, its Hessian and the convergence diagnostics.
# `polish_factor` scales the gradient tolerance (the moment route asks for
# more, so that the estimate does not depend on how the moments were summed).
mmrm_optimise_engine <- function(engine, control, plugin, default_start, polish_factor = 1) {
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
  r <- cpp_mmrm_optimise(engine, as.numeric(start), as.list(alternatives %||% list()),
                         control$optimizers, control$grad_tol * polish_factor, control$grad_tol,
                         control$max_iter)
  tried <- r$tried
  if (!isTRUE(r$ok)) {
    glycotrial_abort("All optimisers failed ({.val {tried}}).", class = "convergence", call = NULL)
  }
  # Converged: a small gradient relative to the deviance (at the tolerance of
  # control, not the tighter one the moment route aims at) and a positive
  # definite Hessian (a minimum, not a saddle point or a plateau).
  max_gradient <- max(abs(r$gradient), 0)
  conv_ok <- max_gradient <= control$grad_tol * max(1, abs(r$value))
  hess_pd <- isTRUE(r$hessian_pd)
  msg <- if (conv_ok && hess_pd) "converged" else if (!conv_ok) {
    sprintf("largest absolute gradient %.3g exceeds the tolerance", max_gradient)
  } else {
    "the Hessian of the deviance is not positive definite at the optimum"
  }
  list(engine = engine, theta = r$par, deviance = r$value, hessian = r$hessian,
       jacobian = r$jacobian, convergence = list(converged = conv_ok && hess_pd, optimizer = r$optimizer,
                          optimizers_tried = tried, iterations = r$iterations,
                          max_gradient = max_gradient, hessian_pd = hess_pd,
                          optimizer_code = if (isTRUE(r$converged)) 0L else 1L, message = msg),
       plugin = plugin)
}

# mmrm_fit_control(optimizers =): the methods of the C++ optimiser. The R
# optimisers of earlier versions map to "bfgs" (the C++ BFGS with Newton
# polishing replaced them) with a classed message.
mmrm_optimizer_methods <- function(optimizers, call = sys.call(-1)) {
  old <- c("nlminb", "BFGS", "L-BFGS-B")
  if (!is.character(optimizers) || !length(optimizers) || anyNA(optimizers) ||
      !all(optimizers %in% c("newton", "bfgs", old))) {
    glycotrial_abort("{.arg optimizers} must be a subset of {.val {c('newton', 'bfgs')}}; found {.val {optimizers}}.",
                     arg = "optimizers", call = call)
  }
  if (any(optimizers %in% old)) {
    glycotrial_inform(c("{.val {intersect(optimizers, old)}} in {.arg optimizers} {?is/are} deprecated: the R optimisers were replaced by the C++ method {.val bfgs}, which is used instead.",
                        "i" = "Use {.code optimizers = c(\"newton\", \"bfgs\")}."),
                      class = "glycotrial_message_deprecated")
    optimizers <- ifelse(optimizers %in% old, "bfgs", optimizers)
  }
  unique(optimizers)
}
