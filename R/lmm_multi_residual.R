# Several grouping factors plus a residual covariance structure
# (`y ~ ... + (1 | SITE) + (1 | USUBJID) + ar1(AVISIT | USUBJID)`).
#
# R is block-diagonal by the residual structure's subject: R = sigma^2 C,
# C_i = C(theta_r) evaluated by the registered plugin through the
# single-factor core (cpp_lmm_residual_cov, the same evaluation fit_lmm()
# uses with one grouping factor). For given theta_r every subject block of
# X, y and Z is whitened by L_i^-1 (C_i = L_i L_i'); the whitened problem has
# iid residuals and goes to the sparse core (profiled deviance of Bates et
# al. 2015, theta_re optimised there), and
#   deviance(theta_r) = min_theta_re deviance_white(theta_re) + log|C|,
# log|C| = 2 sum log diag L_i (REML and ML: X'V^-1 X is unchanged by the
# whitening). The overall scale of C is not identifiable next to sigma^2, so
# the structure's first parameter (its log SD for the homogeneous
# structures) is held at 0 and the others are optimised (nlminb) around the
# sparse fit. Correctness first: the whitened design is rebuilt for every
# theta_r (no reuse of the symbolic analysis across theta_r).

# Per-subject pieces fixed across theta_r: row indices, the nonzero Z
# columns of each subject's rows (dense block), the evaluator of C_i.
lmm_multi_resid_setup <- function(design, reml) {
  ri <- design$residual_info
  n <- length(design$y)
  ss <- ri$subject_start
  nsub <- length(ss) - 1L
  sptr <- cpp_lmm_model(design$X, matrix(1, n, 1), design$y, as.integer(ss), 1L,
                        as.numeric(ri$coords), integer(n),
                        list(type = "plugin", key = design$residual$key,
                             n_visits = as.integer(ri$n_visits)), reml, NULL)
  info <- cpp_lmm_info(sptr)
  ys2 <- info$y_scale^2
  blocks <- vector("list", nsub)
  zrow <- split(seq_along(design$zi), design$zi)
  for (s in seq_len(nsub)) {
    idx <- if (ss[s + 1] > ss[s]) (ss[s] + 1L):ss[s + 1] else integer()
    ent <- unlist(zrow[as.character(idx - 1L)], use.names = FALSE)
    cols <- sort(unique(design$zj[ent]))
    Zs <- matrix(0, length(idx), length(cols))
    Zs[cbind(design$zi[ent] + 1L - ss[s], match(design$zj[ent], cols))] <- design$zx[ent]
    w <- if (is.null(design$weights)) NULL else design$weights[idx]
    blocks[[s]] <- list(idx = idx, cols = cols, Z = Zs, coords = ri$coords[idx],
                        key = paste(ri$coords[idx], collapse = ","), w = w)
  }
  list(sptr = sptr, n_theta_g = info$n_theta_g, n_theta_r = info$n_theta_residual,
       ys2 = ys2, blocks = blocks, reml = reml)
}

# Full theta_r from the free parameters (the first one held at 0).
lmm_multi_resid_full <- function(setup, free) c(0, free)[seq_len(setup$n_theta_r)]

# Whitened design at theta_r and log|C|.
lmm_multi_resid_white <- function(design, setup, theta_r) {
  th <- c(rep(0, setup$n_theta_g), theta_r)
  X <- design$X
  y <- design$y
  zl <- vector("list", length(setup$blocks))
  Ls <- vector("list", length(setup$blocks))
  logdet <- 0
  cache <- list()
  for (s in seq_along(setup$blocks)) {
    b <- setup$blocks[[s]]
    m <- length(b$idx)
    if (!m) next
    L <- cache[[b$key]]
    if (is.null(L)) {
      C <- cpp_lmm_residual_cov(setup$sptr, th, b$coords, integer(m)) / setup$ys2
      L <- tryCatch(t(chol(C)), error = function(e) NULL)
      if (is.null(L)) return(NULL)
      cache[[b$key]] <- L
    }
    if (!is.null(b$w)) L <- L / sqrt(b$w)  # C_w = W^-1/2 C W^-1/2
    Ls[[s]] <- L
    logdet <- logdet + 2 * sum(log(diag(L)))
    X[b$idx, ] <- forwardsolve(L, X[b$idx, , drop = FALSE])
    y[b$idx] <- forwardsolve(L, y[b$idx])
    if (length(b$cols)) {
      Zw <- forwardsolve(L, b$Z)
      nz <- which(Zw != 0, arr.ind = TRUE)
      zl[[s]] <- list(i = b$idx[nz[, 1]] - 1L, j = b$cols[nz[, 2]], x = Zw[nz])
    }
  }
  zl <- Filter(Negate(is.null), zl)
  white <- design
  white$X <- X
  white$y <- y
  white$zi <- as.integer(unlist(lapply(zl, `[[`, "i")))
  white$zj <- as.integer(unlist(lapply(zl, `[[`, "j")))
  white$zx <- as.numeric(unlist(lapply(zl, `[[`, "x")))
  white$weights <- NULL
  white$residual <- NULL
  white$residual_info <- NULL
  list(design = white, logdet = logdet, L = Ls)
}

