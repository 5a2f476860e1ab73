# Degrees of freedom and adjusted covariances for glycotrial_mmrm fits:
# Satterthwaite, Kenward-Roger (and its linear variant), between-within and
# residual; sandwich (empirical) covariances. Glue only: the MMRM engine
# supplies its pieces (Jacobian terms P_j, the weighted Kenward-Roger sums,
# the subjects' sandwich matrices) and the df algebra on them is the one
# implementation in src/core/inference (cpp_kr_*, cpp_satterthwaite_df,
# cpp_fai_cornelius_df, cpp_between_within_df, cpp_empirical_df), shared
# with the LMM and the emmeans methods.

# Kenward & Roger (1997), eq. (2)-(5): Phi_A = Phi + 2 Phi Lambda Phi with
# Lambda = sum_ij W_ij (Q_ij - P_i Phi P_j - R_ij / 4); the linear variant
# drops the second-derivative term R (covariances linear in theta).
# P_i here is X' Sigma^-1 dSigma_i Sigma^-1 X (= -X' dSigma^-1/dtheta_i X);
# its sign cancels in every product below.
mmrm_kr_components <- function(object, linear = FALSE) {
  W <- object$theta_vcov
  # theta_vcov is NA when the Hessian could not be inverted (covariance
  # parameters not identified, e.g. ar1h with one observation per subject);
  # `if (W[i, j] != 0)` below then failed with an unclassed R error.
  if (anyNA(W)) {
    glycotrial_abort(c(
      "Kenward-Roger needs the covariance of the variance parameters, but the Hessian of the deviance is singular at the optimum.",
      "i" = "The covariance structure is not identified by these data; use {.code df = \"Residual\"} or {.code \"Between-Within\"}, or a simpler structure."),
      class = "numerical", call = NULL)
  }
  Phi <- object$beta_vcov
  # A fit mapped back from a centred engine (data far from zero): the
  # adjusted covariance is computed in the engine's parametrisation and
  # mapped with T (exact: Kenward-Roger is equivariant under beta = T
  # beta*), as at the fit. Mapping its pieces instead and combining them
  # with the formula's Phi, which holds the centre squared, lost ~ centre^2
  # eps (1e-5 relative in the SEs with a covariate offset by 1e6). Otherwise
  # the engine's parametrisation is the formula's.
  dc <- object$df_centred
  centred <- !is.null(object$engine_map$Ti) && !is.null(dc)
  P <- if (centred || is.null(object$jac_P)) cpp_mmrm_jacobian(object$engine, object$theta) else object$jac_P
  qr_sums <- cpp_mmrm_kr(object$engine, object$theta, W, !linear)
  adj <- cpp_kr_adjusted_vcov(if (centred) dc$beta_vcov else Phi, P, W, qr_sums$Q,
                              if (linear) NULL else qr_sums$R)
  out <- list(P = P, vcov_adj = adj, linear = linear)
  if (centred) {
    adj <- dc$T %*% adj %*% t(dc$T)
    out <- list(P = lapply(P, function(Pj) mmrm_engine_info(object, Pj)), P_centred = P,
                vcov_adj = (adj + t(adj)) / 2, linear = linear)
  }
  dimnames(out$vcov_adj) <- dimnames(Phi)
  out
}

# Covariance of the estimable coefficients of the requested type.
mmrm_vcov_compute <- function(object, type) {
  Phi <- object$beta_vcov
  switch(type,
    "Asymptotic" = Phi,
    "Kenward-Roger" = ,
    "Kenward-Roger-Linear" = {
      kr <- object$kr
      if (is.null(kr) || kr$linear != (type == "Kenward-Roger-Linear")) {
        kr <- mmrm_kr_components(object, linear = type == "Kenward-Roger-Linear")
      }
      kr$vcov_adj
    },
    "Empirical" = , "Empirical-Jackknife" = , "Empirical-Bias-Reduced" =
      mmrm_sandwich(object, type))
}

