# mmrm_optimise() and the starting values of the covariance structures
# (R/mmrm_optimise.R, src/core/covariance/start.cpp).

# The starting values as the R code computed them before they moved into the
# structures' start() in C++ (the reference the C++ must equal bit for bit,
# so that fits stay identical).
start_theta_reference <- function(S, key, K, fallback_var = NULL) {
  k <- nrow(S)
  vars <- diag(S)
  if (is.null(fallback_var) || !is.finite(fallback_var) || fallback_var <= 0) {
    fallback_var <- stats::median(vars[is.finite(vars) & vars > 0])
  }
  if (!is.finite(fallback_var)) fallback_var <- 1
  vars[!is.finite(vars) | vars <= 0] <- fallback_var
  sds <- sqrt(vars)
  C <- S / outer(sds, sds)
  C[!is.finite(C)] <- 0
  diag(C) <- 1
  to_theta <- function(r) {
    r <- pmin(pmax(r, -0.9), 0.9)
    r / sqrt(1 - r^2)
  }
  lagmean <- function(l) mean(C[cbind(seq_len(k - l) + l, seq_len(k - l))], na.rm = TRUE)
  cs_theta <- function(r) if (k > 1) stats::qlogis((min(r, 0.9) * (k - 1) + 1) / k) else 0
  mean_off <- if (k > 1) mean(C[lower.tri(C)], na.rm = TRUE) else 0
  switch(key,
    us = {
      S2 <- diag(sds, k) %*% (C + diag(1e-3, k)) %*% diag(sds, k) / 1.001
      L <- tryCatch(t(chol(S2)), error = function(e) diag(sds, k))
      d <- diag(L)
      off <- unlist(lapply(seq_len(k)[-1], function(i) L[i, seq_len(i - 1)] / d[i]))
      c(log(d), off)
    },
    toep = c(log(mean(sds)), if (k > 1) to_theta(sapply(seq_len(k - 1), lagmean) * 0.5)),
    toeph = c(log(sds), if (k > 1) to_theta(sapply(seq_len(k - 1), lagmean) * 0.5)),
    ar1 = c(log(mean(sds)), to_theta(if (k > 1) lagmean(1) else 0)),
    ar1h = c(log(sds), to_theta(if (k > 1) lagmean(1) else 0)),
    ad = c(log(mean(sds)), if (k > 1) to_theta(C[cbind(2:k, 1:(k - 1))])),
    adh = c(log(sds), if (k > 1) to_theta(C[cbind(2:k, 1:(k - 1))])),
    cs = c(log(mean(sds)), cs_theta(max(mean_off, 0))),
    csh = c(log(sds), cs_theta(max(mean_off, 0))),
    rep(0, K))
}

builtin_keys <- c("us", "toep", "toeph", "ar1", "ar1h", "ad", "adh", "cs", "csh")

test_that("every built-in visit structure has a start() in C++", {
  pl <- glycotrial_plugins()
  cov_keys <- pl$key[pl$kind == "covariance" & pl$builtin]
  spatial <- vapply(cov_keys, function(k) cpp_covariance_info(k, 3L)$spatial, logical(1))
  expect_setequal(cpp_covariance_start_keys(), cov_keys[!spatial])
  expect_setequal(cpp_covariance_start_keys(), builtin_keys)
})

test_that("the C++ starts equal the former R computation exactly", {
  set.seed(42)
  na_S <- function(k) {
    A <- matrix(rnorm(k * k), k)
    S <- crossprod(A) / k + diag(0.3, k)
    S[2, k] <- S[k, 2] <- NA  # a visit pair never observed together
    S
  }
  cases <- list(
    matrix(c(4, 1, 1, 1), 2),
    na_S(4), na_S(6),
    # not positive definite: us falls back to diag(sd)
    matrix(c(1, 2, 0, 2, 1, 0, 0, 0, 1), 3),
    # a visit without variance (fallback) and negative correlations
    matrix(c(2, -1.5, 0.2, -1.5, NA, 0.1, 0.2, 0.1, 3), 3),
    matrix(2.5, 1, 1)
  )
  for (S in cases) {
    k <- nrow(S)
    for (key in builtin_keys) {
      K <- cpp_covariance_info(key, as.integer(k))$n_theta
      for (fb in list(NULL, 0.7)) {
        expect_identical(
          cpp_covariance_start(key, S, if (is.null(fb)) NA_real_ else fb),
          start_theta_reference(S, key, K, fb),
          info = paste(key, k))
      }
    }
  }
})

