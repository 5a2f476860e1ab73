# Several grouping factors plus a residual covariance structure
# (`y ~ ... + (1 | SITE) + (1 | USUBJID) + ar1(AVISIT | USUBJID)`).
#
# The model lives in the C++ core (core/lmm/sparse_residual.hpp: whitening
# by the per-pattern Cholesky factors of C(theta_r), the sparse profiled
# deviance + log|C|, the bounded optimiser of core/optim); C_i is evaluated
# by the registered plugin through the single-factor core (the same
# evaluation fit_lmm() uses with one grouping factor). R keeps the set-up of
# the visit patterns, the choice of starts and the optimality check.

# Visit patterns of the residual subjects and the core model. C_i depends
# only on a subject's pattern (its visit coordinates).
lmm_sparse_resid_setup <- function(design, reml) {
  ri <- design$residual_info
  n <- length(design$y)
  ss <- ri$subject_start
  nsub <- length(ss) - 1L
  sptr <- cpp_lmm_model(design$X, matrix(1, n, 1), design$y, as.integer(ss), 1L,
                        as.numeric(ri$coords), integer(n),
                        list(type = "plugin", key = design$residual$key,
                             n_visits = as.integer(ri$n_visits)), reml, NULL)
  info <- cpp_lmm_info(sptr)
  m_s <- diff(ss)
  key_s <- vapply(seq_len(nsub), function(s) {
    if (m_s[s] == 0L) "" else paste(ri$coords[(ss[s] + 1L):ss[s + 1L]], collapse = ",")
  }, "")
  pkeys <- unique(key_s[m_s > 0L])
  pat_s <- match(key_s, pkeys)
  coords <- lapply(seq_along(pkeys), function(p) {
    s1 <- which(pat_s == p)[1]
    as.numeric(ri$coords[(ss[s1] + 1L):ss[s1 + 1L]])
  })
  cptr <- cpp_lmm_sparse_resid_model(sptr, design$X, design$y, design$zi, design$zj, design$zx,
                                     design$q, vapply(design$terms_re, `[[`, 1L, "p"),
                                     vapply(design$terms_re, `[[`, 1L, "n_levels"), reml,
                                     if (is.null(design$weights)) numeric() else design$weights,
                                     as.integer(ss), ifelse(is.na(pat_s), -1L, pat_s - 1L), coords)
  list(sptr = sptr, cptr = cptr, n_theta_g = info$n_theta_g, n_theta_r = info$n_theta_residual,
       ys2 = info$y_scale^2, reml = reml, nsub = nsub, ss = ss, m_s = m_s, pat_s = pat_s,
       sqrt_w = if (is.null(design$weights)) NULL else sqrt(design$weights))
}

# Full theta_r from the free parameters (the first one held at 0).
lmm_sparse_resid_full <- function(setup, free) c(0, free)[seq_len(setup$n_theta_r)]

# Whitened design at the free residual parameters and log|C| (NULL when a C_i
# is not positive definite). `chol = TRUE` also returns the per-subject
# factors L_i (weights included: C_i = L_i L_i').
lmm_sparse_resid_white <- function(design, setup, free, chol = FALSE) {
  w <- cpp_lmm_sparse_resid_white(setup$cptr, free)
  if (!w$ok) return(NULL)
  white <- design
  white$X[] <- w$X
  white$y <- as.numeric(w$y)
  white$zi <- w$zi
  white$zj <- w$zj
  white$zx <- w$zx
  white$weights <- NULL
  white$residual <- NULL
  white$residual_info <- NULL
  Ls <- NULL
  if (chol) {
    Ls <- lapply(seq_len(setup$nsub), function(s) {
      if (setup$m_s[s] == 0L) return(NULL)
      L <- w$L[[setup$pat_s[s]]]
      if (!is.null(setup$sqrt_w)) L <- L / setup$sqrt_w[(setup$ss[s] + 1L):setup$ss[s + 1L]]
      L
    })
  }
  list(design = white, logdet = w$logdet, L = Ls)
}

