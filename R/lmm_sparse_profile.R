# Profile-likelihood intervals for fits with several grouping factors
# (confint(method = "profile") on a glycotrial_lmm_multi fit), as
# lme4::confint.merMod(method = "profile"): the ML deviance (a REML fit is
# refitted by ML, as lme4's profile does) is profiled over all other
# parameters with one variance component (an SD, a correlation or the
# residual SD, on lme4's scale) held fixed (fixed effects: lmm_profile_beta(),
# shared with one grouping factor); the signed square root zeta of the
# deviance increase is solved for +-z by uniroot.
#
# The minimisation at each fixed value is C++ (cpp_lmm_sparse_profile_vc(),
# core/lmm/sparse_profile.hpp): the project's one optimiser, on a
# parametrisation in which the fixed SD or correlation holds exactly (as the
# one-factor profile, lmm_profile_vc()). It replaced an nlminb loop here over
# the components themselves. Only the root finding over the profiled value
# stays in R; each point starts from the previous one's optimum (and from
# the ML estimate as well when that search ends with a variance at 0).

# Variance components of a multi-factor fit, in lme4's order: per term the
# lower triangle column by column (SDs on the diagonal, correlations below),
# then the residual SD. Names as tidy()'s terms qualified by the group,
# e.g. "sd__(Intercept)|plate", "cor__(Intercept).Days|Subject",
# "sd__Observation".
lmm_sparse_vc_table <- function(object) {
  rows <- list()
  for (k in seq_along(object$design$terms_re)) {
    tk <- object$design$terms_re[[k]]
    G <- object$G_terms[[k]]
    nm <- tk$names
    for (c in seq_len(tk$p)) {
      for (r in c:tk$p) {
        rows[[length(rows) + 1]] <- if (r == c) {
          data.frame(name = paste0("sd__", nm[r], "|", tk$label), kind = "sd", term = k,
                     i = r, j = r, estimate = sqrt(G[r, r]), stringsAsFactors = FALSE)
        } else {
          data.frame(name = paste0("cor__", nm[c], ".", nm[r], "|", tk$label), kind = "cor",
                     term = k, i = r, j = c, estimate = G[r, c] / sqrt(G[r, r] * G[c, c]),
                     stringsAsFactors = FALSE)
        }
      }
    }
  }
  rows[[length(rows) + 1]] <- data.frame(name = "sd__Observation", kind = "sigma", term = 0L,
                                         i = 0L, j = 0L, estimate = sqrt(object$sigma2),
                                         stringsAsFactors = FALSE)
  do.call(rbind, rows)
}

# Profile interval of variance component `name` (lmm_sparse_vc_table()).
lmm_sparse_profile_vc <- function(object, name, z) {
  ml <- lmm_ml_fit(object)
  vc <- lmm_sparse_vc_table(ml)
  ptr <- lmm_sparse_ptr(ml)
  row <- vc[match(name, vc$name), , drop = FALSE]
  est <- row$estimate
  sigma0 <- sqrt(ml$sigma2)
  dev0 <- cpp_lmm_sparse_deviance_sigma(ptr, ml$theta, sigma0)
  ctl <- lmm_control()
  # the target as the core numbers it (0-based; a correlation's i < j)
  ij <- sort(c(row$i, row$j)) - 1L
  start <- NULL
  restart <- function() start <<- list(theta = ml$theta, sigma = sigma0)
  points <- lmm_profile_points(name)
  on.exit(points$report(), add = TRUE)
  prof <- function(x) {
    p <- cpp_lmm_sparse_profile_vc(ptr, row$kind, row$term - 1L, ij[1], ij[2], x, start$theta,
                                   start$sigma, ml$theta, sigma0, ctl$max_iter,
                                   max(ctl$grad_tol, 1e-6))
    points$add(p$converged)
    start <<- list(theta = p$theta, sigma = p$sigma)
    p$deviance
  }
  zeta <- function(x) sign(x - est) * sqrt(max(prof(x) - dev0, 0))
  tol <- 1e-8 * max(1, abs(est))
  if (row$kind == "cor") {
    edge <- 1 - 1e-6
    restart()
    lo <- if (est <= -edge || zeta(-edge) > -z) -1 else
      stats::uniroot(function(v) zeta(v) + z, c(-edge, est), tol = tol)$root
    restart()
    hi <- if (est >= edge || zeta(edge) < z) 1 else
      stats::uniroot(function(v) zeta(v) - z, c(est, edge), tol = tol)$root
    return(c(lo, hi))
  }
  ref <- sigma0
  eps <- max(est, 1e-8 * ref) * 1e-4
  restart()
  lo <- if (zeta(eps) > -z) 0 else
    stats::uniroot(function(v) zeta(v) + z, c(eps, est), tol = tol)$root
  restart()
  hi <- max(2 * est, 0.1 * ref)
  k <- 0
  while (zeta(hi) < z && k < 40) {
    hi <- 2 * hi
    k <- k + 1
  }
  restart()
  up <- stats::uniroot(function(v) zeta(v) - z, c(est, hi), tol = tol)$root
  c(lo, up)
}