test_that("each built-in structure converges with Newton alone, as mmrm", {
  skip_if_not_installed("mmrm")
  fev <- mmrm::fev_data
  fev$TIME <- as.numeric(fev$VISITN)
  for (key in c(builtin_keys, "sp_exp", "sp_gau")) {
    cov_term <- if (key %in% c("sp_exp", "sp_gau")) "(TIME | USUBJID)" else "(AVISIT | USUBJID)"
    f <- stats::as.formula(paste("FEV1 ~ ARMCD * AVISIT + RACE +", key, cov_term))
    fit <- mmrm_fit(f, data = fev, control = mmrm_fit_control(optimizers = "newton"))
    expect_true(fit$convergence$converged, info = key)
    expect_identical(fit$convergence$optimizers_tried, "newton")
    if (key != "sp_gau") {
      ref <- mmrm::mmrm(f, data = fev, reml = TRUE)
      expect_equal(fit$loglik, as.numeric(stats::logLik(ref)), tolerance = 1e-6,
                   info = key)
    }
  }
})

test_that("mmrm_optimise() restarts a fit's engine and reaches the same optimum", {
  skip_if_not_installed("mmrm")
  fev <- mmrm::fev_data
  fit <- mmrm_fit(FEV1 ~ ARMCD * AVISIT + ar1h(AVISIT | USUBJID), data = fev)
  opt <- mmrm_optimise(fit, start = rep(0, length(fit$theta)))
  expect_s3_class(opt, "glycotrial_mmrm_optimum")
  expect_true(opt$convergence$converged)
  expect_equal(opt$theta, fit$theta, tolerance = 1e-6)
  expect_equal(opt$deviance, fit$deviance, tolerance = 1e-10)
  # warm start at the estimate: stays there
  warm <- mmrm_optimise(fit)
  expect_equal(warm$theta, fit$theta, tolerance = 1e-8)
})

test_that("mmrm_optimise() refuses what is not an engine or a start of the wrong size", {
  expect_error(mmrm_optimise(list()), class = "glycotrial_error_input")
  skip_if_not_installed("mmrm")
  fit <- mmrm_fit(FEV1 ~ ARMCD * AVISIT + ar1(AVISIT | USUBJID), data = mmrm::fev_data)
  expect_error(mmrm_optimise(fit, control = list()), class = "glycotrial_error_input")
  expect_error(mmrm_optimise(fit, start = c(0, 0, 0)), class = "glycotrial_error")
})

# The spatial starts as the R code computed them before they moved into C++
# (spatial_starts() in src/core/covariance/start.cpp, chosen by deviance in
# MmrmEngine::default_starts()): the range parameter puts the correlation at
# the median within-subject distance at 0.5, 0.3, 0.7, 0.1 or 0.9.
spatial_starts_reference <- function(coord, subject_start, key, log_var, dev) {
  d <- unlist(lapply(seq_len(length(subject_start) - 1L), function(s) {
    t <- coord[seq_len(subject_start[s + 1L] - subject_start[s]) + subject_start[s]]
    dd <- abs(outer(t, t, "-"))
    dd[lower.tri(dd)]
  }))
  dmed <- stats::median(d[is.finite(d) & d > 0])
  p <- if (key == "sp_gau") 2 else 1
  th <- c(log_var, 0)
  cands <- c(list(th), lapply(c(0.5, 0.3, 0.7, 0.1, 0.9), function(cc) {
    c(log_var, stats::qlogis(exp(log(cc) / dmed^p)))
  }))
  dv <- vapply(cands, dev, numeric(1))
  cands[order(dv)]
}

