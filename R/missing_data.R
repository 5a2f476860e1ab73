# Missing-data strategies for the responder analysis: multiple imputation of
# the continuous components under MAR with Rubin's rules, and the
# tipping-point grid over imputed response rates by arm.

# Runs expr with a fixed seed without disturbing the caller's RNG stream.
with_local_seed <- function(seed, expr) {
  if (is.null(seed)) return(expr)
  genv <- globalenv()
  old <- if (exists(".Random.seed", envir = genv, inherits = FALSE)) get(".Random.seed", envir = genv) else NULL
  on.exit({
    if (is.null(old)) {
      if (exists(".Random.seed", envir = genv, inherits = FALSE)) rm(".Random.seed", envir = genv)
    } else {
      assign(".Random.seed", old, envir = genv)
    }
  })
  set.seed(seed)
  expr
}

# One proper Bayesian draw from the normal linear regression of y on X
# (improper prior p(beta, sigma^2) ~ 1/sigma^2; Rubin 1987, p. 167;
# van Buuren 2018, algorithm 3.1): sigma*^2 = RSS / chi^2_{n-p},
# beta* ~ N(beta_hat, sigma*^2 (X'X)^-1), then y* = X_mis beta* + e*.
draw_regression <- function(X, y, Xmis) {
  qx <- qr(X)
  if (qx$rank < ncol(X)) {
    keep <- qx$pivot[seq_len(qx$rank)]
    X <- X[, keep, drop = FALSE]
    Xmis <- Xmis[, keep, drop = FALSE]
    qx <- qr(X)
  }
  beta <- qr.coef(qx, y)
  res <- y - X %*% beta
  df <- nrow(X) - ncol(X)
  sigma2 <- sum(res^2) / stats::rchisq(1, df)
  R <- qr.R(qx)
  Rinv <- backsolve(R, diag(ncol(X)))
  # Rinv Rinv' = (X'X)^-1 (columns in pivot order).
  piv <- qx$pivot
  b_draw <- numeric(length(beta))
  b_draw[piv] <- Rinv %*% stats::rnorm(ncol(X)) * sqrt(sigma2)
  beta_star <- beta + b_draw
  drop(Xmis %*% beta_star) + stats::rnorm(nrow(Xmis), sd = sqrt(sigma2))
}

