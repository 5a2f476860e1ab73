# glycaemic_composite(): the report's endpoint with mapped PARAMCDs.

test_that("glycaemic_composite() defaults to the NCT02302599 endpoint", {
  expect_identical(glycaemic_composite(), composite(hba1c_below(7.0), insulin_reduction(0.5)))
  a <- derive_responders(adlb, adsl, visit = 48)
  b <- derive_responders(adlb, adsl, rules = composite(hba1c_below(7.0), insulin_reduction(0.5)),
                         visit = 48)
  expect_identical(a, b)
})

test_that("glycaemic_composite() maps renamed PARAMCDs; counts by hand", {
  tr <- renamed_trial()
  rsp <- derive_responders(tr$adlb, tr$adsl, visit = 26,
                           rules = glycaemic_composite("A1C", 7.5, "TDD", 0.3,
                                                       marker_is_hba1c = FALSE, dose_unit = NULL))
  w <- tr$adlb[tr$adlb$AVISITN == 26, ]
  a <- w[w$PARAMCD == "A1C", c("USUBJID", "AVAL")]
  i <- w[w$PARAMCD == "TDD", c("USUBJID", "AVAL", "BASE")]
  m <- merge(a, i, by = "USUBJID")
  m <- m[!is.na(m$AVAL.x) & !is.na(m$AVAL.y), ]
  # Marker in its own unit (mmol/mol) when not declared HbA1c.
  want <- m$AVAL.x < 7.5 & (m$AVAL.y - m$BASE) / m$BASE <= -0.3
  got <- rsp$RESPONDER[match(m$USUBJID, rsp$USUBJID)]
  expect_equal(got, want)
  expect_error(derive_responders(tr$adlb, tr$adsl, visit = 26,
                                 rules = glycaemic_composite("HBA1C", dose = "TDD", dose_unit = NULL)),
               "A1C", class = "glycotrial_error_input")
  expect_error(glycaemic_composite(reduction = 2), class = "glycotrial_error_input")
})
