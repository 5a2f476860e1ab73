# Inference for fit_lmm() fits (glycotrial_lmm and the multi-factor
# glycotrial_lmm_multi): the Satterthwaite / Kenward-Roger pieces each model
# supplies, contrasts and F tests, anova, coefficient tables and Wald /
# profile intervals. The df algebra is the shared core (src/core/inference:
# cpp_lmm_kr_test, cpp_satterthwaite_df, cpp_fai_cornelius_df), as for the MMRM.

# Satterthwaite machinery: covariance of the absolute variance parameters
# (2 H^-1, H the Hessian of the deviance) and the Jacobian of vcov(beta).
lmm_satterthwaite_setup <- function(object) {
  if (inherits(object, "glycotrial_lmm_multi")) return(lmm_sparse_satterthwaite_setup(object))
  env <- object$cache
  if (!is.null(env$satt)) return(env$satt)
  ptr <- lmm_ptr(object)
  phi <- object$theta_absolute
  H <- cpp_lmm_hessian(ptr, phi, FALSE)
  A <- tryCatch(2 * solve(H), error = function(e) 2 * MASS_ginv(H))
  jac <- lapply(seq_along(phi), function(j) {
    h <- 1e-4 * max(1, abs(phi[j]))
    pp <- phi; pp[j] <- pp[j] + h
    pm <- phi; pm[j] <- pm[j] - h
    (cpp_lmm_evaluate(ptr, pp, FALSE, FALSE)$vcov - cpp_lmm_evaluate(ptr, pm, FALSE, FALSE)$vcov) / (2 * h)
  })
  env$satt <- list(A = A, jac = jac)
  env$satt
}

# Kenward-Roger setup (Phi, Phi_A, P_j, W), computed in the core and cached.
lmm_kr_setup <- function(object) {
  env <- object$cache
  if (!is.null(env$kr)) return(env$kr)
  if (!object$reml) {
    glycotrial_abort(c("Kenward-Roger df are defined for REML fits only.",
                       "i" = "Refit with {.code reml = TRUE} or use {.code ddf = \"Satterthwaite\"}."),
                     call = NULL)
  }
  kr <- if (inherits(object, "glycotrial_lmm_multi")) {
    lmm_sparse_kr_setup(object)
  } else {
    cpp_lmm_kr_setup(lmm_ptr(object), object$theta_absolute)
  }
  nm <- names(object$coefficients)
  dimnames(kr$phi) <- dimnames(kr$phi_adj) <- list(nm, nm)
  env$kr <- kr
  kr
}

lmm_match_ddf <- function(ddf) {
  choices <- c("Satterthwaite", "Kenward-Roger", "residual")
  if (identical(ddf, choices)) return(choices[1])
  check_choice(ddf, choices, arg = "ddf")
}

MASS_ginv <- function(X, tol = sqrt(.Machine$double.eps)) {
  s <- svd(X)
  pos <- s$d > max(tol * s$d[1L], 0)
  s$v[, pos, drop = FALSE] %*% ((1 / s$d[pos]) * t(s$u[, pos, drop = FALSE]))
}

# Satterthwaite df of each row of L (a vector: one contrast).
lmm_df_1 <- function(object, l, setup) {
  cpp_satterthwaite_df(object$vcov, setup$jac, setup$A, matrix(l, ncol = length(object$coefficients)))
}

