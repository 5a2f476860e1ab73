# Bootstrapped ML and approximate Bayesian MI: against rbmi (2,000
# imputations each, reference computed once by
# fixtures/make-mi-rbmi-draws.R), reproducibility and threads.

test_that("bmlmi and approxbayes agree with rbmi within Monte-Carlo error (2,000 imputations)", {
  skip_if_not_installed("rbmi")
  ref <- readRDS(test_path("fixtures", "mi_rbmi_draws.rds"))
  ad <- mi_antidepressant()
  ice <- ad$ice
  ice$strategy <- "JR"
  methods <- list(bmlmi = mi_bmlmi(B = 1000, D = 2), approxbayes = mi_approxbayes(n_samples = 2000))
  for (m in names(methods)) {
    fit <- mi_reference_based(ad$data, mi_antidepressant_vars, data_ice = ice,
                              method = methods[[m]],
                              reference = c(DRUG = "PLACEBO", PLACEBO = "PLACEBO"),
                              analysis_covariates = "BASVAL", seed = 2026)
    r <- ref[[m]]
    # Monte-Carlo SE of each side's point estimate: sqrt(between-imputation
    # variance / M) for approximate Bayes, sqrt(MSB / (B D)) for bmlmi
    # (between-sample mean square); judged as
    #   |ours - rbmi| <= 4 sqrt(MCSE_ours^2 + MCSE_rbmi^2).
    # (At the time of writing |z| <= 1.4 for all eight estimates.)
    mcse_rbmi <- apply(r$est, 1, function(e) {
      if (m == "approxbayes") return(sqrt(stats::var(e) / length(e)))
      sqrt(glycotrial:::mi_vhb_pool(e, 2)$msb / length(e))
    })
    # (+ 1e-10: at the first visit nothing is missing, both MCSEs are 0 and
    # the estimates agree to rounding)
    tol <- 4 * sqrt(fit$results$mcse^2 + mcse_rbmi^2) + 1e-10
    expect_true(all(abs(fit$results$estimate - r$pool$est) <= tol),
                label = paste(m, "estimates within 4 MCSE"))
    # The pooled SEs carry Monte-Carlo error too (that of a variance
    # estimate from 1,000-2,000 replicates): within 10 % relative.
    expect_equal(fit$results$se, r$pool$se, tolerance = 0.1, label = paste(m, "se"))
    expect_true(all(fit$results$mcse > 0 | fit$results$se > 0))
  }
})

test_that("same seed gives identical results with 1 and 2 threads", {
  d <- mi_example_data(n = 40, seed = 3)
  run <- function(method, threads, seed = 11) {
    mi_reference_based(d, mi_example_vars(), data_ice = attr(d, "data_ice"),
                       reference = c(TRT = "PBO"), analysis_covariates = "BASE",
                       method = method, n_threads = threads, seed = seed)
  }
  for (m in list(mi_bmlmi(B = 20, D = 2), mi_approxbayes(n_samples = 20))) {
    a <- run(m, 1)
    expect_identical(a$results, run(m, 2)$results)
    expect_identical(a$estimates, run(m, 2)$estimates)
    expect_false(identical(a$results$estimate, run(m, 1, seed = 12)$results$estimate))
  }
  # seed = NULL draws the seed from R's RNG
  set.seed(1)
  a <- run(mi_approxbayes(n_samples = 5), 1, seed = NULL)
  set.seed(1)
  b <- run(mi_approxbayes(n_samples = 5), 2, seed = NULL)
  expect_identical(a$results, b$results)
})

