# The one small-sample df core (src/core/inference) as the LMM uses it: the
# Fai-Cornelius small-df convention is that of lmerTest (get_Fstat_ddf),
# mmrm (h_md_denom_df) and pbkrtest: any one-df nu <= 2 gives a denominator
# df of 2 (before issue 16 the LMM returned NA, the MMRM 2).

test_that("Fai-Cornelius df: the formula, equal df, and nu <= 2 gives 2 (as lmerTest and mmrm)", {
  fc <- glycotrial:::cpp_fai_cornelius_df
  # hand values: E = 4 / 2 + 6 / 4 = 3.5, 2 E / (E - 2) = 14 / 3
  expect_equal(fc(c(4, 6)), 14 / 3, tolerance = 1e-14)
  expect_identical(fc(c(7, 7, 7)), 7)
  expect_identical(fc(12.5), 12.5)
  expect_identical(fc(c(1.5, 30)), 2)
  expect_identical(fc(c(2, 30, 40)), 2)
  cases <- list(c(4, 6), c(3, 9, 27), c(1.5, 30), c(2, 30, 40), c(2.5, 2.6))
  if (requireNamespace("lmerTest", quietly = TRUE)) {
    for (nu in cases) expect_equal(fc(nu), lmerTest:::get_Fstat_ddf(nu), tolerance = 1e-12)
  }
  if (suppressWarnings(requireNamespace("mmrm", quietly = TRUE))) {
    for (nu in cases) expect_equal(fc(nu), suppressWarnings(mmrm:::h_md_denom_df(nu)), tolerance = 1e-12)
  }
})

test_that("lmm_contrast() applies the convention: small rotated df give den_df = 2, not NA", {
  d <- lmm_sim_trial()
  fit <- fit_lmm(AVAL ~ ARM * AVISIT + (1 | USUBJID), d)
  # the ARM column and the last ARM:AVISIT column: unequal one-df df (equal
  # df would be returned as they are, before the small-df rule)
  b <- names(fit$coefficients)
  L <- diag(length(b))[c(2, length(b)), ]
  r <- lmm_contrast(fit, L)
  expect_gt(r$den_df, 2)
  # inflate the covariance of the variance parameters 1000-fold: every
  # one-df Satterthwaite df (2 v^2 / g'Ag) shrinks 1000-fold, below 2
  setup <- glycotrial:::lmm_satterthwaite_setup(fit)
  fit$cache$satt <- list(A = setup$A * 1000, jac = setup$jac)
  e <- eigen(L %*% fit$vcov %*% t(L), symmetric = TRUE)
  nu <- glycotrial:::lmm_df_1(fit, t(e$vectors) %*% L, fit$cache$satt)
  expect_true(all(nu < 2))
  expect_gt(abs(diff(nu)), 1e-6)
  r2 <- lmm_contrast(fit, L)
  expect_identical(r2$den_df, 2)
  expect_equal(r2$F, r$F)
  skip_if_not_installed("lmerTest")
  expect_identical(r2$den_df, lmerTest:::get_Fstat_ddf(nu))
})
