# Kenward-Roger for fit_lmm() models WITH a residual structure (and for the
# joint model's Kronecker residual): the core's Phi_A, df and F scaling
# against a brute-force KR written out in helper-lmm_kr.R (full n x n
# matrices, numerical derivatives of V(psi) in R, the formulas of Kenward &
# Roger 1997 / pbkrtest's Lb_ddf). Tolerance 1e-4 (relative).

kr_check <- function(f, bf, L) {
  L <- rbind(L)
  kr <- glycotrial:::lmm_kr_setup(f)
  expect_equal(unname(kr$phi), unname(bf$phi), tolerance = 1e-8)
  expect_equal(unname(kr$phi_adj), unname(bf$phi_adj), tolerance = 1e-4)
  p <- length(fixef(f))
  tab <- summary(f, ddf = "Kenward-Roger")$coefficients
  df_bf <- vapply(seq_len(p), function(j) bf$test(replace(numeric(p), j, 1))$df, numeric(1))
  expect_equal(tab$df, df_bf, tolerance = 1e-4)
  expect_equal(tab$`Std. Error`, unname(sqrt(diag(bf$phi_adj))), tolerance = 1e-4)
  r <- lmm_contrast(f, L, ddf = "Kenward-Roger")
  t <- bf$test(L)
  b <- fixef(f)
  est <- drop(L %*% b)
  F_bf <- t$lambda * drop(t(est) %*% solve(L %*% bf$phi_adj %*% t(L), est)) / nrow(L)
  expect_equal(r$den_df, t$df, tolerance = 1e-4)
  expect_equal(r$F, F_bf, tolerance = 1e-4)
}

test_that("random intercept + residual AR(1): KR matches the brute-force computation", {
  glycotrial:::cpp_lmm_register_test_plugins()
  d <- lmm_sim_trial(n = 30, seed = 21)
  set.seed(5)
  d <- d[!(d$WEEK > 0 & stats::runif(nrow(d)) < 0.15), ]
  f <- fit_lmm(AVAL ~ ARM * WEEK + (1 | USUBJID) + lmm_test_ar1(AVISIT | USUBJID), d)
  kr_check(f, lmm_kr_brute(f), rbind(c(0, 1, 0, 0), c(0, 0, 0, 1)))
  # (with the nonlinear theta_R the -R_jk / 4 term can make Phi_A smaller
  # than Phi for some coefficients, as mmrm's "Kenward-Roger" vs "-Linear".)
  # df differ from Satterthwaite's but are of the same order
  s <- summary(f)$coefficients$df
  expect_true(all(abs(summary(f, ddf = "Kenward-Roger")$coefficients$df / s - 1) < 0.5))
})

test_that("random slope + residual CS (numerical plugin derivatives) with weights: KR matches brute force", {
  glycotrial:::cpp_lmm_register_test_plugins()
  d <- lmm_sim_trial(n = 24, seed = 4)
  set.seed(8)
  d$w <- stats::runif(nrow(d), 0.5, 2)
  f <- fit_lmm(AVAL ~ ARM + WEEK + (0 + WEEK | USUBJID) + lmm_test_cs(AVISIT | USUBJID), d,
               weights = "w")
  kr_check(f, lmm_kr_brute(f), rbind(c(0, 1, 0), c(0, 0, 1)))
})

test_that("random intercept + slope + built-in ar1 (mmrm parametrisation): KR matches brute force", {
  skip_if_not("ar1" %in% glycotrial_plugins("covariance")$key)
  d <- lmm_sim_trial(n = 24, seed = 13)
  f <- fit_lmm(AVAL ~ ARM * WEEK + (1 + WEEK | USUBJID) + ar1(AVISIT | USUBJID), d)
  kr_check(f, lmm_kr_brute(f), c(0, 0, 0, 1))
})

test_that("fit_joint(): KR with the Kronecker residual matches brute force", {
  d <- adlb[adlb$USUBJID %in% unique(adlb$USUBJID)[1:30], ]
  f <- fit_joint(d, formula = ~ ARM + AVISIT)
  p <- length(fixef(f))
  L <- rbind(replace(numeric(p), 2, 1), replace(numeric(p), p, 1))
  kr_check(f, lmm_kr_brute(f), L)
})

test_that("residual structure only (no random effects, core level): KR matches mmrm", {
  # fit_lmm() needs a random-effect term, so the core model is built directly
  # with an empty Z. mmrm's W is the inverse OBSERVED information (Hessian),
  # pbkrtest's (our default) the expected one: the core's observed option
  # reproduces mmrm's "Kenward-Roger" (df and adjusted covariance, 1e-4).
  # (mmrm warns on load when built with an older TMB: not our concern here)
  skip_if_not(suppressWarnings(requireNamespace("mmrm", quietly = TRUE)), "mmrm not installed")
  keys <- glycotrial_plugins("covariance")$key
  skip_if_not(all(c("ar1", "cs", "toep") %in% keys))
  d <- lmm_sim_trial(n = 40, seed = 17)
  set.seed(3)
  d <- d[!(d$WEEK > 0 & stats::runif(nrow(d)) < 0.15), ]
  d$USUBJID <- factor(d$USUBJID)
  for (key in c("ar1", "cs", "toep")) {
    m <- suppressWarnings(mmrm::mmrm(
      stats::as.formula(sprintf("AVAL ~ ARM * WEEK + %s(AVISIT | USUBJID)", key)), data = d,
      method = "Kenward-Roger"))
    des <- lmm_design(lmm_parse_formula(stats::as.formula(
      sprintf("AVAL ~ ARM * WEEK + (1 | USUBJID) + %s(AVISIT | USUBJID)", key))), d)
    ptr <- glycotrial:::cpp_lmm_model(des$X, matrix(0, nrow(des$X), 0), des$y,
                                      as.integer(des$subject_start), integer(0), des$coords,
                                      as.integer(des$groups),
                                      glycotrial:::lmm_residual_list(des), TRUE)
    fit <- glycotrial:::cpp_lmm_fit(ptr, 500L, 1e-7, 6L, 1e-4)
    expect_true(fit$converged)
    expect_equal(-fit$evaluation$deviance / 2, as.numeric(logLik(m)), tolerance = 1e-8)
    expect_equal(unname(fit$evaluation$beta), unname(coef(m)), tolerance = 1e-6)
    kr <- glycotrial:::cpp_lmm_kr_setup(ptr, fit$theta_absolute, TRUE)
    expect_equal(unname(kr$phi_adj), unname(as.matrix(vcov(m))), tolerance = 1e-4)
    df <- vapply(1:4, function(j) {
      glycotrial:::cpp_lmm_kr_test(kr, matrix(replace(numeric(4), j, 1), 1))$df
    }, numeric(1))
    expect_equal(df, unname(summary(m)$coefficients[, "df"]), tolerance = 1e-4)
    # the expected-information default differs from mmrm by ~1% here
    kr_e <- glycotrial:::cpp_lmm_kr_setup(ptr, fit$theta_absolute)
    expect_true(all(is.finite(kr_e$phi_adj)))
  }
  # the core refuses a model with neither random effects nor a residual structure
  expect_error(glycotrial:::cpp_lmm_model(des$X, matrix(0, nrow(des$X), 0), des$y,
                                          as.integer(des$subject_start), integer(0), des$coords,
                                          as.integer(des$groups), list(type = "iid"), TRUE),
               "no random-effect terms", class = "glycotrial_error_input")
})
