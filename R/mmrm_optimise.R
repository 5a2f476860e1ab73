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
#' deviance of a model prepared by the earlier stages, with Newton-Raphson
#' on the exact Hessian of the C++ engine and the fallbacks of
#' [mmrm_fit_control()], starting from the empirical covariance of ordinary
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
# mmrm_optimise_engine().
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
# moment route (moments_fit() in R/mmrm_moments.R): checks control$start or takes
# default_start() (zeros when that is unusable), tries the optimisers of
# `control` in turn, each followed by Newton polishing (to grad_tol *
# polish_factor), and returns theta, the deviance, its Hessian and the
# convergence diagnostics.
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
