# offset() in a fit_lmm() formula is honoured as lme4 honours it; refused
# with a classed error where it cannot be.

test_that("offset() matches lme4::lmer with the same offset", {
  skip_if_not_installed("lme4")
  sl <- lme4::sleepstudy
  set.seed(1)
  sl$off <- stats::rnorm(nrow(sl), 0, 20)
  fit <- fit_lmm(Reaction ~ Days + offset(off) + (1 + Days | Subject), sl)
  ref <- lmm_tight_lmer(Reaction ~ Days + offset(off) + (1 + Days | Subject), sl)
  expect_equal(fixef(fit), lme4::fixef(ref), tolerance = 1e-5)
  expect_equal(as.numeric(logLik(fit)), as.numeric(logLik(ref)), tolerance = 1e-7)
  expect_equal(unname(fitted(fit)), unname(fitted(ref)), tolerance = 1e-5)
  expect_equal(unname(residuals(fit)), unname(residuals(ref)), tolerance = 1e-5)
  nd <- sl[1:5, ]
  expect_equal(unname(predict(fit, newdata = nd, level = "population")),
               unname(predict(ref, newdata = nd, re.form = NA)), tolerance = 1e-5)
  # ignoring the offset would give other estimates
  plain <- fit_lmm(Reaction ~ Days + (1 + Days | Subject), sl)
  expect_false(isTRUE(all.equal(fixef(plain), fixef(fit), tolerance = 1e-3)))
  # several grouping factors
  sl$G2 <- factor(rep(1:6, length.out = nrow(sl)))
  fm <- suppressWarnings(fit_lmm(Reaction ~ Days + offset(off) + (1 | Subject) + (1 | G2), sl))
  rm <- suppressWarnings(lmm_tight_lmer(Reaction ~ Days + offset(off) + (1 | Subject) + (1 | G2), sl))
  expect_equal(as.numeric(logLik(fm)), as.numeric(logLik(rm)), tolerance = 1e-6)
  expect_equal(unname(fitted(fm)), unname(fitted(rm)), tolerance = 1e-4)
})

test_that("offset() is refused where it cannot be honoured", {
  d <- adlb[adlb$PARAMCD %in% c("HBA1C", "INSDOSEKG"), ]
  d$o <- 1
  expect_error(fit_joint(d, formula = ~ ARM * AVISIT + BASE + offset(o)),
               class = "glycotrial_error_unsupported")
  expect_error(glycotrial:::lmm_refuse_offset(y ~ x + offset(o), "here"),
               class = "glycotrial_error_unsupported")
  # data sources (moment route)
  h <- adlb[adlb$PARAMCD == "HBA1C" & adlb$AVISITN > 0, ]
  h$o <- 0.1
  src <- mmrm_data_chunks(split(h, rep(1:2, length.out = nrow(h))))
  expect_error(fit_lmm(AVAL ~ ARM + offset(o) + (1 + AVISITN | USUBJID), src),
               class = "glycotrial_error_unsupported")
})
