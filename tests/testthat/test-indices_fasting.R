# Fasting indices (HOMA1, QUICKI, C-peptide HOMA) against hand calculations
# from the original papers, written out in each expectation.

test_that("HOMA1 and QUICKI reproduce the hand calculations", {
  # The classical mg/dL form HOMA1-IR = G[mg/dL] * I / 405 uses 18 mg/dL per mmol/L:
  # 93 * 12.8 / 405 = 2.939259.
  expect_equal(homa1_ir(93, 12.8, glucose_unit = "mg/dL", glucose_factor = 18),
               93 * 12.8 / 405, tolerance = 1e-12)
  expect_equal(round(homa1_ir(93, 12.8, glucose_unit = "mg/dL", glucose_factor = 18), 3), 2.939)
  # With the molar-mass factor 18.016 (default): 93 / 18.016 * 12.8 / 22.5 = 2.936649.
  expect_equal(homa1_ir(93, 12.8, glucose_unit = "mg/dL"), 93 / 18.016 * 12.8 / 22.5,
               tolerance = 1e-12)
  # HOMA1-%B = 360 * I / (G[mg/dL] - 63) = 360 * 12.8 / 30 = 153.6.
  expect_equal(homa1_b(93, 12.8, glucose_unit = "mg/dL", glucose_factor = 18), 153.6,
               tolerance = 1e-12)
  # QUICKI = 1 / (log10 12.8 + log10 93) = 0.3251297 (no glucose conversion involved).
  expect_equal(quicki(93, 12.8, glucose_unit = "mg/dL"), 1 / (log10(12.8) + log10(93)),
               tolerance = 1e-12)
  expect_equal(round(quicki(93, 12.8, glucose_unit = "mg/dL"), 4), 0.3251)
  # Insulin in pmol/L with the 6.00 default and the legacy 6.945 override.
  expect_equal(homa1_ir(5.2, 60, insulin_unit = "pmol/L"), 5.2 * 10 / 22.5, tolerance = 1e-12)
  expect_equal(homa1_ir(5.2, 69.45, insulin_unit = "pmol/L", insulin_factor = 6.945),
               5.2 * 10 / 22.5, tolerance = 1e-12)
  expect_equal(homa1_ir(5.2, 10, insulin_unit = "mU/L"), 5.2 * 10 / 22.5, tolerance = 1e-12)
  expect_equal(glucose_insulin_ratio(93, 12.8, glucose_unit = "mg/dL"), 93 / 12.8)
})

test_that("C-peptide indices follow Li 2004, Funakoshi 2011 and Ohkura 2013", {
  # FPG 7.2 mmol/L, FCP 2.1 ng/mL = 2.1 * 331 = 695.1 pmol/L.
  expect_equal(homa_ir_cp(7.2, 2.1), 1.5 + 7.2 * 695.1 / 2800, tolerance = 1e-12)
  expect_equal(homa_b_cp(7.2, 695.1, cpeptide_unit = "pmol/L"), 0.27 * 695.1 / 3.7,
               tolerance = 1e-12)
  expect_equal(homa_b_cp(7.2, 0.6951, cpeptide_unit = "nmol/L", population = "normal"),
               0.27 * 695.1 / 3.7 + 50, tolerance = 1e-12)
  # CPI = 1.5 / 130 * 100 = 1.1538; Ohkura = 20 / (1.5 * 130) = 0.10256.
  expect_equal(cpi(130, 1.5, glucose_unit = "mg/dL"), 1.5 / 130 * 100, tolerance = 1e-12)
  expect_equal(ohkura_index(130, 1.5, glucose_unit = "mg/dL"), 20 / 195, tolerance = 1e-12)
  # C-peptide factor override (0.33 as in tabletools).
  expect_equal(homa_ir_cp(7.2, 2.1, cpeptide_factor = 0.33), 1.5 + 7.2 * 693 / 2800,
               tolerance = 1e-12)
})