#' @rdname lmm_methods
#' @export
lmm_contrast <- function(object, L, ddf = c("Satterthwaite", "Kenward-Roger", "residual")) {
  if (!inherits(object, "glycotrial_lmm")) {
    glycotrial_abort("{.arg object} must be a {.fn fit_lmm} fit, not {describe_value(object)}.")
  }
  ddf <- lmm_match_ddf(ddf)
  if (!is.numeric(L) || anyNA(L) || any(!is.finite(L))) {
    glycotrial_abort("{.arg L} must be a finite numeric vector or matrix, not {describe_value(L)}.")
  }
  if (is.null(dim(L))) L <- matrix(L, nrow = 1)
  if (ncol(L) != length(object$coefficients)) {
    glycotrial_abort("{.arg L} must have {length(object$coefficients)} columns, not {ncol(L)}.")
  }
  est <- drop(L %*% object$coefficients)
  V <- L %*% object$vcov %*% t(L)
  q <- nrow(L)
  if (ddf == "residual") {
    df <- object$nobs - length(object$coefficients)
    F <- drop(t(est) %*% solve(V, est)) / q
    return(list(estimate = est, se = sqrt(diag(V)), F = F, num_df = q, den_df = df,
                p.value = stats::pf(F, q, df, lower.tail = FALSE)))
  }
  if (ddf == "Kenward-Roger") {
    kr <- lmm_kr_setup(object)
    r <- cpp_lmm_kr_test(kr, L)
    VA <- L %*% kr$phi_adj %*% t(L)
    F <- r$f_scaling * drop(t(est) %*% solve(VA, est)) / q
    return(list(estimate = est, se = sqrt(diag(VA)), F = F, num_df = q, den_df = r$df,
                p.value = stats::pf(F, q, r$df, lower.tail = FALSE)))
  }
  setup <- lmm_satterthwaite_setup(object)
  if (q == 1) {
    df <- lmm_df_1(object, drop(L), setup)
    F <- est^2 / drop(V)
  } else {
    # Fai & Cornelius (1996) as in lmerTest::contestMD: q one-df tests on the
    # eigenvectors of L V L'.
    e <- eigen(V, symmetric = TRUE)
    tol <- sqrt(.Machine$double.eps)
    pos <- e$values > tol * max(e$values)
    q <- sum(pos)
    P <- t(e$vectors[, pos, drop = FALSE])
    PL <- P %*% L
    t2 <- drop(PL %*% object$coefficients)^2 / e$values[pos]
    F <- sum(t2) / q
    nu <- lmm_df_1(object, PL, setup)
    # one small-df convention for every model (src/core/inference/df.hpp):
    # any nu <= 2 gives 2, as lmerTest, mmrm and pbkrtest
    df <- cpp_fai_cornelius_df(nu)
  }
  list(estimate = est, se = sqrt(diag(V)), F = F, num_df = q, den_df = df,
       p.value = stats::pf(F, q, df, lower.tail = FALSE))
}

#' @rdname lmm_methods
#' @method anova glycotrial_lmm
#' @export
anova.glycotrial_lmm <- function(object, ..., ddf = c("Satterthwaite", "Kenward-Roger", "residual"),
                                 type = c("III", "marginal"), refit = TRUE) {
  dots <- list(...)
  is_fit <- vapply(dots, inherits, logical(1), what = "glycotrial_lmm")
  if (length(dots) && !all(is_fit)) {
    glycotrial_abort(c("{.fn anova} takes further {.fn fit_lmm} fits in {.arg ...} only.",
                       "x" = "Found {describe_value(dots[!is_fit][[1]])}."))
  }
  if (length(dots)) {
    cl <- match.call(expand.dots = FALSE)
    labs <- c(deparse1(cl$object), vapply(cl$..., deparse1, ""))
    return(lmm_anova_lrt(c(list(object), dots), labs, refit))
  }
  ddf <- lmm_match_ddf(ddf)
  if (identical(type, c("III", "marginal"))) type <- "III"
  if (identical(as.character(type), "3")) type <- "III"
  if (!is.character(type) || length(type) != 1 || !type %in% c("III", "marginal")) {
    glycotrial_abort(c("{.arg type} must be {.val III} (or 3) or {.val marginal}, not {describe_value(type)}.",
                       "i" = "Type II tests are available for {.fn mmrm_fit} fits."))
  }
  if (inherits(object, "glycotrial_joint")) {
    glycotrial_abort(c("{.fn anova} F tests per term are not available for joint models (two responses share the terms).",
                       "i" = "Test the coefficients of interest with {.fn lmm_contrast}."),
                     class = c("glycotrial_error_unsupported", "input"))
  }
  Ls <- if (type == "III") lmm_type3_contrasts(object) else lmm_marginal_contrasts(object)
  rows <- lapply(names(Ls), function(term) {
    L <- Ls[[term]]
    if (!nrow(L)) return(NULL)
    r <- lmm_contrast(object, L, ddf = ddf)
    data.frame(NumDF = r$num_df, DenDF = r$den_df, `F value` = r$F, `Pr(>F)` = r$p.value,
               check.names = FALSE, row.names = term)
  })
  out <- do.call(rbind, rows)
  heading <- if (type == "III") sprintf("Type III F tests (%s df)\n", ddf) else
    sprintf("Marginal F tests of the fit's coefficients per term (%s df)\n", ddf)
  if (is.null(out)) {
    # Intercept-only (or no) fixed part: nothing to test, as lmerTest.
    out <- data.frame(NumDF = numeric(), DenDF = numeric(), `F value` = numeric(),
                      `Pr(>F)` = numeric(), check.names = FALSE)
    heading <- c(heading, "No fixed-effect terms to test (the intercept is not tested).\n")
  }
  structure(out, heading = heading, class = c("anova", "data.frame"))
}