# Sandwich estimators (mmrm's "empirical covariance" vignette; Bell &
# McCaffrey 2002): meat = sum_i X_i' S_i^-1 A_i r_i r_i' A_i' S_i^-1 X_i with
# A_i = I (CR0), (I - H_ii)^-1 (jackknife) or (I - H_ii)^-1/2
# (bias-reduced), H_ii = X_i Phi X_i' S_i^-1.
mmrm_sandwich <- function(object, type) {
  Phi <- object$beta_vcov
  beta <- object$beta_est
  em <- object$engine_map
  if (type == "Empirical") {
    sp <- cpp_mmrm_subject_pass(object$engine, object$theta, mmrm_engine_beta(object, beta))
    meat <- crossprod(sp$scores)
    if (!is.null(em$Ti)) {
      # a centred engine's scores are X*' S^-1 r: the sandwich in its
      # parametrisation, mapped with T (as at the fit; the formula's Phi
      # carries the centre squared)
      Phi <- object$df_centred$beta_vcov
      v <- em$T %*% (Phi %*% meat %*% Phi) %*% t(em$T)
      v <- (v + t(v)) / 2
      dimnames(v) <- dimnames(object$beta_vcov)
      return(v)
    }
  } else {
    X <- object$x_matrix
    r <- object$y - drop(X %*% beta)
    meat <- matrix(0, ncol(X), ncol(X))
    st <- object$subject_start
    for (s in seq_len(length(st) - 1)) {
      idx <- (st[s] + 1):st[s + 1]
      S <- mmrm_subject_sigma(object, s)
      Xi <- X[idx, , drop = FALSE]
      Si_X <- solve(S, Xi)
      H <- Xi %*% Phi %*% t(Si_X)
      IH <- diag(length(idx)) - H
      # a subject with leverage 1 (its data alone determine a coefficient,
      # e.g. a covariate non-zero for that subject only): I - H is singular
      lev_ev <- Mod(eigen(IH, only.values = TRUE)$values)
      if (min(lev_ev) < 1e-8 * max(1, max(lev_ev))) {
        glycotrial_abort(c(
          "{.arg vcov} = {.val {type}} cannot be computed: subject {.val {as.character(object$subject[idx[1]])}} has leverage 1 (its observations alone determine a coefficient).",
          "i" = "Use {.code vcov = \"Empirical\"} (or the asymptotic covariance), or remove the covariate or coefficient that only this subject informs."),
          class = c("glycotrial_error_leverage", "glycotrial_error_numerical"), call = NULL)
      }
      A <- if (type == "Empirical-Jackknife") {
        solve(IH)
      } else {
        e <- eigen(IH)
        Re(e$vectors %*% diag(1 / sqrt(as.complex(e$values)), length(idx)) %*% solve(e$vectors))
      }
      u <- crossprod(Si_X, A %*% r[idx])
      meat <- meat + tcrossprod(u)
    }
  }
  v <- Phi %*% meat %*% Phi
  v <- (v + t(v)) / 2
  dimnames(v) <- dimnames(Phi)
  v
}

# Sigma_i of subject s (1-based, engine order), including weights.
mmrm_subject_sigma <- function(object, s) {
  st <- object$subject_start
  idx <- (st[s] + 1):st[s + 1]
  g <- if (is.null(object$group)) 0L else as.integer(object$group[idx[1]]) - 1L
  S <- cpp_mmrm_sigma(object$engine, object$theta, g, object$coord[idx])
  w <- object$weights[idx]
  S / sqrt(outer(w, w))
}

# ---- one-dimensional contrasts -----------------------------------------------

# Model-based df pieces for contrasts L (rows): Phi, the Jacobians and, with
# `kr` (Kenward-Roger components: object$kr or recomputed), its P matrices
# with L. A fit made in a centred parametrisation (data far from zero,
# moments_map_back()) keeps them there: the df of L beta are those of
# (L T) beta*, computed without the centre-squared cancellation of the mapped
# matrices.
mmrm_df_pieces <- function(object, L, kr = NULL) {
  dc <- object$df_centred
  L <- matrix(L, ncol = length(object$beta_est))
  if (!is.null(dc) && (is.null(kr) || !is.null(kr$P_centred))) {
    return(list(Phi = dc$beta_vcov, jac_list = dc$jac_list, P = kr$P_centred, L = L %*% dc$T))
  }
  list(Phi = object$beta_vcov, jac_list = object$jac_list, P = kr$P, L = L)
}

mmrm_df_1d <- function(object, contrast, method = object$df_method) {
  contrast <- as.numeric(contrast)
  Phi <- object$beta_vcov
  switch(method,
    "Satterthwaite" = if (mmrm_is_empirical(object)) {
      mmrm_df_empirical(object, contrast)
    } else {
      pc <- mmrm_df_pieces(object, contrast)
      cpp_satterthwaite_df(pc$Phi, pc$jac_list, object$theta_vcov, pc$L)
    },
    "Kenward-Roger" = , "Kenward-Roger-Linear" = {
      kr <- object$kr %||% mmrm_kr_components(object, method == "Kenward-Roger-Linear")
      pc <- mmrm_df_pieces(object, contrast, kr)
      mmrm_kr_df(pc$Phi, pc$L, object$theta_vcov, pc$P)$m
    },
    "Residual" = object$n_obs - object$n_beta,
    "Between-Within" = {
      bw <- mmrm_bw_df(object)
      min(bw[contrast != 0])
    })
}

# Kenward & Roger (1997), section 4: denominator df m and scale lambda for
# the hypothesis L beta = 0 (L: l x p), from the unadjusted Phi.
mmrm_kr_df <- function(Phi, L, W, P) {
  r <- cpp_kr_df(Phi, P, W, L)
  list(m = r$df, lambda = r$f_scaling)
}

# Between-within df per estimable coefficient (Schluchter & Elashoff 1990;
# SAS DDFM=BW), with mmrm's conventions: columns constant within every
# subject are between-subject effects and get n_subjects - (number of
# between columns) - (intercept); the others, and the intercept itself, get
# n_obs - n_subjects - (number of within columns).
mmrm_bw_df <- function(object) {
  X <- object$x_matrix
  df <- cpp_between_within_df(X, as.integer(as.factor(object$subject)),
                              colnames(X) == "(Intercept)", object$n_obs, object$n_subjects)
  stats::setNames(df, colnames(X))
}

