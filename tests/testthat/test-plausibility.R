# Physiological plausibility of units: values implausible
# in their declared unit but ordinary in another common unit are unit mix-ups;
# they give glycotrial_warning_implausible_unit naming the likely unit, and
# after conversion (or with the right unit declared) the results equal the
# correct-unit ones.

expect_likely_unit <- function(expr, unit) {
  w <- expect_warning(expr, class = "glycotrial_warning_implausible_unit")
  expect_identical(w$likely_unit, unit)
  expect_s3_class(w, "glycotrial_warning_plausibility")
  invisible(w)
}

test_that("homa1_ir(95, 10): glucose in mg/dL under the mmol/L default", {
  expect_likely_unit(homa1_ir(95, 10), "mg/dL")
  expect_no_warning(v <- homa1_ir(95, 10, glucose_unit = "mg/dL"))
  # hand: 95 / 18.016 mmol/L x 10 uU/mL / 22.5
  expect_equal(v, 95 / 18.016 * 10 / 22.5, tolerance = 1e-14)
  expect_equal(v, homa1_ir(convert_units(95, "glucose", "mg/dL", "mmol/L"), 10), tolerance = 1e-14)
  # insulin in pmol/L declared as uU/mL
  expect_likely_unit(homa1_ir(5, 3000), "pmol/L")
  expect_equal(homa1_ir(5, 3000, insulin_unit = "pmol/L"), 5 * 500 / 22.5, tolerance = 1e-14)
})

test_that("egfr_ckd_epi_2021(88, 50, 'M'): creatinine in umol/L read as mg/dL", {
  expect_likely_unit(egfr_ckd_epi_2021(88, 50, "M"), "umol/L")
  expect_no_warning(v <- egfr_ckd_epi_2021(88, 50, "M", creatinine_unit = "umol/L"))
  # hand, CKD-EPI 2021 (Inker 2021), male: kappa 0.9, alpha -0.302
  r <- 88 / 88.42 / 0.9
  expect_equal(v, 142 * min(r, 1)^-0.302 * max(r, 1)^-1.2 * 0.9938^50, tolerance = 1e-12)
  expect_equal(v, egfr_ckd_epi_2021(88 / 88.42, 50, "M"), tolerance = 1e-14)
})

test_that("hba1c_convert(53): already mmol/mol", {
  expect_likely_unit(hba1c_convert(53), "mmol/mol")
  expect_no_warning(v <- hba1c_convert(53, from = "mmol/mol"))
  expect_equal(v, 0.0915 * 53 + 2.15, tolerance = 1e-14)   # IFCC-NGSP master equation
  # and the reverse mix-up: 7 labelled mmol/mol is 7 %
  expect_likely_unit(hba1c_convert(7, from = "mmol/mol"), "%")
  expect_no_warning(hba1c_convert(7))
})

test_that("values implausible in every unit get glycotrial_warning_implausible_value", {
  w <- expect_warning(homa1_ir(5000, 10), class = "glycotrial_warning_implausible_value")
  expect_s3_class(w, "glycotrial_warning_plausibility")
  expect_warning(egfr_ckd_epi_2021(1e5, 50, "M"), class = "glycotrial_warning_implausible_value")
  # the classes are distinct: no implausible_unit warning for these
  expect_no_warning(
    suppressWarnings(homa1_ir(5000, 10), classes = "glycotrial_warning_implausible_value"))
  # plausible values, NA and below-detection zero insulin are silent
  expect_no_warning(homa1_ir(c(5.2, NA, 40), c(0, 12, 300)))
})

test_that("the check can be switched off (other populations)", {
  withr::local_options(glycotrial.check_plausibility = FALSE)
  expect_no_warning(homa1_ir(95, 10))
})

