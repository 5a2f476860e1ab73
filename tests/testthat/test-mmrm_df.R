# MMRM df through the shared inference core (src/core/inference): the
# Fai-Cornelius small-df convention is the one of test-lmm_inference.R
# (any one-df nu <= 2 gives 2, as mmrm's h_md_denom_df and lmerTest).

test_that("mmrm_test_md() with small Satterthwaite df uses the shared convention (2)", {
  d <- sim_mmrm_data(n = 60)
  fit <- mmrm_fit(CHG ~ ARM * AVISIT + us(AVISIT | USUBJID), d, df = "Satterthwaite")
  cols <- grep(":AVISIT", names(fit$beta_est))
  L <- diag(length(fit$beta_est))[cols, , drop = FALSE]
  r <- glycotrial:::mmrm_test_md(fit, L)
  expect_gt(r$denom_df, 2)
  # a 1000-fold covariance of theta makes every one-df df 1000-fold smaller
  small <- fit
  small$theta_vcov <- fit$theta_vcov * 1000
  nu <- vapply(seq_len(nrow(L)), function(i) {
    glycotrial:::mmrm_df_1d(small, L[i, ], "Satterthwaite")
  }, numeric(1))
  expect_equal(nu, vapply(seq_len(nrow(L)), function(i) {
    glycotrial:::mmrm_df_1d(fit, L[i, ], "Satterthwaite")
  }, numeric(1)) / 1000, tolerance = 1e-10)
  expect_true(all(nu < 2))
  expect_gt(max(nu) - min(nu), 1e-6)
  r2 <- glycotrial:::mmrm_test_md(small, L)
  expect_identical(r2$denom_df, 2)
  skip_if_not_installed("mmrm")
  expect_identical(r2$denom_df, suppressWarnings(mmrm:::h_md_denom_df(nu)))
})

test_that("between-within df: hand counts on a small design", {
  # 3 subjects x 2 visits, columns intercept, ARM (between), visit (within):
  # between df = 3 - 1 - 1 = 1, within (and intercept) = 6 - 3 - 1 = 2
  X <- cbind("(Intercept)" = 1, ARMB = c(0, 0, 1, 1, 1, 1), V2 = c(0, 1, 0, 1, 0, 1))
  obj <- list(x_matrix = X, subject = factor(c("a", "a", "b", "b", "c", "c")),
              n_obs = 6L, n_subjects = 3L)
  expect_identical(glycotrial:::mmrm_bw_df(obj), c("(Intercept)" = 2, ARMB = 1, V2 = 2))
})