# Estimate, SE (from the chosen covariance), df, t and p for one contrast.
mmrm_test_1d <- function(object, contrast, method = object$df_method) {
  contrast <- as.numeric(contrast)
  est <- sum(contrast * object$beta_est)
  se <- sqrt(sum(contrast * (object$beta_vcov_adj %*% contrast)))
  df <- mmrm_df_1d(object, contrast, method)
  t <- est / se
  list(est = est, se = se, df = df, t_stat = t, p_val = 2 * stats::pt(-abs(t), df))
}

# ---- multi-dimensional contrasts (F tests) ------------------------------------

mmrm_test_md <- function(object, L, method = object$df_method) {
  L <- matrix(L, ncol = length(object$beta_est))
  l <- nrow(L)
  if (l == 1) {
    r <- mmrm_test_1d(object, L[1, ], method)
    return(list(num_df = 1, denom_df = r$df, f_stat = r$t_stat^2,
                p_val = stats::pf(r$t_stat^2, 1, r$df, lower.tail = FALSE)))
  }
  beta <- object$beta_est
  V <- object$beta_vcov_adj
  diff <- L %*% beta
  f_stat <- drop(t(diff) %*% solve(L %*% V %*% t(L), diff)) / l
  if (method %in% c("Kenward-Roger", "Kenward-Roger-Linear")) {
    kr <- object$kr %||% mmrm_kr_components(object, method == "Kenward-Roger-Linear")
    pc <- mmrm_df_pieces(object, L, kr)
    kd <- mmrm_kr_df(pc$Phi, pc$L, object$theta_vcov, pc$P)
    f_stat <- f_stat * kd$lambda
    denom <- kd$m
  } else if (method == "Satterthwaite") {
    # rotate by the covariance in use (the sandwich one for empirical fits)
    Phi <- if (mmrm_is_empirical(object)) object$beta_vcov_adj else object$beta_vcov
    e <- eigen(L %*% Phi %*% t(L), symmetric = TRUE)
    rot <- t(e$vectors) %*% L
    t_df <- apply(rot, 1, function(cc) mmrm_df_1d(object, cc, "Satterthwaite"))
    denom <- cpp_fai_cornelius_df(t_df)
  } else if (method == "Residual") {
    denom <- object$n_obs - object$n_beta
  } else {
    bw <- mmrm_bw_df(object)
    denom <- min(bw[colSums(L != 0) > 0])
  }
  list(num_df = l, denom_df = denom, f_stat = f_stat,
       p_val = stats::pf(f_stat, l, denom, lower.tail = FALSE))
}

# ---- Satterthwaite df for the sandwich covariances -----------------------------

mmrm_is_empirical <- function(object) {
  object$vcov_type %in% c("Empirical", "Empirical-Jackknife", "Empirical-Bias-Reduced")
}

# Bell & McCaffrey (2002), as mmrm does for its empirical covariances: the
# variance estimate c'V_emp c is approximately a weighted sum of chi^2_1
# with weights the eigenvalues of G = Gamma'Gamma, Gamma = [g_1 .. g_n],
# g_i = (I - H)_i' A_i X~_i Phi c in whitened coordinates (X~_i = L_i^-1 X_i,
# Sigma_i = L_i L_i', H = X~ Phi X~', A_i = I, (I - H_ii)^-1 or
# (I - H_ii)^-1/2), so df = tr(G)^2 / ||G||_F^2. Expanding g_i'g_j gives
# G = D - Z Phi Z' with D = diag(a'K_i a), z_i = N_i a, a = Phi c,
# N_i = X~_i'A_i X~_i and K_i = X~_i'A_i'A_i X~_i, so that only p x p
# matrices per subject are needed (never the N x N hat matrix).
mmrm_empirical_df_pieces <- function(object) {
  type <- object$vcov_type
  X <- object$x_matrix
  Phi <- object$beta_vcov
  st <- object$subject_start
  p <- ncol(X)
  n <- length(st) - 1
  N <- matrix(0, n * p, p)
  K <- matrix(0, n * p, p)
  for (s in seq_len(n)) {
    idx <- (st[s] + 1):st[s + 1]
    L <- t(chol(mmrm_subject_sigma(object, s)))
    Xt <- forwardsolve(L, X[idx, , drop = FALSE])
    AX <- if (type == "Empirical") {
      Xt
    } else {
      e <- eigen(diag(length(idx)) - Xt %*% Phi %*% t(Xt), symmetric = TRUE)
      pw <- if (type == "Empirical-Jackknife") -1 else -1 / 2
      e$vectors %*% (e$values^pw * t(e$vectors)) %*% Xt
    }
    rows <- (s - 1) * p + seq_len(p)
    N[rows, ] <- crossprod(Xt, AX)
    K[rows, ] <- crossprod(AX)
  }
  list(N = N, K = K, n = n, p = p)
}

mmrm_df_empirical <- function(object, contrast) {
  pc <- object$emp_df %||% mmrm_empirical_df_pieces(object)
  cpp_empirical_df(pc$N, pc$K, object$beta_vcov, contrast)
}
