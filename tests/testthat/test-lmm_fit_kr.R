# Kenward-Roger df of fit_lmm() against lmerTest (ddf = "Kenward-Roger"),
# which calls pbkrtest::vcovAdj() / Lb_ddf() / KRmodcomp(). Both sides use
# the same formulas (linear variance parametrisation, no R_ij term); the
# remaining difference comes from lme4's optimum (tightened bobyqa), so
# estimates, adjusted SEs, df and F agree to 1e-4 relative.

kr_lmer <- function(formula, data) {
  lmerTest::lmer(formula, data,
                 control = lme4::lmerControl(optimizer = "bobyqa",
                                             optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))
}

test_that("Kenward-Roger t tests match lmerTest / pbkrtest", {
  skip_if_not_installed("lmerTest")
  skip_if_not_installed("pbkrtest")
  data("sleepstudy", package = "lme4")
  f <- fit_lmm(Reaction ~ Days + (1 + Days | Subject), sleepstudy)
  m <- kr_lmer(Reaction ~ Days + (1 + Days | Subject), sleepstudy)
  tf <- summary(f, ddf = "Kenward-Roger")$coefficients
  tm <- summary(m, ddf = "Kenward-Roger")$coefficients
  expect_equal(tf$`Std. Error`, unname(tm[, "Std. Error"]), tolerance = 1e-4)
  expect_equal(tf$df, unname(tm[, "df"]), tolerance = 1e-4)
  expect_equal(tf$`Pr(>|t|)`, unname(tm[, "Pr(>|t|)"]), tolerance = 1e-4)

  # unbalanced (intermittent missing visits), uncorrelated terms
  d <- lmm_sim_trial(n = 30, seed = 5)
  set.seed(9)
  d <- d[!(d$WEEK > 0 & stats::runif(nrow(d)) < 0.2), ]
  fm <- AVAL ~ ARM * WEEK + (1 | USUBJID) + (0 + WEEK | USUBJID)
  f <- fit_lmm(fm, d)
  m <- kr_lmer(fm, d)
  tf <- summary(f, ddf = "Kenward-Roger")$coefficients
  tm <- summary(m, ddf = "Kenward-Roger")$coefficients
  expect_equal(tf$`Std. Error`, unname(tm[, "Std. Error"]), tolerance = 1e-4)
  expect_equal(tf$df, unname(tm[, "df"]), tolerance = 1e-4)
  # the adjusted covariance is larger than the naive one
  expect_true(all(tf$`Std. Error` >= sqrt(diag(vcov(f))) * (1 - 1e-8)))
})

test_that("Kenward-Roger F tests (one and several df) match lmerTest::contestMD", {
  skip_if_not_installed("lmerTest")
  skip_if_not_installed("pbkrtest")
  d <- lmm_sim_trial(n = 40, seed = 3)
  d$GRP <- factor(rep(c("a", "b", "c"), length.out = nrow(d)))
  set.seed(2)
  d <- d[!(d$WEEK > 0 & stats::runif(nrow(d)) < 0.15), ]
  fm <- AVAL ~ ARM + WEEK + GRP + (1 + WEEK | USUBJID)
  f <- fit_lmm(fm, d)
  m <- kr_lmer(fm, d)
  a_f <- anova(f, ddf = "Kenward-Roger")
  a_m <- anova(m, type = 3, ddf = "Kenward-Roger")
  expect_equal(a_f$NumDF, a_m$NumDF)
  expect_equal(a_f$DenDF, a_m$DenDF, tolerance = 1e-4)
  expect_equal(a_f$`F value`, a_m$`F value`, tolerance = 1e-4)
  expect_equal(a_f$`Pr(>F)`, a_m$`Pr(>F)`, tolerance = 1e-4)
  # a 2-df contrast that is not a whole term
  L <- rbind(c(0, 1, 0, 1, 0), c(0, 0, 1, 0, -1))
  cf <- lmm_contrast(f, L, ddf = "Kenward-Roger")
  cm <- lmerTest::contestMD(m, L, ddf = "Kenward-Roger")
  expect_equal(cf$den_df, cm$DenDF, tolerance = 1e-4)
  expect_equal(cf$F, cm$`F value`, tolerance = 1e-4)
})

test_that("Kenward-Roger requests that are not supported give classed errors", {
  data("sleepstudy", package = "lme4")
  f_ml <- fit_lmm(Reaction ~ Days + (1 | Subject), sleepstudy, reml = FALSE)
  expect_error(summary(f_ml, ddf = "Kenward-Roger"), "REML", class = "glycotrial_error_input")
  d <- lmm_sim_trial(n = 20)
  # residual structures are supported (validated in test-lmm_fit_kr_residual.R)
  f_ar <- fit_lmm(AVAL ~ WEEK + (1 | USUBJID) + ar1(AVISIT | USUBJID), d)
  a <- anova(f_ar, ddf = "Kenward-Roger")
  expect_true(all(is.finite(a$DenDF) & a$DenDF > 0))
  f <- fit_lmm(Reaction ~ Days + (1 | Subject), sleepstudy)
  expect_error(anova(f, ddf = "KR"), class = "glycotrial_error_input")
  expect_error(lmm_contrast(f, rbind(c(0, 1), c(0, 2)), ddf = "Kenward-Roger"), "full row rank",
               class = "glycotrial_error_input")
})