# First-order (projected gradient) and second-order (Hessian on the free
# coordinates) optimality at par, by central differences. Coordinates at a
# lower bound count as optimal when the deviance rises into the interior,
# both by the one-sided gradient and at finite steps (1e-3 to 0.1): at a
# variance component's bound 0 the gradient is 0 whatever the optimum.
lmm_sparse_resid_check <- function(f, par, lower, grad_tol = 2e-3, h = 1e-4) {
  k <- length(par)
  f0 <- f(par)
  g <- numeric(k)
  fp <- fm <- numeric(k)
  at_bound <- par - lower < 10 * h
  for (j in seq_len(k)) {
    e <- replace(numeric(k), j, h)
    fp[j] <- f(par + e)
    if (at_bound[j]) {
      g[j] <- (fp[j] - f0) / h
    } else {
      fm[j] <- f(par - e)
      g[j] <- (fp[j] - fm[j]) / (2 * h)
    }
  }
  free <- which(!at_bound)
  H <- matrix(0, length(free), length(free))
  for (a in seq_along(free)) {
    i <- free[a]
    H[a, a] <- (fp[i] - 2 * f0 + fm[i]) / h^2
    for (b in seq_len(a - 1L)) {
      j <- free[b]
      ei <- replace(numeric(k), i, h)
      ej <- replace(numeric(k), j, h)
      H[a, b] <- H[b, a] <- (f(par + ei + ej) - f(par + ei - ej) - f(par - ei + ej) +
                               f(par - ei - ej)) / (4 * h^2)
    }
  }
  ev <- if (length(free)) eigen(H, symmetric = TRUE, only.values = TRUE)$values else numeric()
  hess_ok <- all(is.finite(ev)) && (!length(ev) || min(ev) > -1e-4 * max(1, abs(ev)))
  # first order: a small gradient, or (scale-free, for steep directions) a
  # small Newton decrement g' H^-1 g / 2, the deviance a Newton step could
  # still gain
  gf <- g[free]
  dec <- if (length(free) && hess_ok && min(ev) > 0) {
    tryCatch(0.5 * sum(gf * solve(H, gf)), error = function(e) Inf)
  } else Inf
  bound_ok <- vapply(which(at_bound), function(j) {
    steps <- c(1e-3, 1e-2, 1e-1) * max(1, abs(lower[j]))
    all(vapply(steps, function(st) f(replace(par, j, lower[j] + st)), 0) >=
          f0 - 1e-10 * (1 + abs(f0)))
  }, TRUE)
  grad_ok <- all(is.finite(g)) && (all(abs(gf) < grad_tol) || dec < 1e-5) &&
    all(g[at_bound] > -grad_tol) && all(bound_ok)
  list(gradient = g, hessian_eigen = ev, newton_decrement = dec, grad_ok = grad_ok,
       hess_ok = hess_ok,
       ok = is.finite(f0) && grad_ok && hess_ok)
}

lmm_fit_sparse_resid <- function(design, reml, control = lmm_control()) {
  setup <- lmm_sparse_resid_setup(design, reml)
  n_free <- max(setup$n_theta_r - 1L, 0L)
  tol <- max(control$grad_tol, 1e-6)
  # theta_re at the independence start (C = I), from the sparse core
  ptr0 <- lmm_sparse_make_ptr(design, reml)
  fit0 <- cpp_lmm_sparse_fit(ptr0, NULL, control$max_iter, tol)
  th0 <- as.numeric(fit0$theta)
  lower_re <- as.numeric(fit0$lower)
  nt <- length(th0)
  lower <- c(lower_re, rep(-Inf, n_free))
  f <- function(par) cpp_lmm_sparse_resid_deviance(setup$cptr, par)
  # Joint optimisation over (theta_re, free theta_r) from several starts: the
  # independence fit, a larger and a smaller random-effect share with a
  # positive correlation start (the third only when the first two end at
  # different deviances). The best end point must pass the gradient/Hessian
  # check to count as converged.
  diag_re <- lower_re == 0
  bump <- function(x, s) { x[diag_re] <- pmax(x[diag_re] * s, 0.1 * s); x }
  starts <- list(c(th0, rep(0, n_free)),
                 c(bump(th0, 2), rep(0.5, n_free)),
                 c(bump(th0, 0.5), rep(1, n_free)))
  best <- NULL
  runs <- list()
  for (st in starts) {
    if (!is.finite(f(st))) next
    o <- cpp_lmm_sparse_resid_minimise(setup$cptr, st, control$max_iter, tol)
    if (!is.finite(o$objective)) next
    runs[[length(runs) + 1]] <- c(objective = o$objective, iterations = o$iterations)
    agree <- !is.null(best) && abs(o$objective - best$objective) < 1e-6
    if (is.null(best) || o$objective < best$objective) best <- o
    if (agree) break  # two starts reached the same optimum
  }
  if (is.null(best)) {
    glycotrial_abort(c("The residual covariance structure could not be fitted: it is not positive definite at any start.",
                       "i" = "Check the time variable of the residual term, or simplify the structure."),
                     class = "numerical", call = NULL)
  }
  best$par <- as.numeric(best$par)
  chk <- lmm_sparse_resid_check(f, best$par, lower)
  free <- best$par[nt + seq_len(n_free)]
  theta_r <- lmm_sparse_resid_full(setup, free)
  wh <- lmm_sparse_resid_white(design, setup, free, chol = TRUE)
  fit <- lmm_fit_sparse_design(wh$design, reml, control, start = best$par[seq_len(nt)])
  fit$deviance <- fit$deviance + wh$logdet
  fit$logLik <- -fit$deviance / 2
  fit$df_logLik <- fit$df_logLik + n_free
  fit$theta_residual <- theta_r
  ri <- design$residual_info
  vc <- if (isTRUE(ri$spatial)) as.numeric(ri$levels) else seq_len(ri$n_visits) - 1
  C1 <- cpp_lmm_residual_cov(setup$sptr, c(rep(0, setup$n_theta_g), theta_r), vc,
                             integer(length(vc))) / setup$ys2
  dimnames(C1) <- list(as.character(ri$levels), as.character(ri$levels))
  fit$residual_cov <- fit$sigma2 * C1
  fit$design_white <- wh$design
  fit$residual_chol <- wh$L  # per residual subject (model order): C_i = L L'
  fit$design <- design
  fit$converged <- chk$ok
  fit$optinfo <- list(iterations = best$iterations, evaluations = best$evaluations,
                      message = if (chk$ok && isTRUE(best$converged)) best$message else if (chk$ok)
                        "the end point passed the optimality check (the search stopped at its iteration limit)" else
                        paste0("the end point failed the optimality check (",
                               if (!chk$hess_ok) "Hessian not positive semi-definite" else "gradient not small",
                               "; largest |gradient| ", signif(max(abs(chk$gradient)), 3), ")"),
                      gradient = chk$gradient, hessian_eigen = chk$hessian_eigen,
                      newton_decrement = chk$newton_decrement,
                      starts = do.call(rbind, runs))
  class(fit) <- c("glycotrial_lmm_multi_resid", class(fit))
  fit
}

