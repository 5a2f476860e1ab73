# Unit conversion: factors written out by hand (glucose 18.016 mg/dL per mmol/L).

test_that("convert_units() converts and refuses unknown units", {
  expect_equal(convert_units(5.5, "glucose", "mmol/L", "mg/dL"), 5.5 * 18.016)
  expect_equal(convert_units(60, "insulin", "pmol/L", "\u00b5IU/mL"), 10)
  expect_equal(convert_units(1, "cpeptide", "ng/mL", "pmol/L"), 331)
  expect_equal(convert_units(53, "hba1c", "mmol/mol", "%"), 0.0915 * 53 + 2.15)
  expect_error(convert_units(5, "glucose", "mmol/dL", "mg/dL"), class = "glycotrial_error_unit")
  expect_error(convert_units(5, "glucose", "mmol/L", "mg/dL", glucose_factor = -1),
               class = "glycotrial_error_input")
})