# Likelihood-ratio tests between nested fits, as lme4's anova(m1, m2): REML
# fits are refitted by ML first (refit = TRUE), models sorted by their number
# of parameters, each compared with the previous one.
lmm_anova_lrt <- function(fits, labs, refit) {
  check_flag(refit)
  n <- vapply(fits, function(f) f$nobs, numeric(1))
  if (length(unique(n)) > 1) {
    glycotrial_abort(c("The models in {.fn anova} must be fitted to the same observations.",
                       "x" = "Numbers of observations: {n}."))
  }
  if (refit) {
    fits <- lapply(fits, function(f) {
      if (!f$reml) f else if (inherits(f, "glycotrial_lmm_multi")) {
        lmm_fit_sparse_design(f$design, reml = FALSE)
      } else lmm_ml_fit(f)
    })
  }
  ll <- vapply(fits, function(f) f$logLik, numeric(1))
  np <- vapply(fits, function(f) f$df_logLik, numeric(1))
  o <- order(np)
  ll <- ll[o]; np <- np[o]
  chisq <- c(NA, 2 * pmax(diff(ll), 0))
  df <- c(NA, diff(np))
  p <- ifelse(!is.na(df) & df > 0, stats::pchisq(chisq, df, lower.tail = FALSE), NA_real_)
  out <- data.frame(npar = np, AIC = -2 * ll + 2 * np, BIC = -2 * ll + log(n[1]) * np,
                    logLik = ll, deviance = -2 * ll, Chisq = chisq, Df = df, `Pr(>Chisq)` = p,
                    check.names = FALSE, row.names = make.unique(labs[o]))
  structure(out, heading = sprintf("Likelihood-ratio tests (%s fits)\n",
                                   if (refit || !any(vapply(fits, `[[`, TRUE, "reml"))) "ML" else "REML"),
            class = c("anova", "data.frame"))
}

lmm_coef_table <- function(object, ddf = "Satterthwaite") {
  b <- object$coefficients
  se <- sqrt(diag(object$vcov))
  if (ddf == "Kenward-Roger") {
    kr <- lmm_kr_setup(object)
    se <- sqrt(diag(kr$phi_adj))
  }
  df <- if (ddf == "Kenward-Roger") {
    vapply(seq_along(b), function(j) {
      l <- matrix(0, 1, length(b)); l[j] <- 1
      cpp_lmm_kr_test(kr, l)$df
    }, numeric(1))
  } else if (ddf == "Satterthwaite") {
    lmm_df_1(object, diag(length(b)), lmm_satterthwaite_setup(object))
  } else rep(object$nobs - length(b), length(b))
  t <- b / se
  data.frame(Estimate = b, `Std. Error` = se, df = df, `t value` = t,
             `Pr(>|t|)` = 2 * stats::pt(abs(t), df, lower.tail = FALSE), check.names = FALSE)
}

