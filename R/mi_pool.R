# Pooling of multiple imputations (issue 20), as rbmi's pool() does for
# method_approxbayes() (Rubin's rules, Barnard-Rubin df) and method_bmlmi()
# (von Hippel & Bartlett 2021). Formulas in ?mi_reference_based.

# Rubin's rules for M estimates `est` with standard errors `se` and the
# complete-data df `v_com` (rbmi's rubin_rules()):
#   theta = mean(est), W = mean(se^2), B = var(est), T = W + (1 + 1/M) B.
mi_rubin_rules <- function(est, se, v_com, df_method = c("barnard-rubin", "rubin")) {
  df_method <- match.arg(df_method)
  M <- length(est)
  W <- mean(se^2)
  B <- stats::var(est)
  Tv <- W + (1 + 1 / M) * B
  df <- if (df_method == "barnard-rubin") mi_barnard_rubin_df(v_com, B, Tv, M) else
    if (B == 0) Inf else (M - 1) * (M * Tv / ((M + 1) * B))^2
  list(est = mean(est), var = Tv, df = df, var_within = W, var_between = B)
}

# Barnard & Rubin (1999) df (rbmi's rubin_df()): lambda = (1 + 1/M) B / T,
# v_old = (M - 1) / lambda^2, v_obs = (v_com + 1) / (v_com + 3) v_com (1 - lambda),
# df = v_old v_obs / (v_old + v_obs); v_obs when lambda = 0, v_old when v_com = Inf.
mi_barnard_rubin_df <- function(v_com, B, Tv, M) {
  if (is.na(v_com) || (is.infinite(v_com) && B == 0)) return(Inf)
  lambda <- (1 + 1 / M) * B / Tv
  v_obs <- if (is.finite(v_com)) (v_com + 1) / (v_com + 3) * v_com * (1 - lambda) else Inf
  if (lambda == 0) return(v_obs)
  v_old <- (M - 1) / lambda^2
  if (is.infinite(v_com)) v_old else v_old * v_obs / (v_old + v_obs)
}

# von Hippel & Bartlett (2021) pooling of B bootstrap samples x D imputations
# (rbmi's get_ests_bmlmi()); `est` is sample-major (the D imputations of
# sample 1 first). One-way random-effects ANOVA:
#   MSW = SSW / (B (D - 1)), MSB = SSB / (B - 1),
#   var = (1 + 1/B) (MSB - MSW) / D + MSW / (B D),
#   df = var^2 / (((B + 1) / (B D))^2 MSB^2 / (B - 1) + MSW^2 / (B D^2 (D - 1))), at least 3.
mi_vhb_pool <- function(est, D) {
  if (D < 2 || length(est) %% D) {
    glycotrial_abort("von Hippel-Bartlett pooling needs D >= 2 and B x D estimates.",
                     class = "glycotrial_error_internal")
  }
  B <- length(est) / D
  e <- matrix(est, nrow = B, ncol = D, byrow = TRUE)
  point <- mean(e)
  rm <- rowMeans(e)
  MSW <- sum((e - rm)^2) / (B * (D - 1))
  MSB <- D * sum((rm - point)^2) / (B - 1)
  v <- (1 + 1 / B) * (MSB - MSW) / D + MSW / (B * D)
  df <- v^2 / (((B + 1) / (B * D))^2 * MSB^2 / (B - 1) + MSW^2 / (B * D^2 * (D - 1)))
  list(est = point, var = v, df = max(3, df), msb = MSB, msw = MSW)
}

# t-based CI and p-value (rbmi's parametric_ci() with qt/pt).
mi_t_ci <- function(point, se, df, alpha, alternative) {
  q <- switch(alternative, two.sided = c(-1, 1) * stats::qt(1 - alpha / 2, df),
              greater = c(-Inf, 1) * stats::qt(1 - alpha, df),
              less = c(-1, Inf) * stats::qt(1 - alpha, df))
  p_lo <- stats::pt(point / se, df)
  p_hi <- stats::pt(point / se, df, lower.tail = FALSE)
  p <- switch(alternative, two.sided = 2 * min(p_lo, p_hi), greater = p_hi, less = p_lo)
  list(ci = point + q * se, se = se, p = p)
}

# Pools the draws of mi_run_draws(): est/se arrays visits x contrasts x
# imputations; one row per visit and contrast with the df, the Monte-Carlo
# standard error of the estimate and the variance components.
mi_pool_draws <- function(dr, pb, method, conf_level, alternative, df_method = "barnard-rubin") {
  alpha <- 1 - conf_level
  rows <- list()
  for (v in seq_along(pb$visits)) for (c in seq_along(pb$contrasts)) {
    e <- dr$est[v, c, ]
    if (method$method == "bmlmi") {
      pl <- mi_vhb_pool(e, method$D)
      if (!is.finite(pl$var) || pl$var <= 0) {
        glycotrial_abort(c("The von Hippel-Bartlett variance at visit {.val {pb$visits[v]}} is not positive (more between-imputation than between-sample variance).",
                           "i" = "Increase {.arg B} of {.fun mi_bmlmi}."), class = "numerical")
      }
      mcse <- sqrt(pl$msb / length(e))
    } else {
      pl <- mi_rubin_rules(e, dr$se[v, c, ], dr$df[1], df_method)
      mcse <- sqrt(pl$var_between / length(e))
    }
    r <- mi_t_ci(pl$est, sqrt(pl$var), pl$df, alpha, alternative)
    rows[[length(rows) + 1L]] <- data.frame(visit = pb$visits[v], contrast = pb$contrasts[c],
                                            estimate = pl$est, se = r$se, lower = r$ci[1],
                                            upper = r$ci[2], p_value = r$p, df = pl$df,
                                            mcse = mcse, stringsAsFactors = FALSE)
  }
  do.call(rbind, rows)
}
