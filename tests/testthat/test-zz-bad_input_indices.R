test_that("mismatched lengths, non-numeric input and unknown units are classed errors", {
  expect_error(homa1_ir(c(5, 6, 7), c(10, 12)), "common length", class = "glycotrial_error_input")
  expect_error(homa1_ir("5.2", 10), "numeric", class = "glycotrial_error_input")
  expect_error(homa1_ir(factor(5), 10), class = "glycotrial_error_input")
  expect_error(homa1_ir(5, 10, glucose_unit = "mmol/dL"), "Unknown glucose unit",
               class = "glycotrial_error_unit")
  expect_error(homa1_ir(5, 10, insulin_unit = "ng/mL"), class = "glycotrial_error_input")
  expect_error(homa_ir_cp(5, 2, cpeptide_unit = NA), class = "glycotrial_error_input")
  expect_error(homa1_ir(5, 10, insulin_factor = 0), class = "glycotrial_error_input")
  expect_error(matsuda(c(0, 30), c(5, 6), c(10, 20, 30)), class = "glycotrial_error_input")
  expect_error(egfr_ckd_epi_2021(1, 50, "X"), "sex", class = "glycotrial_error_input")
  expect_error(hba1c_convert(7, from = "mg"), class = "glycotrial_error_unit")
  expect_error(evaluate_index("no_such_index", list()), class = "glycotrial_error_unknown_plugin")
  expect_error(evaluate_index("homa1_ir", list(glucose = 5)), "needs input",
               class = "glycotrial_error_input")
  expect_error(matsuda(c(0, 30), c(5, 6), c(10, 20), method = "geometric"),
               class = "glycotrial_error_input")
})

test_that("impossible values give NA with a warning naming the rows", {
  expect_warning(r <- homa1_ir(c(5, -5, 6), c(10, 10, -1)), "2 rows",
                 class = "glycotrial_warning_impossible_value")
  expect_equal(r, c(5 * 10 / 22.5, NA, NA))
  # %B is undefined at FPG <= 3.5 mmol/L.
  expect_warning(b <- homa1_b(c(3.2, 3.5, 5), c(10, 10, 10)), "undefined",
                 class = "glycotrial_warning_undefined_index")
  expect_equal(b, c(NA, NA, 20 * 10 / 1.5))
  expect_warning(homa_b_cp(3.1, 2), class = "glycotrial_warning_undefined_index")
  # Missing inputs propagate silently.
  expect_silent(r <- homa1_ir(c(5, NA), c(10, 10)))
  expect_equal(r, c(5 * 10 / 22.5, NA))
  # Insulinogenic index: glucose falling from 0 to 30 min.
  expect_warning(v <- insulinogenic_index(c(0, 30), c(6, 5.5), c(10, 20)),
                 class = "glycotrial_warning_undefined_index")
  expect_true(is.na(v))
})

test_that("unsorted, duplicated or missing OGTT time points are caught", {
  expect_error(matsuda(c(0, 60, 30), c(5, 7, 6), c(10, 30, 20)), "increasing order",
               class = "glycotrial_error_input")
  expect_error(matsuda(c(0, 30, 30), c(5, 7, 6), c(10, 30, 20)), "Duplicated",
               class = "glycotrial_error_input")
  expect_error(auc_total(c(0, NA, 60), c(5, 6, 7)), class = "glycotrial_error_input")
  # No 0-min sample in curve "b": NA with a warning naming it, or an error when strict.
  tt <- c(0, 30, 120, 30, 120)
  id <- c("a", "a", "a", "b", "b")
  expect_warning(m <- matsuda(tt, c(5, 7, 6, 7, 6), c(10, 30, 20, 30, 20), id = id),
                 "b", class = "glycotrial_warning_missing_timepoint")
  expect_true(is.na(m[["b"]]))
  expect_false(is.na(m[["a"]]))
  expect_error(matsuda(tt, c(5, 7, 6, 7, 6), c(10, 30, 20, 30, 20), id = id, strict = TRUE),
               class = "glycotrial_error_missing_timepoint")
  expect_warning(ogis(c(0, 120), c(5, 7), c(10, 30), height = 170, weight = 70),
                 class = "glycotrial_warning_missing_timepoint")
  expect_warning(auc_total(0, 5), class = "glycotrial_warning_missing_timepoint")
})

test_that("beta_cell_indices() refuses bad data with classed errors", {
  adlb <- indices_adlb()
  expect_error(beta_cell_indices(adlb[, -which(names(adlb) == "AVAL")]), "AVAL",
               class = "glycotrial_error_input")
  bad <- adlb
  bad$AVALU[bad$PARAMCD == "FINS"][1] <- "mg/dL"
  expect_error(beta_cell_indices(bad, "homa1_ir"), "insulin unit",
               class = "glycotrial_error_unit")
  bad <- adlb
  bad$AVALU[1] <- NA
  expect_error(beta_cell_indices(bad, "homa1_ir"), "Missing unit", class = "glycotrial_error_unit")
  dup <- rbind(adlb, adlb[adlb$PARAMCD == "FPG", ][1, ])
  expect_error(beta_cell_indices(dup, "homa1_ir"), "More than one", class = "glycotrial_error_input")
  dupc <- rbind(adlb, adlb[adlb$PARAMCD == "GLUC", ][2, ])
  expect_error(beta_cell_indices(dupc, "matsuda"), "Duplicated", class = "glycotrial_error_input")
  expect_error(beta_cell_indices(adlb, "ogis"), "height", class = "glycotrial_error_input")
  expect_error(beta_cell_indices(adlb, "homa1_ir", by = "NOPE"), class = "glycotrial_error_input")
  noatpt <- adlb[, names(adlb) != "ATPTN"]
  expect_error(beta_cell_indices(noatpt, "matsuda"), "ATPTN", class = "glycotrial_error_input")
  # A curve missing its 30-min sample: NA with a warning naming the subject-visit.
  miss <- adlb[!(adlb$PARAMCD == "GLUC" & adlb$ATPTN == 30 & adlb$USUBJID == "S2" &
                   adlb$AVISIT == "Week 48"), ]
  expect_warning(r <- beta_cell_indices(miss, "igi"), "S2 / Week 48",
                 class = "glycotrial_warning_missing_timepoint")
  expect_true(is.na(r$igi[4]))
  expect_error(beta_cell_indices(miss, "igi", strict = TRUE),
               class = "glycotrial_error_missing_timepoint")
  expect_error(index_change(beta_cell_indices(adlb, "homa1_ir", keep = "ARM"),
                            baseline = "Screening"), class = "glycotrial_error_input")
})
