# anova() of mmrm_fit(): F tests written out by hand from coef() and vcov():
# F = (L b)' (L V L')^{-1} (L b) / rank(L), with residual df n - p.

test_that("Type III F of an interaction and of a covariate equal the Wald F by hand", {
  d <- sim_mmrm_data(n = 60)
  f <- mmrm_fit(CHG ~ ARM * AVISIT + BASE + ar1(AVISIT | USUBJID), d, df = "Residual")
  a <- anova(f)
  expect_identical(rownames(a), c("ARM", "AVISIT", "BASE", "ARM:AVISIT"))
  b <- coef(f)
  V <- vcov(f)
  int <- grep(":", names(b))
  L <- diag(length(b))[int, , drop = FALSE]
  f_int <- drop(t(L %*% b) %*% solve(L %*% V %*% t(L)) %*% (L %*% b)) / 3
  expect_equal(a["ARM:AVISIT", "F value"], f_int, tolerance = 1e-8)
  expect_equal(a["ARM:AVISIT", "Num Df"], 3)
  expect_equal(a["BASE", "F value"], unname(b["BASE"]^2 / V["BASE", "BASE"]), tolerance = 1e-8)
  # Residual df: observations minus fixed-effect columns.
  expect_equal(a[, "Denom Df"], rep(nobs(f) - length(b), 4))
  expect_equal(a["BASE", "Pr(>F)"], pf(a["BASE", "F value"], 1, nobs(f) - length(b),
                                       lower.tail = FALSE), tolerance = 1e-10)
})

test_that("Type II of an additive model is the Wald test of each term", {
  d <- sim_mmrm_data(n = 60)
  f <- mmrm_fit(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID), d, df = "Residual")
  a <- anova(f, type = "II")
  b <- coef(f)
  V <- vcov(f)
  expect_equal(a["ARM", "F value"], unname(b["ARMDrug"]^2 / V["ARMDrug", "ARMDrug"]),
               tolerance = 1e-8)
  vis <- grep("^AVISIT", names(b))
  expect_equal(a["AVISIT", "F value"],
               drop(t(b[vis]) %*% solve(V[vis, vis]) %*% b[vis]) / length(vis), tolerance = 1e-8)
  expect_error(anova(f, f), class = "glycotrial_error")
  expect_error(anova(f, type = "IV"), class = "glycotrial_error_input")
})
