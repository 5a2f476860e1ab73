# Random effects plus a residual covariance structure from the plugin
# registry, against nlme::lme (tight tolerances). The plugins used are the
# test structures registered by cpp_lmm_register_test_plugins(): AR(1) with
# analytic derivatives and CS with numerical ones, both parametrised
# (log sd, atanh rho) over visit indices.

test_that("random intercept and slope + AR(1) residuals match nlme::lme", {
  glycotrial:::cpp_lmm_register_test_plugins()
  d <- lmm_sim_trial(n = 80, seed = 5)
  d$VIS <- as.integer(d$AVISIT)
  for (reml in c(TRUE, FALSE)) {
    f <- fit_lmm(AVAL ~ ARM * WEEK + (1 + WEEK | USUBJID) + lmm_test_ar1(AVISIT | USUBJID), d,
                 reml = reml)
    m <- nlme::lme(AVAL ~ ARM * WEEK, random = ~ 1 + WEEK | USUBJID,
                   correlation = nlme::corAR1(form = ~ VIS | USUBJID), data = d,
                   method = if (reml) "REML" else "ML", control = nlme_tight())
    # nlme stops slightly short of the optimum (its logLik is lower by ~1e-8)
    expect_equal(as.numeric(logLik(f)), as.numeric(logLik(m)), tolerance = 1e-8)
    expect_gte(as.numeric(logLik(f)), as.numeric(logLik(m)) - 1e-9)
    expect_equal(fixef(f), nlme::fixef(m), tolerance = 1e-6)
    G <- unclass(nlme::getVarCov(m))
    attr(G, "group.levels") <- NULL
    expect_equal(unname(VarCorr(f)$G), unname(G), tolerance = 1e-4)
    # residual covariance of a complete subject
    R_ref <- unclass(nlme::getVarCov(m, individuals = "S001", type = "conditional"))[[1]]
    R_f <- glycotrial:::cpp_lmm_residual_cov(glycotrial:::lmm_ptr(f), f$theta_absolute,
                                             0:4, integer(5))
    expect_equal(unname(R_f), unname(R_ref), tolerance = 1e-4)
    expect_equal(unname(vcov(f)), unname(stats::vcov(m)), tolerance = 1e-4)
    re_ref <- as.matrix(nlme::ranef(m))
    expect_lt(max(abs(as.matrix(ranef(f)) - re_ref[rownames(ranef(f)), ])), 1e-4)
  }
})

test_that("random slope + compound symmetry (numerical plugin derivatives) match nlme::lme", {
  glycotrial:::cpp_lmm_register_test_plugins()
  d <- lmm_sim_trial(n = 60, seed = 8)
  f <- fit_lmm(AVAL ~ ARM + WEEK + (0 + WEEK | USUBJID) + lmm_test_cs(AVISIT | USUBJID), d)
  m <- nlme::lme(AVAL ~ ARM + WEEK, random = ~ 0 + WEEK | USUBJID,
                 correlation = nlme::corCompSymm(form = ~ 1 | USUBJID), data = d,
                 control = nlme_tight())
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(m)), tolerance = 1e-8)
  expect_equal(fixef(f), nlme::fixef(m), tolerance = 1e-6)
  expect_equal(unname(VarCorr(f)$G[1, 1]), as.numeric(nlme::getVarCov(m)[1, 1]), tolerance = 1e-4)
})

test_that("intermittent missing visits use the right visit coordinates", {
  glycotrial:::cpp_lmm_register_test_plugins()
  d <- lmm_sim_trial(n = 60, seed = 9)
  d$VIS <- as.integer(d$AVISIT)
  set.seed(4)
  d <- d[-sample(which(d$AVISITN > 0), 40), ]
  f <- fit_lmm(AVAL ~ ARM * WEEK + (1 | USUBJID) + lmm_test_ar1(AVISIT | USUBJID), d)
  m <- nlme::lme(AVAL ~ ARM * WEEK, random = ~ 1 | USUBJID,
                 correlation = nlme::corAR1(form = ~ VIS | USUBJID), data = d,
                 control = nlme_tight())
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(m)), tolerance = 1e-8)
  expect_equal(fixef(f), nlme::fixef(m), tolerance = 1e-6)
  expect_gt(f$n_patterns, 1)
})

test_that("residual-structure errors are classed", {
  glycotrial:::cpp_lmm_register_test_plugins()
  d <- lmm_sim_trial(n = 10)
  dd <- rbind(d, d[1, ])
  expect_error(fit_lmm(AVAL ~ WEEK + (1 | USUBJID) + lmm_test_ar1(AVISIT | USUBJID), dd),
               "at most one row per visit", class = "glycotrial_error_input")
  # a residual subject other than the random effects' factor is a second
  # grouping factor (issue 17 item 10); ARM has many rows per visit
  expect_error(fit_lmm(AVAL ~ WEEK + (1 | USUBJID) + lmm_test_ar1(AVISIT | ARM), d),
               "at most one row per visit", class = "glycotrial_error_input")
  # a residual structure alone is a valid (covariance-pattern) model
  expect_s3_class(fit_lmm(AVAL ~ WEEK + lmm_test_ar1(AVISIT | USUBJID), d), "glycotrial_lmm")
})

test_that("the built-in MMRM covariance plugins (ar1, cs, sp_exp) work as residual structures", {
  keys <- glycotrial_plugins("covariance")$key
  skip_if_not(all(c("ar1", "cs", "sp_exp") %in% keys), "built-in covariance plugins not registered")
  d <- lmm_sim_trial(n = 80, seed = 5)
  d$VIS <- as.integer(d$AVISIT)
  f <- fit_lmm(AVAL ~ ARM * WEEK + (1 + WEEK | USUBJID) + ar1(AVISIT | USUBJID), d)
  m <- nlme::lme(AVAL ~ ARM * WEEK, random = ~ 1 + WEEK | USUBJID,
                 correlation = nlme::corAR1(form = ~ VIS | USUBJID), data = d,
                 control = nlme_tight())
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(m)), tolerance = 1e-8)
  expect_equal(fixef(f), nlme::fixef(m), tolerance = 1e-6)
  f2 <- fit_lmm(AVAL ~ ARM + WEEK + (0 + WEEK | USUBJID) + cs(AVISIT | USUBJID), d)
  m2 <- nlme::lme(AVAL ~ ARM + WEEK, random = ~ 0 + WEEK | USUBJID,
                  correlation = nlme::corCompSymm(form = ~ 1 | USUBJID), data = d,
                  control = nlme_tight())
  expect_equal(as.numeric(logLik(f2)), as.numeric(logLik(m2)), tolerance = 1e-8)
  # spatial exponential in continuous time (weeks)
  f3 <- fit_lmm(AVAL ~ ARM + WEEK + (1 | USUBJID) + sp_exp(WEEK | USUBJID), d)
  m3 <- nlme::lme(AVAL ~ ARM + WEEK, random = ~ 1 | USUBJID,
                  correlation = nlme::corExp(form = ~ WEEK | USUBJID), data = d,
                  control = nlme_tight())
  expect_equal(as.numeric(logLik(f3)), as.numeric(logLik(m3)), tolerance = 1e-8)
  expect_equal(fixef(f3), nlme::fixef(m3), tolerance = 1e-6)
})
