# (1 | SITE) + ar1(AVISIT | USUBJID): the residual structure's subject need
# not be the random effects' factor; fit$sigma2 is the residual variance and
# VarCorr()/tidy() list the structure's parameters.
# Reference: nlme::lme(random = ~ 1 | SITE, corAR1(form = ~ t | SITE/USUBJID)).

test_that("(1 | SITE) + ar1(AVISIT | USUBJID) is accepted and matches nlme", {
  skip_if_not_installed("nlme")
  for (seed in 1:2) {
    d <- lmm_sim_site_ar1(seed, sd_subject = 0)
    fit <- fit_lmm(AVAL ~ ARM * AVISIT + (1 | SITE) + ar1(AVISIT | USUBJID), d)
    ref <- nlme::lme(AVAL ~ ARM * AVISIT, random = ~ 1 | SITE,
                     correlation = nlme::corAR1(form = ~ t | SITE / USUBJID), data = d,
                     control = nlme::lmeControl(msMaxIter = 500, tolerance = 1e-10))
    expect_equal(as.numeric(logLik(fit)), as.numeric(logLik(ref)), tolerance = 1e-6)
    expect_equal(unname(fixef(fit)), unname(nlme::fixef(ref)), tolerance = 1e-4)
    expect_true(is.finite(fit$sigma2))
    expect_equal(fit$sigma2, ref$sigma^2, tolerance = 1e-4)
    phi <- unname(coef(ref$modelStruct$corStruct, unconstrained = FALSE))
    vc <- VarCorr(fit)
    expect_equal(vc$residual_pars$estimate[vc$residual_pars$term == "cor__Observation.lag1"],
                 phi, tolerance = 1e-4)
    td <- tidy(fit, effects = "ran_pars")
    expect_equal(td$estimate[td$term == "cor__Observation.lag1"], phi, tolerance = 1e-4)
    expect_equal(td$estimate[td$term == "sd__Observation"], ref$sigma, tolerance = 1e-4)
    site_sd <- as.numeric(nlme::VarCorr(ref)["(Intercept)", "StdDev"])
    expect_equal(td$estimate[td$group == "SITE"], site_sd, tolerance = 1e-3)
    expect_output(print(vc), "cor__Observation.lag1")
  }
})

test_that("one grouping factor + ar1: sigma2 is the residual variance, VarCorr lists phi", {
  skip_if_not_installed("nlme")
  d <- lmm_sim_site_ar1(5, sd_subject = 0)
  fit <- fit_lmm(AVAL ~ ARM * AVISIT + (1 | USUBJID) + ar1(AVISIT | USUBJID), d)
  ref <- nlme::lme(AVAL ~ ARM * AVISIT, random = ~ 1 | USUBJID,
                   correlation = nlme::corAR1(form = ~ t | USUBJID), data = d,
                   control = nlme::lmeControl(msMaxIter = 500, tolerance = 1e-10))
  expect_equal(as.numeric(logLik(fit)), as.numeric(logLik(ref)), tolerance = 1e-6)
  expect_false(is.nan(fit$sigma2))  # NaN before the fix
  expect_equal(fit$sigma2, ref$sigma^2, tolerance = 1e-3)
  phi <- unname(coef(ref$modelStruct$corStruct, unconstrained = FALSE))
  td <- tidy(fit, effects = "ran_pars")
  expect_equal(td$estimate[td$term == "cor__Observation.lag1"], phi, tolerance = 1e-3)
  expect_equal(td$estimate[td$term == "sd__Observation"], ref$sigma, tolerance = 1e-3)
  expect_equal(glance(fit)$sigma, ref$sigma, tolerance = 1e-3)
})

test_that("a heterogeneous structure lists one SD per visit", {
  d <- lmm_sim_site_ar1(6, sd_subject = 0)
  fit <- fit_lmm(AVAL ~ ARM * AVISIT + us(AVISIT | USUBJID), d)
  pars <- VarCorr(fit)$residual_pars
  S <- glycotrial:::lmm_residual_matrix(fit)
  expect_equal(pars$estimate[grepl("^sd__", pars$term)], unname(sqrt(diag(S))))
  expect_equal(sum(grepl("^cor__", pars$term)), 6)
  expect_equal(fit$sigma2, mean(diag(S)))
  # the same model in nlme::gls
  skip_if_not_installed("nlme")
  ref <- nlme::gls(AVAL ~ ARM * AVISIT, correlation = nlme::corSymm(form = ~ t | USUBJID),
                   weights = nlme::varIdent(form = ~ 1 | AVISIT), data = d)
  expect_equal(as.numeric(logLik(fit)), as.numeric(logLik(ref)), tolerance = 1e-5)
})
