# broom tidiers and model_selection().

test_that("tidy() and glance() agree with summary()", {
  d <- sim_mmrm_data(n = 50)
  g <- mmrm_fit(CHG ~ BASE + ARM * AVISIT + ar1(AVISIT | USUBJID), d, df = "Satterthwaite")
  td <- tidy(g, conf.int = TRUE)
  ct <- summary(g)$coefficients
  expect_equal(td$estimate, unname(ct[, "Estimate"]))
  expect_equal(td$df, unname(ct[, "df"]))
  expect_equal(unname(as.matrix(td[, c("conf.low", "conf.high")])), unname(confint(g)))
  gl <- glance(g)
  expect_equal(gl$AIC, AIC(g))
  expect_equal(gl$nobs, nobs(g))
})

test_that("augment() agrees with fitted(), residuals() and predict(), and by hand", {
  d <- sim_mmrm_data(n = 50)
  g <- mmrm_fit(CHG ~ BASE + ARM * AVISIT + us(AVISIT | USUBJID), d, df = "Satterthwaite")
  a <- augment(g)
  expect_equal(nrow(a), nobs(g))
  expect_equal(a$.fitted, unname(fitted(g)), tolerance = 1e-12)
  expect_equal(a$.resid, unname(residuals(g)), tolerance = 1e-12)
  expect_equal(a$CHG - a$.fitted, a$.resid)
  # with newdata (including rows with a missing response) and standard errors
  nd <- d[1:12, ]
  an <- augment(g, newdata = nd, se_fit = TRUE)
  pr <- predict(g, nd, interval = "confidence")
  expect_equal(an$.fitted, unname(pr[, "fit"]), tolerance = 1e-12)
  expect_equal(an$.se.fit, unname(pr[, "se"]), tolerance = 1e-12)
  expect_equal(is.na(an$.resid), is.na(nd$CHG))
  # by hand: x'beta and sqrt(x' V x) from the model matrix and vcov()
  X <- stats::model.matrix(~ BASE + ARM * AVISIT, nd)
  expect_equal(an$.fitted, unname(drop(X %*% coef(g))), tolerance = 1e-10)
  expect_equal(an$.se.fit, unname(sqrt(rowSums((X %*% vcov(g)) * X))), tolerance = 1e-10)
  expect_error(augment(g, se_fit = "yes"), class = "glycotrial_error_input")
  expect_error(augment(g, newdata = 1), class = "glycotrial_error_input")
})