# Imputes the missing analysis-visit values of every continuous component by
# sequential regression within arm over the visits of all components in
# visit order (the components of one visit in rule order): each missing
# value is drawn from the regression on the component's baseline, the other
# components' baselines, every component's earlier (observed or already
# imputed) visits and the earlier components at the same visit. Drawing a
# component given the others at the same visit keeps their correlation, on
# which a composite's response depends. Returns a list of m responder vectors.
impute_responders <- function(rsp, arm_vec, arm_values, m, seed) {
  long <- attr(rsp, "long")
  rules <- attr(rsp, "rules")
  target <- attr(rsp, "target_visitn")
  subject <- attr(rsp, "subject")
  leaves <- rule_leaves(rules)
  if (!length(long) || is.na(target)) {
    glycotrial_abort("Multiple imputation needs the visit numbers ({.field AVISITN}) of the longitudinal data used by {.fn derive_responders}.")
  }
  ids <- rsp[[subject]]
  base_mat <- sapply(leaves, function(l) rsp[[paste0(l$name, "_BASE")]])
  base_mat <- matrix(base_mat, nrow = length(ids))
  colnames(base_mat) <- vapply(leaves, `[[`, character(1), "name")
  # Nothing to impute when every response is decided by the observed
  # components (subjects without a baseline count as non-responders): the
  # imputations are the observed responses, and small arms with gaps at
  # earlier visits need no imputation model.
  y_obs <- eval_rule(rules, lapply(stats::setNames(nm = colnames(base_mat)), function(nm) rsp[[nm]]))
  if (!any(is.na(y_obs) & stats::complete.cases(base_mat) & arm_vec %in% arm_values)) {
    y_obs[is.na(y_obs)] <- FALSE
    return(rep(list(as.numeric(y_obs)), m))
  }
  # Per component: subjects x post-baseline visits (<= target) matrix, with
  # the visit numbers of its columns.
  wides <- lapply(leaves, function(l) {
    d <- long[[l$name]]
    d <- d[!is.na(d$visitn) & d$visitn <= target & !is.na(d$value), , drop = FALSE]
    visits <- sort(unique(d$visitn))
    visits <- visits[visits > min(visits)]
    if (!target %in% visits) visits <- c(visits, target)
    w <- matrix(NA_real_, length(ids), length(visits))
    for (j in seq_along(visits)) {
      dj <- d[d$visitn == visits[j], , drop = FALSE]
      w[, j] <- dj$value[match(ids, dj$id)]
    }
    attr(w, "visitn") <- visits
    w
  })
  names(wides) <- colnames(base_mat)
  nonneg <- vapply(leaves, function(l) {
    v <- long[[l$name]]$value
    all(v[!is.na(v)] >= 0)
  }, logical(1))
  # the imputation order: (component, column) by visit, then component
  steps <- do.call(rbind, lapply(seq_along(wides), function(k) {
    data.frame(k = k, j = seq_len(ncol(wides[[k]])), visitn = attr(wides[[k]], "visitn"))
  }))
  steps <- steps[order(steps$visitn, steps$k), , drop = FALSE]
  # columns of the values imputed before step s: earlier visits, and earlier
  # components at the same visit
  before <- function(W, s, rows, same_visit_only = FALSE, drop_na = TRUE) {
    v <- steps$visitn[s]
    k <- steps$k[s]
    cols <- list()
    for (k2 in seq_along(wides)) {
      vn <- attr(wides[[k2]], "visitn")
      take <- if (same_visit_only) which(vn == v & k2 < k) else which(vn < v | (vn == v & k2 < k))
      if (same_visit_only && k2 == k && steps$j[s] > 1) take <- steps$j[s] - 1L
      for (j2 in take) cols[[length(cols) + 1]] <- W[[k2]][rows, j2]
    }
    X <- do.call(cbind, cols)
    if (is.null(X)) return(matrix(0, length(rows), 0))
    if (drop_na) X[, colSums(is.na(X)) == 0, drop = FALSE] else X
  }
  # One regression draw: fitted on the observed values of `fit_rows`, drawn
  # for the missing ones of `target`, on the columns xcols(rows) (with the
  # baseline and previous-visit fallback in small arms).
  draw_step <- function(W, s, k, j, fit_rows, target, xcols, xsmall, label, arm, soft = FALSE) {
    obs <- fit_rows[!is.na(W[[k]][fit_rows, j])]
    miss <- target[is.na(W[[k]][target, j])]
    if (!length(miss)) return(W)
    X <- cbind(1, xcols(fit_rows))
    if (length(obs) < ncol(X) + 3) {
      xcols <- xsmall
      X <- cbind(1, xcols(fit_rows))
    }
    if (length(obs) < ncol(X) + 2) {
      if (soft) return(NULL)
      glycotrial_abort("Too few observed {.val {label}} values in arm {.val {arm}} to impute (found {length(obs)}).",
                       class = c("input", "glycotrial_error_all_missing"))
    }
    Xt <- cbind(1, xcols(target))
    draw <- draw_regression(X[match(obs, fit_rows), , drop = FALSE], W[[k]][obs, j],
                            Xt[match(miss, target), , drop = FALSE])
    if (nonneg[k]) draw <- pmax(draw, 0)
    W[[k]][miss, j] <- draw
    W
  }
  with_local_seed(seed, lapply(seq_len(m), function(i) {
    W <- wides
    for (s in seq_len(nrow(steps))) {
      k <- steps$k[s]
      j <- steps$j[s]
      l <- leaves[[k]]
      own_base <- base_mat[, k]
      for (a in arm_values) {
        rows <- which(arm_vec == a & !is.na(own_base))
        if (!anyNA(W[[k]][rows, j])) next
        # Subjects whose predictors are all known are drawn from the full
        # regression; the few with a gap (another component's baseline
        # missing) from the regression on the columns every subject of the
        # arm has, so that one gap does not drop a predictor for the arm.
        full <- function(r) cbind(own_base[r], base_mat[r, -k, drop = FALSE], before(W, s, r, drop_na = FALSE))
        X_arm <- full(rows)
        ok <- stats::complete.cases(X_arm)
        small <- function(r) cbind(own_base[r], before(W, s, r, same_visit_only = TRUE, drop_na = FALSE))
        # (too few complete subjects: all are drawn from the reduced model)
        W1 <- draw_step(W, s, k, j, rows[ok], rows[ok], full, small, l$paramcd, a, soft = !all(ok))
        if (!is.null(W1)) {
          W <- W1
          if (all(ok)) next
        }
        target <- if (is.null(W1)) rows else rows[!ok]
        # columns complete over the whole arm, taken for every row
        keep <- colSums(is.na(X_arm)) == 0
        keep_small <- colSums(is.na(small(rows))) == 0
        W <- draw_step(W, s, k, j, rows, target, function(r) full(r)[, keep, drop = FALSE],
                       function(r) small(r)[, keep_small, drop = FALSE], l$paramcd, a)
      }
    }
    comp <- list()
    for (k in seq_along(leaves)) {
      l <- leaves[[k]]
      w <- W[[k]]
      own_base <- base_mat[, k]
      value <- w[, ncol(w)]
      comp[[l$name]] <- switch(l$kind,
        threshold = compare_op(value, l$op, l$value),
        absolute = compare_op(value - own_base, l$op, l$value),
        relative = compare_op(ifelse(own_base == 0, NA_real_, (value - own_base) / own_base),
                              l$op, l$value))
      # Observed components are kept as observed.
      observed <- rsp[[l$name]]
      comp[[l$name]][!is.na(observed)] <- observed[!is.na(observed)]
    }
    y <- eval_rule(rules, comp)
    # Subjects that cannot be imputed (no baseline) count as non-responders.
    y[is.na(y)] <- FALSE
    as.numeric(y)
  }))
}

