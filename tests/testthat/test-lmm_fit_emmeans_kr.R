# emmeans on fit_lmm() with mode / lmer.df = "kenward-roger" against emmeans
# on lmerTest::lmer with lmer.df = "kenward-roger" (pbkrtest's vcovAdj and
# Lb_ddf): estimates to 1e-6, SEs and df to 1e-4 (relative). tidy() df and
# df.method against summary().

test_that("emmeans Kenward-Roger mode matches emmeans on lmerTest::lmer", {
  skip_if_not_installed("emmeans")
  skip_if_not_installed("lmerTest")
  skip_if_not_installed("pbkrtest")
  d <- lmm_sim_trial(n = 30, seed = 6)
  set.seed(12)
  d <- d[!(d$WEEK > 0 & stats::runif(nrow(d)) < 0.15), ]
  fm <- AVAL ~ ARM * AVISIT + (1 + WEEK | USUBJID)
  f <- fit_lmm(fm, d)
  m <- lmerTest::lmer(fm, d, control = lme4::lmerControl(optimizer = "bobyqa",
                                                         optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))
  for (arg in c("mode", "lmer.df")) {
    args <- stats::setNames(list("kenward-roger"), arg)
    ef <- as.data.frame(do.call(emmeans::emmeans, c(list(f, ~ ARM | AVISIT), args)))
    em <- as.data.frame(emmeans::emmeans(m, ~ ARM | AVISIT, lmer.df = "kenward-roger"))
    expect_equal(ef$emmean, em$emmean, tolerance = 1e-6)
    expect_equal(ef$SE, em$SE, tolerance = 1e-4)
    expect_equal(ef$df, em$df, tolerance = 1e-4)
  }
  ef <- emmeans::emmeans(f, ~ ARM | AVISIT, mode = "kenward-roger")
  em <- emmeans::emmeans(m, ~ ARM | AVISIT, lmer.df = "kenward-roger")
  cf <- as.data.frame(emmeans::contrast(ef, "revpairwise"))
  cm <- as.data.frame(emmeans::contrast(em, "revpairwise"))
  expect_equal(cf$estimate, cm$estimate, tolerance = 1e-6)
  expect_equal(cf$SE, cm$SE, tolerance = 1e-4)
  expect_equal(cf$df, cm$df, tolerance = 1e-4)
  # joint (multi-df) tests use the KR df of the whole L
  jf <- emmeans::test(emmeans::contrast(ef, "revpairwise"), joint = TRUE, by = NULL)
  jm <- emmeans::test(emmeans::contrast(em, "revpairwise"), joint = TRUE, by = NULL)
  expect_equal(jf$df2, jm$df2, tolerance = 1e-4)
  # the Satterthwaite default is unchanged; asymptotic gives Inf df
  es <- as.data.frame(suppressMessages(emmeans::emmeans(f, ~ ARM)))
  expect_true(all(is.finite(es$df)))
  ea <- as.data.frame(suppressMessages(emmeans::emmeans(f, ~ ARM, mode = "asymptotic")))
  expect_true(all(is.infinite(ea$df)))
  expect_error(emmeans::emmeans(f, ~ ARM, mode = "containment"), class = "glycotrial_error_input")
})

test_that("emmeans Kenward-Roger works with a residual structure (core KR, Phi_A)", {
  skip_if_not_installed("emmeans")
  d <- lmm_sim_trial(n = 24, seed = 2)
  f <- fit_lmm(AVAL ~ ARM * AVISIT + (1 | USUBJID) + ar1(AVISIT | USUBJID), d)
  ef <- as.data.frame(emmeans::emmeans(f, ~ ARM | AVISIT, mode = "kenward-roger"))
  # each EMM is a linear function l'beta: SE from Phi_A and df from lmm_contrast()
  grid <- emmeans::emmeans(f, ~ ARM | AVISIT, mode = "kenward-roger")
  L <- grid@linfct
  kr <- glycotrial:::lmm_kr_setup(f)
  expect_equal(ef$SE, sqrt(diag(L %*% kr$phi_adj %*% t(L))), tolerance = 1e-10)
  df <- vapply(seq_len(nrow(L)), function(i) lmm_contrast(f, L[i, ], ddf = "Kenward-Roger")$den_df,
               numeric(1))
  expect_equal(ef$df, df, tolerance = 1e-8)
})

test_that("tidy() reports df and the df method", {
  data("sleepstudy", package = "lme4")
  f <- fit_lmm(Reaction ~ Days + (1 + Days | Subject), sleepstudy)
  for (ddf in c("Satterthwaite", "Kenward-Roger", "residual")) {
    td <- tidy(f, effects = "fixed", ddf = ddf)
    s <- summary(f, ddf = ddf)$coefficients
    expect_equal(td$df, s$df)
    expect_equal(td$std.error, s$`Std. Error`)
    expect_equal(td$p.value, s$`Pr(>|t|)`)
    expect_equal(unique(td$df.method), ddf)
  }
  td <- tidy(f)
  expect_true(all(td$df.method[td$effect == "fixed"] == "Satterthwaite"))
  expect_true(all(is.na(td$df.method[td$effect == "ran_pars"])))
  expect_error(tidy(f, ddf = "KR"), class = "glycotrial_error_input")
})
