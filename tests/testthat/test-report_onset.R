# AE onset for the report from ASTDT / partial AESTDTC (R/report_onset.R).

test_that("onset dates come from ASTDT, else AESTDTC completed to the first day", {
  adsl <- data.frame(USUBJID = c("1", "2", "3"), TRTSDT = as.Date("2014-01-15"))
  adae <- data.frame(USUBJID = c("1", "2", "3", "3"),
                     ASTDT = as.Date(c("2014-02-01", NA, NA, NA)),
                     AESTDTC = c("2014-02-01", "2014-03", "2014", ""))
  out <- glycotrial:::report_ae_onset(adae, adsl)
  expect_identical(out$onset_day, ".ONSETDT")
  # hand-completed: ASTDT; "2014-03" -> 1 March; "2014" (the first-dose
  # year) -> the first-dose date 15 January; blank stays NA
  expect_equal(out$adae$.ONSETDT, as.Date(c("2014-02-01", "2014-03-01", "2014-01-15", NA)))
  expect_match(out$notes[1], "2 AE onset dates taken from AESTDTC")
  expect_match(out$notes[1], "2 of them partial")
  expect_match(out$notes[2], "^1 partial AE onset date in the month \\(or year\\) of the first dose")
})

test_that("first-dose month rule: a partial onset in the first-dose month is treatment-emergent", {
  # First dose 15 March 2014 (subject 1, ISO text) and 20 June 2013 (subject 2).
  adsl <- data.frame(USUBJID = c("1", "2"), TRTSDT = c("2014-03-15", "2013-06-20"),
                     TRTEDT = c("2014-12-31", "2014-12-31"), SAFFL = "Y",
                     ARM = c("A", "B"))
  adae <- data.frame(USUBJID = c("1", "1", "1", "2", "2"),
                     AESTDTC = c("2014-03", "2014-02", "2014-03-20", "2013", "2014"),
                     AEDECOD = "Headache", AEBODSYS = "Nervous system disorders")
  out <- glycotrial:::report_ae_onset(adae, adsl)
  # By hand: "2014-03" contains 15 March -> 15 March (not 1 March, before the
  # dose); "2014-02" does not -> 1 February; full dates unchanged; "2013"
  # contains 20 June 2013 -> 20 June; "2014" does not -> 1 January 2014.
  expect_equal(out$adae$.ONSETDT, as.Date(c("2014-03-15", "2014-02-01", "2014-03-20", "2013-06-20",
                                           "2014-01-01")))
  expect_match(out$notes[2], "^2 partial AE onset dates")
  # ... so they count as treatment-emergent in the AE tables (the two records
  # known only to start in the first-dose month / year).
  ov <- ae_overview(out$adae[c(1, 4), ], adsl, vars = ae_vars(onset_day = out$onset_day))
  te <- ov$ard[ov$ard$stat_name == "n" & ov$ard$category == "Any TEAE", ]
  expect_equal(te$stat[match(c("A", "B"), te$arm)], c(1, 1))
})

test_that("with ASTDY present or no first-dose date nothing is derived", {
  adsl <- data.frame(USUBJID = "1", TRTSDT = as.Date("2014-01-15"))
  adae <- data.frame(USUBJID = "1", ASTDY = 3, AESTDTC = "2014-01")
  expect_identical(glycotrial:::report_ae_onset(adae, adsl)$onset_day, "ASTDY")
  adae$ASTDY <- NULL
  expect_identical(glycotrial:::report_ae_onset(adae, adsl["USUBJID"])$onset_day, "ASTDY")
})
