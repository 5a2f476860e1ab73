# HbA1c / eAG conversion and CKD-EPI 2021 eGFR against published values.

test_that("HbA1c, eAG and CKD-EPI 2021 reproduce published values", {
  # IFCC-NGSP master equation; 7.0 % = 53 mmol/mol and 6.5 % = 48 mmol/mol (IFCC tables).
  expect_equal(round(hba1c_convert(c(7.0, 6.5))), c(53, 48))
  expect_equal(hba1c_convert(7.0), (7.0 - 2.15) / 0.0915, tolerance = 1e-12)
  expect_equal(hba1c_convert(48, from = "mmol/mol"), 0.0915 * 48 + 2.15, tolerance = 1e-12)
  expect_equal(hba1c_convert(hba1c_convert(8.1), from = "mmol/mol", to = "%"), 8.1,
               tolerance = 1e-12)
  # ADAG: HbA1c 7 % -> 154 mg/dL (8.6 mmol/L); 6 % -> 126 mg/dL (7.0 mmol/L; the table
  # rounds 28.7 * 6 - 46.7 = 125.5 up).
  expect_equal(eag(c(7, 6), unit = "mg/dL"), c(154.2, 125.5), tolerance = 1e-12)
  expect_equal(round(eag(c(7, 6)), 1), c(8.6, 7.0))
  # CKD-EPI 2021: creatinine 1.09 mg/dL, 55-year-old man -> 80 mL/min/1.73 m2.
  expect_equal(round(egfr_ckd_epi_2021(1.09, 55, "M")), 80)
  expect_equal(egfr_ckd_epi_2021(1.09, 55, "M"), 142 * (1.09 / 0.9)^-1.2 * 0.9938^55,
               tolerance = 1e-12)
  # Woman, creatinine 0.6 mg/dL (below kappa 0.7), 40 years.
  expect_equal(egfr_ckd_epi_2021(0.6, 40, "F"), 142 * (0.6 / 0.7)^-0.241 * 0.9938^40 * 1.012,
               tolerance = 1e-12)
  expect_equal(egfr_ckd_epi_2021(96.4, 55, 0, creatinine_unit = "umol/L"),
               egfr_ckd_epi_2021(96.4 / 88.42, 55, "Male"), tolerance = 1e-12)
})