test_that("the spatial starts moved into C++ equal the former R computation", {
  skip_if_not_installed("mmrm")
  fev <- suppressWarnings(mmrm::fev_data)
  fev$TIME <- as.numeric(fev$VISITN) * 7 + as.integer(fev$USUBJID) %% 3  # days, uneven
  for (key in c("sp_exp", "sp_gau")) {
    f <- stats::as.formula(paste("FEV1 ~ ARMCD * AVISIT +", key, "(TIME | USUBJID)"))
    des <- mmrm_design(mmrm_formula(f), fev)
    eng <- mmrm_engine(des)
    got <- cpp_mmrm_default_starts(eng$ptr)
    expect_length(got, 6)
    ref <- spatial_starts_reference(eng$design$coord, eng$design$subject_start, key, got[[1]][1],
                                    function(x) as.numeric(cpp_mmrm_deviance(eng$ptr, x, FALSE)))
    expect_identical(got, ref, info = key)
  }
})

test_that("every registered built-in structure has a C++ start() and converges on fev_data with no R optimiser", {
  skip_if_not_installed("mmrm")
  fev <- suppressWarnings(mmrm::fev_data)
  fev$TIME <- as.numeric(fev$VISITN)
  pl <- glycotrial_plugins()
  keys <- pl$key[pl$kind == "covariance" & pl$builtin]
  spatial <- vapply(keys, function(k) cpp_covariance_info(k, 3L)$spatial, logical(1))
  # a start() for each: the visit structures' table, the spatial candidates
  expect_setequal(cpp_covariance_start_keys(), keys[!spatial])
  # no R optimiser may run: count calls of stats::nlminb() and stats::optim()
  calls <- 0L
  count <- function() calls <<- calls + 1L
  suppressMessages({
    trace(stats::nlminb, count, print = FALSE, where = asNamespace("stats"))
    trace(stats::optim, count, print = FALSE, where = asNamespace("stats"))
  })
  on.exit(suppressMessages({
    untrace(stats::nlminb, where = asNamespace("stats"))
    untrace(stats::optim, where = asNamespace("stats"))
  }), add = TRUE)
  for (key in keys) {
    term <- if (spatial[[key]]) "(TIME | USUBJID)" else "(AVISIT | USUBJID)"
    f <- stats::as.formula(paste("FEV1 ~ ARMCD * AVISIT + RACE +", key, term))
    des <- mmrm_design(mmrm_formula(f), fev)
    eng <- mmrm_engine(des)
    st <- cpp_mmrm_default_starts(eng$ptr)
    expect_true(all(is.finite(st[[1]])), info = key)
    if (!spatial[[key]]) expect_false(all(st[[1]] == 0), info = key)  # not the zero default
    fit <- mmrm_fit(f, data = fev)
    expect_true(fit$convergence$converged, info = key)
    expect_identical(fit$convergence$optimizer, "newton", info = key)
    expect_true(fit$convergence$hessian_pd, info = key)
    expect_lte(fit$convergence$max_gradient, 1e-6 * max(1, abs(fit$deviance)))
  }
  expect_identical(calls, 0L)
})

test_that("the old optimiser names map to the C++ bfgs method with a classed message", {
  expect_message(ctl <- mmrm_fit_control(optimizers = c("newton", "nlminb", "L-BFGS-B")),
                 class = "glycotrial_message_deprecated")
  expect_identical(ctl$optimizers, c("newton", "bfgs"))
  expect_identical(mmrm_fit_control()$optimizers, c("newton", "bfgs"))
  expect_error(mmrm_fit_control(optimizers = "simplex"), class = "glycotrial_error_input")
  skip_if_not_installed("mmrm")
  fev <- suppressWarnings(mmrm::fev_data)
  f <- FEV1 ~ ARMCD * AVISIT + toeph(AVISIT | USUBJID)
  a <- mmrm_fit(f, fev)
  b <- mmrm_fit(f, fev, control = mmrm_fit_control(optimizers = "bfgs"))
  expect_identical(b$convergence$optimizer, "bfgs")
  expect_true(b$convergence$converged)
  # BFGS plus Newton polishing reaches Newton's optimum to the df's precision
  expect_equal(b$deviance, a$deviance, tolerance = 1e-12)
  expect_equal(b$theta, a$theta, tolerance = 1e-7)
})
