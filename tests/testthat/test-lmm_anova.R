# anova() of fit_lmm: "Type III" is the SAS / lmerTest Type III (contrasts
# orthogonal to the higher-order terms); the old tests of the treatment-coded
# columns are type = "marginal".

lmm_anova_data <- function(seed = 3) {
  set.seed(seed)
  n <- 60
  d <- expand.grid(v = 1:4, i = seq_len(n))
  d$USUBJID <- factor(sprintf("S%03d", d$i))
  d$ARM <- factor(c("PBO", "TRT")[1 + d$i %% 2])
  d$AVISIT <- factor(paste0("V", d$v))
  d$t <- d$v
  d$X1 <- stats::rnorm(nrow(d))
  d$AVAL <- 1 + 0.8 * (d$ARM == "TRT") * d$v / 4 + 0.2 * d$v + stats::rnorm(n)[d$i] +
    stats::rnorm(nrow(d))
  d
}

test_that("Type III equals lmerTest's Type III, marginal tests the coded columns", {
  skip_if_not_installed("lmerTest")
  d <- lmm_anova_data()
  fit <- fit_lmm(AVAL ~ ARM * AVISIT + X1 + (1 | USUBJID), d)
  a3 <- anova(fit)
  ref <- lmerTest::lmer(AVAL ~ ARM * AVISIT + X1 + (1 | USUBJID), d,
                        control = lme4::lmerControl(optimizer = "bobyqa",
                                                    optCtrl = list(rhoend = 1e-12)))
  r3 <- anova(ref, type = 3)
  expect_equal(rownames(a3), rownames(r3))
  expect_equal(a3$`F value`, r3$`F value`, tolerance = 1e-5)
  expect_equal(a3$DenDF, r3$DenDF, tolerance = 1e-4)
  expect_equal(a3$NumDF, r3$NumDF)
  expect_equal(anova(fit, type = 3)$`F value`, a3$`F value`)
  # hand contrasts: ARM averaged over the visits (contr.sum), the
  # coefficient vector being (1, TRT, V2, V3, V4, X1, TRT:V2, TRT:V3, TRT:V4)
  l_arm <- c(0, 1, 0, 0, 0, 0, 1 / 4, 1 / 4, 1 / 4)
  h <- lmm_contrast(fit, l_arm)
  expect_equal(a3["ARM", "F value"], h$F, tolerance = 1e-8)
  # marginal: the ARM column alone (effect at the reference visit)
  am <- anova(fit, type = "marginal")
  hm <- lmm_contrast(fit, c(0, 1, 0, 0, 0, 0, 0, 0, 0))
  expect_equal(am["ARM", "F value"], hm$F, tolerance = 1e-8)
  expect_false(isTRUE(all.equal(am["ARM", "F value"], a3["ARM", "F value"])))
  # the interaction (highest order) is the same in both
  expect_equal(am["ARM:AVISIT", "F value"], a3["ARM:AVISIT", "F value"], tolerance = 1e-8)
  expect_match(attr(am, "heading"), "Marginal")
  expect_error(anova(fit, type = "II"), class = "glycotrial_error_input")
})

test_that("Type III of a residual-only fit_lmm equals mmrm_fit's anova", {
  d <- lmm_anova_data(4)
  fit <- fit_lmm(AVAL ~ ARM * AVISIT + us(AVISIT | USUBJID), d)
  mm <- mmrm_fit(AVAL ~ ARM * AVISIT + us(AVISIT | USUBJID), d, df = "Satterthwaite")
  a <- anova(fit)
  b <- anova(mm)
  expect_equal(rownames(a), rownames(b))
  expect_equal(a$`F value`, b$`F value`, tolerance = 1e-4)
})

test_that("joint models refuse per-term anova instead of an empty table", {
  fit <- suppressWarnings(fit_joint(adlb))
  expect_error(anova(fit), class = "glycotrial_error_unsupported")
  expect_error(anova(fit, type = "marginal"), class = "glycotrial_error_unsupported")
})

test_that("Type III for several grouping factors uses the same contrasts", {
  d <- lmm_anova_data(5)
  d$SITE <- factor(paste0("site", as.integer(d$USUBJID) %% 6))
  d$AVAL <- d$AVAL + c(-1, 0.5, 1, -0.5, 0.2, 0)[as.integer(d$SITE)]
  fit <- fit_lmm(AVAL ~ ARM * AVISIT + (1 | SITE) + (1 | USUBJID), d)
  a3 <- anova(fit)
  h <- lmm_contrast(fit, c(0, 1, 0, 0, 0, 1 / 4, 1 / 4, 1 / 4))
  expect_equal(a3["ARM", "F value"], h$F, tolerance = 1e-8)
  skip_if_not_installed("lmerTest")
  ref <- lmerTest::lmer(AVAL ~ ARM * AVISIT + (1 | SITE) + (1 | USUBJID), d)
  expect_equal(a3$`F value`, anova(ref, type = 3)$`F value`, tolerance = 1e-4)
})
