# Conditional-mean reference-based imputation against rbmi and closed forms.

test_that("condmean + jackknife equals rbmi on antidepressant_data (MAR/JR/CR/CIR/LMCF)", {
  skip_if_not_installed("rbmi")
  ref <- readRDS(test_path("fixtures", "mi_rbmi_antidepressant.rds"))
  ad <- mi_antidepressant()
  for (s in c("MAR", "JR", "CR", "CIR", "LMCF")) {
    ice <- ad$ice
    ice$strategy <- s
    fit <- mi_reference_based(ad$data, mi_antidepressant_vars, data_ice = ice,
                              method = mi_condmean("jackknife"),
                              reference = c(DRUG = "PLACEBO", PLACEBO = "PLACEBO"),
                              analysis_covariates = "BASVAL")
    r <- ref$results[[s]]
    # 1e-6 relative on the estimates (they agree to 1e-13). The jackknife
    # SEs agree to 4e-6 only: the gap is in some leave-one-out fits, where
    # rbmi's mmrm fit may have fallen back to mmrm's default tolerance
    # (~1e-5; fixtures/make-mi-rbmi.R; not yet traced to one side). The 1e-6
    # check of the SEs is on the simulated trial below, where every
    # tightened rbmi fit converged and the SEs agree to 2e-9.
    expect_equal(fit$results$estimate, r$est, tolerance = 1e-6, label = paste(s, "estimate"))
    expect_equal(fit$results$se, r$se, tolerance = 1e-5, label = paste(s, "se"))
    expect_equal(fit$results$lower, r$lci, tolerance = 1e-5)
    expect_equal(fit$results$p_value, r$pval, tolerance = 1e-5)
  }
})

test_that("condmean + jackknife equals rbmi to 1e-6 on a simulated trial (MAR/JR/CR/CIR/LMCF)", {
  ref <- readRDS(test_path("fixtures", "mi_rbmi_example.rds"))
  expect_identical(ref$fallbacks, 0L)  # every rbmi fit at the tightened tolerance
  d <- mi_example_data(n = 40, seed = 1)
  for (s in c("MAR", "JR", "CR", "CIR", "LMCF")) {
    ice <- attr(d, "data_ice")
    ice$strategy <- s
    fit <- mi_reference_based(d, mi_example_vars(), data_ice = ice, reference = c(TRT = "PBO"),
                              analysis_covariates = "BASE")
    r <- ref$results[[s]]
    expect_equal(fit$results$estimate, r$est, tolerance = 1e-6, label = paste(s, "estimate"))
    expect_equal(fit$results$se, r$se, tolerance = 1e-6, label = paste(s, "se"))
    expect_equal(fit$results$upper, r$uci, tolerance = 1e-6)
    expect_equal(fit$results$p_value, r$pval, tolerance = 1e-6)
  }
})

