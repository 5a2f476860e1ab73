# AE onset for the report from ASTDT / partial AESTDTC (R/report_onset.R).

test_that("onset dates come from ASTDT, else AESTDTC completed to the first day", {
  adsl <- data.frame(USUBJID = c("1", "2", "3"), TRTSDT = as.Date("2014-01-15"))
  adae <- data.frame(USUBJID = c("1", "2", "3", "3"),
                     ASTDT = as.Date(c("2014-02-01", NA, NA, NA)),
                     AESTDTC = c("2014-02-01", "2014-03", "2014", ""))
  out <- glycotrial:::report_ae_onset(adae, adsl)
  expect_identical(out$onset_day, ".ONSETDT")
  # hand-completed: ASTDT; "2014-03" -> 1 March; "2014" -> 1 January; blank stays NA
  expect_equal(out$adae$.ONSETDT, as.Date(c("2014-02-01", "2014-03-01", "2014-01-01", NA)))
  expect_match(out$notes, "2 AE onset dates taken from AESTDTC")
  expect_match(out$notes, "2 of them partial")
})

test_that("with ASTDY present or no first-dose date nothing is derived", {
  adsl <- data.frame(USUBJID = "1", TRTSDT = as.Date("2014-01-15"))
  adae <- data.frame(USUBJID = "1", ASTDY = 3, AESTDTC = "2014-01")
  expect_identical(glycotrial:::report_ae_onset(adae, adsl)$onset_day, "ASTDY")
  adae$ASTDY <- NULL
  expect_identical(glycotrial:::report_ae_onset(adae, adsl["USUBJID"])$onset_day, "ASTDY")
})
