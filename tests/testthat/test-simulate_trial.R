test_that("same seed gives the same data and leaves the caller's RNG alone", {
  set.seed(99); before <- .Random.seed
  a <- simulate_trial(n = c(10, 12), seed = 3)
  expect_identical(.Random.seed, before)
  b <- simulate_trial(n = c(10, 12), seed = 3)
  expect_identical(a, b)
  c <- simulate_trial(n = c(10, 12), seed = 4)
  expect_false(identical(a$adlb$AVAL, c$adlb$AVAL))
  expect_s3_class(a, "glycotrial_trial")
  expect_output(print(a), "adlb")
})

test_that("n, arms, visits and labels are honoured", {
  tr <- simulate_trial(n = c(Active = 8, Control = 5, Low = 4),
                       arms = c("Active", "Control", "Low"),
                       hba1c_change = -1, insulin_change = -0.2, dropout = 0,
                       missingness = 0, visits = c(0, 6, 26), ogtt_visits = c(0, 26),
                       infusion_weeks = 0, visit_labels = c("Day 1", "Month 1.5", "Month 6"),
                       seed = 1)
  expect_equal(as.vector(table(tr$adsl$ARM)[c("Active", "Control", "Low")]), c(8L, 5L, 4L))
  expect_setequal(unique(tr$adlb$AVISIT), c("Day 1", "Month 1.5", "Month 6"))
  expect_setequal(unique(tr$adlb$AVISITN), c(0, 6, 26))
  # No missingness: every subject has every visit for HbA1c.
  expect_equal(sum(tr$adlb$PARAMCD == "HBA1C"), 17L * 3L)
  expect_equal(nrow(tr$adex), 17L)
  expect_true(all(tr$adex$EXDOSE[tr$adex$ARM != "Active"] == 0))
  one <- simulate_trial(n = 7, dropout = 0, seed = 2)
  expect_equal(as.vector(table(one$adsl$ARM)), c(7L, 7L))
})

test_that("effect sizes move the arm means in the expected direction", {
  tr <- simulate_trial(n = c(300, 300), hba1c_change = c(-1.5, 0),
                       insulin_change = c(-0.4, 0), dropout = 0, missingness = 0,
                       ae_rate = 0, seed = 11)
  w <- tr$adlb[tr$adlb$AVISITN == 48, ]
  hb <- tapply(w$CHG[w$PARAMCD == "HBA1C"], w$ARM[w$PARAMCD == "HBA1C"], mean)
  # Regression-to-the-mean term is centred at 9.0 %, the truncated baseline mean
  # is close to it: arm means of the change within 0.25 of the settings.
  expect_lt(abs(hb[["UC-MSC"]] + 1.5), 0.25)
  expect_lt(abs(hb[["Placebo"]] - 0), 0.25)
  pc <- tapply(w$PCHG[w$PARAMCD == "INSDOSE"], w$ARM[w$PARAMCD == "INSDOSE"], mean)
  expect_lt(abs(pc[["UC-MSC"]] + 40), 4)
  expect_lt(abs(pc[["Placebo"]]), 4)
  expect_equal(nrow(tr$adae), 0L)
  expect_true(all(c("USUBJID", "AEDECOD", "ASTDY") %in% names(tr$adae)))
})

test_that("dropout is monotone and missingness intermittent", {
  tr <- simulate_trial(n = c(200, 200), dropout = c(0.5, 0.5), missingness = 0.2,
                       seed = 5)
  hb <- tr$adlb[tr$adlb$PARAMCD == "HBA1C", ]
  last <- tapply(hb$AVISITN, hb$USUBJID, max)
  disc <- tr$adsl$USUBJID[tr$adsl$EOSSTT == "DISCONTINUED"]
  expect_true(all(last[disc] < 48))
  expect_true(all(last[setdiff(tr$adsl$USUBJID, disc)] == 48))
  expect_gt(length(disc), 150)
  # Intermittent: completers with a gap before week 48.
  nvis <- tapply(hb$AVISITN, hb$USUBJID, length)
  compl <- setdiff(tr$adsl$USUBJID, disc)
  expect_true(any(nvis[compl] < 7))
  expect_true(all(tapply(hb$ABLFL == "Y", hb$USUBJID, sum) == 1))
})

test_that("impossible settings are rejected with classed errors", {
  expect_error(simulate_trial(n = -1), class = "glycotrial_error_input")
  expect_error(simulate_trial(n = c(10, 0)), class = "glycotrial_error_input")
  expect_error(simulate_trial(n = 2.5), class = "glycotrial_error_input")
  expect_error(simulate_trial(n = c(1, 2, 3)), class = "glycotrial_error_input")
  expect_error(simulate_trial(dropout = 1.2), class = "glycotrial_error_input")
  expect_error(simulate_trial(dropout = -0.1), class = "glycotrial_error_input")
  expect_error(simulate_trial(missingness = 2), class = "glycotrial_error_input")
  expect_error(simulate_trial(missingness = 1), class = "glycotrial_error_input")
  expect_error(simulate_trial(n = c(`UC-MSC` = 10, Placebo = 10, Other = 3)),
               class = "glycotrial_error_unknown_arm")
  expect_error(simulate_trial(hba1c_change = c(Foo = -1, Placebo = 0)),
               class = "glycotrial_error_input")
  expect_error(simulate_trial(arms = "UC-MSC"), class = "glycotrial_error_input")
  expect_error(simulate_trial(arms = c("A", "A")), class = "glycotrial_error_input")
  expect_error(simulate_trial(visits = c(4, 8)), class = "glycotrial_error_input")
  expect_error(simulate_trial(ogtt_visits = c(0, 13)), class = "glycotrial_error_input")
  expect_error(simulate_trial(infusion_weeks = c(0, 48)), class = "glycotrial_error_input")
  expect_error(simulate_trial(visit_labels = c("a", "b")), class = "glycotrial_error_input")
  expect_error(simulate_trial(seed = "x"), class = "glycotrial_error_input")
  e <- tryCatch(simulate_trial(dropout = 1.2), error = identity)
  expect_match(conditionMessage(e), "dropout")
})
