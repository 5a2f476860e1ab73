# Rule builders and responder derivation against the hand-worked fixture in
# helper-responder.R (exact comparisons).

test_that("rule builders describe themselves and combine with & and |", {
  r <- composite(hba1c_below(7.0), insulin_reduction(0.5))
  expect_s3_class(r, "glycotrial_rule")
  expect_output(print(r), "HbA1c < 7 %")
  expect_output(print(r), "reduced by >= 50 %")
  r2 <- hba1c_below(7) | change_rule("HBA1C", "<=", -1, unit = "%")
  expect_equal(r2$op, "or")
  expect_error(composite(hba1c_below(7), "x"), class = "glycotrial_error_input")
  expect_error(composite(hba1c_below(7), hba1c_below(6.5)), class = "glycotrial_error_input")
  expect_error(threshold_rule("HBA1C", "==", 7), class = "glycotrial_error_input")
  expect_error(insulin_reduction(1.5), class = "glycotrial_error_input")
})

test_that("bad input raises classed errors", {
  expect_error(derive_responders(fixture_adlb(), fixture_adsl(), visit = "Week 99"),
               class = "glycotrial_error_input")
  expect_error(derive_responders(fixture_adlb(), fixture_adsl(), rules = "composite"),
               class = "glycotrial_error_input")
  expect_error(derive_responders(fixture_adlb(), fixture_adsl(),
                                 rules = threshold_rule("FPG", "<", 7)),
               class = "glycotrial_error_input")
  expect_error(derive_responders(rbind(fixture_adlb(), fixture_adlb()), fixture_adsl()),
               class = "glycotrial_error_input")
  expect_error(derive_responders(fixture_adlb(), fixture_adsl()[, "USUBJID", drop = FALSE]),
               class = "glycotrial_error_input")
})