# Satterthwaite setup as lmm_sparse_satterthwaite_setup() with the residual
# structure's free parameters added: varpar = (theta_re, theta_r free, sigma),
# deviance = whitened profiled deviance at sigma + log|C|, both the Hessian
# and the Jacobian of vcov(beta) by Richardson-extrapolated differences (the
# whitened design is rebuilt for every theta_r).
lmm_sparse_resid_satterthwaite_setup <- function(object) {
  env <- object$cache
  if (!is.null(env$satt)) return(env$satt)
  design <- object$design
  setup <- lmm_sparse_resid_setup(design, object$reml)
  nt <- length(object$theta)
  n_free <- max(setup$n_theta_r - 1L, 0L)
  vp <- c(object$theta, object$theta_residual[-1][seq_len(n_free)], sqrt(object$sigma2))
  k <- length(vp)
  at <- function(v) {
    wh <- lmm_sparse_resid_white(design, setup, v[nt + seq_len(n_free)])
    if (is.null(wh)) {
      glycotrial_abort("The residual structure is not positive definite near the estimate; Satterthwaite df are not available.",
                       class = "numerical", call = NULL)
    }
    list(ptr = lmm_sparse_make_ptr(wh$design, object$reml), logdet = wh$logdet)
  }
  dev <- function(v) {
    a <- at(v)
    cpp_lmm_sparse_deviance_sigma(a$ptr, v[seq_len(nt)], v[k]) + a$logdet
  }
  covb <- function(v) v[k]^2 * cpp_lmm_sparse_evaluate(at(v)$ptr, v[seq_len(nt)])$unscaled_vcov
  H <- lmm_richardson_hessian(dev, vp)
  A <- tryCatch(2 * solve(H), error = function(e) 2 * MASS_ginv(H))
  jac <- lapply(seq_len(k), function(j) lmm_richardson_deriv(function(x) {
    v <- vp
    v[j] <- x
    covb(v)
  }, vp[j]))
  env$satt <- list(A = A, jac = jac)
  env$satt
}

# Methods not available yet for several grouping factors with a residual
# structure: a classed error instead of an answer that ignores theta_r.
lmm_sparse_resid_unsupported <- function(what) {
  glycotrial_abort(c("{what} is not available yet for several grouping factors combined with a residual covariance structure.",
                     "i" = "Use Satterthwaite df and Wald intervals, or fit with one grouping factor (or without the residual term) for it."),
                   class = c("glycotrial_error_unsupported", "input"), call = NULL)
}

#' @export
print.glycotrial_lmm_multi_resid <- function(x, digits = 4, ...) {
  NextMethod()
  cat("Residual covariance structure ", x$design$residual$key, "(", x$design$residual$time,
      " | ", x$design$residual$group, "), first subject block:\n", sep = "")
  print(signif(x$residual_cov, digits))
  invisible(x)
}
