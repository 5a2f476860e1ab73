# derive_responders() against the hand-worked fixture in helper-responder.R
# and the published trial result.

test_that("derive_responders reproduces the hand-worked fixture", {
  r <- derive_responders(fixture_adlb(), fixture_adsl(), visit = "Week 48")
  expect_s3_class(r, "glycotrial_responders")
  expect_equal(nrow(r), 7)
  expect_equal(r$HBA1C_RESP, c(TRUE, TRUE, FALSE, TRUE, NA, FALSE, TRUE))
  expect_equal(r$INSDOSE_RESP, c(TRUE, FALSE, TRUE, TRUE, TRUE, NA, NA))
  expect_equal(r$RESPONDER, c(TRUE, FALSE, FALSE, TRUE, NA, FALSE, NA))
  expect_equal(r$REASON[c(5, 7)], c("no Week 48 HBA1C", "no baseline INSDOSE"))
  expect_true(all(r$REASON[-c(5, 7)] == ""))
  expect_equal(r$INSDOSE_RESP_BASE[1:5], c(40, 50, 60, 44, 52))
  # Numeric visit matches AVISITN; a single threshold rule works alone.
  r2 <- derive_responders(fixture_adlb(), fixture_adsl(), rules = hba1c_below(7), visit = 48)
  expect_equal(r2$RESPONDER, r$HBA1C_RESP)
  # OR combination with three-valued logic.
  r3 <- derive_responders(fixture_adlb(), fixture_adsl(),
                          rules = any_of(hba1c_below(7), insulin_reduction(0.5)))
  expect_equal(r3$RESPONDER, c(TRUE, TRUE, TRUE, TRUE, TRUE, NA, TRUE))
})

test_that("the shipped example data give the published 9/45 vs 2/44", {
  r <- derive_responders(adlb, adsl, visit = "Week 48")
  tab <- table(r$ARM, r$RESPONDER)
  expect_equal(unname(tab["UC-MSC", "TRUE"]), 9)
  expect_equal(unname(sum(tab["UC-MSC", ])), 45)
  expect_equal(unname(tab["Placebo", "TRUE"]), 2)
  expect_equal(unname(sum(tab["Placebo", ])), 44)
})

test_that("units are checked and converted where a conversion exists", {
  lb <- fixture_adlb()
  lb$AVALU[lb$PARAMCD == "INSDOSE"] <- "U/kg/day"
  expect_error(derive_responders(lb, fixture_adsl()), class = "glycotrial_error_units")
  lb <- fixture_adlb()
  h <- lb$PARAMCD == "HBA1C"
  # HbA1c in mmol/mol (IFCC): converted back to % through convert_units().
  lb$AVAL[h] <- convert_units(lb$AVAL[h], "hba1c", "%", "mmol/mol")
  lb$BASE[h] <- convert_units(lb$BASE[h], "hba1c", "%", "mmol/mol")
  lb$AVALU[h] <- "mmol/mol"
  r <- derive_responders(lb, fixture_adsl())
  expect_equal(r$HBA1C_RESP, c(TRUE, TRUE, FALSE, TRUE, NA, FALSE, TRUE))
})