test_that("bootstrap samples are stratified by arm and the draws have the conditional distribution", {
  arm <- c(0L, 0L, 0L, 1L, 1L)
  s <- glycotrial:::cpp_mi_bootstrap_samples(arm, 50L, 7)
  expect_true(all(vapply(s, function(x) sum(x <= 3) == 3 && sum(x > 3) == 2, logical(1))))
  expect_identical(s, glycotrial:::cpp_mi_bootstrap_samples(arm, 50L, 7))
  # approximate Bayes with no parameter uncertainty (the same fit for every
  # imputation) and no covariates: the draws at the last visit of a subject
  # with only the first visit observed have mean mu_m + S_mo S_oo^-1 (y_o - mu_o)
  # and variance S_mm - S_mo S_oo^-1 S_om (two visits, MAR).
  d <- mi_example_data(n = 30, n_visits = 2, dropout = 0.3, seed = 8)
  fit <- mi_reference_based(d, mi_example_vars(), method = mi_approxbayes(n_samples = 2),
                            analysis_covariates = "BASE", seed = 1)
  pb <- fit$problem
  f <- fit$fits[[1]]
  M <- 4000
  # one imputed data set per fit, all from fit 1; the ANCOVA estimate of a
  # data set is linear in the imputed values, so compare its mean and
  # variance over the draws with the closed form
  dr <- glycotrial:::cpp_mi_draw_analyse(pb$cpp, rep(list(seq_along(pb$subjects)), M),
                                         rep(list(f), M), 1L, 99, 1L)
  e <- dr$est[2, 1, ]
  k <- 2
  S <- f$sigma[[1]]
  Z <- pb$cpp$Z[[2]]
  P <- solve(crossprod(Z), t(Z))[pb$cpp$contrast_cols + 1, ]
  miss <- which(is.na(pb$cpp$y[seq(2, length(pb$cpp$y), by = 2)]))
  y2 <- pb$cpp$y[seq(2, length(pb$cpp$y), by = 2)]
  y1 <- pb$cpp$y[seq(1, length(pb$cpp$y), by = 2)]
  mu <- matrix(pb$cpp$X_own %*% f$beta, nrow = 2)
  cm <- mu[2, miss] + S[2, 1] / S[1, 1] * (y1[miss] - mu[1, miss])
  cv <- S[2, 2] - S[2, 1]^2 / S[1, 1]
  y2[miss] <- cm
  mean_e <- sum(P * y2)
  var_e <- sum(P[miss]^2) * cv
  expect_lt(abs(mean(e) - mean_e), 4 * sqrt(var_e / M))
  expect_equal(stats::var(e), var_e, tolerance = 0.1)
})

test_that("tipping point reuses the draws: delta 0 reproduces the fit", {
  d <- mi_example_data(n = 30, seed = 1)
  fit <- mi_reference_based(d, mi_example_vars(), data_ice = attr(d, "data_ice"),
                            reference = c(TRT = "PBO"), analysis_covariates = "BASE",
                            method = mi_bmlmi(B = 10, D = 2), seed = 2)
  tp <- mi_tipping_point(fit, deltas = c(0, 1))
  expect_equal(tp[tp$delta == 0, names(fit$results)], fit$results, ignore_attr = TRUE)
  expect_false(isTRUE(all.equal(tp$estimate[tp$delta == 1], fit$results$estimate)))
})

test_that("bad input to the draw methods is a classed error", {
  expect_error(mi_bmlmi(B = 1), class = "glycotrial_error_input")
  expect_error(mi_bmlmi(D = 1), class = "glycotrial_error_input")
  expect_error(mi_approxbayes(n_samples = 1), class = "glycotrial_error_input")
  d <- mi_example_data(n = 20, seed = 1)
  expect_error(mi_reference_based(d, mi_example_vars(), method = mi_approxbayes(5), seed = -1),
               class = "glycotrial_error_input")
  expect_error(mi_reference_based(d, mi_example_vars(), method = mi_approxbayes(5), seed = 1.5),
               class = "glycotrial_error_input")
})

test_that("mi_imputed_data() of a draw-based fit uses the full-data model", {
  d <- mi_example_data(n = 30, seed = 1)
  args <- list(d, mi_example_vars(), data_ice = attr(d, "data_ice"), reference = c(TRT = "PBO"))
  cm <- do.call(mi_reference_based, args)
  ab <- do.call(mi_reference_based, c(args, list(method = mi_approxbayes(3), seed = 1)))
  expect_equal(mi_imputed_data(ab), mi_imputed_data(cm), tolerance = 1e-8)
})
