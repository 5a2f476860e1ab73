# The index plugin kind: built-in indices are compiled plugins listed with their metadata.

test_that("every built-in index is a compiled plugin listed with units and references", {
  lst <- glycotrial_plugins("index")
  keys <- c("homa1_ir", "homa1_b", "quicki", "homa_ir_cp", "homa_b_cp", "cpi", "ohkura",
            "glucose_insulin_ratio", "matsuda", "matsuda_arithmetic", "igi", "igi_cp",
            "di_oral", "di_oral_cp", "stumvoll_first_phase", "stumvoll_second_phase",
            "stumvoll_isi", "gutt", "ogis", "ogis_180", "auc_total", "auc_incremental",
            "auc_net", "glucose_auc", "cpeptide_glucose_auc_ratio", "hba1c_ifcc", "eag",
            "egfr_ckd_epi_2021")
  expect_true(all(keys %in% lst$key))
  b <- lst[lst$key %in% keys, ]
  expect_true(all(b$implementation == "C++"))
  expect_true(all(b$package == "glycotrial"))
  expect_true(all(nzchar(b$reference)))
  expect_match(b$units[b$key == "homa1_ir"], "glucose [mmol/L; also mg/dL]", fixed = TRUE)
  expect_match(b$units[b$key == "homa1_ir"], "insulin [uU/mL; also pmol/L] -> 1", fixed = TRUE)
  info <- index_info("matsuda")
  expect_equal(info$shape, "curve")
  expect_equal(info$times, 0)
  expect_equal(unname(info$inputs), c("mg/dL", "uU/mL"))
  expect_match(info$formula, "10000 / sqrt")
  expect_equal(index_info("igi")$output_unit, "uU/mL per mg/dL")
})

test_that("an R index registered by the user works like a built-in", {
  on.exit(unregister_plugin("index", "test_glucose_peak"), add = TRUE)
  on.exit(unregister_plugin("index", "test_homa_like"), add = TRUE)
  register_index("test_homa_like", function(glucose, insulin) glucose * insulin / 405,
                 inputs = c(glucose = "mg/dL", insulin = "uU/mL"), output_unit = "1",
                 description = "HOMA1-IR in the mg/dL form", reference = "Matthews 1985")
  register_index("test_glucose_peak", function(time, glucose) max(glucose),
                 inputs = c(glucose = "mmol/L"), output_unit = "mmol/L", shape = "curve",
                 times = c(0, 30), description = "Peak OGTT glucose")
  lst <- glycotrial_plugins("index")
  row <- lst[lst$key == "test_homa_like", ]
  expect_equal(row$implementation, "R")
  expect_match(row$units, "glucose [mg/dL; also mmol/L]", fixed = TRUE)
  adlb <- indices_adlb()
  res <- beta_cell_indices(adlb, c("homa1_ir", "test_homa_like", "test_glucose_peak"))
  expect_equal(res$test_homa_like, res$homa1_ir * 18.016 / 18, tolerance = 1e-12)
  expect_equal(res$test_glucose_peak, c(14.5, 12.9, 16.0, 15.8), tolerance = 1e-12)
  expect_equal(res$test_glucose_peak_unit, rep("mmol/L", 4))
  # Conversions and impossible-value checks apply as for built-ins.
  expect_equal(evaluate_index("test_homa_like", list(glucose = 5, insulin = 60),
                              units = c(glucose = "mmol/L", insulin = "pmol/L")),
               5 * 18.016 * 10 / 405, tolerance = 1e-12)
  expect_warning(evaluate_index("test_homa_like", list(glucose = -5, insulin = 6)),
                 class = "glycotrial_warning_impossible_value")
  expect_error(register_index("test_homa_like", function(glucose) glucose,
                              inputs = c(glucose = "mmol/L")),
               class = "glycotrial_error_registry_conflict")
  expect_error(register_index("bad_units", function(glucose) glucose,
                              inputs = c(glucose = "mmol/dL")), class = "glycotrial_error_unit")
  expect_error(register_index("bad_args", function(x) x, inputs = c(glucose = "mmol/L")),
               class = "glycotrial_error_input")
})