#' @rdname lmm_methods
#' @method confint glycotrial_lmm
#' @export
confint.glycotrial_lmm <- function(object, parm, level = 0.95, method = c("Wald", "profile"),
                                   ...) {
  method <- match.arg(method)
  check_number(level, lower = 0, upper = 1, open = TRUE)
  b <- object$coefficients
  vc <- lmm_vc_table(object)
  if (missing(parm)) parm <- if (method == "profile") c(vc$name, names(b)) else names(b)
  parm <- lmm_confint_parm(parm, names(b), vc$name)
  z <- stats::qnorm(1 - (1 - level) / 2)
  out <- matrix(NA_real_, length(parm), 2)
  is_b <- parm %in% names(b)
  if (method == "profile") {
    for (k in seq_along(parm)) {
      nm <- parm[k]
      out[k, ] <- if (is_b[k]) {
        lmm_profile_beta(object, nm, z, sqrt(object$vcov[nm, nm]))
      } else {
        lmm_profile_vc(object, vc[vc$name == nm, , drop = FALSE], z)
      }
    }
  } else if (any(is_b)) {
    se <- sqrt(diag(object$vcov))[parm[is_b]]
    out[is_b, ] <- cbind(b[parm[is_b]] - z * se, b[parm[is_b]] + z * se)
  }
  dimnames(out) <- list(parm, sprintf("%.1f %%", 100 * c((1 - level) / 2, 1 - (1 - level) / 2)))
  out
}

# Variance components on lme4's scale, in lme4's order (per block: the lower
# triangle column by column, SDs on the diagonal and correlations below it;
# then the residual SD when the residual is iid), named as tidy() names them.
lmm_vc_table <- function(object) {
  G <- object$G
  nm <- colnames(G)
  blocks <- object$design$blocks
  rows <- list()
  off <- 0L
  for (k in seq_along(blocks)) {
    bsz <- blocks[k]
    for (c in seq_len(bsz)) {
      for (r in c:bsz) {
        gi <- off + r
        gj <- off + c
        if (r == c) {
          rows[[length(rows) + 1]] <- data.frame(
            name = paste0("sd__", nm[gi]), kind = "sd", block = k, i = r, j = r,
            estimate = sqrt(G[gi, gi]), stringsAsFactors = FALSE)
        } else {
          rows[[length(rows) + 1]] <- data.frame(
            name = paste0("cor__", nm[gj], ".", nm[gi]), kind = "cor", block = k, i = c, j = r,
            estimate = G[gi, gj] / sqrt(G[gi, gi] * G[gj, gj]), stringsAsFactors = FALSE)
        }
      }
    }
    off <- off + bsz
  }
  if (is.null(object$design$residual)) {
    rows[[length(rows) + 1]] <- data.frame(name = "sd__Observation", kind = "sigma", block = 0L,
                                           i = 0L, j = 0L, estimate = sqrt(object$sigma2),
                                           stringsAsFactors = FALSE)
  }
  do.call(rbind, rows)
}

# The ML fit used for likelihood profiles (a REML fit's ML refit, cached).
lmm_ml_fit <- function(object) {
  if (!object$reml) return(object)
  env <- object$cache
  if (is.null(env$ml)) {
    env$ml <- if (inherits(object, "glycotrial_lmm_multi")) {
      lmm_fit_sparse_design(object$design, reml = FALSE)
    } else {
      lmm_fit_design(object$design, reml = FALSE)
    }
  }
  env$ml
}

# Counts the profile points whose inner minimisation did not converge and,
# at report(), warns when there were any: an interval solved on such points
# may be wrong, and must not pass as a converged result.
lmm_profile_points <- function(name) {
  n <- 0L
  bad <- 0L
  list(add = function(converged) {
    n <<- n + 1L
    if (!isTRUE(converged)) bad <<- bad + 1L
  }, report = function() {
    if (bad > 0L) {
      glycotrial_warn(c("The profile of {.val {name}} did not converge at {bad} of {n} point{?s}; its interval may be inaccurate.",
                        "i" = "Use Wald intervals ({.code method = \"Wald\"}) or check the fit."),
                      class = "glycotrial_warning_convergence")
    }
  })
}

