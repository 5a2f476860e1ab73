# broom tidiers of fit_lmm() results: the numbers are those of the fit's own
# methods (fixef, vcov, VarCorr, logLik, fitted), and against lme4 where the
# convention is lme4's (SDs of the variance components, REML criterion).

test_that("tidy() and glance() carry the fit's estimates and criteria", {
  skip_if_not_installed("lme4")
  data("sleepstudy", package = "lme4", envir = environment())
  f <- fit_lmm(Reaction ~ Days + (1 | Subject), sleepstudy)
  l <- lmm_tight_lmer(Reaction ~ Days + (1 | Subject), sleepstudy)
  td <- tidy(f)
  fx <- td[td$effect == "fixed", ]
  expect_equal(fx$estimate, unname(fixef(f)))
  expect_equal(fx$std.error, unname(sqrt(diag(as.matrix(vcov(f))))))
  expect_equal(fx$statistic, fx$estimate / fx$std.error)
  expect_equal(fx$p.value, 2 * pt(abs(fx$statistic), fx$df, lower.tail = FALSE))
  rp <- td[td$effect == "ran_pars", ]
  vc <- as.data.frame(lme4::VarCorr(l))
  expect_equal(rp$estimate, vc$sdcor, tolerance = 1e-5)
  g <- glance(f)
  expect_equal(g$nobs, 180)
  expect_equal(g$n_subjects, 18)
  expect_equal(g$logLik, as.numeric(logLik(l)), tolerance = 1e-8)
  expect_equal(g$REMLcrit, -2 * g$logLik)
  expect_equal(g$AIC, AIC(l), tolerance = 1e-8)
})

test_that("augment() adds fitted values, population predictions and residuals", {
  skip_if_not_installed("lme4")
  data("sleepstudy", package = "lme4", envir = environment())
  f <- fit_lmm(Reaction ~ Days + (1 | Subject), sleepstudy)
  a <- augment(f)
  expect_equal(nrow(a), nrow(sleepstudy))
  expect_equal(unname(a$.fitted), unname(fitted(f)))
  expect_equal(a$.fixed, unname(fixef(f)[1] + fixef(f)[2] * sleepstudy$Days), tolerance = 1e-10)
  expect_equal(a$.resid, sleepstudy$Reaction - a$.fitted, tolerance = 1e-10)
})