lmm_fit_multi_resid <- function(design, reml, control = lmm_control()) {
  setup <- lmm_multi_resid_setup(design, reml)
  n_free <- max(setup$n_theta_r - 1L, 0L)
  tol <- max(control$grad_tol, 1e-6)
  state <- new.env(parent = emptyenv())
  state$theta <- NULL
  objective <- function(free) {
    wh <- lmm_multi_resid_white(design, setup, lmm_multi_resid_full(setup, free))
    if (is.null(wh)) return(Inf)
    ptr <- lmm_multi_make_ptr(wh$design, reml)
    fit <- cpp_lmm_sparse_fit(ptr, state$theta, control$max_iter, tol)
    if (is.null(state$theta)) state$theta <- as.numeric(fit$theta)
    ev <- cpp_lmm_sparse_evaluate(ptr, as.numeric(fit$theta))
    ev$deviance + wh$logdet
  }
  opt <- NULL
  free <- numeric()
  if (n_free > 0) {
    opt <- stats::nlminb(rep(0, n_free), objective,
                         control = list(eval.max = 400, iter.max = 200, rel.tol = 1e-11))
    free <- opt$par
  }
  theta_r <- lmm_multi_resid_full(setup, free)
  wh <- lmm_multi_resid_white(design, setup, theta_r)
  fit <- lmm_fit_multi_design(wh$design, reml, control)
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
  if (!is.null(opt)) {
    # nlminb's 'singular/relative/X convergence' all mean a stationary point here
    fit$converged <- fit$converged && !grepl("limit|false convergence", opt$message)
    fit$optinfo$residual <- list(iterations = opt$iterations, evaluations = opt$evaluations,
                                 message = opt$message)
  }
  class(fit) <- c("glycotrial_lmm_multi_resid", class(fit))
  fit
}

# Satterthwaite setup as lmm_multi_satterthwaite_setup() with the residual
# structure's free parameters added: varpar = (theta_re, theta_r free, sigma),
# deviance = whitened profiled deviance at sigma + log|C|, both the Hessian
# and the Jacobian of vcov(beta) by Richardson-extrapolated differences (the
# whitened design is rebuilt for every theta_r).
lmm_multi_resid_satterthwaite_setup <- function(object) {
  env <- object$cache
  if (!is.null(env$satt)) return(env$satt)
  design <- object$design
  setup <- lmm_multi_resid_setup(design, object$reml)
  nt <- length(object$theta)
  n_free <- max(setup$n_theta_r - 1L, 0L)
  vp <- c(object$theta, object$theta_residual[-1][seq_len(n_free)], sqrt(object$sigma2))
  k <- length(vp)
  at <- function(v) {
    wh <- lmm_multi_resid_white(design, setup,
                                lmm_multi_resid_full(setup, v[nt + seq_len(n_free)]))
    if (is.null(wh)) {
      glycotrial_abort("The residual structure is not positive definite near the estimate; Satterthwaite df are not available.",
                       class = "numerical", call = NULL)
    }
    list(ptr = lmm_multi_make_ptr(wh$design, object$reml), logdet = wh$logdet)
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
lmm_multi_resid_unsupported <- function(what) {
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
