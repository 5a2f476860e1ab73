# Estimability of l'beta after aliased columns: estimable when l is
# orthogonal to the null space of the full design (Searle 1971); reference:
# the estimability package (which emmeans uses) on the model matrix by hand.

test_that("a cell without data is not estimable, the others are", {
  skip_if_not_installed("estimability")
  d <- sim_mmrm_data(n = 60)
  d <- d[!(d$ARM == "Drug" & d$AVISIT == "V4"), ]  # no Drug data at V4: ARMDrug:AVISITV4 aliased
  f <- suppressMessages(suppressWarnings(
    mmrm_fit(CHG ~ ARM * AVISIT + cs(AVISIT | USUBJID), d)))
  expect_true(f$aliased[["ARMDrug:AVISITV4"]])
  X <- model.matrix(~ ARM * AVISIT, d[!is.na(d$CHG), ])
  nb <- estimability::nonest.basis(X)
  cells <- expand.grid(AVISIT = levels(d$AVISIT), ARM = levels(d$ARM))
  L <- model.matrix(~ ARM * AVISIT, cells)
  ref <- estimability::is.estble(L, nb)
  expect_identical(glycotrial:::mmrm_is_estimable(f, L), ref)
  expect_identical(unname(ref), !(cells$ARM == "Drug" & cells$AVISIT == "V4"))
  m <- expect_message(glycotrial:::mmrm_inform_nonestimable("LS-means", 1),
                      class = "glycotrial_message_nonestimable")
  expect_match(conditionMessage(m), "1 estimate is not estimable")
})

test_that("without aliased columns everything is estimable", {
  d <- sim_mmrm_data(n = 40)
  f <- mmrm_fit(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID), d)
  L <- diag(length(coef(f)))
  expect_identical(glycotrial:::mmrm_is_estimable(f, L), rep(TRUE, nrow(L)))
})