# Profile-likelihood interval of one variance component: the signed root of
# the ML deviance difference with the component fixed and all other variance
# parameters re-optimised in the core (beta profiled out), solved for +-z.
# SDs are bounded below by 0 and correlations by -1 and 1: when the profile
# does not reach the bound's zeta, the bound itself is returned (as lme4).
lmm_profile_vc <- function(object, row, z) {
  ml <- lmm_ml_fit(object)
  vc <- lmm_vc_table(ml)
  row <- vc[vc$name == row$name, , drop = FALSE]
  ptr <- lmm_ptr(ml)
  th0 <- ml$theta_absolute
  dev0 <- ml$deviance
  est <- row$estimate
  ctl <- lmm_control()
  points <- lmm_profile_points(row$name)
  on.exit(points$report(), add = TRUE)
  dev <- function(v) {
    p <- cpp_lmm_profile_vc(ptr, row$kind, row$block - 1L, row$i - 1L, row$j - 1L, v, th0,
                            ctl$max_iter, ctl$grad_tol, ctl$newton_steps)
    points$add(p$converged)
    p$deviance
  }
  zeta <- function(v) sign(v - est) * sqrt(max(dev(v) - dev0, 0))
  tol <- 1e-9 * max(1, abs(est))
  if (row$kind == "cor") {
    edge <- 1 - 1e-7
    lo <- if (est <= -edge || zeta(-edge) > -z) -1 else
      stats::uniroot(function(v) zeta(v) + z, c(-edge, est), tol = tol)$root
    hi <- if (est >= edge || zeta(edge) < z) 1 else
      stats::uniroot(function(v) zeta(v) - z, c(est, edge), tol = tol)$root
    return(c(lo, hi))
  }
  ref <- sqrt(ml$sigma2)
  if (!is.finite(ref)) ref <- ml$y_scale
  eps <- max(est, 1e-8 * ref) * 1e-4
  lo <- if (zeta(eps) > -z) 0 else
    stats::uniroot(function(v) zeta(v) + z, c(eps, est), tol = tol)$root
  hi <- max(2 * est, 0.1 * ref)
  k <- 0
  while (zeta(hi) < z && k < 40) {
    hi <- 2 * hi
    k <- k + 1
  }
  up <- stats::uniroot(function(v) zeta(v) - z, c(est, hi), tol = tol)$root
  c(lo, up)
}

# Profile-likelihood interval of one fixed effect: the signed root of the ML
# deviance difference, with beta_j fixed (moved to an offset) and everything
# else re-maximised, solved for +-z by uniroot (Venzon & Moolgavkar 1988).
lmm_profile_beta <- function(object, name, z, se) {
  d <- object$design
  ml <- lmm_ml_fit(object)
  j <- match(name, colnames(d$X))
  bhat <- ml$coefficients[[name]]
  dev0 <- ml$deviance
  dj <- d
  dj$X <- d$X[, -j, drop = FALSE]
  if (ncol(dj$X) == 0) dj$X <- matrix(0, nrow(d$X), 0)
  multi <- inherits(object, "glycotrial_lmm_multi")
  if (!multi && ncol(dj$X) == 0) {
    glycotrial_abort(c("Profile intervals for fixed effects need at least two fixed effects; the model has only {.val {name}}.",
                       "i" = "Use {.code parm = \"theta_\"} for the variance components, or {.code method = \"Wald\"}."),
                     call = NULL)
  }
  prof_dev <- function(bj) {
    dj$y <- d$y - d$X[, j] * bj
    if (multi) return(lmm_fit_sparse_design(dj, reml = FALSE)$deviance)
    lmm_fit_design(dj, reml = FALSE)$deviance
  }
  zeta <- function(bj) sign(bj - bhat) * sqrt(max(prof_dev(bj) - dev0, 0))
  se_ml <- sqrt(ml$vcov[name, name])
  lower <- stats::uniroot(function(x) zeta(x) + z, c(bhat - 3 * z * se_ml, bhat),
                          extendInt = "upX", tol = 1e-8 * max(1, abs(bhat)))$root
  upper <- stats::uniroot(function(x) zeta(x) - z, c(bhat, bhat + 3 * z * se_ml),
                          extendInt = "upX", tol = 1e-8 * max(1, abs(bhat)))$root
  c(lower, upper)
}
