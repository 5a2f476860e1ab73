# Built-in LS-means against emmeans (on an mmrm fit of the same model, and on
# the glycotrial fit through our emm_basis method).

test_that("lsmeans() matches emmeans on the mmrm fit (rel. tol 1e-6)", {
  skip_if_not_installed("mmrm")
  skip_if_not_installed("emmeans")
  fev <- mmrm::fev_data
  fm <- FEV1 ~ RACE + SEX + ARMCD * AVISIT + us(AVISIT | USUBJID)
  g <- mmrm_fit(fm, fev, df = "Satterthwaite")
  m <- suppressWarnings(mmrm::mmrm(fm, fev, method = "Satterthwaite", start = g$theta))
  ls <- least_squares_means(g, specs = "ARMCD", by = "AVISIT")
  em <- emmeans::emmeans(m, ~ ARMCD | AVISIT)
  es <- as.data.frame(summary(em))
  key_g <- paste(ls$lsmeans$AVISIT, ls$lsmeans$ARMCD)
  key_e <- paste(es$AVISIT, es$ARMCD)
  es <- es[match(key_g, key_e), ]
  expect_lt(rel_diff(ls$lsmeans$estimate, es$emmean), 1e-6)
  expect_lt(rel_diff(ls$lsmeans$se, es$SE), 1e-6)
  expect_lt(rel_diff(ls$lsmeans$df, es$df), 1e-6)
  expect_lt(rel_diff(ls$lsmeans$lower, es$lower.CL), 1e-6)
  ct <- as.data.frame(summary(emmeans::contrast(em, "trt.vs.ctrl"), infer = TRUE))
  expect_lt(rel_diff(ls$diffs$estimate, ct$estimate), 1e-6)
  expect_lt(rel_diff(ls$diffs$se, ct$SE), 1e-6)
  expect_lt(rel_diff(ls$diffs$df, ct$df), 1e-6)
  expect_lt(max(abs(ls$diffs$p_value - ct$p.value)), 1e-6)
  expect_output(print(ls), "LS-means")
})

test_that("emmeans works on glycotrial fits with the fit's df method", {
  skip_if_not_installed("emmeans")
  d <- sim_mmrm_data(n = 60)
  g <- mmrm_fit(CHG ~ BASE + ARM * AVISIT + us(AVISIT | USUBJID), d, df = "Kenward-Roger")
  em <- emmeans::emmeans(g, ~ ARM | AVISIT)
  es <- as.data.frame(summary(em))
  ls <- least_squares_means(g, specs = "ARM", by = "AVISIT")
  es <- es[match(paste(ls$lsmeans$AVISIT, ls$lsmeans$ARM), paste(es$AVISIT, es$ARM)), ]
  expect_equal(ls$lsmeans$estimate, es$emmean, tolerance = 1e-8)
  expect_equal(ls$lsmeans$se, es$SE, tolerance = 1e-8)
  expect_equal(ls$lsmeans$df, es$df, tolerance = 1e-8)
  ct <- as.data.frame(summary(emmeans::contrast(em, "trt.vs.ctrl")))
  expect_equal(ls$diffs$estimate, ct$estimate, tolerance = 1e-8)
  expect_equal(ls$diffs$df, ct$df, tolerance = 1e-8)
})

test_that("lsmeans() by hand: no covariates, one factor", {
  d <- sim_mmrm_data(n = 40, missing = 0)
  g <- mmrm_fit(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID), d, df = "Residual")
  ls <- least_squares_means(g, specs = "ARM", by = NULL)
  b <- coef(g)
  # Equal weights over the 4 visits.
  expect_equal(ls$lsmeans$estimate[1], unname(b[1] + mean(c(0, b[3:5]))), tolerance = 1e-12)
  expect_equal(ls$diffs$estimate, unname(b[["ARMDrug"]]), tolerance = 1e-12)
  expect_error(least_squares_means(g, specs = "NOPE"), class = "glycotrial_error_input")
  expect_error(least_squares_means(g, ref = "zzz", by = NULL), class = "glycotrial_error_input")
  expect_error(least_squares_means(list()), class = "glycotrial_error_input")
})