test_that("J2R on two visits equals the closed-form conditional mean", {
  # Two visits, model CHG ~ ARM * AVISIT (cell means mu_{arm, visit}), visit 2
  # missing after an ICE at visit 2 under JR with reference PBO. For a TRT
  # subject with y1 observed, JR's mean is (mu_TRT1, mu_PBO2) and its
  # covariance S* has S*_21 = R_21 R_11^-1 A_11, S*_11 = A_11, so
  #   E[y2 | y1] = mu_PBO2 + (R_21 / R_11) (y1 - mu_TRT1)
  # with R the reference arm's covariance; under MAR
  #   E[y2 | y1] = mu_TRT2 + (A_21 / A_11) (y1 - mu_TRT1).
  d <- mi_example_data(n = 60, n_visits = 2, dropout = 0.4, seed = 3)
  ice <- attr(d, "data_ice")
  vars <- list(subjid = "USUBJID", visit = "AVISIT", group = "ARM", outcome = "CHG",
               covariates = "ARM*AVISIT")
  for (same in c(TRUE, FALSE)) {
    fit <- mi_reference_based(d, vars, data_ice = ice, reference = c(TRT = "PBO"),
                              method = mi_condmean(same_cov = same))
    f1 <- fit$fits[[1]]
    b <- stats::setNames(f1$beta, colnames(fit$problem$fit$x_matrix))
    mu <- c(PBO1 = b[["(Intercept)"]], PBO2 = b[["(Intercept)"]] + b[["AVISITWEEK8"]],
            TRT1 = b[["(Intercept)"]] + b[["ARMTRT"]])
    A <- f1$sigma[[if (same) 1 else 2]]  # groups in arm order: PBO, TRT
    R <- f1$sigma[[1]]
    imp <- mi_imputed_data(fit)
    y1 <- imp$CHG[imp$AVISIT == "WEEK4"]
    wk8 <- imp[imp$AVISIT == "WEEK8", ]
    trt <- wk8$ARM == "TRT" & wk8$imputed
    expect_true(sum(trt) >= 3)
    expect_equal(wk8$CHG[trt], mu[["PBO2"]] + R[2, 1] / R[1, 1] * (y1[trt] - mu[["TRT1"]]),
                 tolerance = 1e-10)
    pbo <- wk8$ARM == "PBO" & wk8$imputed
    expect_equal(wk8$CHG[pbo], mu[["PBO2"]] + R[2, 1] / R[1, 1] * (y1[pbo] - mu[["PBO1"]]),
                 tolerance = 1e-10)
  }
  ice$strategy <- "MAR"
  fit <- mi_reference_based(d, vars, data_ice = ice)
  f1 <- fit$fits[[1]]
  b <- stats::setNames(f1$beta, colnames(fit$problem$fit$x_matrix))
  mu_trt <- b[["(Intercept)"]] + b[["ARMTRT"]] + c(0, b[["AVISITWEEK8"]] + b[["ARMTRT:AVISITWEEK8"]])
  A <- f1$sigma[[1]]
  imp <- mi_imputed_data(fit)
  y1 <- imp$CHG[imp$AVISIT == "WEEK4"]
  wk8 <- imp[imp$AVISIT == "WEEK8", ]
  trt <- wk8$ARM == "TRT" & wk8$imputed
  expect_equal(wk8$CHG[trt], mu_trt[2] + A[2, 1] / A[1, 1] * (y1[trt] - mu_trt[1]), tolerance = 1e-10)
})

test_that("jackknife results do not depend on the number of threads", {
  d <- mi_example_data(n = 30, seed = 4)
  a <- mi_reference_based(d, mi_example_vars(), attr(d, "data_ice"), reference = c(TRT = "PBO"))
  b <- mi_reference_based(d, mi_example_vars(), attr(d, "data_ice"), reference = c(TRT = "PBO"),
                          n_threads = 2)
  expect_identical(a$results, b$results)
})

test_that("bootstrap condmean: point estimate from the full data, seeded samples", {
  d <- mi_example_data(n = 30, seed = 4)
  jk <- mi_reference_based(d, mi_example_vars(), attr(d, "data_ice"), reference = c(TRT = "PBO"))
  set.seed(1)
  bs <- mi_reference_based(d, mi_example_vars(), attr(d, "data_ice"), reference = c(TRT = "PBO"),
                           method = mi_condmean("bootstrap", n_samples = 20), pool_type = "normal")
  set.seed(1)
  bs2 <- mi_reference_based(d, mi_example_vars(), attr(d, "data_ice"), reference = c(TRT = "PBO"),
                            method = mi_condmean("bootstrap", n_samples = 20), pool_type = "normal")
  expect_equal(bs$results$estimate, jk$results$estimate, tolerance = 1e-12)
  expect_identical(bs$results, bs2$results)
  # normal pooling: se is the sd of the bootstrap estimates (rbmi's pool_bootstrap_normal)
  est <- vapply(bs$estimates[-1], function(m) m[4, 1], numeric(1))
  expect_equal(bs$results$se[4], sd(est), tolerance = 1e-12)
})
