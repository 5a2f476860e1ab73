# Profile-likelihood intervals for fits with several grouping factors
# (confint(method = "profile") on a glycotrial_lmm_multi fit), as
# lme4::confint.merMod(method = "profile"): the ML deviance (a REML fit is
# refitted by ML, as lme4's profile does) is profiled over all other
# parameters with one variance component (an SD, a correlation or the
# residual SD, on lme4's scale) held fixed (fixed effects: lmm_profile_beta(),
# shared with one grouping factor); the signed square root zeta of the
# deviance increase is solved for +-z by uniroot.

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

# Relative Cholesky parameters theta from variance components on lme4's
# scale (the `estimate` column order of lmm_sparse_vc_table()); NULL when a
# term's covariance is not positive semi-definite.
lmm_sparse_theta_from_vc <- function(object, vc, v) {
  sigma <- v[vc$kind == "sigma"]
  theta <- numeric()
  for (k in seq_along(object$design$terms_re)) {
    p <- object$design$terms_re[[k]]$p
    rk <- vc[vc$term == k, , drop = FALSE]
    vk <- v[vc$term == k]
    if (p == 1) {
      theta <- c(theta, vk / sigma)
      next
    }
    sd <- numeric(p)
    C <- diag(p)
    for (m in seq_len(nrow(rk))) {
      if (rk$kind[m] == "sd") sd[rk$i[m]] <- vk[m] else C[rk$i[m], rk$j[m]] <- C[rk$j[m], rk$i[m]] <- vk[m]
    }
    G <- outer(sd, sd) * C / sigma^2
    L <- tryCatch(t(chol(G, pivot = FALSE)), error = function(e) NULL)
    if (is.null(L)) {
      e <- eigen(G, symmetric = TRUE)
      if (min(e$values) < -1e-10 * max(1, max(e$values))) return(NULL)
      # positive semi-definite on the boundary: Cholesky of a tiny ridge
      L <- t(chol(G + diag(1e-12 * max(1, max(diag(G))), p)))
    }
    theta <- c(theta, L[lower.tri(L, diag = TRUE)])
  }
  theta
}

# ML deviance as a function of the variance components on lme4's scale.
lmm_sparse_vc_deviance <- function(ml, vc, ptr) {
  function(v) {
    th <- lmm_sparse_theta_from_vc(ml, vc, v)
    if (is.null(th) || any(!is.finite(th))) return(Inf)
    d <- cpp_lmm_sparse_deviance_sigma(ptr, th, v[vc$kind == "sigma"])
    if (is.finite(d)) d else Inf
  }
}

# Profile interval of variance component `name` (lmm_sparse_vc_table()).
lmm_sparse_profile_vc <- function(object, name, z) {
  ml <- lmm_ml_fit(object)
  vc <- lmm_sparse_vc_table(ml)
  ptr <- lmm_sparse_ptr(ml)
  dev <- lmm_sparse_vc_deviance(ml, vc, ptr)
  i <- match(name, vc$name)
  est <- vc$estimate
  dev0 <- dev(est)
  lower <- ifelse(vc$kind == "cor", -1, 0)
  upper <- ifelse(vc$kind == "cor", 1, Inf)
  scale <- ifelse(vc$kind == "cor", 1, pmax(est, 1e-3 * est[vc$kind == "sigma"]))
  start <- est[-i]
  prof <- function(x) {
    if (nrow(vc) == 1) return(dev(x))
    f <- function(u) {
      v <- numeric(nrow(vc))
      v[i] <- x
      v[-i] <- u * scale[-i]
      dev(v)
    }
    s <- pmin(pmax(start / scale[-i], lower[-i] / scale[-i]), upper[-i] / scale[-i])
    o <- stats::nlminb(s, f, lower = lower[-i] / scale[-i], upper = upper[-i] / scale[-i],
                       control = list(rel.tol = 1e-12, x.tol = 1e-10, eval.max = 2000,
                                      iter.max = 1000))
    start <<- o$par * scale[-i]
    o$objective
  }
  zeta <- function(x) sign(x - est[i]) * sqrt(max(prof(x) - dev0, 0))
  tol <- 1e-8 * max(1, abs(est[i]))
  if (vc$kind[i] == "cor") {
    edge <- 1 - 1e-6
    start <- est[-i]
    lo <- if (est[i] <= -edge || zeta(-edge) > -z) -1 else
      stats::uniroot(function(v) zeta(v) + z, c(-edge, est[i]), tol = tol)$root
    start <- est[-i]
    hi <- if (est[i] >= edge || zeta(edge) < z) 1 else
      stats::uniroot(function(v) zeta(v) - z, c(est[i], edge), tol = tol)$root
    return(c(lo, hi))
  }
  ref <- est[vc$kind == "sigma"]
  eps <- max(est[i], 1e-8 * ref) * 1e-4
  start <- est[-i]
  lo <- if (zeta(eps) > -z) 0 else
    stats::uniroot(function(v) zeta(v) + z, c(eps, est[i]), tol = tol)$root
  start <- est[-i]
  hi <- max(2 * est[i], 0.1 * ref)
  k <- 0
  while (zeta(hi) < z && k < 40) {
    hi <- 2 * hi
    k <- k + 1
  }
  start <- est[-i]
  up <- stats::uniroot(function(v) zeta(v) - z, c(est[i], hi), tol = tol)$root
  c(lo, up)
}
