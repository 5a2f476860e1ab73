# Kenward-Roger df for fits with several grouping factors (R/lmm_sparse.R,
# the C++ SparseModel class's kenward_roger()): KR df, adjusted SEs and F
# tests against lmerTest (pbkrtest underneath) to 1e-4 relative. Profile
# intervals of the same fits: test-lmm_sparse_profile.R.

lmm_sparse_tight_lmerTest <- function(fm, data) {
  lmerTest::lmer(fm, data, control = lme4::lmerControl(optimizer = "bobyqa",
                                                       optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))
}

test_that("Kenward-Roger df on crossed (Penicillin) and nested (Pastes) fits match lmerTest", {
  skip_if_not_installed("lmerTest")
  skip_if_not_installed("pbkrtest")
  data("Penicillin", package = "lme4", envir = environment())
  data("Pastes", package = "lme4", envir = environment())
  for (cs in list(list(diameter ~ 1 + (1 | plate) + (1 | sample), Penicillin),
                  list(strength ~ 1 + (1 | batch/cask), Pastes))) {
    f <- fit_lmm(cs[[1]], cs[[2]])
    l <- lmm_sparse_tight_lmerTest(cs[[1]], cs[[2]])
    a <- summary(f, ddf = "Kenward-Roger")$coefficients
    b <- summary(l, ddf = "Kenward-Roger")$coefficients
    expect_equal(a$df, unname(b[, "df"]), tolerance = 1e-4)
    expect_equal(a$`Std. Error`, unname(b[, "Std. Error"]), tolerance = 1e-4)
    expect_equal(a$`Pr(>|t|)`, unname(b[, "Pr(>|t|)"]), tolerance = 1e-4)
  }
})

test_that("Kenward-Roger F tests and emmeans on a crossed fit with a random slope match lmerTest", {
  skip_if_not_installed("lmerTest")
  skip_if_not_installed("pbkrtest")
  skip_if_not_installed("emmeans")
  d <- lmm_sparse_kr_sim()
  fm <- y ~ trt + x + (1 + x | subj) + (1 | item)
  f <- fit_lmm(fm, d)
  l <- lmm_sparse_tight_lmerTest(fm, d)
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(l)), tolerance = 1e-6)
  af <- anova(f, ddf = "Kenward-Roger")
  al <- anova(l, ddf = "Kenward-Roger")
  expect_equal(af$DenDF, al$DenDF, tolerance = 1e-4)
  expect_equal(af$`F value`, al$`F value`, tolerance = 1e-4)
  expect_equal(af$`Pr(>F)`, al$`Pr(>F)`, tolerance = 1e-4)
  cf <- summary(f, ddf = "Kenward-Roger")$coefficients
  cl <- summary(l, ddf = "Kenward-Roger")$coefficients
  expect_equal(cf$df, unname(cl[, "df"]), tolerance = 1e-4)
  expect_equal(cf$`Std. Error`, unname(cl[, "Std. Error"]), tolerance = 1e-4)
  ef <- as.data.frame(emmeans::emmeans(f, "trt", mode = "kenward-roger"))
  el <- as.data.frame(emmeans::emmeans(l, "trt", lmer.df = "kenward-roger"))
  expect_equal(ef$emmean, el$emmean, tolerance = 1e-6)
  expect_equal(ef$SE, el$SE, tolerance = 1e-4)
  expect_equal(ef$df, el$df, tolerance = 1e-4)
  expect_error(anova(fit_lmm(fm, d, reml = FALSE), ddf = "Kenward-Roger"),
               class = "glycotrial_error_input")
})

test_that("a residual structure with several grouping factors fits; KR df are a classed error", {
  d <- lmm_sim_trial(n = 20)
  d$SITE <- rep(c("A", "B", "C", "D"), length.out = 20)[match(d$USUBJID, unique(d$USUBJID))]
  f <- fit_lmm(AVAL ~ ARM * AVISIT + (1 | SITE) + (1 + WEEK | USUBJID) + ar1(AVISIT | USUBJID),
               d)
  expect_s3_class(f, "glycotrial_lmm_multi_resid")
  e <- expect_error(anova(f, ddf = "Kenward-Roger"), class = "glycotrial_error_unsupported")
  expect_s3_class(e, "glycotrial_error_input")
  expect_match(conditionMessage(e), "residual covariance structure", fixed = TRUE)
})