test_that("derive_responders: HbA1c in mmol/mol labelled % warns; relabelled it equals the % analysis", {
  rule <- hba1c_below(7)
  ref <- derive_responders(adlb, adsl, rules = rule)
  ifcc <- adlb
  h <- ifcc$PARAMCD == "HBA1C"
  ifcc$AVAL[h] <- (ifcc$AVAL[h] - 2.15) / 0.0915
  ifcc$BASE[h] <- (ifcc$BASE[h] - 2.15) / 0.0915
  # labelled %: every subject would be a non-responder
  w <- expect_warning(wrong <- derive_responders(ifcc, adsl, rules = rule),
                      class = "glycotrial_warning_implausible_unit")
  expect_identical(w$likely_unit, "mmol/mol")
  expect_equal(sum(wrong$RESPONDER, na.rm = TRUE), 0)
  # labelled correctly: converted back, same responders as the % data
  ifcc$AVALU[h] <- "mmol/mol"
  expect_no_warning(right <- derive_responders(ifcc, adsl, rules = rule))
  expect_equal(right$HBA1C_RESP_AVAL, ref$HBA1C_RESP_AVAL, tolerance = 1e-12)
  away <- is.na(ref$HBA1C_RESP_AVAL) | abs(ref$HBA1C_RESP_AVAL - 7) > 1e-6
  expect_identical(right$RESPONDER[away], ref$RESPONDER[away])
  expect_gt(sum(ref$RESPONDER, na.rm = TRUE), 0)
})

lab_long <- function(glucose, unit = "mmol/L", param = "Fasting plasma glucose (mmol/L)") {
  d <- data.frame(USUBJID = c("S1", "S1", "S2", "S2"), AVISIT = "Baseline",
                  PARAMCD = c("FPG", "FINS", "FPG", "FINS"),
                  PARAM = c(param, "Fasting insulin (uU/mL)", param, "Fasting insulin (uU/mL)"),
                  AVAL = c(glucose[1], 10, glucose[2], 12),
                  AVALU = c(unit, "uU/mL", unit, "uU/mL"), stringsAsFactors = FALSE)
  d
}

test_that("beta_cell_indices: units from AVALU are checked, and units in PARAM text are used", {
  mg <- c(95, 110)
  ref <- beta_cell_indices(lab_long(mg / 18.016), "homa1_ir")
  # mg/dL values labelled mmol/L
  w <- expect_warning(beta_cell_indices(lab_long(mg), "homa1_ir"),
                      class = "glycotrial_warning_implausible_unit")
  expect_identical(w$likely_unit, "mg/dL")
  # no AVALU column: the unit is read from PARAM ("... (mg/dL)")
  d <- lab_long(mg, param = "Fasting plasma glucose (mg/dL)")
  d$AVALU <- NULL
  expect_no_warning(v <- beta_cell_indices(d, "homa1_ir"))
  expect_equal(v$homa1_ir, ref$homa1_ir, tolerance = 1e-14)
  expect_equal(v$homa1_ir, mg / 18.016 * c(10, 12) / 22.5, tolerance = 1e-14)
  # AVALU missing for some rows: PARAM fills in
  d <- lab_long(mg, unit = NA, param = "Fasting plasma glucose (mg/dL)")
  expect_equal(beta_cell_indices(d, "homa1_ir")$homa1_ir, ref$homa1_ir, tolerance = 1e-14)
  # AVALU and PARAM disagree: classed error
  d <- lab_long(mg, unit = "mmol/L", param = "Fasting plasma glucose (mg/dL)")
  expect_error(beta_cell_indices(d, "homa1_ir"), class = "glycotrial_error_unit")
})

test_that("the range table converts consistently between units", {
  r <- unit_ranges()
  at <- function(q, u) r[r$quantity == q & r$unit == u, c("low", "high")]
  expect_equal(unlist(at("glucose", "mg/dL")), unlist(at("glucose", "mmol/L")) * 18.016)
  expect_equal(unlist(at("creatinine", "umol/L")), unlist(at("creatinine", "mg/dL")) * 88.42)
  expect_equal(unlist(at("insulin", "pmol/L")), unlist(at("insulin", "uU/mL")) * 6)
  expect_equal(unlist(at("hba1c", "mmol/mol")), (unlist(at("hba1c", "%")) - 2.15) / 0.0915)
  expect_true(all(r$low <= r$typical & r$typical <= r$high))
})