# Rubin's (1987) rules with the Barnard & Rubin (1999) degrees of freedom.
rubin_pool <- function(est, var, df_complete, conf_level) {
  m <- length(est)
  qbar <- mean(est)
  ubar <- mean(var)
  b <- if (m > 1) stats::var(est) else 0
  t <- ubar + (1 + 1 / m) * b
  lambda <- if (t > 0) (1 + 1 / m) * b / t else 0
  df_old <- if (lambda > 0) (m - 1) / lambda^2 else Inf
  df_obs <- (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lambda)
  df <- if (is.finite(df_old)) 1 / (1 / df_old + 1 / df_obs) else df_obs
  se <- sqrt(t)
  q <- stats::qt(1 - (1 - conf_level) / 2, df)
  data.frame(estimate = qbar, se = se, lower = qbar - q * se, upper = qbar + q * se,
             df = df, statistic = if (se > 0) qbar / se else NA_real_,
             p_value = if (se > 0) 2 * stats::pt(-abs(qbar / se), df) else NA_real_,
             within = ubar, between = b, fmi = lambda, m = m)
}

# Tipping-point grid: every split of the missing subjects of each arm into
# responders and non-responders, with the primary difference CI and the
# Fisher test for each.
tipping_grid <- function(x1, n1_obs, miss1, x0, n0_obs, miss0, method, conf_level) {
  g <- expand.grid(k_treatment = 0:miss1, k_control = 0:miss0)
  n1 <- n1_obs + miss1; n0 <- n0_obs + miss0
  ci <- diff_ci(x1 + g$k_treatment, n1, x0 + g$k_control, n0, method = method,
                conf_level = conf_level)
  fisher <- fisher_exact_test(x1 + g$k_treatment, n1, x0 + g$k_control, n0)
  g$rate_treatment <- if (miss1 > 0) g$k_treatment / miss1 else NA_real_
  g$rate_control <- if (miss0 > 0) g$k_control / miss0 else NA_real_
  g$estimate <- ci$estimate
  g$lower <- ci$lower
  g$upper <- ci$upper
  g$p_value <- fisher$p_value
  g$significant <- g$lower > 0 | g$upper < 0
  g
}
